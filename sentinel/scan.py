"""`sentinel scan`: policy-as-code for CI, over HAR, pcap or log files, with no daemon
and no store. Prints the violations and fails the build at or above a severity.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.config import Settings
from sentinel.ingest import Ingestor, expand
from sentinel.ingest_capture import ingest_capture
from sentinel.judge import TITLES
from sentinel.pipeline import Pipeline
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


def scan_paths(settings: Settings, paths: list[Path], state_dir: Path) -> tuple[list[Violation], Pipeline, list[str]]:
    from sentinel.judge import Judge

    violations: list[Violation] = []
    pipeline = Pipeline(SubprocessorRegistry(settings.registry), DiscardWriter(), scanner=build_scanner(settings))
    pipeline.observers.append(Judge(PolicyEngine(settings.registry), collect=violations))
    # Checkpoints in a throwaway directory: a scan always reads every file.
    ingestor = Ingestor(pipeline, CheckpointStore(state_dir, fsync=False), settings, force=True,
                        capture_factory=ingest_capture)
    ingestor.ingest(expand(paths))
    return dedupe(violations), pipeline, ingestor.errors


def dedupe(violations: list[Violation]) -> list[Violation]:
    """One row per condition (kind and labels), with its occurrences folded in."""
    seen: dict[tuple, Violation] = {}
    counts: Counter = Counter()
    for v in violations:
        key = tuple(sorted(v.labels().items()))
        counts[key] += 1
        seen.setdefault(key, v)
    ordered = sorted(seen.items(), key=lambda kv: (-SEVERITY_ORDER[kv[1].severity], kv[1].kind, kv[0]))
    out = []
    for key, v in ordered:
        object.__setattr__(v, "_count", counts[key])
        out.append(v)
    return out


def occurrences(v: Violation) -> int:
    return getattr(v, "_count", 1)


def failing(violations: list[Violation], fail_on: str) -> list[Violation]:
    return [v for v in violations if at_or_above(v.severity, fail_on)]


def title(v: Violation) -> str:
    return TITLES.get(v.kind, v.kind).format(category=v.category or "data",
                                              name=v.subprocessor or "an unknown destination",
                                              destination=v.destination)


# -- formats -------------------------------------------------------------------------------
def to_json(violations: list[Violation], fail_on: str) -> str:
    rows = []
    for v in violations:
        row = asdict(v)
        row["masked"] = list(v.masked)
        row.pop("value_hashes")
        row.update(title=title(v), occurrences=occurrences(v), fails=at_or_above(v.severity, fail_on))
        rows.append(row)
    return json.dumps({"violations": rows, "fail_on": fail_on,
                       "failed": any(r["fails"] for r in rows)}, indent=2, sort_keys=True)


def to_junit(violations: list[Violation], fail_on: str) -> str:
    suite = ET.Element("testsuite", name="sentinel-scan", tests=str(max(1, len(violations))),
                       failures=str(len(failing(violations, fail_on))))
    if not violations:
        ET.SubElement(suite, "testcase", classname="sentinel", name="no policy violations")
    for v in violations:
        case = ET.SubElement(suite, "testcase", classname=f"sentinel.{v.subprocessor or 'unknown'}",
                             name=f"{v.kind}: {title(v)} [{v.endpoint or v.destination}]")
        if at_or_above(v.severity, fail_on):
            failure = ET.SubElement(case, "failure", type=v.kind, message=f"{v.severity}: {v.rule}")
            failure.text = (f"field: {v.field_path or '-'}\nendpoint: {v.endpoint or '-'}\n"
                            f"evidence (masked): {', '.join(v.masked) or '-'}\noccurrences: {occurrences(v)}")
        else:
            ET.SubElement(case, "system-out").text = f"{v.severity} (below fail-on {fail_on}): {v.rule}"
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True)


def to_sarif(violations: list[Violation], paths: list[Path]) -> str:
    rules = sorted({v.kind for v in violations})
    results = []
    for v in violations:
        results.append({
            "ruleId": v.kind,
            "level": SARIF_LEVEL[v.severity],
            "message": {"text": f"{title(v)}: {v.rule}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": str(paths[0]) if paths else "."}},
                           "logicalLocations": [{"name": v.endpoint or v.destination,
                                                 "fullyQualifiedName": f"{v.subprocessor or v.destination}"
                                                                       f"{' ' + v.field_path if v.field_path else ''}"}]}],
            "properties": {"severity": v.severity, "subprocessor": v.subprocessor, "category": v.category,
                           "field_path": v.field_path, "masked": list(v.masked), "occurrences": occurrences(v)},
        })
    doc = {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "sentinel", "informationUri": "https://example.invalid/sentinel",
                                      "rules": [{"id": r, "shortDescription": {"text": r.replace("_", " ")}}
                                                for r in rules]}},
                  "results": results}],
    }
    return json.dumps(doc, indent=2)


def to_table(violations: list[Violation], fail_on: str):
    from rich.table import Table

    table = Table(title=f"policy violations (fail on {fail_on} or above)")
    for column in ("severity", "kind", "sub-processor", "category", "field", "endpoint", "evidence", "n"):
        table.add_column(column)
    for v in violations:
        style = "red" if at_or_above(v.severity, fail_on) else ""
        table.add_row(v.severity, v.kind, v.subprocessor or f"unknown ({v.destination})", v.category or "-",
                      v.field_path or "-", v.endpoint or "-", ", ".join(v.masked) or "-", str(occurrences(v)),
                      style=style)
    return table
