from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sentinel.collect.logs import ParseError, parse_file

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"


class Parsed:
    """Events, errors and skip counts of one file."""

    def __init__(self, path, family="auto", options=None):
        self.skipped: Counter = Counter()
        self.items = list(parse_file(path, family, options, skipped=self.skipped))
        self.events = [x for _, x in self.items if not isinstance(x, ParseError)]
        self.errors = [x for _, x in self.items if isinstance(x, ParseError)]
        self.offsets = [off for off, x in self.items if not isinstance(x, ParseError)]


@pytest.fixture
def parsed():
    def _parse(rel, family="auto", options=None):
        return Parsed(DATA / rel, family, options)

    return _parse
