"""Which routes an alert goes to: kind, sub-processor, category and minimum severity.

Routes are walked in config order; every match delivers, and a matching route
with `continue = false` ends the walk. Empty filters match everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sentinel.alert.model import Severity
from sentinel.config.daemon import RouteConfig


@dataclass(frozen=True)
class Route:
    name: str
    min_severity: Severity
    kinds: frozenset[str]
    subprocessors: frozenset[str]
    categories: frozenset[str]
    continue_: bool

    @classmethod
    def from_config(cls, config: RouteConfig) -> "Route":
        return cls(config.name, Severity.parse(config.min_severity), frozenset(config.kinds),
                   frozenset(config.subprocessors), frozenset(config.categories), config.continue_)

    def matches(self, kind: str, subprocessor: str, category: str, severity: Severity) -> bool:
        return (severity >= self.min_severity
                and (not self.kinds or kind in self.kinds)
                and (not self.subprocessors or subprocessor in self.subprocessors)
                and (not self.categories or category in self.categories))


class Router:
    def __init__(self, routes: list[RouteConfig]):
        self.routes = [Route.from_config(r) for r in routes]
        self.by_name = {r.name: r for r in self.routes}

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.routes]

    def routes_for(self, kind: str, subprocessor: str, category: str, severity: Severity) -> list[str]:
        chosen = []
        for route in self.routes:
            if route.matches(kind, subprocessor, category, severity):
                chosen.append(route.name)
                if not route.continue_:
                    break
        return chosen
