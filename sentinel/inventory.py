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
from dataclasses import asdict, dataclass

from sentinel.alert.fingerprint import DRILL_DOMAIN
from sentinel.config import Settings
from sentinel.durations import DurationError, parse_duration
from sentinel.policy import OWN_CREDENTIAL, PolicyEngine
from sentinel.store import Store

ALL = float("inf")

FLOWS_SQL = """
SELECT subprocessor, registrable_domain, category, field_path, method, endpoint,
       toUnixTimestamp64Milli(min(first)) / 1000 AS first_seen,
       toUnixTimestamp64Milli(max(last)) / 1000 AS last_seen,
       count() AS requests, sum(bytes) AS bytes, uniqExactArray(hashes) AS subjects,
       sum(watch) AS watchlist_hits, groupUniqArrayArray(subtypes) AS subtypes,
       groupUniqArrayArray(sources) AS sources
FROM (
    SELECT f.subprocessor AS subprocessor, f.registrable_domain AS registrable_domain, f.category AS category,
           f.field_path AS field_path, f.method AS method, f.endpoint AS endpoint, f.event_id AS event_id,
           min(f.ts) AS first, max(f.ts) AS last, groupUniqArray(f.value_hash) AS hashes, max(f.watchlist) AS watch,
           any(e.bytes_out) AS bytes, groupUniqArray(f.subtype) AS subtypes, groupUniqArray(f.source) AS sources
    FROM {db}.findings AS f
    LEFT JOIN (SELECT event_id, any(bytes_out) AS bytes_out FROM {db}.events WHERE ts >= %(since)s GROUP BY event_id)
        AS e ON e.event_id = f.event_id
    WHERE f.ts >= %(since)s AND NOT endsWith(f.registrable_domain, %(drill)s)
    GROUP BY subprocessor, registrable_domain, category, field_path, method, endpoint, event_id
)
GROUP BY subprocessor, registrable_domain, category, field_path, method, endpoint
ORDER BY subprocessor, category, field_path, endpoint
"""

# From events, not the traffic_1m rollup: rollups expire by event time, so a backfill of
# old logs would be missing there.
TRAFFIC_SQL = """
SELECT subprocessor, registrable_domain, toUnixTimestamp64Milli(min(ts)) / 1000 AS first_seen,
       toUnixTimestamp64Milli(max(ts)) / 1000 AS last_seen, count() AS requests, sum(bytes_out) AS bytes,
       groupUniqArray(source) AS sources, groupUniqArray(inspected) AS inspected
FROM {db}.events FINAL
WHERE ts >= %(since)s AND NOT endsWith(registrable_domain, %(drill)s)
GROUP BY subprocessor, registrable_domain
ORDER BY subprocessor, registrable_domain
"""


# With --diff: when each flow was first seen, over everything the store holds (not only
# --since), so a flow older than the window is not called new.
FIRST_FLOWS_SQL = """
SELECT subprocessor, registrable_domain, category, field_path, method, endpoint,
       toUnixTimestamp64Milli(min(ts)) / 1000
FROM {db}.findings
GROUP BY subprocessor, registrable_domain, category, field_path, method, endpoint
"""
FIRST_TRAFFIC_SQL = """
SELECT subprocessor, registrable_domain, toUnixTimestamp64Milli(min(ts)) / 1000
FROM {db}.events
GROUP BY subprocessor, registrable_domain
"""
# Sources (log families, captures) that delivered any traffic since a time: a flow that only
# a silent source ever saw is not called gone, its source may just have stopped reporting.
SOURCES_SINCE_SQL = """
SELECT source, toUnixTimestamp64Milli(max(ts)) / 1000 FROM {db}.events WHERE ts >= %(since)s GROUP BY source
"""


def parse_since(text: str) -> float:
    """--since: a duration such as 30d, 12h or 1h30m in seconds; 'all' -> everything (inf)."""
    if text.strip() == "all":
        return ALL
    if text.strip().isdigit():
        raise DurationError(f"--since: {text!r} has no unit; write 'all' for everything stored, or a "
                            f"period such as 30d")
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise DurationError(f"--since: {exc}") from None


def check_period(since: str, diff: str | None) -> tuple[float, float | None]:
    """(window, diff) in seconds; DurationError naming the option for anything that makes no sense.

    A diff compares the last `diff` with the rest of the --since window before it, so it must
    be shorter than the window."""
    window = parse_since(since)
    if diff is None:
        return window, None
    if diff.strip() == "all":
        raise DurationError(f"--diff: expected a period such as 7d (what changed within it), got {diff!r}")
    try:
        recent = parse_duration(diff)
    except DurationError as exc:
        raise DurationError(f"--diff: {exc}") from None
    if recent >= window:
        raise DurationError(f"--diff {diff} must be shorter than --since {since}: the flows of the last {diff} "
                            f"are compared with those of the rest of the --since window before it")
    return window, recent


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
    """The flows of the --since window; with `diff`, only those new or gone in the last `diff`
    (see `mark_changes`)."""
    now = now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()
    window, recent = check_period(since, diff)
    start = window_start(window, now)
    # A drill's canary is no data flow: it would stay in the record of processing for months.
    params = {"since": utc_param(start), "drill": DRILL_DOMAIN}
    engine = PolicyEngine(settings.registry)
    flows: list[Flow] = []
    keys: dict[int, tuple] = {}  # id(flow) -> its key in the first-seen queries
    sources: dict[int, set[str]] = {}
    with_pii: set[tuple[str, str]] = set()
    for (sub, domain, category, field_path, method, endpoint, first, last, requests, nbytes, subjects,
         watch, subtypes, seen_by) in store.query(FLOWS_SQL, params).result_rows:
        approved, rule = judge_flow(engine, sub, domain, category, field_path, method, endpoint, subtypes)
        flow = Flow(sub, domain, category, field_path, f"{method} {endpoint}".strip(), float(first),
                    float(last), int(requests), int(nbytes or 0), int(subjects), int(watch), approved, rule)
        flows.append(flow)
        keys[id(flow)], sources[id(flow)] = (sub, domain, category, field_path, method, endpoint), set(seen_by)
        with_pii.add((sub, domain))
    for sub, domain, first, last, requests, nbytes, seen_by, inspected in store.query(TRAFFIC_SQL, params).result_rows:
        # Beside its flows with personal data, all that went there: 3 requests with an e-mail
        # among 45,000 said nothing of how much a sub-processor receives.
        if not sub:
            rule = unknown_destination(domain)
        else:
            rule = ALL_REQUESTS if (sub, domain) in with_pii else nothing_found(set(inspected))
        flow = Flow(sub, domain, "", "", "", float(first), float(last), int(requests), int(nbytes), 0, 0,
                    bool(sub), rule)
        flows.append(flow)
        keys[id(flow)], sources[id(flow)] = (sub, domain), set(seen_by)
    if recent is not None:
        flows = mark_changes(store, flows, keys, sources, now - recent)
    flows.sort(key=lambda f: (f.subprocessor == "", f.subprocessor, f.destination, f.category, f.field_path))
    return flows


ALL_REQUESTS = "all requests, with personal data or not"
NONE_FOUND = "no personal data detected"
NONE_IN_URLS = "no personal data detected in URLs; request bodies not inspected (proxy logs only)"
NOT_INSPECTED = "not inspected: detection was off or no request was sampled"
# What a traffic row's category cell says, in the table and the HTML report.
_NOTHING_FOUND_CELL = {NONE_FOUND: "none found", NONE_IN_URLS: "none in URLs (bodies not inspected)",
                       NOT_INSPECTED: "not inspected", ALL_REQUESTS: "(all requests)"}


def nothing_found(inspected: set[str]) -> str:
    """What "no personal data" rests on: request bodies, URLs only (proxy logs), or nothing."""
    if "body" in inspected or "" in inspected:  # '': stored before this was recorded
        return NONE_FOUND
    if "url" in inspected:
        return NONE_IN_URLS
    return NOT_INSPECTED


def unknown_destination(domain: str) -> str:
    if not domain:  # a reverse proxy's inbound requests, or a log format that names no upstream
        return "the records name no destination (inbound traffic, or a log without upstream hosts)"
    return "destination is not a registered sub-processor"


def category_cell(flow: "Flow") -> str:
    return flow.category or _NOTHING_FOUND_CELL.get(flow.rule, "-")


def mark_changes(store: Store, flows: list[Flow], keys: dict[int, tuple], sources: dict[int, set[str]],
                 cut: float) -> list[Flow]:
    """The flows that changed since `cut`, marked:

    new:  first seen at or after `cut`, looking back over everything the store holds (its
          first_seen becomes that first sighting);
    gone: seen in the window before `cut` and not since, while a source that saw it did
          report other traffic since (a source that went silent proves nothing).
    """
    first_ever = {tuple(row[:-1]): float(row[-1]) for query in (FIRST_FLOWS_SQL, FIRST_TRAFFIC_SQL)
                  for row in store.query(query).result_rows}
    reporting = {source for source, _ in store.query(SOURCES_SINCE_SQL, {"since": utc_param(cut)}).result_rows}
    changed = []
    for flow in flows:
        first = first_ever.get(keys[id(flow)], flow.first_seen)
        if first >= cut:
            flow.change, flow.first_seen = "new", first
        elif flow.last_seen < cut and sources[id(flow)] & reporting:
            flow.change = "gone"
        if flow.change:
            changed.append(flow)
    return changed


def diff_notes(store: Store, since: str, diff: str, now: float | None = None) -> list[str]:
    """What a diff cannot tell: flows that only a now-silent source saw are not called gone,
    and with no history before the diff period every flow is new."""
    now = now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()
    window, recent = check_period(since, diff)
    cut = now - (recent or 0)
    start = window_start(window, now)
    notes = []
    events, first, _ = stored_span(store)
    if events and first >= cut:
        notes.append(f"the store holds traffic only since {iso_minute(first)} UTC, within the last {diff}: every flow "
                     f"in it shows as new")
    silent = [(source, last) for source, last in store.query(SOURCES_SINCE_SQL, {"since": utc_param(start)}).result_rows
              if float(last) < cut]
    for source, last in sorted(silent):
        notes.append(f"source {source!r} reported nothing in the last {diff} (its latest traffic is from "
                     f"{iso_minute(float(last))} UTC): flows seen only there are not called gone")
    return notes


def window_start(window: float, now: float) -> float:
    """When a --since window (seconds, or ALL) that ends at ``now`` starts."""
    return 0.0 if window == ALL else now - window


def utc_param(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)


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
    return (f"no traffic in the last {since}; the store holds {events:,} events from {iso_minute(first)} to "
            f"{iso_minute(last)} (UTC): try --since all")


def period_text(since: str) -> str:
    return "all time" if parse_since(since) == ALL else f"last {since}"


def title(since: str, diff: str | None) -> str:
    """What a report holds: every flow of the window, or only the changes of a diff."""
    if not diff:
        return f"data flows, {period_text(since)}"
    before = "everything stored before it" if parse_since(since) == ALL else f"the rest of the last {since}"
    return f"changes in data flows: new or gone in the last {diff}, against {before}"


def judge_flow(engine: PolicyEngine, sub: str, domain: str, category: str, field_path: str, method: str,
               endpoint: str, subtypes: list[str]) -> tuple[bool, str]:
    """(approved, the rule in words) for data of a category sent at a field and endpoint."""
    if sub in engine.policies and category == "SECRET":
        approved, rule = _secrets_approved(engine, sub, domain, field_path, subtypes)
    elif sub in engine.policies:
        approved, rule = engine.allows(sub, method, endpoint, category, field_path)
    else:
        approved, rule = False, "destination is not a registered sub-processor"
    return approved, rule.split(": ", 1)[-1]


def _secrets_approved(engine: PolicyEngine, sub: str, domain: str, field_path: str,
                      subtypes: list[str]) -> tuple[bool, str]:
    """The policy's secret rule for a flow: approved when every kind of secret in it is."""
    for subtype in sorted(subtypes) or [""]:
        allowed, why = engine.secret_allows(sub, domain, field_path, subtype)
        if not allowed:
            return False, f"secret {why}"
    return True, OWN_CREDENTIAL


def iso_minute(ts: float) -> str:
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
    for column in ("sub-processor", "category", "field path", "endpoint", "first seen (UTC)", "last seen (UTC)",
                   "requests", "subjects", "approved"):
        table.add_column(column, justify="right" if column in ("requests", "subjects") else "left")
    if any(f.change for f in flows):
        table.add_column("change")
    guarded = any(f.watchlist_hits for f in flows)  # registered identifiers seen: say how often
    if guarded:
        table.add_column("watchlist hits", justify="right")
    # A sub-processor reached at several domains gets one row per domain: name them.
    domains: dict[str, set[str]] = {}
    for f in flows:
        domains.setdefault(f.subprocessor, set()).add(f.destination)
    for f in flows:
        name = f.name
        if f.subprocessor and len(domains[f.subprocessor]) > 1:
            name = f"{f.subprocessor} ({f.destination})"
        # Paths hold brackets ("pb.1.2[user.email]", "xml.Attribute[givenName]"): not markup.
        row = [escape(name), category_cell(f), escape(f.field_path or "-"), escape(f.endpoint or "-"),
               iso_minute(f.first_seen), iso_minute(f.last_seen), f"{f.requests:,}", f"{f.subjects:,}",
               "[green]yes[/]" if f.approved else f"[red]no[/] ({escape(f.rule)})"]
        if any(x.change for x in flows):
            row.append(f.change)
        if guarded:
            row.append(f"{f.watchlist_hits:,}")
        table.add_row(*row)
    return table


def to_html(flows: list[Flow], settings: Settings, since: str, generated: float | None = None,
            diff: str | None = None) -> str:
    """A self-contained report for a record of processing (no scripts, no external assets); with
    `diff`, a report of the changes only, each row saying new or gone."""
    generated = generated or dt.datetime.now(dt.timezone.utc).timestamp()
    subs = {s.name: s for s in settings.registry.subprocessor}
    esc = html.escape
    sections = []
    by_sub: dict[str, list[Flow]] = {}
    for flow in flows:
        by_sub.setdefault(flow.name, []).append(flow)
    unapproved = sum(1 for f in flows if not f.approved)
    guarded = any(f.watchlist_hits for f in flows)  # registered identifiers seen: say how often
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
            f"<tr class={'ok' if f.approved else 'bad'}>"
            + (f"<td class=change>{esc(f.change or '-')}</td>" if diff else "")
            + f"<td>{esc(category_cell(f))}</td>"
            f"<td><code>{esc(f.field_path or '-')}</code></td><td><code>{esc(f.endpoint or '-')}</code></td>"
            f"<td>{iso_minute(f.first_seen)}</td><td>{iso_minute(f.last_seen)}</td><td class=n>{f.requests:,}</td>"
            f"<td class=n>{f.bytes:,}</td><td class=n>{f.subjects:,}</td>"
            + (f"<td class=n>{f.watchlist_hits:,}</td>" if guarded else "")
            + f"<td>{'approved' if f.approved else 'NOT approved: ' + esc(f.rule)}</td></tr>"
            for f in group)
        change = "<th>change</th>" if diff else ""
        hits = "<th>watchlist hits</th>" if guarded else ""
        sections.append(f"<h2>{esc(name)}</h2>{facts}<table><thead><tr>{change}<th>category</th><th>field path</th>"
                        f"<th>endpoint</th><th>first seen</th><th>last seen</th><th>requests</th><th>bytes</th>"
                        f"<th>data subjects</th>{hits}<th>policy</th></tr></thead><tbody>{rows}</tbody></table>")
    body = "".join(sections) or ("<p>No flow is new or gone in this period.</p>" if diff else
                                 "<p>No traffic in this period.</p>")
    heading = "Data-flow changes" if diff else "Data-flow inventory"
    counts = (f"{sum(f.change == 'new' for f in flows)} new &middot; {sum(f.change == 'gone' for f in flows)} gone"
              if diff else f"{len(flows)} flows")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sentinel {heading.lower()}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} h1{{margin-bottom:0}}
table{{border-collapse:collapse;width:100%;margin-bottom:1.5em;font-size:90%}}
th,td{{border:1px solid #ccc;padding:4px 8px;text-align:left}} th{{background:#f0f0f0}}
td.n{{text-align:right}} tr.bad td{{background:#fde8e8}} .meta{{color:#555;margin:.2em 0}}
</style></head><body>
<h1>{heading}</h1>
<p class=meta>Generated {iso_minute(generated)} UTC by Sentinel &middot; {esc(title(since, diff))} &middot;
{len(by_sub)} destinations &middot; {counts} &middot; {unapproved} not approved by policy &middot;
registry digest {esc(settings.digest[:12])}</p>
<p class=meta>Values are never stored: data subjects are counted from keyed hashes.</p>
{body}
</body></html>
"""
