"""RE2 on the hot path: the compiled handle that ``Match`` es bytes and returns spans,
without the wrapper building a match object per call (a third of its cost)."""

from __future__ import annotations

from typing import Final, Iterable

import re2

UNANCHORED: Final = getattr(re2, "_Anchor").UNANCHORED


def compile_raw(pattern: str, max_mem: int = 64 << 20):
    opts = re2.Options()
    opts.max_mem = max_mem
    rx = re2.compile(pattern, opts)
    raw = getattr(rx, "_regexp", None)
    return raw if raw is not None and hasattr(raw, "Match") else _PublicMatch(rx)


class _PublicMatch:
    """Stand-in for the wrapper's private RE2 handle, through the public API."""

    def __init__(self, rx):
        self.rx = rx

    def Match(self, anchor, data: bytes, pos: int, end: int):  # noqa: N802 - mirrors _re2.RE2
        m = self.rx.search(data, pos, end)
        if m is None:
            return [(-1, -1)]
        return [m.span(i) for i in range(self.rx.groups + 1)]


def found(raw, data: bytes) -> bool:
    """Whether ``raw`` matches anywhere in ``data``."""
    return raw.Match(UNANCHORED, data, 0, len(data))[0][0] >= 0


def spans(raw, data: bytes, pos: int = 0, n: int = -1) -> Iterable[tuple[int, int]]:
    """Byte spans of successive matches in data[pos:n]."""
    if n < 0:
        n = len(data)
    while pos <= n:
        sp = raw.Match(UNANCHORED, data, pos, n)
        s, e = sp[0]
        if s < 0:
            return
        pos = e if e > s else e + 1
        yield s, e
