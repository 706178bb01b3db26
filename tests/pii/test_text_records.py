"""Records written inside text, as logs and code print them (logfmt, Python reprs,
GraphQL arguments, SQL): a value goes by its key, as a JSON field goes by its name, in
free text and in a request's field alike; code and prose are no records."""

from __future__ import annotations

import base64

import pytest

from detectors.pii.textpairs import text_pairs

from tests.pii.conftest import scan_json

SSN, PHONE = "536228726", "4155550132"

# (text, the values found with their category): "Sarah" alone is a name only by its key,
# and nine digits after ssn= are an SSN, not a phone cued by the phone= before them.
RECORDS = [
    (f"level=info msg=\"user signed up\" phone={PHONE} first_name=Sarah ssn={SSN}",
     {("Sarah", "PERSON"), (PHONE, "PHONE_NUMBER"), (SSN, "US_SSN")}),
    (f"INFO created customer {{'first_name': 'Sarah', 'last_name': 'Connor', 'ssn': '{SSN}'}}",
     {("Sarah", "PERSON"), ("Connor", "PERSON"), (SSN, "US_SSN")}),
    (f"Customer(first_name='Sarah', last_name='Connor', phone='{PHONE}')",
     {("Sarah", "PERSON"), ("Connor", "PERSON"), (PHONE, "PHONE_NUMBER")}),
    (f'mutation {{ createCustomer(input: {{firstName: "Sarah", lastName: "Connor", ssn: "{SSN}"}}) {{ id }} }}',
     {("Sarah", "PERSON"), ("Connor", "PERSON"), (SSN, "US_SSN")}),
    (f"UPDATE users SET first_name = 'Sarah', ssn = '{SSN}' WHERE id = 7",
     {("Sarah", "PERSON"), (SSN, "US_SSN")}),
    (f'{{"level": "info", "customer": {{"first_name": "Sarah", "ssn": "{SSN}"}}}}',
     {("Sarah", "PERSON"), (SSN, "US_SSN")}),
]


@pytest.mark.parametrize("text,want", RECORDS, ids=[r[0][:24] for r in RECORDS])
def test_a_value_in_a_text_record_goes_by_its_key(scanner, text, want):
    found = scanner.scan_text(text)
    assert {(text[f.start:f.end], f.category) for f in found} == want
    # offsets into the text, and the key as the field
    person = [f for f in found if text[f.start:f.end] == "Sarah"]
    assert [f.field_path for f in person] in (["first_name"], ["firstName"])


def test_a_log_message_field_is_read_as_its_record(scanner):
    # A log shipper's JSON, the application's logfmt line in its "message".
    doc = [{"service": "signup", "message": f"user created first_name=Sarah ssn={SSN} plan=pro"}]
    found = sorted((f.category, f.field_path, f.masked) for f in scan_json(scanner, doc))
    assert found == [("PERSON", "$[].message.first_name", "S***"), ("US_SSN", "$[].message.ssn", "***-**-8726")]


def test_a_secret_keeps_its_key_in_the_text(scanner):
    # The secret rules read "AWS_SECRET_ACCESS_KEY=..." whole and name the issuer.
    text = "export AWS_REGION=eu-west-1 AWS_SECRET_ACCESS_KEY=q8Vd2LmT0pWx7RkZ3nYb9FhJc4GsA1eUoN6iQyXw"
    (f,) = [f for f in scanner.scan_text(text) if f.category == "SECRET"]
    assert (f.detector, f.field_path) == ("secret.aws_secret_access_key", "")


@pytest.mark.parametrize("text", [
    "fn = ir.Function(ir_mod, fn_type, name=\"multi3\")",  # code: a call, blanks around "="
    "def __init__(self, name, source, full_name=None, *, is_lazy: int):",  # a null default
    "def frame(class_fullname: str, *, is_final_class: bool) -> str:",  # type annotations
    "L_n = np.empty((n, n), dtype=object)",
    "Note: the meeting is at 10:30, first_name: pending",
])
def test_code_and_prose_are_no_records(scanner, text):
    assert [f for f in scanner.scan_text(text) if f.category == "PERSON"] == []


@pytest.mark.parametrize("text,pairs", [
    ("a=1 b=2", [("a", "1"), ("b", "2")]),
    ("x=5", []),  # one pair alone is text
    ("dGVzdA== and more", []),  # a base64 blob's padding
    ("context=dob=1985-03-12|city=Paris", [("context", "dob=1985-03-12"), ("city", "Paris")]),
    ("{'a': 1, \"b\": 'two', c: \"three\"}", [("a", "1"), ("b", "two"), ("c", "three")]),
    ('msg="say \\"hi\\"" user=jo', [("msg", 'say \\"hi\\"'), ("user", "jo")]),
    ("x == y and z == w", []),
])
def test_text_pairs(text, pairs):
    assert [(k, text[s:e]) for k, _, s, e in text_pairs(text)] == pairs


# Tables pasted into text: a spreadsheet's rows in a prompt, a markdown table. Each cell
# goes by its column's name.
TABLES = [
    f"Please dedupe this list:\nfirst_name,last_name,ssn\nSarah,Connor,{SSN}\nJohn,Smith,536228727\n",
    f"first_name\tlast_name\tssn\r\nSarah\tConnor\t{SSN}\r\nJohn\tSmith\t536228727\r\n",
    f"| First Name | Last Name | SSN |\n|---|---|---|\n| Sarah | Connor | {SSN} |\n| John | Smith | 536228727 |\n",
    # A spreadsheet's export: names and cells in quotes, a "" inside one
    f'"first_name","last_name","ssn"\n"Sarah","Connor","{SSN}"\n"John" , "Smith","536228727"\n',
]


@pytest.mark.parametrize("text", TABLES, ids=["csv", "tsv", "markdown", "csv quoted"])
def test_a_table_in_text_goes_by_its_columns(scanner, text):
    found = sorted((text[f.start:f.end], f.category) for f in scanner.scan_text(text))
    assert found == [("536228726", "US_SSN"), ("536228727", "US_SSN"), ("Connor", "PERSON"), ("John", "PERSON"),
                     ("Sarah", "PERSON"), ("Smith", "PERSON")]


def test_a_quoted_cell_holds_its_delimiter(scanner):
    text = ('Please dedupe:\nname,diagnosis,ssn\n"Connor, Sarah","Type 2 diabetes, uncontrolled",536228726\n'
            '"O\'Neil, ""Bob""",Asthma,536228727\n')
    found = {(text[f.start:f.end], f.category, f.field_path) for f in scanner.scan_text(text)}
    assert {("Connor, Sarah", "PERSON", "name"), ("Type 2 diabetes, uncontrolled", "SPECIAL_CATEGORY", "diagnosis"),
            ("536228726", "US_SSN", "ssn"), ("Asthma", "SPECIAL_CATEGORY", "diagnosis"),
            ("536228727", "US_SSN", "ssn")} <= found


def test_a_table_in_a_prompt_goes_by_its_columns(scanner):
    doc = {"model": "gpt-4o", "messages": [{"role": "user", "content": TABLES[0]}]}
    found = sorted({(f.category, f.field_path) for f in scan_json(scanner, doc)})
    assert found == [("PERSON", "$.messages[].content.first_name"), ("PERSON", "$.messages[].content.last_name"),
                     ("US_SSN", "$.messages[].content.ssn")]


@pytest.mark.parametrize("text", [
    "Dear team, thanks\nI called Sarah, twice",  # prose with a comma on two lines: no column is a name's
    "first_name,last_name\n",  # a header without rows
    "first_name,last_name\nSarah,Connor,extra\n",  # a row that does not fit
    'first_name,last_name\n"Sarah,Connor\n',  # a quote left open
])
def test_no_table(scanner, text):
    assert [f.field_path for f in scanner.scan_text(text) if f.field_path] == []


# A record written as labelled lines, as support tickets, forms and YAML write one.
@pytest.mark.parametrize("text", [
    f"Name: Sarah\nPhone: {PHONE}\nSSN: {SSN}\nDOB: 1985-03-12",
    f"first_name: Sarah\nlast_name: Connor\nphone: {PHONE}\nssn: {SSN}",
    f"- name: Sarah\n  phone: \"{PHONE}\"\n  ssn: {SSN}",
])
def test_labelled_lines_go_by_their_labels(scanner, text):
    found = {(text[f.start:f.end], f.category) for f in scanner.scan_text(text)}
    assert {("Sarah", "PERSON"), (PHONE, "PHONE_NUMBER"), (SSN, "US_SSN")} <= found
    assert (SSN, "PHONE_NUMBER") not in found  # the "Phone:" line before it cues nothing


def test_a_labelled_value_keeps_exact_offsets(scanner):
    # A mail header block: the display name and the address inside one value, each found
    # where it is.
    text = "From: John Smith <js@example.com>\nTo: Jane Roe <jr@example.com>\nSubject: Hello"
    found = sorted((text[f.start:f.end], f.category, f.field_path) for f in scanner.scan_text(text))
    assert found == [("Jane Roe", "PERSON", "To"), ("John Smith", "PERSON", "From"), ("jr@example.com", "EMAIL", "To"),
                     ("js@example.com", "EMAIL", "From")]


@pytest.mark.parametrize("text", [
    "class Customer:\n    name: str\n    full_name: Optional[str] = None\n",  # code's annotations
    "Note: the meeting is moved\nto: tomorrow",  # lower-case words alone
    "Name: pending",  # one line is no record
])
def test_code_and_single_lines_are_no_labelled_record(scanner, text):
    assert [f for f in scanner.scan_text(text) if f.field_path] == []


def test_a_stack_frames_source_lines_are_no_records(scanner):
    # Sentry's context lines are source code: "x = f(y, k=v)" there is not looked into
    # as a record (the walk's time), and a value in one is still scanned as text.
    line = f"    result = create_order(payload, timeout=33, ssn='{SSN}', first_name='Sarah')"
    frame = {"context_line": line, "pre_context": [line], "vars": {"first_name": "'Sarah'"}}
    doc = {"exception": {"values": [{"stacktrace": {"frames": [frame]}}]}}
    paths = {f.field_path for f in scan_json(scanner, doc)}
    assert not any(p.endswith((".ssn", ".first_name")) and "context" in p for p in paths)
    assert "$.exception.values[].stacktrace.frames[].vars.first_name" in paths  # the frame's variables are data


def test_a_blob_in_a_keyed_value_points_into_the_text(scanner):
    # A base64 blob under a record's key, decoded a layer down: its finding points at the
    # blob where it stands in the text, as a blob elsewhere in free text does.
    blob = base64.b64encode(b'{"email": "john.doe.long.name@example.com"}').decode()
    text = f"level=info user_email={blob} first_name=Sarah"
    (f,) = [f for f in scanner.scan_text(text) if f.category == "EMAIL"]
    assert (text[f.start:f.end], f.encoding) == (blob, "base64")
