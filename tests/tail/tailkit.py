"""Helpers shared by the tailer tests (imported by the tests and by their child processes)."""

from __future__ import annotations

from pathlib import Path

from sentinel.collect.tail import FileTailer, Line


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def drain(tailer: FileTailer, *, ack: bool = True) -> list[Line]:
    """Poll until nothing new comes; acknowledge everything when `ack`."""
    out: list[Line] = []
    while batch := tailer.poll():
        out.extend(batch)
        if ack:
            tailer.ack(batch)
    return out


def texts(lines) -> list[str]:
    return [line.text for line in lines]


class Writer:
    """An appending log writer holding its file open, like nginx or squid."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.f = open(path, "ab", buffering=0)

    def write(self, data: str | bytes) -> None:
        self.f.write(data.encode() if isinstance(data, str) else data)

    def lines(self, *items: str) -> None:
        self.write("".join(f"{item}\n" for item in items))

    def reopen(self) -> None:
        self.f.close()
        self.f = open(self.path, "ab", buffering=0)

    def close(self) -> None:
        self.f.close()
