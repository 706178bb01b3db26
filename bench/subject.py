"""Time a data-subject lookup (`sentinel subject`) over many stored findings, with the
value_hash bloom filter of migration 4 and without it.

    python bench/subject.py [--findings 10000000] [--identifiers 10]

Findings are generated inside embedded ClickHouse (five sub-processors, three categories,
2,000,000 data subjects, a second apart), merged into one part set, then looked up by the
keyed hashes of --identifiers random subjects through sentinel.subject.lookup: the query,
the policy judgement of each row and the transfer, as the command runs them. Best of 5
lookups, each for other subjects, with the query condition cache off (it would otherwise
remember the first lookup's granules). Then the erasure of one subject (`sentinel subject
--erase --yes`): its findings deleted by a mutation that rewrites the parts holding them,
and the rollup minutes that counted them recomputed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentinel import subject  # noqa: E402
from sentinel.config import load_settings  # noqa: E402
from sentinel.store import Store  # noqa: E402

SUBJECTS = 2_000_000


def best_lookup(store: Store, identifiers: int) -> float:
    best = float("inf")
    for _ in range(5):
        # The stored hash is SHA-256 hex of the subject's number, as the generator wrote it.
        hashes = [hashlib.sha256(str(random.randrange(SUBJECTS)).encode()).hexdigest().upper()
                  for _ in range(identifiers)]
        started = time.perf_counter()
        rows = subject.lookup(store, store.settings, hashes)
        best = min(best, time.perf_counter() - started)
        assert rows, "every subject has findings"
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--findings", type=int, default=10_000_000)
    ap.add_argument("--identifiers", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sentinel.toml"
        config.write_text(f'data_dir = "{tmp}/data"\n')
        store = Store.open(load_settings(config))
        store.migrate()
        store.client.command("SET use_query_condition_cache = 0")
        table = store.table("findings")
        print(f"generating {args.findings:,} findings ...", flush=True)
        store.client.command(
            f"INSERT INTO {table} (event_id, ts, subprocessor, registrable_domain, category, field_path, method, "
            f"endpoint, value_hash) SELECT number, now64(3) - toIntervalSecond({args.findings} - number), "
            f"['stripe','segment','mixpanel','openai','sentry'][number % 5 + 1] AS sub, concat(sub, '.com'), "
            f"['EMAIL','PHONE_NUMBER','PERSON'][number % 3 + 1], '$.email', 'POST', '/v1/track', "
            f"hex(SHA256(toString(number % {SUBJECTS}))) FROM numbers({args.findings})")
        store.client.command(f"OPTIMIZE TABLE {table} FINAL")
        with_index = best_lookup(store, args.identifiers)
        one = [hashlib.sha256(str(random.randrange(SUBJECTS)).encode()).hexdigest().upper()]
        started = time.perf_counter()
        erasure = subject.erase(store, one)
        erase_seconds = time.perf_counter() - started
        assert erasure.findings and not subject.lookup(store, store.settings, one)
        sizes = store.query("SELECT sum(data_compressed_bytes), sum(secondary_indices_compressed_bytes) "
                            "FROM system.parts WHERE database = %(db)s AND table = 'findings' AND active",
                            {"db": store.ctx.database}).result_rows[0]
        store.client.command(f"ALTER TABLE {table} DROP INDEX value_hash_bloom")
        without = best_lookup(store, args.identifiers)
        store.close()
    print(f"lookup of {args.identifiers} identifiers over {args.findings:,} findings (best of 5): "
          f"{with_index * 1000:.0f} ms with the value_hash bloom filter, {without * 1000:.0f} ms without "
          f"({without / with_index:.1f}x); the filter takes {sizes[1] / 2**20:.1f} MiB beside "
          f"{sizes[0] / 2**20:.0f} MiB of findings ({sizes[1] / sizes[0]:.1%})")
    print(f"erasure of one subject ({erasure.findings} findings, {erasure.minutes} rollup minutes recomputed) over "
          f"{args.findings:,} findings: {erase_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
