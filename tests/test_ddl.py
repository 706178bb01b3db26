"""DDL for a single node and for a cluster (ON CLUSTER, Replicated shards, Distributed)."""

from __future__ import annotations

import re

from sentinel.store import ddl
from sentinel.store.ddl import DdlContext
from sentinel.store.migrations import MIGRATIONS
from sentinel.store.schema import EVENTS, FINDINGS_1M_MV, TABLES, TRAFFIC_1M, TRAFFIC_1M_MV

RETENTION = {"events_days": 90, "rollups_days": 800, "tls_days": 0}


def test_single_node_ddl_has_no_cluster_parts():
    statements = MIGRATIONS[0].statements(DdlContext("sentinel", "", RETENTION))
    text = "\n".join(statements)
    assert "ON CLUSTER" not in text and "Replicated" not in text and "Distributed" not in text
    assert len(statements) == len(TABLES) + 2  # one CREATE per table plus the two views


def test_cluster_ddl_creates_replicated_shards_and_distributed_tables():
    ctx = DdlContext("sentinel", "prod", RETENTION)
    local, distributed = ddl.create_table(EVENTS, ctx)
    assert local.startswith("CREATE TABLE IF NOT EXISTS `sentinel`.`events_local` ON CLUSTER 'prod'")
    assert ("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/sentinel/events_local', "
            "'{replica}', ingested_at)") in local
    assert "TTL toDateTime(ingested_at) + toIntervalDay(90)" in local
    assert distributed == ("CREATE TABLE IF NOT EXISTS `sentinel`.`events` ON CLUSTER 'prod' AS "
                           "`sentinel`.`events_local`\nENGINE = Distributed('prod', 'sentinel', 'events_local', "
                           "event_id)")


def test_cluster_engine_without_arguments_gets_only_path_and_replica():
    local, _ = ddl.create_table(TRAFFIC_1M, DdlContext("s", "c1", RETENTION))
    assert "ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/s/traffic_1m_local', '{replica}')" in local


def test_cluster_views_read_and_write_shard_tables():
    ctx = DdlContext("sentinel", "prod")
    (view,) = ddl.create_view(TRAFFIC_1M_MV, ctx)
    assert "ON CLUSTER 'prod' TO `sentinel`.`traffic_1m_local`" in view
    assert "FROM `sentinel`.`events_local`" in view
    (view,) = ddl.create_view(FINDINGS_1M_MV, ctx)
    assert "FROM `sentinel`.`findings_local`" in view


def test_every_cluster_statement_is_on_cluster():
    statements = MIGRATIONS[0].statements(DdlContext("sentinel", "prod", RETENTION))
    assert all(" ON CLUSTER 'prod'" in s for s in statements)
    creates = [re.search(r"`sentinel`\.`(\w+)`", s).group(1) for s in statements if "MATERIALIZED" not in s]
    for table in TABLES:
        assert f"{table.name}_local" in creates and table.name in creates


def test_zero_retention_has_no_ttl_and_modify_removes_it():
    (statement,) = ddl.create_table(EVENTS, DdlContext("s", "", {"events_days": 0}))
    assert "TTL" not in statement
    assert ddl.modify_ttl(EVENTS, DdlContext("s", "", {"events_days": 0})) == "ALTER TABLE `s`.`events` REMOVE TTL"
    assert ddl.modify_ttl(EVENTS, DdlContext("s", "c", {"events_days": 5})) == (
        "ALTER TABLE `s`.`events_local` ON CLUSTER 'c' MODIFY TTL toDateTime(ingested_at) + toIntervalDay(5) "
        "SETTINGS materialize_ttl_after_modify = 0")


def test_migration_checksum_ignores_retention():
    a = MIGRATIONS[0].checksum(DdlContext("sentinel", "", {"events_days": 1}))
    b = MIGRATIONS[0].checksum(DdlContext("sentinel", "", {"events_days": 2}))
    assert a == b


def test_the_value_hash_index_goes_on_the_shard_tables_of_a_cluster():
    (migration,) = [m for m in MIGRATIONS if m.version == 4]
    add, build = migration.statements(DdlContext("sentinel", "prod", RETENTION))
    assert add.startswith("ALTER TABLE `sentinel`.`findings_local` ON CLUSTER 'prod' ADD INDEX IF NOT EXISTS")
    assert build.startswith("ALTER TABLE `sentinel`.`findings_local` ON CLUSTER 'prod' MATERIALIZE INDEX")
