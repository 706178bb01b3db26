"""Names and birth dates as German, Dutch, Polish, French, Spanish and Italian text writes
them: titles ("Herr", "Dhr.", "Pan"), the greetings that open a letter ("Hallo Hans,",
"Querida Ana,"), labels ("Kunde", "klant"), the closings before the writer's name ("Viele
Grüße\nKlaus") and "geb." / "3. April 1975" / "3 kwietnia 1975"; and the same words where no
one is named ("Liebe Grüße", "Sehr geehrte Damen und Herren", "Danke Schön")."""

import pytest

from tests.pii.conftest import spans


def persons(scanner, text):
    return spans(scanner, text, "PERSON")


@pytest.mark.parametrize("text,name", [
    ("Herr Hans Müller hat angerufen", "Hans Müller"),  # "Herr" is a family name too
    ("Bitte an Herrn Hans Müller weiterleiten", "Hans Müller"),
    ("Sehr geehrter Herr Müller, vielen Dank", "Müller"),
    ("Kunde Hans Müller meldet einen Fehler", "Hans Müller"),
    ("Dhr. Jan de Vries belde vanochtend", "Jan de Vries"),
    ("Mevr. Sanne de Vries", "Sanne de Vries"),
    ("Pan Jan Kowalski zadzwonił", "Jan Kowalski"),
    ("Hallo Hans, danke für die Nachricht", "Hans"),
    ("Liebe Anna, anbei die Rechnung", "Anna"),
    ("Bonjour Pierre, merci pour votre message", "Pierre"),
    ("Hola María, gracias por tu pedido", "María"),
    ("Querida Ana, te escribo por tu pedido", "Ana"),
    ("Ciao Marco, ecco la fattura", "Marco"),
    ("Hej Lars, tack för ditt meddelande", "Lars"),
    ("Gentile Diana Paoletti, grazie", "Diana Paoletti"),  # "Gentile" is a family name too
])
def test_names_after_titles_greetings_and_labels(scanner, text, name):
    assert persons(scanner, text) == [name]


@pytest.mark.parametrize("text", [
    "Liebe Grüße", "Beste Grüße aus Berlin", "Sehr geehrte Damen und Herren,", "Hallo Team, das Update ist live",
    "Bonjour Madame, votre commande est partie", "Hallo Welt", "Hola a todos", "Hallo zusammen, kurze Info",
])
def test_greetings_that_name_no_one(scanner, text):
    assert persons(scanner, text) == []


def test_a_family_name_that_is_a_title_elsewhere_stays_a_name(scanner):
    assert persons(scanner, "Eric Herr called about the invoice") == ["Eric Herr"]
    assert persons(scanner, "Peter Pan") == ["Peter Pan"]


@pytest.mark.parametrize("text,date", [
    ("Kunde Hans Müller, geb. 03.04.1975", "03.04.1975"),
    ("geboren am 3. April 1975 in Köln", "3. April 1975"),
    ("Jan de Vries, geb. 12-06-1980", "12-06-1980"),
    # month names as Dutch, Polish (in the genitive) and the Nordic languages write them
    ("geboren op 3 april 1975 in Utrecht", "3 april 1975"),
    ("urodziła się 12 października 1988 w Krakowie", "12 października 1988"),
    ("urodzony 3 kwietnia 1975", "3 kwietnia 1975"),
    ("född 3 maj 1975 i Malmö", "3 maj 1975"),
    ("født 3. marts 1975", "3. marts 1975"),
])
def test_german_and_dutch_birth_dates(scanner, text, date):
    assert spans(scanner, text, "DATE_OF_BIRTH") == [date]


@pytest.mark.parametrize("text", ["Lieferung am 3. April 1975 bestätigt", "levering op 3 april 1975",
                                  "dostawa 3 kwietnia 1975"])
def test_a_date_without_a_birth_cue_is_no_birth_date(scanner, text):
    assert not [f for f in scanner.scan_text(text) if f.category == "DATE_OF_BIRTH"]


# Where a ticket or an e-mail pasted into a prompt names its writer: after the closing,
# often by first name alone, and after greetings of two words.
@pytest.mark.parametrize("text,name", [
    ("Liebe Grüße, Hans", "Hans"),  # not lost behind "Liebe Grüße", read as two names
    ("Viele Grüße\nKlaus", "Klaus"),
    ("Mit freundlichen Grüßen\nHans Müller", "Hans Müller"),
    ("Vielen Dank, Anna", "Anna"),
    ("Gruß Hans", "Hans"),
    ("Cordialement,\nPierre", "Pierre"),
    ("Merci, Sophie", "Sophie"),
    ("Saludos cordiales,\nJuan", "Juan"),
    ("Un saludo,\nJuan Pérez", "Juan Pérez"),  # "Un" is a given name in the lists
    ("Gracias, Lucía", "Lucía"),
    ("Distinti Saluti, Marco", "Marco"),
    ("Met vriendelijke groet,\nJan", "Jan"),
    ("Pozdrawiam, Piotr", "Piotr"),
    ("Olá João, tudo bem?", "João"),  # "Olá" folds to the given name "Ola"
    ("Bom dia Pedro, segue a fatura", "Pedro"),
    ("Buongiorno Luca, ecco la fattura", "Luca"),
    ("Buenos días, Carmen", "Carmen"),
    ("Guten Tag Anna, anbei die Rechnung", "Anna"),
    ("Kind Regards, Anna", "Anna"),
    ("Best Regards,\nTom", "Tom"),
    ("Many Thanks, Anna", "Anna"),
    ("Thank you, Anna", "Anna"),
])
def test_names_after_closings_and_greetings_of_two_words(scanner, text, name):
    assert persons(scanner, text) == [name]


@pytest.mark.parametrize("text", [
    "Danke Schön!", "Merci Beaucoup !", "Grazie Mille!", "Muchas gracias a todos", "Saludos cordiales",
    "Guten Tag zusammen", "Bom dia a todos", "Vielen Dank, Team", "Moin Moin", "Good Morning America",
    "Kind Regards", "Thank You", "git tag Release\n", "Best Wishes from the Acme Team",
])
def test_closings_that_name_no_one(scanner, text):
    assert persons(scanner, text) == []
