"""The one duration reader behind --since, --diff and --duration."""

from __future__ import annotations

import pytest

from sentinel.alert.silences import SilenceError
from sentinel.alert.silences import parse_duration as silence_duration
from sentinel.durations import DurationError, parse_duration


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("30m", 1800), ("12h", 43200), ("2w", 14 * 86400), ("1.5d", 129600), ("1d12h", 129600),
    ("1h30m", 5400), ("1h 30m", 5400), (" 7d ", 7 * 86400), ("36500d", 36500 * 86400),
])
def test_durations_read(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text, message", [
    ("1M", "'M' is not a unit (months vary in length): write minutes as 'm', a month as '30d'"),
    ("2H", "units are lower case: write 'h', not 'H'"),
    ("1y", "write a year as '365d'"),
    ("0", "cannot read duration '0'"),
    ("30", "cannot read duration '30'"),
    ("0d", "duration '0d' is zero"),
    ("0h0m", "duration '0h0m' is zero"),
    ("-1h", "cannot read duration '-1h'"),
    ("2h foo", "cannot read duration '2h foo'"),
    ("", "empty duration"),
    ("36501d", "longer than 100 years"),
    ("9" * 400 + "d", "longer than 100 years"),
])
def test_anything_else_is_refused_with_the_reason(text, message):
    with pytest.raises(DurationError) as refused:
        parse_duration(text)
    assert message in str(refused.value)


def test_silences_read_durations_the_same_way():
    assert silence_duration("1.5h") == parse_duration("1.5h")
    with pytest.raises(SilenceError, match="'M' is not a unit"):
        silence_duration("30M")
