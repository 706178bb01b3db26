"""Suricata eve.json, plain or in the AWS Network Firewall envelope
`{firewall_name, availability_zone, event_timestamp, event: {...}}` (pretty-printed
multi-line records are joined by records.iter_records before they get here).

Mapping, all event types: src_ip, dest_ip -> dst_ip, dest_port -> dst_port,
proto -> scheme (lower case) unless the app layer says more.
  ts: inner `timestamp`, else the envelope's `event_timestamp` (ISO or epoch string);
      for flow/netflow events the flow start (flow.start) instead: the connection time.
  http:    http.hostname -> dst_host, http.url -> url (origin form; absolute URLs split),
           http_method, status, http_user_agent, protocol -> http_version,
           http.length -> bytes_in (response body); request size is not logged.
  tls:     tls.sni (or `sni` beside it, AWS NFW) -> sni and dst_host, tls.version
           ('TLS 1.2' -> 'TLSv1.2'), tls.cipher_suite/cipher when present.
  flow:    bytes_toserver -> bytes_out, bytes_toclient -> bytes_in, start/end ->
           duration_ms, flow.action or alerted state -> action, app_proto -> scheme.
  netflow: unidirectional: netflow.bytes -> bytes_out, start/end -> duration_ms.
  alert:   alert.action ('allowed'/'blocked') -> action; embedded http{} / tls{} read
           as above. The same connection may also appear as http/tls/flow events.
Other event types (dns, fileinfo, stats, anomaly ...) are skipped as 'not_egress'.
"""

from __future__ import annotations

from sentinel.collect.logs.base import (
    LogParser,
    ParseError,
    any_ts_to_epoch,
    int_or_zero,
    load_json_object,
    split_host_port,
    split_url,
    tls_version_name,
    try_json_object,
)
from sentinel.model import EgressEvent

_TYPES = frozenset({"http", "tls", "flow", "netflow", "alert"})


def _s(v) -> str:
    return v if isinstance(v, str) else "" if v is None else str(v)


class SuricataParser(LogParser):
    family = "suricata"

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        for line in head:
            if line[:1] != "{":
                continue
            d = try_json_object(line)
            if d is None:
                continue
            inner = d.get("event")
            if isinstance(inner, dict) and "event_type" in inner:
                return True
            if "event_type" in d and ("src_ip" in d or "timestamp" in d):
                return True
        return False

    def _parse(self, line: str) -> EgressEvent | None:
        if not line.strip():
            raise ParseError("empty", "blank line")
        d = load_json_object(line)
        outer_ts = None
        e = d.get("event")
        if isinstance(e, dict) and "event_type" in e:  # AWS Network Firewall envelope
            outer_ts = d.get("event_timestamp")
        else:
            e = d
        etype = e.get("event_type")
        if not isinstance(etype, str):
            raise ParseError("missing_field", "no event_type")
        if etype not in _TYPES:
            return self.skip("not_egress")
        t = e.get("timestamp")
        if t is None:
            t = outer_ts
        if t is None:
            raise ParseError("bad_timestamp", "no timestamp")
        ts = any_ts_to_epoch(t)
        ev = EgressEvent(
            ts=ts,
            source="suricata",
            src_ip=_s(e.get("src_ip")),
            dst_ip=_s(e.get("dest_ip")),
            dst_port=int_or_zero(e.get("dest_port")),
            scheme=_s(e.get("proto")).lower(),
        )
        http = e.get("http")
        tls = e.get("tls")
        if etype == "flow" or etype == "netflow":
            fl = e.get(etype)
            if not isinstance(fl, dict):
                raise ParseError("bad_shape", f"{etype} event without {etype} object")
            start, end = fl.get("start"), fl.get("end")
            if start is not None:
                ev.ts = any_ts_to_epoch(start)
                if end is not None:
                    ev.duration_ms = max(0.0, (any_ts_to_epoch(end) - ev.ts) * 1000.0)
            if etype == "flow":
                ev.bytes_out = int_or_zero(fl.get("bytes_toserver"))
                ev.bytes_in = int_or_zero(fl.get("bytes_toclient"))
                ev.action = _s(fl.get("action"))
            else:
                ev.bytes_out = int_or_zero(fl.get("bytes"))
            app = e.get("app_proto")
            if app == "tls":
                ev.scheme = "tls"
            elif app == "http":
                ev.scheme = "http"
        elif etype == "alert":
            al = e.get("alert")
            if isinstance(al, dict):
                ev.action = _s(al.get("action"))
        if isinstance(http, dict):
            self._http(ev, http)
        if isinstance(tls, dict) or (etype == "tls" and e.get("sni")):
            self._tls(ev, tls if isinstance(tls, dict) else {}, e.get("sni"))
        elif etype == "tls":
            ev.scheme = "tls"
        return ev

    @staticmethod
    def _http(ev: EgressEvent, h: dict) -> None:
        ev.scheme = "http"
        url = _s(h.get("url"))
        host = _s(h.get("hostname"))
        if url and url[0] != "/":
            scheme, uhost, uport, url = split_url(url)
            host = host or uhost
            if scheme:
                ev.scheme = scheme
        ev.dst_host = split_host_port(host)[0]
        ev.url = url
        ev.method = _s(h.get("http_method"))
        ev.status = int_or_zero(h.get("status"))
        ev.user_agent = _s(h.get("http_user_agent"))
        ev.http_version = _s(h.get("protocol"))
        ev.bytes_in = ev.bytes_in or int_or_zero(h.get("length"))

    @staticmethod
    def _tls(ev: EgressEvent, t: dict, outer_sni) -> None:
        ev.scheme = "tls"
        sni = _s(t.get("sni") or outer_sni).lower()
        ev.sni = sni
        if sni:
            ev.dst_host = sni.rstrip(".")
        ev.tls_version = tls_version_name(t.get("version"))
        ev.tls_cipher = _s(t.get("cipher_suite") or t.get("cipher"))
