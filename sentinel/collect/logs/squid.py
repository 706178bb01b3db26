"""Squid native access.log.

    time elapsed client code/status bytes method URL ident hierarchy/from type

Field mapping:
  time            -> ts (epoch seconds with ms fraction)
  elapsed (ms)    -> duration_ms
  client          -> src_ip (src_host when log_fqdn gives a name)
  code/status     -> action (TCP_MISS, TCP_DENIED ...), status
  bytes           -> bytes_in: the reply size delivered to the client. The native
                     format logs no request size, so bytes_out stays 0.
  method, URL     -> method, scheme/dst_host/dst_port/url (origin form). CONNECT lines
                     carry host:port: scheme 'tls' on TLS ports, 'tcp' otherwise.
  hierarchy/from  -> dst_ip when 'from' is an address (3.x HIER_DIRECT/ip, 2.x DIRECT/ip,
                     NONE/- and HIER_NONE/- give none)
  ident           -> dropped: it is a user name or e-mail address (personal data).
  type            -> ignored.
Lines Squid writes for transactions that never became a request ('NONE' method with an
'error:...' URL) are skipped as 'no_request'.
"""

from __future__ import annotations

from sentinel.collect.logs.base import (
    TLS_PORTS,
    LogParser,
    ParseError,
    split_host_port,
    split_url,
)
from sentinel.model import EgressEvent


class SquidParser(LogParser):
    family = "squid"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        # Clients, peers and URL prefixes repeat endlessly: classify each string once.
        self._clients: dict[str, tuple[str, str]] = {}
        self._peers: dict[str, str] = {}
        self._connect: dict[str, tuple[str, int, str]] = {}

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        for line in head:
            f = line.split()
            if len(f) < 10:
                continue
            t, _, ms = f[0].partition(".")
            if t.isdigit() and ms.isdigit() and "/" in f[3] and f[1].lstrip("-").isdigit():
                code, _, status = f[3].partition("/")
                if status.isdigit() and code.isupper():
                    return True
        return False

    def _parse(self, line: str) -> EgressEvent | None:
        # Runs of spaces: elapsed is %6d-padded and a stray double space happens.
        f = line.split()
        if len(f) < 10:
            if not f:
                raise ParseError("empty", "blank line")
            raise ParseError("field_count", f"expected 10 fields, got {len(f)}")
        try:
            ts = float(f[0])
        except ValueError:
            raise ParseError("bad_timestamp", "expected epoch seconds") from None
        try:
            duration = float(f[1])
            size = int(f[4])
            code = f[3]
            cut = code.index("/")
            status = int(code[cut + 1 :])
        except ValueError:
            raise ParseError("bad_number", "elapsed, code/status or size is not a number") from None
        if not 0 <= status <= 999 or size < 0:
            raise ParseError("bad_number", "status outside 0-999 or negative size")
        if ts != ts or duration != duration or ts in _INF or duration in _INF:
            raise ParseError("bad_number", "non-finite number")
        method = f[5]
        url = f[6]
        if method == "CONNECT":
            hit = self._connect.get(url)
            if hit is None:
                host, port = split_host_port(url, 443)
                hit = (host, port, "tls" if port in TLS_PORTS else "tcp")
                self._remember(self._connect, url, hit)
            host, port, scheme = hit
            path = ""
        elif method == "NONE" or url[:6] == "error:":
            return self.skip("no_request")
        else:
            scheme, host, port, path = split_url(url)
        peer = self._peers.get(f[8])
        if peer is None:
            peer = f[8].partition("/")[2]
            if not (":" in peer or peer.replace(".", "").isdigit()):
                peer = ""  # '-', or 2.x logging the peer's name
            self._remember(self._peers, f[8], peer)
        client = self._clients.get(f[2])
        if client is None:
            c = f[2]
            client = (c, "") if (":" in c or c.replace(".", "").isdigit()) else ("", c.lower())
            self._remember(self._clients, c, client)
        # Positional, in EVENT_FIELDS order (see base.py).
        return EgressEvent(
            ts, "squid", client[0], client[1], host, peer, port, method, scheme, path,
            status, 0, size, duration, "", "", "", "", "", code[:cut],
        )  # fmt: skip

    @staticmethod
    def _remember(cache: dict, key, value) -> None:
        if len(cache) >= 4096:
            cache.clear()
        cache[key] = value


_INF = (float("inf"), float("-inf"))
