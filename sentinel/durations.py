"""One reader for the durations users type: `--since 30d`, `--diff 12h`, `--duration 1h30m`.

Units are case-sensitive: `m` is minutes, and `M` (months, in some tools) is refused
rather than read as minutes. Compound forms (`1d12h`, `1h 30m`) and decimals (`1.5d`)
are accepted; a bare number, a zero or a negative duration is not.
"""

from __future__ import annotations

import re

UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
# 100 years: longer windows would start before year 1, where dates cannot be computed.
MAX_SECONDS = 36500 * 86400
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)([A-Za-z]+)")
EXAMPLES = "e.g. 90s, 30m, 12h, 1.5d, 2w or 1h30m (s, m, h, d, w; m is minutes)"


class DurationError(ValueError):
    """A duration that cannot be read; the message says what was given and what is expected."""


def parse_duration(text: str) -> float:
    """'30m' -> 1800.0, '1d12h' -> 129600.0, '1.5d' -> 129600.0; DurationError on anything else."""
    cleaned = text.strip()
    if not cleaned:
        raise DurationError(f"empty duration; expected {EXAMPLES}")
    total, pos = 0.0, 0
    while pos < len(cleaned):
        match = _PART.match(cleaned, pos)
        if not match:
            raise DurationError(f"cannot read duration {text!r}; expected {EXAMPLES}")
        unit = match.group(2)
        if unit not in UNITS:
            raise DurationError(f"cannot read duration {text!r}: {_unit_hint(unit)}; expected {EXAMPLES}")
        total += float(match.group(1)) * UNITS[unit]
        pos = match.end()
    if total <= 0:
        raise DurationError(f"duration {text!r} is zero; expected a period longer than zero, {EXAMPLES}")
    if total > MAX_SECONDS:
        raise DurationError(f"duration {text!r} is longer than 100 years (36500d)")
    return total


def _unit_hint(unit: str) -> str:
    if unit == "M":
        return "'M' is not a unit (months vary in length): write minutes as 'm', a month as '30d'"
    if unit in ("y", "Y"):
        return "'y' is not a unit (years vary in length): write a year as '365d'"
    if unit.lower() in UNITS:
        return f"units are lower case: write {unit.lower()!r}, not {unit!r}"
    return f"unknown unit {unit!r}"
