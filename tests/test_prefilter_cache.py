"""The compiled Hyperscan database is kept under the data directory between runs: a
second `sentinel detect` loads it instead of compiling, finds the same, and a damaged
file is compiled again and replaced."""

from __future__ import annotations

from tests.test_cli import sentinel

SAMPLE = '{"customer": {"email": "jane.doe@example.com", "card": "4242 4242 4242 4242"}, "note": "call +44 20 7946 0958"}'


def detect(tmp_path):
    result = sentinel("detect", "--format", "json", tmp_path=tmp_path, stdin=SAMPLE)
    assert result.returncode == 1, result.stderr  # 1: something was found
    return result.stdout


def saved(tmp_path):
    return sorted((tmp_path / "state" / "cache" / "prefilter").glob("*.hsdb"))


def test_a_saved_database_is_reused_and_finds_the_same(tmp_path):
    first = detect(tmp_path)
    [entry] = saved(tmp_path)
    written = entry.read_bytes()
    assert written.startswith(b'{"always": []}\n')  # the patterns' database only: no data in it
    assert b"jane.doe" not in written and b"4242" not in written
    # Mark the saved entry so that its use shows: recogniser 0 to run on every segment
    # (a superset, so the findings cannot change). Compiling would give "always": [] and
    # replace the file; loading it keeps it as it is.
    marked = written.replace(b'{"always": []}', b'{"always": [0]}', 1)
    entry.write_bytes(marked)
    assert detect(tmp_path) == first
    assert entry.read_bytes() == marked


def test_a_damaged_database_is_compiled_again_and_replaced(tmp_path):
    first = detect(tmp_path)
    [entry] = saved(tmp_path)
    good = entry.read_bytes()
    entry.write_bytes(good[: len(good) // 2])  # cut short, as by a full disk
    assert detect(tmp_path) == first
    assert entry.read_bytes() == good


def test_entries_unused_for_a_month_are_removed(tmp_path):
    import os
    import time

    from sentinel.prefilter_cache import STALE_SECONDS

    detect(tmp_path)
    [entry] = saved(tmp_path)
    directory = entry.parent
    old = directory / ("0" * 32 + ".hsdb")  # an upgrade's leftover
    recent = directory / ("1" * 32 + ".hsdb")  # another configuration's, in use
    for path in (old, recent):
        path.write_bytes(b'{"always": []}\n')
    month_ago = time.time() - STALE_SECONDS - 3600
    os.utime(old, (month_ago, month_ago))
    os.utime(entry, (month_ago, month_ago))  # old too, but this run uses it
    detect(tmp_path)
    assert saved(tmp_path) == sorted([entry, recent])
    assert entry.stat().st_mtime > month_ago
