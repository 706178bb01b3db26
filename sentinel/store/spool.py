"""A bounded, ordered spool of batches on disk for when ClickHouse is away.

Each batch is one Arrow IPC file named by a sequence number, written to a
temporary name, fsynced and renamed, so a crash leaves either a whole batch or
none. Replay goes in sequence order; a batch that ClickHouse keeps refusing
while it is otherwise healthy is moved to `rejected/` for inspection.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

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
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_table(batch)
        data = sink.getvalue()
        if self._bytes + data.size > self.max_bytes:
            return None
        entry = SpoolEntry(self._next_seq, table, self.directory / f"{self._next_seq:016d}.{table}.arrow")
        tmp = entry.path.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, entry.path)
        _fsync_dir(self.directory)
        self._next_seq += 1
        self._bytes += data.size
        return entry

    @staticmethod
    def read(entry: SpoolEntry) -> pa.Table:
        with pa.ipc.open_stream(pa.OSFile(str(entry.path), "rb")) as reader:
            return reader.read_all()

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


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
