"""The Scanner: structure first, then one Hyperscan pass per wave of segments.

A sample (request or text) becomes segments (structure.py). The segments of one wave
are joined with NUL into one UTF-8 buffer; one Hyperscan pass over it (prefilter.py)
says which recogniser can match in which segment, and each runs its own RE2 pattern
(linear time, the authority on spans) over those segments only; the recogniser's
``validate`` decides. Base64 blobs found in a wave are decoded into the next wave, up
to ``max_depth``. Field-name recognisers and the watchlist look at each segment
directly. resolve.py turns candidates into Findings.

A segment that gave no candidate is remembered by fingerprint (never by value), and the
same text under the same field names is skipped in later samples: real traffic repeats
its cookies, client ids and constant fields on every request. Only a verdict that
depends on the segment alone is remembered (not one that rested on keywords elsewhere,
a decoded layer or a limit), so findings are the same with the cache off.

Raw values live only inside one call; a Finding holds a mask and a keyed hash.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Final

from .allowlist import AllowMatcher
from .config import DetectorSettings, ScannerConfig
from .finding import Category, Encoding, Explanation, Finding, NotReported
from .fold import fold
from .masking import Hasher
from .percent import unquote
from .phones import PhoneValidator
from .prefilter import Prefilter
from .recognizers import Ctx, Hit, Recognizer, builtin_recognizers
from .recognizers.base import NO_SIBLINGS
from .recognizers.custom import CustomRecognizer
from .resolve import Resolver, by_place as _by_place, direct
from .rx import compile_raw, spans
from .structure import Limits, Segment, Walker, b64_runs, try_b64decode
from .watchlist import Watchlist

STAT_KEYS = ("samples", "bytes", "findings", "budget_overruns", "truncated", "decode_errors",
             "decode_limited", "depth_limited", "fields_dropped", "errors", "base64_decoded",
             "segments_repeated")


# A regex recogniser's entry: (recogniser, its compiled RE2, its keywords as bytes).
_Entry = tuple[Any, Any, tuple[bytes, ...]]


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
        n_builtin = len(recs)
        recs += [CustomRecognizer(c, self._phones) for c in cfg.custom]
        self.recognizers: list[Recognizer] = []
        self._disabled: list[Recognizer] = []
        self._threshold: dict[str, float] = {}
        for r in recs:
            s = self._settings(r)
            if s is not None and not s.enabled:
                self._disabled.append(r)
                continue
            self.recognizers.append(r)
            self._threshold[r.name] = self._configured_threshold(r)
        self._threshold["watchlist"] = 0.0

        # Regex recognisers: one compiled RE2 pattern each (the authority on spans), and
        # Hyperscan prefilters that say in which segments each can match. Built-ins share
        # one database whatever the config (compiled once per process); custom detectors
        # get their own small one.
        builtin_gid = {id(r): i for i, r in enumerate(recs[:n_builtin])}
        groups = [r.prefilter or r.patterns for r in recs[:n_builtin]]
        # Prefilter id -> (recogniser, RE2, keywords); None for a disabled recogniser.
        self._by_gid: list[_Entry | None] = [None] * len(groups)
        self._by_cgid: list[_Entry] = []
        for r in self.recognizers:
            if not r.patterns:
                continue
            entry = (r, compile_raw(combined_pattern(r.patterns)), tuple(k.encode() for k in r.keywords))
            if id(r) in builtin_gid:
                self._by_gid[builtin_gid[id(r)]] = entry
            else:
                self._by_cgid.append(entry)
        self._pre = Prefilter(groups)
        self._pre_custom = Prefilter([e[0].prefilter or e[0].patterns for e in self._by_cgid]) if self._by_cgid else None
        self._pct = compile_raw(r"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)+")
        self._field = [r for r in self.recognizers if r.field_hints]
        self._field_hints = frozenset().union(*(r.field_hints for r in self._field)) if self._field else frozenset()
        self._flag_hints = frozenset().union(*(r.flag_hints for r in self._field)) if self._field else frozenset()
        # Field recognisers that also read a field's siblings, and the names under which
        # they do. Such fields are never remembered as quiet: their verdict depends on
        # the rest of their object.
        self._by_siblings = tuple(r for r in self._field if r.sibling_hints)
        self._sibling_hints = frozenset().union(*(r.sibling_hints for r in self._by_siblings)) \
            if self._by_siblings else frozenset()
        # (field tokens, parent tokens) -> the field recognisers that apply (names repeat).
        self._field_for: dict[tuple, tuple[Recognizer, ...]] = {}
        # Fingerprints of segments that gave no candidate (see _quiet_key): the same API
        # key header, user agent or cookie on every request is not scanned again.
        self._quiet: dict[tuple, None] | None = {} if cfg.quiet_cache > 0 else None
        self._quiet_limit = cfg.quiet_cache

        al = cfg.allowlist
        self._allow = AllowMatcher(al, self._hasher, self._phones)
        self._allow_sub = {k: AllowMatcher(v, self._hasher, self._phones) for k, v in al.subprocessors.items()}
        self._resolver = Resolver(self._threshold, cfg.min_confidence, self._hasher, self.watchlist,
                                  self._allow, self._allow_sub)

        self._ner: Callable[[str], list[tuple[int, int, str]]] | None = None
        if cfg.ner.enabled:
            from .ner import load_spacy

            self._ner = load_spacy(cfg.ner.model)
        if not _WARMED[0]:
            _WARMED[0] = True
            self._warm_up()

    def __repr__(self) -> str:
        return f"Scanner({len(self.recognizers)} recognizers, watchlist={len(self.watchlist or ())})"

    def _warm_up(self) -> None:
        """One synthetic request, scanned when a process builds its first Scanner. RE2
        builds its DFA states as input first reaches them (the compiled patterns are shared
        by every Scanner of the process): the first real request paid 0.1-0.15 s for them,
        and on a slower host could run past its time budget, its findings cut short. The
        request leaves no trace: counters and the quiet-segment cache are reset."""
        walker, _ = self._walk_request("POST", _WARM_UP_URL, _WARM_UP_HEADERS, _WARM_UP_BODY, None)
        self._candidates(walker, time.perf_counter() + 60.0)
        self.stats = dict.fromkeys(STAT_KEYS, 0)
        if self._quiet is not None:
            self._quiet.clear()

    # --- public API ------------------------------------------------------------------

    def scan_text(self, text: str | bytes | None, *, subprocessor: str | None = None) -> list[Finding]:
        """Free text (tickets, chat, prompts). Offsets are into ``text`` (bytes are read
        as UTF-8)."""
        walker, deadline = self._walk_text(text)
        return self._run(walker, deadline, subprocessor)

    def scan_request(self, method: str | None, url: str | None, headers,
                     body: bytes | bytearray | memoryview | str | None, content_type: str | None = None, *,
                     subprocessor: str | None = None) -> list[Finding]:
        """One HTTP request. Offsets are into the decoded value at each field path.
        ``headers``: a mapping or (name, value) pairs; bytes are read as UTF-8 and None
        as empty, as in ``body`` and ``url``."""
        walker, deadline = self._walk_request(method, url, headers, body, content_type)
        return self._run(walker, deadline, subprocessor)

    def explain_text(self, text: str | bytes | None, *, subprocessor: str | None = None) -> Explanation:
        """``scan_text``'s findings, and the candidates it left out with the reason:
        under a threshold, allowlisted, overlapped by a stronger finding. For tuning."""
        walker, deadline = self._walk_text(text)
        return self._explain(walker, deadline, subprocessor)

    def explain_request(self, method: str | None, url: str | None, headers,
                        body: bytes | bytearray | memoryview | str | None, content_type: str | None = None, *,
                        subprocessor: str | None = None) -> Explanation:
        """``scan_request``'s findings, and the candidates it left out with the reason."""
        walker, deadline = self._walk_request(method, url, headers, body, content_type)
        return self._explain(walker, deadline, subprocessor)

    def detectors(self) -> list[tuple[str, str, str, bool, float]]:
        """(name, category, what it reads, enabled, threshold) of every detector, built-in
        and custom, the disabled ones too (at the threshold they would have): for tuning."""
        out = []
        for enabled, recs in ((True, self.recognizers), (False, self._disabled)):
            for r in recs:
                reads = ", ".join(w for w, has in (("values", bool(r.patterns)), ("field names", bool(r.field_hints)))
                                  if has)
                out.append((r.name, str(r.category), reads, enabled, self._configured_threshold(r)))
        return sorted(out)

    def _settings(self, r: Recognizer) -> DetectorSettings | None:
        """A detector's [detectors.detectors] entry, by its name, else by its category."""
        detectors = self.config.detectors
        return detectors.get(r.name) or detectors.get(str(r.category))

    def _configured_threshold(self, r: Recognizer) -> float:
        s = self._settings(r)
        return s.threshold if s is not None and s.threshold is not None else self.config.min_confidence

    # --- engine ----------------------------------------------------------------------

    def _walk_text(self, text: str | bytes | None) -> tuple[Walker, float]:
        if type(text) is not str:
            text = _as_text(text)
        deadline = time.perf_counter() + self._budget
        self.stats["samples"] += 1
        self.stats["bytes"] += len(text)
        if len(text) > self._limits.max_field_chars:
            text = text[: self._limits.max_field_chars]
            self.stats["truncated"] += 1
        walker = self._walker()
        if text:
            root = walker.text(text)
            if "%" in text:
                # Percent-encoded runs ("jane%40example.com") decoded in place, each a child
                # whose findings point at the encoded run. Read in the root's text: the
                # values of a record written in it are children of their own.
                rest = root.text
                raw = rest.encode("utf-8", "replace")
                for s, e in spans(self._pct, raw):
                    cs, ce = _chars(rest, raw, s, e)
                    dec = unquote(rest[cs:ce])
                    if dec != rest[cs:ce]:
                        child = root.child(dec, Encoding.URL, cs, ce)
                        walker.out.append(child)
        return walker, deadline

    def _walk_request(self, method: str | None, url: str | None, headers,
                      body: bytes | bytearray | memoryview | str | None,
                      content_type: str | None) -> tuple[Walker, float]:
        deadline = time.perf_counter() + self._budget
        st = self.stats
        st["samples"] += 1
        if type(url) is not str:
            url = _as_text(url)
        if type(body) is not bytes:
            body = _as_bytes(body)
        pairs = (headers.items() if hasattr(headers, "items") else headers) if headers else ()
        items = [(k if type(k) is str else _as_text(k), v if type(v) is str else _as_text(v)) for k, v in pairs]
        st["bytes"] += len(url) + len(body) + sum(len(k) + len(v) + 4 for k, v in items)
        if len(body) > self.config.max_sample_bytes:
            body = body[: self.config.max_sample_bytes]
            st["truncated"] += 1
        content_encoding = ""
        for k, v in items:
            lk = k.lower()
            if lk == "content-type":
                if content_type is None:
                    content_type = v
            elif lk == "content-encoding":
                content_encoding = v
        walker = self._walker()
        # Structure may take half the budget (a 1 MB XML body parses for ~0.4 s), so that
        # what was read is still matched.
        walker.deadline = deadline - self._budget / 2
        try:
            walker.url(url)
            walker.headers(items)
            walker.request_body(body, content_type, content_encoding)
        except Exception:  # malformed input must not stop the stream; the error text may hold values
            st["errors"] += 1
        return walker, deadline

    def _walker(self) -> Walker:
        return Walker(self._limits, self.stats, self._field_hints, self.watchlist is not None, self._flag_hints)

    def _run(self, walker: Walker, deadline: float, subprocessor: str | None) -> list[Finding]:
        findings = self._resolver.findings(self._candidates(walker, deadline), subprocessor)
        self.stats["findings"] += len(findings)
        return findings

    def _explain(self, walker: Walker, deadline: float, subprocessor: str | None) -> Explanation:
        # Without the quiet cache: a field whose candidates all fell under their threshold
        # is remembered as quiet, and its near misses are what an explanation is for.
        dropped: list[NotReported] = []
        findings = self._resolver.findings(self._candidates(walker, deadline, False), subprocessor, dropped)
        return Explanation(findings, _once(findings, dropped))

    def _candidates(self, walker: Walker, deadline: float, use_quiet: bool = True) -> list[tuple]:
        """Every recogniser's candidates over the walked segments and the layers decoded
        from them, wave after wave, until none is left or the budget runs out."""
        cands: list[tuple] = []
        done = 0
        try:
            while done < len(walker.out):
                wave = walker.out[done:]
                done = len(walker.out)
                self._wave(wave, walker, deadline, cands, use_quiet)
        except _Overrun:
            self.stats["budget_overruns"] += 1
        return cands

    def _check(self, deadline: float) -> None:
        if time.perf_counter() > deadline:
            raise _Overrun

    def _wave(self, every: list[Segment], walker: Walker, deadline: float, cands: list, use_quiet: bool) -> None:
        self._check(deadline)
        for seg in every:
            seg.text = fold(seg.text)  # "０９０－１２３４" as "090-1234": same length, same offsets
        all_segs = every
        quiet = self._quiet if use_quiet else None
        keys: list[tuple] = []
        if quiet is not None:
            all_segs, keys = self._not_quiet(quiet, every)
        n_cands = len(cands)
        n_errors = self.stats["errors"]
        # Segments whose verdict depended on the rest of the wave: not remembered.
        unsettled: set[int] = set()
        segs: list[Segment] = []
        parts: list[bytes] = []
        starts: list[int] = []
        pos = 0
        for seg in all_segs:
            if seg.scan:
                b = seg.text.encode("utf-8", "replace")
                segs.append(seg)
                parts.append(b)
                starts.append(pos)
                pos += len(b) + 1
        data = b"\x00".join(parts)
        where = self._pre.scan(data, starts, deadline)
        if where is None:
            raise _Overrun
        self._b64_pass(segs, walker, deadline, unsettled)
        by_gid = self._by_gid
        active = [(known, where[g]) for g in sorted(where) if (known := by_gid[g]) is not None]
        if self._pre_custom is not None:
            more = self._pre_custom.scan(data, starts, deadline)
            if more is None:
                raise _Overrun
            active += [(self._by_cgid[g], more[g]) for g in sorted(more)]
        if active:
            # Keywords are looked for in the whole wave, remembered segments included.
            hay = every if len(all_segs) < len(every) else None
            self._regex_pass(active, data, segs, parts, starts, deadline, cands, unsettled, hay)
        self._check(deadline)
        hints = self._field_hints
        sibling_hints = self._sibling_hints
        field_for = self._field_for
        siblings: dict[str, list[Segment]] | None = None
        for seg in all_segs:
            tokens = seg.tokens
            if tokens and not seg.derived and not hints.isdisjoint(tokens):
                key = (tokens, seg.parent_tokens)
                recs = field_for.get(key)
                if recs is None:
                    if len(field_for) > 4096:
                        field_for.clear()
                    recs = field_for[key] = tuple(r for r in self._field if r.field_applies(*key))
                near = NO_SIBLINGS
                if not sibling_hints.isdisjoint(tokens):
                    unsettled.add(id(seg))
                    if siblings is None:
                        siblings = _objects(every)
                    near = siblings.get(_parent_path(seg.path), near)
                    names = frozenset().union(*[n.tokens for n in near])
                    recs += tuple(r for r in self._by_siblings if r not in recs and r.sibling_applies(tokens, names))
                if not recs:
                    continue
                text = seg.text
                ctx = Ctx(seg, 0, len(text))  # read-only to scan_field: one per segment
                ctx.siblings = near
                for rec in recs:
                    try:
                        for hit in rec.scan_field(text, ctx):
                            cands.append((rec, seg, hit, 0, len(text)))
                    except Exception:
                        self.stats["errors"] += 1
        if self.watchlist is not None:
            self._check(deadline)
            for seg in every:  # registered values are looked for everywhere, repeated or not
                for s, e, entry, enc in self.watchlist.scan_tokens(seg.text):
                    cands.append(direct(seg, s, e, entry.category, "watchlist", 1.0,
                                        encoding=enc if enc != Encoding.PLAIN else "", watch=entry))
        if self._ner is not None:
            self._ner_pass(self._ner, segs, cands, deadline)
        if quiet is not None and self.stats["errors"] == n_errors:
            self._remember_quiet(quiet, all_segs, keys, cands[n_cands:], unsettled)

    def _not_quiet(self, quiet: dict[tuple, None], every: list[Segment]) -> tuple[list[Segment], list[tuple]]:
        """The segments not known to be quiet, and their fingerprints."""
        segs: list[Segment] = []
        keys: list[tuple] = []
        for seg in every:
            if len(seg.text) < _QUIET_MIN_CHARS:
                segs.append(seg)
                keys.append(_UNREMEMBERED)
                continue
            key = _quiet_key(seg)
            if key not in quiet:
                segs.append(seg)
                keys.append(key)
        self.stats["segments_repeated"] += len(every) - len(segs)
        return segs, keys

    def _remember_quiet(self, quiet: dict[tuple, None], segs: list[Segment], keys: list[tuple],
                        new: list[tuple], unsettled: set[int]) -> None:
        # A candidate resolve drops whatever else the request holds leaves its segment quiet.
        resolver = self._resolver
        rec: Recognizer  # typed: their attributes are then read natively
        hit: Hit
        for c in new:
            if len(c) != 5:
                unsettled.add(id(c[0]))
                continue
            rec = c[0]
            hit = c[2]
            if not resolver.drops(rec.name, hit.confidence):
                unsettled.add(id(c[1]))
        if len(quiet) + len(segs) > self._quiet_limit:
            quiet.clear()  # cheaper than an LRU, and the hot values come back at once
        for i in range(len(segs)):
            if keys[i] is not _UNREMEMBERED and id(segs[i]) not in unsettled:
                quiet[keys[i]] = None

    def _regex_pass(self, active: list[tuple[_Entry, list[list[int]]]], data: bytes,
                    segs: list[Segment], parts: list[bytes], starts: list[int], deadline: float,
                    cands: list[tuple], unsettled: set[int], hay: list[Segment] | None) -> None:
        """Each active recogniser's RE2 over the segments its prefilter pointed at;
        candidates are (recogniser, segment, hit, start, end) until resolve.py. A
        recogniser whose keywords are nowhere in the wave (``hay`` when some of its
        segments were left out) skips its segments, which are then ``unsettled``: with a
        keyword elsewhere it would have run on them."""
        lowered: bytes | None = None
        n = 0
        s: int
        e: int
        rec: Recognizer  # typed: rec.validate is then a native call, not a Python-level one
        for (rec, raw, kws), seg_ids in active:
            if kws:
                if lowered is None:
                    lowered = data.lower() if hay is None else \
                        b"\x00".join([h.text.encode("utf-8", "replace") for h in hay if h.scan]).lower()
                for k in kws:
                    # find, not `in`: bytes.__contains__ first tries k as an integer and
                    # formats a TypeError for every keyword.
                    if lowered.find(k) >= 0:
                        break
                else:
                    unsettled.update(id(segs[i]) for i, _ in seg_ids)
                    continue
            group: int = rec.group
            try:
                for i, last in seg_ids:
                    # The segment's own bytes are the subject: ^, $ and \b see its edges.
                    part = parts[i]
                    end = len(part)
                    last -= starts[i]
                    seg = segs[i]
                    text = seg.text
                    ascii_ = end == len(text)
                    # Up to the match that reaches the last prefilter report: none beyond.
                    for s, e in raw.spans(part, 0, end, last, group):
                        n += 1
                        if not n & 63:
                            self._check(deadline)
                        if ascii_:
                            cs = s
                            ce = e
                        else:
                            cs, ce = _chars(text, part, s, e)
                        hit = rec.validate(text[cs:ce], Ctx(seg, cs, ce))
                        if hit is not None:
                            cands.append((rec, seg, hit, cs, ce))
            except _Overrun:
                raise
            except Exception:  # a recogniser bug must not drop the sample
                self.stats["errors"] += 1

    def _b64_pass(self, segs: list[Segment], walker: Walker, deadline: float, unsettled: set[int]) -> None:
        """Base64 blobs (runs of 24 base64 characters or more) decoded into the next wave.
        A segment with a decoded blob, or one the limits cut short, is ``unsettled``: its
        layers are scanned later, or depend on the budget left."""
        max_depth = self._limits.max_depth
        max_decoded = self._limits.max_decoded_bytes
        # One pass in C over each long enough value costs less than a Hyperscan pattern
        # over the whole wave and its reports.
        with_runs = [(seg, runs) for seg in segs if len(seg.text) >= 24 and (runs := b64_runs(seg.text))]
        for seg, runs in with_runs:
            text = seg.text
            for start, end in runs:
                if seg.depth >= max_depth:
                    self.stats["depth_limited"] += 1
                    unsettled.add(id(seg))
                    continue
                if walker.decoded >= max_decoded:
                    self.stats["decode_limited"] += 1
                    unsettled.update(id(s) for s, _ in with_runs)
                    return
                if self._decode_blob(seg, start, end, walker, deadline):
                    unsettled.add(id(seg))
                elif text.find("/", start, end) >= 0:
                    # "/" is a base64 character and a URL path's separator: the blob may be
                    # one segment of a path ("/unsubscribe/<base64url of an e-mail>/confirm").
                    for s, e in _slash_pieces(text, start, end):
                        if self._decode_blob(seg, s, e, walker, deadline):
                            unsettled.add(id(seg))

    def _decode_blob(self, seg: Segment, start: int, end: int, walker: Walker, deadline: float) -> bool:
        """Decode ``seg.text[start:end]`` into the next wave if it is base64 of text or gzip."""
        blob = seg.text[start:end]
        # Hex ids and lower-case slugs are not base64 worth decoding; base64 of text
        # mixes upper and lower case.
        if blob.isupper() or blob.islower():
            return False
        self._check(deadline)
        dec = try_b64decode(blob)
        if dec is None:
            return False
        raw, enc = dec
        self.stats["base64_decoded"] += 1
        walker.decoded_segments(seg, start, end, raw, enc)
        return True

    def _ner_pass(self, ner: Callable[[str], list[tuple[int, int, str]]], segs, cands, deadline) -> None:
        min_chars = self.config.ner.min_chars
        for seg in segs:
            t = seg.text
            if len(t) < min_chars or t.count(" ") < 4:
                continue
            self._check(deadline)
            for s, e, label in ner(t):
                if label == "PERSON":
                    words = t[s:e].split()
                    if words and all(w[:1].isupper() for w in words):
                        cands.append(direct(seg, s, e, Category.PERSON, "ner", 0.75, " ".join(words), t[s:e]))


# The warm-up request (see Scanner._warm_up): the shapes the recognisers meet most, all
# of them synthetic.
_WARMED: Final[list[bool]] = [False]
_WARM_UP_URL: Final = "https://api.example.com/v1/track?email=jane.doe%40example.com&ph=14155550132"
_WARM_UP_HEADERS: Final = [("Content-Type", "application/json"), ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"),
                           ("Authorization", "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc")]
_WARM_UP_BODY: Final = (
    b'{"customer": {"email": "jane.doe@example.com", "first_name": "Jane", "name": "Jane Doe", '
    b'"phone": "+1 415 555 0132", "address": {"line1": "742 Evergreen Terrace", "city": "Springfield"}, '
    b'"dob": "1985-03-12", "ip": "81.2.69.142"}, "content": "<html><body><p>Hi Jane,</p><p>Thanks for '
    b'your order #5797543. It will ship to 60181 Aguilar Parkways Apt. 016, Jonesland, OH 56143 within 2-3 '
    b'business days.</p><p>Example Shop</p></body></html>", "messages": [{"role": "user", "content": "My name '
    b'is John Smith, born 04/12/1987. Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN '
    b'536-22-1234. Call me at (415) 555-0199 or write to john.smith@example.org."}]}'
)

# Shorter values (flags, counts, short ids) cost less to scan than to look up. From eight
# characters a value may be a shop's or an event's name ("Example Shop", "Signed Up")
# that the person recogniser reads on every request.
_QUIET_MIN_CHARS: Final = 8
_UNREMEMBERED: Final[tuple] = ()


def combined_pattern(patterns: tuple[str, ...]) -> str:
    """A recogniser's patterns as the one RE2 program the scanner runs."""
    return "|".join(f"(?:{p})" for p in patterns) if len(patterns) > 1 else patterns[0]


def _once(findings: list[Finding], dropped: list[NotReported]) -> list[NotReported]:
    """Each detector's candidate at a place once, the strongest, and none where that
    detector's finding is reported (a weaker reading of the same span, another decoding
    layer of it). Candidates at confidence 0 are left out: a recogniser scores a value 0
    when it counts only with context (nine bare digits as an SSN), so that a watchlist
    can still claim it."""
    reported = {(f.detector, f.location, f.field_path, f.start, f.end) for f in findings}
    best: dict[tuple, NotReported] = {}
    for n in dropped:
        key = (n.detector, n.location, n.field_path, n.start, n.end)
        if n.confidence <= 0.0 or key in reported:
            continue
        kept = best.get(key)
        if kept is None or n.confidence > kept.confidence:
            best[key] = n
    return sorted(best.values(), key=_by_place)


def _slash_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans between the slashes of ``text[start:end]`` long enough to be blobs (24)."""
    out: list[tuple[int, int]] = []
    s = start
    while s < end:
        e = text.find("/", s, end)
        if e < 0:
            e = end
        if e - s >= 24:
            out.append((s, e))
        s = e + 1
    return out


def _parent_path(path: str) -> str:
    """The path of the object a field is in: "$.customer" for "$.customer.email",
    "form.bank_account" for "form.bank_account[account_number]", "query" for "query.em"."""
    if path.endswith("]") and not path.endswith("[]"):
        return path[:path.rfind("[")]
    return path[:max(path.rfind("."), 0)]


def _objects(segs: list[Segment]) -> dict[str, list[Segment]]:
    """The named fields of each object of a wave: {parent path: its fields}."""
    out: dict[str, list[Segment]] = {}
    for seg in segs:
        if seg.tokens and not seg.derived:
            parent = _parent_path(seg.path)
            fields = out.get(parent)
            if fields is None:
                out[parent] = [seg]
            else:
                fields.append(seg)
    return out


def _quiet_key(seg: Segment) -> tuple:
    """What a segment's candidates depend on, its text as a 64-bit hash under the
    process's random hash key: the cache keeps no value. A collision (odds about
    n / 2**64 per lookup, n the entries) would skip one segment."""
    text = seg.text
    return (hash(text), len(text), seg.tokens, seg.parent_tokens, seg.depth, seg.scan, seg.derived)


def _as_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    return str(v)


def _as_bytes(v: object) -> bytes:
    if v is None:
        return b""
    if isinstance(v, str):
        return v.encode("utf-8", "surrogatepass")
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise TypeError(f"body: expected bytes, str or None, got {type(v).__name__}")


def _chars(text: str, raw: bytes, bs: int, be: int) -> tuple[int, int]:
    """Byte offsets in ``raw`` (UTF-8 of ``text``) to character offsets."""
    if len(raw) == len(text):  # ASCII: the common case
        return bs, be
    cs = len(raw[:bs].decode("utf-8", "replace"))
    ce = cs + len(raw[bs:be].decode("utf-8", "replace"))
    return cs, ce
