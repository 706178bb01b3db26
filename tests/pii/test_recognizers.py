"""Each category: positives and look-alike negatives side by side, in prose and in fields."""

import base64
import hashlib

import pytest

from tests.pii.conftest import aadhaar_number, by_path, cats, nir_number, scan_json, text_hashes

# (text, category expected or None, why)
PROSE = [
    ("Contact me at jane.doe@example.com please", "EMAIL", "plain address"),
    ("Write to JANE.DOE+billing@Example.COM today", "EMAIL", "case and plus tag"),
    ("Schreiben Sie an jürgen@müller.de bitte", "EMAIL", "internationalised domain"),
    ("γράψτε στο ελένη@παράδειγμα.gr σήμερα", "EMAIL", "Greek local part and domain"),
    ("see logo@2x.png in the bundle", None, "asset name, not a mailbox"),
    ("installed lodash@4.17.21 yesterday", None, "package pin"),
    ("dsn https://e12d836b15bb49d7bbf99e64295d995b@o1.ingest.sentry.io/42", None, "a URL's user and host (a Sentry DSN)"),
    ("Call me on (415) 555-0132 any time", "PHONE_NUMBER", "US national format"),
    ("Call me on +44 20 7946 0958 any time", "PHONE_NUMBER", "UK international"),
    ("my phone number is 415.555.0132.", "PHONE_NUMBER", "dotted, with context"),
    ("text me at 4155550132", "PHONE_NUMBER", "bare digits with a prose cue"),
    ("please call me on 98765 43210 today", "PHONE_NUMBER", "Indian mobile, national form without the trunk 0"),
    ("toll-free: call 1800 12 3456", "PHONE_NUMBER", "Indian toll-free"),
    ("Meine Handynummer ist 015123456789", "PHONE_NUMBER", "German cue before bare digits"),
    ("Bestellnummer 015123456789", None, "an order number, same digits"),
    ("the build 4155550132 failed", None, "bare digits without a cue"),
    ("my number is 4155550132", "PHONE_NUMBER", "'number' on its own names a phone"),
    ("my order number is 4155550132", None, "'order number' names an order"),
    ("routing number: 021000021 for the transfer", None, "a bank's number, not a phone"),
    ("ticket number 0301234567 is still open", None, "'ticket number' names a ticket"),
    ("contact number 0301234567", "PHONE_NUMBER", "'contact' is a cue of its own"),
    ("order number 55, call me on 4155550132", "PHONE_NUMBER", "an id's number, then a phone's cue"),
    ("order 123-456-7890 shipped", None, "not a valid number"),
    ('"- - -" 0 - 702 87599 92 - "-"', None, "byte counts in a log line: not grouped as a NANP number is written"),
    ("you can call me on 702 87599 92", "PHONE_NUMBER", "oddly grouped, but the text says phone"),
    ("Office: 702-875-9992, ask for Al", "PHONE_NUMBER", "grouped 3-3-4"),
    ("version 10.0.19045.2965 installed", None, "version string"),
    ("request a1b2c3d4-1111-2222-3333-444455556666 failed", None, "UUID groups"),
    ("at 2024-05-01T12:34:56Z the job ran", None, "ISO timestamp"),
    ("Card: 4242 4242 4242 4242, exp 12/29", "CREDIT_CARD", "test Visa with spaces"),
    ("Card: 4242-4242-4242-4241", None, "Luhn fails"),
    ("Amex 3782 822463 10005 on file", "CREDIT_CARD", "Amex grouping"),
    ("My SSN is 512-34-7788.", "US_SSN", "dashed SSN at sentence end"),
    ("ref 666-34-7788", None, "area 666"),
    ("Please ship it to Kurt-Zahn-Gasse 8/7 by Friday", "STREET_ADDRESS", "hyphenated German street, flat"),
    ("deliver to Storgatan 12, Stockholm", "STREET_ADDRESS", "Swedish street word"),
    ("adres: ul. Długa 90/2, Gdańsk", "STREET_ADDRESS", "Polish street type first, Latin Extended-A letters"),
    ("Spedire a Via Roma, 40 Milano", "STREET_ADDRESS", "Italian street type first"),
    ("woont op Mayalaan 9 in Utrecht", "STREET_ADDRESS", "Dutch street word"),
    ("Monitoring 5 hosts since Spring 2024", None, "English words ending in -ring"),
    ("as shown by Smith et al. Jones 2019", None, "a citation, not 'al.' for aleja"),
    ("Wire to DE89 3704 0044 0532 0130 00 EUR", "IBAN", "grouped IBAN followed by a word"),
    ("Wire to DE89 3704 0044 0532 0130 01", None, "mod-97 fails"),
    ("login from 8.8.4.4 at noon", "IP_ADDRESS", "public address"),
    ("login from 10.0.0.12 at noon", None, "private address is infrastructure"),
    ("client ::ffff:81.2.69.160 connected", "IP_ADDRESS", "IPv4-mapped IPv6, as Node and Java servers report clients"),
    ("client ::ffff:10.0.0.12 connected", None, "a mapped private address"),
    ("from 2a00:1450:0:0:0:0:0:200e today", "IP_ADDRESS", "eight groups, not all pairs"),
    ("SHA1 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD", None, "a fingerprint's pairs, not an IPv6 address"),
    ("Chrome/120.0.0.0 Safari", None, "version inside a user agent"),
    ("Hi, my name is Jane Doe.", "PERSON", "cue phrase"),
    ("My name is Mark Hicks and I need help", "PERSON", "naming cue; 'Mark' is a word, not in the name list"),
    ("my name is Zoran Baum, order 55", "PERSON", "naming cue, names outside the US census lists"),
    ("Hello, my name is Rens van der Veiver", "PERSON", "particles inside a family name"),
    ("Mijn naam is Sanne de Vries", "PERSON", "Dutch naming cue, names outside the census lists"),
    ("Nazywam się Piotr Kowalski", "PERSON", "Polish naming cue"),
    ("Bonjour, je suis Élodie Lefèvre", "PERSON", "French 'I am'"),
    ("Olá, o meu nome é João Silva", "PERSON", "Portuguese naming cue"),
    ("Ich bin Premium Kunde seit 2019", None, "German capitalises nouns: 'ich bin' is no naming cue"),
    ("Ich bin geboren am 12.03.1985 in Berlin", "DATE_OF_BIRTH", "German birth cue"),
    ("Je suis née le 12/03/1985", "DATE_OF_BIRTH", "French birth cue with an accent"),
    ("urodzony 12.03.1985 w Gdańsku", "DATE_OF_BIRTH", "Polish birth cue"),
    ("geboren am 12. März 1985", "DATE_OF_BIRTH", "German month name"),
    ("nacido el 12 de marzo de 1985", "DATE_OF_BIRTH", "Spanish month name with 'de'"),
    ("nascido em 12 de março de 1985", "DATE_OF_BIRTH", "Portuguese month name"),
    ("la réunion du 12 mars 1985", None, "a French date, no birth cue"),
    ("the invoice dated 12/03/1985", None, "a date, no birth cue"),
    ("Dear Zofia Wójcik,\nthanks for your order.", "PERSON", "greeting, names outside the census lists"),
    ("Best regards,\nSanne van Dijk", "PERSON", "sign-off"),
    ("Customer: Jan Nowakowski\nOrder: 1234", "PERSON", "a label names the person"),
    ("Mr. Ingbert Weimer complained", "PERSON", "title before unknown names"),
    ("Dear Hiring Manager,", None, "a role after a greeting"),
    ("Cheers,\nMarketing Ops", None, "a team signs off"),
    ("the field name is None here", None, "a literal, not a name"),
    ("This is Acme Billing calling about invoices", None, "'this is' introduces an organisation too"),
    ("I am Still Waiting for my refund", None, "title case in an angry ticket"),
    ("we flew to Rio de Janeiro last week", None, "a place with a particle"),
    ("Please ask Dr. Okonkwo about it", "PERSON", "title"),
    ("Dear Mr. Smith, your order shipped", "PERSON", "a title after a greeting, not the words 'Dear Mr'"),
    ("It was not me. Cheers, Stephanie", "PERSON", "a sign-off after a sentence ending in 'me.'"),
    ("To: April Chandler <april.c@example.com>", "PERSON", "a month that is a first name, before a family name"),
    ("Hi June, thanks for writing", "PERSON", "a month that is a first name, after a greeting"),
    ("We ship in April and May.", None, "months"),
    # First names that are also words: names before a family name, words elsewhere.
    ("Please email Grace Hopper about the refund.", "PERSON", "a word-name before a family name"),
    ("Ask Will Turner to call back.", "PERSON", "'Will' before a family name, after a capitalised verb"),
    ("Bill Gates wants an invoice.", "PERSON", "'Bill' before a family name, sentence-initial"),
    ("Mark Johnson asked for a refund.", "PERSON", "'Mark' before a family name"),
    ("Please forward the receipt to Rose Baker.", "PERSON", "a word-name and an occupational family name"),
    ("Faith Robinson paid by card.", "PERSON", "'Faith' before a family name"),
    ("The grace period ends soon.", None, "the word, in lower case"),
    ("Rose Garden tickets", None, "a family name that is also a word makes a phrase"),
    ("Joy Division played.", None, "a word-name before a word that is no family name"),
    ("Will Power", None, "'Power' is in the family names, and a word"),
    ("Mark Down the price", None, "'Mark' the verb"),
    ("Bill Payment failed", None, "'Bill' the noun"),
    ("Hope Street", None, "a street"),
    ("Frank Discussion", None, "a known first name before a word"),
    ("Will you send it?", None, "'Will' the verb, alone"),
    ("Bill To: Acme Corp", None, "an invoice label: 'To' is in the family names"),
    ("Mark Read clears the badge.", None, "an interface label"),
    ("Rose Gold cases are back in stock.", None, "a colour"),
    ("Art Class starts at noon.", None, "'Art' the noun"),
    ("Sky Blue paint is on sale.", None, "a colour"),
    ("Justice League tickets", None, "a title"),
    # Family names that are words, after a first name that is a place or a word too.
    ("Jordan River", None, "a place's name before a family name that is a word"),
    ("Virginia Beach", None, "a state before 'Beach'"),
    ("Sterling Silver", None, "a first name that is a word before a family name that is a word"),
    ("Crystal Ball", None, "'Crystal' before 'Ball'"),
    ("Thomas Power called.", "PERSON", "a plain first name before a family name that is a word"),
    # Common family names left out of the census list for being words: after a plain first name.
    ("Please email Margaret Brown about the refund.", "PERSON", "'Brown' after a first name"),
    ("Ask John White to call back.", "PERSON", "'White' after a first name, after a capitalised verb"),
    ("Email Sarah Young today.", "PERSON", "'Young' after a first name, after 'Email'"),
    ("Please email Margaret Hill about the refund.", "PERSON", "'Hill', a street word too, after a first name"),
    ("Jack Black", "PERSON", "'Black' after a first name, alone"),
    ("Contact Mary Green today.", "PERSON", "'Green', a street word too, after a cue"),
    ("I spoke with Thomas Wood yesterday.", "PERSON", "'Wood' after a cue (the cue alone found it before)"),
    ("Thomas Wood called yesterday.", "PERSON", "'Wood' after a first name, no cue"),
    ("Henry Ford wants a refund.", "PERSON", "'Ford', a street word too"),
    ("Martin Luther King", "PERSON", "a word family name after a middle name"),
    ("Victoria Park is closed.", None, "a place: 'Park' is no family name here, 'Victoria' a place"),
    ("Beverly Hills hotel", None, "'Hills' is no family name here"),
    ("Amber Alert issued", None, "'Alert' is no family name"),
    ("Georgia Tech", None, "a state and a word"),
    ("Forest Green paint", None, "'Forest' is a first name and a word: a colour"),
    ("Chase Bank", None, "a bank"),
    ("Heather Grey hoodie", None, "a first name that is a colour before a colour"),
    ("Earl Grey tea", None, "a rank before a colour"),
    ("Olive Green jacket", None, "a colour"),
    ("Holly Wood", None, "a plant before a word"),
    ("Columbus Day sale", None, "a holiday"),
    ("Max Price: 40", None, "a filter label"),
    ("In English, please.", None, "'In' is in the first names: a preposition"),
    ("We met at the Albert Hall.", None, "a hall after an article"),
    ("Meet me at Morgan Hall.", None, "a hall after a preposition of place"),
    ("Margaret Hill Road is closed.", None, "a street named after someone"),
    ("Grace Young called.", None, "a word-name before a word family name: no corroboration"),
    ("Young people shop online.", None, "the word alone"),
    ("Thanks, Margaret", "PERSON", "sign-off"),
    ("The Order Completed event fired", None, "capitalised words that are not names"),
    ("I live at 742 Evergreen Terrace, Springfield, IL 62704.", "STREET_ADDRESS", "US street + city line"),
    ("Ship to 221B Baker Street please", "STREET_ADDRESS", "UK style"),
    ("Meine Adresse ist Hauptstraße 5 in Berlin", "STREET_ADDRESS", "German order"),
    ("We sold 2024 Annual Reports", None, "number + capitalised words, no suffix"),
    ("It will ship to 2093 Melinda Gateway Suite 577, Dianefort, NY 82475", "STREET_ADDRESS",
     "a house number shaped like a year, after 'ship to'"),
    ("In 2019 Main Street Capital grew", None, "a year before a name with a street word"),
    ("I was born on March 3, 1985.", "DATE_OF_BIRTH", "month name"),
    ("DOB: 1985-04-12", "DATE_OF_BIRTH", "ISO with cue"),
    ("The invoice is dated 1985-04-12.", None, "a date without a birth cue"),
    ("born 2024-05-01T10:30:00Z", None, "timestamp even after a cue"),
    ("My passport number is 123456789", "PASSPORT", "passport cue"),
    ("tracking number 123456789", None, "same digits, no passport cue"),
    ("NI number AB 12 34 56 C", "NATIONAL_ID", "UK NINO"),
    (f"Aadhaar {aadhaar_number()[:4]} {aadhaar_number()[4:8]} {aadhaar_number()[8:]}", "NATIONAL_ID", "Aadhaar, Verhoeff valid"),
    (f"numéro de sécu {nir_number()}", "NATIONAL_ID", "French NIR"),
    ("DNI 12345678Z", "NATIONAL_ID", "Spanish DNI"),
    ("DNI 12345678A", None, "DNI with the wrong letter"),
    ("CPF 529.982.247-25", "NATIONAL_ID", "Brazilian CPF"),
    ("codice fiscale RSSMRA85T10A562S", "NATIONAL_ID", "Italian codice fiscale"),
    ("the courier left it at 48.85661, 2.35222", "GEO_COORDINATES", "lat, lon pair"),
    ("scores 3.14159, 2.71828", "GEO_COORDINATES", "a pair of precise floats reads as coordinates"),
    ("price 48.5, 2.3", None, "too few decimals"),
    ("Lat 37.4220, long -122.0841 is where I live", "GEO_COORDINATES", "labelled pair"),
    ("my location: lat=51.50072 lng=-0.12462", "GEO_COORDINATES", "labelled pair, no comma"),
    ("latitude 91.0000, longitude 10.0000", None, "a latitude out of range"),
    ("lat 48.5, long 2.3", None, "labelled, too few decimals"),
]


@pytest.mark.parametrize("text,category,why", PROSE, ids=[p[2] for p in PROSE])
def test_prose(scanner, text, category, why):
    found = cats(scanner.scan_text(text))
    if category is None:
        assert found == set(), f"{why}: got {found}"
    else:
        assert category in found, f"{why}: got {found}"


# A birth cue names the date after it, not every later date in the sentence.
BIRTH_CUE_REACH = [
    ("Patient Jane Doe, DOB 03/14/1982, MRN 00482913, was seen on 2024-02-01.", ["03/14/1982"]),
    ("born 12 March 1985 in Leeds, joined on 3 May 2010", ["12 March 1985"]),
    ("Geboren am 12.03.1985, eingestellt am 01.04.2010", ["12.03.1985"]),
    ("She was born, her passport says, on 1990-07-21.", ["1990-07-21"]),  # words between are fine
    ("joined 2010-05-03, born 1985-03-12", ["1985-03-12"]),  # a cue after the first date
]


@pytest.mark.parametrize("text,dates", BIRTH_CUE_REACH, ids=[t[0][:30] for t in BIRTH_CUE_REACH])
def test_birth_cue_reaches_the_next_date_only(scanner, text, dates):
    found = [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "DATE_OF_BIRTH"]
    assert found == dates


# People named by how they relate to the writer, as support chats and prompts name them.
@pytest.mark.parametrize("text,names", [
    ("My wife Sarah and I booked the room", ["Sarah"]),
    ("please refund my son Michael, he paid twice", ["Michael"]),
    ("our daughter Emily Clarke starts in May", ["Emily Clarke"]),  # two words: read as before
    ("I share the account with my roommate, Jessica", ["Jessica"]),
    ("my friend Will be there", []),  # a given name that is a word
    ("my son Soccer practice", []),  # no given name
    ("her landlord Acme Properties", []),
])
def test_names_after_a_relation(scanner, text, names):
    assert [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "PERSON"] == names


# Addresses spelt out against harvesters, as tickets and forum posts write them: read as
# the address they spell, masked and hashed as it.
@pytest.mark.parametrize("text,spelt,address", [
    ("reach me: john [at] example [dot] com", "john [at] example [dot] com", "john@example.com"),
    ("contact jane(at)example.org please", "jane(at)example.org", "jane@example.org"),
    ("email me at john at example dot com thanks", "john at example dot com", "john@example.com"),
    ("my email is Kate.Smith AT gmail DOT com", "Kate.Smith AT gmail DOT com", "kate.smith@gmail.com"),
    ("her email is jane dot doe at gmail dot com", "jane dot doe at gmail dot com", "jane.doe@gmail.com"),
    ("mail: jo [dot] ann [at] example [dot] org", "jo [dot] ann [at] example [dot] org", "jo.ann@example.org"),
    ("mail: j.doe {at} mail {dot} example {dot} co {dot} uk", "j.doe {at} mail {dot} example {dot} co {dot} uk",
     "j.doe@mail.example.co.uk"),
])
def test_spelt_addresses(scanner, text, spelt, address):
    (f,) = [f for f in scanner.scan_text(text) if f.category == "EMAIL"]
    assert (text[f.start:f.end], f.subtype) == (spelt, "spelt")
    (plain,) = scanner.scan_text(address)
    assert (f.value_hash, f.masked) == (plain.value_hash, plain.masked)
    assert address.split("@")[0] not in f.masked


@pytest.mark.parametrize("text", [
    "visit us at example dot com",  # "at" and "dot" as words spell a website as often
    "Look at example dot com", "the dot com boom at last", "we are at example.com today",
    "the score dot matrix at example dot com is down",  # no mail word before it
])
def test_spelt_look_alikes(scanner, text):
    assert [f for f in scanner.scan_text(text) if f.category == "EMAIL"] == []


def test_an_address_after_the_word_at_is_read_whole(scanner):
    # "me at jo" must not start a spelt address that swallows the real one's start
    text = "please email me at jo.doe@example.com or call"
    assert [(text[f.start:f.end], f.subtype) for f in scanner.scan_text(text) if f.category == "EMAIL"] == \
        [("jo.doe@example.com", "")]


# A direction after the street type belongs to the street: "Pennsylvania Ave NW" and
# "Pennsylvania Ave SE" are different places.
@pytest.mark.parametrize("text,street", [
    ("Send it to 77 Massachusetts Ave NW", "77 Massachusetts Ave NW"),
    ("SHIP TO: 1600 PENNSYLVANIA AVE NW", "1600 PENNSYLVANIA AVE NW"),
    ("Office: 100 King Street West, Toronto", "100 King Street West"),
    ("my address is 77 massachusetts ave nw, dc", "77 massachusetts ave nw"),
    ("Deliver to 1600 Pennsylvania Ave NW Apt 4, Washington, DC 20500",
     "1600 Pennsylvania Ave NW Apt 4, Washington, DC 20500"),  # the unit and city line after it, as without
    ("Meet at 12 Main St E-mail me first", "12 Main St"),  # a letter glued to a word is no direction
])
def test_street_directions_after_the_type(scanner, text, street):
    found = [f for f in scanner.scan_text(text) if f.category == "STREET_ADDRESS"]
    assert [text[f.start:f.end] for f in found] == [street]


# The postcode and town after a street, as Europe writes them, belong to it: "Hauptstraße 5"
# is on thousands of towns' maps, and its hash would count them as one person's address.
@pytest.mark.parametrize("text,street", [
    ("Please ship to Hauptstraße 5, 10115 Berlin by Friday", "Hauptstraße 5, 10115 Berlin"),
    ("Envoyez-le au 12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
    ("Mijn adres is Kerkstraat 12, 1017 GC Amsterdam, Nederland", "Kerkstraat 12, 1017 GC Amsterdam"),
    ("My new address: ul. Marszałkowska 84/92, 00-514 Warszawa", "ul. Marszałkowska 84/92, 00-514 Warszawa"),
    ("Rua Augusta 89, 1100-048 Lisboa", "Rua Augusta 89, 1100-048 Lisboa"),
    ("Storgatan 12, 114 55 Stockholm", "Storgatan 12, 114 55 Stockholm"),
    ("Adresse: Bahnhofstrasse 1, 8001 Zürich", "Bahnhofstrasse 1, 8001 Zürich"),
    ("Wohnt jetzt Lindenweg 3, 60311 Frankfurt am Main.", "Lindenweg 3, 60311 Frankfurt am Main"),
    ("ship it to 221B Baker Street, London NW1 6XE please", "221B Baker Street, London NW1 6XE"),
    ("I live at 27 Acacia Avenue, LS6 2AB", "27 Acacia Avenue, LS6 2AB"),
    ("Lieferadresse: Berliner Straße 12, 10115 Berlin", "Berliner Straße 12, 10115 Berlin"),  # the type a word
    ("Adresse: Vestre Allé 9, 2666 Sorø", "Vestre Allé 9, 2666 Sorø"),
    ("Wilhelmplatz 8/4, 7563 Bruck an der Leitha", "Wilhelmplatz 8/4, 7563 Bruck an der Leitha"),
    ("Steigerstrasse 449, 2000 Neuchâtel.", "Steigerstrasse 449, 2000 Neuchâtel"),  # a year-like code ending the line
    # neither a year, a sum nor a word after the street is its town
    ("Hauptstraße 5, 2024 Bericht folgt", "Hauptstraße 5"),
    ("Wir zahlen für Lindenweg 12, 1000 Euro Miete", "Lindenweg 12"),
    ("Meet at 10 Downing Street, London is lovely", "10 Downing Street"),
    ("Via Roma 15, 20 Persone", "Via Roma 15"),
    ("Berliner Straße 12, 3 Zimmer frei", "Berliner Straße 12"),
])
def test_street_with_its_postcode_and_town(scanner, text, street):
    found = [f for f in scanner.scan_text(text) if f.category == "STREET_ADDRESS"]
    assert [text[f.start:f.end] for f in found] == [street]


def test_a_street_in_two_towns_hashes_as_two_addresses(scanner):
    berlin, hamburg = (scanner.scan_text(f"ship to Hauptstraße 5, {town}")[0] for town in ("10115 Berlin", "20095 Hamburg"))
    assert berlin.value_hash != hamburg.value_hash


# Birth dates as clinical, airline and passport systems print them: the month in capitals,
# glued to day and year, after a dotted "D.O.B.".
PRINTED_BIRTHS = [
    ("D.O.B. 03/12/1985", "03/12/1985"),  # M/D/Y first, as elsewhere
    ("Pt seen today, d.o.b.: 1985-03-12.", "1985-03-12"),
    ("DATE OF BIRTH 12-MAR-1985", "12-MAR-1985"),
    ("DOB 12MAR1985 NATIONALITY GBR", "12MAR1985"),
    ("BORN 12 MARCH 1985", "12 MARCH 1985"),
]


@pytest.mark.parametrize("text,date", PRINTED_BIRTHS, ids=[t[0][:30] for t in PRINTED_BIRTHS])
def test_printed_birth_dates(scanner, text, date):
    found = [f for f in scanner.scan_text(text) if f.category == "DATE_OF_BIRTH"]
    assert [text[f.start:f.end] for f in found] == [date]
    # hashed as the date written any other way
    assert found[0].value_hash == scanner.scan_text("date of birth 1985-03-12")[0].value_hash


@pytest.mark.parametrize("text", ["FLIGHT 12MAR1985", "ISSUED 12-MAR-1985", "the d.o.b field is required",
                                  "EXPIRY 12MAR2030"])
def test_printed_dates_without_a_birth_cue(scanner, text):
    assert [f for f in scanner.scan_text(text) if f.category == "DATE_OF_BIRTH"] == []


# Two-digit years, as clinical notes and forms write a birth date: only right after a cue.
SHORT_YEAR_BIRTHS = [
    ("Patient DOB: 03/14/82, seen today.", ["03/14/82"], "1982-03-14"),
    ("D.O.B. 14.03.82", ["14.03.82"], "1982-03-14"),  # D/M/Y when M/D/Y is no date
    ("geb. 14.03.82 in Köln", ["14.03.82"], "1982-03-14"),
    ("Jürgen Müller, geb.: 14.03.82", ["14.03.82"], "1982-03-14"),  # offsets in characters, not bytes
    ("She was born 3-4-75 in Ohio.", ["3-4-75"], "1975-03-04"),
    ("date of birth: 31/12/99", ["31/12/99"], "1999-12-31"),
    ("DOB 03/14/1982", ["03/14/1982"], "1982-03-14"),  # four digits: the usual pattern
    ("DOB: 02/30/82", [], None),  # no such day either way
    ("Scores were 3/4/75 and 5/6/80.", [], None),  # no cue
    ("born in 1975, runs version 3.4.75", [], None),  # the cue is spent on 1975
    ("born 12/24/30", ["12/24/30"], "1930-12-24"),  # the latest century that puts it in the past
]


@pytest.mark.parametrize("text,spans,normalised", SHORT_YEAR_BIRTHS, ids=[t[0][:30] for t in SHORT_YEAR_BIRTHS])
def test_two_digit_year_after_a_birth_cue(scanner, text, spans, normalised):
    found = [f for f in scanner.scan_text(text) if f.category == "DATE_OF_BIRTH"]
    assert [text[f.start:f.end] for f in found] == spans
    if normalised:  # the same subject's hash as the date written in full
        full = scanner.scan_text(f"date of birth {normalised}")
        assert [f.value_hash for f in found] == [f.value_hash for f in full]


# (text, the person name found in it)
WORD_NAMES = [
    ("Ask Will Turner to call back.", "Will Turner"),
    ("Grace Ann Hopper called.", "Grace Ann Hopper"),  # a middle name between
    ("Thanks, Will do.", None),  # a greeting before the verb
    ("Dear Hope Solo, thanks.", "Hope Solo"),  # a greeting names a person whatever the words
    # Family names that are words: after a plain first name, the last word of the name.
    ("Ask John White to call back.", "John White"),
    ("Mary Ann Brown paid by card.", "Mary Ann Brown"),  # a middle name between
    ("Please look in Margaret Brown's account.", "Margaret Brown"),  # a possessive after "in"
    ("Contact Mary Green today.", "Mary Green"),
    ("Please email Margaret Hill Road about it.", None),  # a street: the suffix follows
    ("Ship to 14 Margaret Lane, Springfield, IL 62704", None),  # an address, not a person
    ("It will be delivered to 99351 Anne River, South Erin, NE 41676.", None),  # "delivered to" cues it too
    ("Rose Brown", None),  # a word-name before a word family name
]


@pytest.mark.parametrize("text,name", WORD_NAMES, ids=[w[0] for w in WORD_NAMES])
def test_first_names_that_are_words(scanner, text, name):
    found = [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "PERSON"]
    assert found == ([name] if name else [])


# Two given names and two family names (Spanish, Portuguese): the whole name is the finding,
# or its hash is not the one a data-subject lookup of the name computes.
LONG_NAMES = [
    ("Call María José García on Monday.", "María José García"),  # a leading verb took a word's place
    ("Email Ana María López Fernández now.", "Ana María López Fernández"),
    ("María José García López called.", "María José García López"),
    ("Ask John Smith Monday about it", "John Smith"),  # not a weekday after the name
    ("Call John Smith Road maintenance", "John Smith"),
    ("Call Maria Garcia, Lopez said", "Maria Garcia"),  # not across a comma
    ("Email Ana María López  ", "Ana María López"),  # blanks, then the end of the text
    ("Email Ana María López \nFernández wrote", "Ana María López"),  # not across a line break
]


@pytest.mark.parametrize("text,name", LONG_NAMES, ids=[w[0] for w in LONG_NAMES])
def test_a_long_name_is_found_whole(scanner, text, name):
    assert [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "PERSON"] == [name]


# A verb that addresses someone, first in a sentence or not: the name after it, without the
# verb (some of them are family names: "Tell", "Book", "Forward").
ADDRESSED = [
    ("Tell John Smith about the refund.", "John Smith"),
    ("Forward Robert Miller the invoice.", "Robert Miller"),
    ("Book Mary Jones for Tuesday.", "Mary Jones"),
    ("Remind Mary Ann about the refund.", "Mary Ann"),  # two given names, no family name
    ("Call Linda back tomorrow.", "Linda"),  # a known given name alone, as after "Hi"
    ("please ask Priya to check the order", "Priya"),
    ("Cc Linda on this", "Linda"),
    # Not names: the verb before a thing, a role or a word that is no given name.
    ("Call Center hours are 9-5", None),
    ("Contact Support for help", None),
    ("Show More", None),
    ("Page Not Found", None),
    ("Reply All", None),
    ("Call Mom tonight", None),
    ("Call Grace Hopper's office", "Grace Hopper"),
]


@pytest.mark.parametrize("text,name", ADDRESSED, ids=[w[0] for w in ADDRESSED])
def test_a_name_after_a_verb_that_addresses_someone(scanner, text, name):
    assert [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "PERSON"] == ([name] if name else [])


# Names the US census lists lack, in the sentences of tickets and prompts.
WORLD_NAMES = [
    ("Customer Siddharth Rao called about the order.", "Siddharth Rao"),
    ("Please refund Kwame Mensah today.", "Kwame Mensah"),
    ("Ngozi Eze wrote: the app crashes.", "Ngozi Eze"),
    ("Ticket from Mehmet Yılmaz: cannot log in", "Mehmet Yılmaz"),
    ("Ask Björn Lindqvist to call back", "Björn Lindqvist"),
    ("Customer Zhang Wei called about the order.", "Zhang Wei"),  # family name first
    ("Tanaka Hiroshi wrote: the app crashes.", "Tanaka Hiroshi"),
    ("Please refund Kim Min-jun today.", "Kim Min-jun"),  # a lower-case part after the hyphen
    ("Please refund Chidi Okeke today.", "Chidi Okeke"),  # a given name no list has, after a verb
    # Places whose words are names too, and places named after someone.
    ("We shipped it to Hong Kong last week.", None),
    ("The office in Santo Domingo is closed.", None),
    ("Monte Carlo is great.", None),
    ("Sierra Leone is great.", None),
    ("The store is in Lake Mary, Florida.", None),
    ("Port Elizabeth is sunny.", None),
    ("The settings page. Chidi Okeke said so.", None),  # a noun ending a sentence addresses no one
    # "My name is" in more languages: after it two capitalised words are a name, known or not.
    ("Меня зовут Иван Петров, помогите с заказом.", "Иван Петров"),
    ("Мене звати Олена Коваленко.", "Олена Коваленко"),
    ("Hej, jag heter Anna Lindqvist och behöver hjälp.", "Anna Lindqvist"),
    ("Nama saya Budi Santoso.", "Budi Santoso"),
    # "I'm" after a greeting introduces the name and is no part of it (its hash would differ).
    ("Hi, I'm John Smith and my card was charged twice.", "John Smith"),
    ("Hello, I'm Zofia Wójcik.", "Zofia Wójcik"),
    ("Hi, I'm new here and cannot log in.", None),
    # A family name that names parks and streets too, after a greeting or an introduction.
    ("I am Linda Park, the account owner.", "Linda Park"),
    ("Dear Seo-yeon Park, your refund is on its way.", "Seo-yeon Park"),
    ("We met at Lincoln Park yesterday.", None),
    ("Meet me at Linda Park tomorrow.", None),
    ("Dear Victoria Park residents, the gates close at 8.", None),
]


@pytest.mark.parametrize("text,name", WORLD_NAMES, ids=[w[0] for w in WORLD_NAMES])
def test_names_from_beyond_the_us_census(scanner, text, name):
    assert [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "PERSON"] == ([name] if name else [])


def test_a_city_named_after_someone_is_not_a_person(scanner):
    fs = scan_json(scanner, {"address": {"city": "Lake Kimberly", "line1": "12 Main St"}, "name": "Jessica Port"})
    assert by_path(fs).get("$.address.city") is None
    assert "PERSON" in by_path(fs)["$.name"]


def test_a_verb_is_kept_in_a_name_field(scanner):
    # A name field says the words are a name: "Tell" is then a family name, not a verb.
    f = next(f for f in scan_json(scanner, {"full_name": "Tell Johnson"}) if f.category == "PERSON")
    g = next(f for f in scan_json(scanner, {"full_name": "Johnson"}) if f.category == "PERSON")
    assert f.value_hash != g.value_hash


def test_word_name_lists_fit_the_name_lists():
    from detectors.pii.dictionaries import ambiguous_first_names, everyday_last_names, first_names, last_names
    # A word-name in first_names.txt would need no corroboration; a word not in last_names.txt
    # corroborates nothing, and has no place among the family names that are words.
    assert ambiguous_first_names() and ambiguous_first_names().isdisjoint(first_names())
    assert everyday_last_names() and everyday_last_names() <= last_names()
    assert {"Hopper", "Turner", "Gates"}.isdisjoint(everyday_last_names())


def test_family_names_that_are_words_fit_the_name_lists():
    from detectors.pii.dictionaries import ambiguous_last_names, first_names, last_names
    # Words last_names.txt leaves out: one there, or among the first names, needs no list.
    words = ambiguous_last_names()
    assert words and words.isdisjoint(last_names()) and words.isdisjoint(first_names())
    assert {"Brown", "White", "Young", "Hill", "Green", "Black", "King", "Wood", "Hall"} <= words
    # Words that after a first name mostly make a place or a thing.
    assert {"Park", "Street", "Station", "Hills", "Alert", "League", "Square", "Garden", "Bank", "West"}.isdisjoint(words)


def test_url_user_is_not_an_address_but_the_address_beside_it_is(scanner):
    text = "mail jane.doe@example.com, not https://jane.doe@example.com/ or ftp://ops@example.org"
    emails = [(f.start, f.end) for f in scanner.scan_text(text) if f.category == "EMAIL"]
    assert emails == [(5, 25)]


def test_prose_offsets_point_at_the_value(scanner):
    text = "Reach jane@example.com or (415) 555-0132."
    fs = {f.category: f for f in scanner.scan_text(text)}
    assert text[fs["EMAIL"].start:fs["EMAIL"].end] == "jane@example.com"
    assert text[fs["PHONE_NUMBER"].start:fs["PHONE_NUMBER"].end] == "(415) 555-0132"


# (field name, value, category expected or None)
FIELDS = [
    ("email", "jane@example.com", "EMAIL"),
    ("phone", "4155550132", "PHONE_NUMBER"),
    ("ph", "+1 415-555-0132", "PHONE_NUMBER"),
    ("order_id", "4155550132", None),  # a number under an id field
    ("timestamp", "1714567890", None),  # epoch seconds
    ("ts", "1714567890123", None),  # epoch milliseconds
    ("version", "10.2.3", None),
    ("uuid", "a1b2c3d4-1111-2222-3333-444455556666", None),
    ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", None),
    ("dob", "1985-04-12", "DATE_OF_BIRTH"),
    ("birthday", "04/12/1985", "DATE_OF_BIRTH"),
    ("created_at", "1985-04-12", None),  # a date, not a birth date
    ("dob", "19850412", "DATE_OF_BIRTH"),  # YYYYMMDD, as ad pixels send it
    ("birthdate", "1985-04-12T00:00:00.000Z", "DATE_OF_BIRTH"),  # a JavaScript Date, serialised
    ("dob", "12/04/85", "DATE_OF_BIRTH"),  # two-digit year
    ("dob", "12-Apr-1985", "DATE_OF_BIRTH"),
    ("created_at", "1985-04-12T00:00:00.000Z", None),
    # Indian mobiles are written without the trunk 0; the field says phone
    ("phone", "98765 43210", "PHONE_NUMBER"),
    ("mobile", "9876543210", "PHONE_NUMBER"),
    ("ref", "9876543210", None),
    ("batch", "0208-9695-1509", None),  # batch, lot and serial numbers are machine values
    ("lot_no", "7650-6608-1790", None),
    ("phone", "098765 43210", "PHONE_NUMBER"),  # with it: a six-digit first group
    ("handy", "015123456789", "PHONE_NUMBER"),  # German field name, bare digits
    # Field names in other languages: German, French, Spanish, Italian, Dutch, Polish
    ("geburtsdatum", "12.04.1985", "DATE_OF_BIRTH"),
    ("date_naissance", "12/04/1985", "DATE_OF_BIRTH"),
    ("fecha_nacimiento", "12/04/1985", "DATE_OF_BIRTH"),
    ("data_urodzenia", "12.04.1985", "DATE_OF_BIRTH"),
    ("vorname", "Jan", "PERSON"),
    ("nachname", "Kowalski", "PERSON"),
    ("apellido", "García", "PERSON"),
    ("cognome", "Rossi", "PERSON"),
    ("achternaam", "Jansen", "PERSON"),
    ("nazwisko", "Nowak", "PERSON"),
    ("adresse", "rue Clémence Samson", "STREET_ADDRESS"),
    ("anschrift", "Am Markt 5", "STREET_ADDRESS"),
    ("endereco", "Rua Augusta, 89", "STREET_ADDRESS"),
    ("reisepass", "C01X00T47", "PASSPORT"),  # German format, German field name
    ("passeport", "12AB34567", "PASSPORT"),  # French format
    ("ref", "C01X00T47", None),
    ("correo", "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d", "EMAIL"),  # a hashed e-mail
    ("order_date", "19850412", None),
    ("dob", "20850412", None),  # not yet born
    ("adobe_version", "1985-04-12", None),  # "dob" is a substring, not a token
    ("ssn", "512347788", "US_SSN"),
    ("tax_id", "512-44-6789", "US_SSN"),  # "id" in the name, but a tax id is the SSN itself
    ("national_id", "512-44-6789", "US_SSN"),
    ("order_id", "512-44-6789", None),
    ("metadata[tax_id]", "512-44-6789", "US_SSN"),  # Stripe's metadata: the words, not a "taxid" token
    ("h:Message-Id", "<20240101.abc123@mg.acme-shop.com>", None),  # Mailgun's header field, not a mailbox
    ("lesson_count", "512347788", None),
    ("first_name", "jane", "PERSON"),  # lower case is still a name in a name field
    ("lastName", "Hill", "PERSON"),
    ("name", "Jane Doe", "PERSON"),
    ("name", "Sanne van Dijk", "PERSON"),  # a particle in lower case
    ("line1", "rue Clémence Samson", "STREET_ADDRESS"),  # a street line without a number
    ("passport_number", "C01234567", "PASSPORT"),
    ("transport_ref", "C01234567", None),
    ("iban", "GB82 WEST 1234 5698 7654 32", "IBAN"),
    # Written compact, a German or Belgian IBAN is all hex characters: not a hex id.
    ("iban", "DE89370400440532013000", "IBAN"),
    ("payee", "BE68539007547034", "IBAN"),
    # Luhn-valid and Mastercard-prefixed too: the field names the scheme, so not a card.
    ("aadhaar", "507038410902", "NATIONAL_ID"),
    ("card_number", "4242424242424242", "CREDIT_CARD"),
    ("ip", "8.8.4.4", "IP_ADDRESS"),
    ("latitude", "48.85661", "GEO_COORDINATES"),
    ("latitude", "48.8", None),  # ~10 km: not a home
]


@pytest.mark.parametrize("name,value,category", FIELDS, ids=[f"{f[0]}={f[1]}" for f in FIELDS])
def test_field_context(scanner, name, value, category):
    found = by_path(scan_json(scanner, {name: value})).get(f"$.{name}", set())
    if category is None:
        assert not found & {"PHONE_NUMBER", "DATE_OF_BIRTH", "US_SSN", "PASSPORT", "CREDIT_CARD"}, found
    else:
        assert category in found, found


INVERTED = [
    ("name", "Smith, John", True),
    ("customer_name", "Müller, Jürgen", True),
    ("contact_name", "Doe, Jane A.", True),
    ("full_name", "García López, María", True),
    ("name", "Paris, France", False),  # a place: under a plain "name" both words must fit
    ("name", "Austin, Georgia", False),
    ("name", "Acme, Inc.", False),
    ("name", "Smith, Jones, Brown", False),  # a list, not one person
    ("title", "Smith, John", False),  # not a name field
]


@pytest.mark.parametrize("name,value,person", INVERTED, ids=[f"{f[0]}={f[1]}" for f in INVERTED])
def test_family_name_first(scanner, name, value, person):
    fs = [f for f in scan_json(scanner, {name: value}) if f.category == "PERSON"]
    if not person:
        assert fs == []
        return
    (f,) = fs
    assert (f.start, f.end) == (0, len(value))  # the whole value, not the given name alone
    # One person hashes alike written either way.
    given, family = value.split(", ")[1], value.split(", ")[0]
    (same,) = [g for g in scan_json(scanner, {"full_name": f"{given} {family}"}) if g.category == "PERSON"]
    assert f.value_hash == same.value_hash


def test_product_names_are_not_people(scanner):
    fs = scan_json(scanner, {"products": [{"name": "Blue Cotton Shirt"}], "library": {"name": "analytics.js"},
                             "from": {"name": "Example Shop"}, "product_name": "Grace Hopper Biography",
                             "notifier": {"name": "Bugsnag Ruby", "version": "6.26.0"}})
    assert "PERSON" not in cats(fs)
    assert cats(scan_json(scanner, {"customer": {"name": "Grace Hopper"}})) == {"PERSON"}


def test_city_under_an_address_is_not_a_street(scanner):
    fs = scan_json(scanner, {"address": {"city": "Port Smith", "line1": "12 Harbour Road"}})
    assert by_path(fs) == {"$.address.line1": {"STREET_ADDRESS"}}


def test_address_field_line1(scanner):
    fs = scanner.scan_request("POST", "/v1/customers", [], b"address[line1]=123+Main+Street+Apt+4&address[city]=Springfield",
                              "application/x-www-form-urlencoded")
    assert by_path(fs).get("form.address[line1]") == {"STREET_ADDRESS"}


def test_hashed_email_under_email_field(scanner):
    import hashlib

    h = hashlib.sha256(b"jane@example.com").hexdigest()
    fs = scanner.scan_request("GET", f"/tr?ud[em]={h}&event_id={hashlib.md5(b'x').hexdigest()}", [], b"")
    f = [x for x in fs if x.field_path == "query.ud[em]"]
    assert len(f) == 1 and f[0].category == "EMAIL" and f[0].encoding == "sha256"
    assert f[0].confidence < 0.9  # not on the watchlist: weaker evidence
    assert not [x for x in fs if x.field_path == "query.event_id"]
    md5 = hashlib.md5(b"jane@example.com").hexdigest().upper()
    f = scanner.scan_request("GET", f"/p?hashed_email={md5}", [], b"")
    assert [(x.category, x.encoding) for x in f] == [("EMAIL", "md5")]


def test_private_ip_reported_when_configured():
    from detectors.pii import Scanner

    s = Scanner({"report_private_ips": True}, key=b"k")
    assert "IP_ADDRESS" in cats(s.scan_text("from 10.0.0.12 today"))


def test_mapped_ipv4_is_the_same_subject_as_the_plain_address(scanner):
    (mapped,) = scanner.scan_text("client ::ffff:81.2.69.160 connected")
    (plain,) = scanner.scan_text("client 81.2.69.160 connected")
    assert mapped.value_hash == plain.value_hash and mapped.masked == plain.masked


def test_birth_date_forms_hash_alike(scanner):
    forms = ("1985-04-12", "19850412", "1985-04-12T00:00:00.000Z", "04/12/85", "12-Apr-1985", "April 12, 1985")
    hashes = {next(f.value_hash for f in scan_json(scanner, {"dob": v}) if f.category == "DATE_OF_BIRTH") for v in forms}
    assert len(hashes) == 1


@pytest.mark.parametrize("field,category", [
    ("hashed", "EMAIL"), ("hashedEmail", "EMAIL"), ("hashedPhoneNumber", "PHONE_NUMBER"), ("ph", "PHONE_NUMBER"),
    ("hashed_first_name", "PERSON"), ("fn", "PERSON"), ("db", "DATE_OF_BIRTH"), ("hashed_dob", "DATE_OF_BIRTH"),
])
def test_hashed_identifier_takes_its_category_from_the_field_name(scanner, field, category):
    import hashlib

    h = hashlib.sha256(b"jane.doe@example.com").hexdigest()
    fs = scan_json(scanner, {"userIdentifiers": [{field: h}]})
    assert [(f.category, f.encoding) for f in fs] == [(category, "sha256")]


def _sha(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def _b64(s: str) -> str:
    return base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()  # 44 characters, "=" last


def _b64url(s: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(s.encode()).digest()).decode().rstrip("=")  # 43


MAIL, FIRST, LAST, STREET, PHONE_E164 = "jane.doe@example.com", "jane", "doe", "1600 amphitheatre pkwy", "+14155550132"

# (vendor shape, document, field path, category, the plaintext hashed there)
HASHED_FIELDS = [
    ("GA4 MP first name", {"user_data": {"address": [{"sha256_first_name": _sha(FIRST)}]}},
     "$.user_data.address[].sha256_first_name", "PERSON", FIRST),
    ("GA4 MP last name", {"user_data": {"address": [{"sha256_last_name": _sha(LAST)}]}},
     "$.user_data.address[].sha256_last_name", "PERSON", LAST),
    ("GA4 MP street", {"user_data": {"address": [{"sha256_street": _sha(STREET)}]}},
     "$.user_data.address[].sha256_street", "STREET_ADDRESS", STREET),
    ("Google Ads street", {"userIdentifiers": [{"addressInfo": {"hashedStreetAddress": _sha(STREET)}}]},
     "$.userIdentifiers[].addressInfo.hashedStreetAddress", "STREET_ADDRESS", STREET),
    ("Google Ads first name", {"userIdentifiers": [{"addressInfo": {"hashedFirstName": _sha(FIRST)}}]},
     "$.userIdentifiers[].addressInfo.hashedFirstName", "PERSON", FIRST),
    ("base64 under em", {"user_data": {"em": [_b64(MAIL)]}}, "$.user_data.em[]", "EMAIL", MAIL),
    ("base64url under hashed_email", {"hashed_email": _b64url(MAIL)}, "$.hashed_email", "EMAIL", MAIL),
    ("base64 under email_sha256", {"email_sha256": _b64(MAIL)[:-1]}, "$.email_sha256", "EMAIL", MAIL),
    ("base64 under phone", {"phone": _b64(PHONE_E164)}, "$.phone", "PHONE_NUMBER", PHONE_E164),
]


@pytest.mark.parametrize("doc,path,category,plain", [f[1:] for f in HASHED_FIELDS], ids=[f[0] for f in HASHED_FIELDS])
def test_hashed_identifier_vendor_shapes(scanner, doc, path, category, plain):
    (f,) = scan_json(scanner, doc)
    assert (f.field_path, f.category, f.encoding) == (path, category, "sha256")
    # Hex or base64, one digest is one subject: hashed as its hex form.
    (hex_form,) = scan_json(scanner, {"hashed_email": _sha(plain)})
    assert f.value_hash == hex_form.value_hash and f.masked == hex_form.masked


def test_google_enhanced_conversions_pixel(scanner):
    # gtag's conversion pixel: user-provided data as base64url sha256, each part named.
    em = f"tv.1~em.{_b64url(MAIL)}~pn.{_b64url(PHONE_E164)}~fn.{_b64url(FIRST)}~sa.{_b64url(STREET)}~ct.{_b64url('paris')}"
    fs = scanner.scan_request("GET", f"/pagead/conversion/123456789/?label=AbC-D_efG&em={em}&random=1718047965123",
                              [("Host", "www.googleadservices.com")], b"")
    assert [(f.field_path, f.category, f.encoding) for f in fs] == [
        ("query.em", "EMAIL", "sha256"), ("query.em", "PHONE_NUMBER", "sha256"), ("query.em", "PERSON", "sha256"),
        ("query.em", "STREET_ADDRESS", "sha256")]  # the city ("ct") is too coarse to report, hashed or not
    for f, plain in zip(fs, (MAIL, PHONE_E164, FIRST, STREET)):
        assert em[f.start:f.end] == _b64url(plain)


# A digest under a name that does not say whose it is, or names a value not reported in
# the clear (a city, a postal code, a customer id): not reported.
NOT_HASHED_IDENTIFIERS = [
    ("checksum", {"checksum": _sha("release.tar.gz")}),
    ("etag", {"etag": _sha("v2")}),
    ("git sha", {"sha": hashlib.sha1(b"commit").hexdigest()}),
    ("commit", {"commit": hashlib.sha1(b"commit").hexdigest()}),
    ("hash", {"hash": _sha("x")}),
    ("digest", {"digest": _sha("x")}),
    ("sha256", {"sha256": _sha("x")}),
    ("content sha256 in base64", {"content_sha256": _b64("x")}),
    ("subresource integrity", {"integrity": "sha256-" + _b64("app.js")}),
    ("integrity base64", {"integrity": _b64("app.js")}),
    ("Meta city", {"user_data": {"ct": [_sha("paris")]}}),
    ("Meta state", {"user_data": {"st": [_sha("ca")]}}),
    ("Meta zip", {"user_data": {"zp": [_sha("94043")]}}),
    ("Meta country", {"user_data": {"country": [_sha("us")]}}),
    ("Meta external id", {"user_data": {"external_id": [_sha("usr_8842")]}}),
    ("hashed postal code", {"addressInfo": {"hashedPostalCode": _sha("94043")}}),
    ("hashed device id", {"hashed_device_id": _sha("abc")}),
    ("wallet address", {"wallet_address": hashlib.sha1(b"wallet").hexdigest()}),
    ("base64 word under em", {"em": "Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}),
    ("Google city and postal code", {"em": f"tv.1~ct.{_b64url('paris')}~pc.{_b64url('75001')}"}),
]


@pytest.mark.parametrize("doc", [f[1] for f in NOT_HASHED_IDENTIFIERS], ids=[f[0] for f in NOT_HASHED_IDENTIFIERS])
def test_digest_that_is_no_identifier(scanner, doc):
    assert scan_json(scanner, doc) == []


def test_base64_of_an_email_is_not_a_digest(scanner):
    # 32 characters of text make 43 of base64, a sha256's length: decoded, it is the e-mail.
    mail = "jane.doe.long.name@example.co.uk"
    (f,) = scan_json(scanner, {"email": base64.b64encode(mail.encode()).decode()})
    assert (f.category, f.encoding) == ("EMAIL", "base64")


@pytest.mark.parametrize("doc,path", [
    ({"card": {"number": "4242 4242 4242 4242", "cvc": "123"}}, "$.card.cvc"),
    ({"payment": {"cardNumber": "4242424242424242", "cvv": "4567"}}, "$.payment.cvv"),
    ({"billing": {"security_code": "812"}}, "$.billing.security_code"),
])
def test_card_security_code_is_reported_and_never_shown(scanner, doc, path):
    (f,) = [f for f in scan_json(scanner, doc) if f.subtype == "security_code"]
    assert (f.category, f.field_path, f.masked) == ("CREDIT_CARD", path, "***")


@pytest.mark.parametrize("doc", [
    {"cvc": "12"}, {"cvv": "12345"}, {"cvc": "abc"}, {"code": "123"}, {"cvc_check": "pass"},
])
def test_card_security_code_negatives(scanner, doc):
    assert not [f for f in scan_json(scanner, doc) if f.subtype == "security_code"]


# A security code named in a sentence: a card pasted into a chat or a prompt whole.
@pytest.mark.parametrize("text,code", [
    ("card 4111-1111-1111-1111 exp 12/27 cvv 123", "123"),
    ("my card is 4111 1111 1111 1111, CVC: 1234", "1234"),
    ("the card security code is 737", "737"),
    ("CVV2 456 on the back", "456"),
])
def test_card_security_code_in_text(scanner, text, code):
    (f,) = [f for f in scanner.scan_text(text) if f.subtype == "security_code"]
    assert (text[f.start:f.end], f.category, f.masked) == (code, "CREDIT_CARD", "***")


@pytest.mark.parametrize("text", [
    "the cvv field is required", "CVC 12345", "your security code is 4821", "cvv 123/456", "cvc 12.50",
    "see cid 123", "recvv 123",
])
def test_card_security_code_in_text_negatives(scanner, text):
    assert not [f for f in scanner.scan_text(text) if f.subtype == "security_code"]


def test_bank_account_number_under_a_bank_field(scanner):
    # Stripe's ACH bank account, form-encoded; Plaid's auth numbers.
    fs = scanner.scan_request("POST", "https://api.stripe.com/v1/customers/cus_1/sources", [],
                              b"bank_account[account_number]=000123456789&bank_account[routing_number]=110000000"
                              b"&bank_account[country]=US", "application/x-www-form-urlencoded")
    assert [(f.category, f.field_path, f.masked) for f in fs] == [
        ("BANK_ACCOUNT", "form.bank_account[account_number]", "********6789")]
    plaid = {"numbers": {"ach": [{"account": "1111222233330000", "routing": "011401533"}]}}
    assert [(f.category, f.field_path) for f in scan_json(scanner, plaid)] == [
        ("BANK_ACCOUNT", "$.numbers.ach[].account")]


@pytest.mark.parametrize("doc,path", [
    # Dwolla's and Gusto's funding sources: the object has no bank name, its fields do.
    ({"routingNumber": "222222226", "accountNumber": "123456789", "bankAccountType": "checking"},
     "$.accountNumber"),
    ({"employee": {"routing_number": "021000021", "account_number": "5057950055"}}, "$.employee.account_number"),
    ({"payee": {"sort_code": "20-00-00", "account_number": "55779911"}}, "$.payee.account_number"),
])
def test_bank_account_beside_its_bank_fields(scanner, doc, path):
    assert [(f.category, f.field_path) for f in scan_json(scanner, doc)] == [("BANK_ACCOUNT", path)]


def test_bank_account_siblings_are_those_of_its_own_object(scanner):
    # The routing number is in another object: the customer number stays a customer's.
    doc = {"user": {"account_number": "1002345678901234"}, "employer": {"routing_number": "021000021"}}
    assert not [f for f in scan_json(scanner, doc) if f.category == "BANK_ACCOUNT"]
    # ...and the same field (long enough for the quiet cache) is read again, not
    # remembered as quiet, once a routing number stands beside it.
    doc = {"user": {"account_number": "1002345678901234", "routing_number": "021000021"}}
    assert [f.field_path for f in scan_json(scanner, doc) if f.category == "BANK_ACCOUNT"] == \
        ["$.user.account_number"]


@pytest.mark.parametrize("doc", [
    {"account": "1111222233330000"},  # a user account, not a bank's
    {"user": {"account_number": "10023"}},  # a customer number: no bank in sight
    {"bank_account": {"account_number": "1111"}},  # too few distinct digits
    {"bank_account": {"account_number": "ACCT-7781"}},
])
def test_bank_account_negatives(scanner, doc):
    assert not [f for f in scan_json(scanner, doc) if f.category == "BANK_ACCOUNT"]


# (text, the account number found in it, or None): a bank account in prose is named as
# an account and has a bank's name near it.
BANK_PROSE = [
    ("Sort code 20-00-00 account 55779911, thanks", "55779911"),
    ("my routing number is 021000021 and account 123456789", "123456789"),
    # "routing number" six words back: each "number" named an id, however far back
    ("routing number is 021000021 and checking account number 5057950055", "5057950055"),
    ("Please refund to my bank account number 000123456789.", "000123456789"),
    ("Your account #88812345 at Chase Bank", "88812345"),
    ("Kontonummer 1234567890, BLZ 37040044", "1234567890"),
    ("número de cuenta 0049 1500 05 1234567892 en el banco", "0049 1500 05 1234567892"),  # a Spanish CCC
    ("wire to acct no. 987654321", "987654321"),
    ("account number 12345678 for your Netflix login", None),  # no bank in sight
    ("account ending 4242 at the bank", None),  # four digits only
    ("bank account 0049 1500 05 1234567892 1234 55", None),  # more digits than any account
    ("bank account 1111 1111", None),  # too few distinct digits
]


@pytest.mark.parametrize("text,number", BANK_PROSE, ids=[t[0][:30] for t in BANK_PROSE])
def test_bank_account_in_prose(scanner, text, number):
    found = [f for f in scanner.scan_text(text) if f.category == "BANK_ACCOUNT"]
    assert [text[f.start:f.end] for f in found] == ([number] if number else [])
    for f in found:
        digits = "".join(c for c in number if c.isdigit())
        assert digits not in f.masked and f.masked.endswith(digits[-2:])
        assert [f.value_hash] == [g.value_hash for g in scan_json(scanner, {"bank": {"account_number": digits}})]


def test_a_labelled_pair_is_the_same_finding_as_the_bare_pair(scanner):
    def geo(text: str):
        (found,) = [f for f in scanner.scan_text(text) if f.category == "GEO_COORDINATES"]
        return found

    bare, labelled = geo("I am at 37.4220, -122.0841 now"), geo("I am at lat 37.4220, long -122.0841 now")
    assert (labelled.value_hash, labelled.masked) == (bare.value_hash, bare.masked)
    assert "lat" not in labelled.masked


@pytest.mark.parametrize("cue", ["n° sécu :", "numéro de sécurité sociale"])
def test_french_cues_raise_a_nir_as_their_unaccented_forms_do(scanner, cue):
    def confidence(text):
        return [f.confidence for f in scanner.scan_text(text) if f.category == "NATIONAL_ID"]
    number = nir_number().replace(" ", "")
    accented = confidence(f"{cue} {number}")
    assert accented == confidence(f"{cue.replace('é', 'e')} {number}")
    assert accented[0] > confidence(f"ref {number}")[0]


# Family names the lists lack, known by their Gaelic or Norman prefix; and the
# typographic apostrophe phones type, read (and hashed) as a plain one.
@pytest.mark.parametrize("text,names", [
    ("Robert O'Neil called about his refund", ["Robert O'Neil"]),
    ("Ask John McAllister about it", ["John McAllister"]),
    ("Thanks, Sean O’Brien", ["Sean O’Brien"]),
    ("Dear Ms D’Souza,", ["D’Souza"]),
    ("I bought a MacBook Pro yesterday", []),
    ("Mac OS and McAfee updates", []),
])
def test_prefixed_family_names(scanner, text, names):
    assert [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == "PERSON"] == names


def test_a_typographic_apostrophe_hashes_as_a_plain_one(scanner):
    assert len(text_hashes(scanner, ("Thanks, Sean O’Brien", "Thanks, Sean O'Brien"), "PERSON")) == 1
    (f,) = scan_json(scanner, {"customer": {"name": "Sean O’Brien"}})
    assert f.category == "PERSON" and f.value_hash in text_hashes(scanner, ("Thanks, Sean O'Brien",), "PERSON")


# An IBAN typed in lower case, as forms receive it: under its field, or right after its
# name in text; read, masked and hashed as the IBAN in capitals.
@pytest.mark.parametrize("where", ["field", "text"])
def test_a_lower_case_iban(scanner, where):
    iban = "de89 3704 0044 0532 0130 00"
    fs = scan_json(scanner, {"iban": iban}) if where == "field" else scanner.scan_text(f"pay to iban {iban} thanks")
    (f,) = [f for f in fs if f.category == "IBAN"]
    (upper,) = scanner.scan_text("IBAN DE89 3704 0044 0532 0130 00")
    assert (f.value_hash, f.masked) == (upper.value_hash, upper.masked)


@pytest.mark.parametrize("text", [
    "iban de89 3704 0044 0532 0130 01",  # its check digits fail
    "order de89370400440532013000 shipped",  # no name before it: a token's case says nothing
])
def test_lower_case_iban_look_alikes(scanner, text):
    assert [f for f in scanner.scan_text(text) if f.category == "IBAN"] == []
