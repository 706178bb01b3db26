"""The schema of sentinel.toml. The shipped file documents every key; this checks them."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

CATEGORY_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
SEVERITIES = ("info", "low", "medium", "high", "critical")
Severity = Literal["info", "low", "medium", "high", "critical"]


def _label_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]{0,62}", name):
        raise ValueError("expected a short lower-case name ([a-z0-9_-], used as a metric label)")
    return name


# Names that become metric labels: short, lower case, a bounded set from config.
LabelName = Annotated[str, AfterValidator(_label_name)]


def require_unique(what: str, names: list[str]) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{what} names must be unique; repeated: {', '.join(duplicates)}")


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default. Booleans are
    StrictBool: "no" in quotes would otherwise read as false, and "yes" as true, unseen."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class StorageConfig(Strict):
    dsn: str = ""
    database: str = "sentinel"
    cluster: str = ""
    password_file: str = ""
    batch_rows: int = Field(50_000, gt=0, le=5_000_000)
    batch_seconds: float = Field(1.0, gt=0, le=300)
    spool_max_bytes: int = Field(1 << 30, ge=0)

    @field_validator("dsn")
    @classmethod
    def _dsn_scheme(cls, dsn: str) -> str:
        if dsn and urlsplit(dsn).scheme not in ("chdb", "http", "https"):
            raise ValueError("expected chdb:///path, http://host:8123 or https://host:8443")
        return dsn

    @field_validator("database")
    @classmethod
    def _database_name(cls, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError("expected an identifier of letters, digits and underscores")
        return name

    @field_validator("cluster")
    @classmethod
    def _cluster_name(cls, name: str) -> str:
        if name and not re.fullmatch(r"[A-Za-z_{][A-Za-z0-9_\-{}]*", name):
            raise ValueError("expected a cluster name as in remote_servers (or a {macro})")
        return name

    @model_validator(mode="after")
    def _cluster_needs_server(self):
        if self.cluster and urlsplit(self.dsn).scheme not in ("http", "https"):  # "" is embedded chDB too
            raise ValueError("cluster is set but dsn is embedded chDB: a cluster needs an http(s):// server dsn")
        return self


class RetentionConfig(Strict):
    """Days to keep each kind of row; ClickHouse TTLs enforce them. 0 keeps forever."""

    events_days: int = Field(90, ge=0)
    tls_days: int = Field(90, ge=0)
    findings_days: int = Field(400, ge=0)
    quarantine_days: int = Field(30, ge=0)
    alerts_days: int = Field(730, ge=0)
    anomaly_days: int = Field(400, ge=0)
    rollups_days: int = Field(800, ge=0)


class KeysConfig(Strict):
    site_key_file: str = ""


class SamplesConfig(Strict):
    max_body_bytes: int = Field(65_536, gt=0, le=64 << 20)
    rate: int = Field(1, ge=1)


class CaptureConfig(Strict):
    max_flows: int = Field(100_000, gt=0)
    max_buffer_bytes: int = Field(256 << 20, gt=0)
    idle_timeout_seconds: float = Field(120.0, gt=0)


SourceType = Literal["log", "pcap", "live", "har"]


class SourceConfig(Strict):
    name: LabelName
    type: SourceType
    paths: list[str] = []
    format: str = "auto"
    interface: str = ""
    bpf: str = "tcp"
    start_at: Literal["beginning", "end"] = "beginning"
    field_map: dict[str, str] = {}
    timestamp_format: str = ""
    tls_terminated: StrictBool = False
    # A log file is known by a hash of its first bytes (256, as vector's checksum), not by
    # name: rotation keeps its identity. Logs that begin with a longer fixed header need more.
    fingerprint_bytes: int = Field(256, ge=16, le=65536)

    @model_validator(mode="after")
    def _inputs_for_type(self):
        if self.type == "live" and not self.interface:
            raise ValueError("a live source needs interface = \"eth0\" (or another interface name)")
        if self.type != "live" and not self.paths:
            raise ValueError(f"a {self.type} source needs paths = [\"/var/log/...\"] (files, directories or globs)")
        if self.field_map and self.format not in ("jsonl", "auto"):
            raise ValueError("field_map applies only to format = \"jsonl\"")
        if self.type == "log" and self.format == "jsonl":
            self._jsonl_parser()
        return self

    @field_validator("format")
    @classmethod
    def _known_format(cls, name: str) -> str:
        from sentinel.collect.logs import FAMILIES  # late: the parsers need not load with the config

        if name != "auto" and name not in FAMILIES:
            # Else the source starts, reports healthy and rejects every line.
            raise ValueError(f"unknown log format {name!r}; expected \"auto\" or one of: {', '.join(FAMILIES)}")
        return name

    def _jsonl_parser(self) -> None:
        """Built once now, as the source will build it: its field_map is checked by its parser."""
        from sentinel.collect.logs import make_parser

        make_parser("jsonl", {"field_map": self.field_map, "timestamp_format": self.timestamp_format})


class MetricsConfig(Strict):
    listen: str = "127.0.0.1:9464"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, listen: str) -> str:
        if not listen:
            return listen
        host, sep, port = listen.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected host:port, e.g. 127.0.0.1:9464 ([::1]:9464 for IPv6); empty disables")
        host = host.strip("[]")
        if host not in ("", "localhost"):
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise ValueError(f"expected an IP address or localhost before the port, got {host!r}") from None
        return listen


class RouteConfig(Strict):
    """Where alerts go: every matching route delivers (unless `continue = false` stops the walk)."""

    name: LabelName
    urls: list[str] = []
    apprise_config: str = ""
    tags: list[str] = []
    min_severity: Severity = "low"
    kinds: list[str] = []
    subprocessors: list[str] = []
    categories: list[str] = []
    continue_: StrictBool = Field(True, alias="continue")

    @model_validator(mode="after")
    def _has_target(self):
        if not self.urls and not self.apprise_config:
            raise ValueError("a route needs urls = [\"mailto://...\"] or apprise_config = \"/path/apprise.yml\"")
        return self


class AlertsConfig(Strict):
    base_url: str = "http://localhost:3000"
    # Grafana path of the sub-processor drill-down; {subprocessor}, {from_ms} and {to_ms} are filled in.
    drilldown_path: str = "/d/sentinel-subprocessor/sub-processor?var-subprocessor={subprocessor}&from={from_ms}&to={to_ms}"
    group_by: list[Literal["kind", "subprocessor", "category", "severity"]] = ["subprocessor", "kind"]
    group_wait_seconds: float = Field(10.0, ge=0)
    group_interval_seconds: float = Field(300.0, ge=0)
    repeat_interval_seconds: float = Field(4 * 3600.0, gt=0)
    resolve_timeout_seconds: float = Field(3600.0, ge=0)
    retry_initial_seconds: float = Field(5.0, gt=0)
    retry_max_seconds: float = Field(600.0, gt=0)
    expire_after_seconds: float = Field(7 * 86400.0, gt=0)
    approval_min_severity: Severity = "high"
    routes: list[RouteConfig] = []

    @field_validator("routes")
    @classmethod
    def _unique_routes(cls, routes: list[RouteConfig]) -> list[RouteConfig]:
        require_unique("route", [route.name for route in routes])
        return routes

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, url: str) -> str:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ValueError("expected the http(s):// address of Grafana, e.g. https://grafana.example.com")
        return url.rstrip("/")

    @field_validator("drilldown_path")
    @classmethod
    def _drilldown_path(cls, path: str) -> str:
        import string

        names = {name for _, name, _, _ in string.Formatter().parse(path) if name is not None}
        unknown = names - {"subprocessor", "from_ms", "to_ms"}
        if unknown or not path.startswith("/"):
            raise ValueError("expected a path starting with / using only {subprocessor}, {from_ms} and {to_ms}")
        return path

    @model_validator(mode="after")
    def _retry_bounds(self):
        if self.retry_initial_seconds > self.retry_max_seconds:
            raise ValueError("retry_initial_seconds must not exceed retry_max_seconds")
        if self.retry_max_seconds > self.expire_after_seconds:
            raise ValueError("retry_max_seconds must not exceed expire_after_seconds")
        return self


class SentinelConfig(Strict):
    data_dir: str = ""
    registry: str = ""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    keys: KeysConfig = KeysConfig()
    storage: StorageConfig = StorageConfig()
    retention: RetentionConfig = RetentionConfig()
    samples: SamplesConfig = SamplesConfig()
    capture: CaptureConfig = CaptureConfig()
    sources: list[SourceConfig] = []
    alerts: AlertsConfig = AlertsConfig()
    metrics: MetricsConfig = MetricsConfig()
    # Both tables are parsed by their own code (detectors/pii/config.py, sentinel/config/anomaly.py)
    # on load, and kept as tables for it.
    detectors: dict = {}
    anomaly: dict = {}

    @field_validator("detectors")
    @classmethod
    def _detectors(cls, table: dict) -> dict:
        if table:  # the defaults are valid: no need to load the detectors for them
            from detectors.pii import ScannerConfig

            ScannerConfig.from_dict(table, where="detectors")  # its ConfigError is a ValueError naming the key
        return table

    @field_validator("anomaly")
    @classmethod
    def _anomaly(cls, table: dict) -> dict:
        if table:
            from sentinel.config.anomaly import anomaly_settings

            anomaly_settings(table)
        return table

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        require_unique("source", [source.name for source in sources])
        return sources
