"""Hashed identifiers: a bare md5/sha1/sha256 hex value under an e-mail, phone, name, street
or birth-date field (``em``, ``hashed_email``, ``ud[ph]``, ``sha256_street``) is still
personal data. Ad pixels send sha256 of the lower-cased e-mail; the hash links the person
across sites. A sha256 may also be written in base64 or base64url (43 characters, or 44
with its "="), as Google's enhanced conversions do: ``em=tv.1~em.<b64url>~pn.<b64url>``.

A hash is reported in the category its plaintext would be, and only where the plaintext
would be: a city, region, postal code, country or customer id is not reported in the
clear (too coarse, or not personal data by itself), so its hash (Meta's ``ct``, ``st``,
``zp``, ``country``, ``external_id``) is not either. A hash of such a small set of values
is no safer than the value, and no more identifying.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final, Iterable

from ..context import DOB_FIELD, EMAIL_FIELD
from ..finding import Category, Encoding
from .base import Ctx, Hit, Recognizer

_ALGO: Final = {32: Encoding.MD5, 40: Encoding.SHA1, 64: Encoding.SHA256}
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_B64_STD: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_URL: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# 32 bytes fill 43 base64 characters but for two bits, which are zero in the last one.
_B64_LAST_OF_32: Final = frozenset("AEIMQUYcgkosw048")
_B64_SHA256_LEN: Final = 43
_PHONE: Final = frozenset({"ph", "phone", "phonenumber", "phonesha256", "hashedphone", "mobile", "tel"})
_NAME: Final = frozenset({"fn", "ln", "firstname", "lastname"})
_NAME_PARTS: Final = frozenset({"first", "last", "given", "family", "full"})
# Not "address" alone: a 40-hex value there is as likely a wallet or contract address.
_STREET: Final = frozenset({"street", "streetaddress"})
_HASH_WORDS: Final = frozenset({"hash", "hashed", "sha256", "sha1", "md5", "sha", "emailhash", "emailsha256"})
# "hashed" alone names an e-mail ("hashed": "8c87..."); next to "phone" it does not
# (Google Ads' "hashedPhoneNumber"), nor next to any other word ("hashedPostalCode").
_NAMES_EMAIL: Final = EMAIL_FIELD - {"hashed"}
_HASHED_ALONE: Final = frozenset({"hashed"})
# Google's user-provided data in a pixel's ``em`` parameter: ``tv.1~em.<hash>~pn.<hash>``.
# City, region, postal code and country ("ct", "rg", "pc", "co") are left out, as above.
_GOOGLE_PREFIX: Final = "tv.1~"
_GOOGLE_KEYS: Final = {"em": Category.EMAIL, "pn": Category.PHONE_NUMBER, "fn": Category.PERSON,
                       "ln": Category.PERSON, "sa": Category.STREET_ADDRESS}


def category_named(t: frozenset[str]) -> str | None:
    """The category a hash under a field with these name tokens stands for, or None."""
    # isdisjoint, not "&": no set is built per field.
    if not _NAMES_EMAIL.isdisjoint(t):
        return Category.EMAIL
    if not _PHONE.isdisjoint(t):
        return Category.PHONE_NUMBER
    if not _NAME.isdisjoint(t) or ("name" in t and not _NAME_PARTS.isdisjoint(t)):  # "hashed_first_name"
        return Category.PERSON
    if not DOB_FIELD.isdisjoint(t):  # Meta's "db": sha256 of YYYYMMDD
        return Category.DATE_OF_BIRTH
    if not _STREET.isdisjoint(t):
        return Category.STREET_ADDRESS
    if t == _HASHED_ALONE:
        return Category.EMAIL
    return None


def digest_of(v: str) -> tuple[str, str] | None:
    """(lower-case hex, algorithm) of a digest written in hex, or of a sha256 in base64 or
    base64url; None for anything else."""
    algo = _ALGO.get(len(v))
    if algo is not None:
        if not set(v) <= _HEX or v.isdigit() or len(set(v)) < 6:
            return None
        return v.lower(), algo
    raw = _b64_sha256(v)
    return (raw.hex(), Encoding.SHA256) if raw is not None else None


def _b64_sha256(v: str) -> bytes | None:
    if len(v) == _B64_SHA256_LEN + 1 and v[-1] == "=":
        v = v[:-1]
    if len(v) != _B64_SHA256_LEN or v[-1] not in _B64_LAST_OF_32:
        return None
    chars = set(v)
    if not (chars <= _B64_URL or chars <= _B64_STD) or len(chars) < 16:
        return None
    if v.isupper() or v.islower() or not any(c.isdigit() for c in v):
        return None  # a digest's base64 mixes cases and digits; a word or an id need not
    try:
        raw = base64.urlsafe_b64decode(v.replace("+", "-").replace("/", "_") + "=")
    except (binascii.Error, ValueError):
        return None
    if raw.isascii() and raw.decode().isprintable():
        return None  # base64 of text (a 32-character e-mail): the base64 pass decodes it
    return raw


class HashedIdentifierRecognizer(Recognizer):
    name: str = "hashed_identifier"
    category: str = Category.EMAIL
    field_hints: frozenset[str] = EMAIL_FIELD | _PHONE | _NAME | DOB_FIELD | _STREET | {"name"}

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return category_named(tokens) is not None

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not v:
            return ()
        off = value.index(v[0])
        if v.startswith(_GOOGLE_PREFIX):
            return _google_user_data(v, off)
        found = digest_of(v)
        cat = category_named(ctx.tokens) if found is not None else None
        if found is None or cat is None:
            return ()
        score = 0.65 if _HASH_WORDS.isdisjoint(ctx.tokens) else 0.75
        return (Hit(score, found[0], encoding=found[1], category=cat, start=off, end=off + len(v)),)


def _google_user_data(v: str, off: int) -> list[Hit]:
    """Hits for the hashed parts of ``tv.1~em.<hash>~pn.<hash>`` (``v`` stands at ``off``
    in the field's value): the format names each part."""
    hits = []
    pos = off + len(_GOOGLE_PREFIX)
    for part in v[len(_GOOGLE_PREFIX):].split("~"):
        key, dot, h = part.partition(".")
        cat = _GOOGLE_KEYS.get(key)
        found = digest_of(h) if dot and cat is not None else None
        if found is not None and cat is not None:
            start = pos + len(key) + 1
            hits.append(Hit(0.75, found[0], encoding=found[1], category=cat, start=start, end=start + len(h)))
        pos += len(part) + 1
    return hits
