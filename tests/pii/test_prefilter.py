"""The Hyperscan prefilter may flag too much, never too little: wherever a recogniser's
RE2 patterns match, its prefilter reports a match end inside that match (the scanner
relies on it both to pick segments and to stop searching a segment early)."""

from __future__ import annotations

import functools
import threading

import hyperscan
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.pii import Scanner
from detectors.pii.phones import PhoneValidator
from detectors.pii.prefilter import Prefilter, _flags
from detectors.pii.recognizers import builtin_recognizers
from detectors.pii.rx import compile_raw, spans
from tests.pii.conftest import KEY, cats, scan_json

_RECS = builtin_recognizers(PhoneValidator(("US", "GB", "FR", "DE", "IN")))
WITH_PREFILTER = [r for r in _RECS if r.prefilter]  # hand-written supersets
REGEX_RECS = [r for r in _RECS if r.patterns]  # the rest use their own patterns

SAMPLES = [
    # person
    "Jane Doe", "Hi Jane,", "Dear Mr. Okonkwo", "my name is Émile Zola", "Zoë O'Brien-Smith",
    "María José Carreño", "Łukasz Żółć signed", "Jean-Luc Picard", "Ronald McDonald Smith",
    "Δημήτρης Παπαδόπουλος", "Анна Каренина", "thanks, Gretl", "Mr. A. Smith", "Ngũgĩ Wa Thiong'o",
    "Ólafur Arnalds\tÞórsson", "ÉMILE Zola", "é Zola", "I'm Ünal Öztürk",
    # closings and greetings of several words, and those that are not ASCII
    "Liebe Grüße, Hans", "Viele Grüße\nKlaus", "Kind Regards,\nAnna", "Olá João", "Dzień dobry Anna",
    "Buenos días, Carmen", "Pozdrawiam, Piotr", "Gruß Hans", "Met vriendelijke groet, Jan",
    # street
    "221B Baker Street", "5 W 42nd Street", "Hauptstraße 5", "Lindenweg 12a", "Öster Allee 3",
    "12 rue de la Paix", "5 bis allée des Écoles", "Calle Mayor 5", "Avenida de la Constitución 12",
    "10-12 Ámbar Road", "1600 Pennsylvania Avenue NW, Washington, DC 20500", "Kurt-Zahn-Gasse 8/7",
    "Storgatan 12", "ul. Długa 90/2", "Via Roma, 40", "Mayalaan 9", "12 Łódzka Street", "Praça da Sé 10",
    # national ids named in text
    "PESEL: 44051401359", "NHS number 943 476 5919", "Steuer-ID 36 574 261 809", "hetu 131052-308T",
    # phone
    "+1 (415) 555-0132", "(415) 555-0132", "1-415-555-0132", "020 7946 0958", "030/1234567",
    "4155550132", "+44 (0)20 7946 0958 ext. 12", "+33 6 12 34 56 78", "415.555.0132 x12",
    # iban, e-mail, secrets
    "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "FR14 2004 1010 0505 0001 3M02 606",
    "jane@example.com", "José.Núñez@example.es", "a@b.co",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "postgres://üser:pässwörd123@db.example.net:5432/app", "https://app:s3cr3tPass@host.example",
    # cards, national ids, passports, dates, coordinates, IPs, keys
    "4242 4242 4242 4242", "4242-4242-4242-4242", "3782 822463 10005", "123-45-6789", "AB 12 34 56 C",
    "2345 6789 0123", "1 85 05 78 006 084 36", "12345678Z", "X-1234567-L", "123.456.789-09",
    "RSSMRA85T10A562S", "C01X00T47", "born 1985-03-12", "12/03/1985", "March 12th, 1985", "12. März 1985",
    "12 de março de 1985", "12-Mar-1985", "12 Août 1985", "12-MAR-1985", "12MAR1985", "12 SEPTEMBER 1985",
    "Hi JOHN,", "Thanks,\nMARIA SMITH", "hi john,", "hola maría, gracias", "Hey élodie dupont!",
    "To: john smith <js@example.com>", "john [at] example [dot] com", "jane(AT)example.org",
    "email john at example dot com", "my wife Sarah", "Our fiancée Zoë", "her stepdaughter, Émilie Roy", 'From: "élodie" <e@example.fr>',  "jürgen müller<jm@example.de>", "0x52908400098527886E0F7030069857D2E4169EE7", "NRIC S1234567D",
    "Medicare card 2123 45670 1/1",
    "52.91047, -107.32004", "8.8.4.4", "2001:db8::1", "fe80:0:0:0:0:0:0:1",
    "AKIAIOSFODNN7ABCDEFG", "ghp_" + "a1B2" * 9, "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "xoxb-1234567890-abcdefghij",
    "SG." + "a" * 22 + "." + "b" * 43, "key-" + "0a" * 16, "-----BEGIN RSA PRIVATE KEY-----",
    "dd_api_key=" + "0123456789abcdef" * 2, "hooks.slack.com/services/T00000000/B00000000/" + "X" * 24,
    # secrets after their names in text: a user glued to curl's -u, a colon after "is"
    "curl -udeploy:Tr0ub4dor!3 https://ci.example.net", "my password is: Tr0ub4dor!3",
    # passwords after a client's short flag
    "mysql -uroot -pTr0ub4dor!3 shop",
    # driving licences after their names
    "driver's license D1234567", "Driver’s License: D7654321", "Führerschein B072RRE2I55", "DL# B2345678",
    # MAC addresses and bank accounts after their names
    "MAC 00:1A:2B:3C:4D:5E", "Wi-Fi address a4-83-e7-12-34-56", "hwaddr 0011.2233.4455", "BSSID: 00:1a:2b:3c:4d:5e",
    "sort code 20-00-00 account 55779911", "Kontonummer 1234567890", "número de cuenta 0049 1500",
    "DOB: 03/14/82", "geb. 14.03.82", "born 3-4-75", "MRN 00482913", "Medicare number 1EG4-TE5-MK73",
    "med rec # 4471-2209", "Patient ID 88123456",
    "to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "ETH wallet: 0x52908400098527886E0F7030069857D2E4169EE7",
        "DRIVING LICENCE MORGA657054SM9IJ", "permis de conduire 12AB34567", "prawo jazdy 01234/19/1234", "身份证号 11010519491231002X", "주민등록번호 971013-9019902", "sshpass -p 'Tr0ub4dor!3' ssh h", "redis-cli -h c -a Tr0ub4dor!3",
]


@functools.lru_cache(maxsize=None)
def _db(patterns: tuple[str, ...]):
    db = hyperscan.Database()
    db.compile(expressions=[p.encode() for p in patterns], ids=[0] * len(patterns), elements=len(patterns),
               flags=[_flags(p) for p in patterns])
    return db


@functools.lru_cache(maxsize=None)
def _re2(patterns: tuple[str, ...]):
    return compile_raw("|".join(f"(?:{p})" for p in patterns))


def _check(rec, text: str) -> None:
    data = text.encode("utf-8", "replace")
    matches = list(spans(_re2(rec.patterns), data))
    if not matches:
        return
    ends: list[int] = []
    _db(rec.prefilter or rec.patterns).scan(data, match_event_handler=lambda _i, _f, to, _fl, _c: ends.append(to))
    for s, e in matches:
        assert any(s < t <= e for t in ends), (rec.name, text, data[s:e])


@pytest.mark.parametrize("rec", REGEX_RECS, ids=lambda r: r.name)
def test_prefilter_covers_every_match_on_samples(rec):
    for text in SAMPLES:
        _check(rec, text)
        _check(rec, "x " + text + ", y")


_PIECES = st.sampled_from([
    "A", "a", "Z", "z", "É", "é", "Ö", "ß", "Ł", "ł", "Ж", "ж", "'", "-", ".", ",", " ", "  ", "\t", "\n",
    "0", "1", "4", "9", "12", "415", "2024", "/", "(", ")", "+", "@", ":", "x", "ext", "#",
    "Jane", "Doe", "Dr", "Hi", "is", "my name", "Straße", "weg", "rue", "allée", "Calle", "de la",
    "Street", "St", "DE89", "eyJ", "abcdefgh", "://", "AKIA", "sk_live_", "SK", "key-", "-", "_", "0a", "ff",
    "gatan", "laan", "Gasse", "ul.", "Via", "Rua", "ą", "PESEL", "nhs", "Steuer-ID", "8/7",
    "Grüße", "Kind", "Regards", "Olá", "días", "Gruß", "mysql", "-p", "-a", "login", "sshpass",
    "driver", "Driving", "'s", "’s", "license", "LICENCE", "DL", "Führerschein", "permis de conduire", "D1234", "MAC", "Wi-Fi", "address", "1A:2B", "acct #", "account",
    "DOB", "born", "geb.", "MRN", "Medicare", "1EG4", "TE5", "wallet", "ETH", "0x52908400098527886E0F7030069857D2E4169EE7",
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "身份证", "号码", "マイナンバー", "は",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=24).map("".join))
def test_prefilter_covers_every_match_on_random_text(text):
    for rec in REGEX_RECS:
        _check(rec, text)


def test_every_builtin_prefilter_compiles():
    # One that Hyperscan cannot read as RE2 does runs on every segment: slower, and a
    # keyword-gated one would leave no segment quiet (a non-ASCII name under (?i) did).
    assert Scanner(key=KEY)._pre.always == frozenset()


def test_unsupported_custom_regex_runs_on_every_segment():
    # Hyperscan cannot compile "(?U)" (ungreedy); the detector must still run.
    s = Scanner({"custom": [{"name": "emp", "category": "EMPLOYEE_ID", "regex": r"(?U)EMP-\d{6}"}]}, key=KEY)
    assert s._pre_custom.always == frozenset({0})
    fs = scan_json(s, {"note": "ref EMP-123456 ok", "other": "nothing"})
    assert cats(fs) == {"EMPLOYEE_ID"}


def test_custom_regex_with_unicode_properties_is_not_prefiltered():
    # Unicode tables may differ between Hyperscan and RE2: RE2 alone decides.
    s = Scanner({"custom": [{"name": "ref", "category": "REF", "regex": r"REF-\p{Lu}{3}\d{4}"}]}, key=KEY)
    assert s._pre_custom.always == frozenset({0})
    assert cats(scan_json(s, {"note": "see REF-ÄÖÜ1234"})) == {"REF"}


@pytest.mark.parametrize("regex", [r"^M\d{8}$", r"\AM\d{8}\z", r"(?m)^M\d{8}$", r"[$^]?M\d{8}(?:[^0-9]|$)"])
def test_anchors_mean_the_edges_of_each_field(regex):
    # Segments are joined into one buffer for Hyperscan; an anchor still means the edge of
    # the field it stands in, first, middle or last.
    s = Scanner({"custom": [{"name": "member", "category": "MEMBER_ID", "regex": regex}]}, key=KEY)
    assert not s._pre_custom.always  # prefiltered, not run everywhere
    for i in range(3):
        doc = {f"f{j}": "x" for j in range(3)}
        doc[f"f{i}"] = "M12345678"
        assert [f.field_path for f in scan_json(s, doc)] == [f"$.f{i}"], doc


def test_custom_regex_spans_multibyte_characters():
    # ".{6}" is six characters: the prefilter must count characters, not bytes.
    s = Scanner({"custom": [{"name": "tag", "category": "TAG", "regex": r"TAG-.{6}-END"}]}, key=KEY)
    assert cats(scan_json(s, {"note": "see TAG-éééééé-END here"})) == {"TAG"}


def test_databases_are_compiled_once_per_process():
    a = Prefilter([(r"\d{3}",), (r"[a-z]+@",)])
    b = Prefilter([(r"\d{3}",), (r"[a-z]+@",)])
    assert a.scan(b"x 123\x00jane@", [0, 6]) == b.scan(b"x 123\x00jane@", [0, 6]) == {0: [[0, 5]], 1: [[1, 11]]}


def test_scanner_is_safe_across_threads():
    s = Scanner(key=KEY)
    body = b'{"email": "jane@example.com", "phone": "+14155550132", "name": "Jane Doe"}'
    want = s.scan_request("POST", "/x", [], body, "application/json")
    got: list = []

    def work():
        for _ in range(200):
            got.append(s.scan_request("POST", "/x", [], body, "application/json"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 800 and all(g == want for g in got)


def test_caches_keep_field_names_not_data_used_as_keys():
    from detectors.pii import structure

    s = Scanner(key=KEY)
    scan_json(s, {"by_email": {"zed.quinn@example.com": {"plan": "pro"}}, "+14155550199": 1})
    cached = set(structure._PATH_CACHE) | set(structure._KEY_CACHE) | set(structure._TOKEN_CACHE)
    assert "by_email" in cached
    assert not {"zed.quinn@example.com", "+14155550199"} & cached
