"""Names and street addresses whose case says nothing: in capitals throughout, as forms,
shipping labels, airline and bank systems write them ("PASSENGER: MR JOHN SMITH", "1600
PENNSYLVANIA AVE NW"), and in lower case, as people type in chat ("my name is john
smith", "my address is 350 5th ave"). The dictionaries decide then: a given name and a
family name that is no everyday word, a street type that is no everyday word; and the same
words where no one and nowhere is named."""

import json

import pytest

from tests.pii.conftest import spans, text_hashes


def persons(scanner, text):
    return spans(scanner, text, "PERSON")


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
    ("PASSENGER: MR WULF SCHOLZ", "WULF SCHOLZ"),  # after a title, or a label and its colon,
    ("CARDHOLDER: WULF SCHOLZ", "WULF SCHOLZ"),  # names the lists lack
    ("PLEASE CALL SCOTT WHITE TODAY", "SCOTT WHITE"),  # after a verb that addresses someone
    ("CARDHOLDER JEAN-LUC PICARD", "JEAN-LUC PICARD"),
    ("my name is john smith", "john smith"),
    ("hi, i'm maria garcia from billing", "maria garcia"),
    ("call me john", "john"),  # a given name alone only after a cue that names
    ("my name's david miller, order 5532", "david miller"),
    ("my name is amy brown and my order is late", "amy brown"),  # after the cue, a family name that is a word
    ("hi, i'm rómulo portillo from billing", "rómulo portillo"),
    # A given name alone after a greeting, as "Hi Irmhild," is read in mixed case
    ("Hi JOHN, your order has shipped", "JOHN"),
    ("Dear MARIA, thanks for writing", "MARIA"),
    ("HI JOHN, WELCOME ABOARD", "JOHN"),
    ("Thanks, MARK", "MARK"),  # after a greeting a given name that is a word counts
    ("Kind regards,\nJOHN", "JOHN"),
    ("Best regards, JOHN SMITH", "JOHN SMITH"),
    ("Hello JOHN SMITH, welcome to ACME", "JOHN SMITH"),
    # In lower case after a greeting, as chat types it: a comma or "!" after the name
    ("hi john, can you reset my password", "john"),
    ("thanks maria!", "maria"),
    ("hey john smith, long time", "john smith"),
    ("hola maría, gracias", "maría"),
    # A mail display name in lower case, as people sign up with theirs
    ("To: john smith <john.smith@example.com>", "john smith"),
    ('From: "maria garcia" <maria@example.es>', "maria garcia"),
    ("mail from mark brown <mb@example.com> arrived", "mark brown"),  # a display name's everyday words count
    ("sent by: jürgen müller <jm@example.de>", "jürgen müller"),
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
    "IF THE COPYRIGHT HOLDER HAS BEEN ADVISED",  # a label without its colon: the words after it are no name
    "THE CUSTOMER HAS BEEN NOTIFIED",
    "Hi ALL, the build is green", "Dear CUSTOMER, your invoice", "Hi TEAM, standup moved", "Hello WORLD",
    "Dear SIR OR MADAM", "Cheers,\nTODO LIST",
    # One word after a greeting is a name only if the lists know it: in capitals every word
    # looks like one
    "THANKS AGAIN!", "HI GUYS!", "HELLO EVERYBODY", "Hi SOMEONE,", "Dear PARENTS,", "Hi MOM,", "Thanks, ACME",
    "hi all, the build is green", "hey guys, lunch?", "thanks again, see you", "hi there, how are you",
    "hello world!", "hi team, standup moved", "thanks for your help, bye", "dear customer, your invoice",
    "thanks mark, will do", "hey june, welcome",  # given names that are words or months, in lower case
    "reply to support team <support@acme.io>", "notifications <no-reply@github.com>", "dear john <br>",
    '<li>click here <a href="mailto:x@y.com">',
])
def test_capitals_and_lower_case_that_name_no_one(scanner, text):
    assert persons(scanner, text) == []


def test_a_name_hashes_the_same_in_any_case(scanner):
    assert len(text_hashes(scanner, ("My name is John Smith", "NAME: JOHN SMITH", "my name is john smith"),
                           "PERSON")) == 1


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


@pytest.mark.parametrize("text,street", [
    ("SHIP TO: 1600 PENNSYLVANIA AVE NW, WASHINGTON DC 20500", "1600 PENNSYLVANIA AVE NW"),  # its quadrant with it
    ("DELIVER TO 221B BAKER STREET LONDON", "221B BAKER STREET"),
    ("1600 AMPHITHEATRE PKWY, MOUNTAIN VIEW, CA 94043", "1600 AMPHITHEATRE PKWY, MOUNTAIN VIEW, CA 94043"),
    ("my address is 350 5th ave, new york, ny 10118", "350 5th ave"),  # the cue is not part of it
    ("please ship to 12 main st apt 4", "12 main st apt 4"),  # the unit too, in any case
    ("i live at 742 evergreen terrace", "742 evergreen terrace"),
    ("my address is 597 jones course", "597 jones course"),  # any USPS suffix after "address"
    ("91390 WILLIAMS FORGES APT. 824", "91390 WILLIAMS FORGES APT. 824"),  # or before a unit
    ("Address: 14 Baker Street", "14 Baker Street"),  # mixed case, as before
    ("adres: ul. Długa 90/2", "ul. Długa 90/2"),  # a street type first, in lower case, as before
    ("Deliusstraße 12, Berlin", "Deliusstraße 12"),  # starts like "deliver", is no cue
    ("Locarnostrasse 5, Zürich", "Locarnostrasse 5"),
])
def test_streets_in_capitals_or_lower_case(scanner, text, street):
    assert spans(scanner, text, "STREET_ADDRESS") == [street]


@pytest.mark.parametrize("text", [
    "ORDER 3 NEW ITEMS AT THE STATION",  # "Station" is a USPS suffix, and an everyday word
    "SAVE 20 PERCENT AT OUR MAIN STORE", "TOP 10 HIKING TRAIL", "FOUND 3 DEAD PIXELS IN THE CENTER",
    "we have 3 new items in the park",  # lower case without a cue: not read
    "address is 10 times faster now", "ship to 3 regions by noon", "deliver to 3 stores in the park",
])
def test_capitals_and_lower_case_that_name_no_street(scanner, text):
    assert spans(scanner, text, "STREET_ADDRESS") == []


def test_a_street_hashes_the_same_in_any_case(scanner):
    assert len(text_hashes(scanner, ("Ship to 12 Main St", "SHIP TO 12 MAIN ST", "ship to 12 main st"),
                           "STREET_ADDRESS")) == 1
