"""Opening ClickHouse through clickhouse-connect: embedded chDB or a server."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import clickhouse_connect

from sentinel.config import ConfigError, Settings
from sentinel.logs import first_line
from sentinel.paths import credentials_dir


class StoreUnavailable(Exception):
    """ClickHouse cannot be reached or refused the operation; callers spool and retry."""


# The driver logs a warning of its own before raising; callers report the failure as
# StoreUnavailable. Without a handler Python's last resort prints that warning on a
# command's stderr; a configured handler (the daemon's) still receives it.
logging.getLogger("clickhouse_connect").addHandler(logging.NullHandler())


# Startup configuration of the embedded engine: caches, idle threads and part removal sized
# for a process that shares its memory budget with Sentinel (see the file's comments).
EMBEDDED_ENGINE_CONFIG = Path(__file__).with_name("embedded.xml")


def open_client(dsn: str, database: str = "", password_file: str = ""):
    """A clickhouse-connect client for `chdb:///path` or `http(s)://user@host:port/db`.

    The database is not selected here: it may not exist before the first migration,
    so statements name it explicitly.
    """
    parts = urlsplit(dsn)
    if parts.scheme == "chdb":
        path = Path(unquote(parts.path or "")) if parts.path else None
        if path:
            path.mkdir(parents=True, exist_ok=True)
            if _held_by_another_process(path):
                raise StoreUnavailable(
                    f"the embedded store at {path} is in use by another Sentinel process (the daemon?); "
                    "stop it to use this command, or run Sentinel with a ClickHouse server dsn so that "
                    "commands and Grafana can query while the daemon runs")
        try:
            return clickhouse_connect.get_client(dsn=dsn, chdb_options={"config-file": str(EMBEDDED_ENGINE_CONFIG)})
        except Exception as exc:  # chDB allows one data path per process, and one process per path
            if "lock" in str(exc).lower():
                raise StoreUnavailable(
                    f"the embedded store at {path} is in use by another Sentinel process (the daemon?); "
                    "stop it to use this command, or run Sentinel with a ClickHouse server dsn so that "
                    "commands and Grafana can query while the daemon runs") from None
            raise StoreUnavailable(f"cannot open embedded ClickHouse at {path}: {first_line(exc)}") from None
    if parts.scheme in ("http", "https"):
        kwargs = {}
        if password_file:
            try:
                password = Path(password_file).read_text().strip()
                if password:
                    kwargs["password"] = password
            except OSError as exc:
                raise ConfigError(password_file, [("", f"ClickHouse password file unreadable: {exc.strerror}")]) from None
        # The path of the DSN names the database; it may not exist yet, so connect to default.
        base = parts._replace(path="").geturl()
        try:
            return clickhouse_connect.get_client(dsn=base, connect_timeout=5, send_receive_timeout=60, **kwargs)
        except Exception as exc:
            raise StoreUnavailable(f"cannot reach ClickHouse at {parts.hostname}:{parts.port}: {_root_cause(exc)}") from None
    raise ConfigError("storage.dsn", [("", f"unsupported scheme {parts.scheme!r}; expected chdb, http or https")])


def _held_by_another_process(path: Path) -> bool:
    """ClickHouse flocks <path>/status while it runs; probe it the same way, then let go."""
    status = path / "status"
    if not status.exists():
        return False
    try:
        with open(status, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def client_for(settings: Settings):
    storage = settings.config.storage
    password_file = storage.password_file
    creds = credentials_dir()
    if not password_file and creds and (creds / "clickhouse-password").exists():
        password_file = str(creds / "clickhouse-password")  # systemd LoadCredential=clickhouse-password:...
    return open_client(settings.dsn, storage.database, password_file)


def database_for(settings: Settings) -> str:
    """The DSN path names the database for a server; else storage.database."""
    parts = urlsplit(settings.dsn)
    if parts.scheme in ("http", "https") and parts.path.strip("/"):
        return parts.path.strip("/")
    return settings.config.storage.database


def _root_cause(exc: BaseException) -> str:
    """'connection refused', 'timed out': the system's reason under the
    driver's and urllib3's wrappings, else the exception's first line."""
    cause, seen = exc, set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        if isinstance(cause, TimeoutError):  # socket.timeout carries no strerror
            return "timed out"
        cause = cause.__cause__ or cause.__context__
    return first_line(exc)
