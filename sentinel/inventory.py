"""The live data-flow inventory: which personal data goes to which sub-processor.

Aggregation happens in ClickHouse (findings joined to their events); Python only
decides whether each flow is approved by policy and renders the result.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from dataclasses import asdict, dataclass

from sentinel.config import Settings
from sentinel.policy import OWN_CREDENTIAL, PolicyEngine
from sentinel.store import Store

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_DURATION_SECONDS = 36500 * 86400

FLOWS_SQL = """
SELECT subprocessor, registrable_domain, category, field_path, method, endpoint,
       toUnixTimestamp64Milli(min(first)) / 1000 AS first_seen,
       toUnixTimestamp64Milli(max(last)) / 1000 AS last_seen,
       count() AS requests, sum(bytes) AS bytes, uniqExactArray(hashes) AS subjects,
       sum(watch) AS watchlist_hits, groupUniqArrayArray(subtypes) AS subtypes
FROM (
    SELECT f.subprocessor AS subprocessor, f.registrable_domain AS registrable_domain, f.category AS category,
           f.field_path AS field_path, f.method AS method, f.endpoint AS endpoint, f.event_id AS event_id,
           min(f.ts) AS first, max(f.ts) AS last, groupUniqArray(f.value_hash) AS hashes, max(f.watchlist) AS watch,
           any(e.bytes_out) AS bytes, groupUniqArray(f.subtype) AS subtypes
    FROM {db}.findings AS f
    LEFT JOIN (SELECT event_id, any(bytes_out) AS bytes_out FROM {db}.events WHERE ts >= %(since)s GROUP BY event_id)
        AS e ON e.event_id = f.event_id
    WHERE f.ts >= %(since)s
    GROUP BY subprocessor, registrable_domain, category, field_path, method, endpoint, event_id
)
GROUP BY subprocessor, registrable_domain, category, field_path, method, endpoint
ORDER BY subprocessor, category, field_path, endpoint
"""

# From events, not the traffic_1m rollup: rollups expire by event time, so a backfill of
# old logs would be missing there.
TRAFFIC_SQL = """
SELECT subprocessor, registrable_domain, toUnixTimestamp64Milli(min(ts)) / 1000 AS first_seen,
       toUnixTimestamp64Milli(max(ts)) / 1000 AS last_seen, count() AS requests, sum(bytes_out) AS bytes
FROM {db}.events FINAL
WHERE ts >= %(since)s
GROUP BY subprocessor, registrable_domain
ORDER BY subprocessor, registrable_domain
"""


def parse_duration(text: str) -> float:
    """'30d', '12h', '2w', '90m' -> seconds; 'all' -> everything."""
    text = text.strip().lower()
    if text in ("all", "0"):
        return float("inf")
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration like 30d, 12h, 2w or 'all', got {text!r}")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_DURATION_SECONDS:  # before dates: a window starting before year 1 cannot be computed
        raise ValueError(f"expected a duration of at most 100 years (36500d) or 'all', got {text!r}")
    return seconds


@dataclass
class Flow:
    subprocessor: str  # "" = unknown destination
    destination: str
    category: str  # "" = traffic with no personal data detected
    field_path: str
    endpoint: str
    first_seen: float
    last_seen: float
    requests: int
    bytes: int
    subjects: int
    watchlist_hits: int
    approved: bool
    rule: str
    change: str = ""  # with --diff: new | gone

    @property
    def name(self) -> str:
        return self.subprocessor or f"unknown ({self.destination or 'no destination'})"


def collect(store: Store, settings: Settings, since: str = "30d", diff: str | None = None,
            now: float | None = None) -> list[Flow]:
    now = now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()
    window = parse_duration(since)
    start = 0.0 if window == float("inf") else now - window
    params = {"since": dt.datetime.fromtimestamp(start, dt.timezone.utc).replace(tzinfo=None)}
    engine = PolicyEngine(settings.registry)
    flows: list[Flow] = []
    with_pii: set[tuple[str, str]] = set()
    for (sub, domain, category, field_path, method, endpoint, first, last, requests, nbytes, subjects,
         watch, subtypes) in store.query(FLOWS_SQL, params).result_rows:
        if sub in engine.policies and category == "SECRET":
            approved, rule = _secrets_approved(engine, sub, domain, field_path, subtypes)
        elif sub in engine.policies:
            approved, rule = engine.allows(sub, method, endpoint, category, field_path)
        else:
            approved, rule = False, "destination is not a registered sub-processor"
        flows.append(Flow(sub, domain, category, field_path, f"{method} {endpoint}".strip(), float(first),
                          float(last), int(requests), int(nbytes or 0), int(subjects), int(watch), approved,
                          rule.split(": ", 1)[-1]))
        with_pii.add((sub, domain))
    for sub, domain, first, last, requests, nbytes in store.query(TRAFFIC_SQL, params).result_rows:
        if (sub, domain) in with_pii:
            continue
        flows.append(Flow(sub, domain, "", "", "", float(first), float(last), int(requests), int(nbytes), 0, 0,
                          bool(sub), "no personal data detected" if sub else
                          "destination is not a registered sub-processor"))
    if diff:
        cut = now - parse_duration(diff)
        changed = []
        for flow in flows:
            if flow.first_seen >= cut:
                flow.change = "new"
            elif flow.last_seen < cut:
                flow.change = "gone"
            if flow.change:
                changed.append(flow)
        flows = changed
    flows.sort(key=lambda f: (f.subprocessor == "", f.subprocessor, f.destination, f.category, f.field_path))
    return flows


STORED_SQL = """
SELECT count() AS events, toUnixTimestamp64Milli(min(ts)) / 1000, toUnixTimestamp64Milli(max(ts)) / 1000
FROM {db}.events
"""


def stored_span(store: Store) -> tuple[int, float, float]:
    """(events, first, last) over everything stored: what an empty window is missing."""
    events, first, last = store.query(STORED_SQL).result_rows[0]
    return int(events), float(first or 0), float(last or 0)


def empty_window_hint(store: Store, since: str) -> str:
    """Why an inventory is empty: no traffic stored at all, or none in the window (a
    backfill of older logs)."""
    events, first, last = stored_span(store)
    if not events:
        return "the store holds no traffic yet: `sentinel ingest` a log, capture or HAR file, or `sentinel run`"
    return (f"no traffic in the last {since}; the store holds {events:,} events from {_iso(first)} to "
            f"{_iso(last)} (UTC): try --since all")


def title(since: str, diff: str | None) -> str:
    period = "all time" if parse_duration(since) == float("inf") else f"last {since}"
    return f"data flows, {period}" + (f", changed in the last {diff}" if diff else "")


def _secrets_approved(engine: PolicyEngine, sub: str, domain: str, field_path: str,
                      subtypes: list[str]) -> tuple[bool, str]:
    """The policy's secret rule for a flow: approved when every kind of secret in it is."""
    for subtype in sorted(subtypes) or [""]:
        allowed, why = engine.secret_allows(sub, domain, field_path, subtype)
        if not allowed:
            return False, f"secret {why}"
    return True, OWN_CREDENTIAL


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


# -- renderers ----------------------------------------------------------------------------
def to_json(flows: list[Flow]) -> str:
    return json.dumps([asdict(f) for f in flows], indent=2, sort_keys=True)


def to_csv(flows: list[Flow]) -> str:
    out = io.StringIO()
    names = list(asdict(flows[0]).keys()) if flows else [f for f in Flow.__dataclass_fields__]
    writer = csv.DictWriter(out, fieldnames=names)
    writer.writeheader()
    for flow in flows:
        writer.writerow(asdict(flow))
    return out.getvalue()


def to_table(flows: list[Flow], title: str):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in ("sub-processor", "category", "field path", "endpoint", "first seen", "last seen", "requests",
                   "subjects", "approved"):
        table.add_column(column, justify="right" if column in ("requests", "subjects") else "left")
    if any(f.change for f in flows):
        table.add_column("change")
    # A sub-processor reached at several domains gets one row per domain: name them.
    domains: dict[str, set[str]] = {}
    for f in flows:
        domains.setdefault(f.subprocessor, set()).add(f.destination)
    for f in flows:
        name = f.name
        if f.subprocessor and len(domains[f.subprocessor]) > 1:
            name = f"{f.subprocessor} ({f.destination})"
        # Paths hold brackets ("pb.1.2[user.email]", "xml.Attribute[givenName]"): not markup.
        row = [escape(name), f.category or "-", escape(f.field_path or "-"), escape(f.endpoint or "-"),
               _iso(f.first_seen), _iso(f.last_seen), f"{f.requests:,}", f"{f.subjects:,}",
               "[green]yes[/]" if f.approved else f"[red]no[/] ({escape(f.rule)})"]
        if any(x.change for x in flows):
            row.append(f.change)
        table.add_row(*row)
    return table


def to_html(flows: list[Flow], settings: Settings, since: str, generated: float | None = None) -> str:
    """A self-contained report for a record of processing (no scripts, no external assets)."""
    generated = generated or dt.datetime.now(dt.timezone.utc).timestamp()
    subs = {s.name: s for s in settings.registry.subprocessor}
    esc = html.escape
    sections = []
    by_sub: dict[str, list[Flow]] = {}
    for flow in flows:
        by_sub.setdefault(flow.name, []).append(flow)
    unapproved = sum(1 for f in flows if not f.approved)
    for name, group in by_sub.items():
        sub = subs.get(group[0].subprocessor)
        facts = ""
        if sub:
            facts = (f"<p class=meta>{esc(sub.title or sub.name)} &middot; {esc(sub.kind)}"
                     f"{' &middot; purpose: ' + esc(sub.purpose) if sub.purpose else ''}"
                     f"{' &middot; owner: ' + esc(sub.owner) if sub.owner else ''}"
                     f"{' &middot; DPA: ' + esc(sub.dpa) if sub.dpa else ''}</p>"
                     f"<p class=meta>allowed categories: {esc(', '.join(sub.policy.allow) or 'none')}</p>")
        rows = "".join(
            f"<tr class={'ok' if f.approved else 'bad'}><td>{esc(f.category or '-')}</td>"
            f"<td><code>{esc(f.field_path or '-')}</code></td><td><code>{esc(f.endpoint or '-')}</code></td>"
            f"<td>{_iso(f.first_seen)}</td><td>{_iso(f.last_seen)}</td><td class=n>{f.requests:,}</td>"
            f"<td class=n>{f.bytes:,}</td><td class=n>{f.subjects:,}</td>"
            f"<td>{'approved' if f.approved else 'NOT approved: ' + esc(f.rule)}</td></tr>"
            for f in group)
        sections.append(f"<h2>{esc(name)}</h2>{facts}<table><thead><tr><th>category</th><th>field path</th>"
                        f"<th>endpoint</th><th>first seen</th><th>last seen</th><th>requests</th><th>bytes</th>"
                        f"<th>data subjects</th><th>policy</th></tr></thead><tbody>{rows}</tbody></table>")
    body = "".join(sections) or "<p>No traffic in this period.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sentinel data-flow inventory</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} h1{{margin-bottom:0}}
table{{border-collapse:collapse;width:100%;margin-bottom:1.5em;font-size:90%}}
th,td{{border:1px solid #ccc;padding:4px 8px;text-align:left}} th{{background:#f0f0f0}}
td.n{{text-align:right}} tr.bad td{{background:#fde8e8}} .meta{{color:#555;margin:.2em 0}}
</style></head><body>
<h1>Data-flow inventory</h1>
<p class=meta>Generated {_iso(generated)} UTC by Sentinel &middot; period: last {esc(since)} &middot;
{len(by_sub)} destinations &middot; {len(flows)} flows &middot; {unapproved} not approved by policy &middot;
registry digest {esc(settings.digest[:12])}</p>
<p class=meta>Values are never stored: data subjects are counted from keyed hashes.</p>
{body}
</body></html>
"""
