"""Re-ingesting files (`sentinel ingest --force`) without counting them twice.

The per-minute rollups are filled by materialized views on insert, and an insert cannot
take back what an earlier one added. So the stored rows of a re-ingested file go first
(events by origin, their findings by event id), and once the file is stored again the
rollups over the minutes it covers, before and after, are computed afresh from what the
tables then hold, with the views' own SELECT.
"""

from __future__ import annotations

import math
from typing import Iterable

from sentinel.store.schema import FINDINGS_1M, FINDINGS_1M_MV, TRAFFIC_1M, TRAFFIC_1M_MV, Table, View


def stored_span(store, origins: list[str]) -> tuple[float, float] | None:
    """The first and last event time stored for these origins, if any."""
    if not origins:
        return None
    count, first, last = store.query(
        "SELECT count(), toFloat64(min(ts)), toFloat64(max(ts)) FROM {db}.events WHERE origin IN %(origins)s",
        {"origins": origins}).result_rows[0]
    return (first, last) if count else None


def forget_origins(store, origins: list[str]) -> None:
    """Delete the events of these origins, and their findings."""
    if not origins:
        return
    of_origins = f"SELECT event_id FROM {store.table('events')} WHERE origin IN %(origins)s"
    # Findings first: they are found through their events.
    _delete(store, "findings", f"event_id IN ({of_origins})", {"origins": origins})
    _delete(store, "events", "origin IN %(origins)s", {"origins": origins})


ROLLUPS: tuple[tuple[View, Table], ...] = ((TRAFFIC_1M_MV, TRAFFIC_1M), (FINDINGS_1M_MV, FINDINGS_1M))


def rebuild_rollups(store, start: float, end: float, rollups: tuple[tuple[View, Table], ...] = ROLLUPS) -> None:
    """Recompute the per-minute rollups of the minutes from ``start`` to ``end`` (epoch s)."""
    first = math.floor(start / 60) * 60
    after = math.floor(end / 60) * 60 + 60
    for view, target in rollups:
        _rebuild(store, view, target, first, after)


def rebuild_findings_minutes(store, minutes: Iterable[float], gap: float = 3600) -> None:
    """Recompute the findings rollup over these minutes (epoch s): minutes less than ``gap``
    apart in one pass, so a subject seen over months does not rebuild the months between."""
    runs: list[list[float]] = []
    for minute in sorted(minutes):
        if runs and minute - runs[-1][1] < gap:
            runs[-1][1] = minute
        else:
            runs.append([minute, minute])
    for first, last in runs:
        rebuild_rollups(store, first, last, ((FINDINGS_1M_MV, FINDINGS_1M),))


def purge(store, table: str, where: str, parameters: dict) -> None:
    """Delete rows for good: the parts that hold them are rewritten before this returns (a
    lightweight DELETE only hides rows until a merge)."""
    store.client.command(f"ALTER TABLE {_storage(store, table)} DELETE WHERE {where} SETTINGS mutations_sync = 2",
                         parameters=parameters)


def _delete(store, table: str, where: str, parameters: dict) -> None:
    store.client.command(f"DELETE FROM {_storage(store, table)} WHERE {where}", parameters=parameters)


def _storage(store, table: str) -> str:
    """Where a table's rows are: on a cluster, each shard's storage table."""
    ctx = store.ctx
    return f"{ctx.qualified(ctx.storage_name(table))}{ctx.on_cluster}"


def _rebuild(store, view: View, target: Table, first: int, after: int) -> None:
    minutes = {"first": first, "after": after}
    _delete(store, target.name, "minute >= toDateTime(%(first)s) AND minute < toDateTime(%(after)s)", minutes)
    # FINAL: a row stored twice (a replay) counts once, as it does once merged.
    rows = (f"(SELECT * FROM {store.table(view.source)} FINAL "
            "WHERE ts >= toDateTime(%(first)s) AND ts < toDateTime(%(after)s))")
    columns = ", ".join(f"`{name}`" for name, _ in target.columns)
    store.client.command(f"INSERT INTO {store.table(view.target)} ({columns}) {view.select.format(source=rows)}",
                         parameters=minutes)
