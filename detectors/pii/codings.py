"""HTTP content codings undone before matching: gzip, deflate, br, zstd and snappy.

One decoder per coding, fed the body piece by piece (a capture hands over TCP segments)
or whole (the scanner), with ``room``: the most output the caller will take. Output is
capped there, so a compression bomb costs no more than the room it was given.

Who sends what: SDKs and agents gzip; Elastic APM agents and New Relic deflate; Sentry's
Python SDK prefers br; the Datadog Agent and newer OpenTelemetry exporters zstd;
Prometheus remote write (``Content-Encoding: snappy``) and Loki's push API (snappy with no
header at all) the raw snappy block format.

Compiled with the scan path, though the work is in the codec libraries: ``sniff`` runs
on every body, and a call from compiled code into interpreted code costs more than the
sniff itself.
"""

from __future__ import annotations

import threading
import zlib
from typing import Any, Protocol

try:
    import brotli
except ImportError:  # pragma: no cover - a declared dependency
    brotli = None
try:
    import zstandard
except ImportError:  # pragma: no cover - a declared dependency
    zstandard = None
try:
    import cramjam
except ImportError:  # pragma: no cover - a declared dependency
    cramjam = None

_BROTLI_ERROR = getattr(brotli, "error", Exception)  # not exported by every release

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"


class CodingError(ValueError):
    """The data is not in the coding it was said or guessed to be in."""


class Decoder(Protocol):
    def feed(self, data: bytes, room: int) -> bytes: ...

    def flush(self, room: int) -> bytes: ...


class _Streaming:
    """A decoder whose output comes as its input does: nothing is left for ``flush``."""

    __slots__ = ()

    def flush(self, room: int) -> bytes:
        return b""


class _Zlib(_Streaming):
    __slots__ = ("d", "mode", "head")

    def __init__(self, mode: str):
        self.mode = mode
        self.d: Any = None  # made at the first bytes: "deflate" needs two to pick
        self.head = b""

    def feed(self, data: bytes, room: int) -> bytes:
        if self.d is None:
            if self.mode == "gzip":
                self.d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                # "deflate" is zlib-wrapped by the RFC but raw in many servers: look.
                data = self.head + data
                if len(data) < 2:
                    self.head = data
                    return b""
                self.d = zlib.decompressobj(zlib.MAX_WBITS if zlib_header(data) else -zlib.MAX_WBITS)
        try:
            return self.d.decompress(data, room) if room > 0 else b""
        except zlib.error as exc:
            raise CodingError(str(exc)) from None


class _Brotli(_Streaming):
    __slots__ = ("d",)

    def __init__(self):
        self.d = brotli.Decompressor()

    def feed(self, data: bytes, room: int) -> bytes:
        if room <= 0:
            return b""
        try:
            try:
                return self.d.process(data, output_buffer_limit=room)
            except TypeError:  # brotli < 1.2 has no output limit
                return self.d.process(data)[:room]
        except _BROTLI_ERROR as exc:
            raise CodingError(str(exc)) from None


class _Full(Exception):
    pass


class _Zstd(_Streaming):
    """The decompressor writes into this object in 64 KB pieces, and a piece past
    ``room`` stops it. ``whole``: the body is decoded in one call, so the thread's
    decompression context can serve (making one costs about 30 µs; a capture's open
    streams each need their own)."""

    __slots__ = ("w", "out", "room")

    def __init__(self, whole: bool = False):
        self.out = bytearray()
        self.room = 0
        dctx = _thread_dctx() if whole else zstandard.ZstdDecompressor()
        self.w = dctx.stream_writer(self, write_size=65536, write_return_read=True)

    def write(self, piece) -> int:
        take = piece[:max(0, self.room - len(self.out))]
        self.out += take
        if len(take) < len(piece):
            raise _Full
        return len(piece)

    def feed(self, data: bytes, room: int) -> bytes:
        self.room = room
        self.out = bytearray()
        try:
            self.w.write(data)
        except _Full:
            pass
        except zstandard.ZstdError as exc:
            raise CodingError(str(exc)) from None
        return bytes(self.out)


_LOCAL = threading.local()


def _thread_dctx() -> Any:
    dctx = getattr(_LOCAL, "dctx", None)
    if dctx is None:
        dctx = _LOCAL.dctx = zstandard.ZstdDecompressor()
    return dctx


class _Snappy:
    """The raw (block) format: one block, its decoded length in a varint up front. It
    cannot be decoded piece by piece, so pieces are kept and decoded at ``flush``."""

    __slots__ = ("buf", "over")

    def __init__(self):
        self.buf = bytearray()
        self.over = False

    def feed(self, data: bytes, room: int) -> bytes:
        if len(self.buf) + len(data) > room:
            self.over = True  # a block longer than the room decodes to more than the room
        else:
            self.buf += data
        return b""

    def flush(self, room: int) -> bytes:
        data, self.buf = bytes(self.buf), bytearray()  # once: a second flush has nothing
        if not data and not self.over:
            return b""
        if self.over:
            raise CodingError("a snappy block longer than the room to decode it")
        return snappy_block(data, room)


# A block is decoded whole, then cut to the room: one stating more than this many times
# the room is refused (logs compress about 4 to 1; a bomb states far more).
SNAPPY_SLACK = 16


def snappy_block(data: bytes, room: int) -> bytes:
    """The first ``room`` bytes of a decoded snappy block."""
    n = snappy_length(data)
    if n is None or cramjam is None:
        raise CodingError("not a snappy block")
    if n > room * SNAPPY_SLACK:
        raise CodingError(f"a snappy block of {n} bytes, over {SNAPPY_SLACK} times the {room} left to decode")
    try:
        out = bytes(cramjam.snappy.decompress_raw(data))
    except cramjam.DecompressionError as exc:
        raise CodingError(str(exc)) from None
    if len(out) != n:
        raise CodingError("a snappy block shorter than its stated length")
    return out[:room]


def snappy_length(data: bytes) -> int | None:
    """The decoded length a snappy block states (a varint of at most 5 bytes)."""
    n = shift = 0
    for i in range(min(5, len(data))):
        b = data[i]
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n if i + 1 < len(data) else None
        shift += 7
    return None


def zlib_header(data: bytes) -> bool:
    """A zlib stream's two-byte header: deflate, a window size, and its check bits."""
    cmf, flg = data[0], data[1]
    return (cmf & 0x0F) == 8 and (cmf >> 4) <= 7 and ((cmf << 8) | flg) % 31 == 0


def decoders(codings: list[str], whole: bool = False) -> list[Decoder] | None:
    """The decoders that undo ``codings`` (as ``parse`` lists them, in the order they
    were applied), first to run first; None when one is unknown. ``whole``: for
    a body decoded in one call."""
    decs: list[Decoder] = []
    for coding in reversed(codings):
        if coding == "gzip":
            decs.append(_Zlib("gzip"))
        elif coding == "deflate":
            decs.append(_Zlib("deflate"))
        elif coding == "br" and brotli is not None:
            decs.append(_Brotli())
        elif coding == "zstd" and zstandard is not None:
            decs.append(_Zstd(whole))
        elif coding == "snappy" and cramjam is not None:
            decs.append(_Snappy())
        else:
            return None
    return decs


# Old names of two codings (RFC 9110 keeps x-gzip; some clients send x-snappy).
_ALIASES = {"x-gzip": "gzip", "x-snappy": "snappy"}


def parse(header: str) -> list[str]:
    """``Content-Encoding: x-gzip, identity, br`` -> ["gzip", "br"]: the codings
    applied, by their current names."""
    out = []
    for c in header.split(","):
        c = c.strip().lower()
        if c and c != "identity":
            out.append(_ALIASES.get(c, c))
    return out


def feed_all(decs: list[Decoder], data: bytes, room: int) -> bytes:
    """``data`` through the chain; CodingError when a step fails."""
    for d in decs:
        data = d.feed(data, room)
        if not data:
            break
    return data


def flush_all(decs: list[Decoder], room: int) -> bytes:
    """What the chain still holds (a snappy block), through the steps after it."""
    out = b""
    for i, d in enumerate(decs):
        tail = d.flush(room)
        if tail:
            out += feed_all(decs[i + 1:], tail, room)
    return out


def decode(data: bytes, codings: list[str], room: int) -> tuple[bytes, bool]:
    """(decoded bytes, cut at ``room``) of a whole body; CodingError when it does not
    decode or a coding is unknown."""
    decs = decoders(codings, whole=True)
    if decs is None:
        raise CodingError(f"unknown content coding in {', '.join(codings)}")
    out = feed_all(decs, data, room + 1)
    out += flush_all(decs, room + 1 - len(out))
    return out[:room], len(out) > room


def sniff(data: bytes) -> str | None:
    """The coding of a body sent with no Content-Encoding, by its magic bytes: gzip and
    zstd, and zlib-wrapped deflate when its header is not text ("x^" could start a line)."""
    head = data[:4]
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    if head == ZSTD_MAGIC:
        return "zstd"
    if len(data) > 2 and zlib_header(data) and not 0x20 <= data[1] < 0x7F:
        return "deflate"
    return None
