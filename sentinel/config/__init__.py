"""Loading and validating sentinel.toml and subprocessors.toml.

``--config PATH`` or ``$SENTINEL_CONFIG`` selects the daemon file; with neither,
built-in defaults apply. The registry comes from the ``registry`` key, else the
shipped ``subprocessors.toml``.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from sentinel.config.daemon import SentinelConfig
from sentinel.config.errors import ConfigError, keyed_problem, pydantic_problems
from sentinel.config.registry import Registry, unknown_subprocessors
from sentinel.paths import default_data_dir

__all__ = ["ConfigError", "Settings", "beside_config", "load_settings", "load_registry", "load_daemon_config",
           "redact_dsn", "section_error"]


@dataclass(frozen=True)
class Settings:
    """Everything a command needs: the daemon config, the registry and where they came from."""

    config: SentinelConfig
    registry: Registry
    config_path: str  # "" when running on built-in defaults
    registry_path: str
    digest: str  # sha256 of both files' bytes, recorded in the audit log on load

    @property
    def data_dir(self) -> Path:
        return Path(self.config.data_dir) if self.config.data_dir else default_data_dir()

    @property
    def dsn(self) -> str:
        return self.config.storage.dsn or f"chdb://{self.data_dir / 'chdb'}"


def redact_dsn(dsn: str) -> str:
    """The DSN to show or log: a password in it (user:password@, ?password=) becomes ***."""
    parts = urlsplit(dsn)
    netloc, query = parts.netloc, parts.query
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    if query:
        query = "&".join(f"{name}=***" if name.lower() == "password" else f"{name}{sep}{value}"
                         for name, sep, value in (item.partition("=") for item in query.split("&")))
    if (netloc, query) == (parts.netloc, parts.query):
        return dsn  # as written (urlunsplit would turn chdb:///path into chdb:/path)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def section_error(settings: Settings, section: str, exc: Exception) -> ConfigError:
    """The error of a section's own parser (a ValueError naming its key) as a ConfigError on the file."""
    return ConfigError(settings.config_path or "sentinel.toml", [keyed_problem(section, str(exc))])


def _read_toml(path: Path) -> tuple[dict, bytes]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, [("", "file not found")]) from None
    except OSError as exc:
        raise ConfigError(path, [("", f"cannot read: {exc.strerror}")]) from None
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except UnicodeDecodeError:
        raise ConfigError(path, [("", "not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [("", f"TOML syntax error: {exc}")]) from None


def load_daemon_config(path: Path) -> tuple[SentinelConfig, bytes]:
    data, raw = _read_toml(path)
    try:
        return SentinelConfig.model_validate(data), raw
    except ValidationError as exc:
        raise ConfigError(path, pydantic_problems(exc, SentinelConfig)) from None


def shipped_registry_path() -> Path:
    return Path(str(resources.files("sentinel") / "defaults" / "subprocessors.toml"))


def finding_categories(config: SentinelConfig | None = None) -> set[str]:
    """The categories a finding can have: the detectors' and those of the configured custom detectors."""
    from detectors.pii import Category

    custom = (config.detectors.get("custom", []) if config else []) or []
    return set(Category.__members__) | {detector["category"] for detector in custom}


def load_registry(path: Path | None = None, categories: set[str] | None = None) -> tuple[Registry, bytes]:
    """The registry at path (else the shipped one); policies may name only ``categories``
    (default: the detectors' own)."""
    # Imported here: sentinel.registry, whose matcher the check reuses, imports this package.
    from sentinel.registry import ambiguous_rules

    path = path or shipped_registry_path()
    data, raw = _read_toml(path)
    try:
        context = {"categories": categories if categories is not None else finding_categories()}
        registry = Registry.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(path, pydantic_problems(exc, Registry)) from None
    problems = ambiguous_rules(registry)
    if problems:
        raise ConfigError(path, problems)
    return registry, raw


def _unknown_subprocessor_names(config: SentinelConfig, registry: Registry) -> list[tuple[str, str]]:
    """Sub-processor names in the daemon config that its registry does not have."""
    known = [sub.name for sub in registry.subprocessor]
    problems = [(f"alerts.routes[{i}].subprocessors", unknown_subprocessors(route.subprocessors, known))
                for i, route in enumerate(config.alerts.routes)]
    allowlists = (config.detectors.get("allowlist") or {}).get("subprocessors") or {}
    problems += [(f"detectors.allowlist.subprocessors.{name}", unknown_subprocessors([name], known))
                 for name in allowlists]
    return [(key, problem) for key, problem in problems if problem]


def beside_config(config_path: str | os.PathLike | None, path: str | os.PathLike) -> Path:
    """A file the configuration names: a relative path is read from the configuration
    file's directory, like most daemons (from the working directory without a file)."""
    named = Path(path)
    if named.is_absolute():
        return named
    return (Path(config_path).parent if config_path else Path.cwd()) / named


def load_settings(config_path: str | os.PathLike | None = None) -> Settings:
    """Load the daemon config (explicit path, $SENTINEL_CONFIG, or defaults) and its registry."""
    chosen = config_path or os.environ.get("SENTINEL_CONFIG") or ""
    if chosen:
        config, raw = load_daemon_config(Path(chosen))
    else:
        config, raw = SentinelConfig(), b""
    registry_path = beside_config(chosen, config.registry) if config.registry else shipped_registry_path()
    registry, registry_raw = load_registry(registry_path, finding_categories(config))
    problems = _unknown_subprocessor_names(config, registry)
    if problems:
        raise ConfigError(chosen or "sentinel.toml", problems)
    digest = hashlib.sha256(raw + b"\0" + registry_raw).hexdigest()
    return Settings(config, registry, str(chosen), str(registry_path), digest)
