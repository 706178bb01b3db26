"""Registered identifiers found in every wire form; the watchlist keeps only hashes."""

import base64
import gc
import hashlib
import pickle
from urllib.parse import quote

import pytest

from detectors.pii import Scanner, Watchlist
from tests.pii.conftest import KEY

EMAIL = "Jane.Canary@Example.com"  # registered in mixed case: normalised to lower
NORM = EMAIL.lower()
PHONE = "+1 (415) 555-0142"
E164 = "+14155550142"
CANARY = "cnry-7f3a9b21-billing"


@pytest.fixture
def wl():
    return Watchlist([EMAIL, PHONE, (CANARY, "billing-canary")], key=KEY)


@pytest.fixture
def scanner(wl):
    s = Scanner(watchlist=wl, key=KEY)
    yield s
    assert s.stats["errors"] == 0


def _hits(findings):
    return [f for f in findings if f.watchlist]


def _forms(value: str):
    b = value.encode()
    return {
        "plain": value,
        "url": quote(value, safe=""),
        "base64": base64.b64encode(b).decode(),
        "md5": hashlib.md5(b).hexdigest(),
        "sha1": hashlib.sha1(b).hexdigest(),
        "sha256": hashlib.sha256(b).hexdigest(),
    }


@pytest.mark.parametrize("encoding", ["plain", "url", "base64", "md5", "sha1", "sha256"])
@pytest.mark.parametrize("upper", [False, True])
def test_email_every_form(scanner, encoding, upper):
    form = _forms(NORM)[encoding]
    if upper:
        form = form.upper() if encoding in ("md5", "sha1", "sha256", "plain") else form
    in_query = quote(form, safe="") if encoding == "base64" else form  # "+" and "/" need escaping there
    for fs in (scanner.scan_request("GET", f"/px?v={in_query}&x=1", [], b""), scanner.scan_text(f"ref {form} end")):
        (f,) = _hits(fs)
        assert (f.category, f.detector, f.confidence, f.encoding) == ("EMAIL", "watchlist", 1.0, encoding)
        assert f.masked == "j***@e***.com"


def test_email_spelt_out(scanner):
    # "Jane.Canary [at] Example [dot] com" in a ticket: the address it spells is the watched one
    local, domain = EMAIL.split("@")
    text = f"please write to {local} [at] {domain.replace('.', ' [dot] ')} asap"
    (f,) = _hits(scanner.scan_text(text))
    assert (f.category, f.detector, f.masked) == ("EMAIL", "watchlist", "j***@e***.com")


@pytest.mark.parametrize("wire", ["+14155550142", "(415) 555-0142", "415.555.0142", "14155550142",
                                  hashlib.sha256(b"14155550142").hexdigest(), hashlib.sha256(b"+14155550142").hexdigest()])
def test_phone_forms(scanner, wire):
    fs = scanner.scan_request("POST", "/sms", [], f"To={quote(wire)}".encode(), "application/x-www-form-urlencoded")
    (f,) = _hits(fs)
    assert f.category == "PHONE_NUMBER"


def _sha256_base64(value: str, url: bool) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=") if url else base64.b64encode(digest).decode()


@pytest.mark.parametrize("url", [False, True], ids=["base64", "base64url"])
def test_email_sha256_in_base64(scanner, url):
    form = _sha256_base64(NORM, url)
    for fs in (scanner.scan_request("GET", f"/px?v={quote(form, safe='')}&x=1", [], b""), scanner.scan_text(f"ref {form} end")):
        (f,) = _hits(fs)
        assert (f.category, f.detector, f.encoding, f.masked) == ("EMAIL", "watchlist", "sha256", "j***@e***.com")


def test_google_pixel_user_data(scanner):
    # Enhanced conversions: base64url sha256 of the e-mail and of the E.164 phone, each
    # part named inside one "em" parameter.
    em = f"tv.1~em.{_sha256_base64(NORM, True)}~pn.{_sha256_base64(E164, True)}"
    fs = scanner.scan_request("GET", f"/pagead/conversion/123456789/?em={em}&random=1", [], b"")
    assert [(f.category, f.encoding, f.watchlist) for f in fs] == [("EMAIL", "sha256", True), ("PHONE_NUMBER", "sha256", True)]


def test_canary_plain_and_base64(scanner):
    for text in (f"leak {CANARY} here", "leak " + base64.b64encode(CANARY.encode()).decode() + " here",
                 "x " + hashlib.sha256(CANARY.encode()).hexdigest()):
        (f,) = _hits(scanner.scan_text(text))
        assert f.category == "CANARY" and f.detector == "watchlist"


def test_watchlist_hash_matches_a_normal_finding(scanner):
    """Counting subjects works across watchlist and recogniser hits: same key, same hash."""
    plain = Scanner(key=KEY).scan_text(f"mail {NORM}")
    hit = _hits(scanner.scan_text(f"mail {NORM}"))
    assert hit[0].value_hash == plain[0].value_hash


def test_other_values_are_not_hits(scanner):
    fs = scanner.scan_text("mail other.person@example.com and +1 415 555 0199")
    assert fs and not _hits(fs)


def test_no_raw_value_retained(wl):
    blob = pickle.dumps  # a Watchlist refuses to be serialised
    with pytest.raises(TypeError):
        blob(wl)
    raw = [EMAIL, NORM, PHONE, E164, CANARY, E164[1:]]
    # Walk the data reachable from the watchlist: containers and our own instances
    # (classes, modules and functions lead to the whole interpreter, not to its state).
    seen, stack, strings = set(), [wl], 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, str):
            strings += 1
            assert not any(r in o for r in raw), "raw value kept"
        elif isinstance(o, bytes):
            assert not any(r.encode() in o for r in raw)
        elif isinstance(o, (dict, list, tuple, set, frozenset)) or type(o).__module__.startswith("detectors.pii"):
            stack.extend(gc.get_referents(o))
    assert strings > 10  # the walk did reach the stored hashes
    assert CANARY not in repr(wl) and "billing-canary" not in repr(wl)


def test_key_mismatch_is_refused(wl):
    with pytest.raises(ValueError, match="different key"):
        Scanner(watchlist=wl, key=b"another-key")
    Scanner(watchlist=wl)  # no key: adopts the watchlist's


def test_watchlist_hit_survives_the_threshold(wl):
    s = Scanner({"min_confidence": 0.99}, watchlist=wl, key=KEY)
    assert _hits(s.scan_text(f"{hashlib.md5(NORM.encode()).hexdigest()}"))


# Ofcom's range for drama: valid-looking, assigned to no one, so the metadata refuses it.
FICTION_PHONE = "+44 7700 900456"


@pytest.mark.parametrize("wire", ["+447700900456", "447700900456", hashlib.sha256(b"+447700900456").hexdigest(),
                                  hashlib.sha256(b"447700900456").hexdigest(), _forms("+447700900456")["base64"]])
def test_a_canary_phone_from_a_reserved_range_is_registered_as_a_phone(wire):
    wl = Watchlist([(FICTION_PHONE, "canary-phone")], key=KEY)
    fs = Scanner(watchlist=wl, key=KEY).scan_request("POST", "/sms", [], f"To={quote(wire, safe='')}".encode(),
                                                     "application/x-www-form-urlencoded")
    (f,) = _hits(fs)
    assert (f.category, f.masked) == ("PHONE_NUMBER", "+********0456")


@pytest.mark.parametrize("value", ["+44 (0)7700 900456", "+447700900456"])
def test_written_international_forms_register_the_same_number(value):
    wl = Watchlist([value], key=KEY)
    (f,) = _hits(Scanner(watchlist=wl, key=KEY).scan_text("sent 447700900456 to the pixel"))
    assert f.category == "PHONE_NUMBER"


@pytest.mark.parametrize("value", ["+12", "+44 7700 900456 x12", "7700 900456", "+0 123 456 789"])
def test_what_is_not_a_number_written_internationally_stays_a_canary(value):
    assert Watchlist(key=KEY).classify(value)[0] == "CANARY"
