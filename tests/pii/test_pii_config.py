"""Config: precise errors, per-detector control, custom detectors, allowlists."""

import copy

import pytest

from detectors.pii import ConfigError, Scanner, ScannerConfig
from tests.pii.conftest import cats, scan_json


@pytest.mark.parametrize("cfg,message", [
    ({"min_confidnce": 0.5}, "unknown key(s) min_confidnce"),
    ({"min_confidence": "high"}, "min_confidence: expected float"),
    ({"min_confidence": 2}, "between 0 and 1"),
    ({"detectors": {"email": {"enabled": "no"}}}, "detectors.email.enabled: expected bool"),
    ({"custom": [{"name": "emp", "category": "EMPLOYEE_ID", "regex": "(unclosed"}]}, "custom[0].regex: not a valid RE2"),
    ({"custom": [{"name": "emp", "category": "EMPLOYEE_ID", "regex": "E\\d+", "validator": "nope"}]}, "custom[0].validator"),
    ({"custom": [{"name": "emp", "category": "employee", "regex": "E\\d+"}]}, "custom[0].category"),
    ({"custom": [{"name": "emp", "regex": "E\\d+"}]}, "missing required key(s) category"),
    ({"allowlist": {"patterns": ["(a"]}}, "allowlist.patterns[0]"),
    ({"allowlist": {"field_paths": ["$.from.*", "utm_source"]}}, "allowlist.field_paths[1]: 'utm_source' matches no field path"),
    ({"allowlist": {"subprocessors": {"stripe": {"categories": ["NOPE"]}}}}, "unknown category 'NOPE'"),
    ({"phone_regions": "US"}, "phone_regions: expected a list of strings"),
    ({"custom": [{"name": "emp", "category": "EMPLOYEE_ID", "regex": ""}]}, "custom[0].regex: expected a pattern"),
    ({"custom": [{"name": "emp", "category": "EMPLOYEE_ID", "regex": r"(?:EMP-\d{6})?"}]},
     "custom[0].regex: the pattern can match the empty string"),
    ({"custom": [{"name": "emp", "category": "EMPLOYEE_ID", "regex": r"\b"}]}, "can match the empty string"),
    ({"custom": [{"name": "emp", "category": "EMPLOYEE_ID", "regex": r"E\d+", "requires_context": True}]},
     "custom[0].requires_context: true reports only where"),
    ({"ner": {"min_chars": -1}}, "ner.min_chars: expected a whole number"),
    ({"ner": {"enabled": True, "model": " "}}, "ner.model: expected the name or path of a spaCy pipeline"),
])
def test_bad_config_names_key(cfg, message):
    with pytest.raises(ConfigError) as e:
        ScannerConfig.from_dict(cfg)
    assert message in str(e.value)


def test_unknown_detector_name_is_refused():
    with pytest.raises(ConfigError, match="unknown detector"):
        Scanner({"detectors": {"emial": {"enabled": False}}})


def test_disable_by_name_and_by_category():
    text = "mail jane@example.com or call +1 415 555 0132"
    assert cats(Scanner({"detectors": {"email": {"enabled": False}}}, key=b"k").scan_text(text)) == {"PHONE_NUMBER"}
    assert cats(Scanner({"detectors": {"PHONE_NUMBER": {"enabled": False}}}, key=b"k").scan_text(text)) == {"EMAIL"}


def test_per_detector_threshold():
    text = "Thanks, Margaret"  # a sign-off name scores 0.7
    assert "PERSON" in cats(Scanner(key=b"k").scan_text(text))
    assert "PERSON" not in cats(Scanner({"detectors": {"person": {"threshold": 0.8}}}, key=b"k").scan_text(text))


def test_custom_detector_regex_validator_keywords_hints():
    cfg = {"custom": [
        {"name": "employee_id", "category": "EMPLOYEE_ID", "regex": r"\bEMP-\d{6}\b", "keywords": ["emp-"],
         "field_hints": ["employee"], "confidence": 0.6},
        {"name": "loyalty_card", "category": "CREDIT_CARD", "regex": r"\bLC\d{16}\b", "validator": "luhn",
         "confidence": 0.9, "subtype": "loyalty"},
        {"name": "staff_phone", "category": "PHONE_NUMBER", "regex": r"\bext-\d{10}\b", "validator": "phone",
         "requires_context": True, "field_hints": ["staff_phone"]},
    ]}
    s = Scanner(cfg, key=b"k")
    fs = scan_json(s, {"employee": "EMP-123456", "note": "EMP-654321", "card": "LC4242424242424242", "bad": "LC4242424242424241"})
    got = {(f.field_path, f.category, f.detector, f.confidence) for f in fs}
    assert ("$.employee", "EMPLOYEE_ID", "custom.employee_id", 0.75) in got  # hint raises confidence
    assert ("$.note", "EMPLOYEE_ID", "custom.employee_id", 0.6) in got
    assert any(p == "$.card" and c == "CREDIT_CARD" for p, c, _, _ in got)
    assert not any(p == "$.bad" for p, *_ in got)
    assert not [f for f in s.scan_text("ext-4155550132") if f.category == "PHONE_NUMBER" and f.detector.startswith("custom")]


def test_custom_detector_anchored_to_the_whole_field():
    # "^...$" means the whole field value, wherever the field sits in the request.
    s = Scanner({"custom": [{"name": "member_no", "category": "MEMBER_ID", "regex": r"^M\d{8}$"}]}, key=b"k")
    fs = scan_json(s, {"first": "x", "member": "M12345678", "prose": "is M87654321 mine", "last": "y"})
    assert [(f.field_path, f.category) for f in fs] == [("$.member", "MEMBER_ID")]


def test_allowlist_by_value_pattern_path_and_category():
    cfg = {"allowlist": {"values": ["Support@Example.com"], "patterns": [r"noreply@.*"], "field_paths": ["$.from.*", "query.utm_*"],
                         "categories": ["IP_ADDRESS"]}}
    s = Scanner(cfg, key=b"k")
    fs = scan_json(s, {"a": "support@example.com", "b": "noreply@shop.example.com", "from": {"email": "x@example.org"},
                       "c": "jane@example.com", "ip": "8.8.4.4"}, url="/p?utm_source=j@example.com")
    assert [(f.field_path, f.category) for f in fs] == [("$.c", "EMAIL")]


def test_allowlisted_field_paths_take_brackets_literally_and_indices_as_arrays():
    s = Scanner({"allowlist": {"field_paths": ["$.a[0].b[*].email", "$.tags[x]"]}}, key=b"k")
    fs = scan_json(s, {"a": [{"b": [{"email": "x@example.org"}]}], "c": [{"email": "jane@example.com"}]})
    assert [(f.field_path, f.category) for f in fs] == [("$.c[].email", "EMAIL")]


def test_one_config_table_builds_the_same_scanner_twice():
    # A reload or a second command builds from the same parsed table: it must not be
    # consumed by the first (the per-sub-processor allowlist once was).
    cfg = {"allowlist": {"values": ["support@example.com"], "subprocessors": {"stripe": {"categories": ["IP_ADDRESS"]}}}}
    before = copy.deepcopy(cfg)
    for _ in range(2):
        s = Scanner(cfg, key=b"k")
        assert not s.scan_request("GET", "/", [("x-forwarded-for", "8.8.4.4")], b"", subprocessor="stripe")
    assert cfg == before


def test_allowlist_values_are_stored_hashed():
    s = Scanner({"allowlist": {"values": ["support@example.com"]}}, key=b"k")
    # Every attribute, whether the class is interpreted or compiled (no __dict__ or __slots__).
    state = [getattr(s._allow, k) for k in dir(s._allow) if not k.startswith("__")]
    assert [h for h in s._allow._hashes] and "support@example.com" not in repr(state)


def test_allowlist_by_subprocessor():
    cfg = {"allowlist": {"subprocessors": {"stripe": {"categories": ["EMAIL", "SECRET:stripe_secret_key"]}}}}
    s = Scanner(cfg, key=b"k")
    text = "jane@example.com sk_live_" + "Ab3dE5gH7jK9mN1pQ3sT5vW7"
    assert cats(s.scan_text(text, subprocessor="stripe")) == set()
    assert cats(s.scan_text(text, subprocessor="segment")) == {"EMAIL", "SECRET"}
    assert cats(s.scan_text(text)) == {"EMAIL", "SECRET"}


def test_config_dataclass_accepted_directly():
    cfg = ScannerConfig(min_confidence=0.95)
    assert Scanner(cfg, key=b"k").scan_text("Thanks, Margaret") == []


def test_ner_backend_is_optional(monkeypatch):
    """ner.enabled loads spaCy lazily; here a stand-in module plays spaCy."""
    import sys
    import types

    class Ent:
        def __init__(self, s, e, label):
            self.start_char, self.end_char, self.label_ = s, e, label

    class Doc:
        def __init__(self, text):
            i = text.find("Zorbulon Vexmarquist")
            self.ents = [Ent(i, i + len("Zorbulon Vexmarquist"), "PERSON")] if i >= 0 else []

    fake = types.ModuleType("spacy")
    fake.load = lambda model, disable=(): (lambda text: Doc(text))
    monkeypatch.setitem(sys.modules, "spacy", fake)
    text = "the request came from Zorbulon Vexmarquist yesterday morning about the invoice"
    assert "PERSON" not in cats(Scanner(key=b"k").scan_text(text))
    fs = Scanner({"ner": {"enabled": True, "model": "fake"}}, key=b"k").scan_text(text)
    assert [f.detector for f in fs] == ["ner"]


def test_ner_missing_package_is_a_clear_error(monkeypatch):
    import sys

    from detectors.pii.ner import NerUnavailable

    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(NerUnavailable, match="spaCy is not installed"):
        Scanner({"ner": {"enabled": True}})


def test_ner_model_not_installed_is_a_config_error_naming_the_key():
    """As installed here: spaCy without the default model (or without spaCy at all)."""
    import importlib.util

    if importlib.util.find_spec("en_core_web_sm") is not None:
        pytest.skip("the default spaCy model is installed here")
    with pytest.raises(ConfigError) as e:  # a ValueError like every config error, not a RuntimeError
        Scanner({"ner": {"enabled": True}})
    assert str(e.value).startswith("ner.model: ") and "en_core_web_sm" in str(e.value)
    assert "install" in str(e.value)


@pytest.mark.parametrize("where", ["custom", "allowlist"])
def test_a_bad_pattern_is_named_by_its_key_and_re2_error_without_repeating_it(where):
    pattern = r"jane\.doe@corp\.com("  # a pattern may be built around a real address
    cfg = ({"custom": [{"name": "x", "category": "EMPLOYEE_ID", "regex": pattern}]} if where == "custom"
           else {"allowlist": {"patterns": [r".*@example\.com", pattern]}})
    with pytest.raises(ConfigError) as e:
        ScannerConfig.from_dict(cfg, where="detectors")
    key = "detectors.custom[0].regex" if where == "custom" else "detectors.allowlist.patterns[1]"
    assert str(e.value) == f"{key}: not a valid RE2 pattern (missing ))"
    assert "jane" not in str(e.value)
