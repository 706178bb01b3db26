"""Grouping and notification timing, as Alertmanager users expect it.

Alerts that share the `group_by` labels form a group. A new group is announced
`group_wait` after its first alert; after that it is looked at every
`group_interval`, and a route is told again when an alert it has not been told
about fires, when an alert it was told about resolves, or, with nothing new,
after `repeat_interval`. An alert that stops being visible (silenced,
acknowledged) leaves quietly; if it comes back it is news again.

Pure: the manager hands in what is firing per route and what has resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timing:
    group_wait: float
    group_interval: float
    repeat_interval: float


@dataclass(frozen=True)
class RouteState:
    """What a route was last told about a group: the firing fingerprints and when."""

    firing: frozenset[str]
    at: float


@dataclass(frozen=True)
class Plan:
    """One notification to send: to `route`, about these firing and resolved alerts."""

    route: str
    firing: tuple[str, ...]
    resolved: tuple[str, ...]
    repeat: bool


@dataclass
class Group:
    key: str
    labels: dict[str, str]
    created_at: float
    next_flush_at: float
    members: set[str] = field(default_factory=set)  # fingerprints
    routes: dict[str, RouteState] = field(default_factory=dict)
    version: int = 0

    def routes_json(self) -> str:
        return json.dumps({name: {"firing": sorted(s.firing), "at": s.at} for name, s in sorted(self.routes.items())},
                          sort_keys=True, separators=(",", ":"))

    @staticmethod
    def routes_from_json(text: str) -> dict[str, RouteState]:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return {}
        return {name: RouteState(frozenset(s.get("firing", ())), float(s.get("at", 0.0))) for name, s in data.items()}


def plan_flush(group: Group, now: float, firing_by_route: dict[str, set[str]], resolved: set[str],
               timing: Timing) -> tuple[list[Plan], dict[str, RouteState]]:
    """Decide what each route must be told now; return the plans and the new route states."""
    plans: list[Plan] = []
    states = dict(group.routes)
    for route in sorted(set(firing_by_route) | set(group.routes)):
        current = frozenset(firing_by_route.get(route, ()))
        state = group.routes.get(route)
        previous = state.firing if state else frozenset()
        new = current - previous
        gone_resolved = tuple(sorted(fp for fp in previous if fp in resolved))
        repeat = (state is not None and bool(current) and not new and not gone_resolved
                  and now - state.at >= timing.repeat_interval)
        if new or gone_resolved or repeat:
            plans.append(Plan(route, tuple(sorted(current)), gone_resolved, repeat))
            if current:
                states[route] = RouteState(current, now)
            else:
                states.pop(route, None)
        elif current != previous:
            if current:
                states[route] = RouteState(current, state.at if state else now)
            else:
                states.pop(route, None)
    return plans, states


class Groups:
    """The live groups, with their flush timers."""

    def __init__(self, timing: Timing):
        self.timing = timing
        self.by_key: dict[str, Group] = {}

    def add(self, key: str, labels: dict[str, str], fingerprint: str, now: float) -> tuple[Group, bool]:
        group = self.by_key.get(key)
        created = group is None
        if group is None:
            group = self.by_key[key] = Group(key, labels, now, now + self.timing.group_wait)
        group.members.add(fingerprint)
        return group, created

    def due(self, now: float) -> list[Group]:
        return sorted((g for g in self.by_key.values() if g.next_flush_at <= now), key=lambda g: g.next_flush_at)

    def next_due(self) -> float | None:
        return min((g.next_flush_at for g in self.by_key.values()), default=None)

    def flushed(self, group: Group, now: float, states: dict[str, RouteState], resolved: set[str]) -> bool:
        """Record a flush; False when the group has nothing left and is closed."""
        group.routes = states
        group.members -= resolved
        group.next_flush_at = now + self.timing.group_interval
        if not group.members:
            self.by_key.pop(group.key, None)
            return False
        return True
