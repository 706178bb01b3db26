"""Durable read positions for the log tailer, one per file identity.

`checkpoints.json` in the state directory maps a file fingerprint (see
`sentinel.collect.tail`) to how far the store has acknowledged that file::

    {"version": 1, "checkpoints": {"<fingerprint>": {
        "offset": 81920, "path": "/var/log/squid/access.log", "updated": 1718000000.0,
        "head_len": 256, "head_hash": "<hex>"}}}

`head_len`/`head_hash` say how to recognise the file again: the hash of its first
`head_len` bytes. For most files that is the fingerprint itself; for a file that was
shorter than the fingerprint size when first read, the fingerprint stays what it was
(event ids must not change) while the recorded head grows with the file.

Writes follow vector's checkpointer: a temporary file in the same directory, fsync,
rename over the old file, fsync the directory. A crash at any point leaves either
the old or the new file, never a torn one. A file that still fails to parse (disk
trouble, a hand edit) is moved aside with a warning and reading starts afresh: the
tailer then re-reads from the start and the store drops the repeats by event id.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

log = logging.getLogger("sentinel.collect.checkpoint")

CHECKPOINT_FILE = "checkpoints.json"
FORMAT_VERSION = 1


def hash_head(data: bytes) -> str:
    """The fingerprint hash: 128-bit blake2b, hex."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _prefix_hashes(data: bytes, lengths: list[int]) -> list[tuple[int, str]]:
    """hash_head(data[:n]) for each of the ascending `lengths`, hashing `data` once: heads
    recorded whole for small files come in many lengths."""
    hasher, fed, out = hashlib.blake2b(digest_size=16), 0, []
    for length in lengths:
        hasher.update(data[fed:length])
        fed = length
        out.append((length, hasher.copy().hexdigest()))
    return out


@dataclass(frozen=True, slots=True)
class Checkpoint:
    fingerprint: str
    offset: int  # every byte before this has been acknowledged by the store
    path: str  # where the identity was last seen (informational: identity is the fingerprint)
    updated: float  # epoch seconds of the last advance or sighting; drives pruning
    head_len: int
    head_hash: str


class CheckpointError(Exception):
    """The state directory cannot be used at all (not a corrupt file: that is recovered)."""


class CheckpointStore:
    """Fingerprint → acknowledged offset, persisted atomically in `state_dir`.

    Thread-safe. Changes stay in memory until `save()`; the tailer saves after every
    acknowledgement and after registering a new file identity.
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        filename: str = CHECKPOINT_FILE,
        retention_days: float = 30.0,
        fsync: bool = True,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_days <= 0:
            raise ValueError(f"retention_days must be positive, got {retention_days!r}")
        self.dir = Path(state_dir)
        self.path = self.dir / filename
        self.retention_seconds = retention_days * 86400.0
        self._fsync = fsync
        self._now = wall_clock
        self._lock = threading.RLock()
        self._entries: dict[str, Checkpoint] = {}
        # (head_len, head_hash) -> fingerprints; lengths in use, to probe a new file's head
        self._by_head: dict[tuple[int, str], set[str]] = {}
        self._head_lens: dict[int, int] = {}
        self._dirty = False
        self.corrupt_moved_to: Path | None = None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CheckpointError(f"checkpoint directory {self.dir}: {exc.strerror or exc}") from exc
        self._remove_stale_temps()
        self._load()

    # -- reading ---------------------------------------------------------------------

    def get(self, fingerprint: str) -> Checkpoint | None:
        with self._lock:
            return self._entries.get(fingerprint)

    def __contains__(self, fingerprint: object) -> bool:
        with self._lock:
            return fingerprint in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[Checkpoint]:
        with self._lock:
            return iter(list(self._entries.values()))

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def max_head_len(self) -> int:
        with self._lock:
            return max(self._head_lens, default=0)

    def lookup_head(self, head: bytes) -> list[str]:
        """Fingerprints whose recorded head is a prefix of `head`, longest head first."""
        found: list[str] = []
        with self._lock:
            lengths = sorted(n for n in self._head_lens if n <= len(head))
            for length, digest in reversed(_prefix_hashes(head, lengths)):
                fps = self._by_head.get((length, digest))
                if fps:
                    # Same head twice only after a salted collision: most recent first.
                    found.extend(sorted(fps, key=lambda fp: -self._entries[fp].updated))
        return found

    # -- changing --------------------------------------------------------------------

    def register(self, fingerprint: str, *, offset: int, path: str, head_len: int, head_hash: str) -> Checkpoint:
        with self._lock:
            if fingerprint in self._entries:
                raise KeyError(f"fingerprint {fingerprint} is already registered")
            entry = Checkpoint(fingerprint, int(offset), str(path), self._now(), int(head_len), head_hash)
            self._put(entry)
            return entry

    def advance(self, fingerprint: str, offset: int, path: str | None = None) -> bool:
        """Move the offset forward (never back); False if unknown or not forward."""
        with self._lock:
            entry = self._entries.get(fingerprint)
            if entry is None or offset <= entry.offset:
                return False
            self._put(replace(entry, offset=int(offset), path=path or entry.path, updated=self._now()))
            return True

    def set_head(self, fingerprint: str, head_len: int, head_hash: str) -> None:
        with self._lock:
            entry = self._entries.get(fingerprint)
            if entry is None or head_len <= entry.head_len:
                return
            self._put(replace(entry, head_len=int(head_len), head_hash=head_hash))

    def touch(self, fingerprint: str, path: str | None = None) -> None:
        """Record that the identity is still around (postpones pruning)."""
        with self._lock:
            entry = self._entries.get(fingerprint)
            if entry is not None:
                self._put(replace(entry, path=path or entry.path, updated=self._now()))

    def prune(self, *, keep: Iterable[str] = (), now: float | None = None) -> list[str]:
        """Forget identities not seen for `retention_days`, except those in `keep`."""
        cutoff = (self._now() if now is None else now) - self.retention_seconds
        keep = set(keep)
        with self._lock:
            gone = [fp for fp, e in self._entries.items() if e.updated < cutoff and fp not in keep]
            for fp in gone:
                self._drop(fp)
            if gone:
                self._dirty = True
                log.info("forgot %d checkpoint(s) not seen for %.0f days", len(gone), self.retention_seconds / 86400)
            return gone

    def save(self) -> bool:
        """Write the file if anything changed; True if written."""
        with self._lock:
            if not self._dirty:
                return False
            doc = {
                "version": FORMAT_VERSION,
                "checkpoints": {
                    fp: {"offset": e.offset, "path": e.path, "updated": e.updated,
                         "head_len": e.head_len, "head_hash": e.head_hash}
                    for fp, e in sorted(self._entries.items())
                },
            }
            self._write_atomically(json.dumps(doc, separators=(",", ":")).encode())
            self._dirty = False
            return True

    # -- internals -------------------------------------------------------------------

    def _put(self, entry: Checkpoint) -> None:
        old = self._entries.get(entry.fingerprint)
        if old is not None and (old.head_len, old.head_hash) != (entry.head_len, entry.head_hash):
            self._unindex(old)
            old = None
        self._entries[entry.fingerprint] = entry
        if old is None:
            self._by_head.setdefault((entry.head_len, entry.head_hash), set()).add(entry.fingerprint)
            self._head_lens[entry.head_len] = self._head_lens.get(entry.head_len, 0) + 1
        self._dirty = True

    def _drop(self, fingerprint: str) -> None:
        entry = self._entries.pop(fingerprint)
        self._unindex(entry)

    def _unindex(self, entry: Checkpoint) -> None:
        key = (entry.head_len, entry.head_hash)
        fps = self._by_head.get(key)
        if fps is not None:
            fps.discard(entry.fingerprint)
            if not fps:
                del self._by_head[key]
        n = self._head_lens.get(entry.head_len, 0) - 1
        if n > 0:
            self._head_lens[entry.head_len] = n
        else:
            self._head_lens.pop(entry.head_len, None)

    def _write_atomically(self, payload: bytes) -> None:
        # Unique temp name: two stores pointed at one directory must not share a temp file.
        tmp = self.dir / f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view):]
                if self._fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                tmp.unlink()
            except OSError:
                pass
            raise
        if self._fsync:
            self._fsync_dir()

    def _fsync_dir(self) -> None:
        fd = os.open(self.dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _remove_stale_temps(self) -> None:
        # A leftover temp file never made it to the rename: not known to be complete, so dropped.
        for tmp in self.dir.glob(f".{self.path.name}.*.tmp"):
            try:
                tmp.unlink()
            except OSError:
                pass

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CheckpointError(f"cannot read checkpoint file {self.path}: {exc.strerror or exc}") from exc
        try:
            entries = _parse(raw)
        except ValueError as exc:
            self._move_aside(str(exc))
            return
        for entry in entries:
            self._put(entry)
        self._dirty = False

    def _move_aside(self, reason: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self._now()))
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        os.replace(self.path, aside)
        if self._fsync:
            self._fsync_dir()
        self.corrupt_moved_to = aside
        log.warning(
            "checkpoint file %s is corrupt (%s); moved it to %s and starting without checkpoints: "
            "files will be read again from the start and the store drops the repeats by event id",
            self.path, reason, aside,
        )


def _parse(raw: bytes) -> list[Checkpoint]:
    """Entries from the file's bytes; ValueError naming what is wrong."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError("top level is not an object")
    if doc.get("version") != FORMAT_VERSION:
        raise ValueError(f"version is {doc.get('version')!r}, expected {FORMAT_VERSION}")
    table = doc.get("checkpoints")
    if not isinstance(table, dict):
        raise ValueError("'checkpoints' is not an object")
    out = []
    for fp, e in table.items():
        if not isinstance(e, dict):
            raise ValueError(f"checkpoint {fp!r} is not an object")
        offset, path, updated = e.get("offset"), e.get("path"), e.get("updated")
        head_len, head_hash = e.get("head_len"), e.get("head_hash")
        if not fp or not _is_int(offset) or offset < 0:
            raise ValueError(f"checkpoint {fp!r}: 'offset' must be a non-negative integer")
        if not isinstance(path, str):
            raise ValueError(f"checkpoint {fp!r}: 'path' must be a string")
        if isinstance(updated, bool) or not isinstance(updated, (int, float)):
            raise ValueError(f"checkpoint {fp!r}: 'updated' must be a number")
        if not _is_int(head_len) or head_len <= 0 or not isinstance(head_hash, str) or not head_hash:
            raise ValueError(f"checkpoint {fp!r}: 'head_len'/'head_hash' missing or invalid")
        out.append(Checkpoint(fp, offset, path, float(updated), head_len, head_hash))
    return out


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
