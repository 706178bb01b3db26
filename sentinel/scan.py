"""`sentinel scan`: policy-as-code for CI, over HAR, pcap or log files, with no daemon
and no store. Prints the violations and fails the build at or above a severity.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.config import Settings
from sentinel.ingest import Ingestor, expand
from sentinel.ingest_capture import ingest_capture
from sentinel.judge import title_of
from sentinel.pipeline import Pipeline, Summary
from sentinel.policy import SEVERITY_ORDER, PolicyEngine, Violation, at_or_above
from sentinel.registry import SubprocessorRegistry
from sentinel.detection import build_scanner
from sentinel.store.writer import Ack

SARIF_LEVEL = {"info": "note", "low": "note", "medium": "warning", "high": "error", "critical": "error"}


class DiscardWriter:
    """Stands in for the store writer: `scan` keeps nothing, so every batch is 'durable'."""

    def add(self, table, names, rows, positions=None):
        return []

    def mark(self, positions):
        pass

    def flush(self) -> Ack:
        return Ack()


@dataclass(frozen=True)
class InputProblem:
    """An input the gate could not see whole: unreadable, or read only up to a point."""

    path: str
    reason: str  # what went wrong and where, without the path
    partial: bool  # True: what was read before the problem was judged

    @property
    def status(self) -> str:
        return "partly read" if self.partial else "unreadable"

    def __str__(self) -> str:
        return f"{self.path}: {self.status}: {self.reason}"


@dataclass
class ScanResult:
    violations: list[Violation]  # deduplicated, most severe first
    problems: list[InputProblem]
    summary: Summary


def scan_paths(settings: Settings, paths: list[Path], state_dir: Path, tls_terminated: bool = False) -> ScanResult:
    from sentinel.judge import Judge

    violations: list[Violation] = []
    where: list[str] = []  # the input file of each violation, index for index
    problems: list[InputProblem] = []
    pipeline = Pipeline(SubprocessorRegistry(settings.registry), DiscardWriter(), scanner=build_scanner(settings))
    pipeline.observers.append(Judge(PolicyEngine(settings.registry), collect=violations))
    # Checkpoints in a throwaway directory: a scan always reads every file.
    ingestor = Ingestor(pipeline, CheckpointStore(state_dir, fsync=False), settings, force=True,
                        capture_factory=ingest_capture, tls_terminated=tls_terminated)
    inputs = expand(paths, on_error=lambda path, message: problems.append(_problem(str(path), message, False)))
    # One file at a time, so that each violation and each problem is tied to its file.
    for item in inputs:
        seen = len(violations)
        problems += _ingest_one(ingestor, item)
        where += [str(item.path)] * (len(violations) - seen)
    return ScanResult(dedupe(violations, where), problems, pipeline.summary)


def _ingest_one(ingestor: Ingestor, item) -> list[InputProblem]:
    """Ingest one file; what kept part or all of it from the gate."""
    summary = ingestor.pipeline.summary
    errors, failed, bad_entries = len(ingestor.errors), summary.files_failed, summary.rejected["har_bad_entry"]
    ingestor.ingest([item])
    # files_failed counts a file an error stopped before anything was read; otherwise the
    # error (a truncated or corrupt capture) came after part of it was judged.
    partial = summary.files_failed == failed
    problems = [_problem(str(item.path), message, partial) for message in ingestor.errors[errors:]]
    skipped = summary.rejected["har_bad_entry"] - bad_entries
    if skipped:
        problems.append(InputProblem(str(item.path), f"{skipped} damaged HAR entries skipped", True))
    return problems


def _problem(path: str, message: str, partial: bool) -> InputProblem:
    prefix = f"{path}: "
    return InputProblem(path, message[len(prefix):] if message.startswith(prefix) else message, partial)


def exit_code(result: ScanResult, fail_on: str) -> int:
    """2 when the gate could not see everything (an input unreadable or read only in part,
    or no request at all): that wins over violations, since what was not read may hold
    worse. Otherwise 1 for a violation at or above fail_on, else 0."""
    if result.problems or not result.summary.events:
        return 2
    return 1 if failing(result.violations, fail_on) else 0


def dedupe(violations: list[Violation], where: list[str] | None = None) -> list[Violation]:
    """One row per condition (kind and labels), with its occurrences and files folded in."""
    seen: dict[tuple, Violation] = {}
    counts: Counter = Counter()
    files: dict[tuple, set[str]] = {}
    for index, v in enumerate(violations):
        key = tuple(sorted(v.labels().items()))
        counts[key] += 1
        seen.setdefault(key, v)
        if where:
            files.setdefault(key, set()).add(where[index])
    ordered = sorted(seen.items(), key=lambda kv: (-SEVERITY_ORDER[kv[1].severity], kv[1].kind, kv[0]))
    out = []
    for key, v in ordered:
        object.__setattr__(v, "_count", counts[key])
        object.__setattr__(v, "_files", tuple(sorted(files.get(key, ()))))
        out.append(v)
    return out


def occurrences(v: Violation) -> int:
    return getattr(v, "_count", 1)


def files(v: Violation) -> tuple[str, ...]:
    """The input files the condition was seen in."""
    return getattr(v, "_files", ())


def failing(violations: list[Violation], fail_on: str) -> list[Violation]:
    return [v for v in violations if at_or_above(v.severity, fail_on)]


def title(v: Violation) -> str:
    return title_of(v)


# -- formats -------------------------------------------------------------------------------
def to_json(result: ScanResult, fail_on: str) -> str:
    rows = []
    for v in result.violations:
        row = asdict(v)
        row["masked"] = list(v.masked)
        row.pop("value_hashes")
        row.update(title=title(v), occurrences=occurrences(v), files=list(files(v)),
                   fails=at_or_above(v.severity, fail_on))
        rows.append(row)
    errors = [{"path": p.path, "reason": p.reason, "status": p.status} for p in result.problems]
    code = exit_code(result, fail_on)
    return json.dumps({"violations": rows, "errors": errors, "fail_on": fail_on, "failed": code != 0,
                       "exit_code": code}, indent=2, sort_keys=True)


def junit_name(v: Violation) -> str:
    """Unique per condition (CI servers merge test cases of the same class and name): the
    title, and what else tells two conditions of one kind apart."""
    # An endpoint alone does not say where to when the title does not name the destination.
    target = f"{v.destination} {v.endpoint}" if v.endpoint and v.destination not in title(v) else (
        v.endpoint or v.destination)
    details = [target]
    if v.field_path and v.field_path not in title(v):
        details.append(f"field {v.field_path}")
    for detail in (v.category, v.tls_version):
        if detail and detail not in title(v):
            details.append(detail)
    return f"{v.kind}: {title(v)} [{', '.join(details)}]"


def to_junit(result: ScanResult, fail_on: str) -> str:
    violations, problems = result.violations, result.problems
    suite = ET.Element("testsuite", name="sentinel-scan", tests=str(max(1, len(violations) + len(problems))),
                       failures=str(len(failing(violations, fail_on))), errors=str(len(problems)))
    for problem in problems:
        case = ET.SubElement(suite, "testcase", classname="sentinel.input", name=f"read {problem.path}")
        ET.SubElement(case, "error", type=problem.status.replace(" ", "_"),
                      message=f"{problem.status}: {problem.reason}").text = str(problem)
    if not violations and not problems:
        ET.SubElement(suite, "testcase", classname="sentinel", name="no policy violations")
    names: Counter = Counter()
    for v in violations:
        name = junit_name(v)
        names[name] += 1
        if names[name] > 1:  # labels the name does not show; never merge two conditions
            name = f"{name} #{names[name]}"
        case = ET.SubElement(suite, "testcase", classname=f"sentinel.{v.subprocessor or 'unknown'}", name=name)
        if at_or_above(v.severity, fail_on):
            failure = ET.SubElement(case, "failure", type=v.kind, message=f"{v.severity}: {v.rule}")
            failure.text = (f"field: {v.field_path or '-'}\nendpoint: {v.endpoint or '-'}\n"
                            f"evidence (masked): {', '.join(v.masked) or '-'}\noccurrences: {occurrences(v)}\n"
                            f"files: {', '.join(files(v)) or '-'}")
        else:
            ET.SubElement(case, "system-out").text = f"{v.severity} (below fail-on {fail_on}): {v.rule}"
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True)


SRCROOT = "%SRCROOT%"


def artifact_location(path: str, cwd: Path) -> dict:
    """Relative to the working directory (the checkout, in CI) under %SRCROOT% when the file
    is below it, so code scanning can map it; else an absolute file URI, which may carry no
    uriBaseId."""
    absolute = Path(path).absolute()
    try:
        relative = absolute.relative_to(cwd)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def to_sarif(result: ScanResult, fail_on: str, cwd: Path | None = None) -> str:
    from sentinel import __version__

    cwd = (cwd or Path.cwd()).absolute()
    violations = result.violations
    rules = sorted({v.kind for v in violations})
    results = []
    for v in violations:
        logical = [{"name": v.endpoint or v.destination,
                    "fullyQualifiedName": f"{v.subprocessor or v.destination}"
                                          f"{' ' + v.field_path if v.field_path else ''}"}]
        results.append({
            "ruleId": v.kind,
            "level": SARIF_LEVEL[v.severity],
            "message": {"text": f"{title(v)}: {v.rule}"},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_location(path, cwd)},
                           "logicalLocations": logical} for path in files(v)] or [{"logicalLocations": logical}],
            "properties": {"severity": v.severity, "subprocessor": v.subprocessor, "category": v.category,
                           "field_path": v.field_path, "masked": list(v.masked), "occurrences": occurrences(v),
                           **({"tls_version": v.tls_version} if v.tls_version else {})},
        })
    code = exit_code(result, fail_on)
    notifications = [{"level": "error", "message": {"text": f"{p.status}: {p.reason}"},
                      "locations": [{"physicalLocation": {"artifactLocation": artifact_location(p.path, cwd)}}]}
                     for p in result.problems]
    if not result.summary.events and not result.problems:
        notifications.append({"level": "error", "message": {"text": "nothing to scan: no request in the inputs"}})
    run = {
        "tool": {"driver": {"name": "sentinel", "version": __version__,
                            "rules": [{"id": r, "shortDescription": {"text": r.replace("_", " ")}} for r in rules]}},
        # A violation at or above fail_on is a finding, not a failed execution: only an
        # input the scan could not read (or nothing read) makes it unsuccessful.
        "invocations": [{"executionSuccessful": not notifications, "exitCode": code,
                         "toolExecutionNotifications": notifications}],
        "results": results,
    }
    if any(loc.get("uriBaseId") == SRCROOT for loc in _artifact_locations(run)):
        run["originalUriBaseIds"] = {SRCROOT: {"uri": cwd.as_uri().rstrip("/") + "/"}}
    doc = {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [run]}
    return json.dumps(doc, indent=2)


def _artifact_locations(run: dict):
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    for item in [*run["results"], *notifications]:
        for location in item.get("locations", ()):
            if "physicalLocation" in location:
                yield location["physicalLocation"]["artifactLocation"]


def to_table(violations: list[Violation], fail_on: str):
    from rich.table import Table

    table = Table(title=f"policy violations (fail on {fail_on} or above)")
    for column in ("severity", "kind", "sub-processor", "category", "field", "endpoint", "evidence", "n"):
        table.add_column(column)
    for v in violations:
        style = "red" if at_or_above(v.severity, fail_on) else ""
        table.add_row(v.severity, v.kind, v.subprocessor or f"unknown ({v.destination})", v.category or "-",
                      v.field_path or "-", v.endpoint or "-", ", ".join(v.masked) or v.tls_version or "-",
                      str(occurrences(v)),
                      style=style)
    return table
