"""IP addresses; public ones are personal data, private ones are infrastructure."""

from __future__ import annotations

from typing import Final

from ..context import IP_FIELD
from ..finding import Category
from ..validators import ip_kind
from .base import Ctx, Hit, Recognizer

_OCTET: Final = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"


class IpAddressRecognizer(Recognizer):
    name: str = "ip_address"
    category: str = Category.IP_ADDRESS
    patterns: tuple[str, ...] = (
        # IPv4-mapped IPv6 first: servers report clients as "::ffff:81.2.69.160".
        r"::[fF]{4}:" + _OCTET + r"(?:\." + _OCTET + r"){3}\b",
        r"\b" + _OCTET + r"(?:\." + _OCTET + r"){3}\b",
        r"\b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}\b",
        r"(?:\b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6}\b)?",
    )
    context: frozenset[str] = IP_FIELD | {"address", "client", "remote", "from", "source"}
    score: float = 0.8
    context_boost: float = 0.15

    def __init__(self, report_private: bool = False):
        self.report_private = report_private

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        # "Chrome/120.0.0.0", "v1.2.3.4", "1.2.3.4.5" are versions.
        if ctx.glued() or ctx.char_before() == "/":
            return None
        if value[:7].lower() == "::ffff:" and "." in value:
            value = value[7:]  # the IPv4 address itself: the same subject, the same hash
        elif ":" in value and (("::" not in value and value.count(":") != 7) or ctx.glued(":")):
            return None  # ...or part of a longer run of pairs: "Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD"
        elif len(value) == 23 and all(len(g) == 2 for g in value.split(":")):
            return None  # eight pairs, "00" kept: a key's or a device's bytes; IPv6 drops leading zeros
        kind = ip_kind(value)
        if not kind:
            return None
        if ctx.machine_field() and not ctx.field_has(IP_FIELD):
            return None
        if kind == "private":
            score = 0.6 if self.report_private else 0.2
        else:
            score = self.contextual(self.score, ctx)
        return Hit(score, value.lower())
