"""Scorers for many entities (sub-processors), with peer comparison at cold start.

A new sub-processor has no history, so until it has ``min_history`` buckets of its own its
buckets are scored against its peers: a model fitted on the pooled recent (un-alerted)
buckets of the established entities of the same peer group with the same features. "Ten
times what any comparable sub-processor receives" is then caught on day one. The new
entity learns from its own buckets meanwhile and switches to its own model when ready.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .config import AnomalyConfig
from .model import Ensemble
from .scorer import StreamScorer, Value

STATE_FORMAT = "sentinel.anomaly.entities/1"


class PeerScorer:
    """The peers' model for one peer group and feature set: fitted on at most ``window``
    pooled rows, shared equally among the established entities, refitted every
    ``refit_every`` updates or when the set of established entities changes."""

    def __init__(self, config: AnomalyConfig):
        self.config = config
        self.model: Ensemble | None = None
        self.train: np.ndarray | None = None
        self.members: tuple[str, ...] = ()
        self.since_fit = 0

    def stale(self, members: tuple[str, ...]) -> bool:
        return self.model is None or members != self.members or self.since_fit >= self.config.refit_every

    def fit(self, scorers: Mapping[str, StreamScorer], members: tuple[str, ...]) -> None:
        cfg = self.config
        per = max(1, cfg.window // max(1, len(members)))
        parts = [scorers[m].training_rows(per) for m in members]
        rows = np.vstack(parts) if parts else np.empty((0, 0))
        self._set(rows, members)

    def _set(self, rows: np.ndarray, members: tuple[str, ...]) -> None:
        cfg = self.config
        self.members = members
        self.since_fit = 0
        self.train = rows
        ok = len(rows) > cfg.k and len(members) > 0
        self.model = Ensemble.from_config(cfg).fit(rows) if ok else None

    def state(self) -> dict[str, Any]:
        return {
            "members": list(self.members),
            "since_fit": self.since_fit,
            "train": self.train.tolist() if self.train is not None else None,
        }

    @classmethod
    def from_state(cls, config: AnomalyConfig, state: Mapping[str, Any]) -> "PeerScorer":
        p = cls(config)
        if state["train"] is not None:
            p._set(np.asarray(state["train"], dtype=float), tuple(state["members"]))
        p.since_fit = int(state["since_fit"])
        return p


class EntityScorers:
    """One StreamScorer per entity name, plus peer models for entities still cold.

    ``groups`` maps an entity to its peer group (e.g. "payment", "analytics"); entities
    not listed share the group "". Only entities with the same feature names are peers.
    """

    def __init__(self, config: AnomalyConfig | Mapping[str, Any] | None = None, groups: Mapping[str, str] | None = None):
        if not isinstance(config, AnomalyConfig):
            config = AnomalyConfig.from_dict(config)
        self.config = config
        self.groups = dict(groups or {})
        self._scorers: dict[str, StreamScorer] = {}
        self._peers: dict[str, PeerScorer] = {}  # key: group + feature names

    def __contains__(self, entity: str) -> bool:
        return entity in self._scorers

    def __getitem__(self, entity: str) -> StreamScorer:
        return self._scorers[entity]

    def entities(self) -> list[str]:
        return list(self._scorers)

    def update(self, entity: str, ts: Any, value: Value) -> float:
        scorer = self._scorers.get(entity)
        if scorer is None:
            scorer = self._scorers[entity] = StreamScorer(self.config)
        fallback = None
        names = scorer.feature_names or _names_of(value, self.config)
        key = self._key(entity, names)
        for p in self._peers.values():
            p.since_fit += 1
        if not scorer.ready:
            fallback = self._peer_model(key, entity, names)
        return scorer.update(ts, value, fallback=fallback)

    def explain(self, entity: str) -> dict[str, float]:
        return self._scorers[entity].explain()

    def mark_alerted(self, entity: str) -> None:
        self._scorers[entity].mark_alerted()

    def peer_members(self, entity: str) -> tuple[str, ...]:
        """The entities the (cold) entity was last compared with."""
        sc = self._scorers.get(entity)
        names = sc.feature_names if sc else None
        p = self._peers.get(self._key(entity, names)) if names else None
        return p.members if p else ()

    def _key(self, entity: str, names: tuple[str, ...]) -> str:
        return self.groups.get(entity, "") + "|" + ",".join(names)

    def _peer_model(self, key: str, entity: str, names: tuple[str, ...]) -> Ensemble | None:
        members = tuple(
            sorted(
                e
                for e, s in self._scorers.items()
                if e != entity and s.ready and s.feature_names == names and self._key(e, names) == key
            )
        )
        peer = self._peers.get(key)
        if peer is None:
            peer = self._peers[key] = PeerScorer(self.config)
        if peer.stale(members):
            peer.fit(self._scorers, members)
        return peer.model

    def state(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "config": self.config.to_dict(),
            "groups": dict(self.groups),
            "scorers": {e: s.state() for e, s in self._scorers.items()},
            "peers": {k: p.state() for k, p in self._peers.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "EntityScorers":
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"not an EntityScorers state (expected format {STATE_FORMAT!r})")
        self = cls(AnomalyConfig.from_dict(state["config"]), state["groups"])
        self._scorers = {e: StreamScorer.from_state(s) for e, s in state["scorers"].items()}
        self._peers = {k: PeerScorer.from_state(self.config, p) for k, p in state["peers"].items()}
        return self


def _names_of(value: Value, config: AnomalyConfig) -> tuple[str, ...]:
    return tuple(str(k) for k in value) if isinstance(value, Mapping) else config.derived
