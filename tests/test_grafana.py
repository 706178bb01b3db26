"""The Grafana dashboards: every ClickHouse query runs on the real schema (chDB) with
data in it, after the plugin's macro expansion; every PromQL expression runs on a
real Prometheus scraping sentinel.http with a populated Metrics registry.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from sentinel.http import HttpServer
from sentinel.metrics import Metrics

from test_http import EXAMPLE_LABELS, populate

ROOT = Path(__file__).parent.parent
GRAFANA = ROOT / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PROM_DS = "${DS_PROMETHEUS}"
CH_DS = "${DS_CLICKHOUSE}"

_spec = importlib.util.spec_from_file_location("sentinel_grafana_build", GRAFANA / "build.py")
build = importlib.util.module_from_spec(_spec)  # grafana/build.py, the dashboards' source
_spec.loader.exec_module(build)


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def panels(dashboard: dict):
    for p in dashboard["panels"]:
        yield p
        yield from p.get("panels", [])


@dataclass
class Query:
    dashboard: str
    panel: str
    kind: str  # "sql" or "promql"
    text: str
    target: dict

    @property
    def name(self) -> str:
        return f"{self.dashboard}: {self.panel} [{self.target.get('refId', 'var')}]"


def all_queries() -> list[Query]:
    out = []
    for path in DASHBOARDS:
        dash = load(path)
        for p in panels(dash):
            for t in p.get("targets", []):
                ds = t["datasource"]["uid"]
                text = t["rawSql"] if ds == CH_DS else t["expr"]
                out.append(Query(dash["uid"], p["title"], "sql" if ds == CH_DS else "promql", text, t))
        for v in dash["templating"]["list"]:
            if v["type"] == "query":
                ds = v["datasource"]["uid"]
                text = v["query"] if isinstance(v["query"], str) else v["query"]["query"]
                out.append(Query(dash["uid"], f"variable {v['name']}", "sql" if ds == CH_DS else "promql", text, v))
    return out


def variables(uid: str) -> dict[str, dict]:
    for path in DASHBOARDS:
        dash = load(path)
        if dash["uid"] == uid:
            return {v["name"]: v for v in dash["templating"]["list"]}
    raise KeyError(uid)


# -- structure ------------------------------------------------------------------------
def test_dashboards_are_current_with_build_py():
    rendered = build.render()
    assert sorted(rendered) == [p.name for p in DASHBOARDS]
    for path in DASHBOARDS:
        assert path.read_text() == rendered[path.name], f"{path.name} is stale: run `python grafana/build.py`"


def test_three_dashboards_with_unique_uids_and_the_alert_link_target():
    uids = [load(p)["uid"] for p in DASHBOARDS]
    assert sorted(uids) == ["sentinel-inventory", "sentinel-overview", "sentinel-subprocessor"]
    drill = next(load(p) for p in DASHBOARDS if load(p)["uid"] == "sentinel-subprocessor")
    # Grafana's slug of the title: the alerting code links to /d/sentinel-subprocessor/sentinel-sub-processor
    assert re.sub(r"[^a-z0-9]+", "-", drill["title"].lower()).strip("-") == "sentinel-sub-processor"
    sub = variables("sentinel-subprocessor")["subprocessor"]
    assert not sub["multi"] and not sub["includeAll"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_panels_use_templated_datasources_and_fit_the_grid(path):
    dash = load(path)
    defined = {v["name"] for v in dash["templating"]["list"] if v["type"] == "datasource"}
    ids, cells = set(), set()
    for p in panels(dash):
        assert p["id"] not in ids, f"duplicate panel id {p['id']}"
        ids.add(p["id"])
        pos = p["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, p["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps another panel"
                cells.add((x, y))
        if p["type"] == "row":
            continue
        assert p["datasource"]["uid"] in (PROM_DS, CH_DS), p["title"]
        assert p["datasource"]["uid"].strip("${}") in defined, p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"] == p["datasource"], p["title"]
            if t["datasource"]["uid"] == CH_DS:
                assert t["editorType"] == "sql" and t["rawSql"].strip(), p["title"]
                assert "sentinel." in t["rawSql"], f"{p['title']}: tables live in database sentinel"
                assert t["format"] in (0, 1) and t["queryType"] in ("table", "timeSeries")


def test_data_links_point_at_existing_dashboards():
    uids = {load(p)["uid"] for p in DASHBOARDS}
    found = 0
    for path in DASHBOARDS:
        for url in re.findall(r'"url": "(/d/[^"]+)"', path.read_text()):
            found += 1
            assert url.split("/")[2] in uids, url
            assert "var-subprocessor=" in url
    assert found >= 3


def test_provisioning_matches_the_dashboards():
    ds = yaml.safe_load((GRAFANA / "provisioning/datasources/sentinel.yaml").read_text())
    by_type = {d["type"]: d for d in ds["datasources"]}
    assert set(by_type) == {"prometheus", "grafana-clickhouse-datasource"}
    assert by_type["grafana-clickhouse-datasource"]["jsonData"]["defaultDatabase"] == "sentinel"
    for path in DASHBOARDS:
        for v in load(path)["templating"]["list"]:
            if v["type"] == "datasource":
                assert v["current"]["value"] == by_type[v["query"]]["uid"], (path.name, v["name"])
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/sentinel.yaml").read_text())["providers"]
    assert providers[0]["type"] == "file" and providers[0]["options"]["path"].startswith("/")


# -- the ClickHouse plugin's expansion ---------------------------------------------------
class _All:
    def __repr__(self) -> str:
        return "All"


ALL = _All()  # the "All" selection of a multi-value variable


def macro_args(text: str, open_paren: int) -> tuple[list[str], int]:
    """Arguments of a macro call whose '(' is at open_paren, split at top-level commas; and the end."""
    depth, start, args = 0, open_paren + 1, []
    for i in range(open_paren, len(text)):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(text[start:i])
                return args, i + 1
        elif ch == "," and depth == 1:
            args.append(text[start:i])
            start = i + 1
    raise ValueError(f"unbalanced macro call in {text!r}")


def conditional_all(sql: str, values: dict) -> str:
    """The plugin's frontend step: $__conditionalAll(cond, $var) -> cond, or 1=1 when $var is All or empty."""
    macro = "$__conditionalAll("
    while (at := sql.rfind(macro)) != -1:
        args, end = macro_args(sql, at + len(macro) - 1)
        assert len(args) == 2, f"$__conditionalAll takes 2 arguments: {sql[at:end]}"
        name = re.search(r"(?<=\$\{)\w+(?=\})|(?<=\$)\w+", args[1].strip())
        value = values.get(name.group(0)) if name else None
        phrase = "1=1" if value is ALL or value in ("", []) else args[0]
        sql = sql[:at] + phrase + sql[end:]
    return sql


def format_sql_value(value, fmt: str | None, all_value: str | None) -> str:
    """Grafana's templateSrv with the plugin's formatter (lists -> 'a','b'; strings as they are)."""
    if value is ALL:
        value = all_value if all_value is not None else value
    if fmt == "singlequote":
        items = value if isinstance(value, list) else [value]
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in items)
    if fmt not in (None, "raw"):
        raise AssertionError(f"unexpected variable format :{fmt}")
    return "'" + "','".join(value) + "'" if isinstance(value, list) else value


def template_vars(text: str, values: dict, defs: dict, formatter) -> str:
    def sub(match):
        name = match.group(1) or match.group(3)
        if name.startswith("__"):
            return match.group(0)  # a macro or Grafana built-in, handled elsewhere
        assert name in defs, f"undefined variable ${name}"
        return formatter(values[name], match.group(2), defs[name].get("allValue"))
    return re.sub(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)", sub, text)


def backend_macros(sql: str, start: int, end: int, interval_s: int) -> str:
    """The plugin's Go macros (pkg/macros/macros.go)."""
    def call(name: str, args: list[str]) -> str:
        if name in ("timeFilter", "timeFilter_ms", "timeInterval", "timeInterval_ms", "dateFilter"):
            assert len(args) == 1, f"$__{name} takes 1 argument"
        col = args[0].strip() if args else ""
        if name == "timeFilter":
            return f"{col} >= toDateTime({start}) AND {col} <= toDateTime({end})"
        if name == "timeFilter_ms":
            return (f"{col} >= fromUnixTimestamp64Milli({start * 1000}) AND "
                    f"{col} <= fromUnixTimestamp64Milli({end * 1000})")
        if name == "dateFilter":
            return f"{col} >= toDate({start}) AND {col} <= toDate({end})"
        if name == "fromTime":
            return f"toDateTime({start})"
        if name == "toTime":
            return f"toDateTime({end})"
        if name == "fromTime_ms":
            return f"fromUnixTimestamp64Milli({start * 1000})"
        if name == "toTime_ms":
            return f"fromUnixTimestamp64Milli({end * 1000})"
        if name == "timeInterval":
            return f"toStartOfInterval(toDateTime({col}), INTERVAL {max(interval_s, 1)} second)"
        if name == "timeInterval_ms":
            return f"toStartOfInterval(toDateTime64({col}, 3), INTERVAL {max(interval_s * 1000, 1)} millisecond)"
        if name == "interval_s":
            return str(max(interval_s, 1))
        raise AssertionError(f"unknown macro $__{name}")

    out, i = [], 0
    for match in re.finditer(r"\$__(\w+)", sql):
        if match.start() < i:
            continue
        out.append(sql[i:match.start()])
        end_at = match.end()
        if end_at < len(sql) and sql[end_at] == "(":
            args, end_at = macro_args(sql, end_at)
        else:
            args = []
        out.append(call(match.group(1), args))
        i = end_at
    out.append(sql[i:])
    return "".join(out)


def expand_sql(sql: str, values: dict, defs: dict, start: int, end: int, interval_s: int = 60) -> str:
    sql = conditional_all(sql, values)
    sql = template_vars(sql, values, defs, format_sql_value)
    return backend_macros(sql, start, end, interval_s)


def test_expansion_follows_the_plugin():
    defs = {"sp": {"allValue": ".*"}}
    sql = ("SELECT 1 WHERE $__timeFilter(ts) AND $__conditionalAll(sp IN (${sp:singlequote}), $sp) "
           "GROUP BY $__timeInterval(ts)")
    assert expand_sql(sql, {"sp": ["a", "b'c"]}, defs, 10, 20, 300) == (
        "SELECT 1 WHERE ts >= toDateTime(10) AND ts <= toDateTime(20) AND sp IN ('a','b\\'c') "
        "GROUP BY toStartOfInterval(toDateTime(ts), INTERVAL 300 second)")
    assert "1=1" in expand_sql(sql, {"sp": ALL}, defs, 10, 20)
    assert expand_sql("x = $sp AND y IN ($sp)", {"sp": "one"}, defs, 0, 0) == "x = one AND y IN (one)"
    assert expand_sql("y IN ($sp)", {"sp": ["a", "b"]}, defs, 0, 0) == "y IN ('a','b')"
    assert expand_sql("$__fromTime_ms $__interval_s", {}, {}, 5, 6, 0) == "fromUnixTimestamp64Milli(5000) 1"


# -- ClickHouse: every query on the real schema ----------------------------------------
NOW = int(time.time())
START, END = NOW - 6 * 3600, NOW + 60
SUBPROCESSORS = {"stripe": ("stripe.com", "api.stripe.com"), "mailgun": ("mailgun.net", "api.mailgun.net"),
                 "": ("exfil.example", "upload.exfil.example")}
EVENTS_PER = 30


def add(writer, table: str, rows: list[dict]) -> None:
    names = tuple(rows[0])
    writer.add(table, names, [tuple(r[n] for n in names) for r in rows])


def fill(store) -> dict:
    """Rows in every table the dashboards read, through the writer as the daemon writes them."""
    writer = store.writer()
    events, findings, tls = [], [], []
    event_id = 1
    for sp, (domain, host) in SUBPROCESSORS.items():
        for i in range(EVENTS_PER):
            ts = NOW - 3600 + i * 120 + 0.5
            events.append({
                "event_id": event_id, "ts": ts, "source": "squid" if i % 2 else "edge-pcap",
                "src_ip": "10.0.0.5", "src_host": "app-1", "dst_host": host, "dst_ip": "198.51.100.7",
                "dst_port": 443, "registrable_domain": domain, "subprocessor": sp, "method": "POST",
                "scheme": "http" if i == 0 else "https", "path": f"/v1/customers/{{id}}" if i % 3 else "/v1/charges",
                "query": "", "status": 500 if i % 10 == 0 else 200, "bytes_out": 1000 + i, "bytes_in": 200,
                "duration_ms": 12.5, "http_version": "HTTP/1.1", "tls_version": "TLSv1.3" if i % 4 else "TLSv1.2",
                "tls_cipher": "TLS_AES_128_GCM_SHA256", "sni": host, "user_agent": "app/1.0", "action": "",
                "findings": 2 if sp else 1, "origin": "squid:abc", "offset": i * 100,
            })
            kinds = [("EMAIL", "$.customer.email"), ("IBAN", "$.bank.iban")][:2 if sp else 1]
            for n, (category, path) in enumerate(kinds):
                findings.append({
                    "event_id": event_id, "finding_no": n, "ts": ts, "source": "squid", "subprocessor": sp,
                    "registrable_domain": domain, "dst_host": host, "method": "POST", "endpoint": "/v1/customers/{id}",
                    "category": category, "subtype": "", "encoding": "json", "location": "body", "field_path": path,
                    "detector": "pii", "confidence": 0.9, "masked": "j***@e***.com", "value_hash": f"h{i % 7}",
                    "watchlist": 0,
                })
            tls.append({
                "event_id": event_id, "ts": ts, "source": "edge-pcap", "src_ip": "10.0.0.5", "src_port": 40000 + i,
                "dst_ip": "198.51.100.7", "dst_port": 443, "sni": host, "registrable_domain": domain,
                "subprocessor": sp, "offered_versions": ["TLSv1.2", "TLSv1.3"],
                "version": "" if i == 1 else ("TLSv1.3" if i % 4 else "TLSv1.2"),
                "cipher": "TLS_AES_128_GCM_SHA256", "offered_ciphers": ["TLS_AES_128_GCM_SHA256"],
                "alpn": ["h2", "http/1.1"], "ech": 0, "flow_id": f"f{event_id}",
            })
            event_id += 1
    add(writer, "events", events)
    add(writer, "findings", findings)
    add(writer, "tls_handshakes", tls)
    add(writer, "anomaly_scores", [
        {"ts": NOW - 3600 + k * 300, "window": window, "subprocessor": sp, "score": 0.1 + 0.08 * k,
         "threshold": 0.8, "alerted": int(0.1 + 0.08 * k > 0.8), "features": {"bytes_out": 1000.0 * k, "requests": 3.0},
         "explanation": {"bytes_out": 0.7, "requests": 0.2, "hour": 0.1}, "model": "ecod"}
        for sp in ("stripe", "mailgun") for window in ("5m", "1h") for k in range(12)])
    add(writer, "alerts", [
        {"alert_id": f"a{k}", "fingerprint": f"fp{k}", "version": 1, "ts": NOW - 600, "first_seen": NOW - 1800,
         "last_seen": NOW - 600, "kind": kind, "severity": sev, "status": status, "subprocessor": sp,
         "category": "IBAN", "title": f"{kind} for {sp or 'unknown'}", "summary": "masked", "labels": {"k": "v"},
         "evidence": "{}", "group_key": f"g{k}", "occurrences": 3}
        for k, (sp, kind, sev, status) in enumerate([
            ("stripe", "category_not_allowed", "high", "firing"), ("mailgun", "anomaly", "medium", "resolved"),
            ("", "unknown_destination", "critical", "firing")])])
    add(writer, "alert_outbox", [
        {"notification_id": f"n{k}", "channel": f"{channel}/3f2a", "route": channel, "version": 1,
         "created_at": NOW - 1700,
         "updated_at": NOW - 1600, "state": state, "attempts": k + 1, "next_attempt_at": NOW,
         "alert_ids": [f"a{k}"], "group_key": f"g{k}", "severity": "high", "title": "t", "body": "b",
         "last_error": ""}
        for k, (channel, state) in enumerate([("oncall", "sent"), ("privacy-team", "pending")])])
    add(writer, "quarantine", [
        {"ts": NOW - 900, "source": "squid", "origin": "squid:abc", "offset": 5, "reason": "bad_timestamp",
         "excerpt": "***"}])
    ack = writer.flush()
    assert ack.durable and not ack.spooled
    return {"events": len(events), "stripe_subjects": 7}


SELECTIONS = {
    "sentinel-overview": [{"subprocessor": ALL}, {"subprocessor": ["stripe", "mailgun"]}],
    "sentinel-inventory": [{"subprocessor": ALL, "category": ALL},
                           {"subprocessor": ["stripe"], "category": ["EMAIL", "IBAN"]}],
    "sentinel-subprocessor": [{"subprocessor": "stripe"}],
}


def run_sql(store, q: Query, values: dict):
    defs = variables(q.dashboard)
    sql = expand_sql(q.text, values, defs, START, END)
    assert "$" not in sql, f"unexpanded: {sql}"
    return store.client.query(sql)


@pytest.mark.parametrize("with_data", [True, False], ids=["with-data", "empty-store"])
def test_every_clickhouse_query_runs_on_the_schema(store, with_data):
    if with_data:
        fill(store)
    failures, empty, ran = [], [], 0
    for q in (q for q in all_queries() if q.kind == "sql"):
        for values in SELECTIONS[q.dashboard]:
            try:
                result = run_sql(store, q, values)
            except Exception as exc:
                failures.append(f"{q.name} {values}: {str(exc).splitlines()[0][:400]}")
                continue
            ran += 1
            if q.target.get("format") == 0 and result.result_rows:
                assert result.column_names[0] == "time", f"{q.name}: a time series query starts with `time`"
            if with_data and not result.result_rows:
                empty.append(f"{q.name} {values}")
    assert not failures, "\n".join(failures)
    assert ran >= 40
    # The data touches every table and sub-processor, so every panel has something to show.
    assert not empty, "queries returned no rows:\n" + "\n".join(empty)


def test_key_panels_show_the_numbers_inserted(store):
    expected = fill(store)

    def value(uid: str, title: str, values: dict):
        q = next(q for q in all_queries() if q.dashboard == uid and q.panel == title and q.kind == "sql")
        return run_sql(store, q, values).result_rows

    assert value("sentinel-overview", "Requests", {"subprocessor": ALL}) == [(expected["events"],)]
    assert value("sentinel-overview", "Requests", {"subprocessor": ["stripe"]}) == [(EVENTS_PER,)]
    assert value("sentinel-overview", "Unknown destinations", {"subprocessor": ALL}) == [(1,)]
    assert value("sentinel-overview", "Firing alerts", {"subprocessor": ALL}) == [(2,)]
    assert value("sentinel-subprocessor", "Distinct data subjects", {"subprocessor": "stripe"}) == [
        (expected["stripe_subjects"],)]
    assert value("sentinel-subprocessor", "Plaintext requests", {"subprocessor": "stripe"}) == [(1,)]
    versions = dict(value("sentinel-subprocessor", "TLS versions negotiated", {"subprocessor": "stripe"}))
    assert set(versions) == {"TLSv1.3", "TLSv1.2", "(no ServerHello)"} and sum(versions.values()) == EVENTS_PER
    anomalous = value("sentinel-subprocessor", "Anomalous windows", {"subprocessor": "stripe"})
    assert anomalous and anomalous[0][-1].startswith("bytes_out 0.7")
    inventory = value("sentinel-inventory", "Personal data inventory", {"subprocessor": ALL, "category": ALL})
    by_key = {(r[0], r[1], r[3]): r for r in inventory}
    stripe_email = by_key[("stripe", "EMAIL", "$.customer.email")]
    assert stripe_email[9:] == (EVENTS_PER, 7)  # requests carrying it, distinct subjects
    assert value("sentinel-subprocessor", "variable subprocessor", {}) == [("mailgun",), ("stripe",)]


# -- Prometheus: every expression on a real server ----------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prom_get(base: str, path: str, **params) -> dict:
    url = f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:  # 400/422 carry Prometheus' error as JSON
        return json.loads(error.read())


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus server binary not installed (Debian package `prometheus`); CI installs it")
    metrics = populate(Metrics(CollectorRegistry()))
    exporter = HttpServer("127.0.0.1:0", metrics.registry).start()
    work = tmp_path_factory.mktemp("prometheus")
    (work / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "sentinel", "static_configs": [{"targets": [f"127.0.0.1:{exporter.port}"]}]}],
    }))
    port = free_port()
    log = (work / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (work / "prometheus.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "Prometheus did not scrape the target in time:\n" + \
                (work / "prometheus.log").read_text()[-3000:]
            try:
                targets = prom_get(base, "/api/v1/targets")["data"]["activeTargets"]
                samples = prom_get(base, "/api/v1/query", query="count_over_time(sentinel_spool_bytes[1m])")
                scrapes = samples["data"]["result"]
                # rate() needs two samples in its window; wait for three.
                if targets and targets[0]["health"] == "up" and scrapes and float(scrapes[0]["value"][1]) >= 3:
                    break
                if targets and targets[0]["health"] == "down" and targets[0].get("lastError"):
                    raise AssertionError(f"scrape failed: {targets[0]['lastError']}")
            except (OSError, KeyError):
                pass
            time.sleep(0.3)
        yield {"base": base, "instance": f"127.0.0.1:{exporter.port}"}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        exporter.stop()


def prom_regex_escape(value: str) -> str:
    # Grafana escapes for a regex inside a PromQL string literal: `\\.` in the query text.
    return re.sub(r"([$^*{}\[\]'+?.()|])", r"\\\\\1", value.replace("\\", "\\\\\\\\"))


def format_prom_value(value, fmt, all_value) -> str:
    """Grafana's Prometheus interpolation: a multi-value becomes a regex alternation."""
    assert fmt is None, f"unexpected format :{fmt}"
    if value is ALL:
        return all_value
    if isinstance(value, list):
        escaped = [prom_regex_escape(v) for v in value]
        return "(" + "|".join(escaped) + ")" if len(escaped) > 1 else escaped[0]
    return value


def expand_promql(expr: str, values: dict, defs: dict) -> str:
    for builtin, value in (("$__rate_interval", "1m"), ("$__interval", "15s"), ("$__range", "1h")):
        expr = expr.replace(builtin, value)
    return template_vars(expr, values, defs, format_prom_value)


PROM_QUERIES = [q for q in all_queries() if q.kind == "promql"]


@pytest.mark.parametrize("query", PROM_QUERIES, ids=lambda q: q.name)
def test_promql_runs_on_prometheus_and_finds_series(prometheus, query):
    defs = variables(query.dashboard)
    selections = [{"subprocessor": ALL, "instance": ALL},
                  {"subprocessor": EXAMPLE_LABELS["subprocessor"], "instance": [prometheus["instance"]]}]
    if query.dashboard == "sentinel-subprocessor":
        selections = [{"subprocessor": "stripe", "instance": ALL},
                      {"subprocessor": "mailgun", "instance": [prometheus["instance"]]}]
    for values in selections:
        if query.panel.startswith("variable "):
            match = re.fullmatch(r"label_values\((.+), *(\w+)\)", query.text)
            assert match, f"{query.name}: expected label_values(selector, label)"
            answer = prom_get(prometheus["base"], f"/api/v1/label/{match[2]}/values", **{"match[]": match[1]})
            assert answer["status"] == "success" and prometheus["instance"] in answer["data"]
            continue
        expr = expand_promql(query.text, values, defs)
        assert "$" not in expr, expr
        answer = prom_get(prometheus["base"], "/api/v1/query", query=expr)
        assert answer["status"] == "success", answer
        # Every panel reads a metric the registry exposes with these labels: some series must answer.
        assert answer["data"]["result"], f"no series for {expr}"


def test_every_metric_appears_on_a_dashboard():
    """A metric no panel shows is a metric nobody watches."""
    exprs = " ".join(q.text for q in PROM_QUERIES)
    metrics = Metrics(CollectorRegistry())
    names = {m._name for m in vars(metrics).values() if hasattr(m, "_name")}
    names |= {"process_resident_memory_bytes", "process_cpu_seconds"}  # the daemon's footprint
    missing = sorted(n for n in names if not re.search(rf"\b{n}(_total|_bucket)?\b", exprs))
    assert not missing, f"metrics without a panel: {missing}"
