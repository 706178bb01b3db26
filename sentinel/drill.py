"""Drills: canary traffic through the real path, timed until its alert is delivered.

A drill writes one egress proxy log line (Squid format, parsed by the real parser) for
a request to a fresh destination under `.invalid` carrying a canary e-mail address.
The pipeline classifies it (unknown destination), the detectors find the address,
the policy raises `pii_to_unknown` (high), the alert manager groups, routes and
delivers it. The drill passes when the outbox records a notification about that
destination as sent, and reports the latency; every drill goes to the audit log.

With the daemon running, `sentinel drill` asks it over its loopback HTTP API to
inject the line into its own queue; without one, the drill runs the same path
in-process against the store.
"""

from __future__ import annotations

import secrets
import time
import urllib.error
from dataclasses import asdict, dataclass
from pathlib import Path

from sentinel.alert.fingerprint import DRILL_DOMAIN
from sentinel.collect.logs import make_parser
from sentinel.sources import LogBatch

DRILL_SOURCE = "drill"
LINE = ("{ts:.3f}    100 127.0.0.1 TCP_MISS/200 43 GET https://{host}/collect?em=drill-{id}%40example.com - "
        "HIER_DIRECT/192.0.2.1 image/gif")


@dataclass
class Drill:
    id: str
    host: str
    started: float
    status: str = "pending"  # pending | passed | failed
    latency_seconds: float | None = None
    channels: int = 0
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def new_drill() -> Drill:
    drill_id = secrets.token_hex(4)
    return Drill(drill_id, f"canary-{drill_id}.{DRILL_DOMAIN}", time.time())


def canary_batch(drill: Drill) -> LogBatch:
    """The canary as the squid parser reads it: the same code path as a tailed line."""
    event = make_parser("squid").parse(LINE.format(ts=drill.started, host=drill.host, id=drill.id))
    event.origin, event.offset = f"drill:{drill.id}", 0
    return LogBatch(DRILL_SOURCE, [event], [], {})


def delivered(store, drill: Drill) -> tuple[float | None, int]:
    """(first delivery time, channels delivered) of a notification naming the drill's destination."""
    rows = store.query(
        "SELECT toUnixTimestamp64Milli(min(updated_at)) / 1000, uniqExact(channel) FROM {db}.alert_outbox FINAL "
        "WHERE state = 'sent' AND position(body, %(host)s) > 0", {"host": drill.host}).result_rows
    first, channels = rows[0] if rows else (None, 0)
    return (float(first) if channels else None), int(channels)


def check(store, drill: Drill, timeout: float) -> Drill:
    if drill.status != "pending":
        return drill
    first, channels = delivered(store, drill)
    if first is not None:
        drill.status, drill.latency_seconds, drill.channels = "passed", round(first - drill.started, 3), channels
    elif time.time() - drill.started > timeout:
        drill.status = "failed"
        drill.detail = f"no notification delivered within {timeout:.0f} s (check alert routes and channels)"
    return drill


def audit(audit_log, drill: Drill) -> None:
    audit_log.append("sentinel-drill", "drill", drill.id, {"status": drill.status, "host": drill.host,
                                                           "latency_seconds": drill.latency_seconds,
                                                           "channels": drill.channels, "detail": drill.detail})


# -- the client side: `sentinel drill` -------------------------------------------------
class DaemonUnreachable(Exception):
    pass


def via_daemon(listen: str, timeout: float, data_dir: Path, poll: float = 0.5) -> Drill:
    from sentinel.http import call_api

    try:
        started = call_api(listen, data_dir, "/api/drill", data=b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise DaemonUnreachable(f"the daemon on {listen} refused the drill: cannot read its token "
                                    f"{data_dir / 'api.token'} (run as the daemon's user)") from None
        raise
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise DaemonUnreachable(f"no daemon answering on {listen}: {exc}") from None
    drill = Drill(**started)
    deadline = time.time() + timeout + 5
    while drill.status == "pending" and time.time() < deadline:
        time.sleep(poll)
        drill = Drill(**call_api(listen, data_dir, f"/api/drill/{drill.id}"))
    return drill


def in_process(settings, timeout: float) -> Drill:
    """No daemon running: the same path, in this process, against the store."""
    from sentinel.alert.manager import AlertManager
    from sentinel.judge import Judge
    from sentinel.policy import PolicyEngine
    from sentinel.runtime import build_pipeline
    from sentinel.store import Store

    store = Store.open(settings)
    try:
        store.migrate()
        alerts = AlertManager(store, settings)
        pipeline = build_pipeline(settings, store)
        pipeline.observers.append(Judge(PolicyEngine(settings.registry), alerts))
        drill = new_drill()
        batch = canary_batch(drill)
        pipeline.add_events(batch.events)
        pipeline.writer.flush()
        while drill.status == "pending":
            alerts.tick()
            check(store, drill, timeout)
            if drill.status == "pending":
                time.sleep(0.2)
        audit(alerts.audit, drill)
        alerts.close()
        return drill
    finally:
        store.close()
