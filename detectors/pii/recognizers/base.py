"""The one shape every recogniser has (after Presidio's PatternRecognizer).

Class-level ``patterns`` (RE2 syntax) find candidates; ``validate`` is the hook where
checksums and context decide, returning a ``Hit`` or None. Recognisers that judge a
whole field value by its name (``first_name``, ``em``, ``password``) set ``field_hints``
and implement ``scan_field``. No recogniser keeps state between samples.
"""

from __future__ import annotations

from typing import Iterable

from ..context import MACHINE_FIELD, prose_words
from ..structure import Segment


class Hit:
    """A recogniser's verdict on one candidate. A plain class, not a dataclass: compiled,
    its constructor runs natively (a dataclass's generated __init__ stays interpreted),
    and it has no repr that could print the normalised value."""

    __slots__ = ("confidence", "normalised", "subtype", "mask_prefix", "encoding", "category", "start", "end")

    def __init__(self, confidence: float, normalised: str = "", subtype: str = "", mask_prefix: str = "",
                 encoding: str = "", category: str = "", start: int = -1, end: int = -1):
        self.confidence = confidence
        self.normalised = normalised  # canonical value for hashing; "" means the matched text
        self.subtype = subtype
        self.mask_prefix = mask_prefix  # a public prefix the mask may keep ("sk_live_")
        self.encoding = encoding  # set when the value itself is an encoding (md5/sha256 hex)
        self.category = category  # overrides the recogniser's category (hashed identifiers)
        self.start = start  # only scan_field hits carry their own span
        self.end = end


NO_SIBLINGS: list[Segment] = []  # read only: the siblings of every field outside an object


def field_hit(hit: Hit | None, value: str, stripped: str) -> tuple[Hit, ...]:
    """scan_field's answer: ``hit`` (None: none) spanning ``stripped`` where it stands
    in the field's ``value``."""
    if hit is None:
        return ()
    off = value.index(stripped)
    hit.start, hit.end = off, off + len(stripped)
    return (hit,)


class Ctx:
    """Where a candidate sits: its segment, span and the field-name evidence."""

    # text and tokens copied in: validators read them many times per candidate.
    __slots__ = ("seg", "start", "end", "text", "tokens", "_before", "siblings")

    def __init__(self, seg: Segment, start: int, end: int):
        self.seg = seg
        self.start = start
        self.end = end
        self.text: str = seg.text
        self.tokens: frozenset[str] = seg.tokens
        self._before: list[str] | None = None
        # The fields of the segment's object, itself included: set by the scanner for
        # scan_field under a recogniser's ``sibling_hints``, else empty.
        self.siblings: list[Segment] = NO_SIBLINGS

    @property
    def parent_tokens(self) -> frozenset[str]:
        return self.seg.parent_tokens

    def before(self) -> list[str]:
        """Lower-case words just before the candidate, nearest last."""
        if self._before is None:
            self._before = prose_words(self.text, self.start)
        return self._before

    # isdisjoint, not "&": no set is built per candidate.
    def field_has(self, words: frozenset[str]) -> bool:
        seg = self.seg
        return not words.isdisjoint(seg.tokens) or not words.isdisjoint(seg.parent_tokens)

    def near(self, words: frozenset[str], last: int = 6) -> bool:
        """A context word among the last few words before the candidate; in Chinese,
        Japanese or Korean, a context word just before it ("電話番号は", "手机号码是")."""
        for w in self.before()[-last:]:
            if w in words:
                return True
        return not self.text.isascii() and _unspaced_near(self.text, self.start, words)

    def machine_field(self) -> bool:
        return not MACHINE_FIELD.isdisjoint(self.tokens)

    # A space at the edges, so that `c in "_./"` tests are safe ("" is in every string).
    def char_before(self) -> str:
        return self.text[self.start - 1] if self.start > 0 else " "

    def char_after(self) -> str:
        t = self.text
        return t[self.end] if self.end < len(t) else " "

    def in_url_path(self) -> bool:
        return self.seg.location == "path"

    def glued(self, joiners: str = "-./_") -> bool:
        """The candidate is part of a bigger token: "ORD-2024-5551234", "v1.2.3.4",
        "1234.5678" (a sentence-final "." is not glue). In a URL path "/" separates
        segments: "/cards/4111111111111111" is not glued."""
        if self.in_url_path():
            joiners = joiners.replace("/", "")
        t, s, e = self.text, self.start, self.end
        if s > 0:
            b = t[s - 1]
            if (b.isalnum() and not _unspaced(b)) or b == "_" or (b in joiners and s > 1 and t[s - 2].isalnum()):
                return True
        if e < len(t):
            a = t[e]
            if (a.isalnum() and not _unspaced(a)) or a == "_" or \
                    (a in joiners and e + 1 < len(t) and t[e + 1].isalnum()):
                return True
        return False


def _unspaced(c: str) -> bool:
    """A letter of a script written without spaces between words (Chinese, Japanese; Korean
    particles and Thai words too): "は090-1234-5678です" is not one token."""
    return "\u2e80" <= c <= "\ud7af" or "\u0e00" <= c <= "\u0eff"


# A context vocabulary's words in scripts without spaces, found as substrings.
_UNSPACED_WORDS: dict[frozenset[str], tuple[str, ...]] = {}


def _unspaced_near(text: str, start: int, words: frozenset[str], window: int = 12) -> bool:
    before = text[max(0, start - window):start]
    if before.isascii():
        return False
    found = _UNSPACED_WORDS.get(words)
    if found is None:
        found = _UNSPACED_WORDS[words] = tuple(w for w in words if w and _unspaced(w[0]))
    for w in found:
        if w in before:
            return True
    return False


class Recognizer:
    name: str = ""
    category: str = ""
    patterns: tuple[str, ...] = ()
    # Words that raise confidence when they are tokens of the field name or stand just
    # before the value in prose.
    context: frozenset[str] = frozenset()
    score: float = 0.5
    context_boost: float = 0.3
    # Lower-case substrings one of which must occur in the sample before the regex runs.
    keywords: tuple[str, ...] = ()
    field_hints: frozenset[str] = frozenset()
    # Capture group holding the value (0: whole match).
    group: int = 0
    # Hyperscan patterns that match wherever ``patterns`` match, ending inside the same
    # segment: a cheaper superset for the scanner's prefilter (prefilter.py). () means
    # the patterns themselves.
    prefilter: tuple[str, ...] = ()
    # Field names (a subset of ``field_hints``) under which ``sibling_applies`` may take
    # a field its names alone do not, and scan_field reads the other fields of the
    # object in ``ctx.siblings``.
    sibling_hints: frozenset[str] = frozenset()
    # Field names (a subset of ``field_hints``) under which a JSON ``true`` is a value to
    # read: {"has_diabetes": true} says as much as {"diagnosis": "diabetes"}. Read as the
    # text "true"; other booleans hold nothing and are not walked.
    flag_hints: frozenset[str] = frozenset()

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        return Hit(self.contextual(self.score, ctx))

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        return ()

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        """Whether ``scan_field`` can report anything under these field names. A pure
        function of the names, so the scanner caches it; False must mean ``scan_field``
        returns nothing for any value there."""
        return not self.field_hints.isdisjoint(tokens)

    def sibling_applies(self, tokens: frozenset[str], sibling_tokens: frozenset[str]) -> bool:
        """Whether ``scan_field`` applies to a field (its names ``tokens``) that
        ``field_applies`` turned down, given the names of the fields of its object:
        {"routing_number": ..., "account_number": ...} holds a bank account whatever the
        object is called. Read only under the recogniser's ``sibling_hints``, where its
        scan_field also finds those fields in ``ctx.siblings``."""
        return False

    def contextual(self, score: float, ctx: Ctx) -> float:
        if self.context and (ctx.field_has(self.context) or ctx.near(self.context)):
            score += self.context_boost
        return min(1.0, score)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
