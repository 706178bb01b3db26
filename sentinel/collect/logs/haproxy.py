"""HAProxy HTTP (`option httplog`) and TCP (`option tcplog`) logs, with or without a
syslog prefix: RFC 3164 (`Feb 25 16:19:49 host haproxy[7]: `, `<134>` first or not) or
RFC 5424 (`log ... format rfc5424`: `<134>1 2024-02-25T16:19:49.123+01:00 host haproxy 7 - - `,
structured data `-` or `[...]` blocks).

HTTP log field mapping:
  client_ip:port                -> src_ip
  [accept_date]                 -> ts. HAProxy logs local time without an offset: option
                                   `tz` ('+0100') says which; default UTC.
  frontend (suffix '~' = TLS)   -> scheme 'https' when '~', else 'http'
  backend/server                -> not mapped (names, not addresses)
  Tq/Tw/Tc/Tr/Ta (or Tt)        -> duration_ms = last timer (total); -1 -> 0
  status                        -> status (-1 -> 0)
  bytes_read                    -> bytes_in (bytes sent to the client). Request size is
                                   not logged: bytes_out = 0.
  termination_state             -> action when abnormal (first char not '-')
  {captured headers}            -> skipped (which header is where depends on config)
  "request"                     -> method, url, http_version; absolute-form target or
                                   CONNECT gives dst_host/port, else option `dst_host`
TCP log lines have no request: scheme 'tcp', dst from option `dst_host`.
Connection errors ('ip:port [date] fe/be: SSL handshake failure ...') and process
messages ('Proxy x started.') are skipped as 'not_request'.
"""

from __future__ import annotations

import re

from sentinel.collect.logs.base import (
    TLS_PORTS,
    LogParser,
    ParseError,
    haproxy_date_to_epoch,
    split_host_port,
    split_ip_port,
    split_request_line,
    split_url,
    tz_offset_seconds,
)
from sentinel.model import EgressEvent

_HEAD = r"(\S+) \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d(?:\.\d+)?)\] "
_HTTP = re.compile(
    _HEAD
    + r"(\S+) (\S+)/(\S+) (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/\+?(-?\d+) (-?\d+) \+?(\d+) \S+ \S+ (\S{4}) "
    r"\S+ \S+(?: \{[^}]*\})?(?: \{[^}]*\})? \"([^\"]*)\"?"
)
_TCP = re.compile(_HEAD + r"(\S+) (\S+)/(\S+) (-?\d+)/(-?\d+)/\+?(-?\d+) \+?(\d+) (\S{2}) \S+ \S+\s*$")
_CONN_MSG = re.compile(_HEAD + r"\S+: ")
_PROCESS_MSG = ("Proxy ", "Server ", "backend ", "Backend ", "Stopping ", "Pausing ", "Resuming ", "Connect from ", "Health check ")


# <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA, then the message
# (a UTF-8 BOM may open it)
_RFC5424 = re.compile(r'<\d{1,3}>\d{1,2} \S+ \S+ \S+ \S+ \S+ (?:-|(?:\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\])+) \ufeff?')


def _strip_syslog(line: str) -> str:
    if line[:1] == "<":
        m = _RFC5424.match(line)
        if m is not None:
            return line[m.end():]
    c = line[:1]
    if c.isdigit() or c == ":" or c == "[":
        return line
    i = line.find(": ")
    return line[i + 2 :] if i >= 0 else line


class HaproxyParser(LogParser):
    family = "haproxy"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.tz_off = tz_offset_seconds(str(self.options.get("tz") or ""))
        self.default_host, self.default_port = split_host_port(str(self.options.get("dst_host") or ""))

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        for line in head:
            line = _strip_syslog(line)
            if _HTTP.match(line) or _TCP.match(line):
                return True
        return False

    def _parse(self, line: str) -> EgressEvent | None:
        body = _strip_syslog(line)
        m = _HTTP.match(body)
        if m is None:
            return self._parse_other(body)
        client, date, fe, _be, _srv, _tq, _tw, _tc, _tr, ta, status, size, term, req = m.groups()
        ts = haproxy_date_to_epoch(date, self.tz_off)
        src_ip = split_ip_port(client)[0]
        method, target, proto = split_request_line(req)
        scheme = "https" if fe.endswith("~") else "http"
        host, port = self.default_host, self.default_port
        if method == "CONNECT":
            host, port = split_host_port(target, 443)
            scheme = "tls" if port in TLS_PORTS else "tcp"
            target = ""
        elif target[:1] != "/":
            s2, h2, p2, target = split_url(target)
            if h2:
                scheme, host, port = s2, h2, p2
        total = int(ta)
        st = int(status)
        return EgressEvent(
            ts=ts,
            source="haproxy",
            src_ip=src_ip,
            dst_host=host,
            dst_port=port,
            method=method,
            scheme=scheme,
            url=target,
            status=st if st > 0 else 0,
            bytes_in=int(size),
            duration_ms=float(total) if total > 0 else 0.0,
            http_version=proto,
            action=term if term[0] != "-" else "",
        )

    def _parse_other(self, body: str) -> EgressEvent | None:
        m = _TCP.match(body)
        if m is not None:
            client, date, _fe, _be, _srv, _tw, _tc, tt, size, term = m.groups()
            total = int(tt)
            return EgressEvent(
                ts=haproxy_date_to_epoch(date, self.tz_off),
                source="haproxy",
                src_ip=split_ip_port(client)[0],
                dst_host=self.default_host,
                dst_port=self.default_port,
                scheme="tcp",
                bytes_in=int(size),
                duration_ms=float(total) if total > 0 else 0.0,
                action=term if term[0] != "-" else "",
            )
        if _CONN_MSG.match(body) or body.startswith(_PROCESS_MSG):
            return self.skip("not_request")
        if not body.strip():
            raise ParseError("empty", "blank line")
        raise ParseError("no_match", "not an HAProxy HTTP or TCP log line")
