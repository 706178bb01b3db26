"""Checksums and structural rules. Each takes a string and returns bool; no regex here."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import Counter
from datetime import date
from typing import Any, Final

from .cmodules import c_module
from .masking import digits_of

_C_TEXT: Final = c_module("_text")  # Luhn and entropy over ASCII values, in C; or None
_C_LUHN: Final[Any] = _C_TEXT.luhn if _C_TEXT is not None else None

# --- payment cards -----------------------------------------------------------


# Digit -> its Luhn contribution when doubled.
_LUHN_DOUBLE: Final = {str(d): (2 * d - 9 if d > 4 else 2 * d) for d in range(10)}


def luhn(digits: str) -> bool:
    if _C_LUHN is not None:
        got = _C_LUHN(digits)  # None for a value that is not ASCII
        if got is not None:
            return got
    return luhn_py(digits)


def luhn_py(digits: str) -> bool:
    """``luhn`` in Python: the reference for the C twin, and the fallback."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    if digits.isascii():
        rev = digits[::-1]  # sums over slices: the loop runs in C
        return (sum(map(int, rev[0::2])) + sum(map(_LUHN_DOUBLE.__getitem__, rev[1::2]))) % 10 == 0
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# (prefix low, prefix high, prefix length, allowed lengths, issuer)
_CARD_RANGES: Final[tuple[tuple[int, int, int, tuple[int, ...], str], ...]] = (
    (4, 4, 1, (13, 16, 19), "visa"),
    (51, 55, 2, (16,), "mastercard"),
    (2221, 2720, 4, (16,), "mastercard"),
    (34, 34, 2, (15,), "amex"),
    (37, 37, 2, (15,), "amex"),
    (6011, 6011, 4, (16, 19), "discover"),
    (644, 649, 3, (16, 19), "discover"),
    (65, 65, 2, (16, 19), "discover"),
    (3528, 3589, 4, (16, 17, 18, 19), "jcb"),
    (300, 305, 3, (14, 16, 19), "diners"),
    (36, 36, 2, (14, 16, 19), "diners"),
    (38, 39, 2, (16, 19), "diners"),
    (62, 62, 2, (16, 17, 18, 19), "unionpay"),
    (50, 50, 2, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (56, 58, 2, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
    (6759, 6759, 4, (12, 13, 14, 15, 16, 17, 18, 19), "maestro"),
)


# The ranges over the first four digits: one int() per number, not one per range. Every
# card length is over four digits, so a number of another length is turned down first.
_CARD_RANGES4: Final[tuple[tuple[int, int, tuple[int, ...], str], ...]] = tuple(
    (lo * 10 ** (4 - plen), (hi + 1) * 10 ** (4 - plen) - 1, lengths, issuer)
    for lo, hi, plen, lengths, issuer in _CARD_RANGES)
_CARD_LENGTHS: Final = frozenset(n for card_range in _CARD_RANGES for n in card_range[3])


def card_issuer(digits: str) -> str:
    """Issuer name when the IIN range and length fit one, else ""."""
    n = len(digits)
    if n not in _CARD_LENGTHS:
        return ""
    first4 = int(digits[:4])
    for lo4, hi4, lengths4, issuer4 in _CARD_RANGES4:
        if n in lengths4 and lo4 <= first4 <= hi4:
            return issuer4
    return ""


def is_credit_card(digits: str) -> bool:
    # Luhn first: in C, and it turns down nine numbers in ten.
    return 12 <= len(digits) <= 19 and luhn(digits) and bool(card_issuer(digits))


# --- IBAN ---------------------------------------------------------------------

IBAN_LENGTHS: Final = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def mod97(alnum: str) -> int:
    """ISO 7064 mod 97-10 over letters A=10..Z=35, computed in chunks."""
    rem = 0
    for ch in alnum:
        if ch.isdigit():
            rem = (rem * 10 + ord(ch) - 48) % 97
        else:
            rem = (rem * 100 + ord(ch) - 55) % 97
    return rem


def is_iban(compact: str) -> bool:
    """``compact``: upper case, no spaces."""
    if len(compact) < 15 or not compact.isalnum() or not compact.isascii():
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    if not compact[2:4].isdigit():
        return False
    return mod97(compact[4:] + compact[:4]) == 1


# --- US SSN -----------------------------------------------------------------

# Published as examples or in advertising, never valid for a person.
_SSN_BLOCKED: Final = {"078051120", "219099999", "123456789", "457555462"}


def is_us_ssn(digits: str) -> bool:
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    if digits in _SSN_BLOCKED or len(set(digits)) == 1:
        return False
    return True


# --- Verhoeff (Aadhaar) -----------------------------------------------------

_VD: Final[tuple[tuple[int, ...], ...]] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VP: Final[tuple[tuple[int, ...], ...]] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2), (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff(digits: str) -> bool:
    if not digits.isdigit():
        return False
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VD[c][_VP[i % 8][ord(ch) - 48]]
    return c == 0


def is_aadhaar(digits: str) -> bool:
    # First digit 0 or 1 is never issued; a palindrome or one repeated digit is a test value.
    return (
        len(digits) == 12 and digits.isdigit() and digits[0] not in "01"
        and len(set(digits)) > 2 and verhoeff(digits)
    )


# --- UK National Insurance number -----------------------------------------------

_NINO_BAD_PREFIX: Final = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def is_uk_nino(compact: str) -> bool:
    if len(compact) != 9:
        return False
    a, b = compact[0], compact[1]
    if a in "DFIQUV" or b in "DFIQUVO":
        return False
    if compact[:2] in _NINO_BAD_PREFIX:
        return False
    return compact[2:8].isdigit() and compact[8] in "ABCD"


# --- French NIR (numéro de sécurité sociale) -----------------------------------------


def is_fr_nir(compact: str) -> bool:
    if len(compact) != 15:
        return False
    body, key = compact[:13], compact[13:]
    if not key.isdigit() or compact[0] not in "12378":
        return False
    month = compact[3:5]
    if not month.isdigit() or not (1 <= int(month) <= 12 or 20 <= int(month) <= 42 or 50 <= int(month) <= 99):
        return False
    # Corsica: 2A counts as 19, 2B as 18 in the key computation.
    if body[5:7] == "2A":
        num = int(body[:5] + "19" + body[7:])
    elif body[5:7] == "2B":
        num = int(body[:5] + "18" + body[7:])
    elif body.isdigit():
        num = int(body)
    else:
        return False
    return 97 - num % 97 == int(key)


# --- Spanish DNI / NIE -------------------------------------------------------------

_DNI_LETTERS: Final = "TRWAGMYFPDXBNJZSQVHLCKE"


def is_es_dni(compact: str) -> bool:
    if len(compact) != 9:
        return False
    head, letter = compact[:8], compact[8]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    if not head.isdigit():
        return False
    return _DNI_LETTERS[int(head) % 23] == letter


# --- Singapore NRIC and FIN ---------------------------------------------------------

_NRIC_WEIGHTS: Final = (2, 7, 6, 5, 4, 3, 2)
# The check letter by the weighted sum's remainder: citizens and permanent residents (S
# before 2000, T after), foreigners (F, G), and the M series issued from 2022.
_NRIC_LETTERS: Final = {"S": (0, "JZIHGFEDCBA"), "T": (4, "JZIHGFEDCBA"), "F": (0, "XWUTRQPNMLK"),
                        "G": (4, "XWUTRQPNMLK"), "M": (3, "XWUTRQPNJLK")}


def sg_nric(value: str) -> str:
    """The NRIC or FIN in upper case if its check letter is right, else ""."""
    v = value.strip().upper()
    if len(v) != 9 or not v[1:8].isdigit() or v[0] not in _NRIC_LETTERS:
        return ""
    offset, letters = _NRIC_LETTERS[v[0]]
    total = offset + sum(w * int(d) for w, d in zip(_NRIC_WEIGHTS, v[1:8]))
    return v if letters[total % 11] == v[8] else ""


# --- UAE Emirates ID ---------------------------------------------------------------------

def ae_emirates_id(value: str) -> str:
    """The 15 digits of an Emirates ID if written as one (784-YYYY-NNNNNNN-C, dashes or
    blanks optional): the UAE's country code 784, a birth year, and a Luhn check digit.
    Else ""."""
    compact = value.strip().replace("-", "").replace(" ", "")
    if len(compact) != 15 or not compact.isdigit() or not compact.startswith("784"):
        return ""
    if not 1900 <= int(compact[3:7]) <= current_date().year or not luhn(compact):
        return ""
    return compact


# --- Indian voter ID (EPIC) -------------------------------------------------------------

def in_epic(value: str) -> str:
    """An Elector's Photo Identity Card number in upper case: three letters and seven
    digits ("ABC1234567"), the digits not one repeated. It has no public check digit, so
    only its name says what it is. Else ""."""
    v = value.strip().upper()
    if len(v) != 10 or not v[:3].isalpha() or not v[:3].isascii() or not v[3:].isdigit() or len(set(v[3:])) < 3:
        return ""
    return v


# --- Australian Medicare number --------------------------------------------------------

_MEDICARE_WEIGHTS: Final = (1, 3, 7, 9, 1, 3, 7, 9)


def au_medicare(value: str) -> str:
    """The card number and its issue number, ten digits, if the card's first digit is 2
    to 6 and its ninth is the check digit; a reference number after them (the person on
    the card, "/1") is read past. Else ""."""
    digits = digits_of(value)
    if len(digits) not in (10, 11) or digits[0] not in "23456" or digits[9] == "0":
        return ""
    check = sum(w * int(d) for w, d in zip(_MEDICARE_WEIGHTS, digits)) % 10
    return digits[:10] if check == int(digits[8]) else ""


# --- Brazilian CPF ---------------------------------------------------------------


def is_br_cpf(digits: str) -> bool:
    if len(digits) != 11 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    nums = [ord(c) - 48 for c in digits]
    for n in (9, 10):
        s = 0
        for i in range(n):  # weights n+1 .. 2: a plain loop compiles to C, map(mul, ...) does not
            s += nums[i] * (n + 1 - i)
        if (s * 10 % 11) % 10 != nums[n]:
            return False
    return True


# --- Italian codice fiscale -------------------------------------------------------

_CF_ODD: Final = {
    **{str(d): v for d, v in zip(range(10), (1, 0, 5, 7, 9, 13, 15, 17, 19, 21))},
    **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20,
                                               11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23))),
}


def is_it_codice_fiscale(cf: str) -> bool:
    if len(cf) != 16 or not cf.isalnum() or not cf.isascii():
        return False
    if not (cf[:6].isalpha() and cf[8].isalpha() and cf[11].isalpha() and cf[15].isalpha()):
        return False
    total = 0
    for i, ch in enumerate(cf[:15]):
        if i % 2 == 0:
            total += _CF_ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - 65
    return chr(65 + total % 26) == cf[15]


# --- IP addresses ----------------------------------------------------------------


# IPv4 ranges that are not globally routed (IANA special-purpose registry), as
# (network, prefix length); checked by integer arithmetic, which is ten times faster
# than the ipaddress module on the hot path.
_V4_SPECIAL: Final[tuple[tuple[int, int], ...]] = (
    (0x00000000, 8), (0x0A000000, 8), (0x64400000, 10), (0x7F000000, 8), (0xA9FE0000, 16),
    (0xAC100000, 12), (0xC0000000, 24), (0xC0000200, 24), (0xC0A80000, 16), (0xC6120000, 15),
    (0xC6336400, 24), (0xCB007100, 24), (0xE0000000, 4), (0xF0000000, 4),
)


def ip_kind(text: str) -> str:
    """"public", "private" (RFC 1918, loopback, link-local, reserved...) or "" if not an IP."""
    if "." in text and ":" not in text:
        parts = text.split(".")
        if len(parts) != 4:
            return ""
        n = 0
        for p in parts:
            if not p.isdigit() or len(p) > 3 or (len(p) > 1 and p[0] == "0") or int(p) > 255:
                return ""
            n = n << 8 | int(p)
        for net, plen in _V4_SPECIAL:
            if n >> (32 - plen) == net >> (32 - plen):
                return "private"
        return "public"
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return ""
    if ip.is_global:
        return "public"
    return "private"


# --- dates -------------------------------------------------------------------


# (when read, the date then): see current_date().
_TODAY: Final[list[tuple[float, date]]] = [(-1.0, date.min)]


def current_date() -> date:
    """date.today(), read at most once a second: it costs about a microsecond (the clock
    and the time zone), and the detectors ask for it for every candidate date."""
    now = time.time()
    at, value = _TODAY[0]
    if not 0.0 <= now - at < 1.0:
        value = date.today()
        _TODAY[0] = (now, value)  # one assignment: a thread reads a pair, never half of one
    return value


def plausible_birth_date(y: int, m: int, d: int, today: date | None = None) -> bool:
    today = today or current_date()
    if not (today.year - 120 <= y <= today.year):
        return False
    try:
        dt = date(y, m, d)
    except ValueError:
        return False
    return dt <= today


# --- entropy -------------------------------------------------------------------


# c * log2(c) for small counts: H = log2(n) - sum(c log2 c) / n, with the counting in C.
_CLOG2: Final = [0.0] + [c * math.log2(c) for c in range(1, 1025)]


_C_ENTROPY: Final[Any] = _C_TEXT.entropy if _C_TEXT is not None else None


def shannon_entropy(s: str) -> float:
    """Bits per character."""
    if _C_ENTROPY is not None:
        got = _C_ENTROPY(s)
        if got is not None:
            return got
    return shannon_entropy_py(s)


def shannon_entropy_py(s: str) -> float:
    """``shannon_entropy`` in Python: the reference for the C twin, and the fallback."""
    n = len(s)
    if not n:
        return 0.0
    if n < len(_CLOG2) and s.isascii():
        # Keys and tokens are ASCII: a byte table counts them, compiled, in about half the
        # time of a Counter (a dict update per character).
        table = [0] * 128
        for b in s.encode("ascii"):
            table[b] += 1
        total = 0.0
        for c in table:
            if c:
                total += _CLOG2[c]
        return math.log2(n) - total / n
    counts = Counter(s).values()
    if n < len(_CLOG2):
        total = sum(map(_CLOG2.__getitem__, counts))
    else:
        total = sum(c * math.log2(c) for c in counts)
    return math.log2(n) - total / n
