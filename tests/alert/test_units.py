"""The pure parts: severity, fingerprints, matchers and durations, routing, grouping plans, back-off."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.alert.fingerprint import group_key
from sentinel.alert.grouping import Group, RouteState, Timing, plan_flush
from sentinel.alert.model import Alert, Severity
from sentinel.alert.outbox import Outbox, OutboxItem, backoff
from sentinel.alert.routing import Router
from sentinel.alert.silences import Matcher, Silence, SilenceError, check_approver, parse_duration
from sentinel.config.daemon import RouteConfig


def test_severity_is_ordered_and_parsed():
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert Severity.parse("High") is Severity.HIGH and Severity.parse(Severity.LOW) is Severity.LOW
    assert str(Severity.CRITICAL) == "critical"
    with pytest.raises(ValueError, match="info < low < medium < high < critical"):
        Severity.parse("urgent")


def test_fingerprint_covers_identity_not_values_severity_or_counts():
    a = Alert("policy_violation", "high", "t", subprocessor="stripe", category="EMAIL", field_path="body.email",
              evidence={"masked": "j***@e***.com"}, count=3)
    same = Alert("policy_violation", "critical", "other title", subprocessor="stripe", category="EMAIL",
                 field_path="body.email", evidence={"masked": "x***@y***.com"}, count=1)
    assert a.fingerprint == same.fingerprint
    assert len(a.fingerprint) == 16
    for changed in (dict(subprocessor="adyen"), dict(category="PHONE"), dict(field_path="body.phone"),
                    dict(endpoint="/v1/x"), dict(labels={"destination": "x.example"})):
        other = Alert("policy_violation", "high", "t", **{"subprocessor": "stripe", "category": "EMAIL",
                                                          "field_path": "body.email", **changed})
        assert other.fingerprint != a.fingerprint, changed


def test_fingerprint_is_stable_across_processes():
    # A checked-in value: fingerprints are stored and used as PagerDuty keys, so they must never drift.
    alert = Alert("secret_leak", "critical", "t", subprocessor="openai", category="API_KEY", field_path="header.x")
    assert alert.fingerprint == "10fc26a09a2c0ca4"


@given(st.dictionaries(st.sampled_from(["kind", "subprocessor", "category", "severity"]), st.text(max_size=8)))
def test_group_key_depends_only_on_group_by_labels(labels):
    extra = {**labels, "field_path": "anything"}
    assert group_key(labels, ["subprocessor", "kind"]) == group_key(extra, ["subprocessor", "kind"])


def test_alert_rejects_bad_kind_and_labels():
    with pytest.raises(ValueError):
        Alert("Policy Violation", "high", "t")
    with pytest.raises(ValueError):
        Alert("x", "high", "t", labels={"Bad-Key": "v"})


@pytest.mark.parametrize("text,seconds", [("2h", 7200), ("30m", 1800), ("1d12h", 129600), ("90s", 90),
                                          ("1h30m", 5400), ("1w", 604800), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "-1h", "2h foo"])
def test_bad_durations(text):
    with pytest.raises(SilenceError):
        parse_duration(text)


def test_matchers():
    labels = {"subprocessor": "stripe", "category": "EMAIL", "severity": "high"}
    assert Matcher.parse("subprocessor=stripe").matches(labels)
    assert not Matcher.parse("subprocessor=adyen").matches(labels)
    assert Matcher.parse("category=~EMAIL|PHONE").matches(labels)
    assert Matcher.parse("category!~PHONE").matches(labels)
    assert Matcher.parse("severity!=low").matches(labels)
    assert not Matcher.parse("endpoint=/x").matches(labels)
    for bad in ("stripe", "=x", "a=~(", "Sub=x"):
        with pytest.raises(SilenceError):
            Matcher.parse(bad)


def test_silence_hides_severe_alerts_only_once_approved():
    s = Silence("si-1", [Matcher.parse("subprocessor=stripe")], "alice", "maintenance", 0, 0, 100)
    labels = {"subprocessor": "stripe"}
    assert s.hides(labels, Severity.MEDIUM, 10, Severity.HIGH)
    assert not s.hides(labels, Severity.HIGH, 10, Severity.HIGH)
    s.approved_by = "bob"
    assert s.hides(labels, Severity.CRITICAL, 10, Severity.HIGH)
    assert not s.hides(labels, Severity.CRITICAL, 100, Severity.HIGH)  # expired
    with pytest.raises(SilenceError, match="cannot approve"):
        check_approver("alice", " Alice ", "silence si-1")
    check_approver("alice", "bob", "silence si-1")


def _route(name, **kw):
    return RouteConfig.model_validate({"name": name, "urls": ["json://127.0.0.1:1/x"], **kw})


def test_routing_filters_and_continue():
    router = Router([
        _route("pager", min_severity="critical", **{"continue": False}),
        _route("privacy", min_severity="medium", categories=["EMAIL", "PHONE"]),
        _route("stripe-team", subprocessors=["stripe"], kinds=["policy_violation"]),
    ])
    assert router.routes_for("policy_violation", "stripe", "EMAIL", Severity.CRITICAL) == ["pager"]
    assert router.routes_for("policy_violation", "stripe", "EMAIL", Severity.HIGH) == ["privacy", "stripe-team"]
    assert router.routes_for("policy_violation", "adyen", "EMAIL", Severity.LOW) == []
    assert router.routes_for("secret_leak", "stripe", "API_KEY", Severity.HIGH) == []


TIMING = Timing(group_wait=10, group_interval=60, repeat_interval=3600)


def test_plan_new_alerts_then_quiet_then_repeat():
    group = Group("g", {}, 0, 10, {"a", "b"})
    plans, states = plan_flush(group, 10, {"r": {"a", "b"}}, set(), TIMING)
    assert [(p.route, p.firing, p.resolved, p.repeat) for p in plans] == [("r", ("a", "b"), (), False)]
    group.routes = states
    assert plan_flush(group, 70, {"r": {"a", "b"}}, set(), TIMING)[0] == []
    plans, _ = plan_flush(group, 10 + 3600, {"r": {"a", "b"}}, set(), TIMING)
    assert plans[0].repeat


def test_plan_resolved_is_announced_silenced_leaves_quietly():
    group = Group("g", {}, 0, 10, {"a", "b"}, {"r": RouteState(frozenset({"a", "b"}), 10)})
    plans, states = plan_flush(group, 70, {"r": {"b"}}, {"a"}, TIMING)
    assert [(p.firing, p.resolved) for p in plans] == [(("b",), ("a",))]
    group.routes = states
    # b is silenced: no message, but it is forgotten so its return is news
    plans, states = plan_flush(group, 130, {}, set(), TIMING)
    assert plans == [] and states == {}
    group.routes = states
    plans, _ = plan_flush(group, 190, {"r": {"b"}}, set(), TIMING)
    assert plans[0].firing == ("b",) and not plans[0].repeat


def test_backoff_doubles_up_to_the_cap():
    assert [backoff(n, 5, 40) for n in range(1, 7)] == [5, 10, 20, 40, 40, 40]


def test_outbox_backs_off_per_channel_and_keeps_order():
    box = Outbox(retry_initial=5, retry_max=40, expire_after=100)
    for i, channel in enumerate(["a", "a", "b"]):
        box.add(OutboxItem(f"n{i}", channel, "r", created_at=i, raised_at=i, group_key="g", severity="high",
                           title="t", body="{}"))
    due = box.due(10)
    assert [i.notification_id for i in due["a"]] == ["n0", "n1"] and len(due["b"]) == 1
    box.failed(due["a"][0], 10, "down")
    assert set(box.due(10)) == {"b"}
    assert set(box.due(15)) == {"a", "b"}
    box.sent(due["b"][0], 15)
    assert len(box) == 2 and [i.notification_id for i in box.expired(100.5)] == ["n0"]
