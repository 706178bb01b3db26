"""Silences and acknowledgements, and the second-operator rule for severe alerts.

A silence hides the alerts whose labels match all its matchers while it is
active; an acknowledgement hides one alert until it resolves. Either one only
hides an alert at or above `alerts.approval_min_severity` once a second,
different operator has approved it: until then the alert stays visible and keeps
notifying.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sentinel import durations
from sentinel.alert.model import Severity

_MATCHER = re.compile(r"^([a-z][a-z0-9_]{0,39})\s*(=~|!~|!=|=)(.*)$")


# What a silence may match: an alert's labels (AlertRecord.labels; "destination" names an
# unknown destination's domain, "tls_version" the version of a weak_tls alert).
SILENCE_LABELS = ("kind", "subprocessor", "category", "field_path", "endpoint", "destination", "tls_version",
                  "severity", "alert_id", "fingerprint", "policy")
# A silence that outlives its reason hides new incidents: renew it instead.
MAX_SILENCE_SECONDS = 365 * 86400


class SilenceError(ValueError):
    """A silence, acknowledgement or approval that cannot be made; the message says why."""


class UsageError(SilenceError):
    """A request that is malformed rather than refused: a bad matcher, label or duration, a
    missing name or reason (exit 2, where a refusal exits 1)."""


def parse_duration(text: str) -> float:
    """`2h`, `30m`, `1d12h`, `90s` -> seconds: the reader every command shares, with its errors
    as SilenceError."""
    try:
        return durations.parse_duration(text)
    except durations.DurationError as exc:
        raise UsageError(str(exc)) from None


@dataclass(frozen=True)
class Matcher:
    key: str
    op: str  # = != =~ !~
    value: str

    @classmethod
    def parse(cls, text: str) -> "Matcher":
        match = _MATCHER.match(text.strip())
        if not match:
            raise UsageError(f"cannot read matcher {text!r}; expected label=value (or label=~regex, "
                               "label!=value, label!~regex)")
        key, op, value = match.group(1), match.group(2), match.group(3).strip()
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise UsageError(f"matcher {text!r}: bad regular expression: {exc}") from None
        return cls(key, op, value)

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.key, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f"{self.key}{self.op}{self.value}"


def needs_approval(severity: Severity, threshold: Severity) -> bool:
    return severity >= threshold


def check_approver(created_by: str, approver: str, what: str) -> None:
    if not approver.strip():
        raise UsageError("--by NAME is required: approvals are recorded with the approver's name")
    if approver.strip().lower() == created_by.strip().lower():
        raise SilenceError(f"{created_by.strip()} created {what} and cannot approve it: a second, different operator "
                           f"must")


@dataclass
class Silence:
    silence_id: str
    matchers: list[Matcher]
    created_by: str
    reason: str
    created_at: float
    starts_at: float
    ends_at: float
    approved_by: str = ""
    approved_at: float = 0.0
    version: int = 0

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def hides(self, labels: dict[str, str], severity: Severity, now: float, threshold: Severity) -> bool:
        if not self.active(now) or not self.matches(labels):
            return False
        return self.approved_by != "" or not needs_approval(severity, threshold)

    def state(self, now: float) -> str:
        if now >= self.ends_at:
            return "expired"
        if now < self.starts_at:
            return "pending"
        return "active" if self.approved_by else "active (severe alerts wait for approval)"


@dataclass
class Ack:
    ack_id: str
    alert_id: str
    fingerprint: str
    created_by: str
    reason: str
    created_at: float
    approved_by: str = ""
    approved_at: float = 0.0
    version: int = 0

    def effective(self, severity: Severity, threshold: Severity) -> bool:
        return self.approved_by != "" or not needs_approval(severity, threshold)


@dataclass
class Suppressions:
    """Silences and acknowledgements, asked one question: is this alert hidden now?"""

    threshold: Severity = Severity.HIGH
    silences: dict[str, Silence] = field(default_factory=dict)
    acks: dict[str, Ack] = field(default_factory=dict)  # by ack_id

    def acks_for(self, alert_id: str) -> list[Ack]:
        return [a for a in self.acks.values() if a.alert_id == alert_id]

    def acknowledged(self, alert_id: str, severity: Severity) -> bool:
        return any(a.effective(severity, self.threshold) for a in self.acks_for(alert_id))

    def silenced_by(self, labels: dict[str, str], severity: Severity, now: float) -> Silence | None:
        for silence in self.silences.values():
            if silence.hides(labels, severity, now, self.threshold):
                return silence
        return None

    def waiting_approval(self, alert_id: str, labels: dict[str, str], severity: Severity, now: float) -> list[str]:
        """Ids of silences/acks that would hide this alert once approved."""
        waiting = [a.ack_id for a in self.acks_for(alert_id) if not a.effective(severity, self.threshold)]
        waiting += [s.silence_id for s in self.silences.values()
                    if s.active(now) and s.matches(labels) and not s.hides(labels, severity, now, self.threshold)]
        return waiting
