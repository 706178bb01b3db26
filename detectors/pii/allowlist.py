"""Allowlists by value (kept as keyed hashes), pattern, field path, category, and per
sub-processor."""

from __future__ import annotations

import re2

from .config import AllowRule
from .fieldpaths import glob_regex, normalise_indices
from .masking import Hasher
from .phones import PhoneValidator


class AllowMatcher:
    __slots__ = ("_hashes", "_patterns", "_paths", "_categories", "empty")

    def __init__(self, rule: AllowRule, hasher: Hasher, phones: PhoneValidator):
        hashes: set[str] = set()
        for v in rule.values:
            # The category is unknown here: hash every normal form a recogniser may produce.
            s = v.strip()
            forms = {s, s.lower(), s.upper().replace(" ", "")}
            digits = "".join(c for c in s if c.isdigit())
            if digits:
                forms.add(digits)
                e164 = phones.e164(s)
                if e164:
                    forms.add(e164)
            hashes.update(hasher.hex(f) for f in forms if f)
        self._hashes = frozenset(hashes)
        self._patterns = re2.compile("|".join(f"(?:{p})" for p in rule.patterns)) if rule.patterns else None
        self._paths = re2.compile("|".join(f"(?:{glob_regex(g, re2.escape)})" for g in rule.field_paths)) if rule.field_paths else None
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
