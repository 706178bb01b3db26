"""The `sentinel` command: every stage by hand, and the daemon."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from sentinel.config import ConfigError, Settings, load_settings
from sentinel.store import Store, StoreUnavailable

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

console = Console(stderr=False)
err = Console(stderr=True)


class State:
    config_path: Optional[str] = None
    _settings: Optional[Settings] = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


state = State()


@app.callback()
def main_options(
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", envvar="SENTINEL_CONFIG", help="sentinel.toml to use (default: built-in defaults)."
    ),
):
    state.config_path = str(config) if config else None
    state._settings = None


def open_store(migrate: bool = True) -> Store:
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
    from sentinel.keys import generate_key_file

    path = out or state.settings().data_dir / "site.key"
    try:
        generate_key_file(path, force=force)
    except FileExistsError:
        err.print(f"{path}: exists; pass --force to replace it (distinct-subject counts restart from zero)")
        raise typer.Exit(1)
    console.print(f"wrote {path} (mode 0600)")


# -- config ----------------------------------------------------------------------------
@config_app.command("check")
def config_check():
    """Validate sentinel.toml and the registry; print what was loaded."""
    settings = state.settings()
    console.print(f"config:   {settings.config_path or '(built-in defaults)'}")
    console.print(f"registry: {settings.registry_path} ({len(settings.registry.subprocessor)} sub-processors)")
    console.print(f"store:    {settings.dsn}")
    console.print(f"data dir: {settings.data_dir}")
    console.print(f"sources:  {', '.join(s.name for s in settings.config.sources) or '(none)'}")
    console.print("ok")


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
    table = Table(title=f"schema of {store.ctx.database} at {state.settings().dsn}")
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


# -- commands that later work fills ----------------------------------------------------
def _not_yet(command: str, issue: int) -> None:
    err.print(f"`sentinel {command}` is not available yet (it lands with issue #{issue}).", markup=False)
    raise typer.Exit(2)


@app.command()
def run():
    """Run the daemon: every configured source, detection, policy, alerts, metrics."""
    _not_yet("run", 8)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ingest():
    """Backfill logs, captures and HAR files into the store."""
    _not_yet("ingest", 3)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def scan():
    """Policy-as-code for CI: scan HAR/pcap files and fail on violations."""
    _not_yet("scan", 6)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def inventory():
    """What personal data goes to which sub-processor."""
    _not_yet("inventory", 6)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def alerts():
    """List, acknowledge and silence alerts."""
    _not_yet("alerts", 6)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def audit():
    """Show and verify the hash-chained audit log."""
    _not_yet("audit", 6)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def drill():
    """Inject canary traffic through the real path and time the alert."""
    _not_yet("drill", 8)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def demo():
    """Generate a day of egress, run the whole pipeline and show what it finds."""
    _not_yet("demo", 8)


def main() -> int:
    try:
        result = app(standalone_mode=False)
    except ConfigError as exc:
        err.print("configuration error", style="red")
        err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        return 2
    except StoreUnavailable as exc:
        err.print(f"store unavailable: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
        return 3
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    # Without standalone mode click returns the code of a typer.Exit instead of raising it.
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
