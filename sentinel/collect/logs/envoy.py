"""Envoy / Istio access logs: the default text format (Envoy's and Istio's, whose field
count differs across versions) and JSON, each with or without a Kubernetes CRI prefix
(`<RFC3339Nano> stdout F <payload>`, 'P' fragments joined) or a Docker json-file wrapper.
Text and JSON lines may be interleaved in one stream.

Field mapping (text operator / JSON key):
  START_TIME / start_time            -> ts (CRI time when the payload has none)
  REQ(:METHOD), PATH, PROTOCOL        -> method, url, http_version; "- - -" is a TCP proxy line
  RESPONSE_CODE                       -> status (0 on TCP lines)
  RESPONSE_FLAGS                      -> action when not '-' (UH, NR, UAEX ...)
  BYTES_RECEIVED (from downstream)    -> bytes_out: what the proxy forwards to the upstream
  BYTES_SENT (to downstream)          -> bytes_in
  DURATION (ms)                       -> duration_ms
  REQ(USER-AGENT)                     -> user_agent
  REQ(:AUTHORITY)                     -> dst_host (port dropped)
  UPSTREAM_HOST                       -> dst_ip, dst_port
  UPSTREAM_CLUSTER outbound|p||fqdn   -> dst_host when there is no authority and no SNI
  DOWNSTREAM_REMOTE_ADDRESS           -> src_ip (else the first X-Forwarded-For address)
  REQUESTED_SERVER_NAME               -> sni; on TCP lines also dst_host (scheme 'tls')
  upstream_tls_version/_cipher (JSON) -> tls_version, tls_cipher
scheme: 'http' for HTTP lines ('https' when the upstream port is 443: Istio TLS
origination), 'tls' for TCP lines with an SNI, 'tcp' without.

Text lines are read by structure, not by position, because Istio versions add fields
(mixer status, RESPONSE_CODE_DETAILS, CONNECTION_TERMINATION_DETAILS, route name): the
last run of five quoted fields is XFF, UA, request id, authority, upstream host; the
four tokens before it are the byte counts and timings; the unquoted tail is cluster,
upstream local, downstream local, downstream remote, SNI, route.
"""

from __future__ import annotations

import re

from sentinel.collect.logs.base import (
    LogParser,
    ParseError,
    any_ts_to_epoch,
    float_or_zero,
    int_or_zero,
    iso_to_epoch,
    load_json_object,
    split_host_port,
    split_ip_port,
    tls_version_name,
    try_json_object,
)
from sentinel.model import EgressEvent

_TOKENS = re.compile(r'"[^"]*"|\S+')
_TEXT_HEAD = re.compile(r'\[\d{4}-\d\d-\d\dT[\d:.]+Z?\] "')
_CRI = re.compile(r"\d{4}-\d\d-\d\dT\S+ (?:stdout|stderr) [FP] ")
_MAX_PARTIAL = 1 << 20
_JSON_KEYS = frozenset(
    {"start_time", "response_code", "bytes_received", "bytes_sent", "upstream_host", "upstream_cluster",
     "downstream_remote_address", "response_flags", "x-envoy-origin-path", ":authority", "authority"}
)  # fmt: skip


def _cluster_host(cluster: str) -> str:
    # Istio names clusters outbound|443||api.stripe.com; plain Envoy names are free text.
    if cluster and cluster.count("|") == 3:
        return cluster.rsplit("|", 1)[1].lower()
    return ""


def _destination(host: str, port: int, up_port: int, method, sni: str, cluster: str) -> tuple[str, int, str]:
    """(host, port, scheme) of both formats: the upstream's port wins; a request is http(s)
    by port, a bare connection tls when it had SNI; no authority falls back to SNI, then to
    the host in the cluster name (`cluster` is only read then)."""
    if up_port:
        port = up_port
    if method:
        scheme = "https" if port == 443 else "http"
    else:
        scheme = "tls" if sni else "tcp"
    if not host:
        host = sni or _cluster_host(cluster)
    return host, port, scheme


def _nz(v):
    # JSON null or text '-' placeholders
    return None if v is None or v == "-" or v == "" else v


class EnvoyParser(LogParser):
    family = "envoy"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self._partial: list[str] = []
        self._partial_len = 0
        # upstream hosts and authorities repeat: split each distinct string once
        self._upstreams: dict[str, tuple[str, int]] = {}
        self._authorities: dict[str, tuple[str, int]] = {}

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        for line in head:
            if _CRI.match(line):
                line = line.split(" ", 3)[3] if line.count(" ") >= 3 else ""
            if _TEXT_HEAD.match(line):
                return True
            if line[:1] == "{":
                d = try_json_object(line)
                if d is None:
                    continue
                if isinstance(d.get("log"), str) and "stream" in d:
                    d = try_json_object(d["log"]) or {}
                if len(_JSON_KEYS.intersection(d)) >= 3:
                    return True
        return False

    def _parse(self, line: str, cri_ts: float | None = None) -> EgressEvent | None:
        c = line[:1]
        if c == "{":
            return self._parse_json(load_json_object(line), cri_ts)
        if c == "[":
            return self._parse_text(line)
        if not line.strip():
            raise ParseError("empty", "blank line")
        # CRI: '2025-12-31T17:37:40.493035218+01:00 stdout F <payload>'
        parts = line.split(" ", 3)
        if len(parts) < 3 or parts[1] not in ("stdout", "stderr") or parts[2] not in ("F", "P"):
            raise ParseError("no_match", "not an Envoy access log line")
        payload = parts[3] if len(parts) == 4 else ""
        if parts[2] == "P":  # the runtime split a long line: keep until the final 'F'
            self._partial_len += len(payload)
            if self._partial_len > _MAX_PARTIAL:
                self._partial.clear()
                self._partial_len = 0
                raise ParseError("too_long", "CRI partial lines exceed 1 MiB")
            self._partial.append(payload)
            return self.skip("cri_partial")
        if self._partial:
            payload = "".join(self._partial) + payload
            self._partial.clear()
            self._partial_len = 0
        if payload[:1] not in ("{", "["):
            if not payload.strip():
                return self.skip("blank")
            raise ParseError("no_match", "CRI payload is not an Envoy access log line")
        return self._parse(payload, iso_to_epoch(parts[0]))

    # ------------------------------------------------------------------ JSON
    def _parse_json(self, d: dict, cri_ts: float | None) -> EgressEvent | None:
        # Hot path (Envoy JSON is a high-volume format): canonical Istio keys first,
        # aliases only when the canonical key is missing, few helper calls.
        g = d.get
        log = g("log")
        if log is not None and type(log) is str and "stream" in d:  # Docker json-file wrapper
            t = g("time")
            return self._parse(log.rstrip("\n"), iso_to_epoch(t) if isinstance(t, str) else cri_ts)
        t = g("start_time") or g("@timestamp") or g("timestamp")
        if t is not None:
            ts = iso_to_epoch(t) if type(t) is str else any_ts_to_epoch(t)
        elif cri_ts is not None:
            ts = cri_ts
        else:
            raise ParseError("bad_timestamp", "no start_time")
        method = g("method")
        if not method or method == "-":
            method = _nz(g(":method")) or ""
        path = g("path")
        if not path or path == "-":
            path = _nz(g("x-envoy-origin-path")) or _nz(g("x-envoy-original-path")) or _nz(g(":path")) or ""
        authority = g("authority")
        if not authority or authority == "-":
            authority = _nz(g(":authority")) or ""
        upstream = g("upstream_host")
        if upstream and upstream != "-" and type(upstream) is str:
            up = self._upstreams.get(upstream)
            if up is None:
                up = split_ip_port(upstream)
                self._remember(self._upstreams, upstream, up)
            up_ip, up_port = up
        else:
            up_ip, up_port = "", 0
        src = g("downstream_remote_address")
        if src and src != "-" and type(src) is str:
            ip, colon, port = src.rpartition(":")
            src_ip = ip if colon and port.isdigit() and ip.count(":") == 0 else split_ip_port(src)[0]
        else:
            xff = _nz(g("x_forwarded_for")) or _nz(g("x-forwarded-for"))
            src_ip = xff.partition(",")[0].strip() if type(xff) is str else ""
        sni = g("requested_server_name")
        sni = sni.lower() if sni and sni != "-" and type(sni) is str else ""
        if authority:
            if type(authority) is str:
                hp = self._authorities.get(authority)
                if hp is None:
                    hp = split_host_port(authority)
                    self._remember(self._authorities, authority, hp)
            else:
                hp = split_host_port(str(authority))
            host, port = hp
        else:
            host, port = "", 0
        cluster = "" if host else str(_nz(g("upstream_cluster")) or "")
        host, port, scheme = _destination(host, port, up_port, method, sni, cluster)
        status = g("response_code")
        if type(status) is not int:
            status = int_or_zero(status)
        rx = g("bytes_received")
        if type(rx) is not int:
            rx = int_or_zero(rx)
        tx = g("bytes_sent")
        if type(tx) is not int:
            tx = int_or_zero(tx)
        dur = g("duration")
        dur = float(dur) if type(dur) is int else float_or_zero(dur)
        ua = g("user_agent")
        if not ua or ua == "-":
            ua = _nz(g("user-agent")) or ""
        flags = g("response_flags")
        if not flags or flags == "-":
            flags = ""
        proto = g("protocol")
        if not proto or proto == "-":
            proto = ""
        tv = g("upstream_tls_version")
        if not tv or tv == "-":
            tv = g("tls_version")
        tls_version = tls_version_name(tv) if tv and tv != "-" else ""
        tc = g("upstream_tls_cipher")
        if not tc or tc == "-":
            tc = g("tls_cipher")
        tls_cipher = str(tc) if tc and tc != "-" else ""
        # Positional, in EVENT_FIELDS order (see base.py).
        return EgressEvent(
            ts, "envoy", src_ip, "", host, up_ip, port, str(method), scheme, str(path),
            status, rx, tx, dur, tls_version, tls_cipher, sni, str(ua), str(proto), str(flags),
        )  # fmt: skip

    @staticmethod
    def _remember(cache: dict, key, value) -> None:
        if len(cache) >= 4096:
            cache.clear()
        cache[key] = value

    # ------------------------------------------------------------------ text
    def _parse_text(self, line: str) -> EgressEvent:
        tok = _TOKENS.findall(line)
        if len(tok) < 12 or tok[0][-1] != "]" or tok[1][0] != '"':
            raise ParseError("field_count", f"expected at least 12 fields, got {len(tok)}")
        ts = iso_to_epoch(tok[0][1:-1])
        req = tok[1][1:-1]
        k = len(tok) - 1
        while k > 1 and tok[k][0] != '"':
            k -= 1
        if k < 12 or any(tok[i][0] != '"' for i in range(k - 4, k)):
            raise ParseError("field_count", "no XFF/UA/id/authority/upstream block")
        if req == "- - -":
            method = path = proto = ""
        else:
            method, _, rest = req.partition(" ")
            path, _, proto = rest.rpartition(" ")
            if not path:
                path, proto = rest, ""
        try:
            status = int(tok[2])
        except ValueError:
            raise ParseError("bad_number", "response code") from None
        nums = tok[k - 8 : k - 4]
        xff, ua, _rid, authority, upstream = (t[1:-1] for t in tok[k - 4 : k + 1])
        tail = tok[k + 1 :]
        cluster = tail[0] if tail else ""
        src_ip = ""
        sni = ""
        if len(tail) >= 4:
            src_ip = split_ip_port(tail[3])[0]
        if len(tail) >= 5 and tail[4] != "-":
            sni = tail[4]
        if not src_ip and xff and xff != "-":
            src_ip = xff.partition(",")[0].strip()
        up_ip, up_port = split_ip_port(upstream)
        flags = tok[3]
        return self._event(
            ts,
            method if method != "-" else "",
            path if path != "-" else "",
            proto if proto != "-" else "",
            status,
            flags if flags != "-" else "",
            int_or_zero(nums[0]),
            int_or_zero(nums[1]),
            float_or_zero(nums[2]),
            ua if ua != "-" else "",
            authority if authority != "-" else "",
            up_ip,
            up_port,
            cluster if cluster != "-" else "",
            src_ip,
            sni,
            "",
            "",
        )

    @staticmethod
    def _event(
        ts, method, path, proto, status, flags, rx, tx, dur, ua, authority, up_ip, up_port, cluster, src_ip, sni,
        tls_version, tls_cipher,
    ) -> EgressEvent:  # fmt: skip
        sni = sni.lower()
        host, port = split_host_port(authority) if authority else ("", 0)
        host, port, scheme = _destination(host, port, up_port, method, sni, cluster)
        # Positional, in EVENT_FIELDS order (see base.py).
        return EgressEvent(
            ts, "envoy", src_ip, "", host, up_ip, port, method, scheme, path,
            status, rx, tx, dur, tls_version, tls_cipher, sni, ua, proto, flags,
        )  # fmt: skip
