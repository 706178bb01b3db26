"""Zeek conn.log, http.log and ssl.log, TSV or JSON.

TSV: the `#separator` (itself space-separated and hex-escaped), `#set_separator`,
`#empty_field`, `#unset_field`, `#path` and `#fields` headers are honoured and may change
mid-file (concatenated logs); columns are found by name, so 18/21/29-field and newer
(`origin`, `ip_proto`) schemas all work. Data before any `#fields` is a
ParseError('no_header') unless options give `fields` (and `path`).
JSON: NDJSON with dotted keys (`id.orig_h`), epoch or ISO ts, `_path` when present,
Kafka-style `{"http": {...}}` wrapping; otherwise the log kind is guessed from keys.

Mapping, all kinds: ts, id.orig_h -> src_ip, id.resp_h/id.resp_p -> dst_ip/dst_port.
  conn: proto -> scheme (service ssl -> 'tls', http -> 'http'), duration (s) ->
        duration_ms, orig_bytes -> bytes_out, resp_bytes -> bytes_in, conn_state -> action
  http: method, host -> dst_host, uri -> url, version -> http_version 'HTTP/x',
        user_agent, status_code, request_body_len -> bytes_out, response_body_len -> bytes_in
  ssl:  version ('TLSv12' -> 'TLSv1.2'), cipher, server_name -> sni and dst_host, scheme 'tls'
Other paths (dns, files, x509 ...) are skipped as 'zeek_other_path'. Canonified btest
timestamps (XXXXXXXXXX.XXXXXX) are ParseError('bad_timestamp').
"""

from __future__ import annotations

import re

from sentinel.collect.logs.base import (
    LogParser,
    ParseError,
    any_ts_to_epoch,
    float_or_zero,
    int_or_zero,
    load_json_object,
    split_host_port,
    tls_version_name,
    try_json_object,
)
from sentinel.model import EgressEvent

_KINDS = ("conn", "http", "ssl")


_HEX = re.compile(r"\\x([0-9a-fA-F]{2})")


def _unescape_sep(v: str) -> str:
    # '#separator \x09' -> '\t' (Zeek writes it hex-escaped so the header line is readable)
    return _HEX.sub(lambda m: chr(int(m.group(1), 16)), v) or "\t"


def _guess_kind(d: dict) -> str:
    if "_path" in d:
        p = d["_path"]
        return p if isinstance(p, str) else ""
    if "conn_state" in d or "orig_bytes" in d or ("proto" in d and "history" in d):
        return "conn"
    if "status_code" in d or "method" in d or "uri" in d or "trans_depth" in d:
        return "http"
    if "server_name" in d or "cipher" in d or "ssl_history" in d or ("version" in d and "established" in d):
        return "ssl"
    return ""


class ZeekParser(LogParser):
    family = "zeek"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.sep = "\t"
        self.set_sep = ","
        self.unset = "-"
        self.empty = "(empty)"
        self.path = str(self.options.get("path") or "")
        fields = self.options.get("fields")
        self.fields: list[str] | None = list(fields) if fields else None
        self._idx: dict[str, int] = {}
        if self.fields:
            self._index()

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        for line in head:
            if line.startswith(("#separator", "#fields\t", "#path\t", "### BTest")):
                return True
            if line[:1] == "{":
                d = try_json_object(line)
                if d is None:
                    continue
                if len(d) == 1:
                    inner = next(iter(d.values()))
                    if isinstance(inner, dict) and next(iter(d)) in _KINDS:
                        d = inner
                if "uid" in d and "id.orig_h" in d:
                    return True
        return False

    def prime(self, head: list[str]) -> None:
        for line in head:
            if line.startswith("#"):
                self._header(line)

    def _index(self) -> None:
        self._idx = {name: i for i, name in enumerate(self.fields or ())}

    def _header(self, line: str) -> None:
        if line.startswith("#separator"):
            self.sep = _unescape_sep(line[len("#separator") :].strip())
            return
        key, _, value = line[1:].partition(self.sep)
        if key == "fields":
            self.fields = value.split(self.sep)
            self._index()
        elif key == "path":
            self.path = value
        elif key == "set_separator":
            self.set_sep = value
        elif key == "unset_field":
            self.unset = value
        elif key == "empty_field":
            self.empty = value
        # '#types', '#open', '#close' and btest '###' banners carry nothing we need.

    def _parse(self, line: str) -> EgressEvent | None:
        c = line[:1]
        if c == "#":
            self._header(line)
            return self.skip("header")
        if c == "{":
            return self._parse_json(load_json_object(line))
        if not line.strip():
            raise ParseError("empty", "blank line")
        if self.fields is None:
            raise ParseError("no_header", "data line before any #fields header")
        vals = line.split(self.sep)
        if len(vals) != len(self.fields):
            raise ParseError("field_count", f"expected {len(self.fields)} fields, got {len(vals)}")
        unset, empty = self.unset, self.empty
        rec = {}
        for name, i in self._idx.items():
            v = vals[i]
            if v != unset and v != empty:
                rec[name] = v
        return self._event(self.path, rec)

    def _parse_json(self, d: dict) -> EgressEvent | None:
        if len(d) == 1:
            k, inner = next(iter(d.items()))
            if isinstance(inner, dict) and k in _KINDS:
                return self._event(k, inner)
        kind = self.path or _guess_kind(d)
        if "_path" in d and isinstance(d["_path"], str):
            kind = d["_path"]
        return self._event(kind, d)

    def _event(self, kind: str, r: dict) -> EgressEvent | None:
        if kind not in _KINDS:
            return self.skip("zeek_other_path")
        t = r.get("ts")
        if t is None:
            raise ParseError("bad_timestamp", "no ts")
        if isinstance(t, str):
            try:
                ts = float(t)
            except ValueError:
                ts = any_ts_to_epoch(t)  # ISO8601 JSON; canonified 'XXXX' fails here
        else:
            ts = any_ts_to_epoch(t)
        if ts != ts or ts in (float("inf"), float("-inf")):
            raise ParseError("bad_timestamp", "non-finite ts")
        ev = EgressEvent(
            ts=ts,
            source="zeek",
            src_ip=str(r.get("id.orig_h") or ""),
            dst_ip=str(r.get("id.resp_h") or ""),
            dst_port=int_or_zero(r.get("id.resp_p")),
        )
        if "id" in r and isinstance(r["id"], dict):  # nested JSON id record
            idr = r["id"]
            ev.src_ip = ev.src_ip or str(idr.get("orig_h") or "")
            ev.dst_ip = ev.dst_ip or str(idr.get("resp_h") or "")
            ev.dst_port = ev.dst_port or int_or_zero(idr.get("resp_p"))
        if kind == "http":
            ev.method = str(r.get("method") or "")
            ev.scheme = "http"
            ev.dst_host = split_host_port(str(r.get("host") or ""))[0]
            ev.url = str(r.get("uri") or "")
            v = r.get("version")
            ev.http_version = f"HTTP/{v}" if v else ""
            ev.user_agent = str(r.get("user_agent") or "")
            ev.status = int_or_zero(r.get("status_code"))
            ev.bytes_out = int_or_zero(r.get("request_body_len"))
            ev.bytes_in = int_or_zero(r.get("response_body_len"))
        elif kind == "ssl":
            ev.scheme = "tls"
            ev.tls_version = tls_version_name(r.get("version"))
            ev.tls_cipher = str(r.get("cipher") or "")
            sni = str(r.get("server_name") or "").lower()
            ev.sni = sni
            ev.dst_host = sni.rstrip(".")
        else:
            proto = str(r.get("proto") or "")
            service = str(r.get("service") or "")
            services = service.split(self.set_sep) if service else []
            if "ssl" in services:
                ev.scheme = "tls"
            elif "http" in services:
                ev.scheme = "http"
            else:
                ev.scheme = proto
            ev.duration_ms = float_or_zero(r.get("duration")) * 1000.0
            ev.bytes_out = int_or_zero(r.get("orig_bytes"))
            ev.bytes_in = int_or_zero(r.get("resp_bytes"))
            ev.action = str(r.get("conn_state") or "")
        return ev
