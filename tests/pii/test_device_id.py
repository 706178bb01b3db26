"""Device identifiers under the field names SDKs send them with: advertising IDs, Android
IDs, IMEIs, MAC addresses. Values are synthetic or published examples (Google's sample
advertising ID, the IMEI of the check-digit worked example)."""

from __future__ import annotations

import json

import pytest

from tests.pii.conftest import scan_json

IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
FCM = "fGx3q9ZkT0u1VbN2mP4rW8:APA91b" + "Hq7Xk2Lm9Nc4Rt1Vw6Yz3Bd8Fg5Jp0Ks7Qe2Uh9Ai4Mo1Lx6Cv3Zn8Sb5Wy2Tr7Pk0Gd9Fj4He1Qa6Vu3Ic8No5Mb2Xz7Lr4Kw9Et1Dy6Gs3Hp0Jf8Ua5Oc2Vb7Ni4"
APNS = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad"

FOUND = [
    ({"idfa": IDFA}, "$.idfa", "advertising_id"),
    ({"device": {"ifa": IDFA, "os": "iOS"}}, "$.device.ifa", "advertising_id"),  # OpenRTB bid requests
    ({"advertisingId": GAID}, "$.advertisingId", "advertising_id"),
    ({"gps_adid": GAID.replace("-", "")}, "$.gps_adid", "advertising_id"),  # hyphens left out
    ({"idfv": IDFA.lower()}, "$.idfv", "vendor_id"),  # one vendor's apps, not an advertising ID
    ({"oaid": GAID}, "$.oaid", "advertising_id"),
    ({"android_id": "3f2a9c7d1e0b8a64"}, "$.android_id", "android_id"),
    ({"imei": "490154203237518"}, "$.imei", "imei"),
    ({"device_imei": "35-209900-176148-1"}, "$.device_imei", "imei"),
    ({"mac": "00:1A:2B:3C:4D:5E"}, "$.mac", "mac_address"),
    ({"wifi_mac": "00-1a-2b-3c-4d-5e"}, "$.wifi_mac", "mac_address"),
    ({"macAddress": "0011.2233.4455"}, "$.macAddress", "mac_address"),
    # Push tokens: FCM's ("<instance id>:APA91b..."), even under FCM's plain "token", and APNs' 64 hex.
    ({"message": {"token": FCM, "notification": {"title": "Order shipped"}}}, "$.message.token", "push_token"),
    ({"device_token": APNS}, "$.device_token", "push_token"),
]

NOT_FOUND = [
    {"idfa": "00000000-0000-0000-0000-000000000000"},  # tracking limited: the zeroed IDFA
    {"advertising_id": "not-a-uuid-at-all"},
    {"idfa": "6D92078A82464BA4AE5B"},  # too short
    {"android_id": "9774d56d682e549c"},  # shared by many Android 2.2 devices
    {"android_id": "0000000000000000"},
    {"imei": "490154203237519"},  # check digit wrong
    {"mac": "02:00:00:00:00:00"},  # what iOS returns to every app
    {"mac": "ff:ff:ff:ff:ff:ff"},
    {"mac": "00:1A:2B:3C:4D"},
    {"device_id": GAID},  # an app's own install id: not named as a device identifier here
    {"request_id": IDFA},
    {"session": {"id": GAID}},
    {"device_token": "0" * 64},  # a placeholder
    {"push_token": "not-a-token"},
]


@pytest.mark.parametrize("doc,path,subtype", FOUND, ids=[p for _, p, _ in FOUND])
def test_device_identifiers_under_their_names(scanner, doc, path, subtype):
    (f,) = scan_json(scanner, doc)
    assert (f.category, f.field_path, f.subtype) == ("DEVICE_ID", path, subtype)
    value = doc
    for key in path[2:].split("."):
        value = value[key]
    # Only the last four characters show, as on a card.
    assert f.masked.lstrip("*") == "".join(c for c in value if c.isalnum()).upper()[-4:]


@pytest.mark.parametrize("doc", NOT_FOUND, ids=[json.dumps(d) for d in NOT_FOUND])
def test_placeholders_and_other_ids_are_not_device_identifiers(scanner, doc):
    assert scan_json(scanner, doc) == []


def test_one_device_hashes_alike_in_every_spelling(scanner):
    spellings = [IDFA, IDFA.lower(), IDFA.replace("-", ""), IDFA.lower().replace("-", "")]
    hashes = {scan_json(scanner, {"idfa": s})[0].value_hash for s in spellings}
    assert len(hashes) == 1
    assert scan_json(scanner, {"idfa": GAID})[0].value_hash not in hashes


def test_mobile_measurement_query_string(scanner):
    fs = scanner.scan_request("GET", f"https://app.adjust.com/session?gps_adid={GAID}&idfa={IDFA}&app_token=abc",
                              [], b"")
    assert {(f.category, f.field_path) for f in fs} == {("DEVICE_ID", "query.gps_adid"), ("DEVICE_ID", "query.idfa")}
    for f in fs:
        assert GAID.replace("-", "").lower()[:12] not in f.masked.lower() and IDFA[:8] not in f.masked


def test_the_category_can_be_turned_off():
    from detectors.pii import Scanner

    sc = Scanner({"detectors": {"DEVICE_ID": {"enabled": False}}})
    assert scan_json(sc, {"idfa": IDFA}) == []


# (text, the MAC address found in it, or None): named just before it in text.
MAC_PROSE = [
    ("Device MAC 00:1A:2B:3C:4D:5E keeps dropping", "00:1A:2B:3C:4D:5E"),
    ("my laptop's Wi-Fi address is a4-83-e7-12-34-56", "a4-83-e7-12-34-56"),
    ("bluetooth address: 00:1a:2b:3c:4d:5e.", "00:1a:2b:3c:4d:5e"),
    ("mac 0011.2233.4455", "0011.2233.4455"),  # Cisco's dotted form
    ("MAC:00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D:5E"),  # the name's colon glued to the value
    ("BSSID-a4:83:e7:12:34:56 roamed", "a4:83:e7:12:34:56"),
    ("mac AB:CD:EF:01:23:45:67:89", None),  # eight pairs: none of its six-pair runs is a MAC
    ("port 00:1A:2B:3C:4D:5E is up", None),  # no name: a switch port's, as often as a person's
    ("MAC 00:00:00:00:00:00", None),  # a placeholder
    ("on my Mac, pairs 00:1A:2B:3C:4D:5E:77:88", None),  # a longer run of pairs
    ("SHA1 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD", None),  # not eight pairs of an IPv6 address either
]


@pytest.mark.parametrize("text,mac", MAC_PROSE, ids=[t[0][:30] for t in MAC_PROSE])
def test_mac_address_named_in_text(scanner, text, mac):
    found = scanner.scan_text(text)
    assert [(f.category, f.subtype, text[f.start:f.end]) for f in found] == \
        ([("DEVICE_ID", "mac_address", mac)] if mac else [])
    if mac:  # the same device as under a "mac" field
        assert [found[0].value_hash] == [f.value_hash for f in scan_json(scanner, {"mac": mac})]
        assert mac not in found[0].masked


# Vehicles' VINs: under their field, or named just before them in text; upper case.
@pytest.mark.parametrize("doc,path", [
    ({"vehicle": {"vin": "1HGCM82633A004352"}}, "$.vehicle.vin"),
    ({"vin": "wvwzzz1jzxw000001"}, "$.vin"),  # a European VIN, typed in lower case: no check digit to ask for
])
def test_vin_fields(scanner, doc, path):
    (f,) = [f for f in scan_json(scanner, doc) if f.category == "DEVICE_ID"]
    assert (f.subtype, f.field_path) == ("vin", path)
    (plain,) = [f for f in scan_json(scanner, {"vin": json.dumps(doc).split('"vin": "')[1][:17].upper()})]
    assert f.value_hash == plain.value_hash and "*" in f.masked


@pytest.mark.parametrize("text", ["The VIN is 1HGCM82633A004352, plate 7ABC123", "VIN: 1HGCM82633A004352",
                                  "vehicle identification number 1HGCM82633A004352"])
def test_vin_in_text(scanner, text):
    found = [(text[f.start:f.end], f.subtype) for f in scanner.scan_text(text) if f.category == "DEVICE_ID"]
    assert found == [("1HGCM82633A004352", "vin")]


@pytest.mark.parametrize("doc", [
    {"vin": "12345678901234567"},  # digits only
    {"vin": "1HGCM82633A00435"},  # 16 characters
    {"vin": "1HGCM82633I004352"},  # an I, which no VIN holds
    {"build": "1HGCM82633A004352"},  # not named
])
def test_not_vins(scanner, doc):
    assert [f for f in scan_json(scanner, doc) if f.category == "DEVICE_ID"] == []
