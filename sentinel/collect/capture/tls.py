"""TLS handshakes on a reassembled TCP connection: ClientHello and ServerHello only.

Records are parsed until the hellos are seen, then the direction is dropped from parsing
(``sink = None``) so the encrypted rest of the connection costs nothing but a byte count.
Handshake messages are reassembled across records and across TCP segments. Each
ClientHello becomes a ``TlsHandshake`` (a HelloRetryRequest makes two on one connection);
the connection itself becomes one ``EgressEvent`` with scheme ``tls`` when it ends.
"""

from __future__ import annotations

import struct

from sentinel.model import EgressEvent, TlsHandshake

MAX_HANDSHAKE = 128 * 1024
MAX_RECORD = 16384 + 2048

VERSIONS = {
    0x0002: "SSLv2",
    0x0300: "SSLv3",
    0x0301: "TLSv1.0",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}

# SHA-256("HelloRetryRequest"): the ServerHello random that marks a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

EXT_SNI = 0
EXT_ALPN = 16
EXT_SUPPORTED_VERSIONS = 43
EXT_ECH = 0xFE0D

_u16 = struct.Struct("!H").unpack_from


def version_name(v: int) -> str:
    name = VERSIONS.get(v)
    if name:
        return name
    if v >> 8 == 0x7F:
        return f"TLSv1.3-draft{v & 0xFF}"
    return f"0x{v:04x}"


def is_grease(v: int) -> bool:
    # RFC 8701: 0x0a0a, 0x1a1a ... 0xfafa
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def cipher_name(v: int) -> str:
    return f"0x{v:04x}"


class HelloError(ValueError):
    pass


def parse_client_hello(msg: bytes) -> dict:
    """Fields of a ClientHello handshake body (without the 4-byte handshake header)."""
    try:
        n = len(msg)
        legacy = _u16(msg, 0)[0]
        p = 34
        p += 1 + msg[p]
        cs_len = _u16(msg, p)[0]
        p += 2
        if p + cs_len > n:
            raise HelloError("cipher suites overrun")
        ciphers = [cipher_name(c) for c in struct.unpack_from(f"!{cs_len // 2}H", msg, p) if not is_grease(c)]
        p += cs_len
        p += 1 + msg[p]
        out = {"legacy": legacy, "ciphers": ciphers, "sni": "", "alpn": [], "versions": [], "ech": False}
        if p + 2 > n:
            return out  # no extensions (SSLv3 / old TLS)
        ext_end = min(n, p + 2 + _u16(msg, p)[0])
        p += 2
        while p + 4 <= ext_end:
            et, el = struct.unpack_from("!HH", msg, p)
            p += 4
            ed = msg[p:p + el]
            p += el
            if et == EXT_SNI:
                q = 2
                while q + 3 <= len(ed):
                    nt, nl = ed[q], _u16(ed, q + 1)[0]
                    if nt == 0:
                        out["sni"] = ed[q + 3:q + 3 + nl].decode("ascii", "replace").rstrip(".").lower()
                        break
                    q += 3 + nl
            elif et == EXT_ALPN:
                q = 2
                while q < len(ed):
                    ln = ed[q]
                    out["alpn"].append(ed[q + 1:q + 1 + ln].decode("ascii", "replace"))
                    q += 1 + ln
            elif et == EXT_SUPPORTED_VERSIONS:
                ln = ed[0] if ed else 0
                out["versions"] = [
                    version_name(v) for v in struct.unpack_from(f"!{ln // 2}H", ed, 1) if not is_grease(v)
                ]
            elif et == EXT_ECH:
                out["ech"] = True
        return out
    except (IndexError, struct.error) as exc:
        raise HelloError(f"truncated ClientHello: {exc}") from None


def parse_server_hello(msg: bytes) -> dict:
    try:
        legacy = _u16(msg, 0)[0]
        random = msg[2:34]
        p = 34
        p += 1 + msg[p]
        cipher = _u16(msg, p)[0]
        p += 3
        version = legacy
        if p + 2 <= len(msg):
            ext_end = min(len(msg), p + 2 + _u16(msg, p)[0])
            p += 2
            while p + 4 <= ext_end:
                et, el = struct.unpack_from("!HH", msg, p)
                p += 4
                if et == EXT_SUPPORTED_VERSIONS and el >= 2:
                    version = _u16(msg, p)[0]
                p += el
        return {"version": version_name(version), "cipher": cipher_name(cipher), "hrr": random == HRR_RANDOM}
    except (IndexError, struct.error) as exc:
        raise HelloError(f"truncated ServerHello: {exc}") from None


def parse_sslv2_client_hello(rec: bytes) -> dict:
    """SSLv2-format (compatibility) ClientHello, record header included."""
    try:
        version = _u16(rec, 3)[0]
        cs_len = _u16(rec, 5)[0]
        ciphers = []
        for i in range(11, 11 + cs_len - 2, 3):
            if rec[i] == 0:  # 3-byte SSLv2 specs with a zero first byte are TLS suites
                c = _u16(rec, i + 1)[0]
                if not is_grease(c):
                    ciphers.append(cipher_name(c))
        return {"legacy": version, "ciphers": ciphers, "sni": "", "alpn": [], "versions": [], "ech": False}
    except (IndexError, struct.error) as exc:
        raise HelloError(f"truncated SSLv2 ClientHello: {exc}") from None


class TlsHandler:
    """Both directions of one TLS connection (also after STARTTLS or inside CONNECT)."""

    def __init__(self, flow, proc, ts: float):
        self.flow = flow
        self.proc = proc
        self.ts = ts
        self.c_rec = b""  # partial record bytes
        self.s_rec = b""
        self.c_hs = b""  # partial handshake message bytes
        self.s_hs = b""
        self.unanswered: list[TlsHandshake] = []
        self.sni = ""
        self.version = ""
        self.cipher = ""
        self.offset = proc.record_offset()
        self.server_final = False  # a ServerHello that is not a HelloRetryRequest
        self.first_record = True
        # Bytes before TLS started (HTTP CONNECT, STARTTLS dialogue) are not TLS traffic.
        self.c_base = flow.c.bytes
        self.s_base = flow.s.bytes
        flow.c.sink = self.client
        flow.c.gap_sink = self.client_gap
        flow.s.sink = self.server
        flow.s.gap_sink = self.server_gap
        flow.closers.append(self.close)

    # The records of both directions share one loop; ``client`` selects the state.
    def client(self, ts, buf, pos, end):
        self._records(ts, True, buf, pos, end)

    def server(self, ts, buf, pos, end):
        self._records(ts, False, buf, pos, end)

    def client_gap(self, ts, n):
        self.proc.stats["tls_gaps"] += 1
        self._stop(True)

    def server_gap(self, ts, n):
        self.proc.stats["tls_gaps"] += 1
        self._stop(False)

    def _stop(self, client: bool):
        if client:
            self.flow.c.sink = None
            self.c_rec = self.c_hs = b""
        else:
            self.flow.s.sink = None
            self.s_rec = self.s_hs = b""

    def _records(self, ts, client, buf, pos, end):
        prev = self.c_rec if client else self.s_rec
        if prev:
            buf = prev + buf[pos:end]
            pos, end = 0, len(buf)
        stream = self.flow.c if client else self.flow.s
        while end - pos >= 5:
            if client and self.first_record and buf[pos] & 0x80 and buf[pos + 2] == 1:
                ln = ((buf[pos] & 0x7F) << 8 | buf[pos + 1]) + 2
                if end - pos < ln:
                    break
                self.first_record = False
                self._client_hello(ts, buf[pos:pos + ln], sslv2=True)
                pos += ln
                continue
            ct = buf[pos]
            ln = (buf[pos + 3] << 8) | buf[pos + 4]
            if not (20 <= ct <= 24) or buf[pos + 1] != 3 or ln > MAX_RECORD:
                self.proc.stats["tls_bad_record"] += 1
                self._stop(client)
                return
            if end - pos < 5 + ln:
                break
            self.first_record = False
            if ct == 22:
                self._handshake(ts, client, buf[pos + 5:pos + 5 + ln])
            elif ct == 23 or (ct == 20 and self.server_final):
                # CCS before the final ServerHello is TLS 1.3 middlebox compatibility
                # around a HelloRetryRequest: the next hellos are still in clear.
                # Encrypted from here on: nothing more to learn in this direction.
                self._stop(client)
                return
            if stream.sink is None:  # the handshake parser stopped this direction
                return
            pos += 5 + ln
        rest = buf[pos:end]
        if len(rest) > MAX_RECORD + 5:
            self._stop(client)
            return
        if client:
            self.c_rec = rest
        else:
            self.s_rec = rest

    def _handshake(self, ts, client, frag):
        hs = (self.c_hs + frag) if client else (self.s_hs + frag)
        p = 0
        n = len(hs)
        while n - p >= 4:
            typ = hs[p]
            ln = (hs[p + 1] << 16) | (hs[p + 2] << 8) | hs[p + 3]
            if ln > MAX_HANDSHAKE:
                self.proc.stats["tls_bad_handshake"] += 1
                self._stop(client)
                return
            if n - p < 4 + ln:
                break
            msg = hs[p + 4:p + 4 + ln]
            p += 4 + ln
            if client and typ == 1:
                self._client_hello(ts, msg)
            elif not client and typ == 2:
                self._server_hello(ts, msg)
                if self.server_final:
                    self._stop(False)
                    return
        if client:
            self.c_hs = hs[p:]
        else:
            self.s_hs = hs[p:]

    def _client_hello(self, ts, msg, sslv2=False):
        proc = self.proc
        try:
            ch = parse_sslv2_client_hello(msg) if sslv2 else parse_client_hello(msg)
        except HelloError:
            proc.stats["tls_bad_client_hello"] += 1
            return
        ep = self.flow.endpoints()
        versions = ch["versions"] or [version_name(ch["legacy"])]
        hs = TlsHandshake(
            ts=ts,
            src_ip=ep[0],
            src_port=ep[1],
            dst_ip=ep[2],
            dst_port=ep[3],
            sni=ch["sni"],
            offered_versions=versions,
            offered_ciphers=ch["ciphers"],
            alpn=ch["alpn"],
            ech=ch["ech"],
            flow_id=self.flow.flow_id(),
            source=proc.source,
        )
        if ch["sni"] and not self.sni:
            self.sni = ch["sni"]
        proc.stats["tls_client_hellos"] += 1
        if len(self.unanswered) >= 4:
            proc.emit_handshake(self.unanswered.pop(0))
        self.unanswered.append(hs)

    def _server_hello(self, ts, msg):
        try:
            sh = parse_server_hello(msg)
        except HelloError:
            self.proc.stats["tls_bad_server_hello"] += 1
            self.server_final = True
            return
        self.version = sh["version"]
        self.cipher = sh["cipher"]
        self.server_final = not sh["hrr"]
        if self.unanswered:
            hs = self.unanswered.pop(0)
            hs.version = sh["version"]
            hs.cipher = sh["cipher"]
            self.proc.emit_handshake(hs)

    def close(self, ts):
        proc = self.proc
        for hs in self.unanswered:
            proc.emit_handshake(hs)
        self.unanswered = []
        flow = self.flow
        ep = flow.endpoints()
        proc.emit_event(EgressEvent(
            ts=self.ts,
            source=proc.source,
            src_ip=ep[0],
            dst_host=self.sni,
            dst_ip=ep[2],
            dst_port=ep[3],
            scheme="tls",
            bytes_out=flow.c.bytes - self.c_base,
            bytes_in=flow.s.bytes - self.s_base,
            duration_ms=max(0.0, (flow.last_ts - self.ts) * 1000.0),
            tls_version=self.version,
            tls_cipher=self.cipher,
            sni=self.sni,
            origin=proc.origin,
            offset=self.offset,
        ))
        proc.stats["tls_connections"] += 1
