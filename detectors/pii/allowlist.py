"""Allowlists by value (kept as keyed hashes), pattern, field path, category, and per
sub-processor."""

from __future__ import annotations

import re2

from .config import AllowRule
from .fieldpaths import glob_regex, globs_regex, normalise_indices
from .masking import Hasher
from .phones import PhoneValidator


class AllowMatcher:
    __slots__ = ("_hashes", "_patterns", "_paths", "_categories", "_pattern_list", "_path_list", "empty")

    def __init__(self, rule: AllowRule, hasher: Hasher, phones: PhoneValidator):
        hashes: dict[str, int] = {}  # keyed hash -> the index of its entry in values (for entry())
        for i, v in enumerate(rule.values):
            # The category is unknown here: hash every normal form a recogniser may produce.
            s = v.strip()
            forms = {s, s.lower(), s.upper().replace(" ", "")}
            digits = "".join(c for c in s if c.isdigit())
            if digits:
                forms.add(digits)
                e164 = phones.e164(s)
                if e164:
                    forms.add(e164)
            for f in forms:
                if f:
                    hashes.setdefault(hasher.hex(f), i)
        self._hashes = hashes
        self._pattern_list = tuple(rule.patterns)
        self._path_list = tuple(rule.field_paths)
        self._patterns = re2.compile("|".join(f"(?:{p})" for p in rule.patterns)) if rule.patterns else None
        self._paths = re2.compile(globs_regex(rule.field_paths, re2.escape)) if rule.field_paths else None
        self._categories = frozenset(rule.categories)
        self.empty = not (self._hashes or self._patterns or self._paths or self._categories)

    def allows(self, category: str, subtype: str, value: str, value_hash: str, path: str) -> bool:
        if self.empty:
            return False
        if category in self._categories or (subtype and f"{category}:{subtype}" in self._categories):
            return True
        if value_hash in self._hashes:
            return True
        if self._patterns is not None and self._patterns.fullmatch(value):
            return True
        if self._paths is not None and self._paths.fullmatch(normalise_indices(path)):
            return True
        return False

    def entry(self, category: str, subtype: str, value: str, value_hash: str, path: str) -> str:
        """The entry that allows a candidate, as the configuration spells it: `categories
        "EMAIL"`, `values[0]`, `patterns[1]`, `field_paths[2]`; "" if none. For
        --explain only: each pattern is compiled again here, off the scan's path. Never
        the value, nor a pattern's or an entry's text (either may hold one)."""
        if category in self._categories:
            return f'categories "{category}"'
        if subtype and f"{category}:{subtype}" in self._categories:
            return f'categories "{category}:{subtype}"'
        i = self._hashes.get(value_hash)
        if i is not None:
            return f"values[{i}]"
        for i, p in enumerate(self._pattern_list):
            if re2.compile(p).fullmatch(value):
                return f"patterns[{i}]"
        path = normalise_indices(path)
        for i, g in enumerate(self._path_list):
            if re2.compile(glob_regex(g, re2.escape)).fullmatch(path):
                return f"field_paths[{i}]"
        return ""
