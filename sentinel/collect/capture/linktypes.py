"""Where the IP header starts in a frame, per pcap link type.

Each decoder returns the offset of the IP header in ``data``, ``NOT_IP`` for frames that
carry something else (ARP, STP, LLC without SNAP ...), or ``BAD`` for a frame too short
for its own link header. Only header bytes are looked at: no per-packet objects.
"""

from __future__ import annotations

from collections.abc import Callable

NOT_IP = -1
BAD = -2

DLT_NULL = 0
DLT_EN10MB = 1
DLT_RAW_OLD = 12  # DLT_RAW on some BSDs
DLT_RAW_OPENBSD = 14
DLT_RAW = 101
DLT_LOOP = 108
DLT_LINUX_SLL = 113
DLT_IPV4 = 228
DLT_IPV6 = 229
DLT_LINUX_SLL2 = 276

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
VLAN_TAGS = (0x8100, 0x88A8, 0x9100, 0x9200)

# Address families in DLT_NULL/DLT_LOOP headers: Linux uses 10 for IPv6, the BSDs 24
# (NetBSD/OpenBSD), 28 (FreeBSD) and 30 (macOS), so all of them are accepted.
AF_INET = 2
AF_INET6 = (10, 24, 28, 30)


def _ethertype_payload(data: bytes, pos: int, etype: int) -> int:
    """Follow VLAN tags from an ethertype field whose payload starts at ``pos``."""
    while etype in VLAN_TAGS:
        if len(data) < pos + 4:
            return BAD
        etype = (data[pos + 2] << 8) | data[pos + 3]
        pos += 4
    if etype == ETH_IPV4 or etype == ETH_IPV6:
        return pos
    return NOT_IP


def ethernet(data: bytes) -> int:
    if len(data) < 14:
        return BAD
    etype = (data[12] << 8) | data[13]
    if etype == ETH_IPV4:
        return 14
    if etype <= 1500:
        # 802.3 length field: only LLC/SNAP (AA AA 03) can carry an ethertype.
        if len(data) >= 22 and data[14] == 0xAA and data[15] == 0xAA and data[16] == 0x03:
            return _ethertype_payload(data, 22, (data[20] << 8) | data[21])
        return NOT_IP
    return _ethertype_payload(data, 14, etype)


def null_loopback(data: bytes) -> int:
    # DLT_NULL's family is in the writer's byte order, which the file does not record.
    if len(data) < 4:
        return BAD
    fam = data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)
    if fam > 0xFFFF:
        fam = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]
    if fam == AF_INET or fam in AF_INET6:
        return 4
    return NOT_IP


def loop(data: bytes) -> int:
    # DLT_LOOP: the family is always big-endian (OpenBSD), but accept either.
    return null_loopback(data)


def raw_ip(data: bytes) -> int:
    if not data:
        return BAD
    v = data[0] >> 4
    return 0 if v == 4 or v == 6 else NOT_IP


def linux_sll(data: bytes) -> int:
    if len(data) < 16:
        return BAD
    return _ethertype_payload(data, 16, (data[14] << 8) | data[15])


def linux_sll2(data: bytes) -> int:
    if len(data) < 20:
        return BAD
    return _ethertype_payload(data, 20, (data[0] << 8) | data[1])


DECODERS: dict[int, Callable[[bytes], int]] = {
    DLT_NULL: null_loopback,
    DLT_EN10MB: ethernet,
    DLT_RAW_OLD: raw_ip,
    DLT_RAW_OPENBSD: raw_ip,
    DLT_RAW: raw_ip,
    DLT_LOOP: loop,
    DLT_LINUX_SLL: linux_sll,
    DLT_IPV4: raw_ip,
    DLT_IPV6: raw_ip,
    DLT_LINUX_SLL2: linux_sll2,
}
