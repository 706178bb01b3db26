"""RE2 on the hot path: a compiled pattern whose ``spans`` returns every match in a field
in one call.

Where the install built it (libre2-dev present), that is the C++ module _rx.cpp over the
system RE2; otherwise the google-re2 wheel's private handle, called once per match, or
its public API. Both give the same spans (tests/pii/test_rx_c.py).
"""

from __future__ import annotations

from typing import Any, Final, Iterable

import re2

from .cmodules import c_module

UNANCHORED: Final = getattr(re2, "_Anchor").UNANCHORED


_C_RX: Final = c_module("_rx")  # without it (no libre2-dev at install), the wheel does the work


# Compiled patterns by (pattern, max_mem): every Scanner of a process shares them, as
# the wheel's re2.compile shares its own (a reload or a test builds many Scanners).
_COMPILED: Final[dict[tuple[str, int], Any]] = {}


# RE2's memory for one pattern's program and DFA (tests/pii/test_rx_budget.py holds every
# built-in pattern's DFA within it).
DEFAULT_MAX_MEM: Final = 64 << 20


def compile_raw(pattern: str, max_mem: int = DEFAULT_MAX_MEM) -> Any:
    """The pattern compiled, with ``spans(data, pos, end, last, group)``."""
    if _C_RX is not None:
        got = _COMPILED.get((pattern, max_mem))
        if got is not None:
            return got
        try:
            got = _C_RX.Pattern(pattern, max_mem)
        except ValueError:
            got = None  # syntax the system RE2 predates: the wheel's newer RE2 reads it
        if got is not None:
            if len(_COMPILED) >= 1024:
                _COMPILED.clear()
            _COMPILED[(pattern, max_mem)] = got
            return got
    opts = re2.Options()
    opts.max_mem = max_mem
    opts.log_errors = False  # a bad pattern raises re2.error; RE2's own stderr line would only repeat it
    rx = re2.compile(pattern, opts)
    raw = getattr(rx, "_regexp", None)
    return WheelPattern(raw if raw is not None and hasattr(raw, "Match") else _PublicMatch(rx))


class WheelPattern:
    """A google-re2 handle with the C++ module's ``spans``: the reference for it."""

    def __init__(self, raw: Any):
        self.raw = raw

    def spans(self, data: bytes, pos: int, end: int, last: int, group: int) -> list[tuple[int, int]]:
        """Successive matches in data[pos:end] (``^``, ``$`` and ``\\b`` see all of data):
        after an empty match the search moves one byte on; with ``group``, a span is
        that group's when it took part; the walk stops after the match that reaches
        ``last``."""
        out: list[tuple[int, int]] = []
        s: int
        e: int
        while pos <= end:
            sp = self.raw.Match(UNANCHORED, data, pos, end)
            s, e = sp[0]
            if s < 0:
                break
            pos = e if e > s else e + 1
            if group and sp[group][0] >= 0:
                s, e = sp[group]
            out.append((s, e))
            if pos >= last:
                break
        return out


class _PublicMatch:
    """Stand-in for the wrapper's private RE2 handle, through the public API."""

    def __init__(self, rx: Any):
        self.rx = rx

    def Match(self, anchor: Any, data: bytes, pos: int, end: int) -> list[tuple[int, int]]:  # noqa: N802 - mirrors _re2.RE2
        m = self.rx.search(data, pos, end)
        if m is None:
            return [(-1, -1)]
        return [m.span(i) for i in range(self.rx.groups + 1)]


def spans(raw: Any, data: bytes, pos: int = 0, n: int = -1) -> Iterable[tuple[int, int]]:
    """Byte spans of successive matches in data[pos:n]."""
    if n < 0:
        n = len(data)
    return raw.spans(data, pos, n, n + 1, 0)
