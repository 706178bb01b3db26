"""Pure message builders: the notification document, and from it the e-mail, Slack
Block Kit, PagerDuty Events v2 and generic webhook payloads.

Every builder starts from `sanitize()`, which keeps only allowlisted fields, label
names and evidence keys, cuts long text and withholds anything that still looks
like an unmasked value. Alerts arrive with masked evidence; this is the second
line of defence, not the first.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from sentinel.alert.model import AlertRecord, Severity

NOTIFICATION_FIELDS = (
    "notification_id", "status", "test", "repeat", "route", "group_key", "group_labels", "severity",
    "created_at", "link", "counts", "alerts",
)
ALERT_FIELDS = (
    "alert_id", "fingerprint", "kind", "severity", "status", "title", "summary", "policy", "subprocessor",
    "category", "field_path", "endpoint", "labels", "occurrences", "first_seen", "last_seen", "resolved_at",
    "link", "evidence",
)
GROUP_LABELS = ("kind", "subprocessor", "category", "severity")
# Identifying labels besides the named fields that may be shown (names of things, not values).
LABEL_KEYS = ("destination", "rule", "window", "source", "detector", "location", "method", "direction")
# Evidence keys a message may carry: masked previews, counts and where the data was.
EVIDENCE_KEYS = (
    "masked", "masked_examples", "location", "field_path", "endpoint", "method", "dst_host", "detector",
    "confidence", "findings", "events", "subjects", "bytes_out", "requests", "score", "threshold", "window",
    "tls_version", "cipher", "rule", "source", "encoding", "destination", "seen",
)
MAX_ALERTS = 20  # per message; the rest are counted
MAX_TEXT = 500
MAX_VALUE = 200
WITHHELD = "[withheld]"

# Shapes of raw values that must never leave, whatever the caller passed in.
_UNMASKED = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"  # an e-mail address
    r"|(?<![\w*])\d(?:[ \-]?\d){12,18}(?![\w*])"  # a card-length digit run
    r"|\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b"  # an IBAN
    r"|\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}"  # Stripe-style keys
    r"|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{20,}|\bxox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"  # a JWT
)
_SEVERITY_COLOURS = {"critical": "#b00020", "high": "#e8590c", "medium": "#f2c744", "low": "#3f8fd2",
                     "info": "#8c8c8c"}
_PAGERDUTY_SEVERITY = {"critical": "critical", "high": "error", "medium": "warning", "low": "info", "info": "info"}


# -- sanitising ---------------------------------------------------------------------------
def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _withhold(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"[ \-]", "", text)
    if digits.isdigit() and not _luhn(digits):
        return text  # a long number that is no card number (an id, a timestamp in ms)
    return WITHHELD


def scrub(value, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else str(value)
    text = _UNMASKED.sub(_withhold, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _link(value) -> str:
    # Built by Links from config, not from traffic; only http(s) links pass.
    text = value if isinstance(value, str) else ""
    return text[:1000] if text.startswith(("http://", "https://")) else ""


def safe_labels(labels: dict) -> dict[str, str]:
    return {k: scrub(labels[k], MAX_VALUE) for k in LABEL_KEYS if labels.get(k) not in (None, "")}


def safe_evidence(evidence: dict) -> dict[str, str]:
    return {k: scrub(evidence[k], MAX_VALUE) for k in EVIDENCE_KEYS if evidence.get(k) not in (None, "")}


def _number(value) -> float | int:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def sanitize_alert(alert: dict) -> dict:
    out: dict = {}
    for key in ALERT_FIELDS:
        if key not in alert:
            continue
        value = alert[key]
        if key == "labels":
            out[key] = safe_labels(value if isinstance(value, dict) else {})
        elif key == "evidence":
            out[key] = safe_evidence(value if isinstance(value, dict) else {})
        elif key in ("occurrences", "first_seen", "last_seen", "resolved_at"):
            out[key] = _number(value)
        elif key == "severity":
            out[key] = _severity(value)
        elif key == "link":
            out[key] = _link(value)
        else:
            out[key] = scrub(value, MAX_TEXT if key in ("summary", "policy", "title") else MAX_VALUE)
    return out


def sanitize(notification: dict) -> dict:
    """The notification with only allowlisted fields, every string scrubbed."""
    out: dict = {}
    for key in NOTIFICATION_FIELDS:
        if key not in notification:
            continue
        value = notification[key]
        if key == "alerts":
            out[key] = [sanitize_alert(a) for a in value[:MAX_ALERTS] if isinstance(a, dict)]
        elif key == "group_labels":
            out[key] = {k: scrub(value[k], MAX_VALUE) for k in GROUP_LABELS if k in value}
        elif key == "counts":
            out[key] = {k: int(_number(value.get(k, 0))) for k in ("firing", "resolved")}
        elif key in ("test", "repeat"):
            out[key] = bool(value)
        elif key == "created_at":
            out[key] = _number(value)
        elif key == "severity":
            out[key] = _severity(value)
        elif key == "link":
            out[key] = _link(value)
        else:
            out[key] = scrub(value, MAX_VALUE)
    return out


def _severity(value) -> str:
    try:
        return Severity.parse(value).label
    except (ValueError, TypeError):
        return "info"


# -- building the notification --------------------------------------------------------
class Links:
    """Grafana drill-down links for a sub-processor around a time range."""

    def __init__(self, base_url: str, drilldown_path: str, margin_seconds: float = 900.0):
        self.base_url = base_url.rstrip("/")
        self.path = drilldown_path
        self.margin = margin_seconds

    def subprocessor(self, name: str, first_seen: float, last_seen: float) -> str:
        path = self.path.format(
            subprocessor=quote(name or "$__all", safe=""),
            from_ms=int((first_seen - self.margin) * 1000),
            to_ms=int((last_seen + self.margin) * 1000),
        )
        return self.base_url + path


def alert_view(record: AlertRecord, links: Links, status: str | None = None) -> dict:
    identity = record.identity
    return sanitize_alert({
        "alert_id": record.alert_id,
        "fingerprint": record.fingerprint,
        "kind": record.kind,
        "severity": record.severity.label,
        "status": status or record.status,
        "title": record.title,
        "summary": record.summary,
        "policy": record.policy,
        "subprocessor": identity.get("subprocessor", ""),
        "category": identity.get("category", ""),
        "field_path": identity.get("field_path", ""),
        "endpoint": identity.get("endpoint", ""),
        "labels": identity,
        "occurrences": record.occurrences,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "resolved_at": record.resolved_at,
        "link": links.subprocessor(identity.get("subprocessor", ""), record.first_seen, record.last_seen),
        "evidence": record.evidence,
    })


def build_notification(notification_id: str, route: str, group_key: str, group_labels: dict[str, str],
                       firing: list[AlertRecord], resolved: list[AlertRecord], created_at: float, links: Links,
                       repeat: bool = False, test: bool = False, new: frozenset[str] = frozenset()) -> dict:
    # Alerts the route has not been told of (fingerprints in `new`) lead: a message
    # lists only the first MAX_ALERTS of a large group and counts the rest.
    firing = sorted(firing, key=lambda r: (r.fingerprint not in new, -r.severity, r.first_seen, r.alert_id))
    resolved = sorted(resolved, key=lambda r: (-r.severity, r.first_seen, r.alert_id))
    everyone = firing + resolved
    top = max((r.severity for r in (firing or resolved)), default=Severity.INFO)
    subprocessors = {r.subprocessor for r in everyone}
    first = min((r.first_seen for r in everyone), default=created_at)
    last = max((r.last_seen for r in everyone), default=created_at)
    return sanitize({
        "notification_id": notification_id,
        "status": "firing" if firing else "resolved",
        "test": test,
        "repeat": repeat,
        "route": route,
        "group_key": group_key,
        "group_labels": group_labels,
        "severity": top.label,
        "created_at": created_at,
        "link": links.subprocessor(subprocessors.pop() if len(subprocessors) == 1 else "", first, last),
        "counts": {"firing": len(firing), "resolved": len(resolved)},
        # only what the message lists: a group of thousands costs the same as one of twenty
        "alerts": [alert_view(r, links, "firing") for r in firing[:MAX_ALERTS]]
        + [alert_view(r, links, "resolved") for r in resolved[:max(0, MAX_ALERTS - len(firing))]],
    })


# -- shared wording -----------------------------------------------------------------------
def iso(ts: float) -> str:
    if not ts:
        return "-"
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _word(n: dict) -> str:
    if n.get("test"):
        return "TEST"
    return "RESOLVED" if n.get("status") == "resolved" else "FIRING"


def _group_name(n: dict) -> str:
    labels = n.get("group_labels", {})
    return " / ".join(v for v in labels.values() if v) or "all alerts"


def _headline(n: dict) -> str:
    alerts = _firing(n) or _resolved(n)
    lead = alerts[0]["title"] if alerts else "no alerts"
    more = len(alerts) - 1
    return lead + (f" (+{more} more)" if more > 0 else "")


def _firing(n: dict) -> list[dict]:
    return [a for a in n.get("alerts", []) if a.get("status") == "firing"]


def _resolved(n: dict) -> list[dict]:
    return [a for a in n.get("alerts", []) if a.get("status") == "resolved"]


def _summary_line(n: dict) -> str:
    counts = n.get("counts", {})
    parts = [f"{counts.get('firing', 0)} firing"]
    if counts.get("resolved"):
        parts.append(f"{counts['resolved']} resolved")
    line = f"{_word(n)}: {', '.join(parts)} for {_group_name(n)} (severity {n.get('severity', 'info')})"
    if n.get("repeat"):
        line += "; still firing, repeated"
    return line


def _alert_facts(a: dict) -> list[tuple[str, str]]:
    facts = [("Policy broken", a.get("policy", "")), ("Sub-processor", a.get("subprocessor", "")),
             ("Category", a.get("category", "")), ("Field", a.get("field_path", "")),
             ("Endpoint", a.get("endpoint", ""))]
    facts += [(k.replace("_", " ").capitalize(), v) for k, v in a.get("labels", {}).items()]
    facts += [("Occurrences", str(a.get("occurrences", 0))), ("First seen", iso(a.get("first_seen", 0))),
              ("Last seen", iso(a.get("last_seen", 0)))]
    if a.get("status") == "resolved":
        facts.append(("Resolved", iso(a.get("resolved_at", 0))))
    return [(k, v) for k, v in facts if v]


# -- e-mail (and any Apprise target that takes a title and text) --------------------------
def email_message(notification: dict) -> tuple[str, str]:
    n = sanitize(notification)
    firing_count = n.get("counts", {}).get("firing", 0)
    count = f":{firing_count}" if firing_count > 1 else ""
    subject = f"[Sentinel][{_word(n)}{count}] {n.get('severity', 'info').upper()} {_group_name(n)}: {_headline(n)}"
    lines = [_summary_line(n), ""]
    for section, alerts in (("", _firing(n)), ("Resolved:", _resolved(n))):
        if section and alerts:
            lines += [section, ""]
        for a in alerts:
            lines.append(f"[{a.get('severity', 'info').upper()}] {a.get('title', '')}")
            if a.get("summary"):
                lines.append(f"  {a['summary']}")
            width = max(len(k) for k, _ in _alert_facts(a)) + 1
            lines += [f"  {(k + ':').ljust(width)} {v}" for k, v in _alert_facts(a)]
            if a.get("evidence"):
                lines.append("  Evidence (masked):")
                lines += [f"    {k}: {v}" for k, v in a["evidence"].items()]
            lines.append(f"  Details: {a.get('link', '')}")
            lines.append(f"  Alert {a.get('alert_id', '')}, fingerprint {a.get('fingerprint', '')}")
            lines.append("")
    if _firing(n) and not n.get("test"):
        lines.append(f"Acknowledge: sentinel alerts ack {_firing(n)[0].get('alert_id', '')} --by NAME")
    lines.append(f"Dashboard: {n.get('link', '')}")
    lines.append(f"Notification {n.get('notification_id', '')}, group {n.get('group_key', '')}, "
                 f"route {n.get('route', '')}")
    return subject, "\n".join(lines) + "\n"


def notify_type(notification: dict) -> str:
    """Apprise's notify type: info, success, warning or failure."""
    n = sanitize(notification)
    if n.get("test"):
        return "info"
    if n.get("status") == "resolved":
        return "success"
    return {"critical": "failure", "high": "failure", "medium": "warning", "low": "warning"}.get(
        n.get("severity", "info"), "info")


# -- Slack ----------------------------------------------------------------------------------
def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(notification: dict) -> dict:
    """A Block Kit attachment: a coloured bar, a header, one section per alert, a link button."""
    n = sanitize(notification)
    header = f"[{_word(n)}] {n.get('severity', 'info').upper()} {_group_name(n)}: {_headline(n)}"
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150], "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack(_summary_line(n))}},
    ]
    for a in n.get("alerts", [])[:10]:  # Slack allows 50 blocks; ten alerts stay readable
        blocks.append({"type": "divider"})
        title = f"*[{a.get('severity', 'info').upper()}] {_slack(a.get('title', ''))}*"
        if a.get("status") == "resolved":
            title += " _(resolved)_"
        if a.get("summary"):
            title += "\n" + _slack(a["summary"])
        fields = [{"type": "mrkdwn", "text": f"*{_slack(k)}*\n{_slack(v)}"} for k, v in _alert_facts(a)][:10]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": title}, "fields": fields})
        if a.get("evidence"):
            evidence = " · ".join(f"`{_slack(k)}` {_slack(v)}" for k, v in a["evidence"].items())
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"Evidence (masked): {evidence}"}]})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open in Grafana"}, "url": n.get("link", "")}]})
    footer = f"Notification {n.get('notification_id', '')} · group {n.get('group_key', '')}"
    if _firing(n) and not n.get("test"):
        footer += f" · `sentinel alerts ack {_firing(n)[0].get('alert_id', '')} --by NAME`"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    colour = "#2eb67d" if n.get("status") == "resolved" else _SEVERITY_COLOURS.get(n.get("severity", "info"))
    return {"color": colour, "blocks": blocks}


# -- PagerDuty Events v2 --------------------------------------------------------------------
def pagerduty_event(notification: dict) -> dict:
    """An Events v2 event without routing_key (the URL's integration key); dedup_key is the
    group's fingerprint, so one group is one incident and its resolution resolves it."""
    n = sanitize(notification)
    dedup_key = n.get("group_key", "") or n.get("notification_id", "")
    if n.get("status") == "resolved" and not n.get("test"):
        return {"event_action": "resolve", "dedup_key": dedup_key}
    firing = _firing(n)
    subprocessors = sorted({a.get("subprocessor", "") for a in firing if a.get("subprocessor")})
    kinds = sorted({a.get("kind", "") for a in firing if a.get("kind")})
    details = {
        "status": _word(n).lower(),
        "group": n.get("group_labels", {}),
        "firing": n.get("counts", {}).get("firing", 0),
        "resolved": n.get("counts", {}).get("resolved", 0),
        "alerts": [{k: a[k] for k in ("alert_id", "title", "severity", "policy", "category", "field_path",
                                      "endpoint", "occurrences", "evidence") if a.get(k) not in (None, "", {})}
                   | {"first_seen": iso(a.get("first_seen", 0))} for a in firing],
    }
    summary = f"[Sentinel] {n.get('severity', 'info').upper()} {_group_name(n)}: {_headline(n)}"
    event = {
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": summary[:1024],
            "severity": _PAGERDUTY_SEVERITY.get(n.get("severity", "info"), "info"),
            "source": "sentinel",
            "component": subprocessors[0] if len(subprocessors) == 1 else "egress",
            "class": kinds[0] if len(kinds) == 1 else "mixed",
            "custom_details": details,
        },
    }
    if n.get("link"):
        event["links"] = [{"href": n["link"]}]
    return event


# -- generic webhook ------------------------------------------------------------------------
def webhook_document(notification: dict) -> dict:
    """The notification as a versioned JSON document, times in ISO 8601 as well as epoch."""
    n = sanitize(notification)
    for a in n.get("alerts", []):
        for key in ("first_seen", "last_seen", "resolved_at"):
            if a.get(key):
                a[f"{key}_iso"] = iso(a[key])
    return {"schema": "sentinel.notification/v1", **n, "created_at_iso": iso(n.get("created_at", 0))}


def alert_ids(notification: dict) -> list[str]:
    return [a.get("alert_id", "") for a in notification.get("alerts", [])]
