"""Normalisation (what is hashed) and masked previews (what people see).

A mask keeps enough to recognise a value in an alert and never the whole of it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any, Callable, Final

from .cmodules import c_module
from .finding import Category


# Deletion tables for ASCII text (the usual case): str.translate drops the other
# characters in one C pass, in a third to a half of what re.sub takes; str methods decide
# for the rest.
_KEEP_DIGITS: Final = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isdigit()))
_KEEP_ALNUM: Final = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))


def digits_of_py(s: str) -> str:
    """The ``str.isdigit`` characters of ``s``, in order: the reference for the C twin."""
    if s.isascii():
        return s.translate(_KEEP_DIGITS)
    return "".join(ch for ch in s if ch.isdigit())


def alnum_upper(s: str) -> str:
    """The ``str.isalnum`` characters of ``s``, in order, upper-cased."""
    if s.isascii():
        return s.translate(_KEEP_ALNUM).upper()
    return "".join(ch for ch in s if ch.isalnum()).upper()


_C_TEXT: Final = c_module("_text")
# The digits of a candidate are read several times on its way to a Finding (validate,
# normalise, mask): in C a tenth of the cost of str.translate.
digits_of: Final[Callable[[str], str]] = _C_TEXT.digits if _C_TEXT is not None else digits_of_py


def _lower_strip(v: str) -> str:
    return v.strip().lower()


def folded_words(v: str) -> str:
    """Lower case, one blank between words: "Alzheimer's  Disease" -> "alzheimer's disease"."""
    return " ".join(v.lower().split())


def _phone(v: str) -> str:
    d = digits_of(v)
    return "+" + d if v.lstrip().startswith("+") else d


# The categories as plain str globals: compiled, Category.EMAIL is an attribute lookup
# on the enum class each time it is read.
_EMAIL: Final = Category.EMAIL.value
_PHONE: Final = Category.PHONE_NUMBER.value
_CARD: Final = Category.CREDIT_CARD.value
_SSN: Final = Category.US_SSN.value
_IBAN: Final = Category.IBAN.value
_BANK: Final = Category.BANK_ACCOUNT.value
_IP: Final = Category.IP_ADDRESS.value
_PERSON: Final = Category.PERSON.value
_STREET: Final = Category.STREET_ADDRESS.value
_DOB: Final = Category.DATE_OF_BIRTH.value
_NATIONAL_ID: Final = Category.NATIONAL_ID.value
_PASSPORT: Final = Category.PASSPORT.value
_GEO: Final = Category.GEO_COORDINATES.value
_SECRET: Final = Category.SECRET.value
_DEVICE: Final = Category.DEVICE_ID.value
_HEALTH: Final = Category.HEALTH_ID.value
_CRYPTO: Final = Category.CRYPTO_WALLET.value
_SPECIAL: Final = Category.SPECIAL_CATEGORY.value


def normalise(category: str, value: str) -> str:
    """Category-specific canonical form, so one data subject hashes to one value.

    Phone numbers are expected already in E.164 (the recogniser normalises them).
    """
    # An if-chain in order of frequency: compiled, each branch is a direct call, where
    # a dict of functions went through the generic calling convention once per candidate.
    if category == _PERSON or category == _STREET:
        return folded_words(value)
    if category == _EMAIL or category == _IP:
        return _lower_strip(value)
    if category == _PHONE:
        return _phone(value)
    if category == _CARD or category == _SSN or category == _BANK:
        return digits_of(value)
    if category == _SPECIAL:
        return folded_words(value)  # as names and streets: lower case, one blank between words
    if category == _IBAN or category == _NATIONAL_ID or category == _PASSPORT or category == _HEALTH:
        return alnum_upper(value)
    if category == _CRYPTO:
        # Base58 is case-sensitive; hex and bech32 are not.
        v = value.strip()
        return v.lower() if v[:2].lower() == "0x" or v[:3].lower() == "bc1" else v
    return value.strip()


_C_HMAC: Final = c_module("_hmac")  # without it, hashlib does the work


class Hasher:
    """HMAC-SHA256 under the site key. Without a key, a random one per process:
    hashes (and so distinct-subject counts) then only agree within that process."""

    __slots__ = ("_key", "_inner", "_outer", "_c")

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
        # The same HMAC in C where the install compiled it (_hmac.c): a sixth of the cost.
        self._c: Any = _C_HMAC.HmacSha256(k) if _C_HMAC is not None else None

    def __repr__(self) -> str:  # never print the key
        return "Hasher(<key>)"

    def same_key(self, other: "Hasher") -> bool:
        return hmac.compare_digest(self._key, other._key)

    def hex(self, normalised: str) -> str:
        if self._c is not None:
            return self._c.hex(normalised)
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
    return "**** **** **** " + digits_of(v)[-4:]


def mask_phone(v: str) -> str:
    d = digits_of(v)
    # E.164 input keeps "+": the country is not identifying, the subscriber number is.
    head = "+" if v.startswith("+") else ""
    return head + "*" * max(3, len(d) - 4) + d[-4:]


def mask_last(v: str, keep: int = 4) -> str:
    a = alnum_upper(v)
    keep = min(keep, max(0, len(a) // 3))
    if len(a) > 40:  # a push token: its length says nothing worth a line of stars
        return "****" + a[len(a) - keep:]
    return "*" * (len(a) - keep) + a[len(a) - keep:]


def mask_wallet(v: str, prefix: str) -> str:
    """The address's public kind ("bc1", "0x", "1", "3") and its last four characters,
    as wallets show an address in short: "0x****9f3a"."""
    v = v.strip()
    return prefix + "****" + v[-4:] if len(v) >= len(prefix) + 16 else "****"


def mask_iban(v: str) -> str:
    a = alnum_upper(v)
    return a[:2] + "*" * (len(a) - 6) + a[-4:]


def mask_ssn(v: str) -> str:
    return "***-**-" + digits_of(v)[-4:]


def mask_words(v: str) -> str:
    """"Jane Doe" -> "J*** D***"; digits are hidden too ("123 Main St" -> "#*** M*** S***")."""
    return " ".join([("#" if w[0].isdigit() else w[0]) + "***" for w in v.split()])


def mask_ip(v: str) -> str:
    if ":" in v:
        parts = v.split(":")
        return ":".join(parts[:2]) + ":****"
    parts = v.split(".")
    return ".".join(parts[:2]) + ".*.*"


def mask_date(v: str) -> str:
    return "".join("*" if c.isalnum() else c for c in v)


_GEO_NUMBER: Final = re.compile(r"-?\d+(?:\.\d+)?")


def mask_geo(v: str) -> str:
    # One decimal is ~10 km: recognisable region, not a home. Labels ("lat", "lng") go.
    out = []
    for part in _GEO_NUMBER.findall(v):
        head, dot, tail = part.partition(".")
        out.append(head + (dot + tail[:1] + "*" if dot else ""))
    return ", ".join(out)


def mask_secret(v: str, prefix: str = "") -> str:
    """Known public prefixes (``sk_live_``, ``ghp_``, ``AKIA``) are kept, nothing else: the
    first characters of a password someone chose say much about it (``value_hash`` tells
    two secrets apart)."""
    if prefix and v.startswith(prefix):
        return prefix + "****"
    return "****"


def mask_hash(v: str, encoding: str) -> str:
    return f"{encoding}:{v[:4].lower()}****"


def mask_canary(v: str) -> str:
    return v[:1] + _stars(len(v) - 1)


def mask(category: str, value: str, subtype: str = "", prefix: str = "") -> str:
    c = category  # in order of frequency, as in normalise()
    if c == _PERSON or c == _STREET:
        return mask_words(value)
    if c == _EMAIL:
        return mask_email(value)
    if c == _PHONE:
        return mask_phone(value)
    if c == _IP:
        return mask_ip(value)
    if c == _SECRET:
        return mask_secret(value, prefix)
    if c == _DOB:
        return mask_date(value)
    if c == _GEO:
        return mask_geo(value)
    if c == _CARD:
        # A card's security code is shown as stars only: three or four digits are all of it.
        return "***" if subtype == "security_code" else mask_card(value)
    if c == _SSN:
        # The last four digits of an SSN sent alone are all of that value.
        return "****" if subtype == "last4" else mask_ssn(value)
    if c == _IBAN:
        return mask_iban(value)
    if c == _BANK or c == _DEVICE:
        return mask_last(value, 4)
    if c == _NATIONAL_ID or c == _PASSPORT or c == _HEALTH:
        return mask_last(value, 3)
    if c == _CRYPTO:
        return mask_wallet(value, prefix)
    if c == _SPECIAL:
        return "****"  # "HIV", "Muslim": any letter of it says too much; the subtype says what it is
    return mask_canary(value)
