"""AWS VPC (and Transit Gateway) flow logs, versions 2 to 6.

The field order comes from, in turn: a header line in the file (S3 delivery; may
reappear mid-file and then switches the format), option `format` (the flow log's
LogFormat string '${version} ${srcaddr} ...' or a list of names; needed for CloudWatch
delivery of custom formats, which has no header), or the v2 default format.
CloudWatch Logs subscription envelopes (`{"messageType", "logEvents": [{"message"}]}`,
also gzip+base64 inside `{"awslogs": {"data"}}`) hold many records: use `parse_all`
(parse_file does); `parse` on an envelope holding other than one record is an error.

Mapping: start -> ts (else the CloudWatch event timestamp), (end - start) -> duration_ms
(the capture window, not the connection), pkt-srcaddr else srcaddr -> src_ip,
pkt-dstaddr else dstaddr -> dst_ip, dstport -> dst_port, protocol number -> scheme
('tcp', 'udp', 'icmp' ...), bytes -> bytes_out (a record is one direction, src -> dst),
action (ACCEPT/REJECT) -> action. NODATA / SKIPDATA records are skipped as 'nodata' /
'skipdata'; a record with fewer or more fields than the format is ParseError('field_count').
"""

from __future__ import annotations

import base64
import gzip
import re
import zlib

from sentinel.collect.logs.base import (
    LogParser,
    ParseError,
    int_or_zero,
    load_json_object,
    try_json_object,
)
from sentinel.model import EgressEvent

V2_FIELDS = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
).split()
KNOWN_FIELDS = frozenset(
    V2_FIELDS
    + """vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type
    sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path reject-reason resource-id
    encryption-status tgw-id tgw-attachment-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id
    tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id packets-lost-no-route
    packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired""".split()
)
_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")
_PROTOCOLS = {"1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6", "47": "gre", "50": "esp", "51": "ah", "132": "sctp"}
_ANY_ADDR = ("-", "")


def _is_header(tokens: list[str]) -> bool:
    if len(tokens) < 2 or not all(_NAME.match(t) for t in tokens):
        return False
    known = sum(1 for t in tokens if t in KNOWN_FIELDS or t.startswith(("ecs-", "tgw-")))
    return known >= max(2, len(tokens) // 2)


def parse_format(fmt) -> list[str]:
    """'${version} ${srcaddr}' / 'version srcaddr' / ['version', 'srcaddr'] -> names."""
    names = fmt.split() if isinstance(fmt, str) else [str(x) for x in fmt]
    out = [n.strip().removeprefix("${").removesuffix("}") for n in names]
    if not out or not all(_NAME.match(n) for n in out):
        raise ValueError("vpcflow option 'format': expected a flow log format like '${version} ${srcaddr} ...'")
    return out


def _envelope(d: dict) -> dict | None:
    aw = d.get("awslogs")
    if isinstance(aw, dict) and isinstance(aw.get("data"), str):
        try:
            raw = gzip.decompress(base64.b64decode(aw["data"], validate=False))
        except (ValueError, OSError, EOFError, zlib.error):
            raise ParseError("bad_shape", "awslogs.data is not gzip+base64") from None
        d = load_json_object(raw.decode("utf-8", "replace"))
    if "logEvents" in d or "messageType" in d:
        return d
    return None


class VpcFlowParser(LogParser):
    family = "vpcflow"
    expands = True

    def __init__(self, options=None) -> None:
        super().__init__(options)
        fmt = self.options.get("format")
        self.fields = parse_format(fmt) if fmt else list(V2_FIELDS)
        self._index()

    def _index(self) -> None:
        self._n = len(self.fields)
        self._idx = {n: i for i, n in enumerate(self.fields)}

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        for line in head:
            if line[:1] == "{":
                d = try_json_object(line)
                if d is None:
                    continue
                try:
                    env = _envelope(d)
                except ParseError:
                    continue
                if env is None:
                    continue
                group = env.get("logGroup")
                evs = env.get("logEvents")
                if isinstance(group, str) and "flow" in group.lower():
                    return True
                if isinstance(evs, list) and evs and isinstance(evs[0], dict):
                    msg = str(evs[0].get("message", "")).split()
                    if len(msg) >= 4 and msg[0] in ("2", "3", "4", "5", "6") and any(m.startswith("eni-") for m in msg):
                        return True
                continue
            tokens = line.split()
            if _is_header(tokens) and ("srcaddr" in tokens or "dstaddr" in tokens):
                return True
            if len(tokens) == 14 and tokens[0] == "2" and tokens[2].startswith("eni-") and tokens[13] in ("OK", "NODATA", "SKIPDATA"):
                return True
        return False

    def prime(self, head: list[str]) -> None:
        for line in head[:1]:
            tokens = line.split()
            if _is_header(tokens):
                self.fields = tokens
                self._index()

    def parse_all(self, record: str) -> list[EgressEvent | ParseError]:
        if record[:1] != "{":
            return super().parse_all(record)
        try:
            env = _envelope(load_json_object(record))
            if env is None:
                raise ParseError("bad_shape", "JSON record is not a CloudWatch Logs envelope")
        except ParseError as exc:
            return [exc]
        if env.get("messageType") == "CONTROL_MESSAGE":
            self.skip("control_message")
            return []
        events = env.get("logEvents")
        if not isinstance(events, list):
            return [ParseError("bad_shape", "logEvents is not a list")]
        out: list[EgressEvent | ParseError] = []
        for item in events:
            try:
                if not isinstance(item, dict) or not isinstance(item.get("message"), str):
                    raise ParseError("bad_shape", "logEvents item without a message")
                t = item.get("timestamp")
                default_ts = t / 1000.0 if isinstance(t, (int, float)) and not isinstance(t, bool) else None
                ev = self._line(item["message"], default_ts)
            except ParseError as exc:
                out.append(exc)
                continue
            except self._CAUGHT as exc:
                out.append(ParseError("malformed", type(exc).__name__))
                continue
            if ev is not None:
                out.append(ev)
        return out

    def _parse(self, line: str) -> EgressEvent | None:
        if line[:1] == "{":
            res = self.parse_all(line)
            if len(res) != 1:
                raise ParseError("bad_shape", f"CloudWatch envelope holds {len(res)} results: use parse_all")
            if isinstance(res[0], ParseError):
                raise res[0]
            return res[0]
        return self._line(line, None)

    def _line(self, line: str, default_ts: float | None) -> EgressEvent | None:
        tokens = line.split()
        if not tokens:
            raise ParseError("empty", "blank line")
        if _is_header(tokens):
            self.fields = tokens
            self._index()
            return self.skip("header")
        if len(tokens) != self._n:
            raise ParseError("field_count", f"expected {self._n} fields, got {len(tokens)}")
        idx = self._idx
        g = lambda name: tokens[idx[name]] if name in idx else "-"  # noqa: E731
        status = g("log-status")
        if status == "NODATA":
            return self.skip("nodata")
        if status == "SKIPDATA":
            return self.skip("skipdata")
        start = g("start")
        if start != "-":
            if not start.isdigit():
                raise ParseError("bad_timestamp", "start is not epoch seconds")
            ts = float(start)
        elif default_ts is not None:
            ts = default_ts
        else:
            raise ParseError("bad_timestamp", "no start field and no envelope timestamp")
        end = g("end")
        duration = (float(end) - ts) * 1000.0 if end.isdigit() and start != "-" else 0.0
        src = g("pkt-srcaddr")
        if src in _ANY_ADDR:
            src = g("srcaddr")
        dst = g("pkt-dstaddr")
        if dst in _ANY_ADDR:
            dst = g("dstaddr")
        proto = g("protocol")
        action = g("action")
        return EgressEvent(
            ts=ts,
            source="vpcflow",
            src_ip=src if src != "-" else "",
            dst_ip=dst if dst != "-" else "",
            dst_port=int_or_zero(g("dstport")),
            scheme=_PROTOCOLS.get(proto, proto if proto != "-" else ""),
            bytes_out=int_or_zero(g("bytes")),
            duration_ms=max(0.0, duration),
            action=action if action != "-" else "",
        )
