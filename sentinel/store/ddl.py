"""Render CREATE/ALTER statements for one node or for a cluster.

On a cluster, each logical table `t` becomes a ReplicatedMergeTree shard table
`t_local` on every node plus a Distributed table `t` over them, all created
`ON CLUSTER`. Writers and readers use `t` either way; materialized views fire on
the local shard tables so each shard rolls up its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentinel.store.schema import Table, View

LOCAL_SUFFIX = "_local"


@dataclass(frozen=True)
class DdlContext:
    database: str = "sentinel"
    cluster: str = ""
    retention: dict[str, int] | None = None  # RetentionConfig as a dict of days

    @property
    def on_cluster(self) -> str:
        return f" ON CLUSTER '{self.cluster}'" if self.cluster else ""

    def storage_name(self, table: str) -> str:
        """The table that holds the rows: the shard table on a cluster."""
        return f"{table}{LOCAL_SUFFIX}" if self.cluster else table

    def qualified(self, table: str) -> str:
        return f"`{self.database}`.`{table}`"


def ttl_clause(table: Table, ctx: DdlContext) -> str:
    if not table.ttl_column or not table.retention or not ctx.retention:
        return ""
    days = ctx.retention.get(table.retention, 0)
    if not days:
        return ""
    column = table.ttl_column
    # TTL needs Date/DateTime; DateTime64 columns are converted.
    expr = f"toDateTime({column})" if table.column_type(column).startswith("DateTime64") else column
    return f"{expr} + toIntervalDay({days})"


def _engine(table: Table, ctx: DdlContext) -> str:
    if not ctx.cluster:
        return table.engine if "(" in table.engine else f"{table.engine}()"
    name, _, args = table.engine.partition("(")
    args = args.rstrip(")")
    path = f"'/clickhouse/tables/{{shard}}/{ctx.database}/{ctx.storage_name(table.name)}'"
    replicated_args = ", ".join(a for a in (path, "'{replica}'", args) if a)
    return f"Replicated{name}({replicated_args})"


def create_table(table: Table, ctx: DdlContext) -> list[str]:
    columns = ",\n    ".join(f"`{name}` {ctype}" for name, ctype in table.columns)
    storage = ctx.storage_name(table.name)
    parts = [
        f"CREATE TABLE IF NOT EXISTS {ctx.qualified(storage)}{ctx.on_cluster}\n(\n    {columns}\n)",
        f"ENGINE = {_engine(table, ctx)}",
    ]
    if table.partition_by:
        parts.append(f"PARTITION BY {table.partition_by}")
    parts.append(f"ORDER BY {table.order_by}")
    ttl = ttl_clause(table, ctx)
    if ttl:
        parts.append(f"TTL {ttl}")
    settings = list(table.settings)
    if ttl and table.partition_by:
        settings.append("ttl_only_drop_parts = 1")  # drop whole expired partitions instead of rewriting
    if settings:
        parts.append("SETTINGS " + ", ".join(settings))
    statements = ["\n".join(parts)]
    if ctx.cluster:
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {ctx.qualified(table.name)}{ctx.on_cluster} AS {ctx.qualified(storage)}\n"
            f"ENGINE = Distributed('{ctx.cluster}', '{ctx.database}', '{storage}', {table.shard_key})"
        )
    return statements


def create_view(view: View, ctx: DdlContext) -> list[str]:
    select = view.select.format(source=ctx.qualified(ctx.storage_name(view.source)))
    return [
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {ctx.qualified(view.name)}{ctx.on_cluster} "
        f"TO {ctx.qualified(ctx.storage_name(view.target))}\nAS {select}"
    ]


def create_database(ctx: DdlContext) -> str:
    return f"CREATE DATABASE IF NOT EXISTS `{ctx.database}`{ctx.on_cluster}"


def modify_ttl(table: Table, ctx: DdlContext) -> str | None:
    ttl = ttl_clause(table, ctx)
    target = ctx.qualified(ctx.storage_name(table.name))
    if ttl:
        # Existing parts keep their old TTL until merged: a retention change must not
        # rewrite the whole table at migrate time.
        return f"ALTER TABLE {target}{ctx.on_cluster} MODIFY TTL {ttl} SETTINGS materialize_ttl_after_modify = 0"
    if table.retention:
        return f"ALTER TABLE {target}{ctx.on_cluster} REMOVE TTL"
    return None
