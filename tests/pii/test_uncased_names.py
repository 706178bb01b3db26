"""Names whose case says nothing: in capitals throughout, as forms, airline and bank
systems write them ("PASSENGER: MR JOHN SMITH"), and in lower case, as people type in
chat ("my name is john smith"). The dictionaries decide then: a given name and a family
name that is no everyday word; and the same words where no one is named."""

import json

import pytest


def persons(scanner, text):
    return [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "PERSON"]


@pytest.mark.parametrize("text,name", [
    ("NAME: JOHN SMITH", "JOHN SMITH"),
    ("CUSTOMER NAME: MARIA GARCIA, DOB 04/12/1985", "MARIA GARCIA"),
    ("Passenger: MR JOHN SMITH", "JOHN SMITH"),  # the title is a cue, not part of the name
    ("Dear JOHN SMITH,", "JOHN SMITH"),
    ("PLEASE CALL JOHN SMITH TODAY", "JOHN SMITH"),
    ("REFUND APPROVED FOR CUSTOMER JOHN MICHAEL SMITH", "JOHN MICHAEL SMITH"),  # past the pattern's first words
    ("ATTN MRS GARCIA", "GARCIA"),  # a family name alone after a title
    ("PASSENGER: MR AMY BROWN", "AMY BROWN"),  # after a title, a family name that is a word counts
    ("CARDHOLDER MARK WALKER", "MARK WALKER"),  # after a label, a given name that is a word counts
    ("NAME: ISABELLE DE SOUSA", "ISABELLE DE SOUSA"),
    ("CLIENT: ÉTIENNE POULAIN", "ÉTIENNE POULAIN"),  # capitals outside ASCII, first and last
    ("CARDHOLDER CAROLINE HERVÉ", "CAROLINE HERVÉ"),
    ("PASSENGER: MR WULF SCHOLZ", "WULF SCHOLZ"),  # after a title or label, names the lists lack
    ("PLEASE CALL SCOTT WHITE TODAY", "SCOTT WHITE"),  # after a verb that addresses someone
    ("CARDHOLDER JEAN-LUC PICARD", "JEAN-LUC PICARD"),
    ("my name is john smith", "john smith"),
    ("hi, i'm maria garcia from billing", "maria garcia"),
    ("call me john", "john"),  # a given name alone only after a cue that names
    ("my name's david miller, order 5532", "david miller"),
    ("my name is amy brown and my order is late", "amy brown"),  # after the cue, a family name that is a word
    ("hi, i'm rómulo portillo from billing", "rómulo portillo"),
])
def test_names_in_capitals_or_lower_case(scanner, text, name):
    assert persons(scanner, text) == [name]


@pytest.mark.parametrize("text", [
    "PLEASE NOTE THE NEW TERMS", "ORDER CONFIRMED", "UNITED STATES OF AMERICA", "NEW YORK NY 10001",
    "BLACK FRIDAY SALE", "WELLS FARGO", "SELECT NAME FROM USERS WHERE ID = 1", "ERROR CONNECTION REFUSED",
    "DALLAS TEXAS", "VIRGINIA BEACH", "JOHN BROWN",  # a family name that is an everyday word, in capitals
    "MARK DOWN", "AMERICAN EXPRESS", "SUMMER SALE",
    "i am sure this works", "i'm not sure", "my name is not important", "call me back later",
    "i'm frank with you",  # a given name alone after "i'm" is as often a word
    "i am looking for help", "name is required", "i'm in london",
    "CUSTOMER NAME: NOT PROVIDED", "CARDHOLDER NAME REQUIRED", "PLEASE CALL CUSTOMER SERVICE",
])
def test_capitals_and_lower_case_that_name_no_one(scanner, text):
    assert persons(scanner, text) == []


def test_a_name_hashes_the_same_in_any_case(scanner):
    hashes = {f.value_hash for text in ("My name is John Smith", "NAME: JOHN SMITH", "my name is john smith")
              for f in scanner.scan_text(text) if f.category == "PERSON"}
    assert len(hashes) == 1


@pytest.mark.parametrize("value,found", [
    ("john smith", True),  # typed in lower case under a name field
    ("maria del carmen garcia", True),  # particles between the given and the family name
    ("premium plan", False),
    ("john brown", False),  # an everyday family name: no case to tell a person by
    ("blue widget", False),
])
def test_lower_case_names_under_a_name_field(scanner, value, found):
    findings = scanner.scan_request("POST", "https://api.example-crm.com/contacts", [],
                                    json.dumps({"name": value}).encode(), "application/json")
    assert any(f.category == "PERSON" for f in findings) is found
