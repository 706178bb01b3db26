"""`sentinel detect` as a user runs it: files and standard input, every way of reading
them, exit codes, and output that names places, never values."""

from __future__ import annotations

import json

from tests.test_cli import sentinel

EMAIL = "jane.doe@example.com"
CARD = "4242 4242 4242 4242"
STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


def detect(*args, stdin: str = "", tmp_path=None, config=None):
    pre = ["--config", str(config)] if config else []
    return sentinel(*pre, "detect", *args, tmp_path=tmp_path, stdin=stdin)


def found(result) -> list[dict]:
    return json.loads(result.stdout)


def assert_no_values(result):
    out = result.stdout + result.stderr
    for value in (EMAIL, CARD, STRIPE_KEY, "4242424242424242"):
        assert value not in out


def test_raw_http_request_file(tmp_path):
    request = tmp_path / "req.http"
    request.write_bytes(
        b"POST /v1/customers?email=jane.doe%40example.com HTTP/1.1\r\nHost: api.stripe.com\r\n"
        b"Authorization: Bearer " + STRIPE_KEY.encode() + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nname=Jane+Doe&phone=%2B14155550132")
    result = detect(str(request), "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    got = {(f["field_path"], f["category"]) for f in found(result)}
    assert got == {("query.email", "EMAIL"), ("header.authorization", "SECRET"), ("form.name", "PERSON"),
                   ("form.phone", "PHONE_NUMBER")}
    assert {f["read_as"] for f in found(result)} == {"http"}
    assert_no_values(result)


def test_a_raw_request_with_a_compressed_body_is_read_decoded(tmp_path):
    # A Datadog log intake request as a proxy saved it: zstd, as the Agent sends it.
    import zstandard

    body = zstandard.ZstdCompressor().compress(
        json.dumps([{"message": f"login ok for {EMAIL}", "service": "auth"}]).encode())
    request = tmp_path / "logs.http"
    request.write_bytes(b"POST /api/v2/logs HTTP/1.1\r\nHost: http-intake.logs.datadoghq.eu\r\n"
                        b"Content-Type: application/json\r\nContent-Encoding: zstd\r\n\r\n" + body)
    result = detect(str(request), "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    assert {(f["field_path"], f["category"], f["encoding"]) for f in found(result)} == {
        ("$[].message", "EMAIL", "zstd")}
    assert_no_values(result)


def test_json_on_standard_input_gets_field_paths(tmp_path):
    doc = json.dumps({"user": {"contact": EMAIL, "dob": "1985-04-12"}, "order": {"id": 1234567}})
    result = detect(stdin=doc, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "$.user.contact" in result.stdout and "$.user.dob" in result.stdout
    assert "2 finding(s) in 1 input(s) (stdin as json)" in result.stdout
    assert_no_values(result)


def test_text_findings_are_placed_by_line_and_column(tmp_path):
    text = f"Hello,\nplease charge {CARD} today.\nThanks\n"
    result = detect("--format", "json", stdin=text, tmp_path=tmp_path)
    (card,) = [f for f in found(result) if f["category"] == "CREDIT_CARD"]
    line2 = text.split("\n")[1]
    assert card["where"] == f"2:{line2.index(CARD) + 1}"
    assert text[card["start"]:card["end"]] == CARD
    assert_no_values(result)


def test_nothing_found_exits_0(tmp_path):
    result = detect(stdin='{"event": "Page Viewed", "version": "4.1.0"}', tmp_path=tmp_path)
    assert result.returncode == 0
    assert "0 finding(s)" in result.stdout


def test_unreadable_input_exits_2_and_the_others_are_still_scanned(tmp_path):
    good = tmp_path / "note.txt"
    good.write_text(f"write to {EMAIL}\n")
    result = detect(str(tmp_path / "missing.json"), str(good), "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "missing.json: cannot read" in result.stderr
    assert [f["category"] for f in found(result)] == ["EMAIL"]


def test_forced_reading_and_bad_options(tmp_path):
    doc = json.dumps({"email": EMAIL})
    as_text = detect("--as", "text", "--format", "json", stdin=doc, tmp_path=tmp_path)
    (f,) = found(as_text)
    assert (f["read_as"], f["location"], f["field_path"]) == ("text", "text", "")
    bad = detect("--as", "yaml", stdin=doc, tmp_path=tmp_path)
    assert bad.returncode == 2 and "--as: expected one of" in bad.stderr


FORM = ("name=John+Smith&email=jane.doe%40example.com&phone=%2B1+415+555+0132&card[number]=4242424242424242"
        "&card[cvc]=123&ssn=536-22-1234")
FORM_FIELDS = {("form.name", "PERSON"), ("form.email", "EMAIL"), ("form.phone", "PHONE_NUMBER"),
               ("form.card[number]", "CREDIT_CARD"), ("form.card[cvc]", "CREDIT_CARD"), ("form.ssn", "US_SSN")}


def test_a_form_body_is_read_as_one(tmp_path):
    # A body saved from a checkout request: each field under its name, as in a raw request.
    body = tmp_path / "form.txt"
    body.write_text(FORM + "\n")
    for args, stdin in (((str(body),), ""), ((), FORM), (("--as", "form"), FORM)):
        result = detect(*args, "--format", "json", stdin=stdin, tmp_path=tmp_path)
        assert result.returncode == 1, result.stderr
        assert {(f["field_path"], f["category"]) for f in found(result)} == FORM_FIELDS
        assert {f["read_as"] for f in found(result)} == {"form"}
        assert result.stderr == ""
        assert_no_values(result)


def test_prose_and_tokens_with_an_equals_sign_stay_text():
    from sentinel.detect_formats import read_kind

    for text in (b"Set x=1 in the config, then mail jane@example.com", b"x = 1&y = 2", b"aGVsbG8gd29ybGQ=",
                 b"YWJjZA==", b"a=1\nb=2\n", b"token=", b"https://shop.example.com/?a=1&b=2"):
        assert read_kind(text, "auto") == "text", text
    for form in (b"a=1", b"email=jane%40example.com&plan=pro\r\n", b"user%5Bemail%5D=x&n="):
        assert read_kind(form, "auto") == "form", form


def test_a_forced_format_that_does_not_fit_is_said_and_read_as_text(tmp_path):
    payload = tmp_path / "payload.txt"
    payload.write_text(f'{{"a": 1,, "email": "{EMAIL}"}}')
    result = detect(str(payload), "--as", "json", "--format", "json", tmp_path=tmp_path)
    assert result.stderr.strip() == (f"{payload}: not JSON (line 1, column 9: expecting property name enclosed in "
                                     "double quotes): scanned as text")
    assert [(f["read_as"], f["category"], f["where"]) for f in found(result)] == [("text", "EMAIL", "1:21")]
    assert result.returncode == 1
    assert_no_values(result)
    # No request line is made up: the e-mail on the first line is found, with its place.
    line = f"{EMAIL} 536-22-1234"
    as_http = detect("--as", "http", "--format", "json", stdin=line, tmp_path=tmp_path)
    assert as_http.stderr.startswith("stdin: not an HTTP request (line 1 is no request line")
    assert {(f["category"], f["where"]) for f in found(as_http)} == {("EMAIL", "1:1"), ("US_SSN", "1:22")}
    for mode, stdin, why in (("xml", f"<a>{EMAIL}</b>", "not well-formed XML"),
                             ("form", f"mail {EMAIL}\nlater\n", "not a form body (it spans several lines)"),
                             ("protobuf", f"mail {EMAIL}", "not a serialised protobuf message")):
        result = detect("--as", mode, "--format", "json", stdin=stdin, tmp_path=tmp_path)
        assert result.stderr.startswith(f"stdin: {why}") and result.stderr.rstrip().endswith(": scanned as text")
        assert [f["read_as"] for f in found(result)] == ["text"]
        assert_no_values(result)
    fits = detect("--as", "json", "--format", "json", stdin=f'{{"a": 1}}\n{{"email": "{EMAIL}"}}\n',
                  tmp_path=tmp_path)
    assert fits.stderr == "" and [f["read_as"] for f in found(fits)] == ["json"]  # NDJSON is JSON


def test_configured_custom_detector_applies(tmp_path):
    config = tmp_path / "sentinel.toml"
    config.write_text('[[detectors.custom]]\nname = "employee_id"\ncategory = "EMPLOYEE_ID"\n'
                      'regex = "\\\\bEMP-\\\\d{6}\\\\b"\nconfidence = 0.9\n')
    result = detect("--format", "json", stdin="ticket from EMP-123456 about payroll", tmp_path=tmp_path,
                    config=config)
    assert [(f["category"], f["detector"]) for f in found(result)] == [("EMPLOYEE_ID", "custom.employee_id")]
    assert "EMP-123456" not in result.stdout


def test_explain_lists_what_was_found_and_left_out(tmp_path):
    # A tuning session: why is the person not reported, why is the support address not?
    config = tmp_path / "sentinel.toml"
    config.write_text('[detectors.detectors.person]\nthreshold = 0.8\n'
                      '[detectors.allowlist]\nvalues = ["support@example.com"]\n')
    text = f"Thanks, Margaret. Write to support@example.com or {EMAIL}\n"
    plain = detect("--format", "json", stdin=text, tmp_path=tmp_path, config=config)
    result = detect("--explain", "--format", "json", stdin=text, tmp_path=tmp_path, config=config)
    assert result.returncode == 1  # the one reported finding decides, as without --explain
    rows = found(result)
    assert [r for r in rows if r["reported"]] == [{**f, "reported": True} for f in found(plain)]
    left_out = {(r["category"], r["where"], r["reason"]) for r in rows if not r["reported"]}
    assert left_out == {("PERSON", "1:9", "below its threshold 0.80"),
                        ("EMAIL", "1:28", "allowlisted by [detectors.allowlist] values[0]")}
    table = detect("--explain", stdin=text, tmp_path=tmp_path, config=config)
    assert "found, not reported" in table.stdout and "below its threshold 0.80" in table.stdout
    assert "1 finding(s) in 1 input(s) (stdin as text); 2 found and not reported" in table.stdout
    for out in (result.stdout, table.stdout):
        assert "Margaret" not in out and "support@example.com" not in out and EMAIL not in out
    only_left_out = detect("--explain", stdin="Thanks, Margaret.", tmp_path=tmp_path, config=config)
    assert only_left_out.returncode == 0


def har_file(tmp_path, name="session.har"):
    """A browser recording: an analytics call to a known sub-processor with an e-mail in
    its JSON body and a user id in the query, and a call to an unknown host."""
    def entry(method, url, body=None):
        req = {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": [], "queryString": [],
               "cookies": [], "headersSize": -1, "bodySize": -1}
        if body is not None:
            req["postData"] = {"mimeType": "application/json", "text": json.dumps(body)}
        return {"startedDateTime": "2026-11-26T10:00:00.000Z", "time": 12, "request": req,
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
                             "cookies": [], "content": {"size": 0, "mimeType": "text/plain"}, "redirectURL": "",
                             "headersSize": -1, "bodySize": 0}, "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1}}
    doc = {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [
        entry("GET", "https://shop.example.com/cart"),
        entry("POST", "https://api.segment.io/v1/identify", {"userId": "u-1", "traits": {"email": EMAIL}}),
        entry("GET", f"https://px.tracker.example.net/p?em={EMAIL.replace('@', '%40')}"),
    ]}}
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_har_recording_says_what_went_to_which_destination(tmp_path):
    har = har_file(tmp_path)
    result = detect(str(har), "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    got = {(f["entry"], f["to"], f["where"], f["category"], f["encoding"]) for f in found(result)}
    assert got == {(1, "segment", "#1 $.traits.email", "EMAIL", "plain"),
                   (2, "px.tracker.example.net", "#2 query.em", "EMAIL", "url")}
    assert {f["read_as"] for f in found(result)} == {"har"}
    table = detect(str(har), tmp_path=tmp_path)
    assert "segment" in table.stdout and "3 HAR request(s) to 3 destination(s)" in table.stdout
    for out in (result.stdout, table.stdout):
        assert EMAIL not in out and "/v1/identify" not in out and "em=" not in out  # masks and places only


def test_har_requests_get_their_subprocessors_allowlist(tmp_path):
    config = tmp_path / "sentinel.toml"
    config.write_text('[detectors.allowlist.subprocessors.segment]\ncategories = ["EMAIL"]\n')
    result = detect(str(har_file(tmp_path)), "--explain", "--format", "json", tmp_path=tmp_path, config=config)
    rows = {(r["to"], r["reported"], r.get("reason", "")) for r in found(result)}
    assert rows == {("segment", False, 'allowlisted for segment by [detectors.allowlist.subprocessors.segment] '
                                       'categories "EMAIL"'), ("px.tracker.example.net", True, "")}


def test_a_broken_har_is_an_error_and_the_other_inputs_are_scanned(tmp_path):
    broken = tmp_path / "broken.har"
    broken.write_text('{"log": {"entries": [')
    result = detect(str(broken), str(har_file(tmp_path)), "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "broken.har" in result.stderr and "invalid JSON" in result.stderr
    assert {f["to"] for f in found(result)} == {"segment", "px.tracker.example.net"}


def test_detect_does_not_load_the_store(tmp_path):
    # A pre-commit hook runs detect at every commit: the ClickHouse client and pyarrow
    # (a fifth of a second to import) have no part in it.
    import os
    import subprocess
    import sys

    code = ("import sys; from sentinel.cli import main; sys.argv = ['sentinel', 'detect', '--format', 'json']; "
            "code = main(); print(code, *(m in sys.modules for m in ('pyarrow', 'clickhouse_connect', 'chdb')))")
    env = {k: v for k, v in os.environ.items() if k != "SENTINEL_CONFIG"}
    env["SENTINEL_DATA_DIR"] = str(tmp_path / "state")
    result = subprocess.run([sys.executable, "-c", code], input=json.dumps({"contact": EMAIL}), capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.stdout.splitlines()[-1] == "1 False False False", result.stderr


def test_a_serialised_protobuf_message_is_read_as_one(tmp_path):
    # An OTLP log export as an exporter writes it (opentelemetry-proto's own classes).
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs

    record = LogRecord(body=AnyValue(string_value=f"card {CARD} declined"),
                       attributes=[KeyValue(key="user.email", value=AnyValue(string_value=EMAIL))])
    payload = tmp_path / "export.bin"
    payload.write_bytes(ExportLogsServiceRequest(resource_logs=[ResourceLogs(
        scope_logs=[ScopeLogs(log_records=[record])])]).SerializeToString())
    for args in ((str(payload),), (str(payload), "--as", "protobuf")):
        result = detect(*args, "--format", "json", tmp_path=tmp_path)
        assert result.returncode == 1, result.stderr
        got = {(f["field_path"], f["category"], f["read_as"]) for f in found(result)}
        assert got == {("pb.1.2.2.5.1", "CREDIT_CARD", "protobuf"), ("pb.1.2.2.6[user.email]", "EMAIL", "protobuf")}
        assert_no_values(result)
    # The table shows the path whole: rich reads "[user.email]" as markup unless told not to.
    assert "pb.1.2.2.6[user.email]" in detect(str(payload), tmp_path=tmp_path).stdout
    # The same message as a gRPC call's body, framed: read through its frames.
    message = payload.read_bytes()
    framed = tmp_path / "call.bin"
    framed.write_bytes(b"\x00" + len(message).to_bytes(4, "big") + message)
    result = detect(str(framed), "--format", "json", tmp_path=tmp_path)
    assert {(f["field_path"], f["category"]) for f in found(result)} == {("pb.1.2.2.5.1", "CREDIT_CARD"),
                                                                         ("pb.1.2.2.6[user.email]", "EMAIL")}


def test_an_input_larger_than_the_daemons_sample_limit_is_read_whole(tmp_path):
    # The daemon cuts samples at 1 MiB (detectors.max_sample_bytes); detect must not.
    text = "x" * (1 << 20) + "\nwrite to " + EMAIL + "\n"
    result = detect("--format", "json", stdin=text, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    (email,) = found(result)
    assert email["category"] == "EMAIL" and text[email["start"]:email["end"]] == EMAIL
    assert "scanned in part" not in result.stderr


def test_an_input_a_limit_cut_short_is_named_and_not_called_clean(tmp_path):
    import base64

    layer = f"contact {EMAIL}".encode()
    for _ in range(9):  # deeper than detectors.max_depth
        layer = base64.b64encode(layer)
    result = detect(stdin=layer.decode(), tmp_path=tmp_path)
    assert "stdin: scanned in part" in result.stderr and "detectors.max_depth" in result.stderr
    assert result.returncode == 2  # not 0: nothing found in what was left unread says nothing
    assert_no_values(result)


def test_thousands_of_findings_are_listed_one_line_each_in_place(tmp_path):
    lines = [f"ticket {i}: write to {EMAIL} about the refund" for i in range(1500)]
    result = detect(stdin="\n".join(lines), tmp_path=tmp_path)
    assert result.returncode == 1
    rows = [row.split() for row in result.stdout.splitlines() if row.startswith("stdin ")]
    col = lines[0].index(EMAIL) + 1
    assert [row[1] for row in rows] == [f"{i + 1}:{col + len(str(i)) - 1}" for i in range(1500)]
    assert all(row[2] == "EMAIL" for row in rows)
    assert_no_values(result)


def test_a_csv_file_reports_cells_by_column(tmp_path):
    export = tmp_path / "customers.csv"
    export.write_text(f"id,first_name,last_name,email\n1,Jane,Doe,{EMAIL}\n")
    result = detect(str(export), "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    paths = {f["field_path"] for f in found(result) if f["category"] == "EMAIL"}
    assert paths == {"csv.email"} and {f["read_as"] for f in found(result)} == {"csv"}
    assert_no_values(result)


def test_a_capture_is_sent_to_scan_and_the_others_are_still_read(tmp_path):
    from sentinel.demo_data import write_capture

    capture = tmp_path / "mirror.pcap"
    write_capture(capture, 1_700_000_000.0)
    note = tmp_path / "note.txt"
    note.write_text(f"mail {EMAIL}\n")
    result = detect(str(capture), str(note), tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"sentinel scan {capture}" in result.stderr
    assert "1 finding(s) in 1 input(s)" in result.stdout and "as protobuf" not in result.stdout


def test_a_gzip_input_is_read_for_what_it_holds_and_a_cut_one_says_so(tmp_path):
    # It was read as a binary protobuf body: findings at "body", none where they are.
    import gzip

    lines = "".join(f"2026-11-26 order {n} for jane.doe+{n}@example.com\n" for n in range(3000)).encode()
    (tmp_path / "app.log").write_bytes(lines)
    (tmp_path / "app.log.1.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "cut.log.gz").write_bytes(gzip.compress(lines)[:-400])
    plain, packed = (detect("--format", "json", str(tmp_path / name)) for name in ("app.log", "app.log.1.gz"))
    assert len(found(plain)) == 3000 and packed.returncode == 1
    assert [f["where"] for f in found(packed)] == [f["where"] for f in found(plain)]  # line:column, as for text
    cut = detect("--format", "json", str(tmp_path / "cut.log.gz"))
    assert "cut.log.gz: scanned in part: the compressed data ends before its end-of-stream marker" in cut.stderr
    assert 0 < len(found(cut)) < 3000
    assert "@example.com" not in packed.stdout + cut.stdout + cut.stderr
