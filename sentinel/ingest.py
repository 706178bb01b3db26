"""Backfill: files and directories of logs, captures and HAR exports into the store.

Each input file is identified by its first bytes (see `sentinel.ingest_identity`); how
far it was ingested is checkpointed after the store acknowledged it, so running the same
backfill again skips what is in, and an interrupted one resumes.
"""

from __future__ import annotations

import logging
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from sentinel.collect.checkpoint import CheckpointStore, hash_head
from sentinel.collect.logs import UnknownFormatError, detect_format, open_log, parse_file
from sentinel.collect.logs import read_head as read_head_lines
from sentinel.collect.logs.base import ParseError
from sentinel.ingest_identity import Identities
from sentinel.pipeline import Pipeline
from sentinel.store import rebuild
from sentinel.store.writer import Ack

log = logging.getLogger("sentinel.ingest")

CHUNK = 2_000  # events handed to the pipeline at a time
PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a")


class InputError(Exception):
    """An input that cannot be ingested at all; the message names it and says why."""


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str  # log | pcap | har
    size: int


def sniff_kind(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head[:4] in PCAP_MAGICS:
        return "pcap"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if path.suffix.lower() == ".har" or (text.startswith(b"{") and b'"log"' in text[:200] and b'"entries"' in head):
        return "har"
    return "log"


def expand(paths: Iterable[str | os.PathLike],
           on_error: Callable[[Path, str], None] | None = None) -> list[InputFile]:
    """Files named, and every file below directories named, in a stable order.

    A path that is missing or cannot be read raises InputError; with ``on_error``, it is
    handed there (path, message) instead and the other paths are still expanded."""
    found: list[InputFile] = []

    def fail(path: Path, message: str) -> None:
        if on_error is None:
            raise InputError(message)
        on_error(path, message)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Licence notices beside sample data are not input; a file named is, whatever its name.
            candidates = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                                and not _is_notice(p))
        elif path.is_file():
            candidates = [path]
        else:
            fail(path, f"{path}: no such file or directory")
            continue
        for candidate in candidates:
            try:
                found.append(InputFile(candidate, sniff_kind(candidate), candidate.stat().st_size))
            except OSError as exc:
                fail(candidate, f"{candidate}: cannot read: {exc.strerror}")
    return found


def _is_notice(path: Path) -> bool:
    return path.suffix.lower() in (".md", ".txt") and path.name.upper().startswith(("NOTICE", "README"))


class Ingestor:
    def __init__(self, pipeline: Pipeline, checkpoints: CheckpointStore, settings=None, log_format: str = "auto",
                 log_options: dict | None = None, force: bool = False,
                 on_progress: Callable[[int], None] | None = None, capture_factory=None,
                 tls_terminated: bool = False, store=None):
        self.pipeline = pipeline
        self.tls_terminated = tls_terminated
        self.settings = settings
        self.checkpoints = checkpoints
        self.identities = Identities(checkpoints)
        self.log_format = log_format
        self.log_options = log_options
        self.force = force
        self.store = store  # with force: where a re-ingested file's stored rows are replaced
        self._replaced: dict[str, tuple[float, float] | None] = {}  # origin -> span of its old rows
        self.on_progress = on_progress or (lambda advanced: None)
        self.capture_factory = capture_factory
        self.errors: list[str] = []

    # -- checkpoints -------------------------------------------------------------------
    def _commit(self, acks: list[Ack]) -> None:
        for ack in acks:
            if not ack.durable:
                self.pipeline.summary.not_acknowledged += sum(ack.rows.values())
                continue
            for (fp, path), offset in ack.positions.items():
                if fp not in self.checkpoints:
                    head = self.identities.head(fp)
                    self.checkpoints.register(fp, offset=offset, path=path, head_len=len(head),
                                              head_hash=hash_head(head))
                else:
                    self.checkpoints.advance(fp, offset, path)
        self.checkpoints.save()

    def flush(self) -> None:
        self._commit([self.pipeline.writer.flush()])

    # -- logs --------------------------------------------------------------------------
    def ingest(self, inputs: list[InputFile]) -> None:
        summary = self.pipeline.summary
        for item in inputs:
            counted = summary.files
            try:
                if item.kind == "log":
                    self.ingest_log(item)
                elif self.capture_factory is None:
                    raise InputError(f"{item.path}: {item.kind} input is not supported yet")
                else:
                    self.capture_factory(self, item)
            except InputError as exc:
                self.errors.append(str(exc))  # the caller reports these: the CLI prints, the daemon logs
                summary.files = counted  # counted when it was opened: it was not ingested
                summary.files_failed += 1
                self.on_progress(item.size)
        self.flush()
        if self._replaced:
            self._rebuild_rollups()

    def open_input(self, item: InputFile) -> tuple[str, int] | None:
        """The file's identity and the offset to read it from; None (counted) when there is
        nothing to read: the file is empty, or all of it is in already."""
        summary = self.pipeline.summary
        try:
            fp = self.identities.identify(item.path)
        except (OSError, EOFError, zlib.error) as exc:  # a gzip file cut short within its head
            raise InputError(f"{item.path}: cannot read its first bytes: {_reason(exc)}") from None
        start = None if fp is None else self._start_offset(fp, item)
        if start is not None:
            return fp, start
        if fp is None:
            summary.skipped["empty_file"] += 1
        else:
            summary.files_skipped += 1
        self.on_progress(item.size)
        return None

    def _start_offset(self, fp: str, item: InputFile) -> int | None:
        """Where to resume; None to skip the file (already fully ingested). With force,
        from the start, and what the store holds of the file goes first; but a copy of a
        file already read in this run is skipped, forced or not."""
        queued = self.identities.queued(fp)
        if self.force and queued is None:
            self._forget(fp[:16])
            return 0
        entry = None if self.force else self.checkpoints.get(fp)
        done = max(queued or 0, entry.offset if entry is not None else 0)
        return None if done >= item.size else done

    def _forget(self, origin: str) -> None:
        if self.store is None or origin in self._replaced:
            return
        span = rebuild.stored_span(self.store, [origin])
        if span is not None:
            rebuild.forget_origins(self.store, [origin])
        self._replaced[origin] = span

    def _rebuild_rollups(self) -> None:
        """The minutes each re-ingested file covered, before and after, counted afresh."""
        for origin, before in self._replaced.items():
            spans = [s for s in (before, rebuild.stored_span(self.store, [origin])) if s is not None]
            if spans:
                rebuild.rebuild_rollups(self.store, min(s[0] for s in spans), max(s[1] for s in spans))

    def ingest_log(self, item: InputFile) -> None:
        summary = self.pipeline.summary
        opened = self.open_input(item)
        if opened is None:
            return
        fp, start = opened
        summary.files += 1
        key = (fp, str(item.path))
        origin = fp[:16]
        chunk = []
        reported = 0
        last_offset = start
        try:
            family = self.log_format
            if family == "auto":
                with open_log(item.path) as handle:
                    family = detect_format(read_head_lines(handle))
            from sentinel import ingest_columnar  # numpy and the SQL fast path, only when needed

            if ingest_columnar.eligible(self, item, family):
                # Large Squid/nginx/Envoy file, no per-event observers: parse to insert as Arrow columns.
                ingest_columnar.ingest_file(self, item, key, origin, start, family)
                self.identities.mark_queued(fp, item.size)
                return
            records = parse_file(item.path, family, self.log_options, skipped=summary.skipped)
            for offset, result in records:
                if offset < start:
                    continue
                if isinstance(result, ParseError):
                    self._quarantine(item, family, origin, offset, result)
                else:
                    result.origin = origin
                    chunk.append(result)
                last_offset = offset
                if len(chunk) >= CHUNK:
                    self._commit(self.pipeline.add_events(chunk, {key: offset}))
                    chunk = []
                    self.on_progress(min(offset, item.size) - reported)
                    reported = min(offset, item.size)
        except UnknownFormatError as exc:
            raise InputError(f"{item.path}: {exc}") from None
        except ValueError as exc:  # bad parser options name the option
            raise InputError(f"{item.path}: {exc}") from None
        except OSError as exc:
            # What was read before the damage is kept, and a later run resumes after it.
            self._commit(self.pipeline.add_events(chunk, {key: last_offset + 1}))
            raise InputError(f"{item.path}: read failed after byte {last_offset}: {_reason(exc)}; "
                             "what came before is kept") from None
        # The whole file is now queued: its end is the position to checkpoint.
        self._commit(self.pipeline.add_events(chunk, {key: item.size}))
        self.identities.mark_queued(fp, item.size)  # a copy further on in this run is skipped
        self.on_progress(item.size - reported)

    def _quarantine(self, item: InputFile, family: str, origin: str, offset: int, error: ParseError) -> None:
        raw = _line_at(item.path, offset)
        self._commit(self.pipeline.reject(family, origin, offset, error.reason, raw, time.time()))


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _line_at(path: Path, offset: int, limit: int = 4096) -> str:
    """The raw line at `offset`, only to build a masked excerpt for the quarantine."""
    try:
        with open_log(path) as handle:
            handle.seek(offset)
            return handle.readline(limit).decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return ""
