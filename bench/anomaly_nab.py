#!/usr/bin/env python3
"""NAB benchmark of detectors.anomaly.StreamScorer.

Runs one StreamScorer per NAB file (realAWSCloudwatch + realTraffic subset), one update per
row, with ONE config for every file (the default AnomalyConfig unless --config), and prints
the NAB standard, reward-low-FP and reward-low-FN scores (normalised: 0 = never fires,
100 = perfect) from the shared re-implementation of NAB's scorer, plus run time.

    python bench/anomaly_nab.py [--nab ../shared/data/nab] [--tools ../shared/tools]
                                [--config '{"window": 2000}'] [--mark-alerted] [--per-file]

--mark-alerted calls mark_alerted() on every row scoring at or above the config threshold
(how the daemon uses it); NAB picks its own threshold afterwards, so this is off by default.
Single-threaded: set OMP/BLAS thread counts to 1 before numpy loads.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from detectors.anomaly import AnomalyConfig, StreamScorer  # noqa: E402

PUBLISHED = "published whole-corpus: ARTime 74.9, Numenta HTM 70.1, CAD OSE 69.9; rolling z-score ~40 on this subset"


def score_file(df, config: AnomalyConfig, mark_alerted: bool) -> np.ndarray:
    scorer = StreamScorer(config)
    out = np.empty(len(df))
    for i, (ts, v) in enumerate(zip(df["timestamp"].to_numpy(), df["value"].to_numpy(float))):
        out[i] = scorer.update(ts, float(v))
        if mark_alerted and out[i] >= config.threshold:
            scorer.mark_alerted()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nab", default=str(REPO.parent / "shared" / "data" / "nab"), help="NAB dir with data/ and labels/")
    ap.add_argument("--tools", default=str(REPO.parent / "shared" / "tools"), help="dir holding nab_score.py")
    ap.add_argument("--config", default=None, help="JSON object of AnomalyConfig fields")
    ap.add_argument("--mark-alerted", action="store_true", help="keep rows >= config threshold out of training")
    ap.add_argument("--per-file", action="store_true", help="print the standard-profile score of each file")
    a = ap.parse_args(argv)

    sys.path.insert(0, a.tools)
    from nab_score import NabCorpus

    config = AnomalyConfig.from_dict(json.loads(a.config) if a.config else None)
    corpus = NabCorpus(a.nab)
    data = {rel: corpus.load(rel) for rel in corpus.files}
    t0 = time.perf_counter()
    scores = {rel: score_file(df, config, a.mark_alerted) for rel, df in data.items()}
    elapsed = time.perf_counter() - t0
    rows = sum(len(df) for df in data.values())

    print(f"NAB subset: {len(corpus.files)} files, {rows} rows, {corpus.n_windows} anomaly windows")
    print(f"config: {json.dumps(config.to_dict())}" + ("  (mark_alerted on)" if a.mark_alerted else ""))
    results = corpus.score_all_profiles(scores)
    for profile, r in results.items():
        print(f"  {profile:20s} {r['normalized']:6.2f}   (threshold {r['threshold']:.4f})")
    std = results["standard"]
    if a.per_file:
        for rel, pf in std["per_file"].items():
            print(f"    {rel:60s} {pf['score']:6.2f}  fp_rows={pf['fp_rows']}")
    print(f"run time: {elapsed:.1f} s ({1e6 * elapsed / rows:.0f} us/row, single thread)")
    print(PUBLISHED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
