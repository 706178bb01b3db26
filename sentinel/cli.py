"""The `sentinel` command: every stage by hand, and the daemon."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sentinel.config import ConfigError, Settings, load_settings, redact_dsn

if TYPE_CHECKING:
    from sentinel.store import Store

app = typer.Typer(
    name="sentinel",
    help="Sentinel watches what leaves for sub-processors and alerts when personal data or secrets "
    "flow where they should not.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The ClickHouse store: schema migrations and status.", no_args_is_help=True)
config_app = typer.Typer(help="Check and show configuration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")

# Piped output keeps whole table rows: 80 columns would wrap every cell.
console = Console(stderr=False) if sys.stdout.isatty() else Console(stderr=False, width=200)
err = Console(stderr=True)


class State:
    config_path: Optional[str] = None
    _settings: Optional[Settings] = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


state = State()


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        import detectors.pii

        try:
            number = version("sentinel-egress")
        except PackageNotFoundError:  # run from a checkout that was never installed
            number = "unknown"
        compiled = f"compiled ({', '.join(detectors.pii.NATIVE) or 'no C modules'})" if detectors.pii.COMPILED \
            else "interpreted"
        console.print(f"sentinel {number}; detectors {compiled}", markup=False, highlight=False)
        raise typer.Exit(0)


@app.callback()
def main_options(
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", envvar="SENTINEL_CONFIG", help="sentinel.toml to use (default: built-in defaults)."
    ),
    _version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                  help="Print the version and whether the detectors are compiled."),
):
    state.config_path = str(config) if config else None
    state._settings = None


def open_store(migrate: bool = True) -> Store:
    # Imported here: the ClickHouse client and pyarrow cost `sentinel detect`, which needs
    # no store, a fifth of a second at every start.
    from sentinel.store import Store

    store = Store.open(state.settings())
    if migrate:
        store.migrate()
    return store


# -- keys ------------------------------------------------------------------------------
@app.command()
def keygen(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Key file to write (default: <data_dir>/site.key)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing key (changes every keyed hash)."),
):
    """Create the site key for keyed hashes of detected values (mode 0600)."""
    from sentinel.keys import generate_key_file, unwritable_key_path

    path = out or state.settings().data_dir / "site.key"
    problem = unwritable_key_path(path)
    if problem:
        err.print(f"{path}: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    try:
        generate_key_file(path, force=force)
    except FileExistsError:
        err.print(f"{path}: exists; pass --force to replace it (distinct-subject counts restart from zero)",
                  markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"wrote {path} (mode 0600)")


# -- config ----------------------------------------------------------------------------
@config_app.command("check")
def config_check(
    policy: Optional[Path] = typer.Option(None, "--policy", help="Check this registry (subprocessors.toml) alone, "
                                                                 "as `scan --policy` reads it, and summarise it."),
):
    """Validate sentinel.toml and the registry, build what `sentinel run` builds from them
    (detectors, alert channels) without starting anything; print what was loaded."""
    if policy:
        _check_policy(policy)
        return
    from sentinel.preflight import preflight

    settings = state.settings()
    notes = preflight(settings)
    console.print(f"config:   {settings.config_path or '(built-in defaults)'}")
    console.print(f"registry: {settings.registry_path}: {settings.registry.summary()}", markup=False,
                  highlight=False, soft_wrap=True)
    console.print(f"store:    {redact_dsn(settings.dsn)}")
    console.print(f"data dir: {settings.data_dir}")
    console.print(f"sources:  {', '.join(s.name for s in settings.config.sources) or '(none)'}")
    for note in notes:
        console.print(f"note:     {note}", markup=False, highlight=False)
    _print_unreachable_rules(settings.registry, settings.registry_path)
    console.print("ok")


def _check_policy(path: Path) -> None:
    """A registry on its own, with the categories of the configured detectors (custom ones
    included), when a config is given; its own configured registry is not read."""
    from sentinel.config import finding_categories, load_daemon_config, load_registry

    config = load_daemon_config(Path(state.config_path))[0] if state.config_path else None
    registry, _ = load_registry(path, finding_categories(config))
    console.print(f"registry: {path}: {registry.summary()}", markup=False, highlight=False, soft_wrap=True)
    _print_unreachable_rules(registry, str(path))
    console.print("ok")


def _print_unreachable_rules(registry, path: str, to: Console | None = None) -> None:
    """A rule other sub-processors' rules always beat: not an error (traffic still goes to
    one of them), but the rule does nothing, which its author did not mean."""
    from sentinel.registry import unreachable_rules

    for key, message in unreachable_rules(registry):
        (to or console).print(f"warning:  {path}: {key}: {message}", markup=False, highlight=False, soft_wrap=True)


# -- db --------------------------------------------------------------------------------
@db_app.command("migrate")
def db_migrate():
    """Create or upgrade Sentinel's tables; safe to run again."""
    store = open_store(migrate=False)
    applied = store.migrate()
    if applied:
        console.print(f"applied migrations: {', '.join(map(str, applied))}")
    else:
        console.print("schema is up to date")


@db_app.command("status")
def db_status():
    """Show applied and pending migrations and row counts per table."""
    store = open_store(migrate=False)
    table = Table(title=f"schema of {store.ctx.database} at {redact_dsn(state.settings().dsn)}")
    table.add_column("version", justify="right")
    table.add_column("migration")
    table.add_column("applied")
    import datetime as dt

    for item in store.status():
        when = dt.datetime.fromtimestamp(item.applied_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") \
            if item.applied_at else "[yellow]pending[/]"
        table.add_row(str(item.version), item.name, when)
    console.print(table)
    rows = store.query(
        "SELECT name, total_rows, total_bytes FROM system.tables WHERE database = %(db)s AND engine NOT LIKE "
        "'%%View%%' ORDER BY name", {"db": store.ctx.database}).result_rows
    counts = Table(title="tables")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    counts.add_column("bytes", justify="right")
    for name, total_rows, total_bytes in rows:
        counts.add_row(name, f"{total_rows or 0:,}", f"{total_bytes or 0:,}")
    console.print(counts)


@app.command()
def run():
    """Run the daemon: every configured source, detection, policy, alerts, metrics."""
    from sentinel.daemon import Daemon

    raise typer.Exit(Daemon(state.config_path).run())


@app.command()
def reload(pid: Optional[int] = typer.Option(None, "--pid", help="The daemon's process (systemd's $MAINPID): "
                                                                  "signalled when its API cannot be reached.")):
    """Reload the running daemon's configuration and say whether it took: exit 1 when the
    daemon refused it (it keeps the running one), 2 when this configuration is invalid."""
    import signal
    import urllib.error

    from sentinel.http import call_api, token_refused

    settings = state.settings()  # an invalid file is refused here, with where and why
    listen = settings.config.metrics.listen
    if listen:
        try:
            answer = call_api(listen, settings.data_dir, "/api/reload", data=b"{}", timeout=130)
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                err.print(token_refused(settings.data_dir), markup=False, soft_wrap=True)
                raise typer.Exit(3)
            answer = None  # a daemon from before `reload` existed: signal it, if we may
        except OSError:
            answer = None
        if answer is not None:
            console.print(answer["message"], markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(0 if answer["ok"] else 1)
    if pid:
        os.kill(pid, signal.SIGHUP)
        console.print(f"sent SIGHUP to {pid}; the outcome is in the daemon's log (its API did not answer)",
                      markup=False)
        raise typer.Exit(0)
    err.print(f"no running daemon answered on {listen or '(metrics.listen is empty: no API)'}; pass --pid to "
              "signal it", markup=False, soft_wrap=True)
    raise typer.Exit(3)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Log, pcap/pcapng or HAR files, or directories of them."),
    log_format: str = typer.Option("auto", "--format", "-f",
                                   help="Log format: auto, squid, envoy, nginx, haproxy, zeek, suricata, vpcflow, "
                                        "jsonl."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary object on stdout."),
    force: bool = typer.Option(False, "--force", help="Re-ingest files already ingested (new detectors, a "
                                                      "changed registry): their stored events and findings are "
                                                      "replaced and the dashboards' rollups recounted."),
    no_detect: bool = typer.Option(False, "--no-detect", help="Skip PII/secret detection (volumes only)."),
    tls_terminated: bool = typer.Option(False, "--tls-terminated",
                                        help="Captures come from behind a TLS-terminating proxy: their plaintext "
                                             "left encrypted, so it is not a plaintext-transfer violation."),
    raise_alerts: bool = typer.Option(False, "--alerts", help="Judge every request under the policy and raise "
                                                              "alerts, as the daemon does (those about traffic "
                                                              "older than resolve_timeout resolve at once); "
                                                              "large logs then take the slower per-event path."),
):
    """Backfill logs, captures and HAR files into the store."""
    from sentinel.ingest_cli import run_ingest

    raise typer.Exit(run_ingest(state.settings(), paths, log_format, as_json, force, not no_detect, console, err,
                                tls_terminated, raise_alerts))


@app.command()
def detect(
    inputs: list[str] = typer.Argument(None, help="Files to scan; none or '-' reads standard input."),
    read_as: str = typer.Option("auto", "--as", help="How to read each input: auto, text, http (a raw request), "
                                                     "json, xml, csv, form (a urlencoded body), protobuf (a "
                                                     "serialised message) or har (each request of a recording); a "
                                                     "forced format the input is not in is said, and it is read as "
                                                     "text."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    explain: bool = typer.Option(False, "--explain", help="Also list what was found and not reported, and why: "
                                                          "under its threshold, allowlisted, overlapped."),
    list_detectors: bool = typer.Option(False, "--list", help="List the detectors as configured: name, category, "
                                                              "what each reads, enabled, threshold; scan nothing."),
):
    """What the detectors find in a payload, a raw HTTP request, a HAR recording or text (exit 1 if anything)."""
    from sentinel.detect_cli import print_detectors, run_detect
    from sentinel.detect_formats import MODES
    from sentinel.detection import WHOLE_INPUTS, build_scanner

    if read_as not in MODES:
        err.print(f"--as: expected one of {', '.join(MODES)}, got {read_as!r}", markup=False)
        raise typer.Exit(2)
    if fmt not in ("table", "json"):
        err.print(f"--format: expected table or json, got {fmt!r}", markup=False)
        raise typer.Exit(2)
    from sentinel.registry import SubprocessorRegistry

    settings = state.settings()
    if list_detectors:
        if inputs:
            err.print("--list scans nothing: give no input with it", markup=False)
            raise typer.Exit(2)
        raise typer.Exit(print_detectors(build_scanner(settings, WHOLE_INPUTS), fmt, console))
    raise typer.Exit(run_detect(build_scanner(settings, WHOLE_INPUTS), inputs or [], read_as, fmt, console, err, explain,
                                SubprocessorRegistry(settings.registry)))


@app.command()
def scan(
    paths: list[Path] = typer.Argument(..., help="HAR, pcap/pcapng or log files (or directories) from a test run."),
    policy: Optional[Path] = typer.Option(None, "--policy", help="subprocessors.toml to judge against "
                                                                 "(default: the configured registry)."),
    fmt: str = typer.Option("table", "--format", help="table, json, junit or sarif."),
    fail_on: str = typer.Option("high", "--fail-on", help="Exit 1 when a violation is at or above this severity: "
                                                          "info, low, medium, high, critical."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to a file."),
    tls_terminated: bool = typer.Option(False, "--tls-terminated",
                                        help="Captures come from behind a TLS-terminating proxy: their plaintext "
                                             "left encrypted, so it is not a plaintext-transfer violation."),
):
    """Policy-as-code for CI: scan HAR/pcap files and fail on violations (exit 1; 2 when an input could not be
    read, in whole or in part, or nothing was read)."""
    import tempfile

    from sentinel import scan as sc
    from sentinel.config import finding_categories, load_registry

    if fmt not in ("table", "json", "junit", "sarif"):
        err.print(f"--format: expected table, json, junit or sarif, got {fmt!r}", markup=False)
        raise typer.Exit(2)
    if fail_on not in sc.SEVERITY_ORDER:
        err.print(f"--fail-on: expected one of {', '.join(sc.SEVERITY_ORDER)}, got {fail_on!r}", markup=False)
        raise typer.Exit(2)
    settings = state.settings()
    if policy:
        import dataclasses

        registry, raw = load_registry(policy, finding_categories(settings.config))
        settings = dataclasses.replace(settings, registry=registry, registry_path=str(policy))
    _print_unreachable_rules(settings.registry, settings.registry_path, to=err)  # stdout holds the report
    with tempfile.TemporaryDirectory(prefix="sentinel-scan-") as tmp:
        result = sc.scan_paths(settings, paths, Path(tmp), tls_terminated=tls_terminated)
    for problem in result.problems:
        err.print(str(problem), style="red", markup=False, highlight=False, soft_wrap=True)
    if not result.summary.events and not result.problems:
        # An empty artefact must not pass a CI gate as "no violations".
        err.print(f"nothing to scan: no request in {', '.join(map(str, paths))}", markup=False, highlight=False)
    if fmt == "table":
        target = Console(file=open(output, "w"), width=1000) if output else console
        target.print(sc.to_table(result.violations, fail_on))
        summary, violations = result.summary, result.violations
        target.print(f"{summary.events} requests, {summary.samples} samples scanned, {summary.findings} findings, "
                     f"{len(violations)} distinct violations, {len(sc.failing(violations, fail_on))} at or above "
                     f"{fail_on}, {len(result.problems)} inputs not read in full", markup=False)
    else:
        text = {"json": sc.to_json, "junit": sc.to_junit, "sarif": sc.to_sarif}[fmt](result, fail_on)
        if output:
            output.write_text(text)
        else:
            sys.stdout.write(text + "\n")
    raise typer.Exit(sc.exit_code(result, fail_on))


def _from_daemon(settings, error: Exception, target: str, data: bytes | None = None,
                 timeout: float = 60) -> tuple[int, dict]:
    """The embedded store is held by the running daemon: (status, answer) of its loopback API.
    Raises `error` (the store in use) when there is no daemon to ask; 400 and 409 answers are
    returned, as the operations' own refusals."""
    import json
    import urllib.error

    listen = settings.config.metrics.listen
    if "in use" not in str(error) or not listen:
        raise error
    from sentinel.http import call_api, token_refused

    try:
        return 200, call_api(listen, settings.data_dir, target, data=data, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 409):
            try:
                return exc.code, json.loads(exc.read())
            except ValueError:
                pass
        if exc.code == 401:
            raise type(error)(f"{error}; {token_refused(settings.data_dir)}") from None
        if exc.code == 404:
            raise type(error)(f"{error}; the running daemon does not serve {target.split('?')[0]}: restart it "
                              f"after an upgrade") from None
        raise error from None
    except OSError:
        raise error from None


def _daemon_answer(settings, error: Exception, target: str, data: bytes | None = None, timeout: float = 60,
                   refused: str = "the daemon refused the request") -> dict:
    """``_from_daemon``'s answer; a refusal is said, and exits 2."""
    status, answer = _from_daemon(settings, error, target, data, timeout)
    if status != 200:
        err.print(answer.get("error", refused), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    return answer


def _inventory_from_daemon(settings, since: str, diff: Optional[str], error: Exception):
    """The embedded store is held by the running daemon: ask it over its loopback API."""
    import urllib.parse

    from sentinel import inventory as inv

    query = urllib.parse.urlencode({k: v for k, v in (("since", since), ("diff", diff)) if v})
    answer = _daemon_answer(settings, error, f"/api/inventory?{query}")
    return [inv.Flow(**flow) for flow in answer["flows"]], answer.get("notes", [])


@app.command()
def inventory(
    since: str = typer.Option("30d", "--since", help="Period to cover: 30d, 12h, 1h30m, 1.5d, 2w or all "
                                                     "(s, m, h, d, w; m is minutes)."),
    diff: Optional[str] = typer.Option(None, "--diff", help="Show only what changed in this last period, e.g. "
                                                            "7d: 'new' = first seen within it (looking back over "
                                                            "everything stored), 'gone' = seen earlier in the "
                                                            "--since window and not within it. Must be shorter "
                                                            "than --since."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or html."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to a file instead of stdout."),
):
    """What personal data goes to which sub-processor: first/last seen, requests, data subjects, approved."""
    from sentinel import inventory as inv

    if fmt not in ("table", "json", "csv", "html"):
        err.print(f"--format: expected table, json, csv or html, got {fmt!r}", markup=False)
        raise typer.Exit(2)
    try:
        inv.check_period(since, diff)
    except ValueError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    from sentinel.store import StoreUnavailable

    settings = state.settings()
    try:
        store = open_store()
    except StoreUnavailable as exc:
        flows, notes = _inventory_from_daemon(settings, since, diff, exc)
    else:
        try:
            flows = inv.collect(store, settings, since, diff)
            notes = inv.diff_notes(store, since, diff) if diff else []
            if not flows and not diff:
                notes.append(inv.empty_window_hint(store, since))
        finally:
            store.close()
    for note in notes:
        err.print(note, markup=False, highlight=False, soft_wrap=True)
    if fmt == "table":
        _print_table(inv.to_table(flows, inv.title(since, diff)), output)
        return
    _write_text(
        {"json": inv.to_json, "csv": inv.to_csv}.get(fmt, lambda f: inv.to_html(f, settings, since, diff=diff))(flows),
        output)


def _print_table(table: Table, output: Optional[Path]) -> None:
    """A report's table on the terminal, or in a file, where it has room: no column is cut
    short (field paths tell rows apart)."""
    if output:
        with open(output, "w") as handle:
            Console(file=handle, width=1000).print(table)
    else:
        console.print(table)


def _write_text(text: str, output: Optional[Path]) -> None:
    """A report as text (JSON, CSV, HTML) in a file, or on stdout."""
    if output:
        output.write_text(text)
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@app.command()
def subject(
    path: Optional[Path] = typer.Argument(None, metavar="[FILE]",
                                          help="Identifiers to look up (e-mails, phones, cards, names, IBANs...), "
                                               "one a line as in a watchlist file; '-' or none: standard input. "
                                               "Not on the command line, where your shell history would keep them."),
    category: Optional[str] = typer.Option(None, "--category",
                                           help="Read every identifier as this category (e.g. NATIONAL_ID); "
                                                "default: e-mails, phones and cards are recognised, anything else is "
                                                "tried as every other category."),
    since: str = typer.Option("all", "--since", help="Period to cover: 30d, 12h, 2w... or all (default)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to a file instead of stdout."),
    erase: bool = typer.Option(False, "--erase",
                               help="Erasure request: show what is stored of these identifiers, and with --yes "
                                    "delete it (findings and the rollups that counted them); audited."),
    yes: bool = typer.Option(False, "--yes", help="With --erase: do erase, without it only say what would go."),
):
    """Which sub-processors received a data subject's identifiers, at which fields, when (access
    requests, breach scope); --erase deletes what is stored of them. Only keyed hashes are
    looked up; each lookup and erasure is audited."""
    import getpass
    import json

    from sentinel import subject as subj
    from sentinel.keys import load_site_key
    from sentinel.store import StoreUnavailable

    if fmt not in ("table", "json", "csv"):
        err.print(f"--format: expected table, json or csv, got {fmt!r}", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    try:
        from sentinel.inventory import parse_since

        parse_since(since)
    except ValueError as exc:
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if yes and not erase:
        err.print("--yes: only with --erase", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    if erase and since.strip() != "all":
        err.print("--erase: erases everything stored of the identifiers; --since does not apply", markup=False,
                  soft_wrap=True)
        raise typer.Exit(2)
    if category is not None and category.upper() not in subj.CATEGORIES:
        err.print(f"--category: expected one of {', '.join(subj.CATEGORIES)}, got {category!r}", markup=False,
                  soft_wrap=True)
        raise typer.Exit(2)
    settings = state.settings()
    values = _subject_identifiers(path)
    if not values:
        err.print("no identifiers to look up (one a line; blank lines and # comments are skipped)", markup=False,
                  highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if len(values) > subj.MAX_IDENTIFIERS:
        err.print(f"{len(values):,} identifiers: look up at most {subj.MAX_IDENTIFIERS:,} at once", markup=False,
                  soft_wrap=True)
        raise typer.Exit(2)
    from detectors.pii import ScannerConfig

    regions = ScannerConfig.from_dict(dict(settings.config.detectors), where="detectors").phone_regions
    identifiers = subj.keyed_identifiers(values, load_site_key(settings, create=False), regions,
                                         category.upper() if category else None)
    hashes = sorted({h for i in identifiers for h in i.hashes})
    actor = getpass.getuser()
    erasure: subj.Erasure | None = None
    try:
        store = open_store()
    except StoreUnavailable as exc:
        body = json.dumps({"hashes": hashes, "since": since, "actor": actor, "identifiers": len(identifiers)})
        rows = _daemon_answer(settings, exc, "/api/subject", body.encode(), timeout=120)["rows"]
        if erase and yes:
            erasure = subj.Erasure(**_daemon_answer(settings, exc, "/api/subject/erase", body.encode(), timeout=600,
                                                    refused="the daemon refused the erasure"))
    else:
        from sentinel.audit import AuditLog

        try:
            audit = AuditLog(store)
            rows = subj.audited_lookup(store, settings, audit, hashes, since, actor, len(identifiers))
            if erase and yes:
                erasure = subj.audited_erase(store, audit, hashes, actor, len(identifiers))
        finally:
            store.close()
    found = subj.recipients(identifiers, rows)
    err.print(subj.summary(identifiers, found, since), markup=False, highlight=False, soft_wrap=True)
    if fmt == "table":
        _print_table(subj.to_table(identifiers, found, f"where {len(identifiers)} identifier(s) went"), output)
    else:
        _write_text(subj.to_json(identifiers, found) if fmt == "json" else subj.to_csv(found), output)
    if erase:
        err.print(subj.erasure_note(found, erasure), markup=False, highlight=False, soft_wrap=True)
        if erasure is not None and erasure.spool_error:
            raise typer.Exit(1)  # an action failed: part of what is stored was not erased


def _subject_identifiers(path: Optional[Path]) -> list[tuple[int, str]]:
    """(line, identifier) from the file or standard input; exit 2, naming the line, on a bad one."""
    from sentinel.watchlist_files import IdentifierLineError, identifier_lines

    name = "standard input" if path is None or str(path) == "-" else str(path)
    try:
        if name == "standard input":
            if sys.stdin.isatty():  # typed in: say what is awaited, or it looks like a hang
                err.print("identifiers, one a line, then Ctrl-D:", markup=False, highlight=False)
            return list(identifier_lines(sys.stdin.buffer))
        with open(path, "rb") as handle:
            return list(identifier_lines(handle))
    except IdentifierLineError as exc:
        err.print(f"{name}:{exc.line}: {exc.reason}", markup=False, highlight=False, soft_wrap=True)
    except FileNotFoundError:
        if os.sep not in name and ("@" in name or sum(c.isdigit() for c in name) >= 6):
            # Quote none of it: it is most likely an identifier typed where a file was expected.
            err.print("FILE: no such file. Give identifiers in a file or on standard input, not on the "
                      "command line (your shell history would keep them)", markup=False, soft_wrap=True)
        else:
            err.print(f"{name}: no such file", markup=False, highlight=False, soft_wrap=True)
    except OSError as exc:
        err.print(f"{name}: cannot read it: {exc.strerror}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def drill(
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds to wait for the alert (default: "
                                                                   "group_wait + group_interval + 60)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
):
    """Inject canary traffic through the real path and time the alert until it is delivered."""
    import json as _json

    from sentinel import drill as drills

    settings = state.settings()
    alerts_cfg = settings.config.alerts
    wait = timeout or alerts_cfg.group_wait_seconds + alerts_cfg.group_interval_seconds + 60.0
    if not alerts_cfg.routes:
        err.print("no [[alerts.routes]] configured: a drill needs a channel to deliver to", markup=False)
        raise typer.Exit(2)
    mode = "daemon"
    try:
        if not settings.config.metrics.listen:
            raise drills.DaemonUnreachable("metrics.listen is empty")
        result = drills.via_daemon(settings.config.metrics.listen, wait, settings.data_dir)
    except drills.DaemonUnreachable:
        mode = "in-process"
        result = drills.in_process(settings, wait)
    if as_json:
        print(_json.dumps({**result.as_dict(), "mode": mode}, sort_keys=True))
    else:
        verdict = "PASS" if result.status == "passed" else "FAIL"
        latency = f"{result.latency_seconds:.2f} s" if result.latency_seconds is not None else "-"
        console.print(f"drill {result.id} ({mode}): {verdict}; alert delivered to {result.channels} channel(s) "
                      f"in {latency}{'; ' + result.detail if result.detail else ''}", markup=False)
    raise typer.Exit(0 if result.status == "passed" else 1)


@app.command()
def demo(
    directory: Optional[Path] = typer.Option(None, "--dir", help="Where to put the demo (default: a new "
                                                                  "temporary directory)."),
):
    """Generate three weeks of egress with planted incidents, run the whole pipeline, show what it finds."""
    from sentinel.demo import run_demo
    from sentinel.paths import file_in_the_way

    blocker = file_in_the_way(directory) if directory else None
    if blocker is not None:
        err.print(f"--dir: {blocker} is not a directory", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    raise typer.Exit(run_demo(directory, console))


# -- alerts ----------------------------------------------------------------------------
alerts_app = typer.Typer(help="List, acknowledge, silence and approve alerts; test routes; run the outbox.",
                         no_args_is_help=True)
audit_app = typer.Typer(help="Show and verify the hash-chained audit log.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
app.add_typer(audit_app, name="audit")


def _operate(path: str, **fields) -> dict:
    """Run an alerts or audit operation on the store, or, when the running daemon holds the
    embedded store, through the daemon, which runs the same operation on its own manager. A
    refusal (an unknown id, one's own approval) prints its reason and exits 1, as bad input 2."""
    import json
    import urllib.parse

    from sentinel.alert import operations as ops
    from sentinel.store import StoreUnavailable

    try:
        store = open_store()
    except StoreUnavailable as exc:
        if ops.OPERATIONS[path].method == "GET":
            target, data = f"{path}?{urllib.parse.urlencode(ops.to_query(fields))}", None
        else:
            target, data = path, json.dumps(fields).encode()
        status, result = _from_daemon(state.settings(), exc, target, data, timeout=120)
    else:
        operator = ops.OnStore(store, state.settings())
        try:
            status, result = ops.perform(operator, path, fields)
        finally:
            operator.close()
    if status != ops.OK:
        err.print(result.get("error", f"refused ({status})"), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1 if status == ops.REFUSED else 2)
    return result


@alerts_app.command("list")
def alerts_list(
    status: str = typer.Option("firing", "--status", help="firing (includes acknowledged and silenced), "
                               "resolved or all."),
    as_json: bool = typer.Option(False, "--json", help="One JSON array instead of a table."),
    limit: int = typer.Option(1000, "--limit", min=1),
    kind: str = typer.Option("", "--kind", help="Only this kind, e.g. secret_leak."),
    subprocessor: str = typer.Option("", "--subprocessor", help="Only alerts about this sub-processor."),
    min_severity: str = typer.Option("", "--min-severity", help="Only at or above: info, low, medium, high, "
                                                                "critical."),
):
    """Alerts and their status now."""
    import json

    if status not in ("firing", "resolved", "all"):
        err.print("--status must be firing, resolved or all")
        raise typer.Exit(2)
    # Filters only when given: a daemon from before they existed still answers a plain list.
    filters = {k: v for k, v in (("kind", kind), ("subprocessor", subprocessor), ("min_severity", min_severity)) if v}
    views = _operate("/api/alerts", status=status, limit=limit, **filters)["alerts"]
    if as_json:
        console.print_json(json.dumps(views))
        return
    table = Table(title=f"{len(views)} alert(s), status {status}")
    for column in ("id", "status", "severity", "kind", "sub-processor", "category", "title", "seen", "first seen",
                   "waiting for approval"):
        table.add_column(column)
    for row in views:
        table.add_row(*map(Text, (row["alert_id"], row["status"], row["severity"], row["kind"], row["subprocessor"],
                                  row["category"], row["title"], str(row["occurrences"]), row["first_seen"],
                                  ", ".join(row["awaiting_approval"]))))
    console.print(table)


@alerts_app.command("show")
def alerts_show(alert_id: str = typer.Argument(..., metavar="ID")):
    """One alert in full: its rule, summary and masked evidence, as its notification told them."""
    import json

    alert = _operate("/api/alerts/show", alert_id=alert_id)["alert"]
    for key, value in alert.items():
        text = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)
        console.print(f"{key:18} {text}", markup=False, highlight=False, soft_wrap=True)


@alerts_app.command("ack")
def alerts_ack(
    alert_id: str = typer.Argument(..., metavar="ID"),
    by: str = typer.Option(..., "--by", help="Your name, recorded in the audit log."),
    reason: str = typer.Option("", "--reason"),
):
    """Acknowledge a firing alert: it stops notifying (high and critical: once a second operator approves)."""
    ack = _operate("/api/alerts/ack", alert_id=alert_id, by=by, reason=reason)
    if ack["awaiting_approval"]:
        console.print(f"acknowledgement {ack['ack_id']} recorded; the alert is severe and stays visible until a "
                      f"second operator runs: sentinel alerts approve {ack['ack_id']} --by NAME", markup=False)
    else:
        console.print(f"acknowledged {alert_id} ({ack['ack_id']})", markup=False)


@alerts_app.command("silence")
def alerts_silence(
    match: list[str] = typer.Option(..., "--match", help="label=value (also label!=value, label=~regex); "
                                    "repeat for more, all must match. Labels: kind, subprocessor, category, "
                                    "field_path, endpoint, destination, severity, alert_id, fingerprint, "
                                    "policy."),
    duration: str = typer.Option(..., "--duration", help="How long, e.g. 30m, 2h, 1d."),
    reason: str = typer.Option(..., "--reason"),
    by: str = typer.Option(..., "--by", help="Your name, recorded in the audit log."),
):
    """Silence alerts matching labels for a while."""
    silence = _operate("/api/alerts/silence", match=list(match), duration=duration, reason=reason, by=by)
    console.print(f"silence {silence['silence_id']} until {silence['ends_at']}; it matches {silence['matching']} "
                  "firing alert(s) now", markup=False)
    severe = silence["awaiting_approval"]
    if severe:
        console.print(f"{severe} of them high or critical: they stay visible until a second operator runs: "
                      f"sentinel alerts approve {silence['silence_id']} --by NAME", markup=False)


@alerts_app.command("approve")
def alerts_approve(
    item_id: str = typer.Argument(..., metavar="ID", help="A silence (si-...) or acknowledgement (ak-...)."),
    by: str = typer.Option(..., "--by", help="Your name: not the operator who created it."),
):
    """Approve another operator's silence or acknowledgement, so it hides high and critical alerts too."""
    _operate("/api/alerts/approve", item_id=item_id, by=by)
    console.print(f"approved {item_id} (by {by})", markup=False)


@alerts_app.command("expire")
def alerts_expire(
    silence_id: str = typer.Argument(..., metavar="ID", help="A silence (si-...)."),
    by: str = typer.Option(..., "--by", help="Your name, recorded in the audit log."),
):
    """End a silence now: the alerts it hid notify again at once."""
    expired = _operate("/api/alerts/expire", silence_id=silence_id, by=by)
    console.print(f"silence {expired['expired']} ended at {expired['ended_at']} (by {by})", markup=False)


@alerts_app.command("silences")
def alerts_silences(all_: bool = typer.Option(False, "--all", help="Include expired silences.")):
    """Silences: matchers, who and why, until when, approval."""
    table = Table(title="silences")
    for column in ("id", "state", "matchers", "until", "by", "approved by", "reason"):
        table.add_column(column)
    for s in _operate("/api/alerts/silences", all=all_)["silences"]:
        table.add_row(*map(Text, (s["silence_id"], s["state"], " ".join(s["matchers"]), s["ends_at"],
                                  s["created_by"], s["approved_by"] or "-", s["reason"])))
    console.print(table)


@alerts_app.command("test")
def alerts_test(route: Optional[str] = typer.Option(None, "--route", help="Only this route (default: all).")):
    """Send a test notification to every channel of a route, past its filters."""
    import getpass

    results = _operate("/api/alerts/test", route=route or "", by=f"cli:{getpass.getuser()}")["deliveries"]
    for d in results:
        outcome = "delivered" if d["ok"] else f"failed ({d['error']}); kept in the outbox for retries"
        console.print(f"{d['channel']}: {outcome}", markup=False, highlight=False)
    if not results or not all(d["ok"] for d in results):
        raise typer.Exit(1)


@alerts_app.command("deliver")
def alerts_deliver():
    """Run the outbox once: flush due groups, resolve timed-out alerts, deliver what is due."""
    result = _operate("/api/alerts/deliver")
    console.print(f"resolved {result['resolved']}, queued {result['notifications']}, sent {result['sent']}, "
                  f"failed {result['failed']}, expired {result['expired']}, pending {result['pending']}")
    for failure in result["failures"]:
        console.print(f"  {failure['channel']}: {failure['error']}", markup=False, highlight=False)
    if result["failed"]:
        raise typer.Exit(1)


# -- audit -----------------------------------------------------------------------------
@audit_app.command("show")
def audit_show(
    limit: int = typer.Option(50, "--limit", min=1, help="The newest N entries."),
    as_json: bool = typer.Option(False, "--json"),
):
    """The newest audit entries."""
    import datetime as dt
    import json

    from sentinel.audit import AuditEntry

    entries = [AuditEntry(**e) for e in _operate("/api/audit", limit=limit)["entries"]]
    if as_json:
        console.print_json(json.dumps([{**e.__dict__, "details": e.details_dict()} for e in entries]))
        return
    table = Table(title="audit log")
    for column in ("seq", "time (UTC)", "actor", "action", "subject", "details"):
        table.add_column(column)
    for e in entries:
        when = dt.datetime.fromtimestamp(e.ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(*map(Text, (str(e.seq), when, e.actor, e.action, e.subject, e.details)))
    console.print(table)


@audit_app.command("verify")
def audit_verify():
    """Recompute the hash chain; exit 1 naming the first entry altered or removed."""
    result = _operate("/api/audit/verify")
    if result["ok"]:
        console.print(result["report"], markup=False)
        return
    err.print(result["report"], markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def _usage_errors() -> tuple[type[Exception], ...]:
    """click's usage exceptions, which carry their own message and exit code. Recent
    typer releases bundle their own copy of click (``typer._click``), whose classes are
    not click's."""
    found: list[type[Exception]] = []
    bundled = getattr(typer, "_click", None)
    if bundled is not None:
        found.append(bundled.exceptions.ClickException)
    try:
        import click
    except ImportError:
        pass
    else:
        found.append(click.ClickException)
    return tuple(found)


def _os_error(exc: OSError) -> str:
    """'No such file or directory: /x/out.json', without errno or the exception's repr."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


def _config_errors() -> tuple[type[Exception], ...]:
    """Sentinel's ConfigError and the detectors' own (a ValueError naming the key), when loaded."""
    found: list[type[Exception]] = [ConfigError]
    for module in ("detectors.pii.config", "detectors.anomaly.config"):
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(loaded.ConfigError)
    return tuple(found)


def _one_line_summaries(*apps: typer.Typer) -> None:
    """A command list shows each command's first docstring paragraph, and typer's rich
    mode keeps its line breaks there: "exit 1 when the" ended a line of `sentinel --help`."""
    import inspect

    for group in apps:
        for command in group.registered_commands:
            doc = command.help or inspect.getdoc(command.callback) or ""
            if command.short_help is None and doc:
                command.short_help = " ".join(doc.split("\n\n")[0].split())


_one_line_summaries(app, db_app, config_app, alerts_app, audit_app)


def main() -> int:
    try:
        result = app(standalone_mode=False)
    except _config_errors() as exc:
        err.print("configuration error", style="red")
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except Exception as exc:
        client = sys.modules.get("sentinel.store.client")  # only a store that was opened is unavailable
        if client is not None and isinstance(exc, client.StoreUnavailable):
            err.print(f"store unavailable: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
            return 3
        if isinstance(exc, _usage_errors()):  # a mistyped command or option: its message, no traceback
            exc.show()
            return exc.exit_code
        if isinstance(exc, OSError):  # an output path or input the system refused: 2, not 1 ("found something")
            err.print(f"error: {_os_error(exc)}", style="red", markup=False, highlight=False, soft_wrap=True)
            return 2
        raise
    # Without standalone mode click returns the code of a typer.Exit instead of raising it.
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
