"""Normalisation (what is hashed) and masked previews (what people see).

A mask keeps enough to recognise a value in an alert and never the whole of it.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from .finding import Category

_C = Category


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _alnum_upper(s: str) -> str:
    return "".join(ch for ch in s if ch.isalnum()).upper()


def normalise(category: str, value: str) -> str:
    """Category-specific canonical form, so one data subject hashes to one value.

    Phone numbers are expected already in E.164 (the recogniser normalises them).
    """
    if category == _C.EMAIL:
        return value.strip().lower()
    if category in (_C.CREDIT_CARD, _C.US_SSN):
        return _digits(value)
    if category in (_C.IBAN, _C.NATIONAL_ID, _C.PASSPORT):
        return _alnum_upper(value)
    if category == _C.PHONE_NUMBER:
        d = _digits(value)
        return "+" + d if value.lstrip().startswith("+") else d
    if category in (_C.PERSON, _C.STREET_ADDRESS):
        return " ".join(value.lower().split())
    if category == _C.IP_ADDRESS:
        return value.strip().lower()
    return value.strip()


class Hasher:
    """HMAC-SHA256 under the site key. Without a key, a random one per process:
    hashes (and so distinct-subject counts) then only agree within that process."""

    __slots__ = ("_key", "_inner", "_outer")

    def __init__(self, key: bytes | str | None = None):
        if key is None:
            key = os.urandom(32)
        elif isinstance(key, str):
            key = key.encode()
        if not key:
            raise ValueError("site key must not be empty")
        self._key = key
        # RFC 2104 with the padded-key states computed once: hmac.new() redoes it per call.
        k = hashlib.sha256(key).digest() if len(key) > 64 else key
        k = k.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def __repr__(self) -> str:  # never print the key
        return "Hasher(<key>)"

    def same_key(self, other: "Hasher") -> bool:
        return hmac.compare_digest(self._key, other._key)

    def hex(self, normalised: str) -> str:
        i = self._inner.copy()
        i.update(normalised.encode("utf-8", "surrogatepass"))
        o = self._outer.copy()
        o.update(i.digest())
        return o.hexdigest()


# --- masks ------------------------------------------------------------------


def _stars(n: int) -> str:
    return "*" * max(3, n)


def mask_email(v: str) -> str:
    local, _, domain = v.rpartition("@")
    labels = domain.split(".")
    tld = labels[-1] if len(labels) > 1 else ""
    return f"{local[:1]}***@{domain[:1]}***" + (f".{tld}" if tld else "")


def mask_card(v: str) -> str:
    return "**** **** **** " + _digits(v)[-4:]


def mask_phone(v: str) -> str:
    d = _digits(v)
    # E.164 input keeps "+": the country is not identifying, the subscriber number is.
    head = "+" if v.startswith("+") else ""
    return head + "*" * max(3, len(d) - 4) + d[-4:]


def mask_last(v: str, keep: int = 4) -> str:
    a = _alnum_upper(v)
    keep = min(keep, max(0, len(a) // 3))
    return "*" * (len(a) - keep) + a[len(a) - keep:]


def mask_iban(v: str) -> str:
    a = _alnum_upper(v)
    return a[:2] + "*" * (len(a) - 6) + a[-4:]


def mask_ssn(v: str) -> str:
    return "***-**-" + _digits(v)[-4:]


def mask_words(v: str) -> str:
    """"Jane Doe" -> "J*** D***"; digits are hidden too ("123 Main St" -> "#*** M*** S***")."""
    return " ".join(("#" if w[0].isdigit() else w[0]) + "***" for w in v.split())


def mask_ip(v: str) -> str:
    if ":" in v:
        parts = v.split(":")
        return ":".join(parts[:2]) + ":****"
    parts = v.split(".")
    return ".".join(parts[:2]) + ".*.*"


def mask_date(v: str) -> str:
    return "".join("*" if c.isalnum() else c for c in v)


def mask_geo(v: str) -> str:
    # One decimal is ~10 km: recognisable region, not a home.
    out = []
    for part in v.replace(" ", "").split(","):
        head, dot, tail = part.partition(".")
        out.append(head + (dot + tail[:1] + "*" if dot else ""))
    return ", ".join(out)


def mask_secret(v: str, prefix: str = "") -> str:
    """Known public prefixes (``sk_live_``, ``ghp_``, ``AKIA``) are kept; else the first
    4 characters when the value is long enough that 4 do not matter, else nothing."""
    if prefix and v.startswith(prefix):
        return prefix + "****"
    if len(v) >= 20:
        return v[:4] + "****"
    return "****"


def mask_hash(v: str, encoding: str) -> str:
    return f"{encoding}:{v[:4].lower()}****"


def mask_canary(v: str) -> str:
    return v[:1] + _stars(len(v) - 1)


def mask(category: str, value: str, subtype: str = "", prefix: str = "") -> str:
    c = category
    if c == _C.EMAIL:
        return mask_email(value)
    if c == _C.CREDIT_CARD:
        return mask_card(value)
    if c == _C.PHONE_NUMBER:
        return mask_phone(value)
    if c == _C.IBAN:
        return mask_iban(value)
    if c == _C.US_SSN:
        return mask_ssn(value)
    if c in (_C.NATIONAL_ID, _C.PASSPORT):
        return mask_last(value, 3)
    if c in (_C.PERSON, _C.STREET_ADDRESS):
        return mask_words(value)
    if c == _C.IP_ADDRESS:
        return mask_ip(value)
    if c == _C.DATE_OF_BIRTH:
        return mask_date(value)
    if c == _C.GEO_COORDINATES:
        return mask_geo(value)
    if c == _C.SECRET:
        return mask_secret(value, prefix)
    return mask_canary(value)
