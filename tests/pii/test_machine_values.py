"""Machine values that only look like PII: UUIDs, ISO timestamps, dotted versions and
long hex ids, told apart before any recogniser scores them as a phone or a date."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from detectors.pii import context
from detectors.pii.context import is_machine_value


def by_regex_alone(token: str) -> bool:
    """The rule as its patterns state it, without the length and separator checks."""
    return bool(context._UUID.search(token) or context._ISO_TS.fullmatch(token) or context._VERSION.fullmatch(token)
                or (context._HEXID.fullmatch(token) and any(c in "abcdefABCDEF" for c in token)))


@pytest.mark.parametrize("token, machine", [
    ("0c7e8a55-1d2f-4b3a-8e9c-7f6a5b4c3d21", True),
    ("req-0c7e8a55-1d2f-4b3a-8e9c-7f6a5b4c3d21", True),  # a UUID inside a longer id
    ("2024-08-18T10:15:00Z", True),
    ("2024-08-18 10:15", True),
    ("4.12.69", True),
    ("v10.0.19045.2965", True),
    ("1.2.3", True),
    ("69a99455b0e5", True),
    ("0x69a99455b0e5", True),
    ("415.555.0132", True),  # shaped as a version: the phone recogniser asks for a cue word first
    ("123456789012", False),  # hex digits but no letter: a number
    ("2024-08-18", False),  # a date alone is no timestamp
    ("1.2", False),
    ("", False),
    ("abcd", False),
])
def test_machine_values(token, machine):
    assert is_machine_value(token) is machine


@settings(max_examples=1500)
@given(st.text(alphabet="0123456789abcdefABCDEFxXvVtTzZ-:.+_ ", max_size=48))
@example("1.2.3")
@example("0c7e8a55-1d2f-4b3a-8e9c-7f6a5b4c3d2")  # one character short of a UUID
@example("2024-08-18T10:15")
@example("abcdef012345")
def test_the_length_and_separator_checks_change_no_verdict(token):
    assert is_machine_value(token) == by_regex_alone(token)
