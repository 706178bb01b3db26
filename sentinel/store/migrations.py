"""Versioned, idempotent schema migrations recorded in `schema_migrations`.

Each migration is a list of statements that are safe to run again (IF NOT EXISTS,
ADD COLUMN IF NOT EXISTS), so a migration interrupted half-way is simply re-run.
Retention TTLs are reconciled with the config on every `migrate`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

from sentinel.store import ddl
from sentinel.store.ddl import DdlContext
from sentinel.store.schema import (ADDED_COLUMNS_V2, ADDED_COLUMNS_V3, ALL_TABLES, TABLES, TABLES_V2, VALUE_HASH_INDEX, VIEWS,
                                   Table)

MIGRATIONS_TABLE = Table(
    "schema_migrations",
    (
        ("version", "UInt32"),
        ("name", "String"),
        ("checksum", "String"),
        ("applied_at", "DateTime64(3, 'UTC')"),
    ),
    engine="ReplacingMergeTree",
    order_by="version",
    shard_key="0",
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: Callable[[DdlContext], list[str]]

    def checksum(self, ctx: DdlContext) -> str:
        # Retention is reconciled separately, so it must not change the checksum.
        neutral = DdlContext(ctx.database, ctx.cluster, None)
        return hashlib.sha256("\n;\n".join(self.statements(neutral)).encode()).hexdigest()[:16]


def _initial_schema(ctx: DdlContext) -> list[str]:
    statements: list[str] = []
    for table in TABLES:
        statements += ddl.create_table(table, ctx)
    for view in VIEWS:
        statements += ddl.create_view(view, ctx)
    return statements


def _add_columns(ctx: DdlContext, added: dict[str, tuple[tuple[str, str], ...]]) -> list[str]:
    statements: list[str] = []
    for table, columns in added.items():
        # On a cluster both the shard table and the Distributed table over it need the column.
        targets = [ctx.storage_name(table)] + ([table] if ctx.cluster else [])
        for target in targets:
            adds = ", ".join(f"ADD COLUMN IF NOT EXISTS `{name}` {ctype}" for name, ctype in columns)
            statements.append(f"ALTER TABLE {ctx.qualified(target)}{ctx.on_cluster} {adds}")
    return statements


def _alert_pipeline(ctx: DdlContext) -> list[str]:
    statements = _add_columns(ctx, ADDED_COLUMNS_V2)
    for table in TABLES_V2:
        statements += ddl.create_table(table, ctx)
    return statements


def _inspected(ctx: DdlContext) -> list[str]:
    return _add_columns(ctx, ADDED_COLUMNS_V3)


def _value_hash_index(ctx: DdlContext) -> list[str]:
    # On the table that holds the rows (a Distributed table has no index), then built for the
    # parts already stored: a mutation that runs in the background and is safe to repeat.
    table, name, column, kind, granularity = VALUE_HASH_INDEX
    target = f"{ctx.qualified(ctx.storage_name(table))}{ctx.on_cluster}"
    return [f"ALTER TABLE {target} ADD INDEX IF NOT EXISTS {name} {column} TYPE {kind} GRANULARITY {granularity}",
            f"ALTER TABLE {target} MATERIALIZE INDEX {name}"]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema: events, tls, findings, quarantine, alerts, outbox, audit, anomaly, rollups",
              _initial_schema),
    Migration(2, "alert pipeline: alert groups, silences, acknowledgements; alert and outbox columns",
              _alert_pipeline),
    Migration(3, "events.inspected: what the detectors saw of each request (body, url, none)", _inspected),
    Migration(4, "findings.value_hash bloom filter: data-subject lookups skip what holds none of the hashes",
              _value_hash_index),
)


@dataclass
class MigrationStatus:
    version: int
    name: str
    applied_at: float | None  # epoch seconds; None when pending


def _ensure_bookkeeping(client, ctx: DdlContext) -> None:
    client.command(ddl.create_database(ctx))
    for statement in ddl.create_table(MIGRATIONS_TABLE, ctx):
        client.command(statement)


def applied_versions(client, ctx: DdlContext) -> dict[int, float]:
    rows = client.query(
        f"SELECT version, toUnixTimestamp64Milli(max(applied_at)) FROM {ctx.qualified('schema_migrations')} "
        "GROUP BY version"
    ).result_rows
    return {int(version): ms / 1000 for version, ms in rows}


def status(client, ctx: DdlContext) -> list[MigrationStatus]:
    _ensure_bookkeeping(client, ctx)
    done = applied_versions(client, ctx)
    return [MigrationStatus(m.version, m.name, done.get(m.version)) for m in MIGRATIONS]


def migrate(client, ctx: DdlContext) -> list[int]:
    """Apply pending migrations in order; return the versions applied. Safe to run again."""
    _ensure_bookkeeping(client, ctx)
    done = applied_versions(client, ctx)
    applied = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        for statement in migration.statements(ctx):
            client.command(statement)
        client.command(
            f"INSERT INTO {ctx.qualified('schema_migrations')} (version, name, checksum, applied_at) "
            "VALUES (%(v)s, %(n)s, %(c)s, now64(3))",
            parameters={"v": migration.version, "n": migration.name, "c": migration.checksum(ctx)},
        )
        applied.append(migration.version)
    reconcile_retention(client, ctx)
    return applied


def reconcile_retention(client, ctx: DdlContext) -> list[str]:
    """Bring each table's TTL in line with the configured retention; return tables changed."""
    if ctx.retention is None:
        return []
    current = dict(
        client.query(
            "SELECT name, engine_full FROM system.tables WHERE database = %(db)s",
            parameters={"db": ctx.database},
        ).result_rows
    )
    changed = []
    for table in ALL_TABLES:
        if not table.retention:
            continue
        engine_full = current.get(ctx.storage_name(table.name), "")
        wanted = ddl.ttl_clause(table, ctx)
        has_ttl = " TTL " in engine_full
        if (wanted and f"TTL {wanted}" not in engine_full) or (not wanted and has_ttl):
            statement = ddl.modify_ttl(table, ctx)
            if statement:
                client.command(statement)
                changed.append(table.name)
    return changed
