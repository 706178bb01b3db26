"""Names written family name first, as records and airlines write them: after a label
with a comma ("Patient: Smith, John"), and SURNAME/GIVEN TITLE ("SMITH/JOHN MR"). Read,
and hashed, as the same person written given name first; and the same shapes where no
one is named ("Client: Acme, Inc", "TCP/IP", a route "LONDON/PARIS")."""

import pytest

from tests.pii.conftest import scan_json, spans, text_hashes


def persons(scanner, text):
    return spans(scanner, text, "PERSON")


@pytest.mark.parametrize("text,name", [
    ("Patient: Smith, John", "Smith, John"),
    ("PATIENT: SMITH, JOHN", "SMITH, JOHN"),
    ("Name: Doe, Jane A.", "Doe, Jane A."),
    ("Customer: García López, María", "García López, María"),  # two family names
    ("Boarding pass GARCIA/MARIA ELENA MRS seat 12A", "GARCIA/MARIA ELENA"),  # the title is not part of it
    ("NAME: DOE/JANE MS", "DOE/JANE"),
    ("PASSENGER: SMITH/JOHN", "SMITH/JOHN"),  # no title: a label says it is a passenger
    ("PAX NGUYEN/EDWARD MR SEAT 12A", "NGUYEN/EDWARD"),  # capitals before and after it
])
def test_family_name_first(scanner, text, name):
    assert persons(scanner, text) == [name]


@pytest.mark.parametrize("text", [
    "Customer: Acme, Inc", "Client: Paris, France", "Contact: Sales, Support", "Name: Required, Optional",
    "TCP/IP", "USD/EUR", "AC/DC", "MAY/JUNE", "YES/NO",
    "LONDON/PARIS", "AUSTIN/DALLAS",  # routes: given and family names both, but no title or label
    "SMITH/JOHN",
])
def test_the_same_shapes_name_no_one(scanner, text):
    assert persons(scanner, text) == []


def test_family_name_first_hashes_as_given_name_first(scanner):
    assert len(text_hashes(scanner, ("Jane Doe called", "Name: Doe, Jane", "NAME: DOE/JANE MS"), "PERSON")) == 1


# A label, a name, a comma and the next field's label: the name is the words before the
# comma, not a family name followed by a given name "DOB".
@pytest.mark.parametrize("text,name", [
    ("Patient: Robert Smith, DOB 1962-07-14", "Robert Smith"),
    ("Patient: Robert O'Neil, DOB 1962-07-14", "Robert O'Neil"),
    ("Customer: Maria Garcia, SSN 536-22-8726", "Maria Garcia"),
])
def test_a_label_after_the_comma_is_not_a_given_name(scanner, text, name):
    assert persons(scanner, text) == [name]



def test_a_prefixed_family_name_first_in_any_case(scanner):
    # Read word by word with str.capitalize(), "O'NEILL" is "O'neill": its prefix's capital comes back.
    texts = ("Thanks, Robert O'Neill", "PATIENT: O'NEILL, ROBERT", "Customer: McAllister, Jane", "Dear Jane McAllister")
    assert [len(persons(scanner, t)) for t in texts] == [1, 1, 1, 1]
    assert len(text_hashes(scanner, texts[:2], "PERSON")) == 1
    (f,) = [f for f in scan_json(scanner, {"name": "O'Neill, Robert"}) if f.category == "PERSON"]
    assert f.value_hash in text_hashes(scanner, texts[:1], "PERSON")
    assert persons(scanner, "Customer: Machine, Learning") == []  # "Mac" stays a word's start
