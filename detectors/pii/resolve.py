"""Candidates to Findings: thresholds, registered values, overlaps, allowlists, hashes,
masks. Raw values live in candidates only until here.

A candidate is a plain tuple, built on the hot path without an object per match:
``(recogniser, segment, hit, start, end)`` from a recogniser, or the 12-tuple from
``direct()`` for watchlist and NER matches.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from operator import itemgetter
from typing import Final

from .allowlist import AllowMatcher
from .finding import Category, Encoding, Finding, NotReported
from .masking import Hasher, mask, mask_hash, normalise
from .recognizers.base import Hit, Recognizer
from .structure import Segment
from .watchlist import WatchEntry, Watchlist

_HASH_ENCODINGS: Final = frozenset({Encoding.MD5, Encoding.SHA1, Encoding.SHA256})
_SECRET: Final = str(Category.SECRET)
_GENERIC_SECRETS: Final = frozenset({"generic_high_entropy", "password", "bearer_token"})
_MASK_NORMALISED: Final = frozenset({Category.PHONE_NUMBER, Category.IP_ADDRESS})
_tuple_new: Final = tuple.__new__  # builds a Finding in C; Finding(...) and _make run Python code


def direct(seg: Segment, start: int, end: int, category: str, detector: str, confidence: float,
           normalised: str = "", value: str = "", encoding: str = "", watch=None) -> tuple:
    """A candidate that did not come from a recogniser's Hit."""
    return (seg, start, end, category, "", detector, confidence, normalised, value, encoding, "", watch)


class Resolver:
    def __init__(self, threshold: dict[str, float], default_threshold: float, hasher: Hasher,
                 watchlist: Watchlist | None, allow: AllowMatcher, allow_sub: dict[str, AllowMatcher]):
        self.threshold = threshold
        self.default = default_threshold
        self.hasher = hasher
        self.watchlist = watchlist
        self.allow = None if allow.empty else allow
        self.allow_sub = allow_sub

    def drops(self, detector: str, confidence: float) -> bool:
        """Whether a recogniser's candidate is dropped whatever else the sample holds:
        under its threshold, with no watchlist that could claim the value."""
        return self.watchlist is None and confidence < self.threshold.get(detector, self.default)

    def _live(self, cands: list, dropped: list[NotReported] | None) -> list[tuple]:
        """Candidates that pass their threshold or are registered values, each with its
        sort key in front: registered first, then confidence, then length, then order."""
        wl = self.watchlist
        threshold = self.threshold
        default = self.default
        live = []
        n = 0
        # Typed, so that the compiled build reads their attributes natively.
        seg: Segment
        watch: WatchEntry | None
        for c in cands:
            if len(c) == 5:
                rec: Recognizer = c[0]
                seg = c[1]
                hit: Hit = c[2]
                cs: int = c[3]
                ce: int = c[4]
                conf = hit.confidence
                det = rec.name
                if dropped is None and self.drops(det, conf):
                    continue  # before any string work
                s = hit.start if hit.start >= 0 else cs
                e = hit.end if hit.end >= 0 else ce
                value = seg.text[s:e]
                cat = hit.category or rec.category
                sub, normalised, enc, prefix = hit.subtype, hit.normalised or value, hit.encoding, hit.mask_prefix
                watch = None
            else:
                seg, s, e, cat, sub, det, conf, normalised, value, enc, prefix, watch = c
            norm = ""
            if watch is None:
                # A digest is its own normal form: a phone's rules would keep only its digits.
                norm = normalised if enc in _HASH_ENCODINGS else normalise(cat, normalised)
                if wl is not None and norm:
                    m = wl.match_normalised(norm)
                    if m is not None:
                        watch, wenc = m
                        cat, det, conf, sub, norm = watch.category, "watchlist", 1.0, "", ""
                        if wenc != Encoding.PLAIN:
                            enc = wenc
                limit = threshold.get(det, default)
                if watch is None and conf < limit:
                    if dropped is not None:
                        dropped.append(_not_reported(seg, s, e, cat, sub, det, conf, normalised, value, enc, prefix,
                                                     f"below its threshold {limit:.2f}"))
                    continue
            n += 1
            live.append((watch is None, -conf, s - e, n, seg, s, e, cat, sub, det, conf, normalised, value,
                         enc, prefix, watch, norm))
        return live

    def findings(self, cands: list, subprocessor: str | None,
                 dropped: list[NotReported] | None = None) -> list[Finding]:
        """The Findings; with ``dropped``, the candidates left out are added to it."""
        if not cands:
            return []
        live = self._live(cands, dropped)
        if not live:
            return []
        # Overlaps within one segment go to the first in this order. Resolved before
        # hashing, so losers cost no HMAC.
        live.sort()
        allow = self.allow
        sub_allow = self.allow_sub.get(subprocessor) if subprocessor else None
        taken: dict[int, _Spans] = {}
        seen: dict[tuple, int] = {}
        # Reported secrets by field, in the field's own offsets: a token inside a reported
        # credential ("email/token:..." decoded from a Basic header) is the same secret.
        secrets: dict[tuple[str, str], list[tuple[int, int]]] = {}
        out: list[Finding] = []
        seg: Segment
        watch: WatchEntry | None
        s: int
        e: int
        for _, _, _, _, seg, s, e, cat, sub, det, conf, normalised, value, enc, prefix, watch, norm in live:
            sid = id(seg)
            spans = taken.get(sid)
            why = ""
            if spans is None:
                spans = taken[sid] = _Spans()
            elif spans.overlaps(s, e):
                why = "overlaps a stronger finding in the same field"
            if not why:
                vh = watch.value_hash if watch is not None else self.hasher.hex(norm)
                path = seg.path
                if allow is not None and allow.allows(cat, sub, value, vh, path):
                    why = "allowlisted" if dropped is None else \
                        f"allowlisted by [detectors.allowlist] {allow.entry(cat, sub, value, vh, path)}"
                elif sub_allow is not None and sub_allow.allows(cat, sub, value, vh, path):
                    why = "allowlisted" if dropped is None else \
                        f"allowlisted for {subprocessor} by {_sub_table(subprocessor)} " \
                        f"{sub_allow.entry(cat, sub, value, vh, path)}"
                else:
                    spans.add(s, e)
                    # The same value at the same field, seen again through another decoding layer.
                    if seen.setdefault((seg.location, path, cat, vh), sid) != sid:
                        why = "reported already from another layer of this field"
                    elif cat == _SECRET:
                        why = _inside_reported(secrets, seg, s, e, sub in _GENERIC_SECRETS)
            if why:
                if dropped is not None:
                    dropped.append(_not_reported(seg, s, e, cat, sub, det, conf, normalised, value, enc, prefix, why,
                                                 watch))
                continue
            enc = enc or seg.encoding
            masked = _masked(cat, sub, enc, normalised, value, prefix, watch)
            start, end = seg.place(s, e)  # the encoded blob's when there is one
            out.append(_tuple_new(Finding, (str(cat), sub, str(enc), str(seg.location), path, start, end,
                                            _round3(conf), det, masked, vh, watch is not None)))
        out.sort(key=by_place)
        return out


def _sub_table(subprocessor: str | None) -> str:
    """A sub-processor's allowlist table as sentinel.toml names it."""
    name = subprocessor or ""
    return f"[detectors.allowlist.subprocessors.{name if _BARE_KEY.fullmatch(name) else json.dumps(name)}]"


_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
by_place: Final = itemgetter(3, 4, 5)  # location, field_path, start (Finding and NotReported)


def _inside_reported(secrets: dict[tuple[str, str], list[tuple[int, int]]], seg: Segment, s: int, e: int,
                     generic: bool) -> str:
    """Why a generic secret (no issuer) is not reported: it lies within a secret reported
    already in the same field. Else the secret is recorded and "" returned. A key that
    names its issuer is kept: the policy judges it by where its issuer is."""
    start, end = seg.place(s, e)
    reported = secrets.setdefault((seg.location, seg.path), [])
    if generic:
        for rs, re_ in reported:
            if rs <= start and end <= re_:
                return "inside a secret reported already in this field"
    reported.append((start, end))
    return ""


def _masked(cat: str, sub: str, enc: str, normalised: str, value: str, prefix: str, watch: WatchEntry | None) -> str:
    if watch is not None:
        return watch.masked
    if enc in _HASH_ENCODINGS:
        return mask_hash(normalised, enc)
    # Phones and IPs mask their normal form: "+1 (415)..." and "::ffff:81.2..." alike; an
    # address spelt out, the address it spells.
    return mask(cat, normalised if cat in _MASK_NORMALISED or sub == "spelt" else value, sub, prefix)


def _not_reported(seg: Segment, s: int, e: int, cat: str, sub: str, det: str, conf: float, normalised: str,
                  value: str, enc: str, prefix: str, reason: str, watch: WatchEntry | None = None) -> NotReported:
    start, end = seg.place(s, e)
    enc = enc or seg.encoding
    masked = _masked(cat, sub, enc, normalised, value, prefix, watch)
    return NotReported(str(cat), sub, str(enc), str(seg.location), seg.path, start, end, _round3(conf), det, masked,
                       reason)


# Confidences come from a few constants and boosts: round() each once (it formats the
# float in decimal, about 2,400 instructions a call).
_ROUNDED: Final[dict[float, float]] = {}


def _round3(x: float) -> float:
    r = _ROUNDED.get(x)
    if r is None:
        r = round(x, 3)
        if len(_ROUNDED) < 4096:
            _ROUNDED[x] = r
    return r


class _Spans:
    """The disjoint spans taken in one segment, sorted by start: an overlap test looks at
    the two neighbours only, so a segment with thousands of findings stays n log n."""

    __slots__ = ("starts", "ends")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, s: int, e: int) -> bool:
        if not self.starts:
            return False
        i = bisect_right(self.starts, s)
        if i and self.ends[i - 1] > s:
            return True  # the span starting at or before s reaches past it
        return i < len(self.starts) and self.starts[i] < e

    def add(self, s: int, e: int) -> None:
        if not self.starts or s >= self.starts[-1]:
            self.starts.append(s)  # the usual case: spans come in order, most segments hold one
            self.ends.append(e)
            return
        i = bisect_right(self.starts, s)
        self.starts.insert(i, s)
        self.ends.insert(i, e)
