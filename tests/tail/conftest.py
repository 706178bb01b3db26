"""Fixtures for the tailer tests: real files in a temporary directory, a clock moved by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from tailkit import ManualClock, Writer

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.collect.tail import FileTailer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def logs(tmp_path) -> Path:
    d = tmp_path / "logs"
    d.mkdir()
    return d


@pytest.fixture
def state(tmp_path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def make_tailer(state, clock):
    """A tailer over `patterns` with its checkpoints in `state`; a fresh store each call (a restart)."""
    made: list[FileTailer] = []

    def make(patterns, **kw) -> FileTailer:
        kw.setdefault("small_file_wait", 0.0)
        kw.setdefault("clock", clock)
        tailer = FileTailer([str(p) for p in patterns] if isinstance(patterns, list) else str(patterns),
                            CheckpointStore(state), **kw)
        made.append(tailer)
        return tailer

    yield make
    for tailer in made:
        tailer.close()


@pytest.fixture
def writer(logs):
    made: list[Writer] = []

    def make(name: str = "access.log") -> Writer:
        w = Writer(logs / name)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
