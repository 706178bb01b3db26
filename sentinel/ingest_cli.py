"""`sentinel ingest`: progress on a terminal, a summary table or one JSON object."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.config import Settings
from sentinel.ingest import Ingestor, InputError, expand
from sentinel.runtime import build_pipeline
from sentinel.store import Store, StoreUnavailable


def run_ingest(settings: Settings, paths: list[Path], log_format: str, as_json: bool, force: bool, detect: bool,
               console: Console, err: Console, tls_terminated: bool = False, raise_alerts: bool = False) -> int:
    from sentinel.collect.logs import FAMILIES

    if log_format != "auto" and log_format not in FAMILIES:
        err.print(f"--format: expected auto or one of {', '.join(FAMILIES)}, got {log_format!r}", markup=False)
        return 2
    try:
        inputs = expand(paths)
    except InputError as exc:
        return _failed(str(exc), 2, as_json, err)
    try:
        store = Store.open(settings)
    except StoreUnavailable as exc:  # only opening raises it
        return _failed(f"store unavailable: {exc}", 3, as_json, err)
    try:
        store.migrate()
        pipeline = build_pipeline(settings, store, detect=detect)
        alerts = _judged(pipeline, store, settings) if raise_alerts else None
        checkpoints = CheckpointStore(settings.data_dir / "checkpoints", filename="ingest.json")
        total = sum(item.size for item in inputs)
        show_progress = not as_json and console.is_terminal
        with Progress(TextColumn("ingesting"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                      TimeRemainingColumn(), console=err, disable=not show_progress, transient=True) as progress:
            task = progress.add_task("ingest", total=total)
            ingestor = Ingestor(pipeline, checkpoints, settings, log_format=log_format, force=force,
                                on_progress=lambda n: progress.advance(task, n), capture_factory=_capture(),
                                tls_terminated=tls_terminated, store=store)
            ingestor.ingest(inputs)
        if alerts is not None:
            alerts.tick()  # what is older than resolve_timeout resolves now, unnotified
            alerts.close()
            count_violations(pipeline.summary, pipeline.metrics)
    finally:
        store.close()
    summary = pipeline.summary
    if as_json:
        out = summary.as_dict()
        out["errors"] = ingestor.errors
        print(json.dumps(out, sort_keys=True))
    else:
        for error in ingestor.errors:
            err.print(error, style="red", markup=False, highlight=False, soft_wrap=True)
        console.print(summary_table(summary))
    # File errors, as for every command: the other files were ingested, and the error
    # lines name what was not (or only in part).
    return 2 if ingestor.errors else 0


def _failed(message: str, code: int, as_json: bool, err: Console) -> int:
    """An error as the caller reads the output: with --json, one JSON object on stdout."""
    if as_json:
        print(json.dumps({"error": message}))
    else:
        err.print(message, markup=False, highlight=False, soft_wrap=True)
    return code


def _capture():
    try:
        from sentinel.ingest_capture import ingest_capture
    except ImportError:
        return None
    return ingest_capture


def _judged(pipeline, store, settings):
    """The policy over every request, alerts raised as the daemon would: an observer on
    each event, so large logs take the per-event path rather than the columnar one."""
    from sentinel.alert.manager import AlertManager
    from sentinel.judge import Judge
    from sentinel.policy import PolicyEngine

    alerts = AlertManager(store, settings, metrics=pipeline.metrics)
    pipeline.observers.append(Judge(PolicyEngine(settings.registry), alerts, pipeline.metrics))
    return alerts


def count_violations(summary, metrics) -> None:
    """The run's policy violations by kind, from the counter the judge keeps."""
    for sample in metrics.violations.collect()[0].samples:
        if sample.name.endswith("_total") and sample.value:
            summary.violations[sample.labels["kind"]] += int(sample.value)


def summary_table(summary) -> Table:
    table = Table(title="ingest summary", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("files ingested", f"{summary.files:,}")
    if summary.files_failed:
        table.add_row("[red]files that could not be read[/]", f"{summary.files_failed:,}")
    if summary.files_skipped:
        table.add_row("files already ingested (skipped)", f"{summary.files_skipped:,}")
    table.add_row("events", f"{summary.events:,}")
    for name, count in summary.by_subprocessor.most_common():
        table.add_row(f"  to {name}", f"{count:,}")
    table.add_row("bytes sent", f"{summary.bytes_out:,}")
    table.add_row("unknown destinations", f"{len(summary.unknown_destinations):,}")
    for name, count in summary.unknown_destinations.most_common(10):
        table.add_row(f"  {name}", f"{count:,}")
    if summary.samples or summary.tls_handshakes:
        table.add_row("request samples scanned", f"{summary.samples:,}")
        table.add_row("TLS handshakes", f"{summary.tls_handshakes:,}")
        table.add_row("flows", f"{summary.flows:,}")
        table.add_row("truncated flows", f"{summary.truncated_flows:,}")
    table.add_row("findings", f"{summary.findings:,}")
    for name, count in summary.findings_by_category.most_common():
        table.add_row(f"  {name}", f"{count:,}")
    table.add_row("rejected lines", f"{sum(summary.rejected.values()):,}")
    for reason, count in summary.rejected.most_common():
        table.add_row(f"  {reason}", f"{count:,}")
    if summary.violations:
        table.add_row("policy violations (alerts: sentinel alerts list)", f"{sum(summary.violations.values()):,}")
        for kind, count in summary.violations.most_common():
            table.add_row(f"  {kind}", f"{count:,}")
    if summary.not_acknowledged:
        table.add_row("[red]not acknowledged (spool full)[/]", f"{summary.not_acknowledged:,}")
    return table
