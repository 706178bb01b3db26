"""`sentinel subject`: where a data subject's identifiers went, looked up by keyed hash in
real embedded ClickHouse, after real ingestion of a capture and a HAR."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from sentinel import subject as subj
from sentinel.audit import AuditLog
from sentinel.keys import load_site_key
from tests.test_cli import sentinel
from tests.test_inventory import _har_entry, ingest_demo_capture, ingest_har

EMAIL = "ada.lovelace@example.com"
HASHED_ONLY = "grace.b.hopper@example.net"  # sent only as the sha256 of its address
NEVER_SENT = "nobody.at.all@example.org"


def _look_up(store, values: list[str], since: str = "all", category: str | None = None):
    identifiers = subj.keyed_identifiers(enumerate(values, 1), load_site_key(store.settings), ("US", "GB"), category)
    hashes = sorted({h for i in identifiers for h in i.hashes})
    return identifiers, subj.recipients(identifiers, subj.lookup(store, store.settings, hashes, since))


def _places(found, line: int) -> dict[tuple[str, str, str], subj.Recipient]:
    return {(r.subprocessor or r.destination, r.category, r.field_path): r for r in found if r.line == line}


@pytest.fixture
def traffic(store, tmp_path):
    ingest_demo_capture(store, tmp_path, time.time())
    pixel = hashlib.sha256(HASHED_ONLY.encode()).hexdigest()
    ingest_har(store, tmp_path, "pixel", [_har_entry(f"https://px.tracker-example.net/collect?ev=view&em={pixel}")])
    return store


def test_an_identifier_is_found_wherever_it_was_sent_and_judged_by_policy(traffic):
    # Written otherwise than on the wire: upper case, and the phone without its dashes.
    identifiers, found = _look_up(traffic, ["Ada.Lovelace@Example.com", "+12025550147", "ADA  lovelace", NEVER_SENT])
    email = _places(found, 1)
    assert email[("segment", "EMAIL", "$.traits.email")].approved
    refused = email[("segment", "EMAIL", "$.properties.email")]
    assert not refused.approved and "$.traits.email" in refused.rule
    assert ("stripe", "EMAIL", "form.email") in email
    assert "PHONE_NUMBER" in {category for _, category, _ in _places(found, 2)}
    # A name, tried as every category, is found where it was sent as a name.
    assert {(sub, category) for sub, category, _ in _places(found, 3)} == {("stripe", "PERSON"), ("datadog", "PERSON")}
    assert not _places(found, 4)
    assert [i.category for i in identifiers] == ["EMAIL", "PHONE_NUMBER", "any", "EMAIL"]


def test_an_identifier_written_in_fullwidth_is_found_as_sent_in_ascii(traffic):
    # An access request typed with a Japanese input method names the same mailbox.
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in EMAIL)
    assert fullwidth != EMAIL
    assert {(r.subprocessor, r.field_path) for r in _look_up(traffic, [fullwidth])[1]} == \
        {(r.subprocessor, r.field_path) for r in _look_up(traffic, [EMAIL])[1]} != set()


def test_a_hashed_identifier_is_found_from_its_plain_value(traffic):
    _, found = _look_up(traffic, [HASHED_ONLY])
    (place,) = found
    assert place.subprocessor == "" and place.destination == "tracker-example.net"
    assert place.encodings == ["sha256"] and place.field_path == "query.em" and not place.approved


def _ingest_judged(store, alerts, tmp_path, name: str, entries: list[dict]) -> None:
    """A HAR through the pipeline with policy and alerts, as the daemon runs it."""
    from sentinel.collect.checkpoint import CheckpointStore
    from sentinel.ingest import Ingestor, expand
    from sentinel.ingest_capture import ingest_capture
    from sentinel.judge import Judge
    from sentinel.policy import PolicyEngine
    from sentinel.runtime import build_pipeline

    har = tmp_path / f"{name}.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    pipeline = build_pipeline(store.settings, store)
    pipeline.observers.append(Judge(PolicyEngine(store.settings.registry), alerts))
    Ingestor(pipeline, CheckpointStore(tmp_path / "cp"), store.settings, capture_factory=ingest_capture).ingest(
        expand([har]))


def test_a_refused_flow_names_the_alerts_its_requests_raised(store, settings_factory, tmp_path):
    from sentinel.alert.manager import AlertManager

    # Group timers at zero: a resolved alert is announced at the next tick, and the same
    # condition seen after that is a new alert (before, the resolved one fires on).
    alerts = AlertManager(store, settings_factory("[alerts]\ngroup_wait_seconds = 0\ngroup_interval_seconds = 0\n"))
    other = "someone.else@example.org"
    pixel = "https://api.mixpanel.com/track?email={}"  # Mixpanel may receive no personal data
    # Three days ago another customer's address raised an alert, resolved since; today the
    # same condition raises another one, about this customer's request.
    _ingest_judged(store, alerts, tmp_path, "old", [_har_entry(pixel.format(other), ts=time.time() - 3 * 86400)])
    alerts.tick()
    _ingest_judged(store, alerts, tmp_path, "new", [_har_entry(pixel.format(EMAIL)),
                                                    _har_entry(f"https://api.stripe.com/v1/customers?email={EMAIL}")])
    alerts.close()
    raised = {a.record.first_seen < time.time() - 86400: a.record.alert_id
              for a in AlertManager(store, store.settings).alerts("all") if a.record.kind == "unapproved_category"}
    assert len(raised) == 2
    found = {r.subprocessor: r for r in _look_up(store, [EMAIL])[1]}
    assert found["mixpanel"].alerts == [raised[False]]
    assert found["stripe"].approved and found["stripe"].alerts == []
    assert [r.alerts for r in _look_up(store, [other])[1]] == [[raised[True]]]


def test_since_leaves_out_what_was_sent_before(store, tmp_path):
    ingest_har(store, tmp_path, "old", [_har_entry(f"https://api.mixpanel.com/track?email={EMAIL}",
                                                   ts=time.time() - 3 * 86400)])
    assert _look_up(store, [EMAIL], since="1d")[1] == []
    assert [r.subprocessor for r in _look_up(store, [EMAIL], since="7d")[1]] == ["mixpanel"]


def test_a_category_given_reads_every_identifier_as_it(traffic):
    # A name read as an IBAN is hashed as an IBAN would be: no finding carries that hash.
    identifiers, found = _look_up(traffic, ["Ada Lovelace"], category="IBAN")
    assert identifiers[0].category == "IBAN" and found == []
    assert {r.category for r in _look_up(traffic, ["Ada Lovelace"], category="PERSON")[1]} == {"PERSON"}


def test_the_cli_reads_stdin_prints_no_value_and_audits_the_lookup(traffic, tmp_path):
    config = traffic.settings.config_path
    traffic.close()  # the embedded store: one process at a time
    stdin = f"# a request of 2026-11-20\n{EMAIL}, Ada Lovelace, customer 1842\n{NEVER_SENT}\n"
    outputs = {}
    for fmt in ("table", "json", "csv"):
        result = sentinel("--config", str(config), "subject", "--format", fmt, stdin=stdin)
        assert result.returncode == 0, result.stderr
        outputs[fmt] = result.stdout + result.stderr
        assert "2 identifier(s) looked up over everything stored: 1 found" in result.stderr
    for text in outputs.values():
        assert EMAIL not in text and NEVER_SENT not in text and "Lovelace" not in text and "1842" not in text
    answer = json.loads(outputs["json"].split("\n2 identifier")[0])
    assert [(i["line"], i["found"]) for i in answer["identifiers"]] == [(2, True), (3, False)]
    assert {r["subprocessor"] for r in answer["recipients"]} >= {"segment", "stripe"}
    from sentinel.config import load_settings
    from sentinel.store import Store

    store = Store.open(load_settings(config))
    try:
        entries = [e for e in AuditLog(store).entries() if e.action == "subject.lookup"]
    finally:
        store.close()
    assert len(entries) == 3 and json.loads(entries[0].details)["identifiers"] == 2
    assert all(EMAIL not in e.details for e in entries)


@pytest.mark.parametrize("args, stdin, message", [
    (("ada.lovelace@example.com",), None, "not on the command line"),
    (("--category", "EMAILS"), "x@example.com\n", "--category: expected one of EMAIL"),
    ((), "ok.value@example.com\nabc\n", "standard input:2: identifier shorter than 6 characters"),
    ((), "# only a comment\n", "no identifiers to look up"),
    (("--since", "1M"), "x.y@example.com\n", "--since: cannot read duration '1M'"),
    (("--format", "html"), "x.y@example.com\n", "--format: expected table, json or csv"),
    (("--yes",), "x.y@example.com\n", "--yes: only with --erase"),
    (("--erase", "--since", "30d"), "x.y@example.com\n", "--since does not apply"),
])
def test_bad_input_is_refused_without_repeating_it(tmp_path, args, stdin, message):
    result = sentinel("subject", *args, tmp_path=tmp_path, stdin=stdin)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "ada.lovelace" not in result.stderr


def test_no_site_key_is_an_error_and_none_is_created(tmp_path):
    result = sentinel("subject", tmp_path=tmp_path, stdin=f"{EMAIL}\n")
    assert result.returncode == 2 and "no site key yet" in result.stderr
    assert not (tmp_path / "state" / "site.key").exists()


def test_only_a_value_written_in_digits_is_read_as_a_number():
    from detectors.pii.masking import Hasher

    key = b"k" * 32
    address, ssn = subj.keyed_identifiers([(1, "2001:DB8::1"), (2, "123-45-6789")], key, ("US",))
    hasher = Hasher(key)
    assert hasher.hex("2001:db8::1") in address.hashes  # as an IP address is stored
    assert hasher.hex("200181") not in address.hashes  # not as the account number its digits make
    assert hasher.hex("123456789") in ssn.hashes


def test_a_long_list_is_looked_up_in_queries_clickhouse_accepts(store, tmp_path):
    # 1,500 identifiers are 6,000 hashes: one query would pass ClickHouse's max_query_size.
    ingest_har(store, tmp_path, "one", [_har_entry(f"https://api.mixpanel.com/track?email={EMAIL}")])
    others = [f"customer{i}@example.org" for i in range(1500)]
    identifiers, found = _look_up(store, others[:700] + [EMAIL] + others[700:])
    assert sum(len(i.hashes) for i in identifiers) > 3 * subj.HASHES_PER_QUERY
    assert [(r.line, r.subprocessor) for r in found] == [(701, "mixpanel")]


def test_typed_in_at_a_terminal_it_says_what_it_waits_for(tmp_path):
    import os
    import pty
    import select
    import sys

    pid, terminal = pty.fork()
    if pid == 0:  # the child: `sentinel subject` with a terminal on standard input
        os.environ["SENTINEL_DATA_DIR"] = str(tmp_path / "state")
        os.execv(sys.executable, [sys.executable, "-m", "sentinel.cli", "subject"])
    shown = b""
    deadline = time.monotonic() + 60
    ready = select.poll()  # not select(): the suite may hold more than 1,024 descriptors by now
    ready.register(terminal, select.POLLIN)
    while b"Ctrl-D" not in shown and time.monotonic() < deadline:
        if ready.poll(500):
            shown += os.read(terminal, 1024)
    os.write(terminal, b"\x04")  # end of input: nothing typed
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child is gone
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    assert os.waitpid(pid, 0)[1] >> 8 == 2
    assert b"identifiers, one a line, then Ctrl-D:" in shown and b"no identifiers to look up" in shown


def _rollup(store) -> dict[tuple[str, str], tuple[int, int]]:
    """(sub-processor, category) -> (findings, distinct hashes) as the per-minute rollup counts them."""
    rows = store.query("SELECT subprocessor, category, sum(findings), uniqMerge(subjects) FROM {db}.findings_1m "
                       "GROUP BY subprocessor, category").result_rows
    return {(sub, category): (int(n), int(subjects)) for sub, category, n, subjects in rows}


def test_an_erasure_deletes_the_subjects_findings_for_good_and_recounts_the_rollups(traffic):
    identifiers, found = _look_up(traffic, [EMAIL])
    hashes = sorted({h for i in identifiers for h in i.hashes})
    assert found and _look_up(traffic, [HASHED_ONLY])[1]
    before = _rollup(traffic)
    stored = traffic.query("SELECT subprocessor, category, count(), uniqExact(value_hash) FROM {db}.findings FINAL "
                           "WHERE value_hash IN %(h)s GROUP BY subprocessor, category", {"h": hashes}).result_rows

    erasure = subj.audited_erase(traffic, AuditLog(traffic), hashes, "dpo", 1)

    assert erasure.findings == sum(n for _, _, n, _ in stored) > 0 and erasure.minutes > 0
    assert _look_up(traffic, [EMAIL])[1] == []
    assert _look_up(traffic, [HASHED_ONLY])[1]  # another subject's findings stay
    # Rewritten, not hidden: a lightweight DELETE's rows are still on disk under the mask.
    left = traffic.query("SELECT count() FROM {db}.findings WHERE value_hash IN %(h)s SETTINGS apply_deleted_mask = 0",
                         {"h": hashes}).result_rows[0][0]
    assert left == 0
    after = _rollup(traffic)
    for sub, category, n, distinct in stored:
        assert after.get((sub, category), (0, 0)) == (before[(sub, category)][0] - n,
                                                      before[(sub, category)][1] - distinct)
    untouched = set(before) - {(sub, category) for sub, category, _, _ in stored}
    assert {key: after.get(key) for key in untouched} == {key: before[key] for key in untouched}
    (entry,) = [e for e in AuditLog(traffic).entries() if e.action == "subject.erase"]
    assert entry.actor == "dpo" and json.loads(entry.details) == {"identifiers": 1, "findings": erasure.findings}
    assert not any(h in entry.details for h in hashes)


def test_the_cli_erases_only_with_yes(traffic):
    config = traffic.settings.config_path
    traffic.close()
    dry = sentinel("--config", str(config), "subject", "--erase", stdin=f"{EMAIL}\n")
    assert dry.returncode == 0, dry.stderr
    assert "would be erased; run again with --yes" in dry.stderr
    erased = sentinel("--config", str(config), "subject", "--erase", "--yes", "--format", "json", stdin=f"{EMAIL}\n")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["recipients"]  # what was stored, shown as it goes
    assert "erased" in erased.stderr and "recorded in the audit log" in erased.stderr
    again = sentinel("--config", str(config), "subject", "--erase", "--yes", stdin=f"{EMAIL}\n")
    assert again.returncode == 0 and "nothing is stored of these identifiers" in again.stderr
    assert EMAIL not in dry.stdout + dry.stderr + erased.stdout + erased.stderr


def _spool_findings(writer, rows: list[tuple[str, int]]) -> None:
    """One spooled batch of findings: (value_hash, event_id) each."""
    from tests.test_store import TS

    names = ("event_id", "finding_no", "ts", "subprocessor", "category", "value_hash")
    writer.add("findings", names, [(event, 0, TS, "segment", "EMAIL", h) for h, event in rows])
    assert writer.flush().spooled


def _spooled_hashes(path) -> list[str]:
    from sentinel.store.spool import Spool, SpoolEntry

    return Spool.read(SpoolEntry(0, "findings", path)).column("value_hash").to_pylist()


def test_an_erasure_reaches_findings_spooled_during_an_outage(store):
    """ClickHouse was away: the subject's findings wait in the spool, one batch was even
    rejected. The erasure cuts them there, so the replay after it cannot bring them back."""
    from sentinel.store import Writer
    from sentinel.store.spool import Spool
    from tests.test_store import FlakyClient

    ada, other = (sorted(i.hashes) for v in (EMAIL, NEVER_SENT)
                  for i in subj.keyed_identifiers([(1, v)], load_site_key(store.settings), ("US",), None))
    flaky = FlakyClient(store.client)
    flaky.down = True
    spool = Spool(store.spool_dir, 1 << 30)  # where the daemon's writer spools
    writer = Writer(flaky, store.ctx, spool)
    _spool_findings(writer, [(ada[0], 1), (other[0], 2), (ada[-1], 3)])
    _spool_findings(writer, [(ada[0], 4), (ada[0], 5)])
    _spool_findings(writer, [(other[0], 6), (ada[0], 7)])
    rejected = spool.reject(spool.entries()[-1])  # refused by ClickHouse: kept for inspection

    erasure = subj.erase(store, ada)

    assert (erasure.findings, erasure.spooled, erasure.spool_error) == (0, 5, "")
    assert [_spooled_hashes(e.path) for e in spool.entries()] == [[other[0]]]  # the batch of Ada's alone is gone
    assert _spooled_hashes(rejected) == [other[0]]
    flaky.down = False
    assert writer.replay() and writer.spool.bytes == 0
    stored = store.query("SELECT value_hash FROM {db}.findings").result_rows
    assert stored == [(other[0],)]
    note = subj.erasure_note([], erasure)
    assert "cut 5 finding(s) from batches waiting in the spool" in note
    assert not any(h in note for h in ada)


def test_a_damaged_spooled_batch_is_named_and_the_rest_still_erased(store):
    from sentinel.store import Writer
    from sentinel.store.spool import Spool
    from tests.test_store import FlakyClient

    (ada,) = (sorted(i.hashes) for i in subj.keyed_identifiers([(1, EMAIL)], load_site_key(store.settings), ("US",),
                                                                None))
    flaky = FlakyClient(store.client)
    flaky.down = True
    spool = Spool(store.spool_dir, 1 << 30)
    writer = Writer(flaky, store.ctx, spool)
    _spool_findings(writer, [(ada[0], 1)])
    _spool_findings(writer, [(ada[0], 2)])
    damaged = spool.entries()[0].path
    damaged.write_bytes(damaged.read_bytes()[:40])  # a disk that lost the batch's tail

    erasure = subj.erase(store, ada)

    assert erasure.spooled == 1 and str(damaged) in erasure.spool_error
    assert [e.path for e in spool.entries()] == [damaged]
    note = subj.erasure_note([], erasure)
    assert "could not be scrubbed" in note and str(damaged) in note
    # The replay does not stall on it: it is moved aside, as a batch ClickHouse refuses.
    flaky.down = False
    assert writer.replay() and not spool.entries()
    assert (spool.directory / "rejected" / damaged.name).exists()
