"""Device identifiers where the field names them: advertising IDs (Apple's IDFA and
IDFV, Google's advertising ID, OpenRTB's ``device.ifa``, Huawei's OAID, Roku's RIDA),
Android IDs, IMEIs, MAC addresses and vehicles' VINs.

Each follows one device, across apps for the advertising IDs, for its life for an
IMEI, a MAC address or a VIN: personal data that ad and analytics SDKs, connected-car
and insurance APIs send to third parties.
UUIDs are everywhere, so only the field's name makes one a device identifier, and the
value must have the identifier's shape: the zeroed IDFA a device sends when tracking is
limited, iOS's constant 02:00:00:00:00:00 MAC and the Android ID many Android 2.2
devices shared identify nobody and are left out.
"""

from __future__ import annotations

import re
from typing import Final, Iterable

from stdnum import imei

from ..finding import Category
from .base import Ctx, Hit, Recognizer, field_hit

# Field-name tokens (context.field_tokens: "advertisingId" gives "advertisingid").
_ADVERTISING: Final = frozenset({"idfa", "gaid", "aaid", "googleaid", "gpsadid", "advertisingid", "adid",
                                 "ifa", "oaid", "rida", "afai", "msai", "tifa", "vida"})
_VENDOR: Final = frozenset({"idfv", "vendorid", "identifierforvendor"})  # per vendor, not across apps
# Push tokens: Firebase Cloud Messaging's (an instance id, ":APA91b" and ~140 more
# characters) and Apple's (64 hex digits). Each reaches one app on one device.
_PUSH: Final = frozenset({"devicetoken", "pushtoken", "apnstoken", "apnsdevicetoken", "fcmtoken", "gcmtoken",
                          "registrationtoken", "registrationid", "regid", "firebasetoken"})
_FCM_PATTERN: Final = r"[A-Za-z0-9_\-]{11,64}:APA91b[A-Za-z0-9_\-]{100,300}"
_FCM_TOKEN: Final = re.compile(_FCM_PATTERN)
_ANDROID: Final = frozenset({"androidid", "ssaid"})
_IMEI: Final = frozenset({"imei", "imeisv", "deviceimei"})
_MAC: Final = frozenset({"mac", "macaddress", "macaddr", "wifimac", "bssid", "devicemac"})
# A vehicle's identification number (ISO 3779): connected-car, insurance and dealer APIs
# send it, and it leads to the registered keeper.
_VIN: Final = frozenset({"vin", "vinnumber", "vehicleidentificationnumber", "vehiclevin", "chassisnumber"})
_VIN_CHARS: Final = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")  # no I, O or Q

_HEX: Final = frozenset("0123456789abcdef")
_NOBODY_MACS: Final = frozenset({"000000000000", "ffffffffffff", "020000000000"})
# Android 2.2 shipped many devices with this one ID.
_SHARED_ANDROID_IDS: Final = frozenset({"9774d56d682e549c"})


def _uuid_hex(v: str) -> str:
    """A UUID's 32 hex digits, lower case; "" when ``v`` is not one (with or without
    hyphens) or is a placeholder (all zeros, one repeated digit)."""
    h = v.lower()
    if len(h) == 36:
        if h[8] != "-" or h[13] != "-" or h[18] != "-" or h[23] != "-":
            return ""
        h = h.replace("-", "")
    if len(h) != 32 or not _HEX.issuperset(h) or len(set(h)) < 4:
        return ""
    return h


def _mac_hex(v: str) -> str:
    h = v.lower()
    if len(h) == 17:
        sep = h[2]
        if sep not in ":-" or any(h[i] != sep for i in range(2, 17, 3)):
            return ""
        h = h.replace(sep, "")
    elif len(h) == 14 and h[4] == "." and h[9] == ".":  # Cisco's 0011.2233.4455
        h = h.replace(".", "")
    if len(h) != 12 or not _HEX.issuperset(h) or h in _NOBODY_MACS or len(set(h)) < 3:
        return ""
    return h


class DeviceIdRecognizer(Recognizer):
    name: str = "device_id"
    category: str = Category.DEVICE_ID
    field_hints: frozenset[str] = _ADVERTISING | _VENDOR | _ANDROID | _IMEI | _MAC | _PUSH | _VIN

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        tokens = ctx.tokens
        if not _PUSH.isdisjoint(tokens):
            return _push_token(value, v)
        if not 12 <= len(v) <= 36 or not v.isascii():
            return ()
        off = value.index(v)
        found = ""
        subtype = ""
        if not _ADVERTISING.isdisjoint(tokens):
            found, subtype = _uuid_hex(v), "advertising_id"
        elif not _VENDOR.isdisjoint(tokens):
            found, subtype = _uuid_hex(v), "vendor_id"
        elif not _ANDROID.isdisjoint(tokens):
            h = v.lower()
            if len(h) == 16 and _HEX.issuperset(h) and len(set(h)) >= 4 and h not in _SHARED_ANDROID_IDS:
                found, subtype = h, "android_id"
        elif not _IMEI.isdisjoint(tokens):
            digits = v.replace("-", "").replace(" ", "")
            if imei.is_valid(digits) and len(set(digits)) >= 4:
                found, subtype = digits[:14], "imei"  # an IMEISV's software version is not the device
        elif not _MAC.isdisjoint(tokens):
            found, subtype = _mac_hex(v), "mac_address"
        elif not _VIN.isdisjoint(tokens):
            found, subtype = vin(v), "vin"
        if not found:
            return ()
        return (Hit(0.85, found, subtype, start=off, end=off + len(v)),)


def vin(v: str) -> str:
    """The VIN in capitals: 17 characters without I, O or Q, letters and digits both (the
    check digit is North America's only, so it is not asked for); else ""."""
    u = v.upper()
    if len(u) != 17 or not _VIN_CHARS.issuperset(u) or u.isdigit() or u.isalpha() or len(set(u)) < 5:
        return ""
    return u


def _push_token(value: str, v: str) -> tuple[Hit, ...]:
    apns = len(v) == 64 and _HEX.issuperset(v.lower()) and len(set(v)) >= 4
    if not apns and _FCM_TOKEN.fullmatch(v) is None:
        return ()
    return field_hit(Hit(0.9, v, "push_token"), value, v)


class PushTokenRecognizer(Recognizer):
    """A Firebase (FCM) registration token wherever it stands (FCM's own ``message.token``
    is a plain "token"): its ":APA91b" marks it, and it outranks the generic secret a
    value of its length under "token" would otherwise be."""

    name: str = "device_id.push_token"
    category: str = Category.DEVICE_ID
    patterns: tuple[str, ...] = (_FCM_PATTERN,)
    prefilter: tuple[str, ...] = (r":APA91b",)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        if ctx.glued("_-"):
            return None
        return Hit(0.9, value, "push_token")


# A MAC address in text, named just before it ("MAC 00:1A:2B:3C:4D:5E", "Wi-Fi address
# is ..."): a device's (a phone's, a laptop's) for life, the identifier Wi-Fi tracking
# keys on. Unnamed, six hex pairs are as often a switch port or a key's fingerprint.
_MAC_CUE: Final = (r"(?i:\bmac\b|\bbssid|\bhw[ \t]*addr|\b(?:hardware|physical|wi-?fi|wlan|bluetooth|bt|ethernet)"
                   r"[ \t]+(?:mac[ \t]+)?address)")
_MAC_VALUE: Final = (r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}"
                     r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")


class MacAddressRecognizer(Recognizer):
    name: str = "device_id.mac_address"
    category: str = Category.DEVICE_ID
    # The cue, then up to 32 characters on the same line ("MAC address of her phone is").
    patterns: tuple[str, ...] = (_MAC_CUE + r"[^\n]{0,32}?\b(" + _MAC_VALUE + r")\b",)
    prefilter: tuple[str, ...] = (_MAC_CUE,)
    group: int = 1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        t, s, e = ctx.text, ctx.start, ctx.end
        # Part of a longer run of pairs ("SHA1 Fingerprint=AB:CD:...") is no MAC.
        if _after_pair(t, s) or (e < len(t) and t[e] in ":-" and t[e + 1:e + 2].isalnum()):
            return None
        found = _mac_hex(value)
        return Hit(0.85, found, "mac_address") if found else None


def _after_pair(text: str, start: int) -> bool:
    """Whether ``start`` follows a separator that follows a group of two or four hex
    digits ("AB:" in "AB:CD:EF:..."), as in a longer run of pairs. "MAC:" ends with
    hex letters too, but a group of three."""
    if start < 2 or text[start - 1] not in ":-.":
        return False
    i = start - 1
    while i > 0 and text[i - 1].isalnum():
        i -= 1
    group = text[i:start - 1]
    return len(group) in (2, 4) and _HEX.issuperset(group.lower())


_VIN_CUE: Final = r"(?i:\bvin\b(?:[ \t]*(?:#|no\b\.?|number\b))?|\bvehicle[ \t]+identification[ \t]+number\b)"


class VinRecognizer(Recognizer):
    """A VIN named just before it in text: "VIN 1HGCM82633A004352", "vehicle identification
    number: ..."."""

    name: str = "device_id.vin"
    category: str = Category.DEVICE_ID
    patterns: tuple[str, ...] = (_VIN_CUE + r"[^\w\n]{0,4}(?:is[ \t]+)?\b([A-HJ-NPR-Za-hj-npr-z0-9]{17})\b",)
    prefilter: tuple[str, ...] = (_VIN_CUE,)
    group: int = 1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        found = vin(value)
        return Hit(0.85, found, "vin") if found else None

