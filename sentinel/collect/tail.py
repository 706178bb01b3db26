"""Follow log files through rotation and hand out raw lines with their positions.

A library, no parsing: `FileTailer.poll()` returns `Line`s (path, fingerprint,
byte offsets, text); the caller parses them, writes them to the store and, once
the store has acknowledged them, calls `ack()`/`commit()`. Only then does the
checkpoint move, so a crash re-delivers what was not acknowledged (at-least-once),
and `event_id(fingerprint, offset)` gives every line the same id on every
delivery so the store (ReplacingMergeTree) keeps one copy.

File identity
    A file is known by the hash of its first `fingerprint_bytes` bytes (vector's
    checksum fingerprint), not by name or inode: a renamed file keeps its identity
    and its checkpoint, a compressed copy (`access.log.1.gz`) is recognised by the
    hash of its decompressed head, and a new file at an old name is new.
    Files that start with the same `fingerprint_bytes` bytes are one identity: the
    second is taken for a copy and not read (counted in `stats.duplicate_heads_total`
    and logged). Raise `fingerprint_bytes` if your logs begin with a long fixed header.

Files shorter than the fingerprint
    A file is not given an identity while it holds fewer than `fingerprint_bytes`
    bytes and is still growing; once it has not grown for `small_file_wait` seconds
    (or is rotated away) it gets the hash of what it holds. That identity is then
    fixed for good (event ids must not change) and the checkpoint records the head
    as it grows, so the file is recognised after a restart and not taken for a new
    file on every poll. Caveat: should the checkpoint file be lost, such a file
    (established short, since grown) gets a new identity and is stored twice.

Rotation
    - rename (logrotate `create`, nginx/squid reopen): the old file is followed by
      its open descriptor. If a watched pattern still matches its new name it stays
      a watched file; otherwise it is "orphaned": read until it has shown no new data
      for `rotate_wait` seconds, its unterminated last line (if any) emitted, then
      closed. The new file at the old name is a new identity, read from offset 0.
      Lines written to both after the rename are all read once.
    - copytruncate: seen as the size dropping below what was read, or the first
      bytes changing; the file is read again from 0 as a new identity. If the copy
      (`access.log.1`) matches a watched pattern it is recognised as the old identity
      and read on from where that identity stopped, so nothing is lost except what
      the writer appended between the copy and the truncation (inherent to
      copytruncate). Without the copy in the patterns, the unread tail of the old
      contents is lost too.
    - deletion: like an orphan, read to its end through the open descriptor.
    A file that stays matched but is never written again (the copytruncate copy)
    keeps an unterminated last line pending until it leaves the patterns.
    - compressed files (`.gz`, gzip magic) are skipped by `poll()` (they may still be
      being written); read them with `read_backfill()`.

Bounds
    A line longer than `max_line_bytes` is emitted once complete, cut to that length,
    with `truncated=True`; the rest is skipped, not buffered. A line without a final
    newline is held until completed, or emitted as is when its file is rotated away
    or at the end of a backfill. At most `max_open_files` descriptors: past that,
    the least recently read file at its end is closed and reopened by path when it
    grows (data written to it while closed is lost if it is renamed out of the
    patterns meanwhile); if none can be closed, new files wait (logged, counted).

Order is kept within a file, not across files. One process per checkpoint file.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import heapq
import logging
import os
import stat
import threading
import time
import zlib
from dataclasses import dataclass
from typing import IO, Callable, Iterable, Iterator

from sentinel.collect.checkpoint import CheckpointStore, hash_head

log = logging.getLogger("sentinel.collect.tail")

FINGERPRINT_BYTES = 256
GZIP_MAGIC = b"\x1f\x8b"
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip")
_UINT64_BYTES = 8
_MAX_ACK_GAP_RANGES = 100_000


@dataclass(frozen=True, slots=True)
class Line:
    path: str
    fingerprint: str
    offset: int  # byte offset of the line's first byte in this file identity
    end_offset: int  # just past the newline (or the last byte of an unterminated line)
    text: str  # utf-8 decoded with errors="replace", newline (and a \r before it) stripped
    truncated: bool = False  # longer than max_line_bytes: text is the first max_line_bytes

    @property
    def event_id(self) -> int:
        return event_id(self.fingerprint, self.offset)


@dataclass(slots=True)
class TailStats:
    """Counters for the daemon's metrics; nothing here is reset."""

    lines_total: int = 0
    bytes_read_total: int = 0
    truncated_lines_total: int = 0  # over max_line_bytes, cut
    unterminated_lines_total: int = 0  # emitted without a newline (rotated away, backfill end)
    files_opened_total: int = 0
    rotations_total: int = 0  # watched files renamed out of the patterns or deleted
    truncations_total: int = 0  # copytruncate / rewritten in place
    duplicate_heads_total: int = 0  # not read: same first bytes as a file being read
    open_deferred_total: int = 0  # opens put off by max_open_files
    evictions_total: int = 0  # descriptors closed to stay under max_open_files
    read_errors_total: int = 0


def event_id(fingerprint: str, offset: int) -> int:
    """A UInt64 id for the line at `offset` of the file identity `fingerprint`, stable across runs."""
    digest = hashlib.blake2b(f"{fingerprint}:{offset}".encode(), digest_size=_UINT64_BYTES).digest()
    return int.from_bytes(digest, "big")


def fingerprint(source: str | os.PathLike[str] | IO[bytes], nbytes: int = FINGERPRINT_BYTES) -> str | None:
    """Hex hash of the first `nbytes` bytes; None for an empty file.

    A path to a gzip file is hashed on its decompressed bytes, so it matches the file
    it was compressed from. A file object is hashed as is, its position left alone.
    A file shorter than `nbytes` gets the hash of what it holds (see the module notes
    on how the tailer keeps such an identity stable while the file grows). Raises
    OSError (EOFError for a gzip file cut short) when the head cannot be read.
    """
    head = read_head(source, nbytes)
    return hash_head(head) if head else None


def read_head(source: str | os.PathLike[str] | IO[bytes], nbytes: int) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        with _open_maybe_gzip(os.fspath(source)) as f:
            return _read_up_to(f, nbytes)
    try:
        return os.pread(source.fileno(), nbytes, 0)
    except (AttributeError, OSError, ValueError):  # no real descriptor (BytesIO, GzipFile...)
        pos = source.tell()
        try:
            source.seek(0)
            return _read_up_to(source, nbytes)
        finally:
            source.seek(pos)


def _open_maybe_gzip(path: str) -> IO[bytes]:
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else open(path, "rb")


def _read_up_to(f: IO[bytes], n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        data = f.read(n - got)
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


class _Splitter:
    """Bytes in, complete lines out, with bounded memory.

    `buf[start:]` holds bytes from file offset `pos` not yet emitted. When no newline
    is in sight and more than `limit` bytes are held, only the first `limit` are kept
    and the rest counted in `dropped` until the newline arrives.
    """

    __slots__ = ("pos", "buf", "start", "dropped", "limit", "ready")

    def __init__(self, pos: int, limit: int) -> None:
        self.pos = pos
        self.buf = bytearray()
        self.start = 0
        self.dropped = 0
        self.limit = limit
        self.ready: tuple[int, int, bytes, bool] | None = None

    @property
    def read_end(self) -> int:
        """File offset of the next byte to read."""
        return self.pos + len(self.buf) - self.start + self.dropped

    def feed(self, chunk: bytes) -> None:
        # Only called after next_line() returned None: at most one line is ever `ready`.
        if self.dropped:
            nl = chunk.find(b"\n")
            if nl < 0:
                self.dropped += len(chunk)
                return
            end = self.read_end + nl + 1
            self.ready = (self.pos, end, bytes(self.buf), True)
            self.pos, self.buf, self.start, self.dropped = end, bytearray(chunk[nl + 1:]), 0, 0
        else:
            self.buf += chunk

    def next_line(self) -> tuple[int, int, bytes, bool] | None:
        if self.ready is not None:
            line, self.ready = self.ready, None
            return line
        if self.dropped:
            return None
        buf = self.buf
        nl = buf.find(b"\n", self.start)
        if nl < 0:
            if self.start:
                del buf[:self.start]
                self.start = 0
            if len(buf) > self.limit:
                self.dropped = len(buf) - self.limit
                del buf[self.limit:]
            return None
        raw = bytes(buf[self.start:nl])
        off = self.pos
        self.pos = off + nl - self.start + 1
        self.start = nl + 1
        if len(raw) > self.limit:
            return off, self.pos, raw[:self.limit], True
        return off, self.pos, raw, False

    def flush(self) -> tuple[int, int, bytes, bool] | None:
        """The unterminated remainder as a line (call after next_line() returned None)."""
        if self.dropped:
            line = (self.pos, self.read_end, bytes(self.buf), True)
        elif len(self.buf) > self.start:
            line = (self.pos, self.read_end, bytes(self.buf[self.start:]), False)
        else:
            return None
        self.pos, self.buf, self.start, self.dropped = line[1], bytearray(), 0, 0
        return line


class _Watched:
    """One file (dev, inode) the tailer knows about."""

    __slots__ = (
        "key", "path", "fd", "fp", "head", "split", "start", "preexisting", "size", "changed_at",
        "orphan", "eof", "eof_poll", "eof_since", "last_read", "shadow_of", "ignored", "evict_sig", "warned",
        "unreadable",
    )

    def __init__(self, key: tuple[int, int], path: str, now: float, preexisting: bool) -> None:
        self.key = key
        self.path = path
        self.fd: int | None = None
        self.fp: str | None = None  # identity, once established
        self.head = b""  # first bytes as last seen (up to fingerprint size), to spot rewrites
        self.split: _Splitter | None = None
        self.start: int | None = None  # where a new identity starts (start_at="end")
        self.preexisting = preexisting
        self.size = -1
        self.changed_at = now
        self.orphan = False
        self.eof = False  # at the end when last read (may hold a descriptor we could give up)
        self.eof_poll = -1
        self.eof_since: float | None = None
        self.last_read = now
        self.shadow_of: str | None = None
        self.ignored = False
        self.evict_sig: tuple[int, int] | None = None
        self.warned = False
        self.unreadable = ""  # why the last open failed (permission denied...), until one succeeds


class _AckState:
    __slots__ = ("frontier", "heap", "warned")

    def __init__(self, frontier: int) -> None:
        self.frontier = frontier  # everything before is acknowledged
        self.heap: list[tuple[int, int]] = []  # acknowledged ranges beyond a gap
        self.warned = False


class _Budget:
    __slots__ = ("lines", "bytes")

    def __init__(self, lines: int, nbytes: int) -> None:
        self.lines = lines
        self.bytes = nbytes

    @property
    def spent(self) -> bool:
        return self.lines <= 0 or self.bytes <= 0


class FileTailer:
    """Reads new lines from files matching `paths` (paths or glob patterns).

    `poll()` never blocks; call it every `poll_interval` seconds, or use `follow()`.
    Thread-safe: acknowledgements may come from the store's thread.
    """

    def __init__(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        checkpoints: CheckpointStore,
        *,
        start_at: str = "beginning",
        max_line_bytes: int = 64 * 1024,
        read_chunk: int = 64 * 1024,
        fingerprint_bytes: int = FINGERPRINT_BYTES,
        max_batch_lines: int = 1000,
        max_batch_bytes: int = 4 * 1024 * 1024,
        max_open_files: int = 256,
        poll_interval: float = 0.25,
        rotate_wait: float = 30.0,
        small_file_wait: float = 5.0,
        prune_interval: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if start_at not in ("beginning", "end"):
            raise ValueError(f"start_at must be 'beginning' or 'end', got {start_at!r}")
        for name, value in (("max_line_bytes", max_line_bytes), ("read_chunk", read_chunk),
                            ("fingerprint_bytes", fingerprint_bytes), ("max_batch_lines", max_batch_lines),
                            ("max_batch_bytes", max_batch_bytes), ("max_open_files", max_open_files)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name, value in (("poll_interval", poll_interval), ("rotate_wait", rotate_wait),
                            ("small_file_wait", small_file_wait), ("prune_interval", prune_interval)):
            if value < 0:
                raise ValueError(f"{name} must not be negative, got {value!r}")
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        self.patterns = [os.fspath(p) for p in paths]
        if not self.patterns:
            raise ValueError("no paths to tail")
        self.checkpoints = checkpoints
        self.start_at = start_at
        self.max_line_bytes = max_line_bytes
        self.read_chunk = read_chunk
        self.fingerprint_bytes = fingerprint_bytes
        self.max_batch_lines = max_batch_lines
        self.max_batch_bytes = max_batch_bytes
        self.max_open_files = max_open_files
        self.poll_interval = poll_interval
        self.rotate_wait = rotate_wait
        self.small_file_wait = small_file_wait
        self.prune_interval = prune_interval
        self._clock = clock
        self.stats = TailStats()
        self._unmatched: set[str] = set()
        self._lock = threading.RLock()
        self._watched: dict[tuple[int, int], _Watched] = {}
        self._bound: dict[str, _Watched] = {}  # identity -> the one file reading it
        self._backfilling: set[str] = set()
        self._emitted: dict[str, int] = {}  # identity -> end of the last line handed out
        self._acks: dict[str, _AckState] = {}
        self._open = 0
        self._first_scan = True
        self._rr = 0
        self._next_prune: float | None = None
        self._closed = False
        self._polls = 0
        self._deferred = False  # an open was put off in this poll
        self._carry: list[Line] = []  # whole lines salvaged from a truncated file

    # -- public ----------------------------------------------------------------------

    def poll(self) -> list[Line]:
        """New complete lines from all watched files, at most max_batch_lines/bytes."""
        with self._lock:
            if self._closed:
                raise RuntimeError("tailer is closed")
            now = self._clock()
            self._polls += 1
            self._check_open(now)
            self._deferred = False
            self._scan(now)
            out, self._carry = self._carry, []
            budget = _Budget(self.max_batch_lines, self.max_batch_bytes)
            self._read(now, out, budget)
            if self._deferred and not budget.spent:
                # Files read to their end just now can give up their descriptors.
                self._deferred = False
                self._scan(now)
                self._read(now, out, budget)
            self._retire_orphans(now, out)
            self._maybe_prune(now)
            self.checkpoints.save()  # new identities are durable before their lines leave
            return out

    def follow(self, stop: threading.Event | None = None) -> Iterator[list[Line]]:
        """Batches as they come, sleeping poll_interval when there is nothing new."""
        stop = stop or threading.Event()
        while not stop.is_set():
            batch = self.poll()
            if batch:
                yield batch
            else:
                stop.wait(self.poll_interval)

    def ack(self, items: Iterable[Line | tuple[str, int, int]]) -> None:
        """The store holds these lines (or (fingerprint, offset, end_offset) ranges).

        The checkpoint moves over acknowledged data only: an acknowledged line after
        an unacknowledged one waits until the gap is filled. Acknowledge every line
        handed out, including those the caller quarantined.
        """
        with self._lock:
            moved: set[str] = set()
            for item in items:
                if isinstance(item, Line):
                    fp, start, end = item.fingerprint, item.offset, item.end_offset
                else:
                    fp, start, end = item
                state = self._ack_state(fp)
                if state is None:
                    log.debug("acknowledgement for unknown file identity %s ignored", fp)
                    continue
                if start <= state.frontier:
                    if end > state.frontier:
                        state.frontier = end
                        moved.add(fp)
                else:
                    heapq.heappush(state.heap, (start, end))
                    if len(state.heap) > _MAX_ACK_GAP_RANGES and not state.warned:
                        state.warned = True
                        log.warning("%d acknowledged lines of %s wait behind one never acknowledged: "
                                    "its checkpoint cannot move (acknowledge every line handed out, "
                                    "quarantined ones too)", len(state.heap), fp)
                while state.heap and state.heap[0][0] <= state.frontier:
                    _, end2 = heapq.heappop(state.heap)
                    if end2 > state.frontier:
                        state.frontier = end2
                        moved.add(fp)
            self._persist(moved)

    def commit(self, positions: dict[str, int]) -> None:
        """Everything of identity `fp` before `end_offset` is in the store.

        For callers that track positions themselves (max end offset per batch, in
        order); unlike `ack()` it cannot see gaps, so earlier data must be durable.
        """
        with self._lock:
            moved: set[str] = set()
            for fp, end in positions.items():
                state = self._ack_state(fp)
                if state is None:
                    log.debug("commit for unknown file identity %s ignored", fp)
                    continue
                if end > state.frontier:
                    state.frontier = end
                    moved.add(fp)
                while state.heap and state.heap[0][0] <= state.frontier:
                    state.frontier = max(state.frontier, heapq.heappop(state.heap)[1])
            self._persist(moved)

    def read_backfill(self, path: str | os.PathLike[str]) -> Iterator[Line]:
        """All lines of a (possibly gzip-compressed) file, from its checkpoint to its end.

        Identity is the fingerprint of the decompressed head, so a file already read
        while it was live, then compressed, resumes where it stopped (usually: at its
        end). The unterminated last line is emitted. A truncated or corrupt gzip stream
        stops the file with a warning, without emitting a partial last line. Lines are
        acknowledged with `ack()`/`commit()` like polled ones.
        """
        path = os.fspath(path)
        try:
            f = _open_maybe_gzip(path)
        except OSError as exc:
            log.warning("backfill: cannot open %s: %s", path, exc.strerror or exc)
            self.stats.read_errors_total += 1
            return
        fp: str | None = None
        try:
            width = max(self.fingerprint_bytes, self.checkpoints.max_head_len)
            try:
                head = _read_up_to(f, width)
            except (OSError, EOFError, zlib.error) as exc:
                log.warning("backfill: cannot read %s: %s", path, exc)
                self.stats.read_errors_total += 1
                return
            if not head:
                return
            with self._lock:
                claimed = self._claim_backfill(path, head)
                if claimed is None:
                    return
                fp, start = claimed
            split = _Splitter(start, self.max_line_bytes)
            if start < len(head):
                split.feed(head[start:])
            to_skip = max(0, start - len(head))  # resuming: already acknowledged
            while True:
                while (t := split.next_line()) is not None:
                    yield self._make_line(path, fp, t)
                try:
                    if to_skip:
                        if _skip(f, to_skip) < to_skip:
                            return  # shorter than what was already read
                        to_skip = 0
                    chunk = f.read(self.read_chunk)
                except (OSError, EOFError, zlib.error) as exc:
                    log.warning("backfill: %s is truncated or corrupt after byte %d (%s); "
                                "stopped there", path, split.read_end, exc)
                    self.stats.read_errors_total += 1
                    return
                if not chunk:
                    break
                self.stats.bytes_read_total += len(chunk)
                split.feed(chunk)
            t = split.flush()
            if t is not None:
                yield self._make_line(path, fp, t, unterminated=True)
        finally:
            f.close()
            if fp is not None:
                with self._lock:
                    self._backfilling.discard(fp)

    def close(self, *, save: bool = True) -> None:
        """Close descriptors and save checkpoints; unterminated lines stay unread.

        `save=False` drops unsaved state as a crash would (for tests and drills).
        """
        with self._lock:
            if self._closed:
                return
            for w in self._watched.values():
                self._close_fd(w)
            self._watched.clear()
            self._bound.clear()
            self._closed = True
            if save:
                self.checkpoints.save()

    def __enter__(self) -> FileTailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def open_files(self) -> int:
        return self._open

    # -- polling steps ---------------------------------------------------------------

    def _check_open(self, now: float) -> None:
        """Spot truncation and in-place rewrites of files being read."""
        for w in list(self._watched.values()):
            if w.fd is None or w.fp is None:
                continue
            try:
                size = os.fstat(w.fd).st_size
                head = os.pread(w.fd, max(self.fingerprint_bytes, len(w.head)), 0)
            except OSError as exc:
                self._read_error(w, exc)
                continue
            # Compare heads always, not only on a size/mtime change: a truncate and
            # rewrite to the same size can fall within one coarse timestamp tick.
            if size < w.split.read_end or not _same_prefix(head, w.head):
                self._restart_truncated(w, now)
            elif len(head) > len(w.head) and len(w.head) < self.fingerprint_bytes:
                w.head = head[:self.fingerprint_bytes]
                self.checkpoints.set_head(w.fp, len(w.head), hash_head(w.head))

    def _restart_truncated(self, w: _Watched, now: float) -> None:
        log.info("%s was truncated or rewritten (copytruncate?); reading it again from the start "
                 "as a new file", w.path)
        self.stats.truncations_total += 1
        # Whole lines already read are real data, gone from the file now: hand them out.
        while w.split is not None and (t := w.split.next_line()) is not None:
            self._carry.append(self._make_line(w.path, w.fp, t))
        self._unbind(w)
        w.head, w.split, w.start = b"", None, 0
        w.changed_at, w.eof, w.eof_since = now, False, None

    def _scan(self, now: float) -> None:
        seen: set[tuple[int, int]] = set()
        for path in self._expand():
            try:
                st = os.stat(path)
            except OSError:
                continue  # vanished between glob and stat
            if not stat.S_ISREG(st.st_mode) or path.endswith(COMPRESSED_SUFFIXES):
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue  # a symlink and its target
            seen.add(key)
            w = self._watched.get(key)
            if w is None:
                w = self._watched[key] = _Watched(key, path, now, self._first_scan)
            elif w.path != path or w.orphan:
                w.path, w.orphan, w.eof_since = path, False, None
            if st.st_size != w.size:
                w.size, w.changed_at = st.st_size, now
            if w.ignored:
                continue
            if w.fd is None:
                if w.shadow_of is not None and (w.shadow_of in self._bound or w.shadow_of in self._backfilling):
                    continue
                if w.fp is not None and w.evict_sig == (st.st_size, st.st_mtime_ns):
                    continue  # evicted and unchanged: no need for a descriptor
                if not self._open_fd(w):
                    continue
                if w.start is None:  # first sight: where a new identity would begin
                    w.start = self._start_offset(w) if w.preexisting and self.start_at == "end" else 0
            if w.fp is None:
                self._establish(w, now)
        self._first_scan = False
        for key, w in list(self._watched.items()):
            if key in seen:
                continue
            if w.fd is None:
                # Not reachable any more and no descriptor: nothing more can be read.
                self._unbind(w)
                del self._watched[key]
                continue
            if not w.orphan:
                w.orphan, w.eof_since = True, None
                self.stats.rotations_total += 1
                log.info("%s was rotated away or deleted; reading it to its end", w.path)
            if w.fp is None:
                self._establish(w, now)
                if w.fp is None:  # empty, or a copy of a file being read
                    self._close_fd(w)
                    del self._watched[key]

    def _read(self, now: float, out: list[Line], budget: _Budget) -> None:
        ready = [w for w in self._watched.values() if w.fd is not None and w.fp is not None]
        live = [w for w in ready if not w.orphan]
        if live:
            k = self._rr % len(live)
            live = live[k:] + live[:k]  # no file starves the others across polls
        self._rr += 1
        # Rotated-away files first: their lines are older than the new file's.
        for w in [w for w in ready if w.orphan] + live:
            if budget.spent:
                break
            self._read_one(w, now, out, budget)

    def _read_one(self, w: _Watched, now: float, out: list[Line], budget: _Budget) -> None:
        split = w.split
        while True:
            while budget.lines > 0 and (t := split.next_line()) is not None:
                out.append(self._make_line(w.path, w.fp, t))
                budget.lines -= 1
            if budget.spent:
                w.eof = False
                return
            try:
                chunk = os.pread(w.fd, min(self.read_chunk, budget.bytes), split.read_end)
            except OSError as exc:
                self._read_error(w, exc)
                return
            if not chunk:
                w.eof, w.eof_poll = True, self._polls
                if w.orphan and w.eof_since is None:
                    w.eof_since = now
                return
            w.eof, w.eof_since, w.last_read = False, None, now
            budget.bytes -= len(chunk)
            self.stats.bytes_read_total += len(chunk)
            split.feed(chunk)

    def _retire_orphans(self, now: float, out: list[Line]) -> None:
        for key, w in list(self._watched.items()):
            # Read to its end in this very poll, so nothing unread hides behind the flush.
            if not (w.orphan and w.eof_poll == self._polls and w.eof_since is not None
                    and now - w.eof_since >= self.rotate_wait):
                continue
            t = w.split.flush() if w.split is not None else None
            if t is not None:
                out.append(self._make_line(w.path, w.fp, t, unterminated=True))
            log.debug("closed rotated-away file %s", w.path)
            self._close_fd(w)
            self._unbind(w)
            del self._watched[key]

    def _maybe_prune(self, now: float) -> None:
        if self._next_prune is not None and now < self._next_prune:
            return
        self._next_prune = now + self.prune_interval
        keep = set(self._bound) | self._backfilling
        keep |= {fp for fp, s in self._acks.items() if s.heap or self._emitted.get(fp, 0) > s.frontier}
        for fp, w in self._bound.items():
            self.checkpoints.touch(fp, w.path)
        for fp in self.checkpoints.prune(keep=keep):
            self._acks.pop(fp, None)
            self._emitted.pop(fp, None)

    # -- identities ------------------------------------------------------------------

    def _establish(self, w: _Watched, now: float) -> None:
        """Give `w` an identity: a known one (resume) or a new one."""
        width = max(self.fingerprint_bytes, self.checkpoints.max_head_len)
        try:
            head = os.pread(w.fd, width, 0)
        except OSError as exc:
            self._read_error(w, exc)
            return
        if not head:
            return
        if (len(head) < self.fingerprint_bytes and not w.orphan
                and now - w.changed_at < self.small_file_wait):
            return  # still growing: wait for a stable head
        candidates = self.checkpoints.lookup_head(head)
        if candidates:
            best_len = self.checkpoints.get(candidates[0]).head_len
            free = [fp for fp in candidates
                    if self.checkpoints.get(fp).head_len == best_len
                    and fp not in self._bound and fp not in self._backfilling]
            if not free:
                self._shadow(w, candidates[0])
                return
            fp = free[0]
            start = max(self.checkpoints.get(fp).offset, self._emitted.get(fp, 0))
            self.checkpoints.touch(fp, w.path)
        else:
            fp = self._new_identity(w.path, head[:self.fingerprint_bytes], w.start)
            start = w.start
        w.shadow_of = None
        self._bind(w, fp, head, start)

    def _new_identity(self, path: str, head: bytes, start: int) -> str:
        fp, n = hash_head(head), 0
        # Taken only if an earlier short file began with exactly these bytes and then
        # grew differently: same first bytes, different file; salt it.
        while fp in self.checkpoints or fp in self._bound or fp in self._emitted:
            n += 1
            fp = hash_head(head + b"\0" + str(n).encode())
        self.checkpoints.register(fp, offset=start, path=path, head_len=len(head), head_hash=hash_head(head))
        return fp

    def _bind(self, w: _Watched, fp: str, head: bytes, start: int) -> None:
        w.fp, w.head, w.split = fp, head[:self.fingerprint_bytes], _Splitter(start, self.max_line_bytes)
        w.eof, w.eof_since = False, None
        self._bound[fp] = w
        self._ack_state(fp)
        if len(w.head) > self.checkpoints.get(fp).head_len:
            self.checkpoints.set_head(fp, len(w.head), hash_head(w.head))

    def _unbind(self, w: _Watched) -> None:
        if w.fp is not None and self._bound.get(w.fp) is w:
            del self._bound[w.fp]
        w.fp = None

    def _shadow(self, w: _Watched, of: str) -> None:
        # A copy of a file being read (copytruncate in progress, or a cp): wait until
        # that identity is released, without holding a descriptor.
        if w.shadow_of != of:
            self.stats.duplicate_heads_total += 1
            other = self._bound.get(of)
            log.info("%s starts with the same %d bytes as %s, which is being read: taken for a copy, "
                     "not read (if these are different files, raise the source's fingerprint_bytes)",
                     w.path, self.fingerprint_bytes, other.path if other else "a backfill")
        w.shadow_of = of
        self._close_fd(w)

    def _claim_backfill(self, path: str, head: bytes) -> tuple[str, int] | None:
        candidates = self.checkpoints.lookup_head(head)
        if candidates:
            fp = candidates[0]
            if fp in self._bound or fp in self._backfilling:
                other = self._bound.get(fp)
                log.warning("backfill: %s is the same file as %s, which is being read; skipped",
                            path, other.path if other else "another backfill")
                return None
            start = max(self.checkpoints.get(fp).offset, self._emitted.get(fp, 0))
            if len(head) > self.checkpoints.get(fp).head_len:
                fph = head[:self.fingerprint_bytes]
                self.checkpoints.set_head(fp, len(fph), hash_head(fph))
            self.checkpoints.touch(fp, path)
        else:
            fp = self._new_identity(path, head[:self.fingerprint_bytes], 0)
            start = 0
        self.checkpoints.save()
        self._backfilling.add(fp)
        self._ack_state(fp)
        return fp, start

    def _ack_state(self, fp: str) -> _AckState | None:
        state = self._acks.get(fp)
        if state is None:
            entry = self.checkpoints.get(fp)
            if entry is None:
                return None
            state = self._acks[fp] = _AckState(entry.offset)
        return state

    def _persist(self, moved: set[str]) -> None:
        for fp in moved:
            w = self._bound.get(fp)
            self.checkpoints.advance(fp, self._acks[fp].frontier, w.path if w else None)
        if moved:
            self.checkpoints.save()

    # -- files -----------------------------------------------------------------------

    def unreadable(self) -> list[tuple[str, str]]:
        """(path, why) of the files found that cannot be opened: a source with one is not up."""
        with self._lock:
            return [(w.path, w.unreadable) for w in self._watched.values() if w.unreadable]

    def _expand(self) -> list[str]:
        paths: dict[str, None] = {}
        for pattern in self.patterns:
            found = sorted(glob.glob(pattern, recursive=True))
            if not found and pattern not in self._unmatched:
                self._unmatched.add(pattern)  # said once: a typo must not pass for a quiet log
                log.warning("%s matches no file yet; waiting for it", pattern)
            for path in found:
                if os.path.isdir(path):  # a directory stands for the files in it
                    try:
                        names = sorted(os.listdir(path))
                    except OSError:
                        continue  # unreadable or gone: looked at again next scan
                    for name in names:
                        if not name.startswith("."):
                            paths[os.path.join(path, name)] = None
                else:
                    paths[path] = None
        return list(paths)

    def _open_fd(self, w: _Watched) -> bool:
        if self._open >= self.max_open_files and not self._evict(w):
            self.stats.open_deferred_total += 1
            self._deferred = True
            if not w.warned:
                w.warned = True
                log.warning("max_open_files (%d) reached: %s waits for a free slot", self.max_open_files, w.path)
            return False
        try:
            fd = os.open(w.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            if not w.warned:
                w.warned = True
                log.warning("cannot open %s: %s", w.path, exc.strerror or exc)
            w.unreadable = str(exc.strerror or exc)
            self.stats.read_errors_total += 1
            return False
        try:
            st = os.fstat(fd)
            magic = os.pread(fd, 2, 0)
        except OSError as exc:
            os.close(fd)
            self._read_error(w, exc)
            return False
        if (st.st_dev, st.st_ino) != w.key:
            os.close(fd)  # replaced between stat and open: the next scan sees the new file
            return False
        if magic == GZIP_MAGIC:
            os.close(fd)
            w.ignored = True
            log.info("%s is gzip-compressed: not tailed (use backfill)", w.path)
            return False
        w.fd, w.warned, w.evict_sig, w.unreadable = fd, False, None, ""
        self._open += 1
        self.stats.files_opened_total += 1
        if w.fp is not None:  # reopened after eviction: it must still be the same contents
            head = os.pread(fd, max(self.fingerprint_bytes, len(w.head)), 0)
            if st.st_size < w.split.read_end or not _same_prefix(head, w.head):
                self._restart_truncated(w, self._clock())
        return True

    def _evict(self, needing: _Watched) -> bool:
        victim = None
        for w in self._watched.values():
            if w is needing or w.fd is None or w.fp is None or w.orphan or not w.eof:
                continue
            if victim is None or w.last_read < victim.last_read:
                victim = w
        if victim is None:
            return False
        try:
            st = os.fstat(victim.fd)
        except OSError:
            return False
        victim.evict_sig = (st.st_size, st.st_mtime_ns)
        victim.split = _Splitter(victim.split.pos, self.max_line_bytes)  # re-read a partial line later
        self._close_fd(victim)
        self.stats.evictions_total += 1
        return True

    def _close_fd(self, w: _Watched) -> None:
        if w.fd is not None:
            try:
                os.close(w.fd)
            finally:
                w.fd = None
                self._open -= 1

    def _start_offset(self, w: _Watched) -> int:
        """start_at="end": just after the last newline, so the first line read is whole."""
        size = os.fstat(w.fd).st_size
        n = min(size, self.max_line_bytes)
        tail = os.pread(w.fd, n, size - n)
        i = tail.rfind(b"\n")
        return size - n + i + 1 if i >= 0 else size

    def _read_error(self, w: _Watched, exc: OSError) -> None:
        self.stats.read_errors_total += 1
        if not w.warned:
            w.warned = True
            log.warning("reading %s: %s", w.path, exc.strerror or exc)

    def _make_line(self, path: str, fp: str, t: tuple[int, int, bytes, bool], unterminated: bool = False) -> Line:
        off, end, raw, truncated = t
        if not truncated and raw.endswith(b"\r"):
            raw = raw[:-1]
        self._emitted[fp] = end
        self.stats.lines_total += 1
        self.stats.truncated_lines_total += truncated
        self.stats.unterminated_lines_total += unterminated
        return Line(path, fp, off, end, raw.decode("utf-8", "replace"), truncated)


def _same_prefix(a: bytes, b: bytes) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _skip(f: IO[bytes], n: int) -> int:
    skipped = 0
    while skipped < n:
        data = f.read(min(1 << 20, n - skipped))
        if not data:
            break
        skipped += len(data)
    return skipped
