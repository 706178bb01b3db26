"""Bank accounts: IBANs (per-country length and the mod-97 check), and other account
numbers where the field names them."""

from __future__ import annotations

import re
from typing import Final, Iterable

from ..context import IBAN_FIELD
from ..finding import Category
from ..validators import IBAN_LENGTHS, is_iban
from .base import Ctx, Hit, Recognizer, field_hit


class IbanRecognizer(Recognizer):
    name: str = "iban"
    category: str = Category.IBAN
    patterns: tuple[str, ...] = (r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b",)
    # The pattern's start: its {11,30} repeat of optional spaces was half the prefilter
    # database's size (a cache-sized cost on every scan).
    prefilter: tuple[str, ...] = (r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){4}",)
    context: frozenset[str] = IBAN_FIELD | {"transfer", "sepa", "wire"}
    score: float = 0.9
    context_boost: float = 0.1
    # An IBAN typed in lower case ("de89 3704 ..."), as forms receive it, under its field:
    # the pattern reads capitals only, where a random token's case says nothing.
    field_hints: frozenset[str] = frozenset({"iban"})

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if v.upper() == v or not 15 <= len(v) <= 42:
            return ()  # in capitals the pattern finds it
        compact = v.replace(" ", "").upper()
        if len(compact) != IBAN_LENGTHS.get(compact[:2]) or not is_iban(compact):
            return ()
        return field_hit(Hit(0.95, compact), value, v)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        want = IBAN_LENGTHS.get(value[:2])
        end = -1 if want is None else _iban_end(value, want)
        if end < 0:
            return None
        compact = value[:end].replace(" ", "")
        if not is_iban(compact):
            return None
        return Hit(self.contextual(self.score, ctx), compact, end=ctx.start + end)


def _iban_end(value: str, want: int) -> int:
    """Where an IBAN of ``want`` characters ends in ``value`` (blanks between its groups
    not counted): the pattern may run into a following word ("... 00 EUR"). -1 when the
    value is shorter or the cut falls inside a group."""
    n = 0
    for i, ch in enumerate(value):
        if ch != " ":
            n += 1
            if n == want:
                end = i + 1
                return end if end == len(value) or value[end] == " " else -1
    return -1


class LowerCaseIbanRecognizer(Recognizer):
    """An IBAN typed in lower case right after its name: "iban: de89 3704 0044 ...". Read
    as the IBAN in capitals."""

    name: str = "iban.lower_case"
    category: str = Category.IBAN
    patterns: tuple[str, ...] = (r"(?i:\biban)[ \t]*[:#=\-]?[ \t]*(?:is[ \t]+)?\b([a-z]{2}\d{2}(?: ?[a-z0-9]){11,30})\b",)
    prefilter: tuple[str, ...] = (r"(?i:\biban)",)
    keywords: tuple[str, ...] = ("iban",)
    group: int = 1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        want = IBAN_LENGTHS.get(value[:2].upper())
        end = -1 if want is None else _iban_end(value, want)
        if end < 0:
            return None
        compact = value[:end].replace(" ", "").upper()
        return Hit(0.95, compact, end=ctx.start + end) if is_iban(compact) else None


# A bank account number named by its field: "bank_account[account_number]" (Stripe),
# "ach": {"account": ...} (Plaid). "account" alone names a user account everywhere else.
_ACCOUNT_NUMBER: Final = frozenset({"accountnumber", "acctnumber", "acctno", "accountno", "accountnum",
                                    "bankaccountnumber", "bankaccountno"})
_BANK: Final = frozenset({"bank", "bankaccount", "ach", "eft", "bacs", "checking", "savings", "payout", "payouts"})
# Fields of a bank account that are not its number ("bank_account[routing_number]").
_NOT_NUMBER: Final = frozenset({"routing", "sort", "sortcode", "holder", "name", "type", "status", "country", "currency",
                                "last4", "bic", "swift", "iban", "fingerprint", "id"})

# Fields that make their object a bank account's: {"routingNumber": ..., "accountNumber": ...}
# (Dwolla, Gusto), {"sort_code": ..., "account_number": ...}, {"bic": ..., ...}.
_BANK_SIBLING: Final = _BANK | {"routing", "routingnumber", "sortcode", "bsb", "aba", "abarouting", "transit",
                                "transitnumber", "bic", "swift", "swiftcode", "iban", "blz", "bankleitzahl",
                                "bankcode", "bankname", "institution", "institutionnumber"}

_ACCOUNT_FIELDS: Final = _ACCOUNT_NUMBER | {"account"}


def _names_account_number(tokens: frozenset[str]) -> bool:
    if not _ACCOUNT_NUMBER.isdisjoint(tokens):
        return True
    # A form's "bank_account[account_number]" is one name: its words, not their compound.
    return "account" in tokens and ("number" in tokens or "no" in tokens) and _NOT_NUMBER.isdisjoint(tokens)


# In text: an account named just before the number ("account number", "acct #", "a/c",
# "Kontonummer", "número de cuenta"); group 1 is the number.
_ACCOUNT_CUE: Final = (r"(?i:\b(?:account|acct|a/c)(?:[ \t]+(?:number|num|no)\b\.?|[ \t]*#)?|\bkonto(?:nummer|[ \t]+nr\b\.?)"
                       r"|\bn\S{1,2}mero[ \t]+de[ \t]+c(?:ompte|uenta))")
# ...and a bank named near it: "account" alone is a customer's account at any service.
_BANK_WORDS: Final = ("bank", "routing", "aba", "sort code", "sortcode", "checking", "chequing", "savings", "bsb",
                      "ach", "wire", "transit", "swift", "bic", "blz", "bankleitzahl", "banco", "banque", "rib")
_BANK_NEAR: Final = re.compile(r"\b(?:" + "|".join(w.replace(" ", r"[ \t]*") for w in _BANK_WORDS) + r")\b")


class BankAccountRecognizer(Recognizer):
    """Four to twenty digits (a US account's range, a Mexican CLABE, a Spanish CCC) under an
    account-number field of a bank context, or six to twenty named as an account beside a
    bank's name in text ("routing 021000021, account 123456789"); IBANs have their own
    recogniser."""

    name: str = "bank_account"
    category: str = Category.BANK_ACCOUNT
    field_hints: frozenset[str] = _ACCOUNT_FIELDS
    patterns: tuple[str, ...] = (_ACCOUNT_CUE + r"[^\d\n]{0,16}\b(\d(?:[ \-]?\d){3,19})\b",)
    group: int = 1
    # A cheap gate before the pattern runs: a bank's name somewhere in the request.
    keywords: tuple[str, ...] = tuple(w for w in _BANK_WORDS if " " not in w) + ("sort",)
    score: float = 0.85
    sibling_hints: frozenset[str] = _ACCOUNT_FIELDS

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        if _names_account_number(tokens):
            return "bankaccountnumber" in tokens or not (_BANK.isdisjoint(tokens) and _BANK.isdisjoint(parent_tokens))
        return tokens == {"account"} and not _BANK.isdisjoint(parent_tokens)

    def sibling_applies(self, tokens: frozenset[str], sibling_tokens: frozenset[str]) -> bool:
        return _names_account_number(tokens) and not _BANK_SIBLING.isdisjoint(sibling_tokens)

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        digits = v.replace(" ", "").replace("-", "")
        if not 4 <= len(digits) <= 20 or not digits.isascii() or not digits.isdigit() or len(set(digits)) < 3:
            return ()
        return field_hit(Hit(0.8, digits), value, v)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        digits = value.replace(" ", "").replace("-", "")
        if not 6 <= len(digits) <= 20 or len(set(digits)) < 3:
            return None  # "account ending 4242" shows four digits of one already known
        after = ctx.text[ctx.end:ctx.end + 2]
        if len(after) == 2 and after[0] in " -" and after[1].isdigit():
            return None  # more digits follow: not one account number
        window = ctx.text[max(0, ctx.start - 120):ctx.end + 60].lower()
        if _BANK_NEAR.search(window) is None:
            return None
        return Hit(self.score, digits)
