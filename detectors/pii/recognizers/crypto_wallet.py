"""Cryptocurrency wallet addresses: Bitcoin's (base58check "1..." and "3...", bech32
"bc1..."), Ethereum's ("0x" and 40 hex digits), and those of the chains that share
Bitcoin's checksums: Litecoin ("L...", "M...", "ltc1..."), Dogecoin ("D...") and Tron
("T...", where most USDT is sent).

An address is pseudonymous, like a hashed e-mail: every payment to or from it is public,
so whoever learns whose it is learns what they paid for. Presidio and commercial DLP
report it; a sub-processor (an analytics SDK, a KYC vendor, a node provider such as
Infura) that receives it with a user id receives that person's history.

A Bitcoin address carries a checksum (double SHA-256 for base58check, BCH for bech32),
so it is reported wherever it is, as are Litecoin's, Dogecoin's and Tron's: the version
byte names the chain. So is an Ethereum address in mixed case: EIP-55 writes
each hex letter in the case its Keccak-256 hash says, the form wallets copy and
explorers show; a SHA-1 or a commit id is written in lower case. In lower case an
address carries no checksum, and 40 hex digits are as often a hash: it is reported only
after a wallet's name in text ("wallet 0x...", "ETH address: 0x...") or under a
wallet's field name (``wallet``, ``address``, and ``from``/``to`` as JSON-RPC
transactions name them). A mixed-case address whose checksum fails is no address:
wallets refuse it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final, Iterable

from Crypto.Hash import keccak

from ..finding import Category
from .base import Ctx, Hit, Recognizer, field_hit

_BASE58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX: Final = {c: i for i, c in enumerate(_BASE58)}
# Mainnet version bytes -> the chain: Bitcoin's pay to a public key hash ("1...") and to
# a script hash ("3...", which Litecoin used before "M..."), Litecoin's ("L...", "M..."),
# Dogecoin's ("D...") and Tron's ("T...").
_VERSIONS: Final = {0x00: "bitcoin", 0x05: "bitcoin", 0x30: "litecoin", 0x32: "litecoin", 0x1E: "dogecoin",
                    0x41: "tron"}
# Segwit's human-readable parts -> the chain.
_SEGWIT_HRPS: Final = {"bc": "bitcoin", "ltc": "litecoin"}
_BECH32: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX: Final = {c: i for i, c in enumerate(_BECH32)}
_BECH32_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST: Final = 1  # BIP 173, segwit version 0
_BECH32M_CONST: Final = 0x2BC830A3  # BIP 350, versions 1 to 16 (taproot)

_BASE58_ADDRESS: Final = r"\b[13LMDT][1-9A-HJ-NP-Za-km-z]{25,34}\b"
_BECH32_ADDRESS: Final = r"\b(?:(?:bc|ltc)1[02-9ac-hj-np-z]{11,71}|(?:BC|LTC)1[02-9AC-HJ-NP-Z]{11,71})\b"
_WALLET_CUE: Final = (r"(?i:\b(?:wallet|eth(?:ereum)?|erc-?20|metamask|usdt|usdc|crypto|deposit|withdrawal)"
                      r"(?:[ \t]+address|[ \t]+addr\b|[ \t]+#)?)")
_ETH_ADDRESS: Final = r"0x[0-9a-fA-F]{40}"
_ETH: Final = re.compile(_ETH_ADDRESS)
# The cue, ending up to 24 characters before an address, as the text pattern allows.
_CUED: Final = re.compile(_WALLET_CUE + r"[^\n]{0,24}$")
_CUE_REACH: Final = 64  # longer than a cue and the 24 characters after it
# With fewer hex letters than this the checksum says too little (at five, one random
# string in 32 passes; an address has fifteen on average). Hex with capitals is rare but
# for addresses.
_MIN_CHECKED_LETTERS: Final = 5
# "from" and "to": eth_sendTransaction's parameters, as a node provider receives them.
_WALLET_FIELDS: Final = frozenset({"wallet", "walletaddress", "walletaddr", "ethaddress", "ethereumaddress",
                                   "cryptoaddress", "address", "from", "to", "depositaddress", "withdrawaladdress"})


def base58check_chain(value: str) -> str:
    """The chain of a mainnet address in base58check: 25 bytes whose last four are the
    double SHA-256 of the first 21, led by a version byte that names it; "" for none."""
    n = 0
    for c in value:
        i = _BASE58_INDEX.get(c)
        if i is None:
            return ""
        n = n * 58 + i
    if n >> 200:
        return ""
    raw = n.to_bytes(25, "big")
    # Each leading "1" stands for a zero byte, and only those.
    ones = len(value) - len(value.lstrip("1"))
    chain = _VERSIONS.get(raw[0], "")
    if len(raw) - len(raw.lstrip(b"\x00")) != ones or not chain:
        return ""
    return chain if hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:] else ""



def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if top >> i & 1:
                chk ^= _BECH32_GENERATOR[i]
    return chk


def bech32_chain(value: str) -> str:
    """The chain of a mainnet segwit address ("bc1...", "ltc1..."): its human-readable
    part, a witness version, a program of the length that version allows, and the
    checksum of that version's variant (bech32 or bech32m); "" for none."""
    v = value.lower()
    hrp, one, rest = v.partition("1")
    chain = _SEGWIT_HRPS.get(hrp, "")
    if not one or not chain or not 14 <= len(v) <= 90:
        return ""
    data = [_BECH32_INDEX.get(c, -1) for c in rest]
    if -1 in data:
        return ""
    version = data[0]
    program = len(data) - 7  # 5-bit groups, without the version and the 6-group checksum
    if version > 16 or not 2 * 8 <= program * 5 < 41 * 8:
        return ""
    if version == 0 and program not in (32, 52):  # 20 or 32 bytes
        return ""
    expected = _BECH32_CONST if version == 0 else _BECH32M_CONST
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]  # BIP 173's hrp expansion
    return chain if _polymod(expanded + data) == expected else ""



def _eth_ok(value: str) -> bool:
    """40 hex digits that are no placeholder (the zero or burn address, "0xdeadbeef...")
    and, in mixed case, carry a valid EIP-55 checksum."""
    if _ETH.fullmatch(value) is None or len(set(value[2:].lower())) < 6:
        return False
    return not _mixed_case(value) or eip55_ok(value)


def _mixed_case(value: str) -> bool:
    hex_ = value[2:]
    return hex_ != hex_.lower() and hex_ != hex_.upper()


def eip55_ok(value: str) -> bool:
    """EIP-55: the i-th hex letter is upper case where the i-th hex digit of the
    Keccak-256 of the lower-case address (without "0x") is 8 or more."""
    hex_ = value[2:]
    digest = keccak.new(digest_bits=256, data=hex_.lower().encode()).hexdigest()
    for c, h in zip(hex_, digest):
        if c.isalpha() and c.isupper() != (h >= "8"):
            return False
    return True


def _checksummed(value: str) -> bool:
    """An address with capitals, enough letters that its checksum is evidence, and a
    valid one. (Its letters may all be capitals: "0x5290...D2E4169EE7" is EIP-55's.)"""
    hex_ = value[2:]
    return hex_ != hex_.lower() and sum(c.isalpha() for c in hex_) >= _MIN_CHECKED_LETTERS and eip55_ok(value)


class CryptoWalletRecognizer(Recognizer):
    name: str = "crypto_wallet"
    category: str = Category.CRYPTO_WALLET
    # An Ethereum address is group 1 after a wallet's name and up to 24 characters on
    # its line, or the whole match alone; the Bitcoin forms take no group either.
    patterns: tuple[str, ...] = (
        _BECH32_ADDRESS,
        _BASE58_ADDRESS,
        _WALLET_CUE + r"[^\n]{0,24}?\b(" + _ETH_ADDRESS + r")\b",
        r"\b" + _ETH_ADDRESS + r"\b",
    )
    prefilter: tuple[str, ...] = (_BECH32_ADDRESS, _BASE58_ADDRESS, r"\b" + _ETH_ADDRESS + r"\b")
    group: int = 1
    field_hints: frozenset[str] = _WALLET_FIELDS
    score: float = 0.9

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        if value[:2] in ("0x", "0X") and not _checksummed(value) and \
                _CUED.search(ctx.text, max(0, ctx.start - _CUE_REACH), ctx.start) is None:
            return None  # one case and unnamed: a hash as often as a wallet
        return self._read(value, 0.8)

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not v.startswith(("0x", "0X")):
            return ()  # Bitcoin addresses are found by the pattern wherever they are
        return field_hit(self._read(v, 0.85), value, v)

    def _read(self, value: str, eth_score: float) -> Hit | None:
        if value[:2] in ("0x", "0X"):
            return Hit(eth_score, value, "ethereum", mask_prefix="0x") if _eth_ok(value) else None
        if value[:3].lower() == "bc1" or value[:4].lower() == "ltc1":
            chain = bech32_chain(value)
            if chain:
                return Hit(self.score, value, chain, mask_prefix=value[:value.index("1") + 1])
        chain = base58check_chain(value)
        return Hit(self.score, value, chain, mask_prefix=value[0]) if chain else None
