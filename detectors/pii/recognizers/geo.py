"""Geographic coordinates precise enough to locate a home (3+ decimals, ~100 m)."""

from __future__ import annotations

import re
from typing import Final, Iterable

from ..context import GEO_LAT, GEO_LON
from ..finding import Category
from .base import Ctx, Hit, Recognizer

_PROSE: Final = frozenset({"location", "coordinates", "coords", "gps", "lat", "latlng", "position", "at", "ll", "geo"})


# "lat 48.85661, long 2.35222", "lat=48.85661&lng=2.35222": the labels say what the pair is.
_LABELLED: Final = (r"(?i)\blat(?:itude)?[ \t]*[:=]?[ \t]*-?\d{1,2}\.\d{3,10}[ \t]*[,;&]?[ \t]*"
                    r"(?:lng|lon|long|longitude)[ \t]*[:=]?[ \t]*-?\d{1,3}\.\d{3,10}\b")
_NUMBER: Final = re.compile(r"-?\d+\.\d+")


def _precise(s: str) -> bool:
    head, dot, tail = s.partition(".")
    return bool(dot) and len(tail) >= 3 and tail.isdigit() and head.lstrip("-").isdigit()


class GeoRecognizer(Recognizer):
    name: str = "geo_coordinates"
    category: str = Category.GEO_COORDINATES
    patterns: tuple[str, ...] = (r"-?\d{1,2}\.\d{3,10}, ?-?\d{1,3}\.\d{3,10}\b", _LABELLED)
    context: frozenset[str] = _PROSE | GEO_LAT | GEO_LON
    score: float = 0.75
    context_boost: float = 0.15
    field_hints: frozenset[str] = GEO_LAT | GEO_LON

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        if ctx.char_before().isdigit() or ctx.char_before() == ".":
            return None
        labelled = value[0].isalpha()
        numbers = _NUMBER.findall(value)
        lat, lon = float(numbers[0]), float(numbers[-1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
            return None
        if ctx.machine_field() and not ctx.field_has(self.context) and not labelled:
            return None
        score = self.score + self.context_boost if labelled else self.contextual(self.score, ctx)
        return Hit(min(1.0, score), f"{lat:.4f},{lon:.4f}")

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not _precise(v):
            return ()
        x = float(v)
        limit = 180 if GEO_LAT.isdisjoint(ctx.tokens) else 90
        if not -limit <= x <= limit or x == 0:
            return ()
        return (Hit(0.85, f"{x:.4f}", start=0, end=len(value)),)
