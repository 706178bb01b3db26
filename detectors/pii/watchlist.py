"""Identifiers registered to be guarded (customer e-mails, phones, canary values).

Only keyed hashes are kept: at registration each value is normalised, and HMACs of
its wire forms (plain, base64, md5/sha1/sha256 hex, sha256 in base64) are stored. The
raw value is not retained by this object. A 64-bit keyed fingerprint (Python's per-process SipHash)
serves as a cheap prefilter before the HMAC, so most tokens on the wire cost a set
lookup, not a MAC.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Final, Iterable

from .finding import Category, Encoding
from .fold import fold
from .masking import Hasher, normalise
from .phones import PhoneValidator
from .validators import is_credit_card

_TOKEN_SPLIT: Final = re.compile(r"[^A-Za-z0-9_.@+\-/=]+")  # one negated class: linear


def _written_e164(value: str) -> str | None:
    """E.164 of a number written internationally ("+44 7700 900456") that the metadata does
    not know as assigned: canary phones are taken from ranges reserved for fiction, and a
    number registered as a phone must be found in its phone forms all the same."""
    v = value.strip()
    if not v.startswith("+") or "+" in v[1:] or "x" in v:
        return None
    digits = "".join(c for c in v.replace("(0)", "") if c.isdigit())  # "+44 (0)20 ...": the trunk prefix
    return "+" + digits if 8 <= len(digits) <= 15 and digits[0] != "0" else None


def written_forms(category: str, normalised: str) -> list[str]:
    """A normalised value as it is written before it is encoded or hashed: a phone number
    also without its "+" (pixels hash E.164 so)."""
    if category == Category.PHONE_NUMBER and normalised.startswith("+"):
        return [normalised, normalised[1:]]
    return [normalised]


def hex_digests(data: bytes) -> list[tuple[str, str]]:
    """(hex digest, encoding) of the md5, sha1 and sha256 of a value, as ad pixels send
    identifiers; the hashed-identifier recogniser reports a digest by this hex form."""
    return [(hashlib.md5(data).hexdigest(), Encoding.MD5), (hashlib.sha1(data).hexdigest(), Encoding.SHA1),
            (hashlib.sha256(data).hexdigest(), Encoding.SHA256)]


@dataclass(frozen=True, slots=True)
class WatchEntry:
    category: str
    value_hash: str  # HMAC under the site key of the normalised value
    label: str  # a name chosen by the user ("canary-billing"); never the value
    masked: str


class Watchlist:
    """``Watchlist(values, key=None)``: values are strings, or (value, label) pairs.

    Use the same key as the Scanner (or let the Scanner take this one) so that
    watchlist hits and ordinary findings hash the same subject to the same value.
    """

    __slots__ = ("_hasher", "_regions", "_phones", "_entries", "_forms", "_prefilter", "_lengths")

    def __init__(self, values: Iterable[str | tuple[str, str]] = (), key: bytes | str | None = None,
                 phone_regions: Iterable[str] = ("US", "GB", "FR", "DE", "IN")):
        self._hasher = key if isinstance(key, Hasher) else Hasher(key)
        self._phones = PhoneValidator(tuple(phone_regions))
        self._entries: list[WatchEntry] = []
        self._forms: dict[str, tuple[int, str]] = {}  # HMAC(form) -> (entry, encoding)
        self._prefilter: set[int] = set()
        self._lengths: set[int] = set()
        for item in values:
            if isinstance(item, tuple):
                self.add(item[0], label=item[1])
            else:
                self.add(item)

    def __repr__(self) -> str:
        return f"Watchlist({len(self._entries)} entries)"

    def __len__(self) -> int:
        return len(self._entries)

    def __getstate__(self):
        raise TypeError("a Watchlist is not serialisable; rebuild it from its source")

    @property
    def hasher(self) -> Hasher:
        return self._hasher

    def classify(self, value: str) -> tuple[str, str]:
        """(category, normalised) for a value being registered, folded already (``fold``)."""
        v = value.strip()
        if "@" in v and "." in v.rsplit("@", 1)[-1]:
            return Category.EMAIL, normalise(Category.EMAIL, v)
        digits = "".join(c for c in v if c.isdigit())
        if digits and all(c.isdigit() or c in " -" for c in v) and is_credit_card(digits):
            return Category.CREDIT_CARD, digits
        if digits and all(c.isdigit() or c in " +-().x" for c in v):
            e164 = self._phones.e164(v) or _written_e164(v)
            if e164:
                return Category.PHONE_NUMBER, e164
        return Category.CANARY, v

    def add(self, value: str, category: str | None = None, label: str = "") -> None:
        from .masking import mask

        value = fold(value)  # as the scanner reads text: "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ" is john@example.com
        cat, norm = self.classify(value)
        if category is not None:
            cat = category
            norm = normalise(cat, value)
        if not norm:
            raise ValueError("empty watchlist value")
        idx = len(self._entries)
        self._entries.append(WatchEntry(cat, self._hasher.hex(norm), label, mask(cat, norm)))
        forms: list[tuple[str, str]] = []
        for var in written_forms(cat, norm):
            b = var.encode()
            forms.append((var, Encoding.PLAIN))
            b64 = base64.b64encode(b).decode().rstrip("=")
            forms.append((b64, Encoding.BASE64))
            forms.append((base64.urlsafe_b64encode(b).decode().rstrip("="), Encoding.BASE64URL))
            forms += hex_digests(b)
            digest = hashlib.sha256(b).digest()
            # Google's enhanced conversions send the digest in base64url, others in base64.
            forms.append((base64.b64encode(digest).decode().rstrip("="), Encoding.SHA256))
            forms.append((base64.urlsafe_b64encode(digest).decode().rstrip("="), Encoding.SHA256))
        for form, enc in forms:
            self._forms.setdefault(self._hasher.hex(form), (idx, enc))
            self._prefilter.add(hash(form))
            self._lengths.add(len(form))

    # --- lookups (used by the scanner) ---------------------------------------------------

    def match_normalised(self, normalised: str) -> tuple[WatchEntry, str] | None:
        """A recogniser's normalised value (e-mail lower-cased, phone E.164, card digits)."""
        if not self._entries or hash(normalised) not in self._prefilter:
            return None
        hit = self._forms.get(self._hasher.hex(normalised))
        if hit is None:
            return None
        return self._entries[hit[0]], hit[1]

    def scan_tokens(self, text: str) -> list[tuple[int, int, WatchEntry, str]]:
        """(start, end, entry, encoding) for every registered form seen as a token."""
        if not self._entries:
            return []
        out = []
        pre = self._prefilter
        lengths = self._lengths
        pos = 0
        for tok in _TOKEN_SPLIT.split(text):
            if not tok:
                continue
            parts = [tok]
            if "/" in tok or "=" in tok:
                parts.extend(p for p in re.split(r"[/=]", tok) if p)
            for p in parts:
                cand = p.rstrip(".=")
                if len(cand) not in lengths:
                    cand_l = None
                else:
                    cand_l = cand
                found = None
                for c in (cand_l, cand.lower() if cand_l is not None else None):
                    if c is not None and hash(c) in pre:
                        found = self._forms.get(self._hasher.hex(c))
                        if found:
                            break
                if found:
                    start = text.find(cand, pos)
                    if start < 0:
                        start = text.lower().find(cand.lower(), pos)
                    end = start + len(cand)
                    out.append((start, end, self._entries[found[0]], found[1]))
        return out
