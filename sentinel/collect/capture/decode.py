"""IPv4/IPv6 + TCP header decoding straight from the frame bytes.

``decode_tcp(data, off)`` returns ``(key, seq, flags, start, end, claimed)``:

* ``key``: the directional flow key, ``src addr + dst addr + src port + dst port`` as one
  bytes object (12 bytes for IPv4, 36 for IPv6, so the families never collide). Keeping it
  as raw bytes costs one concatenation per packet instead of building address strings;
  strings are made once per flow (:func:`key_endpoints`).
* ``start``/``end``: the TCP payload inside ``data``. ``end`` comes from the IP length, so
  Ethernet padding after short packets is never taken as stream data.
* ``claimed``: payload length according to the IP header; larger than ``end - start`` when
  the capture's snaplen cut the packet (the missing bytes become a stream gap).

Non-TCP packets give ``None``; malformed ones a short reason string for the counters.
"""

from __future__ import annotations

import socket
import struct

_tcp = struct.Struct("!IxxxxBB").unpack_from  # seq, data offset, flags

FIN = 0x01
SYN = 0x02
RST = 0x04
ACK = 0x10

# IPv6 extension headers that may precede TCP (fragment handled separately).
_EXT = frozenset((0, 43, 60, 135, 139, 140))


def decode_tcp(data: bytes, off: int):
    n = len(data)
    if n < off + 20:
        return "ip_truncated"
    v = data[off] >> 4
    if v == 4:
        ihl = (data[off] & 0x0F) << 2
        if ihl < 20:
            return "ip_bad_header"
        if data[off + 9] != 6:
            return None
        if ((data[off + 6] << 8) | data[off + 7]) & 0x3FFF:
            # Fragmented TCP is rare enough on egress paths that it is counted, not rebuilt.
            return "ip_fragment"
        end = off + ((data[off + 2] << 8) | data[off + 3])
        t = off + ihl
        if end < t + 20:
            # Total length 0 happens with TSO captures on the sending host.
            if ((data[off + 2] << 8) | data[off + 3]) == 0 and n >= t + 20:
                end = n
            else:
                return "ip_bad_length"
        if n < t + 20:
            return "tcp_truncated"
        key = data[off + 12:off + 20] + data[t:t + 4]
    elif v == 6:
        if n < off + 40:
            return "ip_truncated"
        plen = (data[off + 4] << 8) | data[off + 5]
        end = off + 40 + plen if plen else n  # 0: jumbogram / TSO
        nh = data[off + 6]
        t = off + 40
        while nh != 6:
            if nh in _EXT:
                if n < t + 8:
                    return "ip_truncated"
                nh, t = data[t], t + ((data[t + 1] + 1) << 3)
            elif nh == 44:
                if n < t + 8:
                    return "ip_truncated"
                if ((data[t + 2] << 8) | data[t + 3]) & 0xFFF9:
                    return "ip_fragment"
                nh, t = data[t], t + 8
            elif nh == 51:  # AH counts its length in 4-byte units
                if n < t + 8:
                    return "ip_truncated"
                nh, t = data[t], t + ((data[t + 1] + 2) << 2)
            else:
                return None
        if n < t + 20:
            return "tcp_truncated"
        if end < t + 20:
            return "ip_bad_length"
        key = data[off + 8:off + 40] + data[t:t + 4]
    else:
        return "ip_bad_version"
    seq, doff, flags = _tcp(data, t + 4)
    start = t + ((doff >> 4) << 2)
    if start < t + 20 or start > end:
        return "tcp_bad_header"
    claimed = end - start
    if end > n:
        end = n if n > start else start
    return key, seq, flags, start, end, claimed


def reverse_key(key: bytes) -> bytes:
    a = (len(key) - 4) >> 1
    return key[a:2 * a] + key[:a] + key[-2:] + key[-4:-2]


def key_endpoints(key: bytes) -> tuple[str, int, str, int]:
    """(src ip, src port, dst ip, dst port) as strings/ints, for one flow direction."""
    a = (len(key) - 4) >> 1
    fam = socket.AF_INET if a == 4 else socket.AF_INET6
    return (
        socket.inet_ntop(fam, key[:a]),
        (key[-4] << 8) | key[-3],
        socket.inet_ntop(fam, key[a:2 * a]),
        (key[-2] << 8) | key[-1],
    )
