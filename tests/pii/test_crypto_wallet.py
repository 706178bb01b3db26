"""Cryptocurrency wallet addresses: Bitcoin's and checksummed Ethereum ones wherever they
are (their checksum is the evidence), Ethereum's in one case after a wallet's name or
under a wallet's field; Litecoin's, Dogecoin's and Tron's by the same checksums. The
addresses are the published examples of BIP 13, BIP 173, BIP 350 and EIP-55, the
genesis block's, BIP 173's program under Litecoin's "ltc", and Tether's USDT contract on
Tron."""

from __future__ import annotations

import pytest

from detectors.pii import Scanner
from detectors.pii.masking import normalise
from detectors.pii.recognizers.crypto_wallet import base58check_chain, bech32_chain, eip55_ok
from tests.pii.conftest import scan_json

GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
SEGWIT = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
TAPROOT = "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"
ETH = "0x52908400098527886E0F7030069857D2E4169EE7"
# EIP-55's own examples.
EIP55 = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
         "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]
LITECOIN = "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9"
LITECOIN_P2SH = "MGxNPPB7eBoWPUaprtX9v9CXJZoD2465zN"
LITECOIN_SEGWIT = "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9"
DOGECOIN = "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
# ETH with the case of one letter (its last "E") turned.
ETH_MISCASED = ETH[:-2] + "e" + ETH[-1]

# (text, the address found in it, subtype)
FOUND = [
    (f"please send the refund to {GENESIS} today", GENESIS, "bitcoin"),
    (f"P2SH {P2SH}.", P2SH, "bitcoin"),
    (f"payout address: {SEGWIT}", SEGWIT, "bitcoin"),
    (f"{SEGWIT.upper()}", SEGWIT.upper(), "bitcoin"),  # QR codes carry it in upper case
    (f"taproot {TAPROOT}", TAPROOT, "bitcoin"),
    (f"My ETH wallet is {ETH}, thanks", ETH, "ethereum"),
    (f"deposit address: {ETH.lower()}", ETH.lower(), "ethereum"),
    (f"USDT (ERC20) {ETH}", ETH, "ethereum"),
    # Checksummed, so unnamed: pasted from a wallet into a chat or a ticket.
    (f"please send it to {ETH} by Friday", ETH, "ethereum"),
    (f"{EIP55[0]}", EIP55[0], "ethereum"),
    (f"LTC to {LITECOIN} please", LITECOIN, "litecoin"),
    (f"{LITECOIN_P2SH}", LITECOIN_P2SH, "litecoin"),
    (f"withdraw to {LITECOIN_SEGWIT}", LITECOIN_SEGWIT, "litecoin"),
    (f"doge: {DOGECOIN}", DOGECOIN, "dogecoin"),
    (f"USDT (TRC20) {TRON}", TRON, "tron"),
]


@pytest.mark.parametrize("text,address,subtype", FOUND, ids=[f[0][:28] for f in FOUND])
def test_wallet_addresses_in_text(scanner, text, address, subtype):
    found = scanner.scan_text(text)
    assert [(f.category, f.subtype, text[f.start:f.end]) for f in found] == [("CRYPTO_WALLET", subtype, address)]
    assert address[6:-4] not in found[0].masked and found[0].masked.endswith(address[-4:])


@pytest.mark.parametrize("text", [
    GENESIS[:-1] + "b",  # one character changed: the checksum fails
    P2SH[:10] + P2SH[11] + P2SH[10] + P2SH[12:],  # two characters swapped
    SEGWIT[:-1] + "5",
    SEGWIT[:8] + SEGWIT[8:].upper(),  # bech32 is one case or the other
    "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",  # testnet: no one's money
    TRON[:-1] + "u", LITECOIN_SEGWIT[:-1] + "8", DOGECOIN[:5] + DOGECOIN[6] + DOGECOIN[5] + DOGECOIN[7:],
    "ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # Bitcoin's checksum under Litecoin's name
    "order 1234567891234567891234567891 shipped",  # digits only: base58, no checksum
    f"commit {ETH.lower()}",  # 40 hex digits in one case unnamed: a SHA-1 as often as a wallet
    f"hash {EIP55[0].upper().replace('0X', '0x')}",  # capitals whose checksum fails: no evidence
    f"please send it to {ETH_MISCASED}",  # a checksum that fails: no address
    f"my wallet is {ETH_MISCASED}",  # not even named: wallets refuse it
    "wallet 0x0000000000000000000000000000000000000000",  # the zero address
    "wallet 0x000000000000000000000000000000000000dEaD",  # the burn address
])
def test_look_alikes_are_not_wallets(scanner, text):
    assert not [f for f in scanner.scan_text(text) if f.category == "CRYPTO_WALLET"]


def test_wallet_fields_and_json_rpc(scanner):
    # A node provider receives eth_sendTransaction's "from" and "to"; an exchange's
    # withdrawal API a wallet field; a hash field of the same shape is no wallet.
    rpc = {"jsonrpc": "2.0", "method": "eth_sendTransaction",
           "params": [{"from": ETH, "to": "0x8ba1f109551bD432803012645Ac136ddd64DBA72", "value": "0x9184e72a"}]}
    assert sorted((f.category, f.field_path) for f in scan_json(scanner, rpc)) == [
        ("CRYPTO_WALLET", "$.params[].from"), ("CRYPTO_WALLET", "$.params[].to")]
    assert [(f.category, f.subtype) for f in scan_json(scanner, {"wallet_address": ETH})] == \
        [("CRYPTO_WALLET", "ethereum")]
    assert scan_json(scanner, {"commit_sha": ETH.lower(), "tx_hash": "0x" + "ab12" * 16}) == []
    # Checksummed, an address is one under any field name.
    assert [(f.category, f.field_path) for f in scan_json(scanner, {"recipient": ETH})] == \
        [("CRYPTO_WALLET", "$.recipient")]


def test_an_address_hashes_the_same_however_it_is_written(scanner):
    # Hex and bech32 ignore case: one wallet, one hash; base58 does not.
    text = scanner.scan_text(f"wallet {ETH}")[0]
    lower = scanner.scan_text(f"wallet {ETH.lower()}")[0]
    field = scan_json(scanner, {"wallet": ETH.upper().replace("0X", "0x")})[0]
    assert text.value_hash == lower.value_hash == field.value_hash
    assert scanner.scan_text(SEGWIT)[0].value_hash == scanner.scan_text(SEGWIT.upper())[0].value_hash
    assert normalise("CRYPTO_WALLET", GENESIS) == GENESIS
    assert normalise("CRYPTO_WALLET", ETH) == ETH.lower()


def test_eip55_checksum():
    for address in EIP55 + [ETH]:
        assert eip55_ok(address)
        hex_ = address[2:]
        # Every letter turned, one at a time, breaks it.
        for i, c in enumerate(hex_):
            if c.isalpha():
                turned = "0x" + hex_[:i] + c.swapcase() + hex_[i + 1:]
                assert not eip55_ok(turned), turned


def test_checksums_accept_only_their_own_network():
    assert base58check_chain(GENESIS) == base58check_chain(P2SH) == "bitcoin"
    # A Litecoin address is base58check too, under another version byte.
    assert base58check_chain("LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9") == "litecoin"
    assert bech32_chain(SEGWIT) == bech32_chain(TAPROOT) == "bitcoin"
    # A version 0 program under bech32m's constant (BIP 350's invalid vector).
    assert bech32_chain("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh") == ""


def test_the_category_can_be_turned_off():
    scanner = Scanner({"detectors": {"crypto_wallet": {"enabled": False}}}, key=b"k" * 32)
    assert scanner.scan_text(f"send to {GENESIS}") == []
