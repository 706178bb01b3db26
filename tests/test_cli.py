"""The `sentinel` command as a user runs it: a subprocess with its exit code and output."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def sentinel(*args, env=None, tmp_path=None, stdin: str | None = None):
    environment = {k: v for k, v in os.environ.items() if k != "SENTINEL_CONFIG"}
    if tmp_path is not None:
        environment["SENTINEL_DATA_DIR"] = str(tmp_path / "state")
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "sentinel.cli", *args], capture_output=True, text=True,
                          env=environment, timeout=120, input=stdin)


def test_version_says_whether_the_detectors_are_compiled():
    import detectors.pii

    result = sentinel("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("sentinel ") and ("compiled" if detectors.pii.COMPILED else "interpreted") in \
        result.stdout


@pytest.mark.parametrize("args, message", [
    (("--diff", "all"), "--diff: expected a period such as 7d"),
    (("--diff", "0d"), "--diff: duration '0d' is zero"),
    (("--since", "1d", "--diff", "7d"), "--diff 7d must be shorter than --since 1d"),
    (("--since", "1M"), "--since: cannot read duration '1M': 'M' is not a unit"),
])
def test_inventory_refuses_a_period_that_makes_no_sense(tmp_path, args, message):
    result = sentinel("inventory", *args, tmp_path=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_help_lists_every_command():
    result = sentinel("--help")
    assert result.returncode == 0
    for command in ("run", "ingest", "scan", "detect", "inventory", "subject", "alerts", "audit", "db", "drill", "demo",
                    "keygen"):
        assert command in result.stdout


@pytest.mark.parametrize("args", [("config", "show"), ("ingest", "--no-such-option", "x.log"), ("nonsense",)])
def test_usage_error_is_exit_2_with_the_message_and_no_traceback(args):
    result = sentinel(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert args[-1] in result.stderr or "No such option" in result.stderr
    assert "Usage:" in result.stderr


def test_db_migrate_then_status_on_default_embedded_store(tmp_path):
    first = sentinel("db", "migrate", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "applied migrations: 1" in first.stdout
    again = sentinel("db", "migrate", tmp_path=tmp_path)
    assert "up to date" in again.stdout
    status = sentinel("db", "status", tmp_path=tmp_path)
    assert status.returncode == 0
    assert "events" in status.stdout and "pending" not in status.stdout
    assert (tmp_path / "state" / "chdb").is_dir()


def test_config_error_exits_2_naming_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[storage]\nbatch_rows = -1\n")
    result = sentinel("--config", str(bad), "config", "check", tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"{bad}: storage.batch_rows:" in result.stderr


def test_config_from_environment(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(f'data_dir = "{tmp_path}/elsewhere"\n')
    result = sentinel("config", "check", env={"SENTINEL_CONFIG": str(good)})
    assert result.returncode == 0
    assert f"{tmp_path}/elsewhere" in result.stdout


def test_keygen_creates_private_key(tmp_path):
    out = tmp_path / "k.key"
    assert sentinel("keygen", "--out", str(out), tmp_path=tmp_path).returncode == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert sentinel("keygen", "--out", str(out), tmp_path=tmp_path).returncode == 1


def test_a_site_key_others_can_read_is_named_and_still_used(tmp_path):
    key = tmp_path / "k.key"
    sentinel("keygen", "--out", str(key), tmp_path=tmp_path)
    config = tmp_path / "sentinel.toml"
    config.write_text(f'data_dir = "{tmp_path / "state"}"\n[keys]\nsite_key_file = "{key}"\n')
    private = sentinel("--config", str(config), "detect", stdin='{"email": "jane.doe@example.com"}')
    key.chmod(0o644)
    shared = sentinel("--config", str(config), "detect", stdin='{"email": "jane.doe@example.com"}')
    assert "readable by others" not in private.stderr
    assert f"site key {key} is readable by others (mode 0644)" in shared.stderr
    assert shared.returncode == private.returncode == 1 and shared.stdout == private.stdout


HAR = Path(__file__).parent / "data" / "har" / "mitmproxy_insomnia_rest_client.har"


@pytest.mark.parametrize("args, message", [
    (("keygen", "--out", "{dir}", "--force"), "{dir}: is a directory; give the path of the key file to write"),
    (("keygen", "--out", "{file}/keys/site.key"), "{file}/keys/site.key: cannot create it: {file} is not a directory"),
    (("keygen", "--out", "{file}/site.key"), "{file}/site.key: cannot create it: {file} is not a directory"),
    (("keygen", "--out", "/proc/sentinel.key"), "error: No such file or directory: /proc/sentinel.key"),
    (("scan", "--format", "json", "-o", "{dir}/missing/out.json", str(HAR)),
     "error: No such file or directory: {dir}/missing/out.json"),
    (("scan", "-o", "{dir}", str(HAR)), "error: Is a directory: {dir}"),
    (("inventory", "--format", "html", "-o", "{dir}"), "error: Is a directory: {dir}"),
    (("demo", "--dir", "{file}"), "--dir: {file} is not a directory"),
])
def test_a_path_that_cannot_be_written_is_one_error_line_and_exit_2(tmp_path, args, message):
    places = {"dir": str(tmp_path / "out"), "file": str(tmp_path / "plain.txt")}
    (tmp_path / "out").mkdir()
    (tmp_path / "plain.txt").write_text("not a directory\n")
    result = sentinel(*(arg.format(**places) for arg in args), tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert message.format(**places) in result.stderr.splitlines()


@pytest.mark.parametrize("args, files, code, message", [
    (("inventory", "--since", "999999999d"), {}, 2,
     "--since: duration '999999999d' is longer than 100 years (36500d)"),
    (("detect", "{tmp}/deep.json"), {"deep.json": b"[" * 100_000 + b"]" * 100_000}, 0,
     "0 finding(s) in 1 input(s) ({tmp}/deep.json as json)"),
    (("detect", "{tmp}/deep.json"), {"deep.json": b"[]", "state/site.key": bytes(range(200, 232))}, 2,
     "{tmp}/state/site.key: not a valid site key: expected text, such as the 64 hex digits `sentinel keygen` "
     "writes"),
])
def test_bad_input_is_reported_in_one_line_or_scanned_not_a_traceback(tmp_path, args, files, code, message):
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    result = sentinel(*(arg.format(tmp=tmp_path) for arg in args), tmp_path=tmp_path)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert message.format(tmp=tmp_path) in (result.stdout + result.stderr).splitlines()


UNREACHABLE = "store unavailable: cannot reach ClickHouse at 127.0.0.1:9: connection refused"


def unreachable_store_config(tmp_path):
    config = tmp_path / "sentinel.toml"
    config.write_text('[storage]\ndsn = "http://127.0.0.1:9"\n')  # the discard port: nothing listens
    return config


@pytest.mark.parametrize("args", [("db", "status"), ("inventory",), ("alerts", "list"), ("audit", "show"),
                                  ("ingest", str(HAR))])
def test_unreachable_store_is_exit_3_and_one_line_with_its_reason(tmp_path, args):
    result = sentinel("--config", str(unreachable_store_config(tmp_path)), *args, tmp_path=tmp_path)
    assert result.returncode == 3
    assert result.stderr.splitlines() == [UNREACHABLE]  # no driver log line, no cut-off urllib3 text


def test_ingest_json_reports_an_unreachable_store_as_json(tmp_path):
    result = sentinel("--config", str(unreachable_store_config(tmp_path)), "ingest", "--json", str(HAR),
                      tmp_path=tmp_path)
    assert result.returncode == 3
    assert json.loads(result.stdout) == {"error": UNREACHABLE}


# Each passed `config check` before, and failed later: with a traceback, RE2's log noise,
# or silently at run time (every line dropped, every e-mail flagged).
LATE_FAILURES = [
    ("[detectors]\nfoo = 1\n", "detectors", "unknown key(s) foo"),
    ("[anomaly]\nfoo = 1\n", "anomaly", "unknown key(s) foo"),
    ("[detectors.detectors.emial]\nenabled = false\n", "detectors.detectors", "unknown detector(s) emial"),
    ('[detectors]\nphone_regions = ["XX"]\n', "detectors.phone_regions", "unknown phone region(s): XX"),
    ('[[detectors.custom]]\nname = "emp"\ncategory = "EMPLOYEE_ID"\nregex = \'EMP-(\\d+\'\n',
     "detectors.custom[0].regex", "not a valid RE2 pattern"),
    ('[detectors.allowlist]\npatterns = ["a(b"]\n', "detectors.allowlist.patterns[0]", "not a valid RE2 pattern"),
    # 94 zero-length findings on one short request
    ('[[detectors.custom]]\nname = "emp"\ncategory = "EMPLOYEE_ID"\nregex = ""\n', "detectors.custom[0].regex",
     "expected a pattern"),
    ('[[alerts.routes]]\nname = "oncall"\nurls = ["notascheme://foo"]\n', "alerts.routes[0].urls[0]",
     "not a notification URL Apprise understands"),
    ('[[sources]]\nname = "proxy"\ntype = "log"\npaths = ["/var/log/squid"]\nformat = "squidx"\n',
     "sources[0].format", "unknown log format 'squidx'"),
    ('[storage]\ncluster = "c1"\n', "storage", "a cluster needs an http(s):// server dsn"),
    ('[keys]\nsite_key_file = "{tmp}/missing.key"\n', "keys.site_key_file", "site key file not found"),
    # the capture thread died with scapy's traceback at start
    ('[[sources]]\nname = "mirror"\ntype = "live"\ninterface = "lo"\nbpf = "tcpx port 80"\n', "sources[0].bpf",
     "can't parse filter expression"),
    ("[detectors.ner]\nmin_chars = -1\n", "detectors.ner.min_chars", "expected a whole number of characters"),
    ('[detectors.watchlist]\npaths = ["{tmp}/watch.txt"]\n', "detectors.watchlist.paths[0]", "watch.txt: file not found"),
]
# NER on without its spaCy model, as installed here: a traceback at start, and a reload
# that killed the daemon.
if importlib.util.find_spec("en_core_web_sm") is None:
    LATE_FAILURES.append(("[detectors.ner]\nenabled = true\n", "detectors.ner.model", "en_core_web_sm"))


@pytest.mark.parametrize("text,key,message", LATE_FAILURES, ids=[case[1] for case in LATE_FAILURES])
def test_config_check_rejects_what_a_later_command_would(tmp_path, text, key, message):
    config = tmp_path / "sentinel.toml"
    config.write_text(text.replace("{tmp}", str(tmp_path)))
    result = sentinel("--config", str(config), "config", "check", tmp_path=tmp_path)
    assert result.returncode == 2, result.stdout
    assert f"{config}: {key}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and "re2.cc" not in result.stderr and "absl" not in result.stderr
    assert "ok" not in result.stdout.split()


@pytest.mark.parametrize("text,key,message", [case for case in LATE_FAILURES if case[1].startswith("detectors")],
                         ids=[case[1] for case in LATE_FAILURES if case[1].startswith("detectors")])
def test_detect_gives_the_same_error_at_load(tmp_path, text, key, message):
    config = tmp_path / "sentinel.toml"
    config.write_text(text.replace("{tmp}", str(tmp_path)))
    result = sentinel("--config", str(config), "detect", "-", tmp_path=tmp_path, stdin="mail jane@example.com\n")
    assert result.returncode == 2
    assert f"{config}: {key}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and "re2.cc" not in result.stderr


def test_config_check_rejects_a_policy_category_no_detector_reports(tmp_path):
    (tmp_path / "reg.toml").write_text('[[subprocessor]]\nname = "acme"\ndomains = ["acme.test"]\n'
                                       '[subprocessor.policy]\nallow = ["EMAILS"]\n')
    config = tmp_path / "sentinel.toml"
    config.write_text('registry = "reg.toml"\n')
    result = sentinel("--config", str(config), "config", "check", tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'reg.toml'}: subprocessor[0].policy.allow[0]: unknown category EMAILS" in result.stderr
    # a custom detector's category is one a policy may name
    config.write_text('registry = "reg.toml"\n[[detectors.custom]]\nname = "e"\ncategory = "EMAILS"\nregex = "x"\n')
    assert sentinel("--config", str(config), "config", "check", tmp_path=tmp_path).returncode == 0


@pytest.mark.parametrize("command", [("config", "check"), ("scan", "--policy", "{reg}", "{har}")])
def test_a_bad_ignore_rule_is_a_config_error_at_load_not_a_crash_later(tmp_path, command):
    # It passed `config check`, then `scan` died with a pydantic traceback naming a key not in the file.
    (tmp_path / "reg.toml").write_text('[unknown]\nignore = ["https://ubuntu.com"]\n'
                                       '[[subprocessor]]\nname = "acme"\ndomains = ["acme.test"]\n')
    config = tmp_path / "sentinel.toml"
    config.write_text('registry = "reg.toml"\n')
    har = Path(__file__).parent / "data" / "har" / "mitmproxy_insomnia_rest_client.har"
    args = [arg.format(reg=tmp_path / "reg.toml", har=har) for arg in command]
    result = sentinel("--config", str(config), *args, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'reg.toml'}: unknown.ignore[0]: expected a domain rule" in result.stderr
    assert "Traceback" not in result.stderr and "subprocessor.0.domains" not in result.stderr


def test_config_check_passes_the_shipped_config_and_writes_nothing(tmp_path):
    shipped = Path(__file__).parent.parent / "config" / "sentinel.toml"
    result = sentinel("--config", str(shipped), "config", "check", tmp_path=tmp_path,
                      env={"SENTINEL_DATA_DIR": str(tmp_path / "state")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "ok"
    assert "site key" in result.stdout  # a note: the default key is made on first use
    assert not (tmp_path / "state").exists()


def test_config_check_names_a_source_path_that_matches_no_file(tmp_path):
    (tmp_path / "squid").mkdir()
    (tmp_path / "squid" / "access.log").write_text("")
    config = tmp_path / "s.toml"
    config.write_text(f'[[sources]]\nname = "edge"\ntype = "log"\n'
                      f'paths = ["{tmp_path}/squid/access.log", "{tmp_path}/sqiud/*.log"]\n')
    result = sentinel("--config", str(config), "config", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr  # the file may come later: a note, not an error
    notes = [line for line in result.stdout.splitlines() if "matches no file" in line]
    assert len(notes) == 1 and "sources[0] (edge)" in notes[0] and "/sqiud/*.log" in notes[0]


def test_a_password_in_the_store_dsn_is_never_printed(tmp_path):
    config = tmp_path / "pw.toml"
    config.write_text('[storage]\ndsn = "http://sentinel:hunter2pass@127.0.0.1:1/sentinel"\n')
    check = sentinel("--config", str(config), "config", "check", tmp_path=tmp_path)
    assert check.returncode == 0
    assert "store:    http://sentinel:***@127.0.0.1:1/sentinel" in check.stdout
    status = sentinel("--config", str(config), "db", "status", tmp_path=tmp_path)
    assert status.returncode == 3
    for result in (check, status):
        assert "hunter2pass" not in result.stdout + result.stderr


def test_detect_list_shows_each_detector_as_configured(tmp_path):
    config = tmp_path / "sentinel.toml"
    config.write_text('[detectors]\ndetectors.PASSPORT = { enabled = false }\ndetectors.email = { threshold = 0.9 }\n'
                      '[[detectors.custom]]\nname = "employee_id"\ncategory = "EMPLOYEE_ID"\nregex = \'EMP-\\d{6}\'\n')
    result = sentinel("-c", str(config), "detect", "--list", "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert (rows["passport"]["enabled"], rows["email"]["threshold"], rows["phone"]["threshold"]) == (False, 0.9, 0.5)
    assert rows["custom.employee_id"]["category"] == "EMPLOYEE_ID" and rows["custom.employee_id"]["enabled"]
    assert rows["secret.generic"]["reads"] == "field names"  # judged by the field's name, not its value
    refused = sentinel("-c", str(config), "detect", "--list", "payload.json", tmp_path=tmp_path)
    assert refused.returncode == 2 and "--list" in refused.stderr


def test_config_check_policy_checks_a_registry_alone_and_summarises_it(tmp_path):
    # Before, checking a registry meant writing a sentinel.toml around it.
    reg = tmp_path / "reg.toml"
    reg.write_text('[secrets]\nallow_to = ["acme"]\n[[subprocessor]]\nname = "acme"\n'
                   'domains = ["acmecrm.io", "*.acme.dev"]\ncidrs = ["192.0.2.0/24"]\n'
                   '[subprocessor.policy]\nallow = ["EMPLOYEE_ID"]\nendpoints = [{ path = "/v1/*", allow = [] }]\n')
    result = sentinel("config", "check", "--policy", str(reg), tmp_path=tmp_path)
    assert result.returncode == 2 and f"{reg}: subprocessor[0].policy.allow[0]: unknown category" in result.stderr
    # the configured detectors' categories, a custom one included, are those a policy may name
    config = tmp_path / "sentinel.toml"
    config.write_text('registry = "missing.toml"\n[[detectors.custom]]\nname = "staff"\ncategory = "EMPLOYEE_ID"\n'
                      'regex = "E[0-9]{6}"\n')
    result = sentinel("--config", str(config), "config", "check", "--policy", str(reg), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"registry: {reg}: 1 sub-processor (acme), 2 domain rules, 1 CIDR range, 1 endpoint rule, "
        "0 ignored-host rules; secrets allowed to: acme", "ok"]
    assert not (tmp_path / "state").exists()


def _check_registry_both_ways(tmp_path, acme_domains: str):
    """(registry path, result) of `config check --policy` and of `config check` with a
    configuration naming it, for stripe.com under stripe and ``acme_domains`` under acme."""
    reg = tmp_path / "reg.toml"
    reg.write_text('[[subprocessor]]\nname = "stripe"\ndomains = ["stripe.com"]\n'
                   f'[[subprocessor]]\nname = "acme"\ndomains = {acme_domains}\n')
    config = tmp_path / "sentinel.toml"
    config.write_text('registry = "reg.toml"\n')
    for args in (("config", "check", "--policy", str(reg)), ("--config", str(config), "config", "check")):
        yield reg, sentinel(*args, tmp_path=tmp_path)


def test_config_check_refuses_a_rule_under_two_subprocessors_naming_both(tmp_path):
    for reg, result in _check_registry_both_ways(tmp_path, '["acme.test", "stripe.com"]'):
        assert result.returncode == 2, result.stdout
        assert (f"{reg}: subprocessor[1].domains[1]: 'stripe.com' of 'acme' is also a domain rule of 'stripe' "
                "(subprocessor[0].domains[0]): only their order in the file would decide") in result.stderr
        assert "Traceback" not in result.stderr and "ok" not in result.stdout.split()


def test_config_check_warns_of_a_rule_that_never_matches(tmp_path):
    # acme's *.stripe.com: stripe.com covers the subdomains too and wins; a warning, not an error
    for reg, result in _check_registry_both_ways(tmp_path, '["acme.test", "*.stripe.com"]'):
        assert result.returncode == 0, result.stderr
        warnings = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
        assert warnings == [f"warning:  {reg}: subprocessor[1].domains[1]: '*.stripe.com' of 'acme' never matches: "
                            "'stripe.com' of 'stripe' (subprocessor[0].domains[0]) wins over it at every host it "
                            "covers; drop it, or list the hosts meant for 'acme' without '*' (the most specific rule "
                            "wins)"]
        assert result.stdout.split()[-1] == "ok"


def test_the_command_list_gives_each_command_its_summary_on_one_line():
    from sentinel.cli import app

    wide = sentinel("--help", env={"COLUMNS": "400"})
    assert wide.returncode == 0, wide.stderr
    rows = {line.strip("│ ").split(" ", 1)[0]: line for line in wide.stdout.splitlines() if line.startswith("│ ")}
    reload_doc = " ".join(app.registered_commands[[c.name or c.callback.__name__ for c in app.registered_commands]
                                                  .index("reload")].callback.__doc__.split("\n\n")[0].split())
    assert reload_doc in rows["reload"]  # its docstring spans two lines: one line here
