"""The hash-chained audit log: appends, verification, and tampering in the store named."""

from __future__ import annotations

import json

import pytest

from sentinel.audit import GENESIS, AuditLog, entry_hash
from tests.alert.conftest import FakeClock


@pytest.fixture
def audit(store):
    clock = FakeClock()
    log = AuditLog(store, clock=lambda: clock.advance(0.000123))
    for i in range(1, 6):
        log.append(f"user{i}", "alert.silenced", f"si-{i}", {"reason": f"reason {i}", "matchers": ["a=b"]})
    return log


def mutate(store, sql: str) -> None:
    store.client.command(sql.replace("{db}", f"`{store.ctx.database}`"), settings={"mutations_sync": 2})


def test_chain_links_every_entry(audit):
    entries = audit.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    for before, after in zip(entries, entries[1:]):
        assert after.prev_hash == before.hash
    e = entries[2]
    assert e.hash == entry_hash(e.seq, e.ts_us, e.actor, e.action, e.subject, e.details, e.prev_hash)
    assert json.loads(e.details) == {"matchers": ["a=b"], "reason": "reason 3"}
    assert e.details == '{"matchers":["a=b"],"reason":"reason 3"}'  # canonical: sorted, compact
    assert str(audit.verify()) == "audit log intact: 5 entries"
    assert [e.seq for e in audit.entries(limit=2)] == [4, 5]


def test_an_entry_appended_while_the_chain_is_read_is_not_a_break(audit):
    # In the daemon, `sentinel audit verify` runs while the alert thread appends: an entry
    # that lands mid-verification must not read as the chain's tail removed.
    read = audit.iter_entries

    def reading_while_appending(*args, **kwargs):
        for n, entry in enumerate(read(*args, **kwargs)):
            if n == 1:
                audit.append("sentinel", "alert.sent", "nt-1", {"channel": "ops"})
            yield entry

    audit.iter_entries = reading_while_appending
    assert str(audit.verify()) == "audit log intact: 5 entries"
    del audit.iter_entries
    assert str(audit.verify()) == "audit log intact: 6 entries"


def test_reopened_log_continues_the_chain(audit, store):
    again = AuditLog(store)
    entry = again.append("bob", "silence.approved", "si-1")
    assert entry.seq == 6 and entry.prev_hash == audit.entries()[4].hash
    assert again.verify().ok


def test_altered_details_are_named(audit, store):
    mutate(store, "ALTER TABLE {db}.audit_log UPDATE details = '{\"reason\":\"nothing to see\"}' WHERE seq = 3")
    result = audit.verify()
    assert not result.ok and result.seq == 3 and "altered" in result.problem
    assert str(result).startswith("audit log broken at entry 3:")


def test_altered_entry_with_recomputed_hash_is_named(audit, store):
    e = audit.entries()[1]
    forged = entry_hash(e.seq, e.ts_us, "mallory", e.action, e.subject, e.details, e.prev_hash)
    mutate(store, f"ALTER TABLE {{db}}.audit_log UPDATE actor = 'mallory', hash = '{forged}' WHERE seq = 2")
    result = audit.verify()
    assert not result.ok and result.seq == 2 and "chained to a different entry" in result.problem


def test_removed_entry_is_named(audit, store):
    mutate(store, "ALTER TABLE {db}.audit_log DELETE WHERE seq = 4")
    result = audit.verify()
    assert not result.ok and result.seq == 4 and "removed" in result.problem


def test_removed_newest_entries_are_named(audit, store):
    mutate(store, "ALTER TABLE {db}.audit_log DELETE WHERE seq >= 4")
    fresh = AuditLog(store)  # another process: knows the head only from the anchor file
    result = fresh.verify()
    assert not result.ok and result.seq == 4 and "4-5 removed" in result.problem


def test_without_its_head_file_a_removed_tail_is_said_to_be_unseen(audit, store):
    mutate(store, "ALTER TABLE {db}.audit_log DELETE WHERE seq >= 4")
    (store.settings.data_dir / "audit.head").unlink()
    result = AuditLog(store).verify()
    assert result.ok and result.checked == 3  # nothing left can show the tail is gone ...
    assert "audit.head is missing" in str(result) and "would not show" in str(result)  # ... and it says so


def test_config_load_recorded_once_per_digest(store, settings_factory):
    log = AuditLog(store)
    first = settings_factory("")
    assert log.record_config(first).details_dict()["digest"] == first.digest
    assert log.record_config(first) is None
    changed = settings_factory("[alerts]\ngroup_wait_seconds = 1\n")
    assert log.record_config(changed).details_dict()["digest"] == changed.digest
