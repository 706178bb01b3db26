"""Protocol Buffers bodies: the detectors on OTLP log exports, as protobuf and as the
same data in OTLP/JSON, side by side.

    python bench/protobuf.py [--records 1000] [--batches 20] [--seed 7]

Builds seeded OTLP ``ExportLogsServiceRequest`` batches with opentelemetry-proto (the
classes every exporter uses): log lines that mention customers' e-mails and card
numbers, attributes with client addresses, user names and phone numbers, trace ids.
Prints, for each encoding, MB/s and microseconds per log record through
``Scanner.scan_request`` (one core, CPU time), the schema-less protobuf reader alone,
and the findings per category, which must be the same in both encodings.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.pii import Scanner  # noqa: E402
from detectors.pii.protobuf import pb_fields  # noqa: E402
from detectors.pii.structure import pb_key  # noqa: E402

FIRST = ["jane", "omar", "li", "sanne", "piotr", "maria", "kofi", "aiko"]
LAST = ["doe", "haddad", "wei", "de vries", "kowalski", "gonzalez", "mensah", "tanaka"]


def batches(n_batches: int, records: int, seed: int):
    from google.protobuf.json_format import MessageToJson
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource

    rng = random.Random(seed)

    def kv(k, v):
        a = AnyValue(string_value=v) if isinstance(v, str) else AnyValue(int_value=v)
        return KeyValue(key=k, value=a)

    out = []
    for b in range(n_batches):
        recs = []
        for i in range(records):
            f, l = rng.choice(FIRST), rng.choice(LAST)
            email = f"{f}.{l.replace(' ', '')}{rng.randint(1, 99999)}@example.com"
            line = rng.choice([
                f"GET /api/v1/orders/{rng.randint(1, 10**6)} 200 {rng.random():.3f}s",
                f"password reset sent to {email}",
                f"payment declined card 4242 4242 4242 4242 for order {rng.randint(1, 10**6)}",
                f"cache miss key=sess:{rng.getrandbits(64):016x}",
            ])
            attrs = [kv("http.method", rng.choice(["GET", "POST"])), kv("http.status_code", rng.choice([200, 404, 500])),
                     kv("trace_id", f"{rng.getrandbits(128):032x}"),
                     kv("client.address", f"81.2.{rng.randint(0, 255)}.{rng.randint(1, 254)}")]
            if rng.random() < 0.3:
                attrs.append(kv("user.full_name", f"{f.title()} {l.title()}"))
            if rng.random() < 0.2:
                attrs.append(kv("user.phone", f"+44 20 7946 {rng.randint(0, 9999):04d}"))
            recs.append(LogRecord(time_unix_nano=1_700_000_000_000_000_000 + i, severity_text="INFO",
                                  body=AnyValue(string_value=line), attributes=attrs))
        req = ExportLogsServiceRequest(resource_logs=[ResourceLogs(
            resource=Resource(attributes=[kv("service.name", f"svc-{b}")]),
            scope_logs=[ScopeLogs(log_records=recs)])])
        out.append((req.SerializeToString(), MessageToJson(req, indent=None).encode()))
    return out


def timed(fn, items, reps: int = 3) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.process_time()
        for it in items:
            fn(it)
        best = min(best, time.process_time() - t)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1000, help="log records per export")
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    data = batches(args.batches, args.records, args.seed)
    n_records = args.batches * args.records
    scanner = Scanner({"time_budget_ms": 60_000})
    pb = [d[0] for d in data]
    js = [d[1] for d in data]
    found = {}
    for name, bodies, ctype in (("protobuf", pb, "application/x-protobuf"), ("OTLP/JSON", js, "application/json")):
        cats: Counter = Counter()
        for body in bodies:
            cats.update(f.category for f in scanner.scan_request("POST", "/v1/logs", [], body, ctype))
        found[name] = cats
        dt = timed(lambda body, ctype=ctype: scanner.scan_request("POST", "/v1/logs", [], body, ctype), bodies)
        size = sum(map(len, bodies))
        print(f"{name:9s}: {size / 1e6:6.2f} MB  {size / dt / 1e6:6.1f} MB/s  {dt / n_records * 1e6:5.1f} us a log record"
              f"  findings {sum(cats.values())}")
    dt = timed(lambda body: pb_fields(body, pb_key), pb)
    print(f"protobuf reader alone: {sum(map(len, pb)) / dt / 1e6:.1f} MB/s, {dt / n_records * 1e6:.1f} us a log record")
    print("findings by category:", dict(sorted(found["protobuf"].items())))
    same = found["protobuf"] == found["OTLP/JSON"]
    print(f"same findings in both encodings: {'yes' if same else 'NO ' + str(dict(found['OTLP/JSON']))}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
