"""Stable identities: an alert's fingerprint and its group's key.

Both are hashes of canonical JSON over label names and values that identify a
condition (kind, sub-processor, category, field path, endpoint...), never over
detected values or severity, so the same condition always maps to the same alert.
"""

from __future__ import annotations

import hashlib
import json

IDENTITY_LABELS = ("kind", "subprocessor", "category", "field_path", "endpoint")


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(value) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:16]


def identity(kind: str, subprocessor: str = "", category: str = "", field_path: str = "", endpoint: str = "",
             labels: dict[str, str] | None = None) -> dict[str, str]:
    """The identifying labels; empty ones are left out so adding an unused label changes nothing."""
    named = {"kind": kind, "subprocessor": subprocessor, "category": category, "field_path": field_path,
             "endpoint": endpoint}
    extra = {k: str(v) for k, v in (labels or {}).items() if k not in named}
    return {k: v for k, v in {**extra, **named}.items() if v != ""}


def fingerprint(identity_labels: dict[str, str]) -> str:
    return _digest({"alert": identity_labels})


# Drills (`sentinel drill`) send their canary to a fresh host under this domain.
DRILL_DOMAIN = "sentinel-drill.invalid"


def is_drill(destination: str) -> bool:
    return destination == DRILL_DOMAIN or destination.endswith("." + DRILL_DOMAIN)


def group_labels(labels: dict[str, str], group_by: list[str] | tuple[str, ...]) -> dict[str, str]:
    # A drill's alert is a group of its own: joined to real unknown-destination alerts it
    # would wait for their group_interval (the drill timed that, not the pipeline) and be
    # paged together with them.
    if is_drill(labels.get("destination", "")):
        group_by = (*group_by, "destination")
    return {name: labels.get(name, "") for name in group_by}


def group_key(labels: dict[str, str], group_by: list[str] | tuple[str, ...]) -> str:
    """The group's fingerprint; also PagerDuty's dedup key, so a group is one incident."""
    return _digest({"group": group_labels(labels, group_by)})
