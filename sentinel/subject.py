"""Data-subject lookup: which sub-processors received a person's identifiers, and when.

For an access request (GDPR art. 15: the recipients of someone's data) or the scope of a
breach. The store holds no values, only HMACs under the site key, so the identifiers are
normalised and keyed here the way the detectors key what they find (an e-mail lower-cased,
a phone in E.164, a card's digits), together with the md5, sha1 and sha256 digests ad
pixels send, and only those hashes reach ClickHouse or the daemon. Output names an
identifier by its line and a masked preview, never by its value.

Erasure (GDPR art. 17) removes the findings under those hashes: a keyed hash of a person's
e-mail is still personal data (pseudonymised), and Sentinel should not keep what it was
asked to forget.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Iterable

from detectors.pii.finding import Category
from sentinel.alert.fingerprint import DRILL_DOMAIN
from sentinel.config import Settings
from sentinel.inventory import iso_minute, judge_flow, parse_since, utc_param, window_start
from sentinel.policy import PolicyEngine
from sentinel.store import Store

# A value the watchlist cannot tell the kind of (a name, an IBAN, a national id) is keyed as
# each of these would normalise it: whichever the detectors reported it as, one matches.
_UNTYPED = ("PERSON", "STREET_ADDRESS", "IP_ADDRESS", "IBAN", "NATIONAL_ID", "HEALTH_ID", "PASSPORT", "DATE_OF_BIRTH",
            "CRYPTO_WALLET", "CANARY")
# Categories normalised to their digits: only for a value written as digits, or "2001:db8::1"
# would be looked up as the account number 200181.
_DIGITS_ONLY = ("US_SSN", "BANK_ACCOUNT")

# What an identifier of none of the recognised shapes is read as.
UNTYPED = "any"

LOOKUP_SQL = """
SELECT value_hash, subprocessor, registrable_domain, category, field_path, method, endpoint,
       toUnixTimestamp64Milli(min(ts)) / 1000 AS first_seen, toUnixTimestamp64Milli(max(ts)) / 1000 AS last_seen,
       uniqExact(event_id) AS requests, groupUniqArray(encoding) AS encodings, groupUniqArray(subtype) AS subtypes,
       groupUniqArray(source) AS sources
FROM {db}.findings
WHERE value_hash IN %(hashes)s AND ts >= %(since)s AND NOT endsWith(registrable_domain, %(drill)s)
GROUP BY value_hash, subprocessor, registrable_domain, category, field_path, method, endpoint
ORDER BY subprocessor, registrable_domain, category, field_path, endpoint
"""

# What an erasure removes: the findings under the hashes, and the minutes whose rollup
# (a count of distinct hashes per minute) must be recomputed without them.
ERASURE_SCOPE_SQL = """
SELECT count(), groupUniqArray(toUnixTimestamp(toStartOfMinute(ts)))
FROM {db}.findings FINAL
WHERE value_hash IN %(hashes)s
"""

# Alerts about a flow of personal data: raised for the very requests a flow counts when
# they name its sub-processor (or destination), category, field and endpoint, and their
# time spans meet.
ALERTS_SQL = """
SELECT alert_id, labels, toUnixTimestamp64Milli(first_seen) / 1000 AS first,
       toUnixTimestamp64Milli(greatest(first_seen, last_seen)) / 1000 AS last
FROM {db}.alerts FINAL
WHERE kind IN %(kinds)s AND labels['category'] IN %(categories)s
ORDER BY first
"""
FLOW_ALERT_KINDS = ("unapproved_category", "unapproved_field", "pii_to_unknown", "watchlist_hit")

# What --category may name: every category a finding can have.
CATEGORIES = tuple(str(category) for category in Category)

# Identifiers a lookup takes at once (each is up to 40 hashes), and hashes a query holds: 67
# bytes each in the query text, 2,000 stay well under ClickHouse's max_query_size (256 KiB).
MAX_IDENTIFIERS = 10_000
HASHES_PER_QUERY = 2_000


@dataclass
class Identifier:
    line: int  # where it was read: how the output names it
    category: str  # what it was read as
    masked: str
    hashes: set[str] = field(default_factory=set)  # keyed hashes of its normalised and digested forms


@dataclass
class Recipient:
    """One place an identifier went: a sub-processor (or unknown destination), a field, an endpoint."""

    line: int
    identifier: str  # masked
    subprocessor: str  # "" = unknown destination
    destination: str
    category: str
    encodings: list[str]
    field_path: str
    endpoint: str
    first_seen: float
    last_seen: float
    requests: int
    sources: list[str]
    approved: bool
    rule: str
    alerts: list[str] = field(default_factory=list)  # ids of the alerts its requests raised


def keyed_identifiers(values: Iterable[tuple[int, str]], key: bytes, phone_regions: Iterable[str],
                      category: str | None = None) -> list[Identifier]:
    """Each (line, value) as the hashes its findings would carry. ``category`` forces how the
    values are read; else e-mails, cards and phones are recognised and anything else is
    keyed as every other category would normalise it."""
    from detectors.pii import Watchlist, normalise
    from detectors.pii.fold import fold
    from detectors.pii.masking import mask
    from detectors.pii.watchlist import hex_digests, written_forms

    reader = Watchlist(key=key, phone_regions=tuple(phone_regions))
    hasher = reader.hasher
    out = []
    for line, value in values:
        value = fold(value)  # as the detectors read what was sent: fullwidth forms, other digits
        read_as, norm = reader.classify(value)
        if category is not None and category != read_as:
            read_as, norm = category, normalise(category, value)
        readings = [(read_as, norm)]
        masked = mask(read_as, norm)
        if category is None and read_as == "CANARY":
            digits = any(c.isdigit() for c in value) and all(c.isdigit() or c in " -." for c in value.strip())
            readings = [(c, normalise(c, value)) for c in _UNTYPED + (_DIGITS_ONLY if digits else ())]
            read_as = UNTYPED
        ident = Identifier(line, read_as, masked)
        for cat, normalised in readings:
            for form in written_forms(cat, normalised):
                if not form:
                    continue
                ident.hashes.add(hasher.hex(form))
                ident.hashes.update(hasher.hex(digest) for digest, _ in hex_digests(form.encode()))
        if ident.hashes:
            out.append(ident)
    return out


def lookup(store: Store, settings: Settings, hashes: list[str], since: str = "all",
           now: float | None = None) -> list[tuple]:
    """The findings under any of ``hashes`` since the window's start, grouped by where they
    went: (value_hash, subprocessor, domain, category, field path, method, endpoint, first,
    last, requests, encodings, subtypes, sources, approved, rule, alert ids)."""
    now = now if now is not None else dt.datetime.now(dt.timezone.utc).timestamp()
    start = window_start(parse_since(since), now)
    engine = PolicyEngine(settings.registry)
    wanted = sorted(set(hashes))
    rows = []
    # Rows are grouped by hash, so the answers of separate queries never overlap.
    for i in range(0, len(wanted), HASHES_PER_QUERY):
        params = {"hashes": wanted[i:i + HASHES_PER_QUERY], "since": utc_param(start), "drill": DRILL_DOMAIN}
        for (value_hash, sub, domain, category, field_path, method, endpoint, first, last, requests, encodings,
             subtypes, sources) in store.query(LOOKUP_SQL, params).result_rows:
            approved, rule = judge_flow(engine, sub, domain, category, field_path, method, endpoint, subtypes)
            rows.append((value_hash, sub, domain, category, field_path, method, endpoint, float(first), float(last),
                         int(requests), sorted(encodings), sorted(subtypes), sorted(sources), approved, rule))
    rows.sort(key=lambda row: row[1:7])
    alerts = flow_alerts(store, rows)
    return [row + (_alerts_of(alerts, row),) for row in rows]


def _alerts_of(alerts: dict[tuple, list[tuple[str, float, float]]], row: tuple) -> list[str]:
    """The alerts a refused flow's requests raised: those naming its identity whose span meets
    the flow's (one condition raised again after it resolved is another alert, about other
    requests). An approved flow raised none, whatever other rows hold."""
    _, sub, domain, category, field_path, method, endpoint, first, last = row[:9]
    if row[13]:
        return []
    named = alerts.get(_identity(sub, domain, category, field_path, _endpoint(method, endpoint)), [])
    return [alert_id for alert_id, start, end in named if start <= last and first <= end]


def _identity(sub: str, destination: str, category: str, field_path: str, endpoint: str) -> tuple:
    """How an alert names the flow its requests made (judge.to_alert): by sub-processor, or by
    destination when there is none."""
    return (sub, "" if sub else destination, category, field_path, endpoint)


def _endpoint(method: str, endpoint: str) -> str:
    return f"{method} {endpoint}".strip()


def flow_alerts(store: Store, rows: list[tuple]) -> dict[tuple, list[tuple[str, float, float]]]:
    """The alerts of FLOW_ALERT_KINDS on the categories of ``rows``: (id, first, last) by the
    flow identity they name."""
    categories = sorted({row[3] for row in rows if not row[13]})  # approved flows raise none
    if not categories:
        return {}
    out: dict[tuple, list[tuple[str, float, float]]] = {}
    params = {"kinds": list(FLOW_ALERT_KINDS), "categories": categories}
    for alert_id, labels, first, last in store.query(ALERTS_SQL, params).result_rows:
        key = _identity(labels.get("subprocessor", ""), labels.get("destination", ""), labels.get("category", ""),
                        labels.get("field_path", ""), labels.get("endpoint", ""))
        out.setdefault(key, []).append((alert_id, float(first), float(last)))
    return out


def recipients(identifiers: list[Identifier], rows: Iterable[tuple]) -> list[Recipient]:
    """The rows of a lookup, each under the identifier whose hash it carries."""
    by_hash: dict[str, list[Identifier]] = {}
    for ident in identifiers:
        for h in ident.hashes:
            by_hash.setdefault(h, []).append(ident)
    merged: dict[tuple, Recipient] = {}
    for (value_hash, sub, domain, category, field_path, method, endpoint, first, last, requests, encodings,
         _subtypes, sources, approved, rule, alerts) in rows:
        for ident in by_hash.get(value_hash, ()):
            # One identifier found as its value and as its sha256 at one place is one row.
            key = (ident.line, sub, domain, category, field_path, method, endpoint)
            seen = merged.get(key)
            if seen is None:
                merged[key] = Recipient(ident.line, ident.masked, sub, domain, category, list(encodings), field_path,
                                        _endpoint(method, endpoint), first, last, requests, list(sources),
                                        approved, rule, list(alerts))
                continue
            seen.alerts = sorted(set(seen.alerts) | set(alerts))
            seen.encodings = sorted(set(seen.encodings) | set(encodings))
            seen.sources = sorted(set(seen.sources) | set(sources))
            seen.first_seen, seen.last_seen = min(seen.first_seen, first), max(seen.last_seen, last)
            seen.requests += requests
    return sorted(merged.values(), key=lambda r: (r.line, r.subprocessor == "", r.subprocessor, r.destination,
                                                  r.category, r.field_path, r.endpoint))


def summary(identifiers: list[Identifier], found: list[Recipient], since: str) -> str:
    hit = {r.line for r in found}
    where = {r.subprocessor or f"unknown ({r.destination})" for r in found}
    period = "everything stored" if since.strip() == "all" else f"the last {since}"
    text = (f"{len(identifiers)} identifier(s) looked up over {period}: {len(hit)} found, sent to "
            f"{len(where)} recipient(s)")
    unapproved = sum(1 for r in found if not r.approved)
    if unapproved:
        text += f"; {unapproved} of {len(found)} flow(s) not approved by policy"
    return text


def erasure_note(found: list[Recipient], erasure: Erasure | None) -> str:
    """What --erase did, or would do without --yes."""
    if erasure is None:
        if not found:
            return ("nothing is stored of these identifiers in ClickHouse; run again with --yes to erase them from "
                    "the spool too, if an outage left findings waiting there")
        requests = sum(r.requests for r in found)
        return (f"--erase: the findings behind these {len(found)} flow(s) ({requests:,} request(s)), and any waiting "
                "in the spool, would be erased; run again with --yes to erase them")
    if not found and not erasure.spooled:
        text = "nothing is stored of these identifiers: nothing to erase"
    else:
        text = (f"erased {erasure.findings:,} finding(s) of {len({r.line for r in found})} identifier(s), and "
                f"recomputed the per-minute rollups of {erasure.minutes:,} minute(s) without them")
        if erasure.spooled:
            text += f"; cut {erasure.spooled:,} finding(s) from batches waiting in the spool"
        text += "; recorded in the audit log (subject.erase)"
    if erasure.spool_error:
        text += (f"\nthe spool could not be scrubbed ({erasure.spool_error}): findings waiting there would come back "
                 "when it is replayed; run the erasure as the daemon's user, or through the daemon")
    return text


# -- renderers ----------------------------------------------------------------------------
def to_json(identifiers: list[Identifier], found: list[Recipient]) -> str:
    lines = {r.line for r in found}
    return json.dumps({
        "identifiers": [{"line": i.line, "read_as": i.category, "masked": i.masked, "found": i.line in lines}
                        for i in identifiers],
        "recipients": [asdict(r) for r in found],
    }, indent=2, sort_keys=True)


def to_csv(found: list[Recipient]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(Recipient.__dataclass_fields__))
    writer.writeheader()
    for r in found:
        row = asdict(r)
        row["encodings"], row["sources"], row["alerts"] = " ".join(r.encodings), " ".join(r.sources), " ".join(r.alerts)
        writer.writerow(row)
    return out.getvalue()


def to_table(identifiers: list[Identifier], found: list[Recipient], title: str):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in ("line", "identifier", "sent to", "category", "as", "field path", "endpoint", "first seen (UTC)",
                   "last seen (UTC)", "requests", "approved", "alerts"):
        table.add_column(column, justify="right" if column in ("line", "requests") else "left")
    lines = {r.line for r in found}
    for r in found:
        name = r.subprocessor or f"unknown ({r.destination})"
        table.add_row(str(r.line), escape(r.identifier), escape(name), r.category, ", ".join(r.encodings),
                      escape(r.field_path), escape(r.endpoint or "-"), iso_minute(r.first_seen),
                      iso_minute(r.last_seen), f"{r.requests:,}",
                      "[green]yes[/]" if r.approved else f"[red]no[/] ({escape(r.rule)})", " ".join(r.alerts) or "-")
    for i in identifiers:
        if i.line not in lines:
            table.add_row(str(i.line), escape(i.masked), "[dim]not found[/]", i.category, "", "", "", "", "", "", "", "")
    return table


@dataclass
class Erasure:
    findings: int  # findings erased
    minutes: int  # minutes of the findings rollup recomputed without them
    spooled: int = 0  # findings cut from batches waiting in the spool (ClickHouse was away)
    spool_error: str = ""  # why the spool could not be scrubbed; "" when it was


def erase(store: Store, hashes: list[str]) -> Erasure:
    """Delete every finding under ``hashes``, for good, and recompute the per-minute rollups
    that counted them. Alerts keep their masked previews: those name no one.

    The spool goes first: a batch spooled during an outage and replayed after the
    erasure would bring the findings back. Under the spool's lock, a batch is either
    replayed before the scrub (and then purged below) or scrubbed before its replay."""
    from sentinel.store.rebuild import purge, rebuild_findings_minutes
    from sentinel.store.spool import scrub

    wanted = sorted(set(hashes))
    spool = store.spool_dir
    spooled, spool_error = 0, ""
    try:
        spooled, failed = scrub(spool, "findings", "value_hash", wanted)
        spool_error = "; ".join(failed)
    except OSError as exc:  # another user's spool (the daemon's): say so, erase the rest
        spool_error = f"{spool}: {exc.strerror or exc}"
    erased = 0
    minutes: set[float] = set()
    for i in range(0, len(wanted), HASHES_PER_QUERY):
        chunk = {"hashes": wanted[i:i + HASHES_PER_QUERY]}
        count, stored_minutes = store.query(ERASURE_SCOPE_SQL, chunk).result_rows[0]
        if count:
            purge(store, "findings", "value_hash IN %(hashes)s", chunk)
            erased += int(count)
            minutes.update(float(m) for m in stored_minutes)
    rebuild_findings_minutes(store, minutes)
    return Erasure(erased, len(minutes), spooled, spool_error)


def audited_erase(store: Store, audit, hashes: list[str], actor: str, identifiers: int) -> Erasure:
    """``erase``, recorded in the audit log: who erased, for how many identifiers, how many
    findings went (no hash: the entry must not keep what was erased)."""
    erasure = erase(store, hashes)
    details: dict = {"identifiers": identifiers, "findings": erasure.findings}
    if erasure.spooled:
        details["spooled"] = erasure.spooled
    if erasure.spool_error:
        details["spool_error"] = erasure.spool_error
    audit.append(actor, "subject.erase", "", details)
    return erasure


def audited_lookup(store: Store, settings: Settings, audit, hashes: list[str], since: str, actor: str,
                   identifiers: int) -> list[tuple]:
    """``lookup``, recorded in the audit log (who looked, for how many identifiers; no hash):
    a search for a person's data is itself an act on it."""
    rows = lookup(store, settings, hashes, since)
    audit.append(actor, "subject.lookup", "", {"identifiers": identifiers, "since": since, "matches": len(rows)})
    return rows
