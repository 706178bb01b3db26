"""Special categories of personal data (GDPR Art. 9) named by their field: health,
ethnic origin, religion, sexual orientation, political opinions, trade-union membership,
genetic and biometric data; and the same names where they mean something else."""

import json
from urllib.parse import urlencode

import pytest

from tests.pii.conftest import scan_json


def special(findings):
    return [(f.field_path, f.subtype) for f in findings if f.category == "SPECIAL_CATEGORY"]


@pytest.mark.parametrize("body,path,subtype", [
    # GoodRx's shape: what a pharmacy page told an ad network about its visitor
    ({"event": "Viewed Drug", "properties": {"drug_name": "Sertraline", "dosage": "50mg"}},
     "$.properties.drug_name", "health"),
    ({"traits": {"diagnosis": "Type 2 diabetes"}}, "$.traits.diagnosis", "health"),
    ({"medications": ["Metformin"]}, "$.medications[]", "health"),
    ({"user": {"allergies": "Penicillin"}}, "$.user.allergies", "health"),
    ({"icd10": "F32.9"}, "$.icd10", "health"),
    ({"properties": {"condition": "Depression"}}, "$.properties.condition", "health"),  # in the vocabulary
    ({"condition": "E11.65"}, "$.condition", "health"),  # an ICD-10 code with its dot
    # beside a drug, any condition: the vocabulary lacks rosacea
    ({"properties": {"drug_name": "Metronidazole", "condition": "Rosacea"}}, "$.properties.condition", "health"),
    ({"user": {"ethnicity": "Hispanic or Latino"}}, "$.user.ethnicity", "ethnicity"),
    ({"race": "Black or African American"}, "$.race", "ethnicity"),
    ({"profile": {"religion": "Muslim"}}, "$.profile.religion", "religion"),
    ({"denomination": "Roman Catholic"}, "$.denomination", "religion"),
    ({"sexualOrientation": "Bisexual"}, "$.sexualOrientation", "sexual_orientation"),
    ({"orientation": "gay"}, "$.orientation", "sexual_orientation"),
    ({"political_party": "Green Party"}, "$.political_party", "political_opinion"),
    ({"union_membership": "Unite the Union"}, "$.union_membership", "trade_union"),
    ({"genotype": "rs53576 AG"}, "$.genotype", "genetic"),
    ({"face_template": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BB"
                       "QkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKD"
                       "hIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq8="}, "$.face_template", "biometric"),
    # under a named field's object: its name, code or label
    ({"patient": {"medications": [{"name": "Sertraline", "dose": "50 mg"}]}}, "$.patient.medications[].name", "health"),
    ({"diagnosis": {"code": "F32.9", "system": "ICD-10"}}, "$.diagnosis.code", "health"),
    ({"conditions": [{"name": "asthma"}]}, "$.conditions[].name", "health"),
    # GA4's user properties: a lone "value" goes by its object's name
    ({"user_properties": {"health_condition": {"value": "asthma"}}}, "$.user_properties.health_condition.value",
     "health"),
])
def test_named_by_the_field(scanner, body, path, subtype):
    assert (path, subtype) in special(scan_json(scanner, body))


@pytest.mark.parametrize("body", [
    {"race": "5K"}, {"race": {"name": "Boston Marathon"}},  # a running race
    {"condition": "new"}, {"condition": "Used - Like New"}, {"item": {"condition": "refurbished"}},  # a product's
    {"conditions": [{"name": "Free shipping"}]}, {"weather": {"condition": "Clear"}},
    {"orientation": "landscape"}, {"screen": {"orientation": "portrait-primary"}},
    {"denomination": "USD 20"}, {"faith": "Hope and Charity Ltd"},
    {"condition": "A12"},  # no dot: a seat, a grid square
    {"ethnicity": "Prefer not to say"}, {"religion": "none"}, {"allergies": "N/A"}, {"symptoms": ""},  # declined
    {"medication": "{{medication_name}}"}, {"diagnosis": "${diagnosis}"},  # templates
    {"diagnosis_code": "12345"}, {"icd10": "hello"},  # not a code
    {"disability_count": 3, "medications_total": 2},  # counts
    {"name": "Sertraline"},  # a name of nothing named
    {"talk.religion.misc": "not it you in is that and to of the"},  # a sentence under a column
    {"condition": "Rosacea"},  # alone, a condition outside the vocabulary is not known for one
    {"condition": "new", "symptoms": "{{symptoms}}"},  # a sibling that states nothing says nothing
])
def test_the_same_names_meaning_something_else(scanner, body):
    assert special(scan_json(scanner, body)) == []


def test_in_a_pixel_query_and_a_form(scanner):
    url = "https://www.facebook.com/tr?" + urlencode({"id": "1", "ev": "ViewContent", "cd[condition]": "diabetes",
                                                      "cd[drug]": "metformin"})
    assert sorted(special(scanner.scan_request("GET", url, {}, b""))) == \
        [("query.cd[condition]", "health"), ("query.cd[drug]", "health")]
    form = urlencode({"email": "a@example.com", "ethnicity": "Asian"}).encode()
    found = scanner.scan_request("POST", "https://api.example.net/signup", {}, form,
                                 "application/x-www-form-urlencoded")
    assert special(found) == [("form.ethnicity", "ethnicity")]


def test_the_mask_shows_nothing_and_the_hash_ignores_case(scanner):
    findings = [f for body in ({"diagnosis": "HIV"}, {"diagnosis": " hiv "}, {"condition": "HIV"})
                for f in scan_json(scanner, body)]
    assert [f.masked for f in findings] == ["****"] * 3
    assert len({f.value_hash for f in findings}) == 1
    assert all("hiv" not in json.dumps(f._asdict()).lower() for f in findings)


# In free text, a condition after a phrase that says someone has it.
@pytest.mark.parametrize("text,condition", [
    ("I was diagnosed with depression last year", "depression"),
    ("My son is living with HIV and needs his refill", "HIV"),
    ("Patient suffers from severe anxiety", "anxiety"),
    ("She has been treated for breast cancer since 2021", "breast cancer"),
    ("Family history of Alzheimer's disease", "Alzheimer's disease"),
    ("He tested positive for COVID-19 on Monday", "COVID-19"),
    # French, Spanish and German, their articles taken with the phrase
    ("Ma mère est atteinte d'une dépression sévère depuis 2019.", "dépression"),
    ("Je souffre de diabète de type 2, merci de rappeler.", "diabète de type 2"),
    ("Il vit avec le VIH depuis dix ans.", "VIH"),
    ("Mon fils souffre d'anxiété, merci de rappeler.", "anxiété"),  # an accented last letter
    ("Mi padre fue diagnosticado con cáncer de mama.", "cáncer de mama"),
    ("Padezco de ansiedad y necesito cambiar la cita.", "ansiedad"),
    ("Meine Frau leidet an Depressionen.", "Depressionen"),
    ("Er ist erkrankt an Multipler Sklerose.", "Multipler Sklerose"),
    ("Mein Vater ist an Krebs erkrankt, bitte um Rückruf.", "Krebs"),  # the verb last
    ("Bei mir wurde Diabetes diagnostiziert.", "Diabetes"),
])
def test_a_condition_someone_has_in_text(scanner, text, condition):
    found = [(text[f.start:f.end], f.subtype, f.masked) for f in scanner.scan_text(text)
             if f.category == "SPECIAL_CATEGORY"]
    assert found == [(condition, "health", "****")]


@pytest.mark.parametrize("text", [
    "We are living with our parents this summer",  # no condition
    "The history of cancer research is long",  # no one's history
    "Our app helps people living with diabetes manage insulin",  # a population, not someone
    "diagnosed with a bug in the parser", "I'm struggling with the deadline",
    "Depression and diabetes are common",  # no phrase that says someone has them
    "new treatment for pregnant women",  # a population after it
    "she is living with a prep cook",  # PrEP only as "HIV PrEP"
    "Des millions de personnes souffrent de migraine.",  # a population
    "La aplicación ayuda a personas que viven con diabetes.",
    "Le portrait est traité pour la lumière.", "Ich lebe mit meiner Familie in Berlin.",
    "Viele Menschen sind an Diabetes erkrankt.",
])
def test_conditions_no_one_is_said_to_have(scanner, text):
    assert [f for f in scanner.scan_text(text) if f.category == "SPECIAL_CATEGORY"] == []


def scan_url(scanner, url):
    return scanner.scan_request("GET", url, [], b"")


@pytest.mark.parametrize("url,body,path,condition", [
    # Flo's and GoodRx's shape: the condition in what the visitor did or looked at
    ("https://api.segment.io/v1/track", {"userId": "u_1", "event": "Diabetes Screening Booked"}, "$.event",
     "Diabetes"),
    ("https://api.mixpanel.com/track", {"event": "HIVTestKitOrdered"}, "$.event", "HIV"),
    ("https://www.google-analytics.com/mp/collect",
     {"client_id": "1.2", "events": [{"name": "pregnancy_week_viewed", "params": {"week": 12}}]},
     "$.events[].name", "pregnancy"),
    ("https://www.facebook.com/tr/?id=1&ev=ViewContent&cd[content_name]=Type%202%20Diabetes%20Test%20Kit", None,
     "query.cd[content_name]", "Type 2 Diabetes"),
    ("https://www.facebook.com/tr/?id=1&ev=Search&cd[search_string]=hiv%20prep%20near%20me", None,
     "query.cd[search_string]", "hiv prep"),
    ("https://www.google-analytics.com/g/collect?v=2&tid=G-1&en=search&ep.search_term=asthma%20inhaler", None,
     "query.ep.search_term", "asthma"),
    ("https://www.google-analytics.com/g/collect?v=2&tid=G-1&en=page_view&dt=Alzheimer%27s%20Disease%20Care", None,
     "query.dt", "Alzheimer's Disease"),
])
def test_a_condition_in_what_trackers_say_a_visitor_did(scanner, url, body, path, condition):
    found = scan_json(scanner, body, url) if body else scan_url(scanner, url)
    (f,) = [f for f in found if f.category == "SPECIAL_CATEGORY"]
    assert (f.field_path, f.subtype, f.detector) == (path, "health", "special_category.event")
    assert condition.lower() not in f.masked.lower()
    # The same condition under a field that names it: the same hash.
    (named,) = scan_json(scanner, {"condition": condition})
    assert named.value_hash == f.value_hash


@pytest.mark.parametrize("url,body", [
    ("https://api.segment.io/v1/track", {"event": "Order Completed", "event_id": "diabetes-guide-123"}),
    ("https://www.google-analytics.com/mp/collect", {"client_id": "1.2", "events": [{"name": "purchase", "params": {
        "items": [{"item_name": "Hearing Aids Pro"}, {"item_name": "Insomnia Cookies Box"}]}}]}),
    ("https://api.mixpanel.com/track", {"event": "Swim Stroke Logged"}),
    ("https://api.mixpanel.com/track", {"event": "Read: The Great Depression"}),
    ("https://www.google-analytics.com/g/collect?v=2&en=page_view&dt=Our%20COVID-19%20Response", None),
    ("https://www.google-analytics.com/g/collect?v=2&en=page_view&dt=Cancer%20Horoscope%20Today", None),
])
def test_event_names_that_name_no_condition(scanner, url, body):
    found = scan_json(scanner, body, url) if body else scan_url(scanner, url)
    assert special(found) == []


@pytest.mark.parametrize("body,path,ctype", [
    # BetterHelp's shape: an intake questionnaire's answers in an ad platform's event
    ({"user_data": {"em": "ab12"}, "custom_data": {"previously_in_therapy": True}},
     "$.custom_data.previously_in_therapy", "application/json"),
    ({"traits": {"has_diabetes": True}}, "$.traits.has_diabetes", "application/json"),
    ({"answers": {"pregnant": "Yes"}}, "$.answers.pregnant", "application/json"),
    ({"profile": {"is_smoker": True}}, "$.profile.is_smoker", "application/json"),
    ({"medication": True}, "$.medication", "application/json"),  # a health field's name, answered yes
    (b"email=a%40example.com&diabetic=on", "form.diabetic", "application/x-www-form-urlencoded"),
])
def test_a_yes_to_a_health_question(scanner, body, path, ctype):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    found = scanner.scan_request("POST", "https://api.example.net/v1/x", [], raw, ctype)
    assert special(found) == [(path, "health")]
    assert all(f.masked == "****" for f in found if f.category == "SPECIAL_CATEGORY")


@pytest.mark.parametrize("body", [
    {"has_diabetes": False, "pregnant": "no", "hiv_positive": None, "is_smoker": "false"},
    {"email_verified": True, "dark_mode": True, "disabled": True, "marketing_opt_in": True},
    {"hearing_aids": True, "stroke_width": 2, "std": True},  # not a condition there
    {"flags": [True, True]},
])
def test_answers_that_say_no_or_name_no_condition(scanner, body):
    assert special(scan_json(scanner, body)) == []


def test_a_condition_hashes_alike_in_each_language(scanner):
    hashes = {f.value_hash for text in ("I was diagnosed with diabetes.", "Je souffre de diabète.",
                                        "Fue diagnosticada con diabetes.", "Sie leidet an Diabetes.")
              for f in scanner.scan_text(text) if f.category == "SPECIAL_CATEGORY"}
    assert len(hashes) == 1


def test_a_yes_hashes_as_the_condition_it_answers(scanner):
    (flag,) = scan_json(scanner, {"has_diabetes": True})
    (named,) = scan_json(scanner, {"condition": "Diabetes"})
    assert flag.value_hash == named.value_hash


def test_an_event_labelled_in_a_ticket_is_no_tracker_event(scanner):
    text = "Event: Diabetes Awareness Walk\nDate: May 4\nVenue: City Park"
    assert special(scanner.scan_text(text)) == []


def test_a_yes_in_a_form_builders_pair(scanner):
    body = {"answers": [{"field": "has_diabetes", "value": True}, {"field": "newsletter", "value": True},
                        {"field": "pregnant", "value": False}]}
    assert special(scan_json(scanner, body)) == [("$.answers[].value", "health")]
