"""TLS ClientHello/ServerHello extraction on synthetic and OpenSSL-made handshakes."""

from __future__ import annotations

import struct

from capture_frames import CCS, TcpConn, app_data, client_hello, real_client_hello, run_frames, server_hello


def tls_conn(ch: bytes, sh: bytes = b"", *, seg: int = 1448, port: int = 443, after_c: bytes = b"", after_s: bytes = b""):
    conn = TcpConn(server=("198.51.100.20", port))
    frames = conn.handshake() + conn.c_segments(ch, size=seg)
    if sh:
        frames += conn.s_segments(sh)
    if after_c:
        frames += conn.c_segments(after_c)
    if after_s:
        frames += conn.s_segments(after_s)
    return frames + conn.close()


def test_openssl_client_hello():
    c = run_frames(tls_conn(real_client_hello("api.openai.com"), server_hello(0x0304, 0x1301) + CCS + app_data(300),
                            after_c=CCS + app_data(80)))
    (h,) = c.handshakes
    assert h.sni == "api.openai.com"
    assert h.alpn == ["h2", "http/1.1"]
    assert "TLSv1.3" in h.offered_versions and "TLSv1.2" in h.offered_versions
    assert "0x1301" in h.offered_ciphers
    assert (h.version, h.cipher, h.source) == ("TLSv1.3", "0x1301", "pcap")
    (e,) = c.tls_events
    assert (e.scheme, e.dst_host, e.sni, e.tls_version, e.tls_cipher, e.dst_port) == (
        "tls", "api.openai.com", "api.openai.com", "TLSv1.3", "0x1301", 443)
    assert e.bytes_out > 80 and e.bytes_in > 300


def test_grease_ignored_and_ech_noted():
    ch = client_hello("public.example", versions=(0x0304, 0x0303), ciphers=(0x1301, 0x1302), grease=True, ech=True)
    c = run_frames(tls_conn(ch))
    (h,) = c.handshakes
    assert h.offered_ciphers == ["0x1301", "0x1302"]
    assert h.offered_versions == ["TLSv1.3", "TLSv1.2"]
    assert h.ech is True and h.sni == "public.example"
    assert h.version == ""  # no ServerHello seen


def test_client_hello_in_one_byte_segments():
    c = run_frames(tls_conn(client_hello("tiny.example"), seg=1))
    assert [h.sni for h in c.handshakes] == ["tiny.example"]


def test_client_hello_fragmented_over_tls_records():
    rec = client_hello("frag.example")
    hs = rec[5:]
    frags = [hs[:40], hs[40:41], hs[41:]]
    split = b"".join(struct.pack("!BHH", 22, 0x0301, len(f)) + f for f in frags)
    c = run_frames(tls_conn(split, seg=50))
    assert [h.sni for h in c.handshakes] == ["frag.example"]


def test_legacy_version_only():
    ch = client_hello("old.example", versions=(), legacy=0x0301, alpn=())
    c = run_frames(tls_conn(ch, server_hello(0x0301, 0xC014)))
    (h,) = c.handshakes
    assert h.offered_versions == ["TLSv1.0"] and (h.version, h.cipher) == ("TLSv1.0", "0xc014")


def test_hello_retry_request_two_client_hellos():
    ch1 = client_hello("", versions=(0x0304,))
    ch2 = client_hello("", versions=(0x0304,), ciphers=(0x1302,))
    conn = TcpConn(server=("198.51.100.20", 443))
    frames = conn.handshake() + conn.c_segments(ch1)
    frames += conn.s_segments(server_hello(0x0304, 0x1302, hrr=True) + CCS)
    frames += conn.c_segments(CCS + ch2)
    frames += conn.s_segments(server_hello(0x0304, 0x1302) + CCS + app_data(200))
    frames += conn.c_segments(app_data(50)) + conn.close()
    c = run_frames(frames)
    assert len(c.handshakes) == 2
    assert [h.version for h in c.handshakes] == ["TLSv1.3", "TLSv1.3"]
    assert [h.offered_ciphers for h in c.handshakes] == [["0x1301", "0xc02f"], ["0x1302"]]
    assert len(c.tls_events) == 1


def test_tls12_encrypted_finished_is_not_parsed_as_hello():
    # After ChangeCipherSpec the client's Finished is an encrypted handshake record whose
    # first byte may well be 0x01: it must not count as a second ClientHello.
    fake_finished = b"\x16\x03\x03\x00\x28" + b"\x01\x00\x00\x24" + b"\x00" * 36
    c = run_frames(tls_conn(client_hello("t12.example", versions=()), server_hello(0x0303, 0xC02F),
                            after_c=b"\x16\x03\x03\x00\x05\x10\x00\x00\x01\x00" + CCS + fake_finished))
    assert len(c.handshakes) == 1 and c.proc.stats["tls_client_hellos"] == 1
    assert c.handshakes[0].version == "TLSv1.2"


def test_starttls_smtp():
    conn = TcpConn(server=("192.0.2.25", 587))
    frames = conn.handshake()
    frames += conn.s_segments(b"220 mail.example.com ESMTP ready\r\n")
    frames += conn.c_segments(b"EHLO client.example\r\n")
    frames += conn.s_segments(b"250-mail.example.com\r\n250-SIZE 35882577\r\n250 STARTTLS\r\n")
    frames += conn.c_segments(b"STARTTLS\r\n")
    frames += conn.s_segments(b"220 2.0.0 Ready to start TLS\r\n")
    frames += conn.c_segments(client_hello("mail.example.com"))
    frames += conn.s_segments(server_hello(0x0304, 0x1303) + CCS + app_data(100))
    frames += conn.close()
    c = run_frames(frames)
    (h,) = c.handshakes
    assert (h.sni, h.version, h.cipher, h.dst_port) == ("mail.example.com", "TLSv1.3", "0x1303", 587)
    (e,) = c.tls_events
    assert e.dst_host == "mail.example.com" and e.bytes_out == len(client_hello("mail.example.com"))
    assert c.proc.stats["starttls"] == 1 and c.requests == []


def test_sslv2_format_client_hello():
    specs = b"\x00\x00\x2f" + b"\x07\x00\xc0" + b"\x00\x00\x35"
    body = b"\x01" + struct.pack("!HHHH", 0x0301, len(specs), 0, 16) + specs + b"\x42" * 16
    rec = struct.pack("!H", 0x8000 | len(body)) + body
    c = run_frames(tls_conn(rec, server_hello(0x0301, 0x002F)))
    (h,) = c.handshakes
    assert h.offered_versions == ["TLSv1.0"] and h.offered_ciphers == ["0x002f", "0x0035"]
    assert h.version == "TLSv1.0"


def test_midstream_tls_still_counted_as_a_connection():
    conn = TcpConn(server=("198.51.100.20", 443))
    frames = [conn.c(app_data(200)), conn.s(app_data(900)), conn.c(app_data(100))] + conn.close()
    c = run_frames(frames)
    assert c.handshakes == []
    (e,) = c.tls_events
    assert e.sni == "" and e.dst_port == 443 and e.bytes_out == 2 * 5 + 300 and e.bytes_in == 905


def test_garbage_after_client_hello_is_counted():
    c = run_frames(tls_conn(client_hello("g.example") + b"\x99" * 50))
    assert [h.sni for h in c.handshakes] == ["g.example"]
    assert c.proc.stats["tls_bad_record"] == 1 and c.proc.stats.get("parser_errors", 0) == 0


def test_truncated_client_hello_body_is_counted():
    rec = client_hello("cut.example")
    hs = rec[5:]
    short = b"\x01" + (30).to_bytes(3, "big") + hs[4:34]  # a hello that stops inside the random
    c = run_frames(tls_conn(struct.pack("!BHH", 22, 0x0301, len(short)) + short))
    assert c.handshakes == [] and c.proc.stats["tls_bad_client_hello"] == 1
