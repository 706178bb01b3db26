"""Word lists shipped as package data, read once at import."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


def _words(filename: str) -> frozenset[str]:
    text = resources.files(__package__).joinpath("data", filename).read_text("utf-8")
    out: set[str] = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            out.update(line.split())
    return frozenset(out)


# The US census lists, and names of other countries from scripts/international_names.py.
@lru_cache(maxsize=None)
def first_names() -> frozenset[str]:
    return _words("first_names.txt") | _words("international_first_names.txt")


@lru_cache(maxsize=None)
def last_names() -> frozenset[str]:
    return _words("last_names.txt") | _words("international_last_names.txt")


@lru_cache(maxsize=None)
def street_suffixes() -> frozenset[str]:
    return _words("street_suffixes.txt")


@lru_cache(maxsize=None)
def ambiguous_first_names() -> frozenset[str]:
    """First names that are also everyday words ("Grace", "Will"): names only with corroboration."""
    return _words("ambiguous_first_names.txt")


@lru_cache(maxsize=None)
def everyday_last_names() -> frozenset[str]:
    """Family names that are also everyday words ("Garden", "Power"): no corroboration for those."""
    return _words("everyday_last_names.txt")


@lru_cache(maxsize=None)
def ambiguous_last_names() -> frozenset[str]:
    """Common family names that are also everyday words ("Brown", "Hill"), left out of last_names():
    family names only after a plain first name."""
    return _words("ambiguous_last_names.txt")
