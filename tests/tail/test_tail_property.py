"""Random appends, rotations, truncations, polls and crashes: after dedup by event id the
store holds every line exactly once, and an event id never names two lines.

The writer holds its file open (O_APPEND) like a proxy does; after a rename rotation it
may still write to the old file. Operations are sequential, so a copytruncate's writes
never race the copy (the documented caveat), and the patterns match the rotated names,
so the copy is read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.collect.tail import FileTailer

_POLL = st.tuples(st.just("poll"), st.tuples(st.integers(0, 100), st.integers(0, 100)))
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 6)),
        st.tuples(st.just("append_old"), st.integers(1, 3)),
        st.tuples(st.just("partial"), st.just(0)),
        st.tuples(st.just("complete"), st.just(0)),
        st.tuples(st.just("rotate"), st.just(0)),
        st.tuples(st.just("copytruncate"), st.just(0)),
        # (percent of the batch the store took, percent of that acknowledged); lines the
        # store did not take come again only after a restart (a daemon's spool-full case)
        _POLL,
        _POLL,
        st.tuples(st.just("crash"), st.integers(0, 100)),  # percent stored before the kill
    ),
    max_size=45,
)


class World:
    def __init__(self, root: Path, fingerprint_bytes: int, batch: int) -> None:
        self.logs = root / "logs"
        self.logs.mkdir()
        self.state = root / "state"
        self.kw = dict(fingerprint_bytes=fingerprint_bytes, max_batch_lines=batch, small_file_wait=0.0,
                       rotate_wait=0.0, clock=self.clock)
        self.now = 0.0
        self.n = 0
        self.written: list[str] = []
        self.cur = open(self.logs / "app.log", "ab", buffering=0)
        self.prev = None
        self.partial: tuple[str, str] | None = None
        self.store: dict[int, set[str]] = {}
        self.tailer = self._tailer()

    def clock(self) -> float:
        return self.now

    def _tailer(self) -> FileTailer:
        return FileTailer(str(self.logs / "app.log*"), CheckpointStore(self.state, fsync=False), **self.kw)

    def _line(self) -> str:
        self.n += 1
        return f"L{self.n:05d}-" + "x" * (self.n * 7 % 23)

    def append(self, k: int, f=None) -> None:
        self.complete()
        lines = [self._line() for _ in range(k)]
        (f or self.cur).write("".join(x + "\n" for x in lines).encode())
        self.written += lines

    def append_old(self, k: int) -> None:
        if self.prev is not None:
            self.append(k, self.prev)

    def start_partial(self) -> None:
        if self.partial is None:
            text = self._line()
            cut = len(text) // 2
            self.partial = (text, text[cut:])
            self.cur.write(text[:cut].encode())

    def complete(self) -> None:
        if self.partial is not None:
            text, rest = self.partial
            self.cur.write((rest + "\n").encode())
            self.written.append(text)
            self.partial = None

    def _shift(self) -> None:
        rotated = sorted((int(p.name.rsplit(".", 1)[1]) for p in self.logs.glob("app.log.*")), reverse=True)
        for k in rotated:
            os.rename(self.logs / f"app.log.{k}", self.logs / f"app.log.{k + 1}")

    def rotate(self) -> None:
        self.complete()
        self._shift()
        os.rename(self.logs / "app.log", self.logs / "app.log.1")
        if self.prev is not None:
            self.prev.close()
        self.prev, self.cur = self.cur, open(self.logs / "app.log", "ab", buffering=0)

    def copytruncate(self) -> None:
        self.complete()
        self._shift()
        shutil.copyfile(self.logs / "app.log", self.logs / "app.log.1")
        os.ftruncate(self.cur.fileno(), 0)

    def _keep(self, lines) -> None:
        for line in lines:
            self.store.setdefault(line.event_id, set()).add(line.text)

    def poll(self, percents: tuple[int, int]) -> None:
        batch = self.tailer.poll()
        stored = batch[: len(batch) * percents[0] // 100]
        self._keep(stored)
        self.tailer.ack(stored[: len(stored) * percents[1] // 100])

    def crash(self, percent: int) -> None:
        batch = self.tailer.poll()
        self._keep(batch[: len(batch) * percent // 100])  # the rest was in flight
        self.tailer.close(save=False)
        self.tailer = self._tailer()

    def finish(self) -> None:
        self.complete()
        self.crash(0)  # whatever was not acknowledged comes again
        while batch := self.tailer.poll():
            self._keep(batch)
            self.tailer.ack(batch)
        self.tailer.close()
        for f in (self.cur, self.prev):
            if f is not None:
                f.close()


@settings(max_examples=300, deadline=None)
@given(ops=OPS, fingerprint_bytes=st.sampled_from([16, 48, 256]), batch=st.integers(1, 8))
def test_no_line_lost_or_duplicated(ops, fingerprint_bytes, batch):
    with tempfile.TemporaryDirectory() as root:
        world = World(Path(root), fingerprint_bytes, batch)
        actions = {"append": world.append, "append_old": world.append_old,
                   "partial": lambda _: world.start_partial(), "complete": lambda _: world.complete(),
                   "rotate": lambda _: world.rotate(), "copytruncate": lambda _: world.copytruncate(),
                   "poll": world.poll, "crash": world.crash}
        for name, arg in ops:
            actions[name](arg)
            world.now += 1
        world.finish()
        assert all(len(t) == 1 for t in world.store.values()), "an event id named two different lines"
        stored = sorted(next(iter(t)) for t in world.store.values())
        assert stored == sorted(world.written)
