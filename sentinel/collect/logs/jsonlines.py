"""JSON lines with a field mapping from config, for any log that is not one of the
known families.

Options:
  mapping           (or field_map) {EgressEvent field: dotted JSON path}; 'ts' is required. A path
                    segment is first tried as a literal key (Zeek-style 'id.orig_h'),
                    then split on dots; integer segments index lists ('a.0.b').
  timestamp_format  'auto' (default: epoch s/ms/us/ns by magnitude, or ISO 8601),
                    'epoch', 'epoch_ms', 'epoch_us', 'epoch_ns', 'iso8601', or a
                    strptime format ('%d/%b/%Y:%H:%M:%S %z'; naive = UTC)
  duration_unit     's', 'ms' (default) or 'us' for the value mapped to duration_ms
Mapped string values for dst_host/sni are lower-cased without port; a url that is an
absolute URL gives scheme/dst_host/dst_port when those are not mapped themselves.
Never auto-detected: a mapping is needed.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any, Callable

from sentinel.collect.logs.base import (
    LogParser,
    ParseError,
    any_ts_to_epoch,
    float_or_zero,
    int_or_zero,
    iso_to_epoch,
    load_json_object,
    split_host_port,
    split_url,
)
from sentinel.model import EgressEvent

_MAPPABLE = {f.name: f.type for f in dataclasses.fields(EgressEvent) if f.name not in ("source", "origin", "offset")}
_INT_FIELDS = {"dst_port", "status", "bytes_out", "bytes_in"}
_MISSING = object()


def _getter(path: str) -> Callable[[dict], Any]:
    parts = path.split(".")

    def get(d: dict) -> Any:
        v = d.get(path, _MISSING)  # literal dotted key first
        if v is not _MISSING:
            return v
        cur: Any = d
        for p in parts:
            if isinstance(cur, dict):
                cur = cur.get(p, _MISSING)
            elif isinstance(cur, list) and p.lstrip("-").isdigit():
                i = int(p)
                cur = cur[i] if -len(cur) <= i < len(cur) else _MISSING
            else:
                return None
            if cur is _MISSING:
                return None
        return cur

    return get


class JsonLinesParser(LogParser):
    family = "jsonl"

    def __init__(self, options=None) -> None:
        super().__init__(options)
        mapping = self.options.get("mapping") or self.options.get("field_map")  # config calls it field_map
        if not isinstance(mapping, dict) or not mapping:
            raise ValueError("jsonl: option 'mapping' (field_map) is required: a table of EgressEvent field = \"dotted.json.path\"")
        unknown = sorted(set(mapping) - set(_MAPPABLE))
        if unknown:
            raise ValueError(f"jsonl: option 'mapping' has unknown field(s) {unknown}; expected some of {sorted(_MAPPABLE)}")
        if "ts" not in mapping:
            raise ValueError("jsonl: option 'mapping' must map 'ts' to the record's time field")
        bad = [k for k, v in mapping.items() if not isinstance(v, str) or not v]
        if bad:
            raise ValueError(f"jsonl: option 'mapping': paths for {bad} must be non-empty strings")
        self.getters = {k: _getter(v) for k, v in mapping.items()}
        self.ts_format = str(self.options.get("timestamp_format") or "auto")
        unit = str(self.options.get("duration_unit") or "ms")
        scales = {"s": 1000.0, "ms": 1.0, "us": 0.001}
        if unit not in scales:
            raise ValueError("jsonl: option 'duration_unit' must be one of 's', 'ms', 'us'")
        self.duration_scale = scales[unit]
        self._ts = self._ts_converter(self.ts_format)

    @staticmethod
    def _ts_converter(fmt: str) -> Callable[[Any], float]:
        if fmt == "auto":
            return any_ts_to_epoch
        div = {"epoch": 1.0, "epoch_ms": 1e3, "epoch_us": 1e6, "epoch_ns": 1e9}.get(fmt)
        if div is not None:
            return lambda v: float_or_zero(v) / div if v not in (None, "", "-") else _bad_ts()
        if fmt == "iso8601":
            return lambda v: iso_to_epoch(v) if isinstance(v, str) else _bad_ts()
        if "%" not in fmt:
            raise ValueError("jsonl: option 'timestamp_format' must be auto, epoch, epoch_ms, epoch_us, epoch_ns, iso8601 or a strptime format")

        def strp(v: Any) -> float:
            if not isinstance(v, str):
                _bad_ts()
            try:
                dt = datetime.strptime(v, fmt)
            except ValueError:
                raise ParseError("bad_timestamp", "does not match timestamp_format") from None
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            return dt.timestamp()

        return strp

    def _parse(self, line: str) -> EgressEvent | None:
        if not line.strip():
            raise ParseError("empty", "blank line")
        d = load_json_object(line)
        vals: dict[str, Any] = {}
        for name, get in self.getters.items():
            v = get(d)
            if v is None or v == "" or v == "-":
                continue
            vals[name] = v
        if "ts" not in vals:
            raise ParseError("bad_timestamp", "mapped time field missing")
        ts = self._ts(vals.pop("ts"))
        if ts != ts or ts in (float("inf"), float("-inf")):
            raise ParseError("bad_timestamp", "non-finite time")
        ev = EgressEvent(ts=ts, source="jsonl")
        for name, v in vals.items():
            if name in _INT_FIELDS:
                setattr(ev, name, int_or_zero(v))
            elif name == "duration_ms":
                ev.duration_ms = float_or_zero(v) * self.duration_scale
            else:
                setattr(ev, name, v if isinstance(v, str) else str(v))
        if ev.dst_host:
            host, port = split_host_port(ev.dst_host)
            ev.dst_host = host
            if port and "dst_port" not in vals:
                ev.dst_port = port
        if ev.sni:
            ev.sni = ev.sni.lower()
        if ev.url and ev.url[0] != "/":
            scheme, host, port, path = split_url(ev.url)
            if host:
                ev.url = path
                ev.dst_host = ev.dst_host or host
                ev.scheme = ev.scheme or scheme
                ev.dst_port = ev.dst_port or port
        return ev


def _bad_ts() -> float:
    raise ParseError("bad_timestamp", "mapped time field has the wrong type")
