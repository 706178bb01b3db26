"""Backfill of rotated files, gzip-compressed or not, sharing identities with the live tailer."""

from __future__ import annotations

import gzip
import os

from tailkit import drain, texts

from sentinel.collect.tail import fingerprint

LINES = [f"2024-06-01T00:00:{i:02d}Z GET https://api.example.com/v1/{i}" for i in range(40)]


def _gzip(path, data: bytes):
    with gzip.open(path, "wb") as f:
        f.write(data)


def test_gzip_rotated_file_is_read_fully(logs, make_tailer):
    _gzip(logs / "access.log.2.gz", ("\n".join(LINES) + "\n").encode())
    tailer = make_tailer(logs / "access.log")
    lines = list(tailer.read_backfill(logs / "access.log.2.gz"))
    assert texts(lines) == LINES
    assert lines[1].offset == len(LINES[0]) + 1  # offsets in the decompressed stream
    assert lines[-1].end_offset == sum(len(x) + 1 for x in LINES)
    tailer.ack(lines)
    assert list(tailer.read_backfill(logs / "access.log.2.gz")) == []  # acknowledged: not again


def test_backfill_emits_unterminated_last_line(logs, make_tailer):
    _gzip(logs / "a.gz", b"one\ntwo without newline")
    assert texts(make_tailer(logs / "x.log").read_backfill(logs / "a.gz")) == ["one", "two without newline"]


def test_file_read_live_then_compressed_is_not_read_again(logs, writer, make_tailer, clock):
    w = writer()
    w.lines(*LINES)
    tailer = make_tailer(logs / "access.log", rotate_wait=0)
    live = drain(tailer)
    os.rename(logs / "access.log", logs / "access.log.1")
    drain(tailer)
    _gzip(logs / "access.log.1.gz", (logs / "access.log.1").read_bytes())
    os.unlink(logs / "access.log.1")
    assert fingerprint(logs / "access.log.1.gz") == live[0].fingerprint
    assert list(tailer.read_backfill(logs / "access.log.1.gz")) == []


def test_partly_read_file_compressed_later_resumes(logs, writer, make_tailer):
    w = writer()
    w.lines(*LINES[:10])
    first = make_tailer(logs / "access.log")
    seen = drain(first)
    first.close()
    w.lines(*LINES[10:])
    os.rename(logs / "access.log", logs / "access.log.1")
    _gzip(logs / "access.log.1.gz", (logs / "access.log.1").read_bytes())
    os.unlink(logs / "access.log.1")
    again = make_tailer(logs / "access.log")
    rest = list(again.read_backfill(logs / "access.log.1.gz"))
    assert texts(rest) == LINES[10:]
    assert rest[0].fingerprint == seen[0].fingerprint
    assert rest[0].offset == seen[-1].end_offset


def test_backfill_lines_are_acknowledged_like_polled_ones(logs, make_tailer):
    _gzip(logs / "old.gz", ("\n".join(LINES) + "\n").encode())
    tailer = make_tailer(logs / "x.log")
    it = tailer.read_backfill(logs / "old.gz")
    first = [next(it) for _ in range(5)]
    it.close()  # a crash, as far as this identity is concerned
    tailer.ack(first[:3])
    tailer.close()
    again = list(make_tailer(logs / "x.log").read_backfill(logs / "old.gz"))
    assert texts(again) == LINES[3:]
    assert again[0].event_id == first[3].event_id


def test_poll_skips_compressed_files(logs, writer, make_tailer):
    _gzip(logs / "access.log.1.gz", b"compressed\n")
    (logs / "access.log.2").write_bytes(gzip.compress(b"gzip without the suffix\n"))
    writer().lines("plain")
    assert texts(drain(make_tailer(logs / "access.log*"))) == ["plain"]


def test_plain_file_backfill(logs, make_tailer):
    (logs / "old.log").write_text("p1\np2\n")
    assert texts(make_tailer(logs / "x.log").read_backfill(logs / "old.log")) == ["p1", "p2"]


def test_backfill_of_a_file_being_tailed_is_refused(logs, writer, make_tailer):
    writer().lines(*LINES)
    tailer = make_tailer(logs / "access.log")
    tailer.poll()
    assert list(tailer.read_backfill(logs / "access.log")) == []


def test_truncated_gzip_stops_with_what_it_had(logs, make_tailer, caplog):
    blob = gzip.compress(("\n".join(LINES) + "\n").encode() * 50)
    (logs / "cut.gz").write_bytes(blob[: len(blob) // 2])
    lines = list(make_tailer(logs / "x.log", read_chunk=256).read_backfill(logs / "cut.gz"))
    assert lines and all(x.text in LINES for x in lines)  # no partial last line
    assert "truncated or corrupt" in caplog.text


def test_corrupt_gzip_does_not_crash(logs, make_tailer, caplog):
    (logs / "bad.gz").write_bytes(b"\x1f\x8b" + os.urandom(500))
    assert list(make_tailer(logs / "x.log").read_backfill(logs / "bad.gz")) == []
    assert "bad.gz" in caplog.text


def test_missing_backfill_file_is_a_warning(logs, make_tailer, caplog):
    assert list(make_tailer(logs / "x.log").read_backfill(logs / "nope.gz")) == []
    assert "cannot open" in caplog.text
