"""The store against real embedded ClickHouse (chDB through clickhouse-connect)."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from prometheus_client import CollectorRegistry

from sentinel.metrics import Metrics
from sentinel.store import Store
from sentinel.store.ddl import DdlContext
from sentinel.store.migrations import MIGRATIONS, migrate
from sentinel.store.schema import TABLES, Table
from sentinel.store.spool import Spool
from sentinel.store.writer import Writer
from tests.conftest import run_on_fresh_store

import time

TS = float(int(time.time()) - 3600) + 0.125  # recent: older rows may fall to retention TTLs


def sample_value(ch_type: str, i: int = 0):
    base = ch_type.split(" CODEC")[0].split(" DEFAULT")[0]
    base = base.removeprefix("LowCardinality(").removesuffix(")") if base.startswith("LowCardinality(") else base
    if base.startswith("DateTime"):
        return TS + i
    if base.startswith("UInt") or base.startswith("Int"):
        return 7 + i
    if base.startswith("Float"):
        return 1.5 + i
    if base == "IPv6":
        return ["2001:db8::1", "192.0.2.7"][i % 2]
    if base.startswith("FixedString(64)"):
        return f"{i:064x}"
    if base.startswith("Array("):
        return ["a", f"b{i}"]
    if base.startswith("Map(") and "Float" in base:
        return {"bytes_out": 1.0 + i}
    if base.startswith("Map("):
        return {"k": f"v{i}"}
    return f"value-{i}"


def insertable(table: Table) -> list[str]:
    return [name for name, ctype in table.columns if "AggregateFunction" not in ctype and "DEFAULT" not in ctype]


def new_writer(store: Store, tmp_path, client=None, **kwargs) -> Writer:
    spool = Spool(tmp_path / "spool", kwargs.pop("spool_max_bytes", 1 << 30))
    return Writer(client or store.client, store.ctx, spool, metrics=kwargs.pop("metrics", None), **kwargs)


def count(store: Store, table: str, final: bool = False) -> int:
    return store.query(f"SELECT count() FROM {{db}}.{table}{' FINAL' if final else ''}").result_rows[0][0]


def test_migrations_run_twice_are_a_no_op(store):
    tables_before = store.query("SHOW TABLES FROM {db}").result_rows
    assert store.migrate() == []
    assert store.query("SHOW TABLES FROM {db}").result_rows == tables_before
    recorded = store.query("SELECT version FROM {db}.schema_migrations ORDER BY version").result_rows
    assert [v for (v,) in recorded] == [m.version for m in MIGRATIONS]
    assert all(item.applied_at for item in store.status())


def test_interrupted_migration_is_completed_on_rerun(store):
    # Simulate a crash after the DDL but before the migration was recorded.
    store.client.command(f"TRUNCATE TABLE {store.table('schema_migrations')}")
    assert store.migrate() == [m.version for m in MIGRATIONS]
    assert store.migrate() == []


@pytest.mark.parametrize("table", [t for t in TABLES if t.name not in ("findings_1m",)], ids=lambda t: t.name)
def test_every_table_takes_and_returns_rows_of_each_type(store, tmp_path, table):
    names = insertable(table)
    rows = [tuple(sample_value(table.column_type(n), i) for n in names) for i in range(2)]
    writer = new_writer(store, tmp_path)
    writer.add(table.name, tuple(names), rows)
    ack = writer.flush()
    assert ack.durable and not ack.spooled and ack.rows == {table.name: 2}
    got = store.query(f"SELECT {', '.join(f'`{n}`' for n in names)} FROM {{db}}.{table.name} "
                      f"ORDER BY {names[0]}").result_rows
    assert len(got) == 2
    for sent, back in zip(sorted(rows), sorted(got, key=lambda r: r)):
        for name, want, have in zip(names, sent, back):
            ctype = table.column_type(name)
            if ctype.startswith("DateTime"):
                assert abs(have.replace(tzinfo=dt.timezone.utc).timestamp() - want) < 1.0, name
            elif ctype.startswith("IPv6"):
                ip = have.ipv4_mapped or have
                assert str(ip) == want, name
            elif ctype.startswith("Float"):
                assert have == pytest.approx(want), name
            else:
                assert have == want, name


def test_rollups_are_filled_by_materialized_views(store, tmp_path):
    writer = new_writer(store, tmp_path)
    events = [(i, TS + i, "stripe", 100, 10, 200 if i % 2 else 500, "https") for i in range(10)]
    writer.add("events", ("event_id", "ts", "subprocessor", "bytes_out", "bytes_in", "status", "scheme"), events)
    findings = [(i, 0, TS + i, "stripe", "EMAIL", f"h{i % 3}") for i in range(10)]
    writer.add("findings", ("event_id", "finding_no", "ts", "subprocessor", "category", "value_hash"), findings)
    assert writer.flush().durable
    requests, bytes_out, errors = store.query(
        "SELECT sum(requests), sum(bytes_out), sum(errors) FROM {db}.traffic_1m WHERE subprocessor='stripe'"
    ).result_rows[0]
    assert (requests, bytes_out, errors) == (10, 1000, 5)
    total, subjects = store.query(
        "SELECT sum(findings), uniqMerge(subjects) FROM {db}.findings_1m WHERE subprocessor='stripe'"
    ).result_rows[0]
    assert (total, subjects) == (10, 3)


def test_replayed_events_collapse_to_one_row(store, tmp_path):
    writer = new_writer(store, tmp_path)
    rows = [(i, TS, "stripe") for i in range(5)]
    writer.add("events", ("event_id", "ts", "subprocessor"), rows)
    writer.flush()
    writer.add("events", ("event_id", "ts", "subprocessor"), rows)
    writer.flush()
    assert count(store, "events") == 10
    assert count(store, "events", final=True) == 5


class FlakyClient:
    """The real client, except inserts raise while `down` is set: an outage we control.

    A mock of the failure only; every successful insert goes to the real chDB.
    """

    def __init__(self, real):
        self.real = real
        self.down = False
        self.refuse_table = ""

    def insert_arrow(self, table, data, settings=None):
        if self.down or (self.refuse_table and self.refuse_table in table):
            raise ConnectionError("ClickHouse unreachable (simulated)")
        return self.real.insert_arrow(table, data, settings=settings)

    def command(self, *args, **kwargs):
        if self.down:
            raise ConnectionError("ClickHouse unreachable (simulated)")
        return self.real.command(*args, **kwargs)


def test_spool_survives_outage_and_replays_in_order_without_loss_or_duplicates(store, tmp_path):
    flaky = FlakyClient(store.client)
    metrics = Metrics(CollectorRegistry())
    writer = new_writer(store, tmp_path, client=flaky, batch_rows=100, metrics=metrics)
    names = ("event_id", "ts", "subprocessor", "offset")
    sent = 0

    def send(n):
        nonlocal sent
        rows = [(sent + i, TS + sent + i, "stripe", sent + i) for i in range(n)]
        sent += n
        return writer.add("events", names, rows, positions={"file": sent}) + [writer.flush()]

    assert all(a.durable and not a.spooled for a in send(50))
    flaky.down = True
    outage_acks = send(120) + send(30)
    with_rows = [a for a in outage_acks if a.rows]
    assert with_rows and all(a.durable and a.spooled for a in with_rows)  # spooled on disk counts as durable
    assert outage_acks[-1].positions == {"file": 200}
    assert len(writer.spool) >= 2
    assert metrics.registry.get_sample_value("sentinel_spool_batches") == len(writer.spool)
    assert count(store, "events") == 50

    # A new writer (as after a restart) finds the spool and replays it once ClickHouse is back.
    flaky.down = False
    restarted = new_writer(store, tmp_path, client=flaky, batch_rows=100, metrics=metrics)
    send_rows = [(200 + i, TS + 200 + i, "stripe", 200 + i) for i in range(10)]
    restarted.add("events", names, send_rows)
    ack = restarted.flush()
    assert ack.durable and not ack.spooled
    assert len(restarted.spool) == 0
    ids = [r[0] for r in store.query("SELECT event_id FROM {db}.events ORDER BY ingested_at, event_id").result_rows]
    assert sorted(ids) == list(range(210))  # nothing lost
    assert len(ids) == len(set(ids))  # nothing twice
    # Replay kept the order of the outage: spooled batches were inserted before the new one.
    assert ids.index(209) > ids.index(199)


def test_spool_overflow_is_not_acknowledged_and_counted(store, tmp_path):
    flaky = FlakyClient(store.client)
    flaky.down = True
    metrics = Metrics(CollectorRegistry())
    writer = new_writer(store, tmp_path, client=flaky, spool_max_bytes=3000, metrics=metrics)
    names = ("event_id", "ts", "subprocessor", "path")
    acks = []
    for batch in range(5):
        writer.add("events", names, [(batch * 100 + i, TS, "stripe", "/v1/" + "x" * 40) for i in range(20)])
        acks.append(writer.flush())
    assert acks[0].durable
    assert not acks[-1].durable  # the caller must not advance its checkpoint
    overflowed = metrics.registry.get_sample_value("sentinel_spool_overflow_total", {"table": "events"})
    assert overflowed == 20 * sum(1 for a in acks if not a.durable)
    assert writer.spool.bytes <= 3000


def test_poison_batch_is_moved_aside_while_store_is_healthy(store, tmp_path):
    flaky = FlakyClient(store.client)
    metrics = Metrics(CollectorRegistry())
    writer = new_writer(store, tmp_path, client=flaky, metrics=metrics)
    flaky.refuse_table = "quarantine"
    writer.add("quarantine", ("ts", "source", "reason"), [(TS, "squid", "bad")])
    assert writer.flush().spooled
    for _ in range(6):
        writer.replay()
    assert len(writer.spool) == 0
    assert list((tmp_path / "spool" / "rejected").glob("*.quarantine.arrow"))
    assert metrics.registry.get_sample_value("sentinel_spool_rejected_batches_total", {"table": "quarantine"}) == 1


def test_due_flushes_by_age(store, tmp_path):
    now = [100.0]
    writer = new_writer(store, tmp_path, batch_rows=1000, batch_seconds=2.0, clock=lambda: now[0])
    writer.add("events", ("event_id", "ts"), [(1, TS)], positions={"f": 10})
    assert writer.due() == []
    now[0] += 2.5
    acks = writer.due()
    assert len(acks) == 1 and acks[0].positions == {"f": 10}
    assert count(store, "events") == 1


def test_positions_only_batch_is_acknowledged(store, tmp_path):
    writer = new_writer(store, tmp_path)
    writer.mark({"f": 99})
    ack = writer.flush()
    assert ack.durable and ack.positions == {"f": 99} and ack.rows == {}


def test_bad_ip_does_not_poison_a_batch(store, tmp_path):
    writer = new_writer(store, tmp_path)
    writer.add("events", ("event_id", "ts", "dst_ip"), [(1, TS, "not-an-ip"), (2, TS, "198.51.100.4")])
    assert not writer.flush().spooled
    got = dict(store.query("SELECT event_id, toString(dst_ip) FROM {db}.events").result_rows)
    assert got == {1: "::", 2: "::ffff:198.51.100.4"}


def test_retention_change_is_applied_on_migrate(settings_factory):
    from sentinel.store import Store as S

    store = S.open(settings_factory("[retention]\nevents_days = 30\n"))
    try:
        store.migrate()
        engine = store.query("SELECT engine_full FROM system.tables WHERE database='sentinel' AND name='events'")
        assert "toIntervalDay(30)" in engine.result_rows[0][0]
        ctx = DdlContext(store.ctx.database, "", {**store.ctx.retention, "events_days": 7})
        migrate(store.client, ctx)
        engine = store.query("SELECT engine_full FROM system.tables WHERE database='sentinel' AND name='events'")
        assert "toIntervalDay(7)" in engine.result_rows[0][0]
        ctx = DdlContext(store.ctx.database, "", {**store.ctx.retention, "events_days": 0})
        migrate(store.client, ctx)
        engine = store.query("SELECT engine_full FROM system.tables WHERE database='sentinel' AND name='events'")
        assert " TTL " not in engine.result_rows[0][0]
    finally:
        store.close()


@pytest.mark.server
@pytest.mark.skipif(not os.environ.get("SENTINEL_TEST_CLICKHOUSE_URL"),
                    reason="needs a ClickHouse server: set SENTINEL_TEST_CLICKHOUSE_URL=http://host:8123")
def test_server_store_migrates_and_takes_rows(tmp_path, monkeypatch):
    from sentinel.config import load_settings

    url = os.environ["SENTINEL_TEST_CLICKHOUSE_URL"]
    (tmp_path / "s.toml").write_text(
        f'data_dir = "{tmp_path}"\n[storage]\ndsn = "{url}"\ndatabase = "sentinel_test_{os.getpid()}"\n')
    store = Store.open(load_settings(tmp_path / "s.toml"))
    try:
        store.migrate()
        assert store.migrate() == []
        writer = new_writer(store, tmp_path)
        writer.add("events", ("event_id", "ts", "subprocessor"), [(1, TS, "stripe")])
        assert not writer.flush().spooled
        assert count(store, "events") == 1
    finally:
        store.client.command(f"DROP DATABASE IF EXISTS {store.ctx.database}")
        store.close()


def test_values_outside_a_column_type_keep_their_row(store, tmp_path):
    writer = new_writer(store, tmp_path)
    writer.add("events", ("event_id", "ts", "status", "bytes_out"), [(1, TS, -200, 10), (2, TS, 200, 2**70)])
    assert not writer.flush().spooled
    got = sorted(store.query("SELECT event_id, status, bytes_out FROM {db}.events").result_rows)
    assert got == [(1, 0, 10), (2, 200, 0)]


RELEASE_PROGRAM = """
names = ("event_id", "ts", "src_ip", "dst_host", "subprocessor", "path", "query", "bytes_out")
for batch in range(20):  # a daemon's minute of one-second batches
    rows = [(batch * 5000 + i, time.time(), f"10.0.{i % 250}.{i % 200}", "api.segment.io", "segment",
             f"/v1/track/{i}", "a=*", i) for i in range(5000)]
    writer.add("events", names, rows)
    writer.flush()
before = status_mib("RssAnon")
released = store.release_memory()
print(before, status_mib("RssAnon"), released)
"""


def test_embedded_store_hands_freed_memory_back(tmp_path):
    # A fresh interpreter: the allocator's retained pages are this workload's alone.
    before, after, released = run_on_fresh_store(RELEASE_PROGRAM, tmp_path).split()
    assert released == "True"
    assert int(before) - int(after) >= 10, (before, after)


def test_a_server_store_leaves_memory_to_the_server(settings_factory):
    settings = settings_factory('[storage]\ndsn = "http://127.0.0.1:1/sentinel"\n')
    assert Store(client=None, ctx=None, settings=settings).release_memory() is False


def test_embedded_engine_is_sized_for_a_shared_process(store):
    import xml.etree.ElementTree as ET

    from sentinel.store.client import EMBEDDED_ENGINE_CONFIG

    config = ET.parse(EMBEDDED_ENGINE_CONFIG).getroot()
    server = dict(store.query("SELECT name, value FROM system.server_settings").result_rows)
    merge_tree = dict(store.query("SELECT name, value FROM system.merge_tree_settings").result_rows)
    for element in config:
        if element.tag == "merge_tree":
            for setting in element:
                assert merge_tree[setting.tag] == setting.text, setting.tag
        else:
            assert server[element.tag] == element.text, element.tag


def test_tuples_convert_the_same_through_arrow_structs_as_column_by_column():
    from sentinel.store.writer import _to_arrow_by_column, to_arrow

    names = ("event_id", "ts", "source", "src_ip", "dst_host", "dst_ip", "dst_port", "path", "bytes_out", "duration_ms")
    rows = [(1, TS, "squid", "10.0.0.1", "api.stripe.com", "[2001:db8::1]", 443, "/v1/charges", 10, 1.5),
            (2, TS + 1, "squid", None, None, "fe80::1%eth0", 80, "", 0, 0.25),
            (3, TS + 2, "envoy", "not an ip", "api.stripe.com", "", 0, None, 2**40, 3.0)]
    fast, slow = to_arrow("events", names, rows), _to_arrow_by_column("events", names, rows)
    assert fast.equals(slow)
    assert fast.column("dst_ip").to_pylist() == ["2001:db8::1", "fe80::1", "::"]
    assert fast.column("src_ip").to_pylist() == ["10.0.0.1", "::", "::"]


def test_migrate_moves_the_alerts_retention_from_their_traffic_to_their_writing(store):
    # Stores made before: alerts expired by first_seen, so a backfill's alerts went at once.
    table = store.table("alerts")
    store.client.command(f"ALTER TABLE {table} MODIFY TTL toDateTime(first_seen) + toIntervalDay(730)")
    migrate(store.client, store.ctx)
    engine = store.query("SELECT engine_full FROM system.tables WHERE database='sentinel' AND name='alerts'")
    assert "TTL toDateTime(ts) + toIntervalDay(730)" in engine.result_rows[0][0]


def test_a_new_data_directory_is_private(settings_factory, tmp_path):
    # Outside systemd (no StateDirectoryMode=0700) it was 0755: any local user could read it.
    settings = settings_factory()
    assert not settings.data_dir.exists()
    store = Store.open(settings)
    try:
        assert settings.data_dir.stat().st_mode & 0o777 == 0o700
    finally:
        store.close()


def _granules_read(store: Store, where: str) -> tuple[int, int]:
    """(granules selected, granules in the parts) of a findings query, from EXPLAIN indexes=1."""
    plan = "\n".join(row[0] for row in store.query(
        f"EXPLAIN indexes = 1 SELECT count() FROM {{db}}.findings WHERE {where}").result_rows)
    steps = re.findall(r"Granules: (\d+)/(\d+)", plan)
    return (int(steps[-1][0]), int(steps[-1][1])) if steps else (-1, -1)


def test_a_value_hash_lookup_skips_granules_that_hold_none_of_the_hashes(store):
    # 20 granules of findings, each of other data subjects; a store from before migration 4
    # (index dropped, its record gone) gets the index built for the parts it already holds.
    table = store.table("findings")
    store.client.command(f"ALTER TABLE {table} DROP INDEX IF EXISTS value_hash_bloom")
    store.client.command(f"ALTER TABLE {table} DELETE WHERE 1 SETTINGS mutations_sync = 1")
    store.client.command(f"ALTER TABLE {store.table('schema_migrations')} DELETE WHERE version = 4 "
                         "SETTINGS mutations_sync = 1")
    store.client.command(
        f"INSERT INTO {table} (event_id, ts, subprocessor, category, value_hash) SELECT number, now64(3), 'segment', "
        "'EMAIL', hex(SHA256(toString(number))) FROM numbers(20 * 8192) SETTINGS max_insert_block_size = 1000000")
    wanted = "hex(SHA256('12345'))"
    assert _granules_read(store, f"value_hash = {wanted}") == (20, 20)
    assert store.migrate() == [4]
    # The index is built for stored parts by a background mutation.
    deadline = time.monotonic() + 60
    while _granules_read(store, f"value_hash = {wanted}")[0] > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    selected, total = _granules_read(store, f"value_hash IN ({wanted}, hex(SHA256('170000')))")
    assert total == 20 and selected <= 2
    assert store.query(f"SELECT count() FROM {{db}}.findings WHERE value_hash = {wanted}").result_rows == [(1,)]
