"""Scanner configuration: plain dataclasses built from a dict (the app layer validates
the TOML with pydantic and hands us the dict). Unknown keys are rejected by name."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Final

import re2

from .fieldpaths import pattern_problem
from .finding import Category
from .rx import compile_raw, spans


class ConfigError(ValueError):
    """A config value is wrong; the message names the key and what is expected."""


@dataclass
class DetectorSettings:
    enabled: bool = True
    threshold: float | None = None  # minimum confidence to report; None: the global one


@dataclass
class CustomDetector:
    name: str
    category: str
    regex: str
    validator: str | None = None
    keywords: list[str] = field(default_factory=list)
    field_hints: list[str] = field(default_factory=list)
    confidence: float = 0.8
    subtype: str = ""
    requires_context: bool = False  # report only when a field hint is present


@dataclass
class AllowRule:
    """Findings to drop. ``values`` are hashed at scanner construction and not kept."""

    values: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)  # RE2, full match on the value
    field_paths: list[str] = field(default_factory=list)  # "query.utm_*", "$.context.*" (fieldpaths.py)
    categories: list[str] = field(default_factory=list)  # "EMAIL" or "SECRET:stripe_secret_key"


@dataclass
class AllowlistConfig(AllowRule):
    subprocessors: dict[str, AllowRule] = field(default_factory=dict)


@dataclass
class NerConfig:
    enabled: bool = False
    model: str = "en_core_web_sm"
    min_chars: int = 40  # only prose segments this long go through NER


@dataclass
class WatchlistConfig:
    """Files of identifiers to guard. The Scanner reads no file: the application reads these
    into the Watchlist it hands the Scanner (sentinel/watchlist_files.py)."""

    paths: list[str] = field(default_factory=list)


@dataclass
class ScannerConfig:
    min_confidence: float = 0.5
    detectors: dict[str, DetectorSettings] = field(default_factory=dict)
    custom: list[CustomDetector] = field(default_factory=list)
    allowlist: AllowlistConfig = field(default_factory=AllowlistConfig)
    phone_regions: list[str] = field(default_factory=lambda: ["US", "GB", "FR", "DE", "IN"])
    report_private_ips: bool = False
    max_sample_bytes: int = 1 << 20
    max_decoded_bytes: int = 4 << 20
    max_depth: int = 6
    max_fields: int = 10_000
    time_budget_ms: float = 250.0
    # Segments that gave nothing, remembered (by fingerprint, never by value) so that a
    # repeated header or field value is not scanned again; 0 turns it off.
    quiet_cache: int = 16384
    ner: NerConfig = field(default_factory=NerConfig)
    watchlist: WatchlistConfig = field(default_factory=WatchlistConfig)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, where: str = "detectors.pii") -> "ScannerConfig":
        data = dict(data or {})
        cfg = _build(cls, data, where, nested={
            "detectors": lambda v, w: {str(k): _build(DetectorSettings, _as_dict(x, f"{w}.{k}"), f"{w}.{k}")
                                       for k, x in _as_dict(v, w).items()},
            "custom": lambda v, w: [_build(CustomDetector, _as_dict(x, f"{w}[{i}]"), f"{w}[{i}]")
                                    for i, x in enumerate(_as_list(v, w))],
            "allowlist": lambda v, w: _allowlist(_as_dict(v, w), w),
            "ner": lambda v, w: _build(NerConfig, _as_dict(v, w), w),
            "watchlist": lambda v, w: _build(WatchlistConfig, _as_dict(v, w), w),
        })
        cfg.check(where)
        return cfg

    def check(self, where: str = "detectors.pii") -> None:
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError(f"{where}.min_confidence: expected a number between 0 and 1, got {self.min_confidence!r}")
        for k in ("max_sample_bytes", "max_decoded_bytes", "max_depth", "max_fields"):
            if not isinstance(getattr(self, k), int) or getattr(self, k) <= 0:
                raise ConfigError(f"{where}.{k}: expected a positive integer, got {getattr(self, k)!r}")
        if not isinstance(self.quiet_cache, int) or self.quiet_cache < 0:
            raise ConfigError(f"{where}.quiet_cache: expected a whole number of entries (0 turns it off), "
                              f"got {self.quiet_cache!r}")
        if not isinstance(self.time_budget_ms, (int, float)) or self.time_budget_ms <= 0:
            raise ConfigError(f"{where}.time_budget_ms: expected a positive number, got {self.time_budget_ms!r}")
        if not isinstance(self.ner.min_chars, int) or self.ner.min_chars < 0:
            raise ConfigError(f"{where}.ner.min_chars: expected a whole number of characters (0: every segment), "
                              f"got {self.ner.min_chars!r}")
        if self.ner.enabled and not self.ner.model.strip():
            raise ConfigError(f"{where}.ner.model: expected the name or path of a spaCy pipeline, such as "
                              f"en_core_web_sm")
        for i, path in enumerate(self.watchlist.paths):
            if not path.strip():
                raise ConfigError(f"{where}.watchlist.paths[{i}]: expected the path of a file, got an empty string")
        for name, s in self.detectors.items():
            if s.threshold is not None and not 0.0 <= s.threshold <= 1.0:
                raise ConfigError(f"{where}.detectors.{name}.threshold: expected a number between 0 and 1")
        from .recognizers.custom import VALIDATOR_NAMES  # late: avoids an import cycle

        names = set()
        for i, c in enumerate(self.custom):
            w = f"{where}.custom[{i}]"
            if not c.name or not c.name.replace("_", "").replace("-", "").isalnum():
                raise ConfigError(f"{w}.name: expected a non-empty identifier, got {c.name!r}")
            if c.name in names:
                raise ConfigError(f"{w}.name: duplicate custom detector name {c.name!r}")
            names.add(c.name)
            if not c.category or not c.category.replace("_", "").isalnum() or c.category != c.category.upper():
                raise ConfigError(f"{w}.category: expected an upper-case category such as EMAIL or EMPLOYEE_ID, got {c.category!r}")
            _check_pattern(c.regex, f"{w}.regex")
            _check_not_empty_matching(c.regex, f"{w}.regex")
            if c.requires_context and not c.field_hints:
                raise ConfigError(f"{w}.requires_context: true reports only where a field name or a nearby word is one "
                                  f"of field_hints, and field_hints is empty: the detector would never report")
            if c.validator is not None and c.validator not in VALIDATOR_NAMES:
                raise ConfigError(f"{w}.validator: expected one of {', '.join(VALIDATOR_NAMES)}, got {c.validator!r}")
            if not 0.0 <= c.confidence <= 1.0:
                raise ConfigError(f"{w}.confidence: expected a number between 0 and 1")
        rules = [("allowlist", self.allowlist)] + [
            (f"allowlist.subprocessors.{k}", r) for k, r in self.allowlist.subprocessors.items()]
        for w, rule in rules:
            for j, p in enumerate(rule.patterns):
                _check_pattern(p, f"{where}.{w}.patterns[{j}]")
            for j, g in enumerate(rule.field_paths):
                problem = pattern_problem(g)
                if problem:
                    raise ConfigError(f"{where}.{w}.field_paths[{j}]: {problem}")
            for j, cat in enumerate(rule.categories):
                if cat.split(":", 1)[0] not in Category.__members__ and cat.split(":", 1)[0] not in {d.category for d in self.custom}:
                    raise ConfigError(f"{where}.{w}.categories[{j}]: unknown category {cat!r}")
        self.check_names(where)

    def check_names(self, where: str) -> None:
        """Detector names under ``detectors`` and phone regions: each must name something that exists."""
        from .phones import PhoneValidator  # late: the recognisers import this module

        try:
            PhoneValidator(tuple(self.phone_regions))
        except ValueError as e:
            raise ConfigError(f"{where}.phone_regions: {e}; expected region codes such as US, GB, DE") from None
        names = _builtin_names() | {"custom." + c.name for c in self.custom}
        known = names | _builtin_categories() | {c.category for c in self.custom}
        unknown = sorted(set(self.detectors) - known)
        if unknown:
            raise ConfigError(f"{where}.detectors: unknown detector(s) {', '.join(unknown)}; "
                              f"expected one of {', '.join(sorted(names))} or a category")


@functools.cache
def _builtin_recognizers() -> tuple:
    from .phones import PhoneValidator
    from .recognizers import builtin_recognizers

    return tuple(builtin_recognizers(PhoneValidator()))


def _builtin_names() -> set[str]:
    return {r.name for r in _builtin_recognizers()}


def _builtin_categories() -> set[str]:
    return {str(r.category) for r in _builtin_recognizers()} | set(Category.__members__)


def _check_pattern(pattern: str, where: str) -> None:
    """Compiled as the scanner compiles it (rx.compile_raw), so a pattern that passes here runs."""
    try:
        compile_raw(pattern)
    except (re2.error, ValueError) as e:
        reason = e.args[0] if e.args else e
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        # RE2 quotes the offending part of the pattern after ": ", and a pattern may be built
        # around a real address or name: the kind of error only.
        raise ConfigError(f"{where}: not a valid RE2 pattern ({reason.split(': ', 1)[0]})") from None


# Short texts on which a pattern that can match the empty string shows it (at a start,
# an end, a word boundary).
_EMPTY_PROBES: Final = (b"", b"a", b" ", b"0", b"a b", b"-", b"\n")


def _check_not_empty_matching(pattern: str, where: str) -> None:
    """A custom detector's pattern must match at least one character: one that matches the
    empty string reports a finding at every position of every field."""
    if not pattern:
        raise ConfigError(f"{where}: expected a pattern, got an empty string")
    rx = compile_raw(pattern)
    if any(s == e for probe in _EMPTY_PROBES for s, e in spans(rx, probe)):
        raise ConfigError(f"{where}: the pattern can match the empty string, and would report a finding at "
                          f"every position; make it match at least one character (as `+` does, not `*` or `?`)")


def _as_dict(v: Any, where: str) -> dict:
    if not isinstance(v, dict):
        raise ConfigError(f"{where}: expected a table, got {type(v).__name__}")
    return v


def _as_list(v: Any, where: str) -> list:
    if not isinstance(v, list):
        raise ConfigError(f"{where}: expected a list, got {type(v).__name__}")
    return v


def _allowlist(d: dict, where: str) -> AllowlistConfig:
    d = dict(d)  # the caller's table stays as it was: it may configure the next scanner too
    subs = d.pop("subprocessors", {})
    out = _build(AllowlistConfig, d, where)
    out.subprocessors = {str(k): _build(AllowRule, _as_dict(v, f"{where}.subprocessors.{k}"), f"{where}.subprocessors.{k}")
                         for k, v in _as_dict(subs, f"{where}.subprocessors").items()}
    return out


_SCALARS: dict[str, type | tuple[type, ...]] = {"bool": bool, "float": (int, float), "int": int, "str": str}


def _build(cls, data: dict, where: str, nested: dict | None = None):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(fields)}")
    kwargs = {}
    for name, value in data.items():
        w = f"{where}.{name}"
        if nested and name in nested:
            kwargs[name] = nested[name](value, w)
            continue
        t = str(fields[name].type)
        if t.startswith("list[str]"):
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise ConfigError(f"{w}: expected a list of strings")
        elif t == "str | None":
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{w}: expected a string")
        elif t == "float | None":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ConfigError(f"{w}: expected a number")
        elif t in _SCALARS:
            ok = isinstance(value, _SCALARS[t]) and (t == "bool" or not isinstance(value, bool))
            if not ok:
                raise ConfigError(f"{w}: expected {t}, got {type(value).__name__} {value!r}")
        kwargs[name] = value
    missing = [n for n, f in fields.items() if n not in kwargs and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {', '.join(missing)}")
    return cls(**kwargs)
