"""Sending a notification through Apprise, one channel at a time.

A channel is one Apprise target of a route: one of its `urls`, or one service
of its `apprise_config` that carries one of its `tags`. Channels are the unit of
retries, so a route with a working and a broken target delivers to the working
one exactly once while the broken one is retried.

The message shape follows the target: PagerDuty gets an Events v2 event with the
group's dedup key (and a resolve when the group resolves), Slack a Block Kit
attachment, json:// webhooks Apprise's envelope with the notification document
under "sentinel", e-mail and everything else a subject and a text body. Target
URLs hold credentials: they never leave this module (ids carry a digest).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import apprise
from apprise import AppriseAttachment, NotifyFormat, NotifyType
from urllib.parse import urlsplit

from sentinel.alert import filechannel  # noqa: F401  registers file:// with Apprise
from sentinel.alert import payloads
from sentinel.config import ConfigError, beside_config
from sentinel.config.daemon import RouteConfig

log = logging.getLogger("sentinel.alert")


@dataclass(frozen=True)
class Channel:
    id: str
    route: str
    scheme: str
    url: str = field(repr=False)  # holds credentials


class _Errors(logging.Handler):
    """Collects Apprise's warnings per thread, so a failure has a reason to record."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        buffer = getattr(self.local, "buffer", None)
        if buffer is not None:
            buffer.append(record.getMessage())


_GENERIC = ("Failed to send", "An exception occured")
_errors = _Errors()
logging.getLogger("apprise").addHandler(_errors)


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def _scheme(url: str) -> str:
    return urlsplit(url).scheme.lower() or "?"


class AppriseSender:
    def __init__(self, routes: list[RouteConfig], config_path: str = ""):
        self.config_path = config_path or "sentinel.toml"
        self._channels: dict[str, Channel] = {}
        self._by_route: dict[str, list[Channel]] = {}
        problems: list[tuple[str, str]] = []
        for i, route in enumerate(routes):
            found: list[Channel] = []
            for j, url in enumerate(route.urls):
                if apprise.Apprise.instantiate(url) is None:
                    # Never echo the URL: it usually holds a password or token.
                    problems.append((f"alerts.routes[{i}].urls[{j}]",
                                     f"not a notification URL Apprise understands (scheme {_scheme(url)!r})"))
                    continue
                found.append(Channel(f"{route.name}/{_digest(url)}", route.name, _scheme(url), url))
            if route.apprise_config:
                found += self._from_config(i, route, beside_config(config_path, route.apprise_config), problems)
            for channel in found:
                self._channels[channel.id] = channel
            self._by_route[route.name] = list({c.id: c for c in found}.values())
        if problems:
            raise ConfigError(self.config_path, problems)

    def _from_config(self, i: int, route: RouteConfig, path: Path, problems: list) -> list[Channel]:
        key = f"alerts.routes[{i}].apprise_config"
        if not path.is_file():
            problems.append((key, f"Apprise config {path} not found"))
            return []
        config = apprise.AppriseConfig()
        config.add(str(path))
        bundle = apprise.Apprise()
        bundle.add(config)
        services = list(bundle.find(tag=route.tags)) if route.tags else list(bundle.find())
        if not services:
            wanted = f" with tags {route.tags}" if route.tags else ""
            problems.append((key, f"{path} defines no notification URL{wanted}"))
        channels = []
        for service in services:
            url = service.url(privacy=False)
            channels.append(Channel(f"{route.name}/{_digest(url)}", route.name, _scheme(url), url))
        return channels

    def channels(self, route: str | None = None) -> list[Channel]:
        if route is None:
            return list(self._channels.values())
        return list(self._by_route.get(route, []))

    def get(self, channel_id: str) -> Channel | None:
        return self._channels.get(channel_id)

    # -- sending ---------------------------------------------------------------------------
    def send(self, channel: Channel, notification: dict) -> tuple[bool, str]:
        """Deliver one notification to one channel; (ok, reason when not)."""
        plugin = apprise.Apprise.instantiate(channel.url)
        if plugin is None:
            return False, "the channel's URL is no longer valid"
        title, body = payloads.email_message(notification)
        kind = NotifyType(payloads.notify_type(notification))
        cleanup: list[str] = []
        try:
            name = type(plugin).__name__
            if name == "NotifyPagerDuty":
                title, body = "", self._pagerduty(plugin, notification)
            elif name == "NotifySlack":
                self._slack(plugin, notification, cleanup)
            elif name == "NotifyJSON":
                plugin.payload_extras = {**plugin.payload_extras, "sentinel": payloads.webhook_document(notification)}
            _errors.local.buffer = []
            try:
                ok = plugin.notify(body=body, title=title, notify_type=kind, body_format=NotifyFormat.TEXT)
            except Exception as exc:  # a plugin bug must cost one attempt, not the delivery loop
                ok = False
                _errors.local.buffer.append(f"{type(exc).__name__}: {exc}")
            messages = _errors.local.buffer
        finally:
            _errors.local.buffer = None
            for path in cleanup:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        if ok:
            return True, ""
        # Apprise closes with a generic line ("Failed to send ... notification."): the one
        # before it, when there is one, says why.
        specific = [m for m in messages if not m.startswith(_GENERIC)]
        reason = (specific or messages or ["Apprise reported a failure"])[-1]
        return False, payloads.scrub(reason.replace(channel.url, channel.id), 300)

    @staticmethod
    def _pagerduty(plugin, notification: dict) -> str:
        event = payloads.pagerduty_event(notification)
        plugin.dedup = event["dedup_key"]
        if event["event_action"] == "resolve":
            plugin.action = "resolve"
            return "resolved"
        plugin.action = "trigger"
        body = event["payload"]
        plugin.severity = body["severity"]
        plugin.source = body["source"]
        plugin.component = body["component"]
        plugin.class_id = body["class"]
        plugin.group = None
        plugin.details = body["custom_details"]
        plugin.click = event["links"][0]["href"] if event.get("links") else None
        plugin.include_image = False
        return body["summary"]

    @staticmethod
    def _slack(plugin, notification: dict, cleanup: list[str]) -> None:
        if str(getattr(plugin, "mode", "")).lower().startswith("workflow"):
            return  # workflows take plain text only
        message = json.dumps(payloads.slack_message(notification))
        # Apprise swaps {{tokens}} in templates; keep any in our text literal.
        message = message.replace("{{", "{\\u007b")
        handle, path = tempfile.mkstemp(prefix="sentinel-slack-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(message)
        cleanup.append(path)
        plugin.template = AppriseAttachment(asset=plugin.asset)
        plugin.template.add(path)
        plugin.use_blocks = True
