"""Every built-in recogniser's RE2 program fits the DFA memory the scanner gives it.

Past the budget RE2 does not fail: it falls back, silently, to an engine that matched
the person recogniser 25 times as slowly (a change to one of its name-word patterns did
that once; only the bench showed it). RE2 says so when asked to log errors: "DFA out of
memory". This asks, with the scanner's own budget, and fails on that message."""

import pytest
import re2

from detectors.pii import Scanner
from detectors.pii.rx import DEFAULT_MAX_MEM
from detectors.pii.scanner import combined_pattern

# Text that reaches each pattern's DFA: letters of several scripts, digits, names,
# addresses and key-like runs, as a request carries them.
_TEXTS = (
    "Patient: Smith, John A. called from +44 20 7946 0958 about 221B Baker Street, London NW1 6XE",
    "Hi ÉTIENNE DUPONT, your card 4111 1111 1111 1111 exp 12/27 cvv 123; SSN 536-22-8726",
    "user=jane.doe@example.com ip=81.2.69.160 token=ghp_1234567890abcdefghijABCDEFGHIJ123456",
    "Зоя Иванова, 身份证 11010519491231002X, iban de89 3704 0044 0532 0130 00, diagnosed with asthma",
)
_RECOGNISERS = [r for r in Scanner().recognizers if r.patterns]


@pytest.mark.parametrize("rec", _RECOGNISERS, ids=lambda r: r.name)
def test_the_dfa_fits_its_budget(rec, capfd):
    options = re2.Options()
    options.max_mem = DEFAULT_MAX_MEM
    options.log_errors = True
    pattern = re2.compile(combined_pattern(rec.patterns), options)
    for text in _TEXTS:
        pattern.search(text)
    assert "DFA out of memory" not in capfd.readouterr().err
