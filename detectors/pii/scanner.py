"""The Scanner: structure first, then one linear-time regex pass per wave of segments.

A sample (request or text) becomes segments (structure.py). The segments of one wave
are joined with NUL into one UTF-8 buffer; an RE2 Set over every recogniser's patterns
says which recognisers can match at all, and only those run their own RE2 pass over
the buffer. Matches map back to their segment by offset; the recogniser's ``validate``
decides. Base64 blobs found in a wave are decoded into the next wave, up to
``max_depth``. Field-name recognisers and the watchlist look at each segment directly.

Raw values live only inside one call; a Finding holds a mask and a keyed hash.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from urllib.parse import unquote
from typing import Iterable

import re2

from .allowlist import AllowMatcher
from .config import ScannerConfig
from .finding import Category, Encoding, Finding, Location
from .masking import Hasher, mask, mask_hash, normalise
from .phones import PhoneValidator
from .recognizers import Ctx, Hit, Recognizer, builtin_recognizers
from .recognizers.custom import CustomRecognizer
from .structure import Limits, Segment, Walker, try_b64decode
from .watchlist import Watchlist

_HASH_ENCODINGS = frozenset({Encoding.MD5, Encoding.SHA1, Encoding.SHA256})
_B64_PATTERN = r"[A-Za-z0-9+/_\-]{24,}={0,2}"
_UNANCHORED = getattr(re2, "_Anchor").UNANCHORED

STAT_KEYS = ("samples", "bytes", "findings", "budget_overruns", "truncated", "decode_errors",
             "decode_limited", "depth_limited", "fields_dropped", "errors", "base64_decoded")


def _rx(pattern: str):
    opts = re2.Options()
    opts.max_mem = 64 << 20
    return re2.compile(pattern, opts)


class _PublicMatch:
    """Stand-in for the wrapper's private RE2 handle, through the public API."""

    def __init__(self, rx):
        self.rx = rx

    def Match(self, anchor, data: bytes, pos: int, end: int):  # noqa: N802 - mirrors _re2.RE2
        m = self.rx.search(data, pos, end)
        if m is None:
            return [(-1, -1)]
        return [m.span(i) for i in range(self.rx.groups + 1)]


def _raw(rx):
    """The compiled RE2 object: ``Match`` on bytes returns spans without building a
    match object per hit, a third of the per-match cost of ``finditer``."""
    raw = getattr(rx, "_regexp", None)
    return raw if raw is not None and hasattr(raw, "Match") else _PublicMatch(rx)


def _spans(raw, data: bytes, group: int = 0) -> Iterable[tuple[int, int]]:
    """Byte spans of successive matches (of ``group`` if it took part)."""
    n = len(data)
    pos = 0
    while pos <= n:
        sp = raw.Match(_UNANCHORED, data, pos, n)
        s, e = sp[0]
        if s < 0:
            return
        pos = e if e > s else e + 1
        if group and sp[group][0] >= 0:
            yield sp[group]
        else:
            yield s, e


class _Cand:
    """A validated match; holds the raw value only until it becomes a Finding."""

    __slots__ = ("seg", "start", "end", "category", "subtype", "detector", "confidence",
                 "normalised", "value", "encoding", "mask_prefix", "watch")

    def __init__(self, seg, start, end, category, subtype, detector, confidence, normalised,
                 value, encoding="", mask_prefix="", watch=None):
        self.seg = seg
        self.start = start
        self.end = end
        self.category = category
        self.subtype = subtype
        self.detector = detector
        self.confidence = confidence
        self.normalised = normalised
        self.value = value
        self.encoding = encoding
        self.mask_prefix = mask_prefix
        self.watch = watch  # WatchEntry when the value is registered


class _Overrun(Exception):
    pass


class Scanner:
    """``Scanner(config=None, watchlist=None, key=None)``.

    ``key`` is the site key for ``value_hash`` (HMAC-SHA256). Without one, a random
    key is drawn per process, so hashes and distinct-subject counts only agree within
    one process. A watchlist brings its own key; pass the same key to both, or none to
    the Scanner and it adopts the watchlist's.
    """

    def __init__(self, config: ScannerConfig | dict | None = None, watchlist: Watchlist | None = None,
                 key: bytes | str | None = None):
        cfg = config if isinstance(config, ScannerConfig) else ScannerConfig.from_dict(config)
        if isinstance(config, ScannerConfig):
            cfg.check()
        self.config = cfg
        if watchlist is not None:
            if key is None:
                self._hasher = watchlist.hasher
            else:
                self._hasher = Hasher(key)
                if not self._hasher.same_key(watchlist.hasher):
                    raise ValueError("the watchlist was built with a different key than the scanner's")
        else:
            self._hasher = Hasher(key)
        self.watchlist = watchlist if watchlist is not None and len(watchlist) else None
        self.stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)
        self._limits = Limits(cfg.max_depth, cfg.max_fields, cfg.max_decoded_bytes, cfg.max_sample_bytes)
        self._budget = cfg.time_budget_ms / 1000.0
        self._phones = PhoneValidator(tuple(cfg.phone_regions))

        recs = builtin_recognizers(self._phones, cfg.report_private_ips)
        recs += [CustomRecognizer(c, self._phones) for c in cfg.custom]
        known = {r.name for r in recs} | {r.category for r in recs} | set(Category.__members__)
        unknown = sorted(set(cfg.detectors) - known)
        if unknown:
            from .config import ConfigError

            raise ConfigError(f"detectors.pii.detectors: unknown detector(s) {', '.join(unknown)}; "
                              f"expected one of {', '.join(sorted(r.name for r in recs))} or a category")
        self.recognizers: list[Recognizer] = []
        self._threshold: dict[str, float] = {}
        for r in recs:
            s = cfg.detectors.get(r.name) or cfg.detectors.get(str(r.category))
            if s is not None and not s.enabled:
                continue
            self.recognizers.append(r)
            th = s.threshold if s is not None and s.threshold is not None else cfg.min_confidence
            self._threshold[r.name] = th
        self._threshold["watchlist"] = 0.0

        # Regex recognisers: one compiled pattern each, and one Set over all of them.
        self._regex: list[tuple[Recognizer, object, tuple[bytes, ...]]] = []
        self._set = re2.Set.SearchSet(_set_options())
        for r in self.recognizers:
            if not r.patterns:
                continue
            pat = "|".join(f"(?:{p})" for p in r.patterns) if len(r.patterns) > 1 else r.patterns[0]
            self._regex.append((r, _raw(_rx(pat)), tuple(k.encode() for k in r.keywords)))
            self._set.Add(r.trigger or pat)
        self._b64 = _raw(_rx(_B64_PATTERN))
        self._pct = _raw(_rx(r"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)+"))
        self._b64_index = len(self._regex)
        self._set.Add(_B64_PATTERN)
        self._set.Compile()
        self._field = [r for r in self.recognizers if r.field_hints]
        self._field_hints = frozenset().union(*(r.field_hints for r in self._field)) if self._field else frozenset()

        al = cfg.allowlist
        self._allow = AllowMatcher(al, self._hasher, self._phones)
        self._allow_sub = {k: AllowMatcher(v, self._hasher, self._phones) for k, v in al.subprocessors.items()}

        self._ner = None
        if cfg.ner.enabled:
            from .ner import load_spacy

            self._ner = load_spacy(cfg.ner.model)

    def __repr__(self) -> str:
        return f"Scanner({len(self.recognizers)} recognizers, watchlist={len(self.watchlist or ())})"

    # --- public API ------------------------------------------------------------------

    def scan_text(self, text: str, *, subprocessor: str | None = None) -> list[Finding]:
        """Free text (tickets, chat, prompts). Offsets are into ``text``."""
        deadline = time.perf_counter() + self._budget
        self.stats["samples"] += 1
        self.stats["bytes"] += len(text)
        if len(text) > self._limits.max_field_chars:
            text = text[: self._limits.max_field_chars]
            self.stats["truncated"] += 1
        walker = self._walker()
        if text:
            root = Segment(text, Location.TEXT, "")
            walker.out.append(root)
            if "%" in text:
                # Percent-encoded runs ("jane%40example.com") decoded in place, each a child
                # whose findings point at the encoded run.
                for s, e in _spans(self._pct, text.encode("utf-8", "replace")):
                    cs, ce = _chars(text, text.encode("utf-8", "replace"), s, e)
                    dec = unquote(text[cs:ce])
                    if dec != text[cs:ce]:
                        child = root.child(dec, Encoding.URL, cs, ce)
                        walker.out.append(child)
        return self._run(walker, deadline, subprocessor)

    def scan_request(self, method: str, url: str, headers, body: bytes | None,
                     content_type: str | None = None, *, subprocessor: str | None = None) -> list[Finding]:
        """One HTTP request. Offsets are into the decoded value at each field path."""
        deadline = time.perf_counter() + self._budget
        st = self.stats
        st["samples"] += 1
        headers = headers or ()
        items = list(headers.items()) if hasattr(headers, "items") else list(headers)
        body = body or b""
        st["bytes"] += len(url or "") + len(body) + sum(len(k) + len(v) + 4 for k, v in items)
        if len(body) > self.config.max_sample_bytes:
            body = body[: self.config.max_sample_bytes]
            st["truncated"] += 1
        if content_type is None:
            for k, v in items:
                if k.lower() == "content-type":
                    content_type = v
                    break
        walker = self._walker()
        try:
            walker.url(url or "")
            walker.headers(items)
            walker.body(body, content_type)
        except Exception:  # malformed input must not stop the stream; the error text may hold values
            st["errors"] += 1
        return self._run(walker, deadline, subprocessor)

    # --- engine ----------------------------------------------------------------------

    def _walker(self) -> Walker:
        return Walker(self._limits, self.stats, self._field_hints, self.watchlist is not None)

    def _run(self, walker: Walker, deadline: float, subprocessor: str | None) -> list[Finding]:
        cands: list[_Cand] = []
        done = 0
        try:
            while done < len(walker.out):
                wave = walker.out[done:]
                done = len(walker.out)
                self._wave(wave, walker, deadline, cands)
        except _Overrun:
            self.stats["budget_overruns"] += 1
        findings = self._finish(cands, subprocessor)
        self.stats["findings"] += len(findings)
        return findings

    def _check(self, deadline: float) -> None:
        if time.perf_counter() > deadline:
            raise _Overrun

    def _wave(self, all_segs: list[Segment], walker: Walker, deadline: float, cands: list[_Cand]) -> None:
        self._check(deadline)
        segs = [s for s in all_segs if s.scan]
        parts = [s.text.encode("utf-8", "replace") for s in segs]
        data = b"\x00".join(parts)
        starts = []
        pos = 0
        for p in parts:
            starts.append(pos)
            pos += len(p) + 1
        hits = self._set.Match(data)
        # None also means the Set's DFA ran out of memory: then every recogniser runs.
        active = range(len(self._regex) + 1) if hits is None else sorted(hits)
        lowered = None
        for idx in active:
            if idx == self._b64_index:
                self._b64_pass(data, segs, parts, starts, walker, deadline)
                continue
            rec, raw, kws = self._regex[idx]
            if kws:
                if lowered is None:
                    lowered = data.lower()
                if not any(k in lowered for k in kws):
                    continue
            validate = rec.validate
            group = rec.group
            n = 0
            pos = 0
            end = len(data)
            try:
                while pos <= end:
                    sp = raw.Match(_UNANCHORED, data, pos, end)
                    s, e = sp[0]
                    if s < 0:
                        break
                    pos = e if e > s else e + 1
                    if group and sp[group][0] >= 0:
                        s, e = sp[group]
                    n += 1
                    if not n & 63:
                        self._check(deadline)
                    i = bisect_right(starts, s) - 1
                    base = starts[i]
                    part = parts[i]
                    if e > base + len(part):
                        continue  # crossed a segment boundary
                    seg = segs[i]
                    text = seg.text
                    if len(part) == len(text):
                        cs, ce = s - base, e - base
                    else:
                        cs, ce = _chars(text, part, s - base, e - base)
                    hit = validate(text[cs:ce], Ctx(seg, cs, ce))
                    if hit is not None:
                        cands.append(self._cand(rec, seg, hit, cs, ce))
            except _Overrun:
                raise
            except Exception:  # a recogniser bug must not drop the sample
                self.stats["errors"] += 1
        self._check(deadline)
        hints = self._field_hints
        for seg in all_segs:
            if seg.tokens & hints and not seg.derived:
                for rec in self._field:
                    if rec.field_hints & seg.tokens:
                        try:
                            for hit in rec.scan_field(seg.text, Ctx(seg, 0, len(seg.text))):
                                cands.append(self._cand(rec, seg, hit, 0, len(seg.text)))
                        except Exception:
                            self.stats["errors"] += 1
        if self.watchlist is not None:
            self._check(deadline)
            for seg in all_segs:
                for s, e, entry, enc in self.watchlist.scan_tokens(seg.text):
                    cands.append(_Cand(seg, s, e, entry.category, "", "watchlist", 1.0, "", "",
                                       enc if enc != Encoding.PLAIN else "", "", entry))
        if self._ner is not None:
            self._ner_pass(segs, cands, deadline)

    def _b64_pass(self, data, segs, parts, starts, walker: Walker, deadline) -> None:
        for s, e in _spans(self._b64, data, 0):
            i = bisect_right(starts, s) - 1
            base = starts[i]
            if e > base + len(parts[i]):
                continue
            seg = segs[i]
            if seg.depth >= self._limits.max_depth:
                self.stats["depth_limited"] += 1
                continue
            if walker.decoded >= self._limits.max_decoded_bytes:
                self.stats["decode_limited"] += 1
                return
            blob = data[s:e]
            # Hex ids and lower-case slugs are not base64 worth decoding; base64 of text
            # mixes upper and lower case.
            if blob.isupper() or blob.islower() or blob.startswith(b"eyJ") and blob.count(b".") == 2:
                continue
            self._check(deadline)
            dec = try_b64decode(blob.decode("ascii"))
            if dec is None:
                continue
            raw, enc = dec
            cs, ce = _chars(seg.text, parts[i], s - base, e - base)
            self.stats["base64_decoded"] += 1
            walker.decoded_segments(seg, cs, ce, raw, enc)

    def _ner_pass(self, segs, cands, deadline) -> None:
        min_chars = self.config.ner.min_chars
        for seg in segs:
            t = seg.text
            if len(t) < min_chars or t.count(" ") < 4:
                continue
            self._check(deadline)
            for s, e, label in self._ner(t):
                if label == "PERSON":
                    words = t[s:e].split()
                    if words and all(w[:1].isupper() for w in words):
                        cands.append(_Cand(seg, s, e, Category.PERSON, "", "ner", 0.75, " ".join(words), t[s:e]))

    def _cand(self, rec: Recognizer, seg: Segment, hit: Hit, cs: int, ce: int) -> _Cand:
        s = hit.start if hit.start >= 0 else cs
        e = hit.end if hit.end >= 0 else ce
        value = seg.text[s:e]
        return _Cand(seg, s, e, hit.category or rec.category, hit.subtype, rec.name, hit.confidence,
                     hit.normalised or value, value, hit.encoding, hit.mask_prefix)

    def _finish(self, cands: list[_Cand], subprocessor: str | None) -> list[Finding]:
        if not cands:
            return []
        wl = self.watchlist
        threshold = self._threshold
        default_th = self.config.min_confidence
        live: list[tuple[_Cand, str]] = []
        for c in cands:
            if c.watch is not None:
                live.append((c, ""))
                continue
            norm = normalise(c.category, c.normalised)
            if wl is not None and norm:
                m = wl.match_normalised(norm)
                if m is not None:
                    entry, enc = m
                    c.watch, c.category, c.detector, c.confidence, c.subtype = entry, entry.category, "watchlist", 1.0, ""
                    if enc != Encoding.PLAIN:
                        c.encoding = enc
                    live.append((c, ""))
                    continue
            if c.confidence >= threshold.get(c.detector, default_th):
                live.append((c, norm))
        # Overlaps within one segment: registered values first, then confidence, then length.
        # Resolved before hashing, so losers cost no HMAC.
        live.sort(key=lambda cn: (cn[0].watch is None, -cn[0].confidence, cn[0].start - cn[0].end))
        allow = None if self._allow.empty else self._allow
        sub_allow = self._allow_sub.get(subprocessor) if subprocessor else None
        taken: dict[int, list[tuple[int, int]]] = {}
        seen: dict[tuple, int] = {}
        out: list[Finding] = []
        for c, norm in live:
            seg = c.seg
            sid = id(seg)
            spans = taken.get(sid)
            if spans is None:
                spans = taken[sid] = []
            elif any(c.start < e and s < c.end for s, e in spans):
                continue
            vh = c.watch.value_hash if c.watch is not None else self._hasher.hex(norm)
            path = seg.path
            if allow is not None and allow.allows(c.category, c.subtype, c.value, vh, path):
                continue
            if sub_allow is not None and sub_allow.allows(c.category, c.subtype, c.value, vh, path):
                continue
            spans.append((c.start, c.end))
            # The same value at the same field, seen again through another decoding layer.
            key = (seg.location, path, c.category, vh)
            if seen.setdefault(key, sid) != sid:
                continue
            enc = c.encoding or seg.encoding
            if c.watch is not None:
                masked = c.watch.masked
            elif enc in _HASH_ENCODINGS:
                masked = mask_hash(c.normalised, enc)
            else:
                masked = mask(c.category, c.normalised if c.category == Category.PHONE_NUMBER else c.value,
                              c.subtype, c.mask_prefix)
            start, end = seg.anchor(c.start, c.end)
            out.append(Finding(str(c.category), c.subtype, str(enc), str(seg.location), path, start, end,
                               round(c.confidence, 3), c.detector, masked, vh, c.watch is not None))
        out.sort(key=lambda f: (f.location, f.field_path, f.start))
        return out


def _set_options():
    opts = re2.Options()
    opts.max_mem = 64 << 20
    return opts


def _chars(text: str, raw: bytes, bs: int, be: int) -> tuple[int, int]:
    """Byte offsets in ``raw`` (UTF-8 of ``text``) to character offsets."""
    if len(raw) == len(text):  # ASCII: the common case
        return bs, be
    cs = len(raw[:bs].decode("utf-8", "replace"))
    ce = cs + len(raw[bs:be].decode("utf-8", "replace"))
    return cs, ce
