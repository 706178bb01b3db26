"""The systemd units: they verify, their exposure stays at or below 2.0, and the
hardening they declare is one the daemon can actually run under.
"""

from __future__ import annotations

import configparser
import ctypes
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from sentinel.keys import CREDENTIAL_NAME
from sentinel.systemd import Notifier

ROOT = Path(__file__).parent.parent
UNITS = ROOT / "systemd"
SERVICES = ["sentinel.service", "sentinel-drill.service"]
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze not installed (Debian package `systemd`); CI installs it")


def directives(unit: str) -> dict[str, list[str]]:
    """Every `Key=value` of a unit, in order; repeated keys keep every value."""
    out: dict[str, list[str]] = {}
    for line in (UNITS / unit).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def one(unit: str, key: str) -> str:
    values = directives(unit)[key]
    assert len(values) == 1, f"{unit}: {key} set {len(values)} times"
    return values[0]


def test_daemon_unit_declares_the_contract():
    unit = "sentinel.service"
    assert one(unit, "Type") == "notify"
    assert one(unit, "NotifyAccess") == "main"
    assert one(unit, "WatchdogSec") == "30"
    assert re.fullmatch(r"/\S+/sentinel --config /etc/sentinel/sentinel\.toml run", one(unit, "ExecStart"))
    # the reload says whether it took: systemctl reload fails when the daemon refuses one
    assert re.fullmatch(r"/\S+/sentinel --config /etc/sentinel/sentinel\.toml reload --pid \$MAINPID",
                        one(unit, "ExecReload"))
    assert one(unit, "Restart") == "on-failure"
    assert one(unit, "DynamicUser") == "yes"
    assert one(unit, "StateDirectory") == "sentinel"
    credentials = dict(v.split(":", 1) for v in directives(unit)["LoadCredential"])
    # The daemon reads $CREDENTIALS_DIRECTORY/<name>: the names must be the ones it looks for.
    assert credentials == {CREDENTIAL_NAME: "/etc/sentinel/site.key",
                           "clickhouse-password": "/etc/sentinel/clickhouse-password"}
    assert one(unit, "AmbientCapabilities") == "CAP_NET_RAW"
    assert one(unit, "CapabilityBoundingSet") == "CAP_NET_RAW"
    assert one(unit, "UMask") == "0077"
    size = {"M": 1 << 20, "G": 1 << 30}
    high, hard = (int(one(unit, k)[:-1]) * size[one(unit, k)[-1]] for k in ("MemoryHigh", "MemoryMax"))
    assert 512 << 20 < high < hard  # throttled before it is killed, and well above its working size
    assert set(one(unit, "RestrictAddressFamilies").split()) == {"AF_UNIX", "AF_INET", "AF_INET6", "AF_PACKET",
                                                                 "AF_NETLINK"}
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "LockPersonality",
                "RestrictNamespaces", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                "ProtectControlGroups", "ProtectClock", "ProtectHostname"):
        assert one(unit, key) == "yes", key
    assert one(unit, "ProtectSystem") == "strict"
    assert one(unit, "ProtectProc") == "invisible"
    assert "@system-service" in directives(unit)["SystemCallFilter"]


def test_drill_timer_runs_the_drill_daily_with_jitter():
    assert one("sentinel-drill.service", "Type") == "oneshot"
    assert one("sentinel-drill.service", "ExecStart").endswith(" --config /etc/sentinel/sentinel.toml drill")
    assert one("sentinel-drill.service", "CapabilityBoundingSet") == ""
    assert one("sentinel-drill.timer", "OnCalendar") == "daily"
    assert one("sentinel-drill.timer", "RandomizedDelaySec")
    assert one("sentinel-drill.timer", "Persistent") == "true"
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string((UNITS / "sentinel-drill.timer").read_text())
    assert parser["Install"]["WantedBy"] == "timers.target"


@pytest.fixture
def unit_dir(tmp_path):
    """The units, with ExecStart and ExecReload pointed at the sentinel this test run installed (verify
    wants it to exist)."""
    binary = Path(sys.executable).parent / "sentinel"
    binary = binary if binary.exists() else Path(shutil.which("sentinel") or "/bin/true")
    for path in UNITS.iterdir():
        if path.suffix in (".service", ".timer"):
            text = re.sub(r"^(Exec(?:Start|Reload)=)\S+/sentinel\b", rf"\g<1>{binary}", path.read_text(), flags=re.M)
            (tmp_path / path.name).write_text(text)
    return tmp_path


@needs_analyze
def test_units_pass_systemd_analyze_verify(unit_dir):
    units = [str(unit_dir / name) for name in (*SERVICES, "sentinel-drill.timer")]
    result = subprocess.run([ANALYZE, "verify", "--man=no", *units], capture_output=True, text=True, timeout=120)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    # verify reports unknown keys and bad values as warnings and still exits 0
    assert not [line for line in output.splitlines() if "sentinel" in line], output


@needs_analyze
@pytest.mark.parametrize("service", SERVICES)
def test_exposure_is_at_most_2(unit_dir, service):
    result = subprocess.run([ANALYZE, "security", "--offline=yes", "--no-pager", str(unit_dir / service)],
                            capture_output=True, text=True, timeout=120)
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


# -- the hardening against the real daemon code -------------------------------------------
PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1

# Enough repeats of one expression for ClickHouse to JIT-compile it (min_count_to_compile_expression=3).
JIT_WORKLOAD = textwrap.dedent("""
    import chdb
    for _ in range(6):
        chdb.query("SELECT sum(number * 3 + 1) FROM numbers(200000) WHERE number * 2 + 1 > 10", "CSV")
    print("JIT-OK")
""")


def mdwe_supported() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_GET_MDWE, 0, 0, 0, 0) >= 0


@pytest.mark.skipif(not sys.platform.startswith("linux") or not mdwe_supported(),
                    reason="kernel without PR_SET_MDWE (Linux < 6.3): cannot reproduce MemoryDenyWriteExecute=")
def test_memory_deny_write_execute_stays_off_while_chdb_jit_needs_it():
    """MemoryDenyWriteExecute= refuses to make writable memory executable (systemd enforces it with
    seccomp, newer versions with PR_SET_MDWE): the kernel's MDWE is the same policy. Run chDB under it."""
    script = textwrap.dedent(f"""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) == 0
    """) + JIT_WORKLOAD
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    declared = {one(s, "MemoryDenyWriteExecute") if "MemoryDenyWriteExecute" in directives(s) else "no"
                for s in SERVICES}
    if result.returncode == 0 and "JIT-OK" in result.stdout:
        pytest.fail("chDB now runs under W^X: set MemoryDenyWriteExecute=yes in the units")
    assert "CANNOT_MPROTECT" in result.stderr, result.stderr[-2000:]
    assert declared == {"no"}, "MemoryDenyWriteExecute=yes would fail every JIT-compiled chDB query"


def syscall_set(group: str, seen: set[str] | None = None) -> set[str]:
    """A systemd syscall group (@system-service...) expanded to names, as systemd-analyze lists it."""
    seen = seen if seen is not None else set()
    if group in seen:
        return set()
    seen.add(group)
    listing = subprocess.run([ANALYZE, "syscall-filter", group], capture_output=True, text=True, check=True).stdout
    names: set[str] = set()
    for line in listing.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        names |= syscall_set(item, seen) if item.startswith("@") else {item}
    return names


def seccomp_module_path() -> str | None:
    for candidate in [*sys.path, "/usr/lib/python3/dist-packages"]:
        if list(Path(candidate).glob("seccomp.cpython-*.so")) if Path(candidate).is_dir() else []:
            return candidate
    return None


@needs_analyze
@pytest.mark.skipif(seccomp_module_path() is None,
                    reason="libseccomp's Python binding not installed (Debian package `python3-seccomp`)")
def test_store_and_http_work_under_the_units_syscall_filter(tmp_path):
    """The unit's SystemCallFilter=, SystemCallErrorNumber= and RestrictAddressFamilies=, applied with
    libseccomp to a process that runs the store (embedded chDB: migrate, insert, JIT'd queries) and
    the HTTP server. A call the filter refuses shows up here, not on a production host."""
    allowed: set[str] = set()
    for entry in directives("sentinel.service")["SystemCallFilter"]:
        deny = entry.startswith("~")
        names = set()
        for item in entry.lstrip("~").split():
            names |= syscall_set(item) if item.startswith("@") else {item}
        allowed = allowed - names if deny else allowed | names
    errno_name = one("sentinel.service", "SystemCallErrorNumber")
    families = one("sentinel.service", "RestrictAddressFamilies").split()
    script = textwrap.dedent(f"""
        import errno, socket, sys
        sys.path.append({seccomp_module_path()!r})
        import seccomp
        f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.{errno_name}))
        for name in {sorted(allowed - {"socket"})!r}:
            try:
                f.add_rule(seccomp.ALLOW, name)
            except (RuntimeError, ValueError):
                pass  # not a syscall on this architecture
        for family in {families!r}:
            f.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, getattr(socket, family)))
        f.load()
        try:
            socket.socket(38, socket.SOCK_SEQPACKET)  # AF_ALG: not in RestrictAddressFamilies=
            raise SystemExit("filter not active: AF_ALG allowed")
        except OSError as exc:
            assert exc.errno == errno.{errno_name}, exc

        import pathlib, urllib.request
        from prometheus_client import CollectorRegistry
        from sentinel.config import load_settings
        from sentinel.http import HttpServer
        from sentinel.metrics import Metrics
        from sentinel.store import Store
        base = pathlib.Path({str(tmp_path)!r})
        (base / "s.toml").write_text(f'data_dir = "{{base / "data"}}"\\n')
        store = Store.open(load_settings(base / "s.toml"))
        store.migrate()
        metrics = Metrics(CollectorRegistry())
        writer = store.writer(metrics)
        writer.add("events", ("event_id", "ts", "subprocessor", "bytes_out"),
                   [(i, 1.7e9 + i, "stripe", 100 + i) for i in range(1000)])
        assert writer.flush().durable
        from sentinel.memory import trim_mapped_code
        assert trim_mapped_code() > 0  # madvise passes the filter; the queries below run after it
        for _ in range(6):
            rows = store.query("SELECT sum(bytes_out * 3 + 1) FROM {{db}}.events "
                               "WHERE bytes_out * 2 + 1 > 10").result_rows
        assert rows[0][0] > 0, rows
        with HttpServer("127.0.0.1:0", metrics.registry) as server:
            body = urllib.request.urlopen(server.url + "/metrics", timeout=10).read()
        assert b"sentinel_store_rows_written_total" in body
        store.close()
        print("SANDBOX-OK")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            cwd=str(ROOT))
    assert result.returncode == 0 and "SANDBOX-OK" in result.stdout, result.stdout[-2000:] + result.stderr[-4000:]


def test_a_socket_nobody_reads_costs_pings_not_the_daemon(tmp_path):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as stalled:  # bound, never read
        stalled.bind(str(path))
        notifier = Notifier(str(path))
        results: list[bool] = []
        sender = threading.Thread(target=lambda: results.extend(notifier.notify("WATCHDOG=1") for _ in range(5000)),
                                  daemon=True)
        sender.start()
        sender.join(timeout=10)
        assert not sender.is_alive()  # a blocking send would hang here once the queue is full
        assert results[0] and not results[-1]  # delivered while there was room, then dropped
