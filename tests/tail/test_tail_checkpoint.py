"""CheckpointStore: round trip, corrupt files, atomic replacement, pruning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tailkit import drain

from sentinel.collect.checkpoint import CheckpointStore, hash_head

ROOT = Path(__file__).resolve().parents[2]


def _register(store, fp="f" * 32, offset=10, head=b"head"):
    return store.register(fp, offset=offset, path="/var/log/x.log", head_len=len(head), head_hash=hash_head(head))


def test_round_trip(state):
    store = CheckpointStore(state)
    _register(store)
    store.advance("f" * 32, 99, "/var/log/x.log.1")
    assert store.save()
    assert not store.save()  # nothing changed
    again = CheckpointStore(state)
    entry = again.get("f" * 32)
    assert (entry.offset, entry.path, entry.head_len) == (99, "/var/log/x.log.1", 4)
    assert again.lookup_head(b"head and more") == ["f" * 32]
    assert again.lookup_head(b"hea") == []


def test_offset_never_moves_back(state):
    store = CheckpointStore(state)
    _register(store, offset=50)
    assert not store.advance("f" * 32, 40)
    assert store.get("f" * 32).offset == 50


@pytest.mark.parametrize("content", [
    b"{not json",
    b"",
    b"\xff\xfe garbage",
    b"[]",
    b'{"version": 2, "checkpoints": {}}',
    b'{"version": 1, "checkpoints": {"ab": {"offset": -1, "path": "p", "updated": 0, "head_len": 1, "head_hash": "h"}}}',
    b'{"version": 1, "checkpoints": {"ab": {"offset": "7", "path": "p", "updated": 0, "head_len": 1, "head_hash": "h"}}}',
    b'{"version": 1, "checkpoints": {"ab": {"offset": 7, "path": "p", "updated": 0}}}',
])
def test_corrupt_file_is_moved_aside_and_reading_starts_fresh(state, content, caplog):
    state.mkdir()
    (state / "checkpoints.json").write_bytes(content)
    store = CheckpointStore(state)
    assert len(store) == 0
    assert store.corrupt_moved_to is not None and store.corrupt_moved_to.read_bytes() == content
    assert not (state / "checkpoints.json").exists()
    assert "corrupt" in caplog.text and str(store.corrupt_moved_to) in caplog.text
    _register(store)
    store.save()
    assert len(CheckpointStore(state)) == 1


def test_corrupt_checkpoint_rereads_and_event_ids_match(logs, writer, make_tailer, state):
    w = writer()
    w.lines(*(f"line {i} " + "x" * 40 for i in range(10)))
    before = drain(make_tailer(logs / "access.log"))
    (state / "checkpoints.json").write_text("{torn")
    after = drain(make_tailer(logs / "access.log"))
    # read again from the start, but with the same ids: the store keeps one copy
    assert [x.event_id for x in after] == [x.event_id for x in before]
    assert len(list(state.glob("checkpoints.json.corrupt-*"))) == 1


def test_unreadable_state_dir_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("")
    from sentinel.collect.checkpoint import CheckpointError
    with pytest.raises(CheckpointError, match="checkpoint directory"):
        CheckpointStore(tmp_path / "file" / "state")


def test_failed_write_leaves_the_previous_file(state, monkeypatch):
    store = CheckpointStore(state)
    _register(store, offset=1)
    store.save()
    good = (state / "checkpoints.json").read_bytes()
    store.advance("f" * 32, 2)

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        store.save()
    assert (state / "checkpoints.json").read_bytes() == good
    assert [p.name for p in state.iterdir()] == ["checkpoints.json"]  # temp file removed
    assert store.dirty  # still to be written


def test_stale_temp_files_are_removed(state):
    state.mkdir()
    (state / ".checkpoints.json.123.456.tmp").write_text("{half")
    CheckpointStore(state)
    assert list(state.iterdir()) == []


def test_prune_forgets_old_identities_but_keeps_live_ones(state):
    now = [1_000_000.0]
    store = CheckpointStore(state, retention_days=1, wall_clock=lambda: now[0])
    _register(store, "a" * 32, head=b"a")
    _register(store, "b" * 32, head=b"b")
    _register(store, "c" * 32, head=b"c")
    now[0] += 2 * 86400
    store.touch("c" * 32)
    assert sorted(store.prune(keep={"b" * 32})) == ["a" * 32]
    assert store.lookup_head(b"a") == []
    store.save()
    assert sorted(e.fingerprint for e in CheckpointStore(state)) == ["b" * 32, "c" * 32]


_HAMMER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from sentinel.collect.checkpoint import CheckpointStore, hash_head
    store = CheckpointStore({state!r})
    for i in range(200):
        store.register("%032x" % i, offset=i, path="/x/" + "p" * (i % 300), head_len=1, head_hash=hash_head(b"%d" % i))
    store.save()
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        for j in range(200):
            store.advance("%032x" % j, i * 1000 + j)
        store.save()
""")


def test_checkpoint_file_is_always_valid_json(state):
    """Read while another process rewrites it in a loop, then SIGKILL that process mid-write."""
    proc = subprocess.Popen([sys.executable, "-c", _HAMMER.format(root=str(ROOT), state=str(state))],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        offsets = []
        for _ in range(300):
            doc = json.loads((state / "checkpoints.json").read_bytes())
            assert len(doc["checkpoints"]) == 200
            offsets.append(doc["checkpoints"]["%032x" % 0]["offset"])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert offsets == sorted(offsets)
    doc = json.loads((state / "checkpoints.json").read_bytes())
    assert len(doc["checkpoints"]) == 200
    assert len(CheckpointStore(state)) == 200  # loads cleanly; the torn temp file is dropped
    assert not list(state.glob(".*.tmp"))
