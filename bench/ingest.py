"""End-to-end backfill throughput: parse + classify + mask + insert into embedded chDB.

    python bench/ingest.py [--lines 1000000] [--families squid,nginx,envoy] [--detect] [--per-event]

Generates (once, cached in --dir) a large seeded log per family with the generator of
bench/parse_logs.py, then runs the same Ingestor `sentinel ingest` uses, single
process, into a fresh embedded store, and prints lines/s (wall and CPU). With
--detect the PII/secret scanner also runs over every URL with a query string or a path
that may hold data (sentinel.redact.path_may_hold_data).
Files of a fast-path family go through the columnar path (sentinel/ingest_columnar.py);
--per-event forces the per-event Pipeline.add_events path, for comparison.
Target (issue #3): >= 150,000 lines/s for Squid, nginx combined and Envoy JSON.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from parse_logs import ensure_file  # noqa: E402

from sentinel import ingest_columnar  # noqa: E402
from sentinel.collect.checkpoint import CheckpointStore  # noqa: E402
from sentinel.config import load_settings  # noqa: E402
from sentinel.ingest import Ingestor, expand  # noqa: E402
from sentinel.runtime import build_pipeline  # noqa: E402
from sentinel.store import Store  # noqa: E402

FAMILY_FORMAT = {"squid": "squid", "nginx": "nginx", "envoy": "envoy"}


def run(path: Path, family: str, detect: bool) -> tuple[int, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "s.toml"
        config.write_text(f'data_dir = "{tmp}"\n[storage]\nbatch_rows = 100000\nbatch_seconds = 30\n')
        settings = load_settings(config)
        store = Store.open(settings)
        try:
            store.migrate()
            pipeline = build_pipeline(settings, store, detect=detect)
            ingestor = Ingestor(pipeline, CheckpointStore(Path(tmp) / "cp", filename="i.json"), settings,
                                log_format=FAMILY_FORMAT[family],
                                log_options={"dst_host": "api.segment.io"} if family == "nginx" else None)
            wall, cpu = time.perf_counter(), time.process_time()
            ingestor.ingest(expand([path]))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            stored = store.query("SELECT count() FROM {db}.events").result_rows[0][0]
        finally:
            store.close()
    return pipeline.summary.events, wall, cpu, stored


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--families", default="squid,nginx,envoy")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "sentinel-bench"))
    parser.add_argument("--detect", action="store_true", help="also scan URLs for PII and secrets")
    parser.add_argument("--per-event", action="store_true", help="not the columnar path: event by event")
    args = parser.parse_args()
    if args.per_event:
        ingest_columnar.MIN_BYTES = 1 << 62
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    print(f"{'family':<8}{'lines':>11}{'stored':>11}{'wall s':>9}{'cpu s':>8}{'lines/s wall':>14}{'lines/s cpu':>13}"
          f"  detection  path")
    for family in args.families.split(","):
        path = ensure_file(directory, family, args.lines)
        events, wall, cpu, stored = run(path, family, args.detect)
        print(f"{family:<8}{events:>11,}{stored:>11,}{wall:>9.2f}{cpu:>8.2f}{events / wall:>14,.0f}"
              f"{events / cpu:>13,.0f}  {'on' if args.detect else 'off':<9}  "
              f"{'per-event' if args.per_event else 'columnar'}", flush=True)
    print("target: >= 150,000 lines/s (parse + classify + insert, single process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
