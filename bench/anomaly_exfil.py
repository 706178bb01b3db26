#!/usr/bin/env python3
"""Exfiltration benchmark of detectors.anomaly on generated per-sub-processor egress.

Each sub-processor gets 5-minute windows with a daily profile (business-hours peak of
300-5000 requests, nights at 10-30% of it), a weekly one (quieter weekends), log-normal
noise (sigma 0.08-0.2 per window, 0.05 per day), Poisson counts and the odd new field path. (Below ~1 request/s a
3x burst in one window is within Poisson noise at night: no detector can meet the target
there, so the generator stays above it.) The first --warmup-weeks are clean; during the --eval-weeks that follow,
injections are laid at random (at least a day apart):

  burst      bytes, requests, findings and subjects x M (M in 2, 3, 5, 10) for 1-3 windows
  offhours   a bulk export between 01:00 and 04:59 local: bytes x 20-50 of the night level,
             subjects x 10-30, for 2-6 windows
  ramp       a slow drip: volume x (1 + 2 t / T) growing over T = 2-4 days
  subjects   distinct data subjects x 10 with volume unchanged, for 3-6 windows

Features come from detectors.anomaly.features (FeatureBuilder), scores from one
StreamScorer per sub-processor (EntityScorers), alerts at the config threshold, and every
alerting window is marked (mark_alerted) so it is kept out of training, as in the daemon.

Prints detection rate per type and per burst multiplier, time to detect (windows from the
injection's first window; "within two windows" = detected in its first or second window),
and false alerts per sub-processor per week (alerts outside an injection and the hour that
follows it) over the evaluation weeks. Seeded: the same --seed gives the same figures.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from detectors.anomaly import AnomalyConfig  # noqa: E402
from detectors.anomaly.features import FeatureBuilder, FeatureParams, WindowCounts  # noqa: E402
from detectors.anomaly.peers import EntityScorers  # noqa: E402

STEP = 300  # seconds per window
PER_DAY = 86400 // STEP
PER_WEEK = 7 * PER_DAY
START = 1_704_067_200  # 2024-01-01 00:00 UTC, a Monday
GRACE = 12  # windows after an injection where alerts are not counted as false


@dataclass
class Profile:
    name: str
    peak_requests: float  # requests per window at the daily peak
    bytes_per_request: float
    pii_rate: float  # findings per request
    subject_ratio: float  # distinct subjects per finding
    night: float  # night level as a fraction of the peak
    weekend: float  # weekend factor
    noise: float  # sigma of the log-normal noise on the request rate


def profiles(rng: np.random.Generator, n: int) -> list[Profile]:
    names = ["payments", "analytics", "email", "support", "logging", "ai-api", "crm", "cdn-forms", "sms", "search"]
    out = []
    for i in range(n):
        out.append(
            Profile(
                name=names[i % len(names)] + ("" if i < len(names) else f"-{i}"),
                peak_requests=float(np.exp(rng.uniform(np.log(300), np.log(5000)))),
                bytes_per_request=float(np.exp(rng.uniform(np.log(800), np.log(60000)))),
                pii_rate=float(rng.uniform(0.05, 1.5)),
                subject_ratio=float(rng.uniform(0.3, 0.9)),
                night=float(rng.uniform(0.1, 0.3)),
                weekend=float(rng.uniform(0.3, 0.8)),
                noise=float(rng.uniform(0.08, 0.2)),
            )
        )
    return out


def level(p: Profile, i: np.ndarray, day_factor: np.ndarray) -> np.ndarray:
    """Expected requests per window at window index i (daily bell around 14:00, weekends,
    a random level per day)."""
    hour = (i % PER_DAY) * 24.0 / PER_DAY
    day = (i // PER_DAY) % 7
    daily = p.night + (1 - p.night) * np.exp(-0.5 * ((hour - 14.0) / 3.5) ** 2)
    weekly = np.where(day >= 5, p.weekend, 1.0)
    return p.peak_requests * daily * weekly * day_factor[i // PER_DAY]


@dataclass
class Injection:
    kind: str
    start: int
    length: int
    mult: float = 0.0


def lay_injections(rng: np.random.Generator, lo: int, hi: int) -> list[Injection]:
    """Injections in [lo, hi) at least a day apart, each kind and multiplier represented."""
    kinds = [("burst", 2), ("burst", 3), ("burst", 5), ("burst", 10), ("offhours", 0), ("subjects", 0), ("burst", 3),
             ("burst", 5), ("ramp", 0), ("burst", 2), ("burst", 10), ("offhours", 0)]
    rng.shuffle(kinds)
    out: list[Injection] = []
    t = lo + int(rng.integers(PER_DAY // 4, PER_DAY))
    for kind, m in kinds:
        if kind == "offhours":  # move to 01:00-04:59 of the current day
            t = (t // PER_DAY + 1) * PER_DAY + int(rng.integers(12, 60))
            inj = Injection(kind, t, int(rng.integers(2, 7)))
        elif kind == "ramp":
            inj = Injection(kind, t, int(rng.integers(2, 5)) * PER_DAY)
        elif kind == "subjects":
            inj = Injection(kind, t, int(rng.integers(3, 7)))
        else:
            inj = Injection(kind, t, int(rng.integers(1, 4)), float(m))
        if inj.start + inj.length >= hi:
            break
        out.append(inj)
        t = inj.start + inj.length + PER_DAY + int(rng.integers(0, PER_DAY // 2))
    return out


def generate(rng: np.random.Generator, p: Profile, n: int, injections: list[Injection]) -> list[WindowCounts]:
    idx = np.arange(n)
    day_factor = np.exp(rng.normal(0.0, 0.05, n // PER_DAY + 1))  # busier and quieter days
    lam = level(p, idx, day_factor) * np.exp(rng.normal(0.0, p.noise, n))
    vol = np.ones(n)  # multiplier on requests/bytes/findings/subjects
    bytes_mult = np.ones(n)
    subj_mult = np.ones(n)
    for inj in injections:
        s = slice(inj.start, inj.start + inj.length)
        if inj.kind == "burst":
            vol[s] *= inj.mult
        elif inj.kind == "offhours":
            bytes_mult[s] *= rng.uniform(20, 50)
            vol[s] *= rng.uniform(1.5, 3)
            subj_mult[s] *= rng.uniform(10, 30)
        elif inj.kind == "ramp":
            vol[s] *= 1.0 + 2.0 * np.arange(inj.length) / inj.length
        elif inj.kind == "subjects":
            subj_mult[s] *= 10.0
    req = rng.poisson(lam * vol).astype(float)
    byt = req * p.bytes_per_request * np.exp(rng.normal(0.0, 0.1, n)) * bytes_mult
    find = rng.poisson(req * p.pii_rate).astype(float)
    subj = np.minimum(rng.poisson(find * p.subject_ratio * subj_mult), np.maximum(find, 1) * subj_mult).astype(float)
    # a deploy now and then introduces a few new field paths
    newp = np.where(rng.random(n) < 2.0 / PER_WEEK, rng.integers(1, 4, n), 0).astype(float)
    return [WindowCounts(float(b), float(r), float(f), float(s), float(q)) for b, r, f, s, q in zip(byt, req, find, subj, newp)]


def run(seed: int, n_sub: int, warmup_weeks: int, eval_weeks: int, config: AnomalyConfig) -> dict:
    rng = np.random.default_rng(seed)
    subs = profiles(rng, n_sub)
    n = (warmup_weeks + eval_weeks) * PER_WEEK
    lo = warmup_weeks * PER_WEEK
    data, inj = {}, {}
    for p in subs:
        inj[p.name] = lay_injections(rng, lo, n)
        data[p.name] = generate(rng, p, n, inj[p.name])
    scorers = EntityScorers(config)
    builders = {p.name: FeatureBuilder(FeatureParams(window_seconds=STEP)) for p in subs}
    alerts = {p.name: np.zeros(n, bool) for p in subs}
    t0 = time.perf_counter()
    for i in range(n):
        ts = float(START + i * STEP)
        for p in subs:
            feats = builders[p.name](ts, data[p.name][i])
            score = scorers.update(p.name, ts, feats)
            if score >= config.threshold:
                alerts[p.name][i] = True
                scorers.mark_alerted(p.name)
    elapsed = time.perf_counter() - t0

    det = defaultdict(list)  # key -> list of delays (None: missed)
    false_alerts = 0
    warm_alerts = 0
    for p in subs:
        a = alerts[p.name]
        covered = np.zeros(n, bool)
        for j in inj[p.name]:
            covered[j.start : j.start + j.length + GRACE] = True
            hits = np.nonzero(a[j.start : j.start + j.length])[0]
            delay = int(hits[0]) if len(hits) else None
            key = f"burst x{j.mult:g}" if j.kind == "burst" else j.kind
            det[key].append(delay)
        false_alerts += int((a[lo:] & ~covered[lo:]).sum())
        warm_alerts += int(a[:lo].sum())
    return {
        "det": dict(det),
        "false_per_sub_week": false_alerts / (n_sub * eval_weeks),
        "warmup_alerts_per_sub_week": warm_alerts / (n_sub * warmup_weeks),
        "elapsed": elapsed,
        "updates": n * n_sub,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--subprocessors", type=int, default=12)
    ap.add_argument("--warmup-weeks", type=int, default=3)
    ap.add_argument("--eval-weeks", type=int, default=2)
    ap.add_argument("--config", default=None, help="JSON object of AnomalyConfig fields")
    a = ap.parse_args(argv)
    config = AnomalyConfig.from_dict(json.loads(a.config) if a.config else None)
    r = run(a.seed, a.subprocessors, a.warmup_weeks, a.eval_weeks, config)

    print(f"generated egress: {a.subprocessors} sub-processors, 5-min windows, {a.warmup_weeks} clean weeks + "
          f"{a.eval_weeks} weeks with injections, seed {a.seed}, threshold {config.threshold}")
    print(f"{'injection':14s} {'n':>3s} {'detected':>9s} {'<=2 windows':>12s} {'median delay':>13s} {'max delay':>10s}")

    def row(key, delays, unit=1, label="windows"):
        got = [d for d in delays if d is not None]
        fast = f"{100 * sum(1 for d in got if d <= 1) / len(delays):.0f}%" if label == "windows" else "n/a"
        med = f"{np.median(got) / unit:.1f}" if got else "-"
        mx = f"{max(got) / unit:.1f}" if got else "-"
        print(f"{key:14s} {len(delays):3d} {100 * len(got) / len(delays):8.0f}% {fast:>12s} {med:>13s} {mx:>10s}"
              + ("" if label == "windows" else f"  ({label})"))

    order = sorted((k for k in r["det"] if k.startswith("burst")), key=lambda k: float(k.split("x")[1]))
    for key in order + ["offhours", "subjects"]:
        if key in r["det"]:
            row(key, r["det"][key])
    if "ramp" in r["det"]:
        row("ramp", r["det"]["ramp"], unit=12, label="delays in hours")
    big = [d for k in order if float(k.split("x")[1]) >= 3 for d in r["det"][k]]
    if big:
        caught = sum(1 for d in big if d is not None and d <= 1)
        print(f"bursts >= 3x caught within two windows: {caught}/{len(big)} = {100 * caught / len(big):.1f}%  (target >= 95%)")
    print(f"false alerts per sub-processor per week: {r['false_per_sub_week']:.2f}  (target <= 1; "
          f"warm-up weeks, not counted: {r['warmup_alerts_per_sub_week']:.2f})")
    print(f"run time: {r['elapsed']:.1f} s for {r['updates']} updates ({1e6 * r['elapsed'] / r['updates']:.0f} us/update incl. features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
