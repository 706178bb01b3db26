"""Writes grafana/dashboards/*.json. Edit the panels here, then run:

    python grafana/build.py

Dashboards are generated so that every panel gets the same datasource
references, layout and units; tests/test_grafana.py checks the JSON is current
and runs every query against a real ClickHouse schema and a real Prometheus.

ClickHouse panels read database `sentinel` (storage.database's default) through
the official grafana-clickhouse-datasource plugin; time series read the rollups
traffic_1m and findings_1m, tables the raw rows. Prometheus panels read the
daemon's /metrics; live rates come from there, history from ClickHouse.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).parent / "dashboards"

PROM = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
CH = {"type": "grafana-clickhouse-datasource", "uid": "${DS_CLICKHOUSE}"}

DRILL_UID = "sentinel-subprocessor"
DRILL_TITLE = "Sentinel sub-processor"  # slug sentinel-sub-processor: alert links use /d/<uid>/<slug>
DRILL_URL = f"/d/{DRILL_UID}/sentinel-sub-processor?var-subprocessor="

# Filters. Multi-value variables go through $__conditionalAll so that "All" costs
# no IN list; ${var:singlequote} quotes (and escapes) each value for SQL.
SP_ANY = "$__conditionalAll(subprocessor IN (${subprocessor:singlequote}), $subprocessor)"
CAT_ANY = "$__conditionalAll(category IN (${category:singlequote}), $category)"
SP_ONE = "subprocessor = ${subprocessor:singlequote}"
# Some log formats record no request size: their traffic counts requests, not bytes.
BYTES_NOTE = ("Request bytes where the source records them: captures, HAR, and logs whose format has a request "
              "size. Squid's native format and nginx's combined one have none: their traffic adds nothing here.")
INSTANCE = 'instance=~"$instance"'


# -- variables ------------------------------------------------------------------------
def datasource_variable(name: str, label: str, plugin: str, default_uid: str, default_name: str) -> dict:
    return {
        "name": name, "label": label, "type": "datasource", "query": plugin,
        "current": {"selected": False, "text": default_name, "value": default_uid},
        "hide": 0, "refresh": 1, "regex": "", "options": [], "includeAll": False, "multi": False,
    }


DS_VARS = {
    "prometheus": datasource_variable("DS_PROMETHEUS", "Prometheus", "prometheus",
                                      "sentinel-prometheus", "Sentinel Prometheus"),
    "clickhouse": datasource_variable("DS_CLICKHOUSE", "ClickHouse", "grafana-clickhouse-datasource",
                                      "sentinel-clickhouse", "Sentinel ClickHouse"),
}


def ch_variable(name: str, label: str, sql: str, multi: bool) -> dict:
    variable = {
        "name": name, "label": label, "type": "query", "datasource": CH,
        "definition": sql, "query": sql, "refresh": 2, "sort": 1, "regex": "", "hide": 0,
        "multi": multi, "includeAll": multi, "options": [],
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if multi else {},
    }
    if multi:
        variable["allValue"] = ".*"  # Prometheus matchers take it as a regex; SQL uses $__conditionalAll
    return variable


SUBPROCESSOR_SQL = ("SELECT DISTINCT subprocessor FROM sentinel.traffic_1m "
                    "WHERE subprocessor != '' ORDER BY subprocessor")
CATEGORY_SQL = "SELECT DISTINCT category FROM sentinel.findings_1m ORDER BY category"

INSTANCE_VAR = {
    "name": "instance", "label": "Host", "type": "query", "datasource": PROM,
    "definition": 'label_values(up{job="sentinel"}, instance)',
    "query": {"query": 'label_values(up{job="sentinel"}, instance)', "refId": "instance"},
    "refresh": 2, "sort": 1, "regex": "", "hide": 0, "multi": True, "includeAll": True, "allValue": ".*",
    "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [],
}


# -- panels ---------------------------------------------------------------------------
def prom(expr: str, legend: str = "", instant: bool = False, ref: str = "A") -> dict:
    return {"datasource": PROM, "editorMode": "code", "expr": expr, "legendFormat": legend or "__auto",
            "range": not instant, "instant": instant, "refId": ref}


def sql(raw: str, table: bool = True, ref: str = "A") -> dict:
    # format 1 = table, 0 = time series (long frames with a string column become one series per value)
    return {"datasource": CH, "editorType": "sql", "format": 1 if table else 0,
            "queryType": "table" if table else "timeSeries", "rawSql": " ".join(raw.split()), "refId": ref}


def drill_link(field_expr: str = "${__value.raw}") -> dict:
    return {"title": "Sub-processor drill-down",
            "url": DRILL_URL + field_expr + "&${__url_time_range}"}


def field_links(*names: str) -> list[dict]:
    return [{"matcher": {"id": "byName", "options": n},
             "properties": [{"id": "links", "value": [drill_link()]}]} for n in names]


def units(**by_field: str) -> list[dict]:
    return [{"matcher": {"id": "byName", "options": name}, "properties": [{"id": "unit", "value": unit}]}
            for name, unit in by_field.items()]


def panel(kind: str, title: str, targets: list[dict], description: str = "", unit: str = "",
          overrides: list | None = None, options: dict | None = None, links: list | None = None,
          custom: dict | None = None, decimals: int | None = None) -> dict:
    datasource = targets[0]["datasource"]
    defaults: dict = {}
    if unit:
        defaults["unit"] = unit
    if decimals is not None:
        defaults["decimals"] = decimals
    if links:
        defaults["links"] = links
    if custom:
        defaults["custom"] = custom
    p = {"type": kind, "title": title, "description": description, "datasource": datasource,
         "targets": targets, "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
         "options": options or {}}
    if datasource is CH:
        p["interval"] = "1m"  # the rollups are per minute: finer buckets would only be empty
    return p


def stat(title, target, unit="short", description="", color="blue"):
    return panel("stat", title, [target], description, unit, options={
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "value", "graphMode": "none", "textMode": "value", "justifyMode": "auto",
    }) | {"fieldConfig": {"defaults": {"unit": unit, "color": {"mode": "fixed", "fixedColor": color}},
                          "overrides": []}}


def timeseries(title, targets, unit="short", description="", stack=False, links=None, overrides=None):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False, "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    return panel("timeseries", title, targets, description, unit, custom=custom, links=links,
                 overrides=overrides, options={"legend": {"displayMode": "table", "placement": "right",
                                                          "calcs": ["mean", "max"], "showLegend": True},
                                               "tooltip": {"mode": "multi", "sort": "desc"}})


def table(title, target, description="", overrides=None):
    return panel("table", title, [target], description, overrides=overrides,
                 options={"showHeader": True, "cellHeight": "sm", "footer": {"show": False}})


def pie(title, target, description=""):
    return panel("piechart", title, [target], description, options={
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True},
        "pieType": "donut", "legend": {"displayMode": "table", "placement": "right", "values": ["value", "percent"],
                                       "showLegend": True}})


class Layout:
    """Places panels left to right on Grafana's 24-column grid, wrapping rows."""

    def __init__(self):
        self.panels: list[dict] = []
        self.x = self.y = self.row_h = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False, "panels": [],
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}})
        self.y += 1

    def add(self, p: dict, w: int, h: int) -> None:
        if self.x + w > 24:
            self._newline()
        p["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(p)
        self.x += w
        self.row_h = max(self.row_h, h)

    def _newline(self) -> None:
        if self.x:
            self.y += self.row_h
        self.x = self.row_h = 0

    def numbered(self) -> list[dict]:
        for i, p in enumerate(self.panels, start=1):
            p["id"] = i
        return self.panels


def dashboard(uid: str, title: str, description: str, variables: list[dict], layout: Layout,
              time_from: str = "now-6h") -> dict:
    return {
        "uid": uid, "title": title, "description": description, "tags": ["sentinel"],
        "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1, "refresh": "1m",
        "time": {"from": time_from, "to": "now"}, "timezone": "", "weekStart": "", "fiscalYearStartMonth": 0,
        "liveNow": False, "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["sentinel"], "asDropdown": False, "includeVars": False,
                   "keepTime": True, "title": "Sentinel", "icon": "external link", "targetBlank": False,
                   "tooltip": "", "url": ""}],
        "templating": {"list": variables},
        "panels": layout.numbered(),
    }


# -- overview -------------------------------------------------------------------------
def overview() -> dict:
    lay = Layout()
    lay.row("Traffic and personal data")
    lay.add(stat("Requests", sql(f"""
        SELECT sum(requests) AS requests FROM sentinel.traffic_1m
        WHERE $__timeFilter(minute) AND {SP_ANY}""")), 4, 4)
    lay.add(stat("Bytes sent", sql(f"""
        SELECT sum(bytes_out) AS bytes_out FROM sentinel.traffic_1m
        WHERE $__timeFilter(minute) AND {SP_ANY}"""), unit="bytes", description=BYTES_NOTE), 4, 4)
    lay.add(stat("Findings", sql(f"""
        SELECT sum(findings) AS findings FROM sentinel.findings_1m
        WHERE $__timeFilter(minute) AND {SP_ANY}"""), color="orange",
        description="Personal data and secrets found in requests to sub-processors."), 4, 4)
    lay.add(stat("Distinct data subjects", sql(f"""
        SELECT uniqMerge(subjects) AS subjects FROM sentinel.findings_1m
        WHERE $__timeFilter(minute) AND {SP_ANY}"""), color="orange",
        description="Distinct values (by keyed hash) among findings: people, cards, accounts whose data left."), 4, 4)
    lay.add(stat("Unknown destinations", sql("""
        SELECT uniqExact(registrable_domain) AS domains FROM sentinel.traffic_1m
        WHERE $__timeFilter(minute) AND subprocessor = ''"""), color="purple",
        description="Registrable domains that matched no sub-processor in the registry."), 4, 4)
    lay.add(stat("Firing alerts", sql(f"""
        SELECT count() AS firing FROM sentinel.alerts FINAL
        WHERE status = 'firing' AND {SP_ANY}"""), color="red"), 4, 4)

    lay.add(timeseries("Requests per second by sub-processor", [prom(
        'sum by (subprocessor) (label_replace(rate(sentinel_events_total{subprocessor=~"$subprocessor", '
        + INSTANCE + '}[$__rate_interval]), "subprocessor", "(unknown)", "subprocessor", "unknown"))',
        "{{subprocessor}}")], unit="reqps", stack=True,
        links=[drill_link("${__field.labels.subprocessor}")]), 12, 8)
    lay.add(timeseries("Bytes sent per second by sub-processor", [prom(
        'sum by (subprocessor) (label_replace(rate(sentinel_event_bytes_total{subprocessor=~"$subprocessor", '
        + INSTANCE + '}[$__rate_interval]), "subprocessor", "(unknown)", "subprocessor", "unknown"))',
        "{{subprocessor}}")], unit="Bps", stack=True, description=BYTES_NOTE,
        links=[drill_link("${__field.labels.subprocessor}")]), 12, 8)
    lay.add(timeseries("Findings per sub-processor", [sql(f"""
        SELECT $__timeInterval(minute) AS time, subprocessor, sum(findings) AS findings
        FROM sentinel.findings_1m WHERE $__timeFilter(minute) AND {SP_ANY}
        GROUP BY time, subprocessor ORDER BY time""", table=False)], stack=True,
        description="From the findings_1m rollup in ClickHouse: the whole retention, not only Prometheus'."), 12, 8)
    lay.add(timeseries("Findings per second by category", [prom(
        'sum by (category) (rate(sentinel_findings_total{subprocessor=~"$subprocessor", ' + INSTANCE
        + '}[$__rate_interval]))', "{{category}}")], unit="short", stack=True), 12, 8)
    lay.add(table("Personal data by sub-processor and category", sql(f"""
        SELECT subprocessor, category, sum(findings) AS findings, uniqMerge(subjects) AS subjects,
               min(minute) AS first_seen, max(minute) AS last_seen
        FROM sentinel.findings_1m WHERE $__timeFilter(minute) AND {SP_ANY}
        GROUP BY subprocessor, category ORDER BY findings DESC LIMIT 500"""),
        overrides=field_links("subprocessor")), 12, 9)
    lay.add(table("Unknown destinations", sql("""
        SELECT registrable_domain, sum(requests) AS requests, sum(bytes_out) AS bytes_out,
               min(minute) AS first_seen, max(minute) AS last_seen
        FROM sentinel.traffic_1m WHERE $__timeFilter(minute) AND subprocessor = ''
        GROUP BY registrable_domain ORDER BY requests DESC LIMIT 200"""),
        description="Traffic to destinations no registry entry claims: a new vendor, or a leak.",
        overrides=units(bytes_out="bytes")), 12, 9)

    lay.row("Alerts")
    lay.add(table("Firing alerts", sql(f"""
        SELECT last_seen, severity, kind, subprocessor, category, title, occurrences, first_seen
        FROM sentinel.alerts FINAL WHERE status = 'firing' AND {SP_ANY}
        ORDER BY multiIf(severity = 'critical', 0, severity = 'high', 1, severity = 'medium', 2,
                         severity = 'low', 3, 4), last_seen DESC LIMIT 200"""),
        overrides=field_links("subprocessor")), 24, 8)
    lay.add(timeseries("Alerts raised by severity", [prom(
        'sum by (severity) (increase(sentinel_alerts_total{' + INSTANCE + '}[$__rate_interval]))',
        "{{severity}}")], stack=True), 8, 8)
    lay.add(timeseries("Notifications by route and outcome", [prom(
        'sum by (channel, status) (rate(sentinel_notifications_total{' + INSTANCE + '}[$__rate_interval]))',
        "{{channel}} {{status}}")], unit="ops"), 8, 8)
    lay.add(timeseries("Outbox and delivery latency", [
        prom('sum(sentinel_outbox_pending{' + INSTANCE + '})', "pending notifications"),
        prom('histogram_quantile(0.95, sum by (le) (rate(sentinel_alert_delivery_seconds_bucket{'
             + INSTANCE + '}[$__rate_interval])))', "p95 raise-to-delivery", ref="B")],
        overrides=[{"matcher": {"id": "byFrameRefID", "options": "B"},
                    "properties": [{"id": "unit", "value": "s"}, {"id": "custom.axisPlacement", "value": "right"}]}],
        description="Notifications waiting in the outbox (retried until delivered), and how long delivery takes."),
        8, 8)
    lay.add(table("Notification outbox", sql("""
        SELECT route, channel, state, count() AS notifications, sum(attempts) AS attempts,
               max(updated_at) AS last_update
        FROM sentinel.alert_outbox FINAL WHERE $__timeFilter(created_at)
        GROUP BY route, channel, state ORDER BY route, channel, state"""),
        description="Per route and target (channel = route/digest of the URL): pending ones are being retried."),
        24, 6)

    lay.row("Health")
    lay.add(stat("Daemons up", prom('sum(up{job="sentinel", ' + INSTANCE + '})', instant=True),
                 color="green", description='Scrape job must be named "sentinel" (see grafana/README.md).'), 4, 6)
    lay.add(stat("Detectors interpreted", prom(
        'count(sentinel_detectors_compiled{' + INSTANCE + '} == 0) or vector(0)', instant=True), color="orange",
        description="Daemons whose PII detectors run interpreted, at about half the scan throughput: "
                    "reinstall them where a C compiler is present (README, install on a host)."), 4, 6)
    lay.add(stat("Detector C modules missing", prom(
        'count(sentinel_detectors_c_module{' + INSTANCE + '} == 0) or vector(0)', instant=True), color="orange",
        description="C modules of the detectors (walk, text, hmac, rx, hs) that a daemon's install could not build: its "
                    "scan is slower. hmac needs libssl-dev, rx libre2-dev and hs libhyperscan-dev at install (README)."),
            4, 6)
    lay.add(timeseries("Sources up", [prom(
        'min by (source) (sentinel_source_up{' + INSTANCE + '})', "{{source}}")],
        description="1 while a source reads; 0 while it fails (file missing, capture denied)."), 6, 6)
    lay.add(timeseries("Config reloads", [prom(
        'sum by (result) (increase(sentinel_config_reloads_total{' + INSTANCE + '}[$__rate_interval]))',
        "{{result}}")]), 6, 6)
    lay.add(timeseries("Queue fill", [prom(
        'max by (queue) (sentinel_queue_depth{' + INSTANCE + '} / sentinel_queue_capacity{' + INSTANCE + '})',
        "{{queue}}")], unit="percentunit",
        description="Items waiting between stages over each queue's bound; at 100% Sentinel sheds load."), 8, 8)
    lay.add(timeseries("Pipeline lag", [prom(
        'max by (source) (sentinel_pipeline_lag_seconds{' + INSTANCE + '})', "{{source}}")], unit="s",
        description="Now minus the time of the newest event written, per source."), 8, 8)
    lay.add(timeseries("Spool on disk", [
        prom('sum(sentinel_spool_bytes{' + INSTANCE + '})', "bytes"),
        prom('sum(sentinel_spool_batches{' + INSTANCE + '})', "batches", ref="B")], unit="bytes",
        overrides=[{"matcher": {"id": "byFrameRefID", "options": "B"},
                    "properties": [{"id": "unit", "value": "short"},
                                   {"id": "custom.axisPlacement", "value": "right"}]}],
        description="Batches waiting for ClickHouse; grows during an outage and drains after."), 8, 8)
    lay.add(timeseries("Parse errors per second", [prom(
        'sum by (source, reason) (rate(sentinel_parse_errors_total{' + INSTANCE + '}[$__rate_interval]))',
        "{{source}} {{reason}}")], unit="ops", stack=True), 8, 8)
    lay.add(timeseries("Detector limits hit", [prom(
        'sum by (event) (rate(sentinel_detector_events_total{event=~"budget_overruns|truncated|fields_dropped|'
        'decode_limited|depth_limited|decode_errors|errors", ' + INSTANCE + '}[$__rate_interval]))',
        "{{event}}")], unit="ops", stack=True,
        description="Samples or layers the PII detectors did not scan in full: the time budget ran out, a size, "
                    "field, depth or decode limit cut them, or a recogniser failed (the sample went on). "
                    "Raise the limits in [detectors] if these grow."), 8, 8)
    lay.add(timeseries("Load shed and data refused", [
        prom('sum by (source) (rate(sentinel_samples_shed_total{' + INSTANCE + '}[$__rate_interval]))',
             "samples shed {{source}}"),
        prom('sum by (source) (rate(sentinel_capture_flows_evicted_total{' + INSTANCE + '}[$__rate_interval]))',
             "flows evicted {{source}}", ref="B"),
        prom('sum by (table) (rate(sentinel_spool_overflow_total{' + INSTANCE + '}[$__rate_interval]))',
             "rows refused, spool full: {{table}}", ref="C"),
        prom('sum by (table) (increase(sentinel_spool_rejected_batches_total{' + INSTANCE + '}[$__rate_interval]))',
             "batches rejected: {{table}}", ref="D"),
        prom('sum by (source) (rate(sentinel_events_shed_total{' + INSTANCE + '}[$__rate_interval]))',
             "captured events shed {{source}}", ref="E"),
        prom('sum by (source) (rate(sentinel_capture_kernel_drops_total{' + INSTANCE + '}[$__rate_interval]))',
             "frames dropped by the kernel {{source}}", ref="F")], unit="ops",
        description="Anything here means work Sentinel did not do: each series says what and where. Frames dropped "
                    "by the kernel were never seen: the live capture could not keep up."), 8, 8)
    lay.add(timeseries("Throughput", [
        prom('sum by (source) (rate(sentinel_samples_scanned_total{' + INSTANCE + '}[$__rate_interval]))',
             "samples scanned {{source}}"),
        prom('sum by (source) (sentinel_capture_flows{' + INSTANCE + '})', "flows tracked {{source}}", ref="B"),
        prom('sum by (source) (rate(sentinel_capture_packets_total{' + INSTANCE + '}[$__rate_interval]))',
             "frames captured/s {{source}}", ref="C")],
        unit="short"), 8, 8)
    lay.add(timeseries("ClickHouse inserts", [
        prom('sum by (table) (rate(sentinel_store_rows_written_total{' + INSTANCE + '}[$__rate_interval]))',
             "rows/s {{table}}"),
        prom('sum by (table) (rate(sentinel_store_insert_failures_total{' + INSTANCE + '}[$__rate_interval]))',
             "failed batches/s {{table}}", ref="B")], unit="short"), 8, 8)
    lay.add(timeseries("ClickHouse insert latency (p99)", [prom(
        'histogram_quantile(0.99, sum by (le, table) (rate(sentinel_store_insert_duration_seconds_bucket{'
        + INSTANCE + '}[$__rate_interval])))', "{{table}}")], unit="s"), 8, 8)
    lay.add(timeseries("Daemon memory and CPU", [
        prom('max by (instance) (process_resident_memory_bytes{job="sentinel", ' + INSTANCE + '})',
             "RSS {{instance}}"),
        prom('sum by (instance) (rate(process_cpu_seconds_total{job="sentinel", ' + INSTANCE
             + '}[$__rate_interval]))', "CPU cores {{instance}}", ref="B"),
        prom('max by (instance) (sentinel_memory_trimmed_bytes_total{' + INSTANCE + '})',
             "start-up code trimmed {{instance}}", ref="C")], unit="bytes",
        overrides=[{"matcher": {"id": "byFrameRefID", "options": "B"},
                    "properties": [{"id": "unit", "value": "short"},
                                   {"id": "custom.axisPlacement", "value": "right"}]}],
        description="Resident memory of the daemon (embedded ClickHouse included), CPU it uses, and the "
        "clean library pages it dropped from its resident set (they stay in the page cache)."), 8, 8)
    lay.add(table("Quarantined input", sql("""
        SELECT source, reason, count() AS records, min(ts) AS first_seen, max(ts) AS last_seen
        FROM sentinel.quarantine WHERE $__timeFilter(ts)
        GROUP BY source, reason ORDER BY records DESC LIMIT 200"""),
        description="Lines and packets that could not become events, kept (masked) with the reason."), 24, 7)

    return dashboard(
        "sentinel-overview", "Sentinel overview",
        "What leaves for sub-processors, what personal data it carries, alerts, and Sentinel's own health.",
        [DS_VARS["prometheus"], DS_VARS["clickhouse"],
         ch_variable("subprocessor", "Sub-processor", SUBPROCESSOR_SQL, multi=True), INSTANCE_VAR], lay)


# -- sub-processor drill-down -------------------------------------------------------------
def drilldown() -> dict:
    lay = Layout()
    lay.row("$subprocessor")
    lay.add(stat("Requests", sql(f"""
        SELECT sum(requests) AS requests FROM sentinel.traffic_1m
        WHERE $__timeFilter(minute) AND {SP_ONE}""")), 4, 4)
    lay.add(stat("Bytes sent", sql(f"""
        SELECT sum(bytes_out) AS bytes_out FROM sentinel.traffic_1m
        WHERE $__timeFilter(minute) AND {SP_ONE}"""), unit="bytes", description=BYTES_NOTE), 4, 4)
    lay.add(stat("Plaintext requests", sql(f"""
        SELECT sum(plaintext) AS plaintext FROM sentinel.traffic_1m
        WHERE $__timeFilter(minute) AND {SP_ONE}"""), color="red",
        description="Requests sent over http:// rather than TLS."), 4, 4)
    lay.add(stat("Findings", sql(f"""
        SELECT sum(findings) AS findings FROM sentinel.findings_1m
        WHERE $__timeFilter(minute) AND {SP_ONE}"""), color="orange"), 4, 4)
    lay.add(stat("Distinct data subjects", sql(f"""
        SELECT uniqMerge(subjects) AS subjects FROM sentinel.findings_1m
        WHERE $__timeFilter(minute) AND {SP_ONE}"""), color="orange"), 4, 4)
    lay.add(stat("Firing alerts", sql(f"""
        SELECT count() AS firing FROM sentinel.alerts FINAL
        WHERE status = 'firing' AND {SP_ONE}"""), color="red"), 4, 4)

    lay.add(timeseries("Requests by destination domain", [sql(f"""
        SELECT $__timeInterval(minute) AS time, registrable_domain, sum(requests) AS requests
        FROM sentinel.traffic_1m WHERE $__timeFilter(minute) AND {SP_ONE}
        GROUP BY time, registrable_domain ORDER BY time""", table=False)], stack=True), 12, 8)
    lay.add(timeseries("Bytes sent per second by source", [prom(
        'sum by (source) (rate(sentinel_event_bytes_total{subprocessor="$subprocessor", ' + INSTANCE
        + '}[$__rate_interval]))', "{{source}}")], unit="Bps", stack=True, description=BYTES_NOTE), 12, 8)

    lay.row("Personal data")
    lay.add(timeseries("Findings by category", [sql(f"""
        SELECT $__timeInterval(minute) AS time, category, sum(findings) AS findings
        FROM sentinel.findings_1m WHERE $__timeFilter(minute) AND {SP_ONE}
        GROUP BY time, category ORDER BY time""", table=False)], stack=True), 8, 8)
    lay.add(timeseries("Distinct data subjects by category", [sql(f"""
        SELECT $__timeInterval(minute) AS time, category, uniqMerge(subjects) AS subjects
        FROM sentinel.findings_1m WHERE $__timeFilter(minute) AND {SP_ONE}
        GROUP BY time, category ORDER BY time""", table=False)],
        description="Distinct keyed hashes per interval: how many people's data of each kind left."), 8, 8)
    lay.add(timeseries("Policy violations per second", [prom(
        'sum by (kind, severity) (rate(sentinel_policy_violations_total{subprocessor="$subprocessor", '
        + INSTANCE + '}[$__rate_interval]))', "{{kind}} ({{severity}})")], unit="ops", stack=True), 8, 8)
    lay.add(table("Categories", sql(f"""
        SELECT category, sum(findings) AS findings, uniqMerge(subjects) AS subjects,
               min(minute) AS first_seen, max(minute) AS last_seen
        FROM sentinel.findings_1m WHERE $__timeFilter(minute) AND {SP_ONE}
        GROUP BY category ORDER BY findings DESC""")), 8, 9)
    lay.add(table("Field paths", sql(f"""
        SELECT category, location, field_path, encoding, any(masked) AS example,
               uniqExact(event_id, finding_no) AS findings, uniq(value_hash) AS subjects, max(ts) AS last_seen
        FROM sentinel.findings WHERE $__timeFilter(ts) AND {SP_ONE}
        GROUP BY category, location, field_path, encoding ORDER BY findings DESC LIMIT 500"""),
        description="Where in the request each kind of data travels; `example` is a masked preview."), 16, 9)
    lay.add(table("Endpoints", sql(f"""
        SELECT method, dst_host, path, count() AS requests, sum(bytes_out) AS bytes_out,
               countIf(findings > 0) AS with_findings, countIf(status >= 400) AS errors, max(ts) AS last_seen
        FROM sentinel.events WHERE $__timeFilter(ts) AND {SP_ONE}
        GROUP BY method, dst_host, path ORDER BY requests DESC LIMIT 500"""),
        description="Paths are templates with detected values masked.", overrides=units(bytes_out="bytes")), 24, 9)

    lay.row("TLS posture")
    lay.add(pie("TLS versions negotiated", sql(f"""
        SELECT if(version = '', '(no ServerHello)', version) AS negotiated, count() AS handshakes
        FROM sentinel.tls_handshakes WHERE $__timeFilter(ts) AND {SP_ONE}
        GROUP BY negotiated ORDER BY handshakes DESC"""),
        description="From captured handshakes (tls_handshakes)."), 6, 8)
    lay.add(timeseries("TLS handshakes by version", [sql(f"""
        SELECT $__timeInterval(ts) AS time, if(version = '', '(no ServerHello)', version) AS negotiated,
               count() AS handshakes
        FROM sentinel.tls_handshakes WHERE $__timeFilter(ts) AND {SP_ONE}
        GROUP BY time, negotiated ORDER BY time""", table=False)], stack=True), 9, 8)
    lay.add(table("Transport seen in logs", sql(f"""
        SELECT scheme, if(tls_version = '', '-', tls_version) AS log_tls_version,
               if(tls_cipher = '', '-', tls_cipher) AS log_tls_cipher, count() AS requests
        FROM sentinel.events WHERE $__timeFilter(ts) AND {SP_ONE}
        GROUP BY scheme, log_tls_version, log_tls_cipher ORDER BY requests DESC LIMIT 100"""),
        description="Scheme and TLS parameters as the proxy logged them (when its log format has them)."), 9, 8)
    lay.add(table("Cipher suites by server name", sql(f"""
        SELECT sni, version, cipher, count() AS handshakes,
               arrayStringConcat(arraySort(groupUniqArrayArray(offered_versions)), ' ') AS offered_versions,
               arrayStringConcat(arraySort(groupUniqArrayArray(alpn)), ' ') AS alpn,
               max(ech) AS ech, max(ts) AS last_seen
        FROM sentinel.tls_handshakes WHERE $__timeFilter(ts) AND {SP_ONE}
        GROUP BY sni, version, cipher ORDER BY handshakes DESC LIMIT 200""")), 24, 8)

    lay.row("Anomalies and alerts")
    lay.add(timeseries("Anomaly score by window", [sql(f"""
        SELECT ts AS time, `window`, max(score) AS score, max(threshold) AS threshold
        FROM sentinel.anomaly_scores WHERE $__timeFilter(ts) AND {SP_ONE}
        GROUP BY time, `window` ORDER BY time""", table=False)], unit="percentunit",
        description="Calibrated scores (0-1) of transfer volume per window; an alert fires above the threshold."),
        12, 8)
    lay.add(timeseries("Latest anomaly score (live)", [prom(
        'max by (window) (sentinel_anomaly_score{subprocessor="$subprocessor", ' + INSTANCE + '})',
        "{{window}}")], unit="percentunit"), 12, 8)
    lay.add(table("Anomalous windows", sql(f"""
        SELECT ts, `window`, score, threshold, model,
               arrayStringConcat(arrayMap(x -> concat(x.1, ' ', toString(round(x.2, 2))),
                   arraySlice(arrayReverseSort(x -> x.2, arrayZip(mapKeys(explanation), mapValues(explanation))),
                              1, 3)), ', ') AS top_features
        FROM sentinel.anomaly_scores FINAL WHERE $__timeFilter(ts) AND {SP_ONE} AND alerted = 1
        ORDER BY ts DESC LIMIT 100"""),
        description="Windows that crossed the threshold, with the features that weighed most."), 12, 8)
    lay.add(table("Alerts", sql(f"""
        SELECT last_seen, status, severity, kind, category, title, occurrences, first_seen
        FROM sentinel.alerts FINAL WHERE {SP_ONE} AND (status = 'firing' OR $__timeFilter(last_seen))
        ORDER BY last_seen DESC LIMIT 200"""),
        description="Firing now, and any alert seen in the time range."), 12, 8)

    return dashboard(
        DRILL_UID, DRILL_TITLE,
        "One sub-processor: what it receives, which personal data and where in the request, TLS, anomalies.",
        [DS_VARS["prometheus"], DS_VARS["clickhouse"],
         ch_variable("subprocessor", "Sub-processor", SUBPROCESSOR_SQL, multi=False), INSTANCE_VAR], lay,
        time_from="now-24h")


# -- inventory --------------------------------------------------------------------------
def inventory() -> dict:
    lay = Layout()
    lay.add(stat("Sub-processors receiving personal data", sql(f"""
        SELECT uniqExact(subprocessor) AS subprocessors FROM sentinel.findings_1m
        WHERE $__timeFilter(minute) AND subprocessor != '' AND {SP_ANY} AND {CAT_ANY}""")), 6, 4)
    lay.add(stat("Data categories", sql(f"""
        SELECT uniqExact(category) AS categories FROM sentinel.findings_1m
        WHERE $__timeFilter(minute) AND {SP_ANY} AND {CAT_ANY}""")), 6, 4)
    lay.add(stat("Field paths", sql(f"""
        SELECT uniqExact(subprocessor, category, field_path) AS field_paths FROM sentinel.findings
        WHERE $__timeFilter(ts) AND {SP_ANY} AND {CAT_ANY}""")), 6, 4)
    lay.add(stat("Distinct data subjects", sql(f"""
        SELECT uniqMerge(subjects) AS subjects FROM sentinel.findings_1m
        WHERE $__timeFilter(minute) AND {SP_ANY} AND {CAT_ANY}"""), color="orange"), 6, 4)
    lay.add(table("Personal data inventory", sql(f"""
        SELECT subprocessor, category, location, field_path, dst_host, method, endpoint,
               min(ts) AS first_seen, max(ts) AS last_seen,
               uniqExact(event_id) AS requests, uniq(value_hash) AS subjects
        FROM sentinel.findings WHERE $__timeFilter(ts) AND {SP_ANY} AND {CAT_ANY}
        GROUP BY subprocessor, category, location, field_path, dst_host, method, endpoint
        ORDER BY subprocessor, category, field_path, endpoint LIMIT 5000"""),
        description="Which personal data goes to which sub-processor, in which field of which endpoint, "
                    "first and last seen within the time range; requests carrying it and distinct subjects.",
        overrides=field_links("subprocessor")), 24, 14)
    lay.add(table("Sub-processors", sql(f"""
        SELECT t.subprocessor AS subprocessor, t.domains, t.requests, t.bytes_out,
               f.categories, f.findings, f.subjects, t.first_seen, t.last_seen
        FROM (
            SELECT subprocessor, arrayStringConcat(arraySort(groupUniqArray(registrable_domain)), ' ') AS domains,
                   sum(requests) AS requests, sum(bytes_out) AS bytes_out,
                   min(minute) AS first_seen, max(minute) AS last_seen
            FROM sentinel.traffic_1m WHERE $__timeFilter(minute) AND subprocessor != '' AND {SP_ANY}
            GROUP BY subprocessor) AS t
        LEFT JOIN (
            SELECT subprocessor, arrayStringConcat(arraySort(groupUniqArray(category)), ' ') AS categories,
                   sum(findings) AS findings, uniqMerge(subjects) AS subjects
            FROM sentinel.findings_1m WHERE $__timeFilter(minute) AND {SP_ANY} AND {CAT_ANY}
            GROUP BY subprocessor) AS f ON f.subprocessor = t.subprocessor
        ORDER BY t.requests DESC"""),
        overrides=field_links("subprocessor") + units(bytes_out="bytes")), 24, 9)
    lay.add(table("Destinations", sql(f"""
        SELECT if(subprocessor = '', '(unknown)', subprocessor) AS subprocessor, registrable_domain, source,
               sum(requests) AS requests, sum(bytes_out) AS bytes_out, sum(plaintext) AS plaintext,
               min(minute) AS first_seen, max(minute) AS last_seen
        FROM sentinel.traffic_1m WHERE $__timeFilter(minute) AND (subprocessor = '' OR {SP_ANY})
            AND NOT endsWith(registrable_domain, 'sentinel-drill.invalid')
        GROUP BY subprocessor, registrable_domain, source ORDER BY subprocessor, requests DESC LIMIT 2000"""),
        description="Every destination seen, by the source that saw it; unknown ones included, drills' canaries "
                    "left out.",
        overrides=field_links("subprocessor") + units(bytes_out="bytes")), 24, 9)

    return dashboard(
        "sentinel-inventory", "Sentinel data inventory",
        "The live record of processing: which personal data goes to which sub-processor, where, since when.",
        [DS_VARS["clickhouse"], ch_variable("subprocessor", "Sub-processor", SUBPROCESSOR_SQL, multi=True),
         ch_variable("category", "Category", CATEGORY_SQL, multi=True)], lay, time_from="now-30d")


DASHBOARDS = {"overview.json": overview, "subprocessor.json": drilldown, "inventory.json": inventory}


def render() -> dict[str, str]:
    return {name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n" for name, build in DASHBOARDS.items()}


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
