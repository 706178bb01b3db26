"""Streaming readers for pcap and pcapng files.

``iter_records(path)`` yields ``(offset, ts, linktype, data)`` per packet, reading the
file in large blocks so that memory stays bounded whatever the file size. Our own record
loop is used by default because scapy's ``RawPcapReader`` does two ``read()`` calls and
builds a metadata tuple per packet, which measured at about a third of the speed on the
benchmark capture; ``backend="scapy"`` keeps scapy's reader available for comparison.

Gzip-compressed captures (rotated ``*.pcap.gz``) are read transparently.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20
# Larger than any real snaplen (262144); beyond it a length field is corrupt, not data.
MAX_RECORD = 1 << 24

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"

Record = tuple[int, float, int, bytes]


class CaptureFileError(ValueError):
    """A capture file that cannot be read (further): names the file and the byte offset."""

    def __init__(self, path: str | os.PathLike, offset: int, reason: str):
        self.path = str(path)
        self.offset = offset
        self.reason = reason
        super().__init__(f"{self.path}: at byte {offset}: {reason}")


def is_capture_file(path: str | os.PathLike) -> bool:
    """True when the file starts with a pcap/pcapng magic (possibly gzip-compressed)."""
    try:
        with _open(path) as f:
            head = f.read(4)
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    return head in PCAP_MAGICS or head == PCAPNG_SHB


def _open(path):
    f = open(path, "rb")
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb")
    f.seek(0)
    return f


class CaptureReader:
    """Iterates over the packet records of one pcap/pcapng file.

    After iteration, ``truncated`` says whether the file ended inside a record, and
    ``error`` holds a :class:`CaptureFileError` if corruption stopped the read early.
    The file is closed when iteration ends or the reader is closed.
    """

    def __init__(self, path: str | os.PathLike, *, backend: str = "native", strict: bool = False):
        self.path = str(path)
        self.backend = backend
        self.strict = strict
        self.truncated = False
        self.error: CaptureFileError | None = None
        self.format = ""
        self.packets = 0
        self.bytes_read = 0

    def __iter__(self) -> Iterator[Record]:
        if self.backend == "scapy":
            return self._iter_scapy()
        return self._iter_native()

    # -- errors -------------------------------------------------------------------------

    def _fail(self, offset: int, reason: str, truncated: bool = False):
        err = CaptureFileError(self.path, offset, reason)
        if truncated:
            self.truncated = True
        self.error = err
        if self.strict:
            raise err

    # -- native -------------------------------------------------------------------------

    def _iter_native(self) -> Iterator[Record]:
        # The format generator is returned as is (no ``yield from`` layer): one generator
        # resume per packet instead of two.
        f = _open(self.path)
        try:
            head = f.read(24)
        except BaseException:
            f.close()
            raise
        magic = head[:4]
        if magic in PCAP_MAGICS:
            self.format = "pcap"
            return self._iter_pcap(f, head)
        if magic == PCAPNG_SHB:
            self.format = "pcapng"
            return self._iter_pcapng(f, head)
        f.close()
        # Not a capture at all: nothing can be salvaged, so this always raises.
        raise CaptureFileError(self.path, 0, f"not a pcap or pcapng file (magic {magic.hex() or 'empty'})")

    def _iter_pcap(self, f, head: bytes) -> Iterator[Record]:
        with f:  # closed when iteration ends or the generator is dropped
            if len(head) < 24:
                self._fail(len(head), "pcap global header cut short", truncated=True)
                return
            endian, scale = PCAP_MAGICS[head[:4]]
            # Upper bits of the link-type field carry FCS information, not the link type.
            linktype = struct.unpack_from(endian + "I", head, 20)[0] & 0xFFFF
            unpack = struct.Struct(endian + "IIII").unpack_from
            read = f.read
            buf = read(CHUNK)
            base = 24  # file offset of buf[0]
            pos = 0
            n = 0
            while True:
                blen = len(buf)
                if blen - pos < 16:
                    more = read(CHUNK)
                    if not more:
                        if blen > pos:
                            self._fail(base + pos, "file ends inside a record header", truncated=True)
                        break
                    buf = buf[pos:] + more
                    base += pos
                    pos = 0
                    continue
                sec, frac, incl, _orig = unpack(buf, pos)
                end = pos + 16 + incl
                if end > blen:
                    if incl > MAX_RECORD:
                        self._fail(base + pos, f"record length {incl} is not plausible (corrupt file)")
                        break
                    more = read(max(CHUNK, end - blen))
                    if not more:
                        self._fail(base + pos, f"file ends inside a record ({blen - pos - 16} of {incl} bytes)", truncated=True)
                        break
                    buf = buf[pos:] + more
                    base += pos
                    pos = 0
                    continue
                n += 1
                yield base + pos, sec + frac * scale, linktype, buf[pos + 16:end]
                pos = end
            self.packets = n
            self.bytes_read = base + pos

    def _iter_pcapng(self, f, first: bytes) -> Iterator[Record]:
        with f:  # closed when iteration ends or the generator is dropped
            read = f.read
            buf = first + read(CHUNK)
            base = 0
            pos = 0
            endian = "<"
            u32 = struct.Struct("<I").unpack_from
            ifaces: list[tuple[int, float, float]] = []  # (linktype, ts scale, ts offset)
            n = 0
            while True:
                blen = len(buf)
                if blen - pos < 12:
                    more = read(CHUNK)
                    if not more:
                        if blen > pos:
                            self._fail(base + pos, "file ends inside a block header", truncated=True)
                        break
                    buf = buf[pos:] + more
                    base += pos
                    pos = 0
                    continue
                btype = buf[pos:pos + 4]
                if btype == PCAPNG_SHB:
                    bom = buf[pos + 8:pos + 12]
                    if bom == b"\x4d\x3c\x2b\x1a":
                        endian = "<"
                    elif bom == b"\x1a\x2b\x3c\x4d":
                        endian = ">"
                    else:
                        self._fail(base + pos, "bad byte-order magic in section header block")
                        break
                    u32 = struct.Struct(endian + "I").unpack_from
                    ifaces = []  # interface ids are per section
                btype_n = u32(buf, pos)[0]
                blk_len = u32(buf, pos + 4)[0]
                if blk_len < 12 or blk_len % 4 or blk_len > MAX_RECORD:
                    self._fail(base + pos, f"block length {blk_len} is not valid (corrupt file)")
                    break
                end = pos + blk_len
                if end > blen:
                    more = read(max(CHUNK, end - blen))
                    if not more:
                        self._fail(base + pos, f"file ends inside a block ({blen - pos} of {blk_len} bytes)", truncated=True)
                        break
                    buf = buf[pos:] + more
                    base += pos
                    pos = 0
                    continue
                if btype_n == 6:  # enhanced packet block
                    iface, th, tl, cap = struct.unpack_from(endian + "IIII", buf, pos + 8)
                    if iface < len(ifaces) and 28 + cap <= blk_len:
                        lt, scale, toff = ifaces[iface]
                        n += 1
                        yield base + pos, ((th << 32) | tl) * scale + toff, lt, buf[pos + 28:pos + 28 + cap]
                    else:
                        self._fail(base + pos, "enhanced packet block refers to an unknown interface or overruns its block")
                elif btype_n == 3:  # simple packet block: interface 0, no timestamp
                    if ifaces:
                        orig = u32(buf, pos + 8)[0]
                        cap = min(orig, blk_len - 16)
                        n += 1
                        yield base + pos, 0.0, ifaces[0][0], buf[pos + 12:pos + 12 + cap]
                elif btype_n == 2:  # obsolete packet block
                    iface, _drops, th, tl, cap = struct.unpack_from(endian + "HHIII", buf, pos + 8)
                    if iface < len(ifaces) and 28 + cap <= blk_len:
                        lt, scale, toff = ifaces[iface]
                        n += 1
                        yield base + pos, ((th << 32) | tl) * scale + toff, lt, buf[pos + 28:pos + 28 + cap]
                elif btype_n == 1:  # interface description block
                    lt = struct.unpack_from(endian + "H", buf, pos + 8)[0]
                    scale, toff = _idb_options(buf, pos + 16, end - 4, endian)
                    ifaces.append((lt, scale, toff))
                pos = end
            self.packets = n
            self.bytes_read = base + pos

    # -- scapy --------------------------------------------------------------------------

    def _iter_scapy(self) -> Iterator[Record]:
        from scapy.utils import RawPcapReader  # the metaclass picks the pcapng reader too

        try:
            reader = RawPcapReader(self.path)
        except Exception as exc:  # scapy raises Scapy_Exception for bad magic
            raise CaptureFileError(self.path, 0, f"not a pcap or pcapng file ({exc})") from None
        self.format = "pcapng" if type(reader).__name__.startswith("RawPcapNg") else "pcap"
        n = 0
        try:
            while True:
                try:
                    item = reader._read_packet()
                except EOFError:
                    break
                except Exception as exc:
                    self._fail(-1, f"scapy reader stopped: {exc}", truncated=True)
                    break
                data, meta = item
                if self.format == "pcap":
                    ts = meta.sec + meta.usec * (1e-9 if reader.nano else 1e-6)
                    lt = reader.linktype
                else:
                    ts = ((meta.tshigh << 32) | meta.tslow) / meta.tsresol
                    lt = meta.linktype
                n += 1
                yield n, ts, lt, data
        finally:
            reader.close()
            self.packets = n


def _idb_options(buf: bytes, pos: int, end: int, endian: str) -> tuple[float, float]:
    scale = 1e-6
    toff = 0.0
    hdr = struct.Struct(endian + "HH").unpack_from
    while pos + 4 <= end:
        code, ln = hdr(buf, pos)
        if code == 0:
            break
        val = buf[pos + 4:pos + 4 + ln]
        if code == 9 and ln >= 1:  # if_tsresol: power of 10, or of 2 when the top bit is set
            v = val[0]
            scale = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
        elif code == 14 and ln == 8:  # if_tsoffset, seconds
            toff = float(struct.unpack(endian + "q", val)[0])
        pos += 4 + ((ln + 3) & ~3)
    return scale, toff


def iter_records(path: str | os.PathLike, *, backend: str = "native") -> Iterator[Record]:
    """Shortcut for ``iter(CaptureReader(path))``."""
    return iter(CaptureReader(path, backend=backend))


CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".dmp", ".pcap.gz", ".pcapng.gz")


def iter_capture_files(path: str | os.PathLike) -> Iterator[Path]:
    """The capture files under ``path`` in capture order.

    A file is returned as is. In a directory (recursively), files are recognised by their
    magic bytes, so suffix-less tcpdump ``-C`` rotations (``dump``, ``dump1`` ...) are
    included and stray files skipped, and ordered by the timestamp of their first packet,
    then by name with numbers compared numerically: copying files loses their mtimes, and
    ``dump10`` must come after ``dump9``.
    """
    p = Path(path)
    if not p.is_dir():
        yield p
        return
    files = []
    for child in p.rglob("*"):
        if child.is_file() and not child.name.startswith(".") and is_capture_file(child):
            files.append((_first_ts(child), _natural_key(str(child.relative_to(p))), child))
    files.sort(key=lambda t: (t[0], t[1]))
    for _, _, child in files:
        yield child


def _first_ts(path: Path) -> float:
    reader = CaptureReader(path)
    try:
        for _off, ts, _lt, _data in reader:
            return ts
    except CaptureFileError:
        pass
    return float("inf")


def _natural_key(name: str):
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name)]
