"""The outbox: every notification is stored per channel before it is sent, and stays
pending until that channel took it or it expired.

Retries back off exponentially per channel (a channel that is down is not
hammered, and its queue waits as one), capped by `alerts.retry_max_seconds`.
Within a channel notifications go out in the order they were made. This module
keeps the pending items and decides what is due; the manager stores each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PENDING = "pending"
SENT = "sent"
EXPIRED = "expired"


@dataclass
class OutboxItem:
    notification_id: str
    channel: str  # "<route>/<digest of the target>": the unit of retries and of exactly-once
    route: str
    created_at: float
    raised_at: float
    group_key: str
    severity: str
    title: str
    body: str  # the sanitised notification document (JSON)
    alert_ids: list[str] = field(default_factory=list)
    state: str = PENDING
    attempts: int = 0
    next_attempt_at: float = 0.0
    updated_at: float = 0.0
    delivered_at: float = 0.0
    last_error: str = ""
    version: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return self.notification_id, self.channel


def backoff(failures: int, initial: float, cap: float) -> float:
    """Delay before the next attempt after `failures` consecutive failures."""
    return min(cap, initial * (2 ** max(0, failures - 1)))


@dataclass
class ChannelState:
    failures: int = 0
    next_attempt_at: float = 0.0


class Outbox:
    def __init__(self, retry_initial: float, retry_max: float, expire_after: float):
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.expire_after = expire_after
        self.pending: dict[tuple[str, str], OutboxItem] = {}
        self.channels: dict[str, ChannelState] = {}

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, item: OutboxItem) -> None:
        self.pending[item.key] = item
        state = self.channels.setdefault(item.channel, ChannelState())
        # A restored item that had failed keeps its channel backing off.
        if item.attempts and item.next_attempt_at > state.next_attempt_at:
            state.failures = max(state.failures, item.attempts)
            state.next_attempt_at = item.next_attempt_at

    def due(self, now: float, channels: set[str] | None = None) -> dict[str, list[OutboxItem]]:
        """Pending items whose channel may be tried now, oldest first per channel."""
        out: dict[str, list[OutboxItem]] = {}
        for item in self.pending.values():
            if channels is not None and item.channel not in channels:
                continue
            state = self.channels.get(item.channel)
            if state and state.next_attempt_at > now:
                continue
            out.setdefault(item.channel, []).append(item)
        for items in out.values():
            items.sort(key=lambda i: (i.created_at, i.notification_id))
        return out

    def expired(self, now: float) -> list[OutboxItem]:
        return [i for i in self.pending.values() if now - i.created_at >= self.expire_after]

    def next_due(self) -> float | None:
        times = [max(i.next_attempt_at, self.channels.get(i.channel, ChannelState()).next_attempt_at)
                 for i in self.pending.values()]
        return min(times, default=None)

    def sent(self, item: OutboxItem, now: float) -> None:
        item.state, item.delivered_at, item.updated_at, item.last_error = SENT, now, now, ""
        item.attempts += 1
        self.pending.pop(item.key, None)
        self.channels[item.channel] = ChannelState()

    def failed(self, item: OutboxItem, now: float, error: str) -> float:
        """Record a failed attempt; returns when the channel is tried again."""
        state = self.channels.setdefault(item.channel, ChannelState())
        state.failures += 1
        state.next_attempt_at = now + backoff(state.failures, self.retry_initial, self.retry_max)
        item.attempts += 1
        item.last_error = error[:300]
        item.updated_at = now
        item.next_attempt_at = state.next_attempt_at
        return state.next_attempt_at

    def expire(self, item: OutboxItem, now: float) -> None:
        item.state, item.updated_at = EXPIRED, now
        self.pending.pop(item.key, None)
        if not any(i.channel == item.channel for i in self.pending.values()):
            self.channels.pop(item.channel, None)
