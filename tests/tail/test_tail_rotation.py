"""Rotation: rename (logrotate create), copytruncate, deletion; identity across renames."""

from __future__ import annotations

import os
import shutil

from tailkit import drain, texts


def _ids(lines):
    return [line.event_id for line in lines]


def test_rename_rotation_lines_written_to_both_files(logs, writer, make_tailer, clock):
    """Only access.log is watched: the renamed file is read to its end through its descriptor."""
    w = writer()
    w.lines("old 1", "old 2")
    tailer = make_tailer(logs / "access.log", rotate_wait=30)
    got = drain(tailer)
    os.rename(logs / "access.log", logs / "access.log.1")
    w.lines("old 3 (after rename, before reopen)")
    new = writer()
    new.lines("new 1")
    got += drain(tailer)
    w.lines("old 4 (a straggler)")
    new.lines("new 2")
    got += drain(tailer)
    clock.advance(31)
    got += drain(tailer)
    w.lines("old 5 (after the file was let go)")  # documented: past rotate_wait, not read
    got += drain(tailer)
    assert sorted(texts(got)) == sorted(
        ["old 1", "old 2", "old 3 (after rename, before reopen)", "old 4 (a straggler)", "new 1", "new 2"])
    assert len(set(_ids(got))) == len(got)
    assert tailer.open_files == 1
    assert tailer.stats.rotations_total == 1


def test_rotated_file_is_read_before_the_new_one(logs, writer, make_tailer):
    w = writer()
    w.lines("seen")
    tailer = make_tailer(logs / "access.log")
    drain(tailer)
    w.lines("old unread")
    os.rename(logs / "access.log", logs / "access.log.1")
    writer().lines("new")
    assert texts(tailer.poll()) == ["old unread", "new"]


def test_rotated_away_unterminated_line_is_emitted_when_let_go(logs, writer, make_tailer, clock):
    w = writer()
    w.write("whole\nno newline at the end")
    tailer = make_tailer(logs / "access.log", rotate_wait=10)
    assert texts(drain(tailer)) == ["whole"]
    os.rename(logs / "access.log", logs / "access.log.1")
    assert drain(tailer) == []
    clock.advance(10)
    (last,) = drain(tailer)
    assert last.text == "no newline at the end"
    assert last.end_offset == len("whole\nno newline at the end")
    assert tailer.stats.unterminated_lines_total == 1


def test_rename_within_the_patterns_keeps_reading(logs, writer, make_tailer, clock):
    w = writer()
    w.lines("a")
    tailer = make_tailer(logs / "access.log*", rotate_wait=0)
    (a,) = drain(tailer)
    os.rename(logs / "access.log", logs / "access.log.1")
    w.lines("b")
    clock.advance(100)
    (b,) = drain(tailer)
    assert b.text == "b" and b.fingerprint == a.fingerprint
    assert b.path == str(logs / "access.log.1")
    assert tailer.stats.rotations_total == 0  # still watched under its new name


def test_identity_survives_rename_across_restart(logs, writer, make_tailer):
    w = writer()
    w.lines("a" * 300, "b")
    first = make_tailer(logs / "access.log*")
    lines = drain(first)
    first.close()
    os.rename(logs / "access.log", logs / "access.log.1")
    w.lines("c")
    writer().lines("fresh")
    again = drain(make_tailer(logs / "access.log*"))
    by_path = {x.path: x for x in again}
    assert sorted(texts(again)) == ["c", "fresh"]
    assert by_path[str(logs / "access.log.1")].fingerprint == lines[0].fingerprint
    assert by_path[str(logs / "access.log")].fingerprint != lines[0].fingerprint


def test_deleted_file_is_read_to_its_end(logs, writer, make_tailer, clock):
    w = writer()
    w.lines("a")
    tailer = make_tailer(logs / "access.log", rotate_wait=5)
    drain(tailer)
    os.unlink(logs / "access.log")
    w.lines("written after unlink")
    assert texts(drain(tailer)) == ["written after unlink"]
    clock.advance(5)
    drain(tailer)
    assert tailer.open_files == 0


def test_copytruncate_with_the_copy_watched_loses_nothing(logs, writer, make_tailer):
    w = writer()
    w.lines("a1", "a2")
    tailer = make_tailer(logs / "access.log*")
    got = drain(tailer)
    w.lines("a3 unread at copy time")
    shutil.copyfile(logs / "access.log", logs / "access.log.1")
    os.truncate(logs / "access.log", 0)
    w.lines("b1 after truncate")  # O_APPEND: lands at offset 0
    got += drain(tailer)
    assert texts(got[:2]) == ["a1", "a2"]  # order holds within a file, not across files
    assert sorted(texts(got[2:])) == ["a3 unread at copy time", "b1 after truncate"]
    old, new = sorted(got[2:], key=lambda x: x.text)
    assert old.path == str(logs / "access.log.1") and old.fingerprint == got[0].fingerprint
    assert new.offset == 0 and new.fingerprint != got[0].fingerprint
    assert tailer.stats.truncations_total == 1


def test_copytruncate_detected_when_new_contents_outgrow_the_old(logs, writer, make_tailer):
    """The file is already longer than our offset again: the changed first bytes give it away."""
    w = writer()
    w.lines("a1")
    tailer = make_tailer(logs / "access.log")
    drain(tailer)
    os.truncate(logs / "access.log", 0)
    w.lines("b1 longer than before", "b2")
    got = drain(tailer)
    assert texts(got) == ["b1 longer than before", "b2"]
    assert got[0].offset == 0


def test_copytruncate_to_same_size_is_detected(logs, writer, make_tailer):
    w = writer()
    w.lines("aaaa")
    tailer = make_tailer(logs / "access.log")
    drain(tailer)
    os.truncate(logs / "access.log", 0)
    w.lines("bbbb")
    assert texts(drain(tailer)) == ["bbbb"]


def test_copytruncate_without_the_copy_reads_the_new_contents(logs, writer, make_tailer):
    w = writer()
    w.lines("a1")
    tailer = make_tailer(logs / "access.log")
    drain(tailer)
    w.lines("a2 lost: documented, only in the copy")
    shutil.copyfile(logs / "access.log", logs / "access.log.1")
    os.truncate(logs / "access.log", 0)
    w.lines("b1")
    assert texts(drain(tailer)) == ["b1"]


def test_copy_of_a_file_being_read_is_not_read_twice(logs, writer, make_tailer):
    w = writer()
    w.lines("x" * 300)
    tailer = make_tailer(logs / "*.log")
    drain(tailer)
    shutil.copyfile(logs / "access.log", logs / "backup.log")
    assert drain(tailer) == []
    assert tailer.stats.duplicate_heads_total == 1
    w.lines("y")
    assert texts(drain(tailer)) == ["y"]


def test_restart_after_copytruncate_while_down(logs, writer, make_tailer):
    w = writer()
    w.lines("a1", "a2")
    first = make_tailer(logs / "access.log*")
    a1, a2 = first.poll()
    first.ack([a1])
    first.close()
    w.lines("a3")
    shutil.copyfile(logs / "access.log", logs / "access.log.1")
    os.truncate(logs / "access.log", 0)
    w.lines("b1")
    again = drain(make_tailer(logs / "access.log*"))
    assert sorted(texts(again)) == ["a2", "a3", "b1"]
    assert {x.event_id for x in again if x.text == "a2"} == {a2.event_id}


def test_lines_already_read_when_truncated_are_not_lost(logs, writer, make_tailer):
    w = writer()
    w.lines(*(f"a{i}" for i in range(10)))
    tailer = make_tailer(logs / "access.log", max_batch_lines=3)
    got = tailer.poll()  # the rest of the file sits read but not yet handed out
    os.truncate(logs / "access.log", 0)
    w.lines("b0")
    got += drain(tailer)
    assert texts(got) == [f"a{i}" for i in range(10)] + ["b0"]
