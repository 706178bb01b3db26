"""The daemon as systemd runs it: a subprocess with a real notify socket, signals, restarts."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import detectors.pii
from tests.test_cli import sentinel

DATA = Path(__file__).parent / "data" / "logs"
SQUID_LINE = ('{ts:.3f}    120 10.0.0.{n} TCP_MISS/200 {size} GET http://api.segment.io/v1/track?n={n} - '
              'HIER_DIRECT/52.1.1.1 application/json\n')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotifySocket:
    """A real AF_UNIX datagram socket standing in for systemd's, read all the time as systemd
    reads it: a queue left full blocks the daemon's next notification."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.5)
        self.messages: list[str] = []
        threading.Thread(target=self._receive, name="notify", daemon=True).start()

    def _receive(self) -> None:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass

    def wait_for(self, field: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(field in m.split("\n") for m in self.messages):
                return True
            time.sleep(0.1)
        return False

    def collect(self, seconds: float) -> None:
        time.sleep(seconds)

    def count(self, field: str) -> int:
        return sum(field in m.split("\n") for m in self.messages)


class DaemonProcess:
    def __init__(self, tmp: Path, config_text: str):
        self.tmp = tmp
        self.port = free_port()
        self.config = tmp / "sentinel.toml"
        self.config.write_text(f'data_dir = "{tmp / "state"}"\n[metrics]\nlisten = "127.0.0.1:{self.port}"\n'
                               + config_text)
        self.notify = NotifySocket(tmp / "notify.sock")
        self.proc = None
        self.log = open(tmp / "daemon.log", "ab")

    def start(self, watchdog_usec: int = 2_000_000):
        env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}
        env.update(NOTIFY_SOCKET=str(self.notify.path), WATCHDOG_USEC=str(watchdog_usec))
        self.notify.messages.clear()
        self.proc = subprocess.Popen([sys.executable, "-m", "sentinel.cli", "--config", str(self.config), "run"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        assert self.notify.wait_for("READY=1"), self.logs()
        return self

    def signal(self, signum):
        self.proc.send_signal(signum)

    def wait(self, timeout=90) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:  # a stop that hangs: say where the daemon got to
            raise AssertionError(f"the daemon did not exit within {timeout} s; its log ends:\n{self.logs()}") from None

    def get(self, path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
            return response.read().decode()

    def metric(self, name: str, **labels) -> float:
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in self.get("/metrics").splitlines():
            if line.startswith(name + ("{" + want + "}" if want else " ")) or \
                    (want and line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items())):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def logs(self) -> str:
        return (self.tmp / "daemon.log").read_text(errors="replace")[-3000:]

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_until(predicate, timeout=60.0, step=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def append_lines(path: Path, start: int, count: int):
    now = time.time()
    with open(path, "a") as handle:
        for n in range(start, start + count):
            handle.write(SQUID_LINE.format(ts=now, n=n, size=100 + n))


def stored_events(tmp: Path) -> tuple[int, int]:
    """(rows, distinct event ids) in the daemon's embedded store, opened after it stopped."""
    from sentinel.config import load_settings
    from sentinel.store import Store

    store = Store.open(load_settings(tmp / "sentinel.toml"))
    try:
        rows, distinct = store.query("SELECT count(), uniqExact(event_id) FROM {db}.events").result_rows[0]
        return rows, distinct
    finally:
        store.close()


def checkpoint_offsets(tmp: Path, source: str) -> list[int]:
    """The offsets the source has committed (after the store acknowledged them), one per file."""
    try:
        doc = json.loads((tmp / "state" / "checkpoints" / f"{source}.json").read_text())
    except (OSError, ValueError):
        return []
    return sorted(entry["offset"] for entry in doc.get("checkpoints", {}).values())


def checkpointed(tmp: Path, source: str) -> int:
    return max(checkpoint_offsets(tmp, source), default=0)


@pytest.fixture
def daemon(tmp_path):
    created = []

    def make(config_text: str) -> DaemonProcess:
        process = DaemonProcess(tmp_path, config_text)
        created.append(process)
        return process

    yield make
    for process in created:
        process.kill()


def log_source(path: Path) -> str:
    # Named unlike its format (squid): metrics, checkpoints and rows carry the configured name.
    return f'[[sources]]\nname = "edge-proxy"\ntype = "log"\npaths = ["{path}"]\n'


def test_ready_watchdog_and_clean_stop_lose_nothing(daemon, tmp_path):
    access = tmp_path / "access.log"
    append_lines(access, 0, 300)
    proc = daemon(log_source(access)).start()
    assert proc.notify.wait_for("WATCHDOG=1", timeout=10)
    pings = proc.notify.count("WATCHDOG=1")
    proc.notify.collect(4.0)  # WATCHDOG_USEC=2s: a ping every second
    assert proc.notify.count("WATCHDOG=1") >= pings + 3
    assert json.loads(proc.get("/healthz"))["status"] == "ok"
    append_lines(access, 300, 200)
    assert wait_until(lambda: proc.metric("sentinel_events_total", source="edge-proxy", subprocessor="segment") >= 500)
    # start-up code was trimmed from the resident set, and the events after it still went through
    assert proc.metric("sentinel_memory_trimmed_bytes_total") > 0
    # the daemon says which build of the detectors it runs, as the test process loaded it
    build = "compiled" if detectors.pii.COMPILED else "interpreted"
    assert proc.metric("sentinel_detectors_compiled") == (1 if detectors.pii.COMPILED else 0)
    assert f'"detectors": "{build}"' in proc.logs()
    for module in detectors.pii.cmodules.C_MODULES:
        assert proc.metric("sentinel_detectors_c_module", module=module) == (1 if module in detectors.pii.NATIVE else 0)
    # the dashboard's queue fill is depth over capacity: both exported
    assert proc.metric("sentinel_queue_capacity", queue="pipeline") == 20_000
    # rare events' series are there at 0 before the first: increase() sees the first one
    exported = proc.get("/metrics")
    assert "_created" not in exported  # no timestamp series doubling every counter
    for series in ('sentinel_alerts_total{kind="secret_leak",severity="critical"} 0.0',
                   'sentinel_parse_errors_total{reason="unreadable_file",source="edge-proxy"} 0.0',
                   'sentinel_config_reloads_total{result="failed"} 0.0'):
        assert series in exported, series
    # the query strings went through the detectors, and their counters are exported
    assert proc.metric("sentinel_detector_scanned_bytes_total") > 0
    assert proc.metric("sentinel_detector_events_total", event="budget_overruns") == 0
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
    assert proc.notify.wait_for("STOPPING=1", timeout=5)
    assert stored_events(tmp_path) == (500, 500)


def test_sentinel_reload_says_whether_the_daemon_took_it(daemon, tmp_path):
    # systemctl reload ran `kill -HUP` and succeeded even when the daemon refused the change.
    access = tmp_path / "access.log"
    append_lines(access, 0, 10)
    proc = daemon(log_source(access)).start()
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}

    def reload():
        return subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(proc.config), "reload"],
                              capture_output=True, text=True, env=env, timeout=180)

    good = proc.config.read_text()
    took = reload()
    assert took.returncode == 0 and "configuration reloaded" in took.stdout, took.stderr
    proc.config.write_text(good + "\n[storage]\nbatch_seconds = 3\n")  # valid, but only a restart applies it
    refused = reload()
    assert refused.returncode == 1 and "storage.batch_seconds" in refused.stdout and "restart" in refused.stdout
    proc.config.write_text(good + "\n[storage]\nbatch_rows = -5\n")  # invalid: said before the daemon is asked
    invalid = reload()
    assert invalid.returncode == 2 and "storage.batch_rows" in invalid.stderr
    assert proc.metric("sentinel_config_reloads_total", result="ok") == 1
    assert proc.metric("sentinel_config_reloads_total", result="failed") == 1
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


NER_MODEL_MISSING = importlib.util.find_spec("en_core_web_sm") is None  # spaCy's model, as installed here
NER_ON = "\n[detectors.ner]\nenabled = true\n"


@pytest.mark.skipif(not NER_MODEL_MISSING, reason="the default spaCy model is installed here")
def test_a_reload_turning_on_ner_without_its_model_is_refused_and_the_daemon_runs_on(daemon, tmp_path):
    # It made the daemon exit with NerUnavailable's traceback.
    access = tmp_path / "access.log"
    append_lines(access, 0, 10)
    proc = daemon(log_source(access)).start()
    good = proc.config.read_text()
    proc.config.write_text(good + NER_ON)
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}
    refused = subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(proc.config), "reload"],
                             capture_output=True, text=True, env=env, timeout=180)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "detectors.ner.model" in refused.stdout and "spacy download en_core_web_sm" in refused.stdout
    assert proc.proc.poll() is None and "Traceback" not in proc.logs()
    append_lines(access, 10, 10)  # still running on the old config
    assert wait_until(lambda: proc.metric("sentinel_events_total", source="edge-proxy", subprocessor="segment") >= 20)
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


@pytest.mark.skipif(not NER_MODEL_MISSING, reason="the default spaCy model is installed here")
def test_run_with_ner_on_and_no_model_is_a_config_error_and_exit_2(tmp_path):
    config = tmp_path / "sentinel.toml"
    config.write_text(f'data_dir = "{tmp_path / "state"}"\n[metrics]\nlisten = "127.0.0.1:{free_port()}"\n' + NER_ON)
    result = sentinel("--config", str(config), "run")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    # spaCy itself may be missing too (the test extra leaves it out): either is named
    assert f"{config}: detectors.ner.model: " in output and "is not installed" in output
    assert "Traceback" not in output


@pytest.mark.parametrize("broken,key", [
    ("[storage]\nbatch_rows = -5\n", "storage.batch_rows"),
    ('[[alerts.routes]]\nname = "oncall"\nurls = ["notascheme://foo"]\n', "alerts.routes[0].urls[0]"),
    ('[detectors.watchlist]\npaths = ["missing-watchlist.txt"]\n', "detectors.watchlist.paths[0]"),
], ids=["bad value", "bad alert url", "missing watchlist file"])
def test_sighup_with_broken_config_keeps_the_running_one(daemon, tmp_path, broken, key):
    access = tmp_path / "access.log"
    append_lines(access, 0, 10)
    proc = daemon(log_source(access)).start()
    good = proc.config.read_text()
    proc.config.write_text(good + "\n" + broken)
    proc.signal(signal.SIGHUP)
    assert wait_until(lambda: proc.metric("sentinel_config_reloads_total", result="failed") == 1)
    assert "reload rejected" in proc.logs() and key in proc.logs()
    proc.notify.collect(1.0)
    assert proc.notify.count("RELOADING=1") == 1
    append_lines(access, 10, 10)  # still running on the old config
    assert wait_until(lambda: proc.metric("sentinel_events_total", source="edge-proxy", subprocessor="segment") >= 20)
    proc.config.write_text(good)
    proc.signal(signal.SIGHUP)
    assert wait_until(lambda: proc.metric("sentinel_config_reloads_total", result="ok") == 1)
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


def append_email(path: Path) -> None:
    with open(path, "a") as handle:
        handle.write(f"{time.time():.3f}    120 10.0.0.1 TCP_MISS/200 400 GET https://api.mixpanel.com/track?"
                     f"email=jane.doe%40example.com - HIER_DIRECT/198.51.100.80 image/gif\n")


def email_hashes(tmp: Path) -> list[str]:
    """The keyed hash of every stored e-mail finding, read from the embedded store once the daemon stopped."""
    from sentinel.config import load_settings
    from sentinel.store import Store

    store = Store.open(load_settings(tmp / "sentinel.toml"))
    try:
        return [row[0] for row in store.query("SELECT value_hash FROM {db}.findings WHERE category = 'EMAIL'")
                .result_rows]
    finally:
        store.close()


def new_data_dir(tmp: Path, config: str) -> str:
    return config.replace(f'data_dir = "{tmp / "state"}"', f'data_dir = "{tmp / "state2"}"')


def new_metrics_port(tmp: Path, config: str) -> str:
    return re.sub(r'listen = "127\.0\.0\.1:\d+"', f'listen = "127.0.0.1:{free_port()}"', config)


def new_site_key_file(tmp: Path, config: str) -> str:
    from sentinel.keys import generate_key_file

    key = generate_key_file(tmp / "other.key")
    return config + f'\n[keys]\nsite_key_file = "{key}"\n'


@pytest.mark.parametrize("change,setting", [
    (new_data_dir, "data_dir"), (new_metrics_port, "metrics.listen"), (new_site_key_file, "keys.site_key_file"),
], ids=["data_dir", "metrics.listen", "site key file"])
def test_sighup_changing_a_restart_only_setting_is_refused_and_the_site_key_kept(daemon, tmp_path, change,
                                                                                 setting):
    access = tmp_path / "access.log"
    append_email(access)
    proc = daemon(log_source(access)).start()
    assert wait_until(lambda: checkpointed(tmp_path, "edge-proxy") == access.stat().st_size)
    running = proc.config.read_text()
    changed = change(tmp_path, running)
    assert changed != running
    proc.config.write_text(changed)
    proc.signal(signal.SIGHUP)
    # the old port still answers, and counts the reload as refused
    assert wait_until(lambda: proc.metric("sentinel_config_reloads_total", result="failed") == 1), proc.logs()
    rejected = [line for line in proc.logs().splitlines() if "reload rejected" in line]
    assert rejected and setting in rejected[-1] and "restart" in rejected[-1]
    assert not (tmp_path / "state2" / "site.key").exists()
    append_email(access)  # the same address, hashed after the reload
    assert wait_until(lambda: checkpointed(tmp_path, "edge-proxy") == access.stat().st_size), proc.logs()
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
    proc.config.write_text(running)
    hashes = email_hashes(tmp_path)
    assert len(hashes) == 2 and len(set(hashes)) == 1


def test_sighup_keeps_the_site_key_the_daemon_started_with(daemon, tmp_path):
    """A key file replaced on disk is read at the next start, never mid-run by a reload."""
    from sentinel.keys import generate_key_file

    access = tmp_path / "access.log"
    append_email(access)
    proc = daemon(log_source(access)).start()
    assert wait_until(lambda: checkpointed(tmp_path, "edge-proxy") == access.stat().st_size)
    generate_key_file(tmp_path / "state" / "site.key", force=True)
    proc.signal(signal.SIGHUP)
    assert wait_until(lambda: proc.metric("sentinel_config_reloads_total", result="ok") == 1), proc.logs()
    append_email(access)
    assert wait_until(lambda: checkpointed(tmp_path, "edge-proxy") == access.stat().st_size), proc.logs()
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
    hashes = email_hashes(tmp_path)
    assert len(hashes) == 2 and len(set(hashes)) == 1


def test_kill_9_during_ingest_then_restart_stores_every_event_exactly_once(daemon, tmp_path):
    access = tmp_path / "access.log"
    total = 40_000
    append_lines(access, 0, total)
    proc = daemon(log_source(access) + "[storage]\nbatch_rows = 2000\nbatch_seconds = 0.2\n").start()
    assert wait_until(lambda: proc.metric("sentinel_store_rows_written_total", table="events") >= 4000, timeout=120)
    proc.proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.start()
    assert wait_until(lambda: proc.metric("sentinel_events_total", source="edge-proxy", subprocessor="segment") > 0)

    assert wait_until(lambda: checkpointed(tmp_path, "edge-proxy") == access.stat().st_size, timeout=180), proc.logs()
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
    assert stored_events(tmp_path) == (total, total)


def test_har_files_present_at_start_are_scanned_once_while_the_writer_holds_them(daemon, tmp_path):
    har = Path(__file__).parent / "data" / "har" / "pagexray_case_sensitive_protocol_chrome.har"
    watched = tmp_path / "hars"
    watched.mkdir()
    for indent in (5, 6, 7):  # the same requests, three files: leading spaces make three identities
        copy = watched / f"h{indent}.har"
        copy.write_bytes(b" " * indent + har.read_bytes())
        os.utime(copy, (time.time() - 60, time.time() - 60))  # settled already
    requests = len(json.loads(har.read_text())["log"]["entries"])
    sizes = sorted(path.stat().st_size for path in watched.iterdir())
    # The writer holds its batch for seconds: the source rescans the directory meanwhile.
    proc = daemon(f'[[sources]]\nname = "hars"\ntype = "har"\npaths = ["{watched}"]\n'
                  "[storage]\nbatch_seconds = 8\n").start()
    assert wait_until(lambda: checkpoint_offsets(tmp_path, "hars") == sizes, timeout=120), proc.logs()
    assert proc.metric("sentinel_samples_scanned_total", source="hars") == 3 * requests
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


def test_inventory_while_the_daemon_holds_the_embedded_store(daemon, tmp_path):
    access = tmp_path / "access.log"
    now = time.time()
    with open(access, "w") as handle:
        handle.write(f"{now:.3f}    120 10.0.0.1 TCP_MISS/200 400 GET https://api.mixpanel.com/track?"
                     f"email=jane.doe%40example.com - HIER_DIRECT/198.51.100.80 image/gif\n")
    proc = daemon(log_source(access)).start()
    assert wait_until(lambda: checkpointed(tmp_path, "edge-proxy") == access.stat().st_size)
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}
    result = subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(proc.config), "inventory",
                             "--since", "1d", "--format", "json"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    flows = json.loads(result.stdout)
    mixpanel = [f for f in flows if f["subprocessor"] == "mixpanel" and f["category"] == "EMAIL"]
    assert mixpanel and not mixpanel[0]["approved"] and mixpanel[0]["field_path"] == "query.email"
    assert "jane.doe" not in result.stdout
    # `sentinel subject` too: keyed hashes go to the daemon, the places come back, it audits the lookup.
    result = subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(proc.config), "subject",
                             "--format", "json"], capture_output=True, text=True, env=env, timeout=120,
                            # a list long enough that its hashes outgrow the API's usual 64 KiB body
                            input="".join(f"customer{i}@example.org\n" for i in range(400)) + "Jane.Doe@Example.com\n")
    assert result.returncode == 0, result.stderr
    assert [(r["subprocessor"], r["field_path"]) for r in json.loads(result.stdout)["recipients"]] == \
        [("mixpanel", "query.email")]
    audit = subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(proc.config), "audit", "show"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert "subject.lookup" in audit.stdout, audit.stderr
    assert "jane.doe" not in (result.stdout + audit.stdout + proc.logs()).lower()
    # And an erasure: the daemon deletes her findings; a lookup then finds none.
    erase = [sys.executable, "-m", "sentinel.cli", "--config", str(proc.config), "subject", "--format", "json"]
    erased = subprocess.run(erase + ["--erase", "--yes"], capture_output=True, text=True, env=env, timeout=300,
                            input="jane.doe@example.com\n")
    assert erased.returncode == 0 and "erased 1 finding(s)" in erased.stderr, erased.stderr
    after = subprocess.run(erase, capture_output=True, text=True, env=env, timeout=120, input="jane.doe@example.com\n")
    assert after.returncode == 0 and json.loads(after.stdout)["recipients"] == [], after.stderr
    # Another local user, who cannot read the daemon's state, is refused: 401, no flows.
    token = tmp_path / "state" / "api.token"
    assert token.stat().st_mode & 0o777 == 0o600
    # A second instance on the same state fails (the store is the first's) and leaves its token alone.
    issued = token.read_text()
    second = tmp_path / "second.toml"
    second.write_text(proc.config.read_text().replace(f":{proc.port}", f":{free_port()}"))
    assert subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(second), "run"], env=env,
                          capture_output=True, timeout=120).returncode == 3
    assert token.read_text() == issued
    with pytest.raises(urllib.error.HTTPError) as refused:
        proc.get("/api/inventory?since=1d")
    assert refused.value.code == 401 and b"mixpanel" not in refused.value.read()
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


def test_a_leak_read_from_a_backlog_is_notified_before_it_resolves(daemon, tmp_path):
    # After an outage the daemon reads lines older than resolve_timeout (1 h): the leak
    # they hold must still reach the channel, not resolve unannounced.
    access, alerts = tmp_path / "access.log", tmp_path / "alerts.jsonl"
    two_hours_ago = time.time() - 7200
    token = "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"
    access.write_text("")
    route = ('[alerts]\ngroup_wait_seconds = 0.5\ngroup_interval_seconds = 1\n[[alerts.routes]]\nname = "ops"\n'
             f'urls = ["file://{alerts}"]\nmin_severity = "high"\n')
    proc = daemon(log_source(access) + route).start()
    with open(access, "a") as handle:
        handle.write(f"{two_hours_ago:.3f}     12 10.0.0.9 TCP_MISS/200 555 GET http://hooks.backlog-example.dev/n?"
                     f"token={token} - HIER_DIRECT/203.0.113.9 -\n")
    assert wait_until(lambda: alerts.exists() and "backlog-example.dev" in alerts.read_text()), proc.logs()
    assert token not in alerts.read_text()
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


def test_lag_is_the_age_of_what_is_written_and_zero_once_caught_up(daemon, tmp_path):
    access = tmp_path / "access.log"
    access.write_text("")
    proc = daemon(log_source(access)).start()
    two_days_ago = time.time() - 2 * 86400
    with open(access, "a") as handle:  # a backfill of old lines, read after the start
        for n in range(20):
            handle.write(SQUID_LINE.format(ts=two_days_ago, n=n, size=100 + n))
    assert wait_until(lambda: checkpointed(tmp_path, "edge-proxy") == access.stat().st_size), proc.logs()
    # Stored and nothing left to read: the lines' age is not a lag to alert on.
    assert wait_until(lambda: proc.metric("sentinel_pipeline_lag_seconds", source="edge-proxy") == 0.0, timeout=10)
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0


def test_metrics_port_in_use_is_one_clean_error_and_exit_2(tmp_path):
    with socket.socket() as holder:  # another process's listener on the configured port
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        config = tmp_path / "sentinel.toml"
        config.write_text(f'data_dir = "{tmp_path / "state"}"\n[metrics]\nlisten = "127.0.0.1:{port}"\n')
        result = sentinel("--config", str(config), "run")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"cannot listen on 127.0.0.1:{port} (metrics.listen): Address already in use" in output
    assert "Traceback" not in output and "ShutdownTablesThreadPool" not in output
    assert not (tmp_path / "state" / "chdb").exists()  # it gave up before opening the store


def test_a_registry_rule_that_never_matches_is_logged_as_a_warning(settings_factory, tmp_path, caplog):
    # At start and on each reload, as `sentinel config check` prints it.
    from sentinel.daemon import warn_unreachable_rules

    (tmp_path / "reg.toml").write_text('[[subprocessor]]\nname = "stripe"\ndomains = ["stripe.com"]\n'
                                       '[[subprocessor]]\nname = "acme"\ndomains = ["*.stripe.com"]\n')
    settings = settings_factory('registry = "reg.toml"\n')
    with caplog.at_level("WARNING", logger="sentinel.daemon"):
        warn_unreachable_rules(settings)
    (record,) = caplog.records
    assert record.levelname == "WARNING" and record.getMessage().startswith(
        f"{tmp_path / 'reg.toml'}: subprocessor[1].domains[0]: '*.stripe.com' of 'acme' never matches: "
        "'stripe.com' of 'stripe'")
