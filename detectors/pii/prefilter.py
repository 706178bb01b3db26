"""One Hyperscan pass over a wave's buffer: which recogniser can match in which segment.

The scanner joins the segments of a wave with NUL into one buffer. Hyperscan runs every
recogniser's patterns over it at once (SIMD, no per-pattern pass) and reports match
ends; an end maps to its segment. The scanner then runs a recogniser's RE2 pattern (the
authority on spans) only over the segments where it can match, so most fields skip most
recognisers and no recogniser walks the whole buffer.

Prefilter patterns must match wherever the recogniser's RE2 patterns match, ending
inside the same segment: the recogniser's own patterns, or a cheaper superset (its
``prefilter``). tests/pii/test_prefilter.py checks that property. A pattern Hyperscan
cannot compile exactly is compiled in its prefilter mode (a superset by design); one it
cannot compile at all makes its recogniser run on every segment.

Compiling the built-in database takes about half a second, so compiled databases are
kept per process, keyed by their patterns; each Prefilter loads its own copy and keeps
one scratch space per thread (a Scanner may be shared across threads).
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import threading
from bisect import bisect_right
from time import perf_counter
from typing import Any, Callable, Final, Sequence

import hyperscan as hs

from .cmodules import c_module

# The C module (_hs.c, linked to the system's libhyperscan) where the install built it:
# its reports never go through Python. Else the hyperscan wheel, with a Python callback.
_NATIVE: Final = c_module("_hs")

_CACHE: Final[dict[tuple, tuple[bytes | None, frozenset[int]]]] = {}
_CACHE_LOCK: Final = threading.Lock()


# A pattern written over UTF-8 bytes ("[\xc0-\xff]") runs in byte mode; every other
# one in UTF-8 mode, where ".", "[^...]" and "\p{L}" match characters as in RE2 (in byte
# mode ".{6}" could not span six accented letters and the prefilter would miss them).
# The buffer is always valid UTF-8.
_BYTE_ESCAPE: Final = re.compile(r"\\x[89a-fA-F][0-9a-fA-F]")


def _flags(pattern: str) -> int:
    return 0 if _BYTE_ESCAPE.search(pattern) else hs.HS_FLAG_UTF8


def _trusted(pattern: str) -> bool:
    """Whether Hyperscan reads the pattern as RE2 does. Unicode properties and
    case-insensitive non-ASCII letters depend on each library's Unicode tables, which
    may differ: such a pattern runs on every segment instead (custom detectors only;
    the built-in prefilters spell their letters out as UTF-8 bytes)."""
    if "\\p" in pattern or "\\P" in pattern:
        return False
    return pattern.isascii() or "(?i" not in pattern


def segment_anchors(pattern: str) -> str:
    """The pattern for the joined buffer: the scanner joins segments with NUL, and RE2
    reads ``^``, ``$``, ``\\A`` and ``\\z`` at a segment's edges, so for Hyperscan they also
    match next to a NUL (``^M\\d{8}$`` must report for a field in the middle)."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            esc = pattern[i + 1]
            if not in_class and esc in "AzZ":
                out.append(f"(?:\\{esc}|\\x00)")
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        i += 1
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            # A leading "^" negates and a leading "]" is a member: neither ends the class.
            if pattern[i:i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i:i + 1] == "]":
                out.append("]")
                i += 1
        elif c == "^":
            out.append("(?:^|\\x00)")
        elif c == "$":
            out.append("(?:$|\\x00)")
        else:
            out.append(c)
    return "".join(out)


class _Uncompilable(Exception):
    pass


def _compile(exprs: list[bytes], ids: list[int], flags: list[int]) -> bytes:
    """The serialised database, for the backend in use."""
    if _NATIVE is not None:
        try:
            return _NATIVE.compile(exprs, ids, flags)
        except _NATIVE.CompileError as e:
            raise _Uncompilable(str(e)) from None
    db = hs.Database()
    try:
        db.compile(expressions=exprs, ids=ids, elements=len(exprs), flags=flags)
    except hs.error as e:
        raise _Uncompilable(str(e)) from None
    return hs.dumpb(db)


def _load(blob: bytes) -> Any:
    """A database ready to scan; ValueError for a damaged one or another platform's."""
    if _NATIVE is not None:
        return _NATIVE.Database(blob)
    return _WheelDatabase(blob)


def _backend() -> str:
    return f"libhs {_NATIVE.version()}" if _NATIVE is not None else f"hyperscan {hs.__version__}"


def _compiles(expr: bytes, flags: int) -> bool:
    try:
        _compile([expr], [0], [flags])
        return True
    except _Uncompilable:
        return False


def _build(groups: tuple[tuple[str, ...], ...]) -> tuple[bytes | None, frozenset[int]]:
    """Serialised database (None if nothing compiled) and the ids that must always run."""
    exprs: list[bytes] = []
    ids: list[int] = []
    flags: list[int] = []
    always: set[int] = set()
    for gid, patterns in enumerate(groups):
        if not all(_trusted(p) for p in patterns):
            always.add(gid)
            continue
        for p in patterns:
            exprs.append(segment_anchors(p).encode("utf-8"))
            ids.append(gid)
            flags.append(_flags(p))
    try:
        return (_compile(exprs, ids, flags) if exprs else None), frozenset(always)
    except _Uncompilable:
        # Find the culprits one by one: exact, in UTF-8 mode ("\x{1F600}"), then in
        # Hyperscan's prefilter mode (a superset by design).
        keep = []
        for e, i, f in zip(exprs, ids, flags):
            for g in (f, f | hs.HS_FLAG_UTF8, f | hs.HS_FLAG_PREFILTER, f | hs.HS_FLAG_UTF8 | hs.HS_FLAG_PREFILTER):
                if _compiles(e, g):
                    keep.append((e, i, g))
                    break
            else:
                always.add(i)
        keep = [k for k in keep if k[1] not in always]
        exprs, ids, flags = [k[0] for k in keep], [k[1] for k in keep], [k[2] for k in keep]
        return (_compile(exprs, ids, flags) if exprs else None), frozenset(always)


_NO_LIMIT: Final = 1 << 62


# --- compiled databases kept by the caller across runs ------------------------------
# The detectors do no I/O: the caller (sentinel.prefilter_cache) saves what
# export_databases() returns, and at the next start hands in a lookup that reads one
# entry by its digest, so loading replaces half a second of compiling. An entry is named
# by a digest of its patterns, the Hyperscan backend and version and the machine; one
# that does not load is compiled anew. Only the entries a process needs are ever read.

# Changes when the same patterns compile to a different database (2: segment anchors).
_FORMAT: Final = 2

# The caller's lookup, at most one: digest -> entry, or None when it has none.
_LOOKUP: Final[list[Callable[[str], bytes | None]]] = []


def _digest(key: tuple) -> str:
    h = hashlib.sha256(repr(key).encode("utf-8", "surrogatepass"))
    h.update(f"|{_backend()}|{platform.machine()}|{_FORMAT}".encode())
    return h.hexdigest()[:32]


def export_databases() -> dict[str, bytes]:
    """{digest: entry} for every database this process compiled or loaded."""
    with _CACHE_LOCK:
        built = list(_CACHE.items())
    out = {}
    for key, (blob, always) in built:
        if blob is not None:
            head = json.dumps({"always": sorted(always)}).encode()
            out[_digest(key)] = head + b"\n" + blob
    return out


def use_stored_databases(lookup: Callable[[str], bytes | None]) -> None:
    """Entries of an earlier export_databases(), read by ``lookup`` when their patterns
    come up and used instead of compiling."""
    with _CACHE_LOCK:
        _LOOKUP[:] = [lookup]


def _stored(key: tuple) -> tuple[bytes | None, frozenset[int]] | None:
    entry = _LOOKUP[0](_digest(key)) if _LOOKUP else None
    if entry is None:
        return None
    head, _, blob = entry.partition(b"\n")
    try:
        always = frozenset(int(i) for i in json.loads(head)["always"])
        _load(blob)  # refuses a damaged entry or another platform's (ValueError)
    except (ValueError, KeyError, TypeError):
        return None
    return blob, always


class Prefilter:
    """``Prefilter(groups)``: ``groups[i]`` are the patterns of id ``i``.

    ``scan(data, starts)`` -> {id: [[segment, last_end], ...]} in segment order, where
    ``starts`` are the byte offsets of the segments in ``data`` and ``last_end`` is the
    furthest report in that segment: a match of the id's patterns starting at or after
    it cannot exist, so the scanner need not search past it.
    """

    def __init__(self, groups: Sequence[Sequence[str]]):
        key = tuple(tuple(g) for g in groups)
        with _CACHE_LOCK:
            built = _CACHE.get(key)
            if built is None:
                if len(_CACHE) >= 64:  # distinct configs are few; bound it anyway
                    _CACHE.clear()
                built = _CACHE[key] = _stored(key) or _build(key)
        blob, self.always = built
        self._db = _load(blob) if blob is not None else None

    def scan(self, data: bytes, starts: list[int], deadline: float = 0.0) -> dict[int, list[list[int]]] | None:
        """None when ``deadline`` (a perf_counter time) passed during the scan."""
        if self._db is None or not data:
            return self._add_always({}, len(starts))
        found = self._db.scan(data, starts, deadline)
        if found is None:
            return None
        return self._add_always(found, len(starts))

    def _add_always(self, out: dict[int, list[list[int]]], n: int) -> dict[int, list[list[int]]]:
        for gid in self.always:
            out[gid] = [[i, _NO_LIMIT] for i in range(n)]
        return out


class _WheelDatabase:
    """The hyperscan wheel's database behind _hs.Database's ``scan``. Each thread gets
    its own scratch space (a Scanner may be shared across threads)."""

    def __init__(self, blob: bytes):
        try:
            self._db = hs.loadb(blob, hs.HS_MODE_BLOCK)
        except hs.error as e:
            raise ValueError(f"not a Hyperscan database for this machine: {e}") from None
        self._local = threading.local()

    def _scratch(self) -> Any:
        s = getattr(self._local, "scratch", None)
        if s is None:
            s = self._local.scratch = hs.Scratch(self._db)
        return s

    def scan(self, data: bytes, starts: list[int], deadline: float) -> dict[int, list[list[int]]] | None:
        reports = _Reports(starts, deadline)
        try:
            # (data, match_event_handler, flags, context, scratch) by position: the
            # extension parses keyword arguments at about 340 ns a call.
            self._db.scan(data, reports.on_match, 0, None, self._scratch())
        except hs.ScanTerminated:
            return None
        return reports.result()


class _Reports:
    """Hyperscan's match reports of one scan, folded into {id: [[segment, last_end], ...]}.

    The callback only records: Hyperscan calls it once per report through the Python call
    protocol, and finding the segment is cheaper in one loop over a batch of reports.
    """

    def __init__(self, starts: list[int], deadline: float):
        self.starts = starts
        self.deadline = deadline
        self.gids: list[int] = []
        self.ends: list[int] = []  # exclusive: a match's last byte is at end - 1
        self.out: dict[int, list[list[int]]] = {}
        self.seg = 0
        self.unordered = False

    def on_match(self, gid: int, _from: int, to: int, _flags: int, _ctx: object) -> bool | None:
        self.gids.append(gid)
        self.ends.append(to)
        if len(self.ends) >= 4096:
            self._fold()  # a huge sample can report millions of matches: bounded memory
            # ... and check the clock.
            if self.deadline and perf_counter() > self.deadline:
                return True  # stops the scan
        return None

    def _fold(self) -> None:
        starts = self.starts
        n = len(starts)
        out = self.out
        seg = self.seg
        gids = self.gids
        ends = self.ends
        for k in range(len(ends)):
            gid = gids[k]
            to = ends[k]
            last_byte = to - 1
            if last_byte < starts[seg]:
                seg = bisect_right(starts, last_byte) - 1  # reports mostly come in order, not always
            else:
                while seg + 1 < n and starts[seg + 1] <= last_byte:
                    seg += 1
            lst = out.get(gid)
            if lst is None:
                out[gid] = [[seg, to]]
                continue
            prev = lst[-1]
            if prev[0] == seg:
                if to > prev[1]:
                    prev[1] = to
            else:
                if seg < prev[0]:
                    self.unordered = True
                lst.append([seg, to])
        self.seg = seg
        gids.clear()
        ends.clear()

    def result(self) -> dict[int, list[list[int]]]:
        self._fold()
        out = self.out
        if self.unordered:
            for gid, lst in out.items():
                merged: dict[int, int] = {}
                for seg, end in lst:
                    merged[seg] = max(end, merged.get(seg, 0))
                out[gid] = [[seg, merged[seg]] for seg in sorted(merged)]
        return out
