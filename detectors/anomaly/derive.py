"""Features derived from a scalar stream (one value per bucket): the value, its change, and
rolling means and deviations. All of them use the current row and earlier rows only.

A short mean catches a burst that lasts a few buckets, a long one a level shift, the
rolling deviation a change in volatility, the difference a step.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Sequence

import numpy as np

from .config import parse_derived


class Deriver:
    def __init__(self, names: Sequence[str]):
        self.names = tuple(names)
        self._specs = [parse_derived(n) for n in self.names]
        self._keep = max([n for _, n in self._specs] + [2])
        self._recent: deque[float] = deque(maxlen=self._keep)

    def push(self, value: float) -> np.ndarray:
        """Append one value and return its feature row."""
        self._recent.append(float(value))
        r = self._recent
        row = np.empty(len(self._specs))
        for i, (kind, n) in enumerate(self._specs):
            if kind == "value":
                row[i] = r[-1]
            elif kind == "diff":
                row[i] = r[-1] - r[-2] if len(r) > 1 else 0.0
            else:
                tail = list(r)[-n:]
                if kind == "mean":
                    row[i] = sum(tail) / len(tail)
                else:  # sample standard deviation, 0 until two values exist
                    row[i] = float(np.std(tail, ddof=1)) if len(tail) > 1 else 0.0
        return row

    def state(self) -> dict[str, Any]:
        return {"recent": list(self._recent)}

    def load(self, state: dict[str, Any]) -> None:
        self._recent = deque((float(v) for v in state["recent"]), maxlen=self._keep)
