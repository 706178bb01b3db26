"""Trimming clean library pages from the resident set (sentinel.memory)."""

from __future__ import annotations

import ctypes
import mmap
import os
import sys

import pytest

from sentinel.memory import clean_code_mappings, trim_mapped_code
from tests.conftest import run_on_fresh_store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/smaps is Linux's")

PAGE = mmap.PAGESIZE


def _read_only_private(path, write: bytes = b"") -> tuple[mmap.mmap, int]:
    """A private file mapping, optionally modified, then made read-only: the shape of
    a library's code (clean) or of its relocated data (modified, RELRO)."""
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    m[: len(write)] = write
    start = ctypes.addressof(ctypes.c_char.from_buffer(m))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    assert libc.mprotect(start, len(m), mmap.PROT_READ) == 0
    return m, start


def _file(tmp_path, pages: int):
    path = tmp_path / "blob"
    with open(path, "wb") as f:
        f.write(bytes(range(256)) * (pages * PAGE // 256))
        os.fsync(f.fileno())  # page-cache pages not yet written back count as dirty
    return path


def test_a_clean_read_only_mapping_is_released_and_reads_back_the_same(tmp_path):
    path = _file(tmp_path, 64)
    m, start = _read_only_private(path)
    try:
        before = bytes(m)  # touches every page
        listed = {s: rss for s, _e, rss, _p in clean_code_mappings()}
        assert listed.get(start) == 64 * PAGE
        assert trim_mapped_code() >= 64 * PAGE
        assert start not in {s for s, *_ in clean_code_mappings()}  # no resident page left
        assert bytes(m) == before
    finally:
        m.close()


def test_a_modified_private_page_is_never_dropped(tmp_path):
    # Relocated library data: written once, then made read-only (RELRO). Dropping it
    # would bring back the file's bytes, so it must not qualify.
    path = _file(tmp_path, 4)
    m, start = _read_only_private(path, write=b"fixed")
    try:
        assert start not in {s for s, *_ in clean_code_mappings()}
        trim_mapped_code()
        assert m[0:5] == b"fixed"
        assert m[5:PAGE] == path.read_bytes()[5:PAGE]
    finally:
        m.close()


TRIM_PROGRAM = """
from sentinel.memory import trim_mapped_code

names = ("event_id", "ts", "dst_host", "subprocessor", "bytes_out")

def batch(n):
    writer.add("events", names, [(n * 1000 + i, time.time(), "api.segment.io", "segment", i) for i in range(1000)])
    writer.flush()

for n in range(5):
    batch(n)
before = status_mib("RssFile")
released = trim_mapped_code() >> 20
after = status_mib("RssFile")
for n in range(5, 10):  # the engine runs on, its code faulting back in as it is used
    batch(n)
rows = store.query("SELECT count(), sum(bytes_out) FROM {db}.events").result_rows[0]
print(before, after, released, rows[0], rows[1])
"""


def test_the_embedded_engine_runs_on_after_its_start_up_code_is_trimmed(tmp_path):
    before, after, released, count, total = map(int, run_on_fresh_store(TRIM_PROGRAM, tmp_path).split())
    assert released >= 50, (before, after, released)  # chDB's registration code alone is well over that
    assert before - after >= 50, (before, after, released)
    assert count == 10_000 and total == 10 * sum(range(1000))
