"""Shared pieces of the log parsers: the error type, the parser base class and the
small, hot helpers (timestamps, URLs, host:port) every family needs.

Parsers are stateful, one per file: Zeek `#fields` headers and VPC header lines change
how the following lines are read.
"""

from __future__ import annotations

import calendar
import dataclasses
from collections import Counter
from datetime import datetime, timezone
from typing import Any, ClassVar, Mapping

from sentinel.model import EgressEvent

try:  # orjson parses an Envoy JSON record ~3.5x faster than the stdlib
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - stdlib fallback, same semantics for valid JSON
    from json import loads as _loads

# Hot parsers build events positionally (2.5x cheaper than keywords); this guard makes
# a reordering of the model fail at import instead of silently shuffling fields.
EVENT_FIELDS = (
    "ts", "source", "src_ip", "src_host", "dst_host", "dst_ip", "dst_port", "method", "scheme", "url",
    "status", "bytes_out", "bytes_in", "duration_ms", "tls_version", "tls_cipher", "sni", "user_agent",
    "http_version", "action",
)  # fmt: skip
if tuple(f.name for f in dataclasses.fields(EgressEvent))[: len(EVENT_FIELDS)] != EVENT_FIELDS:
    raise RuntimeError("sentinel.model.EgressEvent field order changed: update sentinel/collect/logs")

# Machine reasons are a closed set so that they can be metric labels.
REASONS = frozenset(
    {
        "empty",
        "not_json",
        "bad_shape",  # JSON that is valid but not an object / lacks the expected structure
        "field_count",
        "bad_timestamp",
        "bad_number",
        "bad_request_line",
        "bad_address",
        "missing_field",
        "no_header",  # Zeek data line before any #fields, VPC line with no known format
        "no_match",  # the line does not have this family's shape
        "too_long",
        "malformed",  # anything else caught at the parser boundary
    }
)


class ParseError(ValueError):
    """A record that could not be turned into an event.

    ``reason`` is one of :data:`REASONS`. The message is built from field names and
    counts only: it never quotes the raw line, which may carry personal data.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REASONS:
            reason = "malformed"
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class LogParser:
    """One parser object per file. Subclasses set ``family`` and implement ``_parse``.

    ``parse`` returns an event, or None for a line that is consumed without being an
    event (headers, comments, NODATA records ...); each None is counted in
    ``self.skipped`` under a short reason, so nothing disappears without a trace.
    """

    family: ClassVar[str] = ""
    # True when one record may hold many events (CloudWatch envelopes): use parse_all.
    expands: ClassVar[bool] = False
    _CAUGHT = (ValueError, IndexError, KeyError, TypeError, AttributeError, ArithmeticError, RecursionError)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})
        self.skipped: Counter[str] = Counter()

    @classmethod
    def sniff(cls, head: list[str]) -> bool:
        """True when these first records (pretty JSON already joined) look like this family."""
        return False

    def prime(self, head: list[str]) -> None:
        """Feed the file's header lines when resuming mid-file (Zeek, VPC); default no-op."""

    def parse(self, line: str) -> EgressEvent | None:
        try:
            return self._parse(line)
        except ParseError:
            raise
        except self._CAUGHT as exc:
            # The original exception text may quote the input: keep only its type.
            raise ParseError("malformed", type(exc).__name__) from None

    def parse_all(self, record: str) -> list[EgressEvent | ParseError]:
        """Events and errors of one record. Envelope records (CloudWatch) expand to many."""
        try:
            ev = self.parse(record)
        except ParseError as exc:
            return [exc]
        return [ev] if ev is not None else []

    def _parse(self, line: str) -> EgressEvent | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1
        return None


def load_json_object(text: str) -> dict:
    """Parse one JSON record that must be an object."""
    try:
        d = _loads(text)
    except (ValueError, RecursionError, TypeError):
        raise ParseError("not_json", "invalid JSON") from None
    if not isinstance(d, dict):
        raise ParseError("bad_shape", "JSON record is not an object")
    return d


def try_json_object(text: str) -> dict | None:
    """For sniffers: the object, or None."""
    try:
        return load_json_object(text)
    except ParseError:
        return None


# --------------------------------------------------------------------------- time

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_CACHE_MAX = 8192


def tz_offset_seconds(tz: str) -> int:
    """'+0330', '-07:00', 'Z', '' -> seconds east of UTC."""
    if not tz or tz in ("Z", "z", "UTC", "GMT"):
        return 0
    sign = tz[0]
    if sign not in "+-":
        raise ParseError("bad_timestamp", "bad timezone offset")
    digits = tz[1:].replace(":", "")
    if len(digits) == 2:
        digits += "00"
    if len(digits) != 4 or not digits.isdigit():
        raise ParseError("bad_timestamp", "bad timezone offset")
    off = int(digits[:2]) * 3600 + int(digits[2:]) * 60
    return -off if sign == "-" else off


_clf_cache: dict[str, float] = {}


def clf_to_epoch(s: str) -> float:
    """'10/Oct/2000:13:55:36 -0700' (nginx/Apache $time_local) -> epoch seconds.

    Cached on the whole string: consecutive lines share the same second.
    """
    v = _clf_cache.get(s)
    if v is not None:
        return v
    try:
        day, mon, rest = s.split("/", 2)
        year, hh, mm, rest = rest.split(":", 3)
        ss, _, tz = rest.partition(" ")
        v = float(
            calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), 0, 0, 0))
            - tz_offset_seconds(tz.strip())
        )
    except (ValueError, KeyError):
        raise ParseError("bad_timestamp", "expected dd/Mon/yyyy:HH:MM:SS +zzzz") from None
    if len(_clf_cache) >= _CACHE_MAX:
        _clf_cache.clear()
    _clf_cache[s] = v
    return v


_haproxy_cache: dict[str, float] = {}


def haproxy_date_to_epoch(s: str, tz_off: int = 0) -> float:
    """'14/Jan/2015:12:48:57.127' (local time of the HAProxy host, no offset logged)."""
    sec, dot, frac = s.partition(".")
    base = _haproxy_cache.get(sec)
    if base is None:
        try:
            day, mon, rest = sec.split("/", 2)
            year, hh, mm, ss = rest.split(":")
            base = float(calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), 0, 0, 0)))
        except (ValueError, KeyError):
            raise ParseError("bad_timestamp", "expected dd/Mon/yyyy:HH:MM:SS.mmm") from None
        if len(_haproxy_cache) >= _CACHE_MAX:
            _haproxy_cache.clear()
        _haproxy_cache[sec] = base
    if frac:
        if not frac.isdigit():
            raise ParseError("bad_timestamp", "bad fraction")
        base += int(frac) / 10 ** len(frac)
    return base - tz_off


_iso_cache: dict[str, float] = {}
_tz_cache: dict[str, int] = {}


def iso_to_epoch(s: str) -> float:
    """RFC 3339 / ISO 8601 ('2019-01-02T11:46:46.981Z', '...+0000', nanoseconds) -> epoch.

    The per-second prefix and the offset are cached; naive times are taken as UTC.
    """
    if len(s) < 19 or s[4] != "-" or s[10] not in "T t":
        return _iso_slow(s)
    prefix = s[:19]
    base = _iso_cache.get(prefix)
    if base is None:
        try:
            if s[7] != "-" or s[13] != ":" or s[16] != ":":
                raise ValueError
            base = float(
                calendar.timegm(
                    (int(s[0:4]), int(s[5:7]), int(s[8:10]), int(s[11:13]), int(s[14:16]), int(s[17:19]), 0, 0, 0)
                )
            )
        except ValueError:
            return _iso_slow(s)
        if len(_iso_cache) >= _CACHE_MAX:
            _iso_cache.clear()
        _iso_cache[prefix] = base
    rest = s[19:]
    if not rest:
        return base
    if rest[-1] == "Z" and rest[0] == "." and rest.isascii() and rest[1:-1].isdigit():  # Envoy: '.123Z'
        return base + int(rest[1:-1]) / 10 ** (len(rest) - 2)
    frac = 0.0
    if rest[0] in ".,":
        i = 1
        n = len(rest)
        while i < n and "0" <= rest[i] <= "9":
            i += 1
        digits = rest[1:i]
        if digits:
            frac = int(digits) / 10 ** len(digits)
        rest = rest[i:]
    if not rest:
        return base + frac
    off = _tz_cache.get(rest)
    if off is None:
        off = tz_offset_seconds(rest)
        _tz_cache[rest] = off
    return base + frac - off


def _iso_slow(s: str) -> float:
    try:
        dt = datetime.fromisoformat(s.strip())
    except (ValueError, TypeError):
        raise ParseError("bad_timestamp", "expected an ISO 8601 time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def any_ts_to_epoch(v: Any) -> float:
    """A JSON time value: epoch seconds/ms/us as number or string, or ISO 8601."""
    if isinstance(v, bool) or v is None:
        raise ParseError("bad_timestamp", "missing or non-time value")
    if isinstance(v, (int, float)):
        return _scale_epoch(float(v))
    if isinstance(v, str):
        if v and (v[0].isdigit() and len(v) < 19 or v[0] == "-"):
            try:
                return _scale_epoch(float(v))
            except ValueError:
                pass
        return iso_to_epoch(v)
    raise ParseError("bad_timestamp", "non-time value")


def _scale_epoch(f: float) -> float:
    # Guess the unit from the magnitude: ms and us epochs appear in JSON logs.
    if f != f or f in (float("inf"), float("-inf")):
        raise ParseError("bad_timestamp", "not a finite number")
    a = abs(f)
    if a >= 1e17:
        return f / 1e9
    if a >= 1e14:
        return f / 1e6
    if a >= 1e11:
        return f / 1e3
    return f


# --------------------------------------------------------------------------- hosts, urls

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "tls": 443}
# Ports on which a CONNECT tunnel is taken to carry TLS.
TLS_PORTS = frozenset({443, 8443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 5223, 6697})


def split_host_port(authority: str, default_port: int = 0) -> tuple[str, int]:
    """'Api.Stripe.com:443' -> ('api.stripe.com', 443); '[2001:db8::1]:80'; 'host' -> (host, default)."""
    if not authority or authority == "-":
        return "", default_port
    at = authority.rfind("@")
    if at >= 0:  # userinfo may hold credentials: never keep it
        authority = authority[at + 1 :]
    if authority[0] == "[":
        end = authority.find("]")
        if end < 0:
            return authority[1:].lower(), default_port
        host = authority[1:end]
        rest = authority[end + 1 :]
        if rest[:1] == ":" and rest[1:].isdigit():
            return host.lower(), int(rest[1:])
        return host.lower(), default_port
    host, colon, port = authority.rpartition(":")
    if colon:
        if ":" in host:  # bare IPv6 without brackets
            return authority.lower(), default_port
        if port.isdigit() and len(port) <= 5:
            return host.lower().rstrip("."), int(port)
        if not port:
            return host.lower().rstrip("."), default_port
    return authority.lower().rstrip("."), default_port


def split_ip_port(addr: str) -> tuple[str, int]:
    """'10.0.0.1:443', '[::1]:80', '-' -> (ip, port). Envoy and HAProxy addresses."""
    if not addr or addr == "-":
        return "", 0
    if addr[0] == "[":
        end = addr.find("]")
        ip = addr[1:end] if end > 0 else addr[1:]
        port = addr[end + 2 :] if end > 0 else ""
        return ip, int(port) if port.isdigit() else 0
    ip, colon, port = addr.rpartition(":")
    if not colon:
        return addr, 0
    if port.isdigit() and (ip.count(":") == 0 or ip.count(":") >= 2):
        # '2001:db8::1:12345' (HAProxy logs IPv6 without brackets) also ends up here.
        return ip, int(port)
    return addr, 0


_url_cache: dict[str, tuple[str, str, int]] = {}


def split_url(url: str) -> tuple[str, str, int, str]:
    """Absolute URL -> (scheme, host, port, origin-form path+query).

    Origin-form input ('/x?y') returns ('', '', 0, url). The path is kept as logged.
    The scheme://authority prefix is cached: a log names few distinct hosts, and this
    is the hot path of Squid and forward-proxy nginx lines.
    """
    i = url.find("://")
    if i > 0:
        p = url.find("/", i + 3)
        if p > 0:
            hit = _url_cache.get(url[:p])
            if hit is not None:
                return hit[0], hit[1], hit[2], url[p:]
    return _split_url_slow(url)


def _split_url_slow(url: str) -> tuple[str, str, int, str]:
    if not url or url[0] == "/":
        return "", "", 0, url
    i = url.find("://")
    if i <= 0:
        return "", "", 0, url
    p = url.find("/", i + 3)
    if p < 0:
        p = len(url)
    q = url.find("?", i + 3, p)
    if q < 0:
        q = url.find("#", i + 3, p)
    cacheable = q < 0
    if q >= 0:
        p = q
    scheme = url[:i].lower()
    host, port = split_host_port(url[i + 3 : p], _DEFAULT_PORTS.get(scheme, 0))
    if cacheable and p < len(url):
        if len(_url_cache) >= _CACHE_MAX:
            _url_cache.clear()
        _url_cache[url[:p]] = (scheme, host, port)
    path = url[p:]
    if not path:
        path = "/"
    elif path[0] != "/":
        path = "/" + path
    return scheme, host, port, path


_METHODS = frozenset(
    "GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH PROPFIND PROPPATCH MKCOL COPY MOVE LOCK UNLOCK".split()
)


def split_request_line(req: str) -> tuple[str, str, str]:
    """'GET /x HTTP/1.1' -> (method, target, proto). HTTP/0.9 'GET /' allowed.

    Raises ParseError('bad_request_line') for bare tokens ('HELP'), escaped binary
    (TLS sent to a plain port) and the like.
    """
    method, _, rest = req.partition(" ")
    if method not in _METHODS and not (
        0 < len(method) <= 24 and method.isupper() and method.replace("-", "").replace("_", "").isalpha()
    ):
        raise ParseError("bad_request_line", "expected METHOD TARGET [PROTOCOL]")
    if not rest or rest[0] == " ":
        raise ParseError("bad_request_line", "expected METHOD TARGET [PROTOCOL]")
    if rest[-9:-3] == " HTTP/":  # HTTP/1.1, HTTP/1.0, HTTP/2.0 without rpartition
        return method, rest[:-9], rest[-8:]
    target, sp, proto = rest.rpartition(" ")
    if sp and proto.startswith("HTTP/"):
        return method, target, proto
    return method, rest, ""


def int_or_zero(v: Any) -> int:
    """Log counters: '-', '', None -> 0; '+123' (HAProxy logasap) -> 123."""
    if v is None or v == "-" or v == "":
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise ParseError("bad_number", "non-finite number")
        return int(v)
    try:
        return int(v)
    except (ValueError, TypeError):
        try:
            f = float(v)
        except (ValueError, TypeError):
            raise ParseError("bad_number", "expected an integer") from None
        if f != f or f in (float("inf"), float("-inf")):
            raise ParseError("bad_number", "non-finite number") from None
        return int(f)


def float_or_zero(v: Any) -> float:
    if v is None or v == "-" or v == "":
        return 0.0
    try:
        f = float(v)
    except (ValueError, TypeError):
        raise ParseError("bad_number", "expected a number") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ParseError("bad_number", "non-finite number")
    return f


def looks_like_ip(s: str) -> bool:
    if not s:
        return False
    if ":" in s:
        return True
    return s.replace(".", "").isdigit() and s.count(".") == 3


def dash(v: Any) -> str:
    """'-' / None placeholders -> ''."""
    if v is None or v == "-":
        return ""
    return v if isinstance(v, str) else str(v)


_TLS_NAMES = {
    "TLSv10": "TLSv1.0",
    "TLSv11": "TLSv1.1",
    "TLSv12": "TLSv1.2",
    "TLSv13": "TLSv1.3",
    "TLS 1.0": "TLSv1.0",
    "TLS 1.1": "TLSv1.1",
    "TLS 1.2": "TLSv1.2",
    "TLS 1.3": "TLSv1.3",
    "TLSV1": "TLSv1.0",
    "TLSv1": "TLSv1.0",
    "TLSV1.1": "TLSv1.1",
    "TLSV1.2": "TLSv1.2",
    "TLSV1.3": "TLSv1.3",
    "SSLv3": "SSLv3",
    "SSLV3": "SSLv3",
    "SSLv2": "SSLv2",
    "DTLSv10": "DTLSv1.0",
    "DTLSv12": "DTLSv1.2",
    "UNDETERMINED": "",
    "-": "",
}


def tls_version_name(v: Any) -> str:
    """Zeek 'TLSv12', Suricata 'TLS 1.2', Envoy 'TLSv1.2' -> 'TLSv1.2'."""
    if not v or not isinstance(v, str):
        return ""
    return _TLS_NAMES.get(v, v)
