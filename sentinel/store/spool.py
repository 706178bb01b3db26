"""A bounded, ordered spool of batches on disk for when ClickHouse is away.

Each batch is one Arrow IPC file named by a sequence number, written to a
temporary name, fsynced and renamed, so a crash leaves either a whole batch or
none. Replay goes in sequence order; a batch that ClickHouse keeps refusing
while it is otherwise healthy is moved to `rejected/` for inspection.

An erasure request reaches the spool too (`scrub`): the rows of the erased value hashes
are cut from every batch waiting there or rejected, so a replay after the erasure cannot
bring them back. A lock file orders the two, across processes: a batch is never
rewritten while it is being replayed.
"""

from __future__ import annotations

import fcntl
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

_NAME = re.compile(r"^(\d{16})\.([a-z0-9_]+)\.arrow$")


@dataclass(frozen=True)
class SpoolEntry:
    seq: int
    table: str
    path: Path

    @property
    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0


class Spool:
    def __init__(self, directory: Path, max_bytes: int):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in self.directory.glob("*.tmp"):
            leftover.unlink(missing_ok=True)  # a crash mid-write: the batch was never acknowledged
        entries = self.entries()
        self._next_seq = entries[-1].seq + 1 if entries else 1
        self._bytes = sum(entry.size for entry in entries)

    def locked(self):
        """Held while one batch is replayed: ``scrub`` waits for it (see spool_lock)."""
        return spool_lock(self.directory)

    def resync(self) -> None:
        """Count the bytes on disk again: a scrub may have made batches smaller."""
        self._bytes = sum(entry.size for entry in self.entries())

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self.entries())

    def entries(self) -> list[SpoolEntry]:
        found = []
        for path in self.directory.iterdir():
            match = _NAME.match(path.name)
            if match:
                found.append(SpoolEntry(int(match.group(1)), match.group(2), path))
        return sorted(found, key=lambda entry: entry.seq)

    def append(self, table: str, batch: pa.Table) -> SpoolEntry | None:
        """Write a batch durably; None when the spool is full (the caller must not ack)."""
        data = _serialise(batch)
        if self._bytes + data.size > self.max_bytes:
            return None
        entry = SpoolEntry(self._next_seq, table, self.directory / f"{self._next_seq:016d}.{table}.arrow")
        _write_durably(entry.path, entry.path.with_suffix(".tmp"), data)
        self._next_seq += 1
        self._bytes += data.size
        return entry

    @staticmethod
    def read(entry: SpoolEntry) -> pa.Table:
        return _read(entry.path)

    def remove(self, entry: SpoolEntry) -> None:
        size = entry.size
        entry.path.unlink(missing_ok=True)
        self._bytes = max(0, self._bytes - size)

    def reject(self, entry: SpoolEntry) -> Path:
        """Move a batch ClickHouse refuses out of the replay queue, keeping it for inspection."""
        rejected = self.directory / "rejected"
        rejected.mkdir(exist_ok=True)
        size = entry.size
        target = rejected / entry.path.name
        os.replace(entry.path, target)
        self._bytes = max(0, self._bytes - size)
        return target


@contextmanager
def spool_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on the spool, between processes and threads alike (each holder
    opens the lock file itself, and flock locks belong to the open file)."""
    fd = os.open(Path(directory) / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def scrub(directory: Path, table: str, column: str, values: list[str]) -> tuple[int, list[str]]:
    """Cut the rows whose ``column`` is one of ``values`` from every batch of ``table``
    spooled in ``directory`` or rejected there: (rows cut, the batches that could not
    be scrubbed, each "path: why"). A batch left empty is removed. Raises OSError when
    the spool cannot be locked (it belongs to another user)."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0, []
    wanted = pa.array(sorted(set(values)), type=pa.string())
    cut = 0
    failed: list[str] = []
    with spool_lock(directory):
        for folder in (directory, directory / "rejected"):
            if not folder.is_dir():
                continue
            for leftover in folder.glob(".*.scrub"):
                leftover.unlink()  # an earlier scrub that crashed; its batch is still whole
            for path in sorted(folder.iterdir()):
                match = _NAME.match(path.name)
                if match is None or match.group(2) != table:
                    continue
                try:
                    cut += _scrub_batch(path, column, wanted)
                except (OSError, pa.ArrowException) as exc:  # a damaged batch: the others still go
                    failed.append(f"{path}: {getattr(exc, 'strerror', None) or exc}")
    return cut, failed


def _scrub_batch(path: Path, column: str, wanted: pa.Array) -> int:
    batch = _read(path)
    if column not in batch.column_names:
        return 0
    erased = pc.fill_null(pc.is_in(batch.column(column), value_set=wanted), False)
    n = pc.sum(erased).as_py() or 0
    if not n:
        return 0
    if n == batch.num_rows:
        path.unlink()
        _fsync_dir(path.parent)
    else:
        # A temporary name neither replay nor a new Spool reads.
        _write_durably(path, path.with_name(f".{path.name}.scrub"), _serialise(batch.filter(pc.invert(erased))))
    return int(n)


def _serialise(batch: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_table(batch)
    return sink.getvalue()


def _read(path: Path) -> pa.Table:
    with pa.ipc.open_stream(pa.OSFile(str(path), "rb")) as reader:
        return reader.read_all()


def _write_durably(path: Path, tmp: Path, data: pa.Buffer) -> None:
    """``data`` at ``path`` whole or not at all: written to ``tmp``, fsynced, renamed."""
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
