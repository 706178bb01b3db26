"""What a detector reports: where personal data or a secret was seen, never the value."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Category(StrEnum):
    EMAIL = "EMAIL"
    PHONE_NUMBER = "PHONE_NUMBER"
    CREDIT_CARD = "CREDIT_CARD"
    US_SSN = "US_SSN"
    IBAN = "IBAN"
    BANK_ACCOUNT = "BANK_ACCOUNT"  # an account number that is not an IBAN (US ACH, named by its field)
    IP_ADDRESS = "IP_ADDRESS"
    PERSON = "PERSON"
    STREET_ADDRESS = "STREET_ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    NATIONAL_ID = "NATIONAL_ID"
    PASSPORT = "PASSPORT"
    GEO_COORDINATES = "GEO_COORDINATES"
    DEVICE_ID = "DEVICE_ID"  # advertising IDs, Android IDs, IMEIs, MAC addresses (named by their field)
    HEALTH_ID = "HEALTH_ID"  # medical record numbers, Medicare numbers: health data, named by field or text
    CRYPTO_WALLET = "CRYPTO_WALLET"  # Bitcoin and Ethereum addresses (checksummed, or named)
    # Health, ethnic origin, religion, sexual orientation, political opinions, trade-union
    # membership, genetic and biometric data (GDPR Art. 9), named by their field.
    SPECIAL_CATEGORY = "SPECIAL_CATEGORY"
    SECRET = "SECRET"
    # A registered canary value whose shape is none of the above.
    CANARY = "CANARY"


class Location(StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"
    BODY = "body"
    TEXT = "text"  # scan_text input


class Encoding(StrEnum):
    PLAIN = "plain"
    URL = "url"
    BASE64 = "base64"
    BASE64URL = "base64url"
    GZIP = "gzip"
    DEFLATE = "deflate"
    BROTLI = "br"
    ZSTD = "zstd"
    SNAPPY = "snappy"
    QP = "quoted-printable"  # a MIME part's transfer encoding
    HTML = "html"  # character references: "jane&#64;example.com"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"


class Finding(NamedTuple):
    """One detected value (immutable; a NamedTuple because one is built per finding on
    the hot path and a frozen dataclass costs six times as much to construct).

    ``start``/``end`` are offsets into the decoded string at ``field_path`` (for
    ``scan_text``: into the text). A value found below a content encoding
    (base64, gzip, JSON inside a string) spans the whole encoded blob there.
    ``value_hash`` is HMAC-SHA256 under the site key of the normalised value;
    ``masked`` is a preview that never holds the whole value.
    """

    category: str
    subtype: str
    encoding: str
    location: str
    field_path: str
    start: int
    end: int
    confidence: float
    detector: str
    masked: str
    value_hash: str
    watchlist: bool = False  # a registered identifier or canary was seen

    def to_dict(self) -> dict:
        return self._asdict()


class NotReported(NamedTuple):
    """A candidate the resolver dropped, and why (``Scanner.explain_request``): for tuning
    thresholds and allowlists. Like a Finding, it holds a mask, never the value.
    Candidates a validator rejected (a checksum, a machine value) are not listed."""

    category: str
    subtype: str
    encoding: str
    location: str
    field_path: str
    start: int
    end: int
    confidence: float
    detector: str
    masked: str
    reason: str

    def to_dict(self) -> dict:
        return self._asdict()


class Explanation(NamedTuple):
    """What ``Scanner.explain_request`` / ``explain_text`` return."""

    findings: list[Finding]
    not_reported: list[NotReported]
