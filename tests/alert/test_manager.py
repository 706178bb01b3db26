"""The manager end to end over the real embedded store, with a controllable clock and real
receivers: grouping and timing, resolution, silences and approvals, outages and restarts."""

from __future__ import annotations

import time

import pytest

from sentinel.alert.silences import SilenceError
from tests.alert.conftest import MASKED_EMAIL, RAW_EMAIL, alerts_config, leak, route


def hook(receiver, extra_routes: str = "", **alerts) -> str:
    return alerts_config(route("hook", receiver.url) + extra_routes, **alerts)


def sample(metrics, name, **labels):
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_group_wait_batches_siblings_grouped_by_subprocessor_and_kind(make_manager, receiver, clock):
    manager = make_manager(hook(receiver, group_wait_seconds=30))
    manager.raise_alert(leak("stripe", "EMAIL"))
    manager.raise_alert(leak("stripe", "PHONE", field_path="body.phone"))
    manager.raise_alert(leak("adyen", "EMAIL"))
    manager.tick()
    clock.advance(29)
    manager.tick()
    assert receiver.received == []
    clock.advance(1)
    manager.tick()
    documents = sorted(receiver.documents(), key=lambda d: d["group_labels"]["subprocessor"])
    assert [(d["group_labels"]["subprocessor"], d["counts"]["firing"]) for d in documents] == [("adyen", 1),
                                                                                               ("stripe", 2)]
    assert {a["category"] for a in documents[1]["alerts"]} == {"EMAIL", "PHONE"}


def test_same_condition_is_one_alert_counted(make_manager, receiver, clock):
    manager = make_manager(hook(receiver))
    first = manager.raise_alert(leak())
    clock.advance(5)
    again = manager.raise_alert(leak(count=4))
    assert again.alert_id == first.alert_id and again.occurrences == 5
    manager.tick()
    (document,) = receiver.documents()
    assert document["alerts"][0]["occurrences"] == 5
    assert document["alerts"][0]["first_seen"] == clock.now - 5


def test_a_large_group_leads_each_message_with_what_is_new(make_manager, receiver, clock):
    from sentinel.alert.payloads import MAX_ALERTS

    manager = make_manager(hook(receiver, group_interval_seconds=0))
    for n in range(MAX_ALERTS + 5):
        manager.raise_alert(leak("stripe", "EMAIL", field_path=f"body.customer{n}.email"))
        clock.advance(1)
    manager.tick()
    manager.raise_alert(leak("stripe", "EMAIL", field_path="body.latest.email"))
    clock.advance(1)
    manager.tick()
    last = receiver.documents()[-1]
    assert last["counts"]["firing"] == MAX_ALERTS + 6 and len(last["alerts"]) == MAX_ALERTS
    assert last["alerts"][0]["field_path"] == "body.latest.email"


def test_group_interval_then_repeat_interval(make_manager, receiver, clock):
    manager = make_manager(hook(receiver, group_interval_seconds=60, repeat_interval_seconds=3600))
    manager.raise_alert(leak("stripe", "EMAIL"))
    manager.tick()
    assert len(receiver.received) == 1
    clock.advance(10)
    manager.raise_alert(leak("stripe", "PHONE", field_path="body.phone"))  # same group, already notified
    manager.tick()
    assert len(receiver.received) == 1
    clock.advance(50)
    manager.tick()
    second = receiver.documents()[-1]
    assert len(receiver.received) == 2 and second["counts"]["firing"] == 2 and not second["repeat"]
    for _ in range(58):  # nothing new for almost an hour: quiet
        clock.advance(60)
        manager.tick()
    assert len(receiver.received) == 2
    clock.advance(120)
    manager.tick()
    assert len(receiver.received) == 3 and receiver.documents()[-1]["repeat"]


def test_resolve_is_announced_at_the_next_group_flush(make_manager, receiver, clock):
    manager = make_manager(hook(receiver, group_interval_seconds=60))
    alert = leak()
    first = manager.raise_alert(alert)
    manager.tick()
    clock.advance(10)
    assert manager.resolve(alert.fingerprint) is not None
    assert manager.resolve(alert.fingerprint) is None  # already resolved
    manager.tick()
    assert len(receiver.received) == 1
    clock.advance(50)
    manager.tick()
    resolved = receiver.documents()[-1]
    assert resolved["status"] == "resolved" and resolved["alerts"][0]["status"] == "resolved"
    assert resolved["alerts"][0]["resolved_at"] == clock.now - 50
    assert receiver.received[-1]["type"] == "success"
    clock.advance(600)
    manager.tick()
    assert len(receiver.received) == 2
    assert [v.status for v in manager.alerts("all")] == ["resolved"]
    again = manager.raise_alert(alert)  # the condition returns: a new alert
    assert again.alert_id != first.alert_id
    manager.tick()
    assert receiver.documents()[-1]["status"] == "firing"


def test_ends_at_and_resolve_timeout(make_manager, receiver, clock):
    manager = make_manager(hook(receiver, group_interval_seconds=60))
    start = clock.now
    manager.raise_alert(leak("stripe", ends_at=start + 100))
    timed = leak("adyen", resolve_after=300)
    manager.raise_alert(timed)
    manager.tick()
    clock.advance(200)
    manager.raise_alert(timed)  # seen again: the timeout restarts
    manager.tick()
    states = {v.record.subprocessor: v for v in manager.alerts("all")}
    assert states["stripe"].status == "resolved" and states["stripe"].record.resolved_at == start + 100
    assert states["adyen"].status == "firing"
    clock.advance(299)
    manager.tick()
    assert {v.record.subprocessor: v.status for v in manager.alerts("all")}["adyen"] == "firing"
    clock.advance(1)
    manager.tick()
    assert {v.record.subprocessor: v.status for v in manager.alerts("all")}["adyen"] == "resolved"
    clock.advance(60)
    manager.tick()
    resolved = [d["group_labels"]["subprocessor"] for d in receiver.documents() if d["status"] == "resolved"]
    assert sorted(resolved) == ["adyen", "stripe"]


def test_silence_hides_until_it_expires(make_manager, receiver, clock):
    manager = make_manager(hook(receiver))
    silence, matching, severe = manager.silence(["subprocessor=stripe", "category=~EMAIL|PHONE"], "2h",
                                                "vendor migration", "alice")
    assert matching == [] and severe == []
    manager.raise_alert(leak(severity="medium"))
    manager.tick()
    assert receiver.received == []
    assert [v.status for v in manager.alerts()] == ["silenced"]
    assert [s.silence_id for s in manager.silences()] == [silence.silence_id]
    clock.advance(7200)
    manager.tick()
    assert len(receiver.received) == 1 and [v.status for v in manager.alerts()] == ["firing"]
    assert manager.silences() == []


def test_a_silence_expired_early_lets_its_alerts_notify_and_survives_a_restart(make_manager, receiver, clock):
    config = hook(receiver)
    manager = make_manager(config)
    silence, _, _ = manager.silence(["subprocessor=stripe"], "1d", "vendor migration", "alice")
    manager.raise_alert(leak(severity="medium"))
    manager.tick()
    assert receiver.received == []
    clock.advance(600)  # the migration is over early
    manager.expire_silence(silence.silence_id, "bob")
    manager.tick()
    assert len(receiver.received) == 1 and [v.status for v in manager.alerts()] == ["firing"]
    with pytest.raises(SilenceError, match="no active silence"):
        manager.expire_silence(silence.silence_id, "bob")
    assert make_manager(config).silences() == []  # stored: a restart does not bring it back
    actions = [(e.actor, e.action) for e in manager.audit.entries(10)]
    assert ("bob", "silence.expired") in actions


def test_high_alert_stays_visible_until_a_second_operator_approves(make_manager, receiver, clock):
    manager = make_manager(hook(receiver, repeat_interval_seconds=600, group_interval_seconds=60))
    record = manager.raise_alert(leak(severity="high"))
    manager.tick()
    silence, matching, severe = manager.silence(["subprocessor=stripe"], "1d", "false positive", "alice")
    assert [r.alert_id for r in severe] == [record.alert_id]
    with pytest.raises(SilenceError, match="alice created silence .* cannot approve"):
        manager.approve(silence.silence_id, "alice")
    (view,) = manager.alerts()
    assert view.status == "firing" and view.awaiting_approval == [silence.silence_id]
    clock.advance(600)
    manager.tick()
    assert len(receiver.received) == 2 and receiver.documents()[-1]["repeat"]  # still notifying
    manager.approve(silence.silence_id, "bob")
    with pytest.raises(SilenceError, match="already approved by bob"):
        manager.approve(silence.silence_id, "carol")
    assert [v.status for v in manager.alerts()] == ["silenced"]
    clock.advance(1200)
    manager.tick()
    assert len(receiver.received) == 2
    actions = [(e.actor, e.action, e.subject) for e in manager.audit.entries()]
    assert ("alice", "alert.silenced", silence.silence_id) in actions
    assert ("bob", "silence.approved", silence.silence_id) in actions


def test_acknowledgements_and_their_approval(make_manager, receiver, clock):
    manager = make_manager(hook(receiver, repeat_interval_seconds=600, group_interval_seconds=60))
    medium = manager.raise_alert(leak("stripe", severity="medium"))
    high = manager.raise_alert(leak("adyen", severity="high"))
    manager.tick()
    assert len(receiver.received) == 2
    _, waiting = manager.acknowledge(medium.alert_id, "alice", "looking")
    assert not waiting
    ack, waiting = manager.acknowledge(high.alert_id, "alice", "looking")
    assert waiting
    assert {v.record.alert_id: v.status for v in manager.alerts()} == {medium.alert_id: "acknowledged",
                                                                      high.alert_id: "firing"}
    clock.advance(600)
    manager.tick()
    repeated = [d["group_labels"]["subprocessor"] for d in receiver.documents()[2:]]
    assert repeated == ["adyen"]
    with pytest.raises(SilenceError, match="^alice created acknowledgement .* cannot approve"):
        manager.approve(ack.ack_id, " Alice ")  # the creator's name, not the approver's spelling of it
    manager.approve(ack.ack_id, "bob")
    clock.advance(600)
    manager.tick()
    assert len(receiver.received) == 3
    with pytest.raises(SilenceError, match="no alert al-nope"):
        manager.acknowledge("al-nope", "alice")
    with pytest.raises(SilenceError, match=f"already acknowledged by alice \\({ack.ack_id}\\)"):
        manager.acknowledge(high.alert_id, "alice", "again")  # the second operator approves instead


def test_a_silence_that_could_match_nothing_or_outlive_its_reason_is_refused(make_manager, receiver):
    manager = make_manager(hook(receiver))
    with pytest.raises(SilenceError, match="no alert has the label 'bogus'.*subprocessor"):
        manager.silence(["bogus=1"], "1h", "typo", "alice")
    with pytest.raises(SilenceError, match="at most 365 days"):
        manager.silence(["subprocessor=stripe"], "400d", "forever", "alice")
    silence, _, _ = manager.silence(["destination=tracker.example"], "365d", "a known test host", "alice")
    assert [s.silence_id for s in manager.silences()] == [silence.silence_id]


def test_receiver_down_then_back_gets_every_notification_exactly_once(make_manager, receiver, clock, metrics):
    manager = make_manager(hook(receiver, retry_initial_seconds=5, retry_max_seconds=40,
                                repeat_interval_seconds=86400))
    receiver.stop()
    for name in ("stripe", "adyen", "braintree"):
        manager.raise_alert(leak(name))
    manager.tick()
    for _ in range(4):  # back-off grows 5, 10, 20, 40 s
        clock.advance(40)
        manager.raise_alert(leak(f"vendor{_}"))
        manager.tick()
    assert receiver.received == []
    assert sample(metrics, "sentinel_outbox_pending") == 7
    assert sample(metrics, "sentinel_notifications_total", channel="hook", status="failed") >= 4
    receiver.start()
    clock.advance(40)
    manager.tick()
    for _ in range(10):
        clock.advance(60)
        manager.tick()
    ids = [d["notification_id"] for d in receiver.documents()]
    assert len(ids) == 7 and len(set(ids)) == 7
    subprocessors = [d["group_labels"]["subprocessor"] for d in receiver.documents()]
    # In order of creation within the channel (the first three were made in the same instant).
    assert sorted(subprocessors[:3]) == ["adyen", "braintree", "stripe"]
    assert subprocessors[3:] == ["vendor0", "vendor1", "vendor2", "vendor3"]
    assert sample(metrics, "sentinel_notifications_total", channel="hook", status="sent") == 7
    assert sample(metrics, "sentinel_outbox_pending") == 0
    assert sample(metrics, "sentinel_alert_delivery_seconds_count") == 7


def test_restart_delivers_what_was_not_delivered_and_nothing_twice(make_manager, receiver, clock):
    config = hook(receiver, repeat_interval_seconds=86400)
    manager = make_manager(config)
    receiver.stop()
    manager.raise_alert(leak("stripe"))
    manager.raise_alert(leak("adyen"))
    manager.tick()
    receiver.start()
    restarted = make_manager(config)  # closes the first manager: a restart over the same store
    assert len(restarted.outbox) == 2
    clock.advance(5)
    restarted.tick()
    assert sorted(d["group_labels"]["subprocessor"] for d in receiver.documents()) == ["adyen", "stripe"]
    again = make_manager(config)
    assert len(again.outbox) == 0 and len(again.records) == 2
    clock.advance(600)
    again.tick()
    assert len(receiver.received) == 2


def test_restart_keeps_group_timers_and_what_routes_were_told(make_manager, receiver, clock):
    config = hook(receiver, group_wait_seconds=30, group_interval_seconds=60)
    manager = make_manager(config)
    alert = leak()
    manager.raise_alert(alert)
    restarted = make_manager(config)
    restarted.tick()
    assert receiver.received == []
    clock.advance(30)
    restarted.tick()
    assert len(receiver.received) == 1
    restarted.resolve(alert.fingerprint)
    once_more = make_manager(config)
    clock.advance(60)
    once_more.tick()
    assert [d["status"] for d in receiver.documents()] == ["firing", "resolved"]


def test_test_alert_bypasses_route_filters(make_manager, receiver):
    config = alerts_config(route("hook", receiver.url, min_severity="critical", kinds=["secret_leak"]))
    manager = make_manager(config)
    (delivery,) = manager.send_test("hook", by="alice")
    assert delivery.ok
    (document,) = receiver.documents()
    assert document["test"] and document["alerts"][0]["kind"] == "test"
    manager.raise_alert(leak(severity="high"))  # a real alert still obeys the filters
    manager.tick()
    assert len(receiver.received) == 1
    with pytest.raises(SilenceError, match="no route 'nope'"):
        manager.send_test("nope")


def test_a_test_alert_says_a_dead_route_is_dead_behind_its_backlog(make_manager, receiver, clock):
    # The route's channel failed before, so an older notification waits in its outbox: the
    # test was queued behind it, never tried, and `alerts test` passed on the other route.
    from tests.alert.conftest import Receiver

    dead = Receiver()
    dead.stop()
    config = alerts_config(route("hook", receiver.url) + route("dead", dead.url))
    manager = make_manager(config)
    manager.raise_alert(leak())
    manager.tick()  # delivered to hook, failed on dead: kept for retries
    clock.advance(1)  # the test comes after the backlog
    deliveries = manager.send_test(by="alice")
    outcome = {d.route: d.ok for d in deliveries}
    assert outcome == {"hook": True, "dead": False}
    assert len(manager.outbox) == 2  # the backlog and the failed test, both kept for retries


def test_routes_and_escalation(make_manager, receiver, mailbox, clock):
    config = alerts_config(route("hook", receiver.url, min_severity="critical")
                           + route("mail", mailbox.url, min_severity="medium"), group_interval_seconds=60)
    manager = make_manager(config)
    manager.raise_alert(leak(severity="high"))
    manager.tick()
    assert len(mailbox.messages) == 1 and receiver.received == []
    clock.advance(10)
    manager.raise_alert(leak(severity="critical"))  # the same condition got worse
    clock.advance(50)
    manager.tick()
    assert len(receiver.received) == 1 and len(mailbox.messages) == 1
    assert receiver.documents()[0]["severity"] == "critical"


def test_only_masked_values_reach_receivers_and_the_store(make_manager, receiver, mailbox, store):
    manager = make_manager(alerts_config(route("hook", receiver.url) + route("mail", mailbox.url)))
    manager.raise_alert(leak())
    manager.tick()
    assert len(receiver.received) == 1 and len(mailbox.messages) == 1
    for text in (receiver.raw_text(), mailbox.messages[0].as_string()):
        assert MASKED_EMAIL in text and RAW_EMAIL not in text
    for table, column in (("alerts", "evidence"), ("alert_outbox", "body"), ("audit_log", "details")):
        rows = store.query(f"SELECT count() FROM {{db}}.{table} WHERE position({column}, %(raw)s) > 0",
                           {"raw": RAW_EMAIL}).result_rows
        assert rows == [(0,)], table


def test_undeliverable_notification_expires_visibly(make_manager, receiver, clock, metrics):
    manager = make_manager(hook(receiver, expire_after_seconds=300, retry_max_seconds=60))
    receiver.stop()
    manager.raise_alert(leak())
    for _ in range(6):
        manager.tick()
        clock.advance(60)
    manager.tick()
    assert sample(metrics, "sentinel_notifications_total", channel="hook", status="expired") == 1
    assert len(manager.outbox) == 0
    assert "alert.expired" in [e.action for e in manager.audit.entries()]


def test_metrics_and_audit_tell_the_same_story(make_manager, receiver, metrics):
    manager = make_manager(hook(receiver))
    manager.raise_alert(leak(severity="critical"))
    manager.raise_alert(leak(severity="critical"))  # a repeat sighting, not a new alert
    manager.tick()
    assert sample(metrics, "sentinel_alerts_total", kind="policy_violation", severity="critical") == 1
    assert sample(metrics, "sentinel_notifications_total", channel="hook", status="sent") == 1
    actions = [e.action for e in manager.audit.entries()]
    assert actions[0] == "config.loaded" and actions.count("alert.raised") == 1 and "alert.sent" in actions
    assert manager.audit.verify().ok


def test_run_loop_delivers_on_its_own_and_stops(store, settings_factory, receiver):
    import threading
    import time

    from sentinel.alert.manager import AlertManager

    manager = AlertManager(store, settings_factory(hook(receiver)))  # the real clock
    stop = threading.Event()
    loop = threading.Thread(target=manager.run, args=(stop,))
    loop.start()
    try:
        manager.raise_alert(leak())
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        manager.wake()
        loop.join(timeout=20)
        manager.close()
    assert len(receiver.received) == 1 and not loop.is_alive()


def test_reload_switches_routes_and_keeps_state(make_manager, receiver, mailbox, clock, settings_factory):
    manager = make_manager(hook(receiver, group_interval_seconds=60))
    manager.raise_alert(leak("stripe"))
    manager.tick()
    manager.reload(settings_factory(alerts_config(route("mail", mailbox.url), group_interval_seconds=60)))
    manager.raise_alert(leak("adyen"))
    clock.advance(60)
    manager.tick()
    assert len(receiver.received) == 1  # the old route hears nothing more
    # The new route had not been told about stripe's alert yet: it hears of both.
    assert sorted("adyen" in m["Subject"] for m in mailbox.messages) == [False, True]
    assert [e.action for e in manager.audit.entries()].count("config.loaded") == 2


def test_an_alert_about_backfilled_traffic_outlives_retention_counted_from_its_traffic(settings_factory):
    # `sentinel ingest` of last quarter's logs raises alerts whose first_seen is months old;
    # retention counts from when Sentinel stored them, as it does for the events.
    from sentinel.alert.manager import AlertManager
    from sentinel.store import Store

    settings = settings_factory("[retention]\nalerts_days = 30\n")
    store = Store.open(settings)
    try:
        store.migrate()
        manager = AlertManager(store, settings)
        months_ago = time.time() - 100 * 86400
        raised = manager.raise_alert(leak(first_seen=months_ago, last_seen=months_ago + 60))
        manager.close()
        store.client.command(f"OPTIMIZE TABLE {store.table('alerts')} FINAL")  # a merge applies the TTL
        kept = store.query("SELECT alert_id FROM {db}.alerts").result_rows
        assert [row[0] for row in kept] == [raised.alert_id]
    finally:
        store.close()
