"""Delivery through Apprise: real webhook and SMTP receivers on loopback; PagerDuty and Slack
with Apprise's HTTP call captured (they cannot be pointed at loopback), so what their APIs
would receive is compared with the golden builders."""

from __future__ import annotations

import json

import pytest
import requests

from sentinel.alert import payloads
from sentinel.alert.delivery import AppriseSender
from sentinel.config import ConfigError
from sentinel.config.daemon import RouteConfig
from tests.alert.conftest import RAW_EMAIL
from tests.alert.test_payloads import RAW, firing_notification, resolved_notification


def routes(*pairs, **extra) -> list[RouteConfig]:
    return [RouteConfig.model_validate({"name": name, "urls": [url], **extra}) for name, url in pairs]


def test_webhook_gets_apprise_envelope_with_the_document(receiver):
    sender = AppriseSender(routes(("hook", receiver.url)))
    (channel,) = sender.channels("hook")
    assert channel.id.startswith("hook/") and receiver.url not in channel.id and "127.0.0.1" not in repr(channel)
    notification = firing_notification()
    assert sender.send(channel, notification) == (True, "")
    (envelope,) = receiver.received
    assert envelope["type"] == "failure"
    assert envelope["title"].startswith("[Sentinel][FIRING:2] CRITICAL")
    assert envelope["sentinel"] == json.loads(json.dumps(payloads.webhook_document(notification)))
    assert "j***@e***.com" in envelope["message"] and RAW not in receiver.raw_text()


def test_webhook_failure_is_reported_with_a_reason(receiver):
    receiver.status = 503
    sender = AppriseSender(routes(("hook", receiver.url)))
    ok, reason = sender.send(sender.channels()[0], firing_notification())
    assert not ok and "503" in reason
    receiver.stop()
    ok, reason = sender.send(sender.channels()[0], firing_notification())
    assert not ok and reason


def test_file_channel_appends_and_says_why_it_could_not(tmp_path):
    import sentinel.alert.filechannel  # noqa: F401  registers file://

    target = tmp_path / "alerts.jsonl"
    blocked = tmp_path / "a-file" / "alerts.jsonl"
    (tmp_path / "a-file").write_text("")
    sender = AppriseSender(routes(("ok", f"file://{target}"), ("blocked", f"file://{blocked}")))
    ok_channel, blocked_channel = sender.channels()
    assert sender.send(ok_channel, firing_notification()) == (True, "")
    assert json.loads(target.read_text())["title"].startswith("[Sentinel]")
    ok, reason = sender.send(blocked_channel, firing_notification())
    assert not ok and "cannot write" in reason and "a-file" in reason  # not "an exception occured"


def test_email_over_plain_smtp_with_login(mailbox):
    sender = AppriseSender(routes(("mail", mailbox.url)))
    assert sender.send(sender.channels()[0], firing_notification()) == (True, "")
    (message,) = mailbox.messages
    assert mailbox.logins == [mailbox.USER]
    assert message["Subject"].startswith("[Sentinel][FIRING:2] CRITICAL policy_violation / stripe")
    assert message["To"] == "privacy@example.com"
    (body,) = mailbox.bodies()
    _, expected = payloads.email_message(firing_notification())
    assert body.replace("\r\n", "\n").strip() == expected.strip()
    assert RAW not in message.as_string() and RAW_EMAIL not in message.as_string()


class Captured:
    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, dict]] = []

        class Response:
            status_code = 200
            content = b"ok"
            text = "ok"

            def json(self):
                return {}

        def fake(method_or_url, url=None, data=None, **kwargs):
            target = url if url is not None else method_or_url
            self.calls.append((target, json.loads(data)))
            return Response()

        monkeypatch.setattr(requests, "post", lambda url, data=None, **kw: fake(url, None, data, **kw))
        monkeypatch.setattr(requests, "request", lambda method, url, data=None, **kw: fake(method, url, data, **kw))


def test_pagerduty_receives_the_golden_event(monkeypatch):
    captured = Captured(monkeypatch)
    sender = AppriseSender(routes(("oncall", "pagerduty://integrationkey@apikey")))
    channel = sender.channels()[0]
    assert sender.send(channel, firing_notification()) == (True, "")
    assert sender.send(channel, resolved_notification()) == (True, "")
    (url, trigger), (_, resolve) = captured.calls
    assert url == "https://events.pagerduty.com/v2/enqueue"
    assert trigger.pop("routing_key") == "integrationkey" and trigger.pop("client")
    assert trigger == payloads.pagerduty_event(firing_notification())
    assert resolve.pop("routing_key") == "integrationkey"
    assert resolve == payloads.pagerduty_event(resolved_notification())


def test_slack_receives_the_golden_block_kit_attachment(monkeypatch):
    captured = Captured(monkeypatch)
    sender = AppriseSender(routes(("chat", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#privacy")))
    assert sender.send(sender.channels()[0], firing_notification()) == (True, "")
    ((url, body),) = captured.calls
    assert url.startswith("https://hooks.slack.com/services/")
    assert body["channel"] == "#privacy"
    assert body["attachments"] == [payloads.slack_message(firing_notification())]
    assert RAW not in json.dumps(body)


def test_bad_url_is_a_config_error_that_does_not_echo_secrets():
    with pytest.raises(ConfigError) as caught:
        AppriseSender(routes(("ok", "json://127.0.0.1:1/x"), ("bad", "nosuchscheme://user:hunter2@host")))
    assert caught.value.problems == [("alerts.routes[1].urls[0]",
                                      "not a notification URL Apprise understands (scheme 'nosuchscheme')")]
    assert "hunter2" not in str(caught.value)


def test_apprise_config_services_filtered_by_tags(tmp_path, receiver):
    (tmp_path / "apprise.yml").write_text(
        f"urls:\n  - {receiver.url}?a=1:\n      tag: oncall\n  - {receiver.url}?b=2:\n      tag: other\n")
    route = RouteConfig.model_validate({"name": "oncall", "apprise_config": "apprise.yml", "tags": ["oncall"]})
    sender = AppriseSender([route], str(tmp_path / "sentinel.toml"))
    (channel,) = sender.channels("oncall")
    assert sender.send(channel, firing_notification())[0]
    assert len(receiver.received) == 1
    missing = RouteConfig.model_validate({"name": "x", "apprise_config": "nope.yml"})
    with pytest.raises(ConfigError, match=r"alerts.routes\[0\].apprise_config: Apprise config .*nope.yml not found"):
        AppriseSender([missing], str(tmp_path / "sentinel.toml"))
