"""Hashed identifiers: a bare md5/sha1/sha256 hex value under an e-mail, phone, name or
birth-date field (``em``, ``hashed_email``, ``ud[ph]``) is still personal data. Ad pixels send
sha256 of the lower-cased e-mail; the hash links the person across sites."""

from __future__ import annotations

from typing import Final, Iterable

from ..context import DOB_FIELD, EMAIL_FIELD
from ..finding import Category, Encoding
from .base import Ctx, Hit, Recognizer

_ALGO: Final = {32: Encoding.MD5, 40: Encoding.SHA1, 64: Encoding.SHA256}
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_PHONE: Final = frozenset({"ph", "phone", "phonenumber", "phonesha256", "hashedphone", "mobile", "tel"})
_NAME: Final = frozenset({"fn", "ln", "firstname", "lastname"})
_NAME_PARTS: Final = frozenset({"first", "last", "given", "family", "full"})
_HASH_WORDS: Final = frozenset({"hash", "hashed", "sha256", "sha1", "md5", "sha", "emailhash", "emailsha256"})
# "hashed" alone names an e-mail ("hashed": "8c87..."); next to "phone" it does not
# (Google Ads' "hashedPhoneNumber").
_NAMES_EMAIL: Final = EMAIL_FIELD - {"hashed"}


class HashedIdentifierRecognizer(Recognizer):
    name: str = "hashed_identifier"
    category: str = Category.EMAIL
    field_hints: frozenset[str] = EMAIL_FIELD | _PHONE | _NAME | DOB_FIELD

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        algo = _ALGO.get(len(v))
        if algo is None or not set(v) <= _HEX:
            return ()
        if v.isdigit() or len(set(v)) < 6:
            return ()
        t = ctx.tokens
        if t & _NAMES_EMAIL:
            cat = Category.EMAIL
        elif t & _PHONE:
            cat = Category.PHONE_NUMBER
        elif t & _NAME or ("name" in t and not _NAME_PARTS.isdisjoint(t)):  # "hashed_first_name"
            cat = Category.PERSON
        elif t & DOB_FIELD:  # Meta's "db": sha256 of YYYYMMDD
            cat = Category.DATE_OF_BIRTH
        else:
            cat = Category.EMAIL
        score = 0.75 if t & _HASH_WORDS else 0.65
        off = value.index(v[0])
        return (Hit(score, v.lower(), encoding=algo, category=cat, start=off, end=off + len(v)),)
