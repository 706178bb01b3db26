"""nginx access logs: `combined`, combined + trailing "$http_x_forwarded_for" ("main"),
and JSON `log_format ... escape=json`. Text and JSON lines may be mixed in one file.

Combined field mapping:
  $remote_addr      -> src_ip (option trust_xff=True: first X-Forwarded-For address instead)
  $time_local       -> ts (offset honoured, e.g. +0330)
  $request          -> method, url (origin form), http_version; an absolute-form target
                       (forward proxy) or CONNECT authority also gives scheme/dst_host/dst_port
  $status           -> status
  $body_bytes_sent  -> bytes_in (response body towards the client). Combined logs no
                       request size: bytes_out = 0.
  $http_user_agent  -> user_agent; $http_referer is dropped (it carries other sites' URLs).
  dst_host          -> from the request target when absolute, else option `dst_host`
                       (the upstream a per-upstream log file is written for), else ''.
Request '-' (connection closed before a request: 400/408) is skipped as 'no_request';
a request that is not METHOD TARGET [PROTO] (bare 'HELP', \\x16\\x03 TLS bytes) is a
ParseError('bad_request_line').

JSON keys (first present wins): see _J_* below. bytes_out = upstream_bytes_sent or
request_length; bytes_in = upstream_bytes_received or bytes_sent or body_bytes_sent;
duration = request_time (s); upstream_addr (last of a retry list) -> dst_ip/dst_port;
ssl_protocol/ssl_cipher/ssl_server_name -> tls_version/tls_cipher/sni.
"""

from __future__ import annotations

import re
from typing import Any

from sentinel.collect.logs.base import (
    TLS_PORTS,
    LogParser,
    ParseError,
    any_ts_to_epoch,
    clf_to_epoch,
    dash,
    float_or_zero,
    int_or_zero,
    load_json_object,
    split_host_port,
    split_ip_port,
    split_request_line,
    split_url,
    tls_version_name,
    try_json_object,
)
from sentinel.model import EgressEvent

# nginx escapes '"' inside variables as \x22, so the plain form covers nginx; the
# escape-aware one is for Apache-style \" and only runs on lines holding a backslash.
_COMBINED = re.compile(
    r'(\S+) \S+ (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)"(?: "([^"]*)")?(?: |$)'
)
_Q = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_COMBINED_ESC = re.compile(
    r"(\S+) \S+ (\S+) \[([^\]]+)\] " + _Q + r" (\d{3}) (\d+|-) " + _Q + " " + _Q + "(?: " + _Q + r")?(?: |$)"
)

_J_TIME = ("time_iso8601", "time_local", "@timestamp", "timestamp", "time", "msec")
_J_SRC = ("remote_addr", "client_ip", "realip_remote_addr", "client")
_J_HOST = ("proxy_host", "upstream_host", "host", "http_host", "server_name")
_J_OUT = ("upstream_bytes_sent", "request_length")
_J_IN = ("upstream_bytes_received", "bytes_sent", "body_bytes_sent")
_J_UA = ("http_user_agent", "user_agent")
_J_XFF = ("http_x_forwarded_for", "x_forwarded_for")
_J_KEYS = frozenset({"remote_addr", "request", "request_uri", "time_local", "body_bytes_sent", "request_time", "upstream_addr", "http_user_agent"})


def _count(v: Any) -> int:
    # upstream_* variables list one value per tried upstream: "120, 98 : 40".
    if isinstance(v, str) and ("," in v or ":" in v):
        return sum(int_or_zero(x.strip()) for x in v.replace(":", ",").split(","))
    return int_or_zero(v)


def _first(d: dict, keys: tuple[str, ...]) -> Any:
    for k in keys:
        v = d.get(k)
        if v is not None and v != "" and v != "-":
            return v
    return None


class NginxParser(LogParser):
    family = "nginx"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.default_host, self.default_port = split_host_port(str(self.options.get("dst_host") or ""))
        self.trust_xff = bool(self.options.get("trust_xff", False))

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        for line in head:
            if line[:1] == "{":
                d = try_json_object(line)
                if d is not None and len(_J_KEYS.intersection(d)) >= 2:
                    return True
            elif _COMBINED.match(line) and "[" in line:
                return True
        return False

    def _parse(self, line: str) -> EgressEvent | None:
        if line[:1] == "{":
            return self._parse_json(line)
        # A backslash means escapes (\xHH or Apache's \"): take the escape-aware regex.
        m = (_COMBINED_ESC if "\\" in line else _COMBINED).match(line)
        if m is None:
            if not line.strip():
                raise ParseError("empty", "blank line")
            raise ParseError("no_match", "not an nginx combined line")
        remote, _user, tlocal, req, status, size, _ref, ua, xff = m.groups()
        ts = clf_to_epoch(tlocal)
        if req == "-" or not req:
            return self.skip("no_request")
        method, target, proto = split_request_line(req)
        if target[:1] == "/":
            scheme, host, port, url = "", self.default_host, self.default_port, target
        elif method == "CONNECT":
            host, port = split_host_port(target, 443)
            scheme, url = ("tls" if port in TLS_PORTS else "tcp"), ""
        else:
            scheme, host, port, url = split_url(target)
            if not host:  # '*' (OPTIONS) or a relative target
                host, port = self.default_host, self.default_port
        if self.trust_xff and xff and xff != "-":
            remote = xff.partition(",")[0].strip()
        # Positional, in EVENT_FIELDS order (see base.py).
        return EgressEvent(
            ts, "nginx", remote, "", host, "", port, method, scheme, url,
            int(status), 0, int(size) if size != "-" else 0, 0.0, "", "", "",
            ua if ua != "-" else "", proto, "",
        )  # fmt: skip

    def _parse_json(self, line: str) -> EgressEvent:
        d = load_json_object(line)
        t = _first(d, _J_TIME)
        if t is None:
            raise ParseError("bad_timestamp", "no time field")
        if isinstance(t, str) and len(t) > 2 and t[2] == "/":
            ts = clf_to_epoch(t)
        else:
            ts = any_ts_to_epoch(t)
        proto = dash(d.get("server_protocol"))
        req = _first(d, ("request",))
        if isinstance(req, str):
            method, target, p = split_request_line(req)
            proto = proto or p
        else:
            method = dash(d.get("request_method"))
            target = dash(d.get("request_uri")) or dash(d.get("uri"))
            if not method and not target:
                raise ParseError("missing_field", "no request, request_method or request_uri")
        scheme = dash(d.get("scheme"))
        host, port = "", 0
        if method == "CONNECT":
            host, port = split_host_port(str(target), 443)
            scheme, target = ("tls" if port in TLS_PORTS else "tcp"), ""
        elif isinstance(target, str) and target and target[0] != "/":
            s2, host, port, target = split_url(target)
            scheme = scheme or s2
        if not host:
            h = _first(d, _J_HOST)
            if h is not None:
                host, port = split_host_port(str(h), port)
            else:
                host, port = self.default_host, port or self.default_port
        dst_ip = ""
        up = d.get("upstream_addr")
        if isinstance(up, str) and up and up != "-":
            # "a:1, b:2 : c:3" lists retries; the last one answered.
            last = up.replace(" : ", ",").rsplit(",", 1)[-1].strip()
            dst_ip, uport = split_ip_port(last)
            if dst_ip and not dst_ip[0].isdigit() and ":" not in dst_ip:
                dst_ip = ""  # 'unix:/path' or a name
            port = port or uport
        if not port:
            port = 443 if scheme == "https" else 80 if scheme == "http" else 0
        src = dash(_first(d, _J_SRC))
        if self.trust_xff:
            xff = _first(d, _J_XFF)
            if isinstance(xff, str):
                src = xff.partition(",")[0].strip() or src
        return EgressEvent(
            ts=ts,
            source="nginx",
            src_ip=src,
            dst_host=host,
            dst_ip=dst_ip,
            dst_port=port,
            method=str(method),
            scheme=scheme,
            url=str(target),
            status=int_or_zero(d.get("status")),
            bytes_out=_count(_first(d, _J_OUT)),
            bytes_in=_count(_first(d, _J_IN)),
            duration_ms=float_or_zero(d.get("request_time")) * 1000.0,
            tls_version=tls_version_name(dash(d.get("ssl_protocol"))),
            tls_cipher=dash(d.get("ssl_cipher")),
            sni=dash(d.get("ssl_server_name")).lower(),
            user_agent=dash(_first(d, _J_UA)),
            http_version=str(proto),
        )
