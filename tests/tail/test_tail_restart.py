"""A tailer SIGKILLed after committing some batches: the next one re-delivers only the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tailkit import Writer, drain

ROOT = Path(__file__).resolve().parents[2]

# The child plays the daemon: each batch goes to the "store" (a file, fsynced) and only
# then, for the first COMMIT batches, is acknowledged. It then hangs until killed.
_CHILD = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, {root!r})
    from sentinel.collect.checkpoint import CheckpointStore
    from sentinel.collect.tail import FileTailer

    tailer = FileTailer({pattern!r}, CheckpointStore({state!r}), small_file_wait=0, max_batch_lines=7)
    report = {{"committed": [], "uncommitted": []}}
    with open({store!r}, "a") as store:
        for n in range(1, {stop} + 1):
            batch = tailer.poll()
            for line in batch:
                store.write(json.dumps([line.event_id, line.text]) + "\\n")
            store.flush()
            os.fsync(store.fileno())
            if n <= {commit}:
                tailer.ack(batch)
            report["committed" if n <= {commit} else "uncommitted"] += [line.event_id for line in batch]
    print(json.dumps(report), flush=True)
    time.sleep(600)
""")


def _store_rows(path: Path) -> list[tuple[int, str]]:
    return [tuple(json.loads(x)) for x in path.read_text().splitlines()]


def test_restart_after_sigkill_redelivers_exactly_the_uncommitted(tmp_path, logs, state):
    expected = [f"2024-06-01T10:00:{i:02d}Z line {i} " + "." * (i % 7) for i in range(60)]
    w = Writer(logs / "access.log")
    w.lines(*expected[:30])
    os.rename(logs / "access.log", logs / "access.log.1")  # a rotation before the crash
    old, w = w, Writer(logs / "access.log")
    w.lines(*expected[30:45])
    old.lines(*expected[45:50])  # straggler written to the renamed file
    store = tmp_path / "store.jsonl"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(root=str(ROOT), pattern=str(logs / "access.log*"), state=str(state),
                                             store=str(store), stop=5, commit=3)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        report = json.loads(child.stdout.readline())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(report["committed"]) == 21 and len(report["uncommitted"]) == 14

    w.lines(*expected[50:])  # the world moves on while Sentinel is down
    from sentinel.collect.checkpoint import CheckpointStore
    from sentinel.collect.tail import FileTailer

    with FileTailer(str(logs / "access.log*"), CheckpointStore(state), small_file_wait=0) as tailer:
        again = drain(tailer)
    with store.open("a") as f:
        for line in again:
            f.write(json.dumps([line.event_id, line.text]) + "\n")
    old.close()
    w.close()

    redelivered = {x.event_id for x in again} & (set(report["committed"]) | set(report["uncommitted"]))
    assert redelivered == set(report["uncommitted"])
    rows = _store_rows(store)
    by_id: dict[int, set[str]] = {}
    for eid, text in rows:
        by_id.setdefault(eid, set()).add(text)
    assert all(len(t) == 1 for t in by_id.values())  # an id never names two lines
    assert sorted(t.pop() for t in by_id.values()) == sorted(expected)  # deduplicated: all, once
