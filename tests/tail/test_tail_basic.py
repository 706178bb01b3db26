"""Following one file: appends, partial and over-long lines, acknowledgements, start position."""

from __future__ import annotations

import io
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tailkit import drain, texts

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.collect.tail import FileTailer, event_id, fingerprint


def test_fingerprint_hashes_first_bytes_only(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    a.write_bytes(b"x" * 256 + b"tail one")
    b.write_bytes(b"x" * 256 + b"something else")
    c.write_bytes(b"y" + b"x" * 300)
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)
    assert fingerprint(a, nbytes=300) != fingerprint(b, nbytes=300)


def test_fingerprint_short_and_empty_files(tmp_path):
    short, empty = tmp_path / "short", tmp_path / "empty"
    short.write_bytes(b"one line\n")
    empty.write_bytes(b"")
    assert fingerprint(short) is not None
    assert fingerprint(empty) is None


def test_fingerprint_of_file_object_keeps_its_position(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"hello\nworld\n")
    with open(path, "rb") as f:
        f.seek(6)
        assert fingerprint(f) == fingerprint(path)
        assert f.tell() == 6
    buf = io.BytesIO(b"hello\nworld\n")
    buf.seek(3)
    assert fingerprint(buf) == fingerprint(path)
    assert buf.tell() == 3


def test_event_id_is_deterministic_uint64():
    a = event_id("ab" * 16, 0)
    assert a == event_id("ab" * 16, 0)
    assert 0 <= a < 2**64
    assert a != event_id("ab" * 16, 1) != event_id("cd" * 16, 0)


def test_append_and_poll(logs, writer, make_tailer):
    w = writer()
    w.lines("one", "two")
    tailer = make_tailer(logs / "access.log")
    first = tailer.poll()
    assert texts(first) == ["one", "two"]
    assert [(x.offset, x.end_offset) for x in first] == [(0, 4), (4, 8)]
    assert {x.path for x in first} == {str(logs / "access.log")}
    assert tailer.poll() == []
    w.lines("three")
    (third,) = tailer.poll()
    assert (third.text, third.offset, third.end_offset) == ("three", 8, 14)
    assert third.fingerprint == first[0].fingerprint
    assert third.event_id == event_id(third.fingerprint, 8)


def test_new_files_matching_a_glob_are_picked_up(logs, writer, make_tailer):
    tailer = make_tailer(logs / "*.log")
    assert tailer.poll() == []
    writer("a.log").lines("from a")
    writer("b.log").lines("from b")
    (logs / "ignored.txt").write_text("not matched\n")
    assert sorted(texts(tailer.poll())) == ["from a", "from b"]


def test_unterminated_line_waits_for_its_newline(logs, writer, make_tailer):
    w = writer()
    w.write("complete\nhalf a li")
    tailer = make_tailer(logs / "access.log")
    assert texts(tailer.poll()) == ["complete"]
    assert tailer.poll() == []
    w.write("ne\nnext\n")
    lines = tailer.poll()
    assert texts(lines) == ["half a line", "next"]
    assert lines[0].offset == len("complete\n")


def test_crlf_is_stripped(logs, writer, make_tailer):
    writer().write(b"windows\r\nunix\n")
    assert texts(make_tailer(logs / "access.log").poll()) == ["windows", "unix"]


def test_over_long_line_is_truncated_and_flagged(logs, writer, make_tailer):
    w = writer()
    tailer = make_tailer(logs / "access.log", max_line_bytes=10, read_chunk=4)
    w.write("short\n" + "x" * 50)
    assert texts(tailer.poll()) == ["short"]
    w.write("y" * 50 + "\nafter\n")
    long, after = tailer.poll()
    assert long.truncated and long.text == "x" * 10
    assert (long.offset, long.end_offset) == (6, 6 + 101)
    assert not after.truncated and after.text == "after" and after.offset == 107
    assert tailer.stats.truncated_lines_total == 1


def test_line_of_exactly_max_bytes_is_not_truncated(logs, writer, make_tailer):
    writer().write("a" * 10 + "\n" + "b" * 11 + "\n")
    a, b = make_tailer(logs / "access.log", max_line_bytes=10, read_chunk=3).poll()
    assert (a.text, a.truncated) == ("a" * 10, False)
    assert (b.text, b.truncated) == ("b" * 10, True)


def test_memory_stays_bounded_without_newlines(logs, writer, make_tailer):
    w = writer()
    tailer = make_tailer(logs / "access.log", max_line_bytes=100, read_chunk=64)
    for _ in range(50):
        w.write(os.urandom(1000).replace(b"\n", b"."))
        assert tailer.poll() == []
        (held,) = [x.split for x in tailer._watched.values()]
        assert len(held.buf) <= 100 + 64


def test_binary_garbage_does_not_crash(logs, writer, make_tailer):
    garbage = bytes(range(256)) * 8 + b"\xff\xfe\x00\x80\n"
    writer().write(garbage + b"fine\n")
    lines = make_tailer(logs / "access.log").poll()
    assert lines[-1].text == "fine"
    assert lines[-1].end_offset == len(garbage) + 5
    assert "\ufffd" in "".join(texts(lines))


def test_batches_are_bounded_and_nothing_is_skipped(logs, writer, make_tailer):
    writer().lines(*(f"line {i}" for i in range(25)))
    tailer = make_tailer(logs / "access.log", max_batch_lines=10)
    sizes = []
    got = []
    while batch := tailer.poll():
        sizes.append(len(batch))
        got.extend(batch)
    assert sizes == [10, 10, 5]
    assert texts(got) == [f"line {i}" for i in range(25)]


def test_byte_budget_bounds_a_poll(logs, writer, make_tailer):
    writer().lines(*(f"{i:04d}" for i in range(100)))  # 5 bytes each
    tailer = make_tailer(logs / "access.log", max_batch_bytes=50, read_chunk=50)
    first = tailer.poll()
    assert 0 < len(first) <= 10
    assert texts(first + drain(tailer)) == [f"{i:04d}" for i in range(100)]


def test_busy_file_does_not_starve_others(logs, writer, make_tailer):
    writer("busy.log").lines(*(f"b{i}" for i in range(100)))
    writer("quiet.log").lines("q")
    tailer = make_tailer(logs / "*.log", max_batch_lines=10)
    seen = texts(tailer.poll()) + texts(tailer.poll())
    assert "q" in seen


def test_checkpoint_advances_only_on_ack(logs, writer, make_tailer, state):
    writer().lines("a", "b", "c")
    tailer = make_tailer(logs / "access.log")
    a, b, c = tailer.poll()
    store = tailer.checkpoints
    assert store.get(a.fingerprint).offset == 0
    tailer.ack([a])
    assert store.get(a.fingerprint).offset == a.end_offset
    on_disk = json.loads((state / "checkpoints.json").read_text())["checkpoints"][a.fingerprint]
    assert on_disk["offset"] == a.end_offset
    assert on_disk["path"] == str(logs / "access.log")


def test_ack_after_a_gap_waits_for_the_gap(logs, writer, make_tailer):
    writer().lines("a", "b", "c")
    tailer = make_tailer(logs / "access.log")
    a, b, c = tailer.poll()
    tailer.ack([c])
    assert tailer.checkpoints.get(a.fingerprint).offset == 0
    tailer.ack([(a.fingerprint, a.offset, a.end_offset)])
    assert tailer.checkpoints.get(a.fingerprint).offset == a.end_offset
    tailer.ack([b])
    assert tailer.checkpoints.get(a.fingerprint).offset == c.end_offset


def test_commit_positions_and_never_backwards(logs, writer, make_tailer):
    writer().lines("a", "b", "c")
    tailer = make_tailer(logs / "access.log")
    a, b, c = tailer.poll()
    tailer.commit({a.fingerprint: b.end_offset})
    assert tailer.checkpoints.get(a.fingerprint).offset == b.end_offset
    tailer.commit({a.fingerprint: a.end_offset})
    tailer.ack([a])
    assert tailer.checkpoints.get(a.fingerprint).offset == b.end_offset
    tailer.commit({"unknown": 5})  # ignored, no error


def test_restart_resumes_from_the_checkpoint(logs, writer, make_tailer):
    w = writer()
    w.lines("a", "b", "c")
    first = make_tailer(logs / "access.log")
    a, b, c = first.poll()
    first.ack([a, b])
    first.close()
    w.lines("d")
    again = make_tailer(logs / "access.log").poll()
    assert texts(again) == ["c", "d"]
    assert again[0].event_id == c.event_id


def test_start_at_end_skips_existing_lines_but_not_new_files(logs, writer, make_tailer):
    old = writer("old.log")
    old.write("x1\nx2\npartial")
    tailer = make_tailer(logs / "*.log", start_at="end")
    assert tailer.poll() == []
    old.write(" line\nx3\n")
    writer("new.log").lines("n1")
    assert sorted(texts(tailer.poll())) == ["n1", "partial line", "x3"]


def test_start_at_end_position_survives_a_crash_before_any_ack(logs, writer, make_tailer):
    w = writer()
    w.write("old1\nold2\n" + "z" * 300 + "\n")
    make_tailer(logs / "access.log", start_at="end").poll()  # no ack, no close: a crash
    w.lines("new")
    assert texts(make_tailer(logs / "access.log", start_at="end").poll()) == ["new"]


def test_short_growing_file_keeps_one_identity(logs, writer, make_tailer, clock):
    """A file under the fingerprint size is not a new file on every poll."""
    w = writer()
    tailer = make_tailer(logs / "access.log", small_file_wait=5.0)
    w.lines("a")
    assert tailer.poll() == []  # still growing, under 256 bytes
    clock.advance(6)
    (a,) = tailer.poll()
    tailer.ack([a])
    ids = {a.fingerprint}
    for i in range(40):  # grows past the fingerprint size
        w.lines(f"line {i:03d}")
        clock.advance(1)
        batch = tailer.poll()
        tailer.ack(batch)
        ids |= {x.fingerprint for x in batch}
    assert len(ids) == 1
    entry = tailer.checkpoints.get(a.fingerprint)
    assert entry.head_len == 256  # recorded head grew; the identity did not change
    tailer.close()
    w.lines("after restart")
    again = make_tailer(logs / "access.log", small_file_wait=5.0).poll()
    assert texts(again) == ["after restart"] and again[0].fingerprint == a.fingerprint


def test_big_file_is_read_at_once_despite_small_file_wait(logs, writer, make_tailer):
    writer().lines("x" * 300)
    assert texts(make_tailer(logs / "access.log", small_file_wait=3600).poll()) == ["x" * 300]


def test_open_files_are_capped(logs, writer, make_tailer, clock):
    for i in range(10):
        writer(f"f{i}.log").lines(f"file {i} " + "p" * 40)
    tailer = make_tailer(logs / "*.log", max_open_files=3)
    got = []
    for _ in range(20):
        got += tailer.poll()
        assert tailer.open_files <= 3
    assert sorted(texts(got)) == sorted(f"file {i} " + "p" * 40 for i in range(10))
    # an evicted file is reopened when it grows
    (logs / "f0.log").open("a").write("more\n")
    more = []
    for _ in range(5):
        more += tailer.poll()
    assert texts(more) == ["more"]
    assert tailer.stats.evictions_total > 0


def test_arguments_are_validated(state):
    store = CheckpointStore(state)
    with pytest.raises(ValueError, match="start_at"):
        FileTailer("x", store, start_at="middle")
    with pytest.raises(ValueError, match="max_line_bytes"):
        FileTailer("x", store, max_line_bytes=0)
    with pytest.raises(ValueError, match="no paths"):
        FileTailer([], store)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(12)), keep=st.lists(st.booleans(), min_size=12, max_size=12))
def test_checkpoint_is_the_longest_acknowledged_prefix(tmp_path_factory, order, keep):
    """Acks in any order, some missing: the checkpoint never passes an unacknowledged line."""
    root = tmp_path_factory.mktemp("acks")
    (root / "a.log").write_text("".join(f"line {i}\n" for i in range(12)))
    tailer = FileTailer(str(root / "a.log"), CheckpointStore(root / "state", fsync=False), small_file_wait=0)
    lines = tailer.poll()
    for i in order:
        if keep[i]:
            tailer.ack([lines[i]])
    tailer.close()
    prefix = next((i for i in range(12) if not keep[i]), 12)
    expected = lines[prefix - 1].end_offset if prefix else 0
    assert CheckpointStore(root / "state").get(lines[0].fingerprint).offset == expected


def test_new_files_wait_when_no_descriptor_can_be_freed(logs, writer, make_tailer):
    writer("a.log").lines(*(f"a{i}" for i in range(30)))
    tailer = make_tailer(logs / "*.log", max_open_files=1, max_batch_lines=10)
    first = tailer.poll()  # a.log is mid-file: its descriptor cannot be given up
    writer("b.log").lines("b")
    got = first + drain(tailer)
    assert tailer.stats.open_deferred_total > 0
    assert sorted(texts(got)) == sorted([f"a{i}" for i in range(30)] + ["b"])
    assert tailer.open_files <= 1


def test_follow_yields_batches_until_stopped(logs, writer, make_tailer):
    import threading

    writer().lines("one", "two")
    tailer = make_tailer(logs / "access.log", poll_interval=0.01)
    stop = threading.Event()
    batches = []
    for batch in tailer.follow(stop):
        batches.append(batch)
        stop.set()
    assert [texts(b) for b in batches] == [["one", "two"]]


def test_a_directory_stands_for_the_files_in_it(logs, writer, make_tailer):
    # `paths = ["/var/log/squid"]`, as the README allows: it read nothing before.
    writer("access.log").lines("proxy one")
    writer("egress.log").lines("proxy two")
    writer(".access.log.swp").lines("an editor's swap file")
    (logs / "archive").mkdir()  # a subdirectory is not a log
    tailer = make_tailer(logs)
    assert sorted(texts(tailer.poll())) == ["proxy one", "proxy two"]
    writer("late.log").lines("a file created later")
    assert texts(tailer.poll()) == ["a file created later"]


def test_a_path_that_matches_nothing_is_said_once(logs, writer, make_tailer, caplog):
    tailer = make_tailer(logs / "acess.log")  # a typo: the source would wait in silence
    with caplog.at_level("WARNING", logger="sentinel.collect.tail"):
        tailer.poll()
        tailer.poll()
    said = [r.getMessage() for r in caplog.records if "matches no file" in r.getMessage()]
    assert len(said) == 1 and "acess.log" in said[0]
