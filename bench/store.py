"""Insert 1,000,000 events through the writer into embedded chDB; time the rollup query.

    python bench/store.py [--rows 1000000] [--batch 250000] [--cores 1]

Prints rows/s for two ways in: row tuples (what collectors hand the writer) and
ready Arrow columns, then the time of the per-sub-processor volume rollup over
what was inserted, from the raw events and from the per-minute rollup table.
The process (chDB's threads with it) is pinned to --cores CPUs, so wall-clock rows/s
is what that many cores sustain, background merges included; the merges one path
leaves behind are finished (OPTIMIZE, untimed) before the next path starts.
--batch is rows per insert: 250k is what the columnar backfill inserts at a time
(sentinel/ingest_columnar.py SLICE_ROWS); the daemon's storage.batch_rows is 50k.
Target (issue #2): at least 500,000 rows/s on one core.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentinel.config import load_settings  # noqa: E402
from sentinel.store import Store  # noqa: E402
from sentinel.store.writer import to_arrow  # noqa: E402

COLUMNS = ("event_id", "ts", "source", "src_ip", "dst_host", "dst_ip", "dst_port", "registrable_domain",
           "subprocessor", "method", "scheme", "path", "query", "status", "bytes_out", "bytes_in", "duration_ms",
           "tls_version", "user_agent", "origin", "offset")
HOSTS = [("api.stripe.com", "stripe.com", "stripe"), ("api.segment.io", "segment.io", "segment"),
         ("api.sendgrid.com", "sendgrid.com", "sendgrid"), ("o1.ingest.sentry.io", "sentry.io", "sentry"),
         ("api.openai.com", "openai.com", "openai"), ("api.twilio.com", "twilio.com", "twilio"),
         ("cdn.unknown-tracker.example", "unknown-tracker.example", "")]
PATHS = ["/v1/customers", "/v1/track", "/v3/mail/send", "/api/{id}/store/", "/v1/chat/completions", "/2010-04-01/Accounts/{token}/Messages.json"]


def make_rows(n: int, start: int, now: float) -> list[tuple]:
    rnd = random.Random(start)
    rows = []
    for i in range(start, start + n):
        host, domain, sub = HOSTS[i % len(HOSTS)]
        rows.append((i, now - rnd.random() * 86400, "squid", f"10.0.{i % 250}.{i % 200}", host,
                     f"198.51.100.{i % 250}", 443, domain, sub, "POST", "https", PATHS[i % len(PATHS)], "a=*",
                     200, rnd.randrange(200, 20000), rnd.randrange(100, 5000), rnd.random() * 300, "TLSv1.3",
                     "python-requests/2.32", "f00dfeed", i * 120))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=250_000)
    parser.add_argument("--cores", type=int, default=1, help="CPUs to pin the process to (0: no pinning)")
    args = parser.parse_args()
    if args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cores])

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SENTINEL_DATA_DIR"] = tmp
        os.environ.pop("SENTINEL_CONFIG", None)
        settings = load_settings()
        store = Store.open(settings)
        store.migrate()
        now = time.time()
        print(f"generating {args.rows:,} events ...", flush=True)
        chunks = [make_rows(min(args.batch, args.rows - s), s, now) for s in range(0, args.rows, args.batch)]

        writer = store.writer()
        writer.batch_rows = args.batch
        started, cpu = time.perf_counter(), time.process_time()
        for chunk in chunks:
            writer.add("events", COLUMNS, chunk)
        writer.flush()
        tuples_s, tuples_cpu = time.perf_counter() - started, time.process_time() - cpu
        store.client.command(f"OPTIMIZE TABLE {store.table('events')} FINAL")

        # Columnar path: rows already in Arrow form (e.g. ClickHouse-parsed backfill).
        tables = [to_arrow("events", COLUMNS, [(r[0] + args.rows,) + r[1:] for r in chunk]) for chunk in chunks]
        started, cpu = time.perf_counter(), time.process_time()
        for table in tables:
            writer.add_arrow("events", table)
        writer.flush()
        arrow_s, arrow_cpu = time.perf_counter() - started, time.process_time() - cpu

        total = store.query("SELECT count() FROM {db}.events").result_rows[0][0]
        assert total == 2 * args.rows, total

        query = ("SELECT subprocessor, toStartOfFiveMinutes(ts) AS w, count(), sum(bytes_out) FROM {db}.events "
                 "GROUP BY subprocessor, w ORDER BY subprocessor, w")
        rollup = ("SELECT subprocessor, toStartOfFiveMinutes(minute) AS w, sum(requests), sum(bytes_out) "
                  "FROM {db}.traffic_1m GROUP BY subprocessor, w ORDER BY subprocessor, w")
        timings = {}
        for name, sql in (("raw events", query), ("traffic_1m rollup", rollup)):
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                result = store.query(sql).result_rows
                best = min(best, time.perf_counter() - t0)
            timings[name] = (best, len(result))
        store.close()

    print()
    load = os.getloadavg()[0]
    print(f"{args.batch:,} rows per insert")
    print(f"{'path':<36}{'rows':>11}{'wall s':>8}{'cpu s':>8}{'rows/s wall':>13}{'rows/s cpu':>12}")
    for name, wall, cpu in (("writer.add (row tuples -> Arrow)", tuples_s, tuples_cpu),
                            ("writer.add_arrow (columns)", arrow_s, arrow_cpu)):
        print(f"{name:<36}{args.rows:>11,}{wall:>8.2f}{cpu:>8.2f}{args.rows / wall:>13,.0f}{args.rows / cpu:>12,.0f}")
    pinned = f"pinned to {len(os.sched_getaffinity(0))} of {os.cpu_count()} cores" if args.cores else "not pinned"
    print(f"({pinned}, load average {load:.1f}; cpu s counts every thread, chDB's included)")
    print()
    print("per-sub-processor 5-minute volume over", f"{total:,}", "events (best of 3):")
    for name, (seconds, n) in timings.items():
        print(f"  {name:<24}{seconds * 1000:>8.1f} ms  ({n} windows)")
    print(f"\ntarget: >= 500,000 rows/s insert on one core -> row tuples {'MET' if args.rows / tuples_s >= 500_000 else 'MISSED'},"
          f" columns {'MET' if args.rows / arrow_s >= 500_000 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
