"""Violations become alerts: the bridge between policy decisions and the alert manager."""

from __future__ import annotations

import datetime as dt

from sentinel.policy import PolicyEngine, RequestFacts, Violation
from sentinel.registry import Match

TITLES = {
    "unapproved_category": "{category} sent to {name}, which may not receive it",
    "unapproved_field": "{category} sent to {name} in a field the policy does not allow",
    "pii_to_unknown": "{category} sent to unknown destination {destination}",
    "secret_leak": "A secret left for {name}{at}",
    "watchlist_hit": "A guarded identifier ({category}) left for {name}",
    "new_field_path": "New field carrying {category} to {name}",
    "plaintext_transfer": "Plaintext HTTP to {name}",
    "weak_tls": "Weak TLS ({tls_version}) to {name}",
    "unknown_destination": "Traffic to unknown destination {destination}",
    "volume_anomaly": "Unusual volume to {name}",
}
# Conditions that stop by themselves resolve after this long without a new sighting.
RESOLVE_AFTER = {"volume_anomaly": 0, "plaintext_transfer": 3600.0, "weak_tls": 3600.0}


def title_of(violation: Violation) -> str:
    """An alert's (and a scan report's) title. Two secrets of one request (a key id and
    its secret) are two alerts: the field tells them apart."""
    at = f" in {violation.field_path}" if violation.field_path else ""
    return TITLES.get(violation.kind, violation.kind).format(
        category=violation.category or "data", name=violation.subprocessor or "an unknown destination",
        destination=violation.destination, at=at, tls_version=violation.tls_version)


def to_alert(violation: Violation, live: bool = False):
    """The alert for a violation. ``live``: the daemon's, whose "not seen for
    resolve_timeout" counts from when Sentinel saw the request, so that a leak it reads
    from a backlog (after an outage) is notified before it resolves; a backfill's counts
    from the request's own time."""
    from sentinel.alert.model import Alert

    title = title_of(violation)
    evidence = {"destination": violation.destination}
    if violation.masked:
        evidence["masked"] = ", ".join(violation.masked[:5])
    when = dt.datetime.fromtimestamp(violation.ts or 0, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    evidence["seen"] = when
    labels = {"destination": violation.destination} if not violation.subprocessor else {}
    if violation.tls_version:  # one alert per version negotiated, as for a category
        labels["tls_version"] = violation.tls_version
    endpoint = violation.endpoint
    if violation.kind == "unknown_destination":  # one alert per destination, whichever path came first
        evidence["endpoint"], endpoint = endpoint, ""
    return Alert(
        kind=violation.kind, severity=violation.severity, title=title, subprocessor=violation.subprocessor,
        category=violation.category, field_path=violation.field_path, endpoint=endpoint,
        policy=violation.rule, summary=violation.rule, labels=labels, evidence=evidence,
        first_seen=violation.ts or None, last_seen=None if live else violation.ts or None,
        resolve_after=RESOLVE_AFTER.get(violation.kind),
    )


class Judge:
    """A pipeline observer: evaluates each request and raises alerts for violations."""

    def __init__(self, engine: PolicyEngine, alerts=None, metrics=None, collect: list | None = None,
                 live: bool = False):
        self.engine = engine
        self.live = live
        self.alerts = alerts
        self.metrics = metrics
        self.collected = collect  # `sentinel scan` keeps violations instead of alerting

    def __call__(self, facts: RequestFacts, match: Match, findings: list) -> None:
        for violation in self.engine.evaluate(facts, match, findings):
            self.handle(violation)

    def handle(self, violation: Violation) -> None:
        if self.metrics:
            self.metrics.violations.labels(violation.subprocessor or "unknown", violation.kind,
                                           violation.severity).inc()
        if self.collected is not None:
            self.collected.append(violation)
        if self.alerts is not None:
            self.alerts.raise_alert(to_alert(violation, self.live))
