"""Dropping library code the daemon touched once, at start, from its resident set.

chDB is one 555 MB shared library. Starting it runs the registration of every
ClickHouse function, format and setting, which touches ~170 MiB of its code and
read-only data that a running daemon never executes again. Those pages stay mapped
and count in the process's RSS (and against a systemd MemoryMax) although they are
clean copies of the file on disk.

`trim_mapped_code()` tells the kernel (madvise MADV_DONTNEED) to unmap the resident
pages of every private, read-only file mapping that holds no modified page. The
page cache keeps them: a page the daemon does use again comes back on its next
touch with a minor fault, no disk read. Only clean mappings qualify, so nothing is
lost: a private mapping with a modified page (relocated data, copy-on-write) is
left alone, since dropping it would revert the page to the file's content.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger("sentinel.memory")

MADV_DONTNEED = 4
SMAPS = "/proc/self/smaps"

_madvise = None


def _libc_madvise():
    global _madvise
    if _madvise is None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
        libc.madvise.restype = ctypes.c_int
        _madvise = libc.madvise
    return _madvise


def clean_code_mappings(smaps: str = SMAPS) -> list[tuple[int, int, int, str]]:
    """(start, end, resident bytes, path) of every private read-only file mapping
    with resident pages and none of them modified (resident or swapped out)."""
    found = []
    head = None
    fields: dict[str, int] = {}

    def close() -> None:
        if head is None:
            return
        start, end, perms, path = head
        # A modified page may also be swapped out: Swap counts it when Anonymous does not.
        if (path.startswith("/") and perms[1] == "-" and perms[3] == "p" and fields.get("Rss", 0)
                and fields.get("Private_Dirty", 1) == 0 and fields.get("Shared_Dirty", 1) == 0
                and fields.get("Anonymous", 1) == 0 and fields.get("Swap", 1) == 0):
            found.append((start, end, fields["Rss"] * 1024, path))

    with open(smaps) as lines:
        for line in lines:
            key, sep, rest = line.partition(":")
            if sep and " " not in key:  # "Rss:   1234 kB"
                value = rest.split()
                if value and value[0].isdigit():
                    fields[key] = int(value[0])
                continue
            close()  # a new mapping: "start-end perms offset dev inode [path]"
            parts = line.split(None, 5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            head = (start, end, parts[1], parts[5].strip() if len(parts) > 5 else "")
            fields = {}
        close()
    return found


def trim_mapped_code() -> int:
    """Unmap the resident pages of clean read-only file mappings; the bytes released.
    0 where the kernel does not say (not Linux) or refuses."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        mappings = clean_code_mappings()
        madvise = _libc_madvise()
    except OSError as exc:
        log.debug("no mapping to trim: %s", exc)
        return 0
    released = 0
    for start, end, resident, _path in mappings:
        if madvise(start, end - start, MADV_DONTNEED) == 0:
            released += resident
    return released
