"""What an alert is: an ordered severity, the Alert the policy raises, and the record
the manager keeps for it while it fires."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from enum import IntEnum

from sentinel.alert.fingerprint import fingerprint, identity

FIRING = "firing"
RESOLVED = "resolved"
ACKNOWLEDGED = "acknowledged"
SILENCED = "silenced"

_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: "Severity | str | int") -> "Severity":
        if isinstance(value, Severity):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = " < ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {value!r}; expected one of {names}") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.label


def new_id(prefix: str) -> str:
    """Short random ids that an operator can type: `al-3f9c0e2b7d1a`."""
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass
class Alert:
    """A condition the policy wants a human to know about.

    Only `kind` and the identifying labels (subprocessor, category, field_path,
    endpoint and `labels`) make the fingerprint: never values, never severity.
    `evidence` must hold already-masked strings; payloads keep only allowlisted keys.
    """

    kind: str  # policy_violation, secret_leak, unknown_destination, tls_policy, volume_anomaly, ...
    severity: Severity | str
    title: str
    subprocessor: str = ""
    category: str = ""
    field_path: str = ""
    endpoint: str = ""
    policy: str = ""  # the rule that was broken, in words
    summary: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # more identifying labels (destination, rule...)
    evidence: dict[str, str] = field(default_factory=dict)  # masked previews, counts
    count: int = 1  # occurrences this raise stands for
    first_seen: float | None = None  # epoch seconds of the traffic; default: when raised
    last_seen: float | None = None
    ends_at: float | None = None  # resolve at this time unless raised again after it
    resolve_after: float | None = None  # seconds without a new sighting before auto-resolve; 0 never

    def __post_init__(self):
        self.severity = Severity.parse(self.severity)
        if not _LABEL_KEY.match(self.kind or ""):
            raise ValueError(f"alert kind must be a short lower-case identifier, got {self.kind!r}")
        for key in self.labels:
            if not _LABEL_KEY.match(key):
                raise ValueError(f"label names must be short lower-case identifiers, got {key!r}")
        if self.count < 1:
            raise ValueError("count must be at least 1")

    def identity(self) -> dict[str, str]:
        return identity(self.kind, self.subprocessor, self.category, self.field_path, self.endpoint, self.labels)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.identity())


@dataclass
class AlertRecord:
    """One firing (or just resolved) alert as the manager tracks and stores it."""

    alert_id: str
    fingerprint: str
    group_key: str
    kind: str
    severity: Severity
    title: str
    identity: dict[str, str]  # kind, subprocessor, category, field_path, endpoint and extra labels
    policy: str = ""
    summary: str = ""
    evidence: dict[str, str] = field(default_factory=dict)
    status: str = FIRING  # firing | resolved (acknowledged / silenced are derived, see AlertManager)
    stored_status: str = FIRING  # what the alerts table says, to write only changes
    raised_at: float = 0.0
    first_seen: float = 0.0
    last_seen: float = 0.0
    occurrences: int = 0
    ends_at: float = 0.0  # 0: none
    resolve_after: float = 0.0  # 0: never
    resolved_at: float = 0.0
    version: int = 0
    dirty: bool = False  # in-memory changes not yet written (occurrence counts are written lazily)

    @property
    def subprocessor(self) -> str:
        return self.identity.get("subprocessor", "")

    @property
    def category(self) -> str:
        return self.identity.get("category", "")

    def labels(self) -> dict[str, str]:
        """Everything a silence or route may match on."""
        return {**self.identity, "severity": self.severity.label, "alert_id": self.alert_id,
                "fingerprint": self.fingerprint, "policy": self.policy}

    def resolve_due(self) -> float | None:
        """When this alert resolves by itself, if ever."""
        candidates = []
        if self.ends_at:
            candidates.append(self.ends_at)
        if self.resolve_after:
            candidates.append(self.last_seen + self.resolve_after)
        return min(candidates) if candidates else None
