"""Parse-only throughput of the log parsers, and of the ClickHouse (chDB) fast path.

    python bench/parse_logs.py [--lines 1000000] [--families squid,nginx,envoy]
                               [--dir /tmp/sentinel-bench] [--no-fastpath]

Generates seeded, realistic logs (sub-processor hosts, API paths with query strings)
once into --dir, then prints lines/s for:
  parse      parser.parse() over lines already in memory (the parser alone)
  file       parse_file(): read, decode, record joining and parse
  py->arrow  parse_file_arrow(engine="python"): parse_file() plus building the Arrow table
  clickhouse parse_file_arrow(engine="clickhouse"): chDB LineAsString + SQL, same table
wall and CPU seconds are both shown: CPU time (all threads) is the fairer figure on a
shared machine; chDB may use several cores, so its wall time can be lower than its CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentinel.collect.logs import make_parser, parse_file  # noqa: E402

HOSTS = [
    ("api.stripe.com", ["/v1/charges?customer=cus_{id}&limit=10", "/v1/payment_intents", "/v1/customers/cus_{id}"]),
    ("api.segment.io", ["/v1/track", "/v1/batch", "/v1/identify?userId={id}&email=user{id}%40example.com"]),
    ("api.mixpanel.com", ["/track?ip=1&verbose=1", "/engage?data={b64}"]),
    ("hooks.slack.com", ["/services/T0{id}/B0{id}/XXXXXXXX"]),
    ("api.sendgrid.com", ["/v3/mail/send", "/v3/marketing/contacts?email=jane{id}%40example.org"]),
    ("api.openai.com", ["/v1/chat/completions", "/v1/embeddings"]),
    ("o450123.ingest.sentry.io", ["/api/5512345/envelope/?sentry_key=abc{id}&sentry_version=7"]),
    ("api.intercom.io", ["/contacts/search", "/events?user_id={id}"]),
    ("www.google-analytics.com", ["/g/collect?v=2&tid=G-ABC123&cid={id}.{id}&en=page_view&dl=https%3A%2F%2Fshop.example%2Fcart"]),
    ("api.twilio.com", ["/2010-04-01/Accounts/AC{id}/Messages.json"]),
    ("events.pagerduty.com", ["/v2/enqueue"]),
    ("api.hubapi.com", ["/crm/v3/objects/contacts?limit=100&after={id}"]),
]
METHODS = ["GET"] * 5 + ["POST"] * 4 + ["PUT", "DELETE"]
UAS = ["stripe-python/7.1.0", "analytics-python/2.2.2", "python-requests/2.31.0", "Go-http-client/1.1",
       "okhttp/4.12.0", "curl/8.4.0", "openai-python/1.12.0"]  # fmt: skip


# A sub-processor answers from a handful of addresses.
_ADDRS = {h: [f"52.{17 * i % 256}.{(31 * i + k) % 256}.{k + 7}" for k in range(4)] for i, (h, _) in enumerate(HOSTS)}


def _pick(rng: random.Random) -> tuple[str, str, str]:
    host, paths = rng.choice(HOSTS)
    path = rng.choice(paths).format(id=rng.randrange(10**6, 10**7), b64="eyJldmVudCI6InNpZ251cCJ9")
    return host, path, rng.choice(METHODS)


def _addr(rng: random.Random, host: str) -> str:
    return rng.choice(_ADDRS[host])


def gen_squid(n: int, rng: random.Random):
    t = 1_700_000_000.0
    for _ in range(n):
        t += rng.random() * 0.01
        host, path, method = _pick(rng)
        client = f"10.0.{rng.randrange(4)}.{rng.randrange(2, 250)}"
        if rng.random() < 0.3:
            yield (f"{t:.3f} {rng.randrange(1, 90000):6d} {client} TCP_TUNNEL/200 {rng.randrange(100, 90000)} "
                   f"CONNECT {host}:443 - HIER_DIRECT/{_addr(rng, host)} -\n")  # fmt: skip
        else:
            yield (f"{t:.3f} {rng.randrange(1, 9000):6d} {client} TCP_MISS/{rng.choice((200, 200, 201, 404))} "
                   f"{rng.randrange(200, 90000)} {method} https://{host}{path} - "
                   f"HIER_DIRECT/{_addr(rng, host)} application/json\n")  # fmt: skip


_MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def gen_nginx(n: int, rng: random.Random):
    t = 1_700_000_000
    for _ in range(n):
        t += rng.random() < 0.2
        host, path, method = _pick(rng)
        tm = time.gmtime(t)
        stamp = f"{tm.tm_mday:02d}/{_MON[tm.tm_mon - 1]}/{tm.tm_year}:{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000"
        yield (f'10.1.{rng.randrange(4)}.{rng.randrange(2, 250)} - - [{stamp}] "{method} {path} HTTP/1.1" '
               f'{rng.choice((200, 200, 201, 204, 404))} {rng.randrange(0, 50000)} "-" "{rng.choice(UAS)}"\n')  # fmt: skip


def gen_envoy_json(n: int, rng: random.Random):
    t = 1_700_000_000.0
    for _ in range(n):
        t += rng.random() * 0.01
        host, path, method = _pick(rng)
        ms = int(t * 1000)
        rec = {
            "start_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z",
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "response_code": rng.choice((200, 200, 201, 404, 503)),
            "response_flags": "-",
            "response_code_details": "via_upstream",
            "connection_termination_details": None,
            "upstream_transport_failure_reason": None,
            "bytes_received": rng.randrange(0, 20000),
            "bytes_sent": rng.randrange(0, 90000),
            "duration": rng.randrange(1, 3000),
            "upstream_service_time": str(rng.randrange(1, 3000)),
            "x_forwarded_for": None,
            "user_agent": rng.choice(UAS),
            "request_id": f"{rng.getrandbits(128):032x}",
            "authority": host,
            "upstream_host": f"{_addr(rng, host)}:443",
            "upstream_cluster": f"outbound|443||{host}",
            "upstream_local_address": f"10.2.0.{rng.randrange(2, 250)}:{rng.randrange(30000, 60000)}",
            "downstream_local_address": "10.2.0.1:443",
            "downstream_remote_address": f"10.3.{rng.randrange(4)}.{rng.randrange(2, 250)}:{rng.randrange(30000, 60000)}",
            "requested_server_name": None,
            "route_name": "allow_any",
        }
        yield json.dumps(rec, separators=(",", ":")) + "\n"


GENERATORS = {"squid": ("squid", gen_squid), "nginx": ("nginx", gen_nginx), "envoy": ("envoy", gen_envoy_json)}


def ensure_file(directory: Path, family: str, n: int) -> Path:
    path = directory / f"{family}-{n}.log"
    if not path.exists():
        rng = random.Random(f"sentinel-{family}")
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(GENERATORS[family][1](n, rng))
        os.replace(tmp, path)
    return path


def _row(family: str, mode: str, n: int, t0: float, c0: float, note: str) -> None:
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{family:8} {mode:10} {n:9d} {wall:7.2f} {cpu:7.2f} {n / wall:9,.0f} {n / cpu:11,.0f}  {note}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--families", default="squid,nginx,envoy")
    ap.add_argument("--dir", default="/tmp/sentinel-bench")
    ap.add_argument("--no-fastpath", action="store_true")
    args = ap.parse_args()
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    print(f"{'family':8} {'mode':9} {'lines':>9} {'wall s':>7} {'cpu s':>7} {'lines/s':>9} {'lines/cpu-s':>11}  events/errors")
    for family in args.families.split(","):
        parser_family = GENERATORS[family][0]
        path = ensure_file(directory, family, args.lines)
        with open(path, encoding="utf-8") as f:
            lines = [ln.rstrip("\n") for ln in f]
        parser = make_parser(parser_family)
        parse = parser.parse
        t0, c0 = time.perf_counter(), time.process_time()
        ok = 0
        for ln in lines:
            if parse(ln) is not None:
                ok += 1
        _row(family, "parse", len(lines), t0, c0, f"{ok}/{len(lines) - ok}")
        del lines
        t0, c0 = time.perf_counter(), time.process_time()
        n = errs = 0
        for _, item in parse_file(path, parser_family):
            n += 1
            errs += isinstance(item, ValueError)
        _row(family, "file", n, t0, c0, f"{n - errs}/{errs}")
        if not args.no_fastpath:
            try:
                from sentinel.collect.logs import fastpath
            except ImportError as exc:  # chdb missing
                print(f"{family:8} fastpath unavailable: {exc}")
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            res = fastpath.parse_file_arrow(path, parser_family, engine="python")
            _row(family, "py->arrow", res.table.num_rows + len(res.errors), t0, c0, "parse_file() + Arrow table: what ClickHouse returns")
            t0, c0 = time.perf_counter(), time.process_time()
            res = fastpath.parse_file_arrow(path, parser_family, engine="clickhouse")
            n = res.table.num_rows + len(res.errors)
            _row(family, "clickhouse", n, t0, c0, f"{res.table.num_rows}/{len(res.errors)} (fallback lines {res.fallback_lines})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
