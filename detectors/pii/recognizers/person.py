"""Person names in prose and in name fields.

The default recogniser is fast and dictionary-driven: census first and last names,
titles (Mr, Ms, Dr), cue phrases ("my name is", "Dear") and capitalisation. First names
that are also words ("Grace", "Will") count only before a family name or after a cue; family
names that are words ("Brown", "Hill") only after a first name that is not. An NER
backend (spaCy) can add to it when enabled in config; see ``ner.py``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, Iterable

from ..context import NAME_FIELD, NOT_PERSON_PARENT, STRONG_NAME_FIELD
from ..dictionaries import (ambiguous_first_names, ambiguous_last_names, everyday_last_names, first_names, last_names,
                            street_suffixes)
from ..finding import Category
from .base import Ctx, Hit, Recognizer
from .script_names import name_in_script

# A hyphen may join a lower-case part: "Min-jun", "Seo-yeon" (Korean given names).
_WORD: Final = r"\p{Lu}(?:\p{Ll}+|'\p{Lu}\p{Ll}+)(?:\p{Lu}\p{Ll}+)?(?:-\p{Lu}?\p{Ll}+)?"
# Byte-level supersets for the prefilter: an upper-case letter (ASCII, or any non-ASCII
# character as its UTF-8 bytes), a word's first byte, and what follows a capital
# (\p{Ll} or an apostrophe).
_LU_B: Final = r"(?:[A-Z]|[\xc0-\xff][\x80-\xbf]{1,3})"
_CAP_B: Final = r"[A-Z\xc0-\xff]"
_LL_B: Final = r"(?:[a-z']|[\xc0-\xff])"
# A word in capitals ("O'BRIEN", "JEAN-LUC", "JOSÉ"), and its byte-level superset after an
# ASCII capital; a cue that names the writer, in lower case ("my name is john smith").
# No \b: RE2's is ASCII's, and "ÉTIENNE" starts with no word character; validate() checks
# the characters around the match instead.
_CAPITALS_WORD: Final = r"\p{Lu}{2,}(?:['\-]\p{Lu}+)?"
# Capitals beyond ASCII: any character of U+00C0-U+057F (Latin, Greek, Cyrillic, Armenian)
# and the Georgian, Latin and Greek extended blocks; lower case among them is let through.
_NON_ASCII_CAPITAL_B: Final = r"[\xc3-\xd5][\x80-\xbf]|\xe1[\x82\x83\xb8-\xbf][\x80-\xbf]"
_CAPITAL_B: Final = r"(?:[A-Z]|" + _NON_ASCII_CAPITAL_B + ")"
_UPPER_B: Final = r"(?:[A-Z'\-]|\xe2\x80\x99|" + _NON_ASCII_CAPITAL_B + ")"
_LOWER_CUE: Final = r"\b(?:name[ \t]+is|name's|call[ \t]+me|i[ \t]+am|i'm)[ \t]+"
# Greetings before a name typed in lower case, as chat does ("hi john,", "thanks sarah!").
_LOWER_GREETINGS: Final = ("hi", "hey", "hello", "dear", "thanks", "thx", "cheers", "hallo", "hola", "bonjour", "salut",
                           "ciao")
# People named by how they relate to the writer: "my wife Sarah", "our son Tom", "her
# landlord Mr Patel". Before a given name alone, the possessive and the word are the cue.
_RELATIONS: Final = frozenset({
    "wife", "husband", "son", "daughter", "mother", "father", "mom", "mum", "dad", "brother", "sister", "friend",
    "boss", "colleague", "coworker", "partner", "girlfriend", "boyfriend", "fiancé", "fiancée", "fiance", "fiancee",
    "grandmother", "grandfather", "grandma", "grandpa", "aunt", "uncle", "cousin", "nephew", "niece", "child", "kid",
    "neighbour", "neighbor", "roommate", "flatmate", "manager", "landlord", "tenant", "stepson", "stepdaughter",
})
_POSSESSIVES: Final = frozenset({"my", "our", "his", "her", "your", "their"})
_ADDR_LOCAL: Final = r"[^<>@\s]{1,64}@"  # an address's local part and its "@", after "<"
_DISPLAY_WORD: Final = re.compile(r'[^\s"]+')
_MOST_CAPITALS_WORDS: Final = 6  # a run of words in capitals is read in matches of up to six


def _unknown_name_word(word: str) -> bool:
    """A word in capitals that may be a name the lists lack: letters (a hyphen or an
    apostrophe inside), and no word that labels, greets or names a thing."""
    w = word.capitalize()
    return word.replace("-", "").replace("'", "").isalpha() and w not in _NOT_NAME and w not in _ORG and \
        w not in _ROLES and w.lower() not in _GREETINGS and w.lower() not in _LABELS


def _capitals_after(text: str, end: int) -> list[str]:
    """Up to two words in capitals right after ``end``, one space apart: where a match of
    six words ended inside a name ("... FOR CUSTOMER JOHN" "SMITH")."""
    out: list[str] = []
    while len(out) < 2 and text[end:end + 1] == " ":
        word = text[end + 1:end + 41].split(" ", 1)[0]
        if not word.isupper() or not word.replace("-", "").replace("'", "").isalpha():
            break
        out.append(word)
        end += 1 + len(word)
    return out
# Lower-case particles between the words of a name ("Sanne van Dijk", "Maria de la Cruz").
_PARTICLE_WORDS: Final[tuple[str, ...]] = ("van", "von", "de", "der", "den", "del", "della", "di", "da", "das", "do", "dos", "du", "la",
                   "le", "ter", "ten", "zu")
_PARTICLE: Final = "(?:" + "|".join(_PARTICLE_WORDS) + r")[ \t]+"
_TITLE: Final = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"
# And in German, Dutch, Polish, Spanish, Portuguese and Italian: "Herr(n)", "Dhr.", "Mevr.",
# "Pan(i)", "Sr(a).", "Sig.".
_TITLES: Final = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "madame", "monsieur", "herr", "frau",
                            "mme", "mlle", "herrn", "dhr", "mevr", "mw", "pan", "pani", "sr", "sra", "srta", "sig", "signor",
                            "signora"})
# Verbs that, first in a sentence, address someone: "Tell John Smith", "Call Linda back",
# "Remind Mary Ann". Capitalised, they are dropped from the front of a name (some are
# family names too: "Tell", "Book", "Forward"); a known first name alone after one is a
# person, as after a greeting. Verbs that are given names ("Bill", "Ping") are left out.
_ADDRESSING: Final = frozenset({
    "tell", "ask", "call", "email", "text", "remind", "thank", "pay", "invite", "notify", "refund", "help",
    "meet", "contact", "message", "phone", "forward", "let", "give", "show", "book", "charge", "send", "page",
    "reply", "write", "introduce", "assign", "escalate", "inform", "warn", "reimburse", "credit", "wire", "cc",
})
_ADDRESSING_WORDS: Final = frozenset(w.capitalize() for w in _ADDRESSING)


def _either_case(phrases: Iterable[str]) -> str:
    """An alternation of lower-case words and phrases, each word also capitalised
    ("[Hh]ello|[Gg]uten[ \\t]+[Tt]ag|..."), longest first: where a phrase and its first word
    both match, RE2 takes the first alternative. Letters that are not ASCII are written as
    themselves, which the byte-mode prefilter reads as their UTF-8 bytes."""
    def word(w: str) -> str:
        head = f"[{w[0].upper()}{w[0]}]" if w[0].isascii() else f"(?:{w[0].upper()}|{w[0]})"
        return head + w[1:]
    return "|".join(r"[ \t]+".join(word(w) for w in p.split()) for p in sorted(phrases, key=len, reverse=True))


_ADDRESSING_RX: Final = _either_case(sorted(_ADDRESSING))
_LOWER_GREETING_RX: Final = "(?:" + _either_case(_LOWER_GREETINGS) + ")"
# Sorted: a fixed order in every process, as the prefilter's cache key needs.
_RELATION_RX: Final = "(?:" + _either_case(sorted(_POSSESSIVES)) + r")[ \t]+(?:" \
    + "|".join(sorted(_RELATIONS, key=lambda w: (-len(w), w))) + ")"
# Greetings in English and those that open a letter in German, French, Spanish, Italian,
# Dutch, Portuguese, Polish and the Nordic languages: "Hallo Hans,", "Liebe Anna,", "Sehr
# geehrter Herr Müller", "Geachte mevrouw", "Querida María", "Olá João", "Buongiorno Luca".
# Not Dutch "Beste", which is German for "best" ("Beste Grüße").
_GREETINGS_INTL: Final = ("hallo", "liebe", "lieber", "geehrte", "geehrter", "bonjour", "bonsoir", "salut", "hola", "estimado",
                          "estimada", "querido", "querida", "ciao", "caro", "cara", "gentile", "buongiorno", "buonasera",
                          "geachte", "hej", "hei", "hoi", "moin", "servus", "olá", "prezado", "prezada", "witam", "cześć")
# Greetings and closings of several words. The pattern tries them before single words, so
# that "Viele Grüße\nKlaus" and "Kind Regards, Anna" are not read as the names "Viele Grüße"
# and "Kind Regards", and the name after them lost. Their last word alone may greet no one
# ("git tag Release").
_OPENING_PHRASES: Final = ("good morning", "good afternoon", "good evening", "guten tag", "guten morgen", "guten abend",
                           "bom dia", "boa tarde", "boa noite", "buenos días", "buenas tardes", "buenas noches",
                           "dzień dobry")
_CLOSING_PHRASES: Final = ("kind regards", "best regards", "warm regards", "kindest regards", "warmest regards",
                           "many thanks", "thank you", "best wishes", "yours sincerely", "yours truly", "liebe grüße",
                           "viele grüße", "beste grüße", "herzliche grüße", "schöne grüße", "freundliche grüße",
                           "mit freundlichen grüßen", "vielen dank", "bien cordialement", "un saludo", "un abrazo",
                           "saludos cordiales", "muchas gracias", "cordiali saluti", "distinti saluti", "un saluto",
                           "muito obrigado", "muito obrigada", "met vriendelijke groet", "vriendelijke groeten",
                           "med vänliga hälsningar", "vänliga hälsningar", "med vennlig hilsen")
_OPENING_PAIRS: Final = tuple(tuple(p.split()) for p in _OPENING_PHRASES)
_GREETING_PAIRS: Final = _OPENING_PAIRS + tuple(tuple(p.split()) for p in _CLOSING_PHRASES)
# Closings and thanks before the writer's name: "Cordialement,\nPierre", "Gracias, Lucía",
# "Met vriendelijke groet, Jan", "Pozdrawiam, Piotr", "Gruß Hans".
_CLOSINGS_INTL: Final = ("grüße", "grüsse", "grüßen", "grüssen", "gruß", "gruss", "groet", "groeten", "groetjes", "danke",
                         "bedankt", "cordialement", "amicalement", "salutations", "bises", "merci", "saludos",
                         "atentamente", "abrazos", "besos", "gracias", "saluti", "grazie", "atenciosamente", "abraços",
                         "beijos", "obrigado", "obrigada", "pozdrawiam", "pozdrowienia", "dziękuję", "hälsningar",
                         "hilsen", "mvh", "tack", "takk")
_GREETING_WORDS: Final = ("dear", "hi", "hello", "hey", "thanks", "regards", "sincerely", "cheers") + _GREETINGS_INTL + \
    _CLOSINGS_INTL
_GREETINGS: Final = frozenset(_GREETING_WORDS)
_GREETING_RX: Final = _either_case(_OPENING_PHRASES + _CLOSING_PHRASES + _GREETING_WORDS)


def _greeted(cue_words: list[str]) -> bool:
    """The words before end in a greeting or closing ("Hi", "Guten Tag", "Liebe Grüße")."""
    return bool(cue_words) and (cue_words[-1] in _GREETINGS or _GREETING_ENDINGS.end(cue_words))


def _greeting_or_label(word: str) -> bool:
    """A word that greets, closes or labels ("Hallo", "Grüße,", "Kunde:")."""
    w = word.rstrip(",:").lower()
    return w in _GREETINGS or w in _LABELS


def _leading_phrase(words: list[str]) -> int:
    """How many of the first ``words`` are a greeting or closing of several words ("Un saludo,",
    "Mit freundlichen Grüßen"): they are cues, whatever names they hold ("Un", "Kind", "Tag")."""
    if not words or words[0].rstrip(",").lower() not in _GREETING_ENDINGS.firsts:
        return 0  # no greeting starts with the first word
    for n in reversed(_GREETING_ENDINGS.lengths):  # the longest first
        if len(words) > n and tuple(w.rstrip(",").lower() for w in words[:n]) in _GREETING_ENDINGS.phrases:
            return n
    return 0


# Words that, just before a capitalised name, say a person is being named.
_CUES: Final = frozenset({*_GREETINGS, "name", "named",
    "called", "customer", "client", "patient", "user", "employee", "contact", "signed", "from",
    "by", "with", "to", "cc", "attn", "attention", "agent", "recipient", "mother", "father",
    "wife", "husband", "son", "daughter", "colleague", "manager", "friend", "am", "i'm", "im",
    "is", "this", "best", "warm", "cardholder", "holder", "owner", "for",
})
# Cues that can only introduce a name: after them two capitalised words are a person
# even when neither is in the (US census) dictionaries: "my name is Zofia Wójcik",
# "mijn naam is Sanne de Vries", "nazywam się Piotr Kowalski".
_NAMING_CUES: Final[tuple[tuple[str, ...], ...]] = (
    ("name", "is"), ("call", "me"), ("named",),
    ("naam", "is"), ("ik", "heet"), ("name", "ist"), ("heiße",), ("heisse",), ("m'appelle",), ("nom", "est"),
    ("me", "llamo"), ("nombre", "es"), ("chiamo",), ("nome", "è"), ("nome", "é"), ("chamo",), ("nazywam", "się"),
    ("imię",), ("зовут",), ("звати",), ("heter",), ("hedder",), ("nimeni", "on"), ("jmenuji", "se"), ("adım",),
    ("nama", "saya"),
)
_STRONG_CUES: Final[tuple[tuple[str, ...], ...]] = (
    ("my", "name", "is"), ("i", "am"), ("i'm",), ("this", "is"),
    # Not "ich bin": German capitalises its nouns ("Ich bin Premium Kunde").
    ("je", "suis"), ("ik", "ben"), ("soy",), ("sou",), ("jestem",),
) + _NAMING_CUES
# In a name field, also the particles the text patterns leave out ("Ana y Ruiz", "bin"):
# the field already says a name is there.
_PARTICLES: Final = frozenset(_PARTICLE_WORDS) | {"y", "e", "bin", "ibn", "al", "el"}
# Capitalised words that start sentences or name organisations and places, never people.
_NOT_NAME: Final = frozenset({
    "The", "A", "An", "I", "I'm", "We", "You", "He", "She", "They", "It", "My", "Our", "Your", "His", "Her",
    "This", "That", "These", "Those", "Please", "Thanks", "Thank", "Hi", "Hello", "Dear", "Hey",
    "Regards", "Best", "Sincerely", "Cheers", "Monday", "Tuesday", "Wednesday", "Thursday",
    "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December", "Inc", "Ltd", "Llc", "Corp", "Co",
    "Company", "Group", "Bank", "University", "Street", "Avenue", "Road", "Order", "Account",
    "Customer", "Support", "Team", "Service", "Product", "Yes", "No", "Ok", "Okay", "If", "When",
    "What", "Why", "How", "Where", "Who", "Can", "Could", "Would", "Should", "Is", "Are", "Was",
    "Also", "And", "But", "Or", "So", "Then", "Just", "Not", "New", "Mr", "Mrs", "Ms", "Dr",
    "Miss", "Prof", "Sir", "Madam", "Name", "Email", "Phone", "Address", "Subject", "Re", "Fwd",
    # "the name is None": literals in technical text and tickets
    "None", "True", "False", "Null", "Nil", "Undefined", "NaN", "Unknown", "Empty", "Missing", "Blank", "Default",
})


# Words that make a capitalised phrase an organisation or a thing, not a person.
_ORG: Final = frozenset({
    "Shop", "Store", "Team", "Support", "Inc", "Llc", "LLC", "Ltd", "GmbH", "Company", "Co", "Corp",
    "Group", "Labs", "App", "Service", "Services", "Bank", "Club", "Foundation", "University",
    "School", "Hospital", "Clinic", "Agency", "Partners", "Holdings", "Systems", "Solutions",
    "Technologies", "Software", "Media", "Studio", "Studios", "Market", "Cafe", "Restaurant",
    "Hotel", "Airlines", "Insurance", "Pharmacy", "Center", "Centre", "Department", "Office",
    "Shirt", "Order", "Product", "Account", "Plan", "Pro", "Premium", "Free", "Notification",
})
# Months that are also first names: a name before a known family name or after a
# greeting ("April Chandler", "Hi June"), else a month ("in April").
_MONTH_FIRST_NAMES: Final = frozenset({"April", "May", "June", "August"})
# Words that label the next words as a person: "Customer: Zofia Wójcik", "Attn Jan de Vries".
_LABELS: Final = frozenset({"name", "customer", "client", "patient", "contact", "cardholder", "holder", "recipient", "attn",
                     "attention", "signed", "passenger", "guest", "employee", "applicant",
                     # "Kunde Hans Müller", "klant Jan de Vries", "cliente María López"
                     "kunde", "kundin", "klant", "klient", "klientin", "cliente", "patientin", "paciente", "paziente"})
_LABELS_RX: Final = "|".join(sorted(_LABELS, key=lambda w: (-len(w), w)))  # the same in every process
# A name word in either case: "Smith", "SMITH", "O'BRIEN", "McAllister". The Gaelic
# prefix is spelt out: a second \p{Lu}\p{Ll}+ in each of this word's four places grew the
# recogniser's RE2 DFA past its memory budget, and RE2 then matched 25 times as slowly.
_ANY_CASE_WORD: Final = r"(?:Ma?c)?\p{Lu}(?:\p{Ll}+|\p{Lu}+|'\p{Lu}\p{Ll}+|'\p{Lu}+)(?:-\p{Lu}?\p{L}+)?"
# Titles airline data puts after the given name: "SMITH/JOHN MR".
_PNR_TITLES: Final = frozenset({"MR", "MRS", "MS", "MISS", "MSTR", "DR", "PROF"})
# What follows a greeting or a label without being anyone's name.
_ROLES: Final = frozenset({
    "Manager", "Customer", "Customers", "Holder", "Colleague", "Colleagues", "All", "Everyone", "Friend", "Friends",
    "Member", "Members", "Partner", "Partners", "User", "Users", "Client", "Clients", "World", "There", "Folks",
    "Valued", "Hiring", "Recruiter", "Admin", "Administrator", "Owner", "Applicant", "Candidate", "Sales",
    "Billing", "Accounts", "Payable", "Receivable", "Desk", "Sir", "Madam", "Guest", "Guests", "Patient",
    "Marketing", "Ops", "Operations", "Engineering", "Finance", "Legal", "Security", "Compliance", "HR", "IT",
    "Success", "Care", "Help", "Helpdesk", "Onboarding", "Payroll", "Procurement", "Management", "Board",
    "Siri", "Cortana", "Bixby",  # voice assistants: "Hey Siri" (Alexa is a given name too)
    # after the greetings of other languages: "Liebe Grüße", "Sehr geehrte Damen und Herren",
    # "Bonjour Madame", "Hola a Todos", "Hallo Zusammen"
    "Grüße", "Grüsse", "Gruß", "Grüßen", "Damen", "Herren", "Kollegen", "Kolleginnen", "Kunden", "Kundin", "Kunde",
    "Zusammen", "Madame", "Monsieur", "Herr", "Frau", "Señor", "Señora", "Todos", "Tutti", "Signora", "Signore",
    "Mevrouw", "Meneer", "Heer", "Collega", "Colleghi", "Amigos", "Amici", "Cliente", "Clientes",
    "Welt", "Monde", "Mundo", "Mondo", "Wereld",  # "Hallo Welt": Hello World
    # after thanks and closings: "Danke Schön", "Merci Beaucoup", "Grazie Mille", "Bom dia Pessoal"
    "Schön", "Vielmals", "Sehr", "Beaucoup", "Mille", "Amigo", "Amiga", "Equipo", "Leute", "Allerseits",
    "Tous", "Toutes", "Todas", "Gente", "Pessoal", "Allemaal", "Iedereen", "Wszystkim", "America",
})


class _Endings:
    """Phrases of words, looked for at the end of the words before a name (and greetings
    at the start of a match, in _leading_phrase): one set lookup a phrase length, not one
    comparison a phrase."""

    def __init__(self, phrases: Iterable[tuple[str, ...]]) -> None:
        self.phrases: frozenset[tuple[str, ...]] = frozenset(phrases)
        if () in self.phrases:
            raise ValueError("a phrase of no words")
        self.lengths: tuple[int, ...] = tuple(sorted({len(p) for p in self.phrases}))
        # The phrases' first and last words: most words before a name end no phrase, and
        # one set lookup says so before a tuple is built for each length.
        self.firsts: frozenset[str] = frozenset(p[0] for p in self.phrases)
        self.lasts: frozenset[str] = frozenset(p[-1] for p in self.phrases)

    def end(self, words: list[str]) -> bool:
        if not words or words[-1] not in self.lasts:
            return False
        n_words = len(words)
        for n in self.lengths:
            if n <= n_words and tuple(words[n_words - n:]) in self.phrases:
                return True
        return False


_GREETING_ENDINGS: Final = _Endings(_GREETING_PAIRS)
_OPENING_ENDINGS: Final = _Endings(_OPENING_PAIRS)
_STRONG_ENDINGS: Final = _Endings(_STRONG_CUES)
_NAMING_ENDINGS: Final = _Endings(_NAMING_CUES)


def _strong(cue_words: list[str]) -> bool:
    """The words before end in a phrase that introduces a person ("my name is", "I am")."""
    return _STRONG_ENDINGS.end(cue_words)


def _introduces(cue_words: list[str], dropped: list[str]) -> bool:
    """The words before end in a phrase, title, greeting or label that introduces a person, or
    the match began with a verb that addresses someone (``dropped``: its words before the name):
    an unknown capitalised word right after it is kept as part of the name."""
    if not cue_words:
        return False
    last = cue_words[-1]
    return last in _TITLES or _greeted(cue_words) or last in _LABELS or _strong(cue_words) or _addressed(dropped)


_SALUTATIONS: Final = frozenset({"dear", "hi", "hello", "hey", *_GREETINGS_INTL})


def _salutes(cue_words: list[str]) -> bool:
    """The words before greet or introduce someone ("Dear", "I am"): what follows is a person
    even when their family name names streets and parks too ("Linda Park", "Seo-yeon Park")."""
    return bool(cue_words) and (cue_words[-1] in _SALUTATIONS or _OPENING_ENDINGS.end(cue_words)
                                or _strong(cue_words))


def _addressed(dropped: list[str]) -> bool:
    """The match began with a verb that addresses someone, right before the name: not a noun
    ending the sentence before ("the settings page. Thanks, Eric")."""
    return bool(dropped) and dropped[-1] in _ADDRESSING


# Countries and US states that are also given names: "Paris, France" and "Austin, Georgia"
# under a plain "name" field are places.
_PLACES: Final = frozenset({
    "France", "Georgia", "Jordan", "Chad", "India", "Israel", "China", "Kenya", "Chile", "Cuba", "Ireland", "Italia",
    "Virginia", "Carolina", "Dakota", "Indiana", "Louisiana", "Nevada", "Montana", "Arizona", "Florida", "Maryland",
    "Tennessee", "Washington", "Victoria", "Tasmania", "Brittany", "Normandy", "Holland", "England", "Scotland",
})


# Places whose words are given and family names too ("Hong Kong", "Monte Carlo", "Sierra
# Leone"): a phrase that starts with one is not a person.
_PLACE_NAMES: Final = frozenset({
    "Hong Kong", "Santo Domingo", "Sierra Leone", "Monte Carlo", "Santa Clara", "Santa Monica", "Santa Fe",
    "Santa Cruz", "Santa Barbara", "Santa Ana", "Santa Rosa", "Belo Horizonte", "Tierra del Fuego", "San Marino",
    "San Jose", "San Juan", "Costa Rica", "Costa Mesa", "Sri Lanka", "Puerto Rico", "Porto Alegre", "Rio Grande",
    "Las Vegas", "Los Angeles", "Baton Rouge", "Buenos Aires", "Kuala Lumpur", "Abu Dhabi", "Tel Aviv", "La Paz",
    "Addis Ababa", "Phnom Penh", "Kota Kinabalu", "Ho Chi Minh", "Palo Alto", "San Diego", "San Antonio",
    "San Francisco", "Corpus Christi", "Boca Raton", "Santiago de Chile", "Mar del Plata", "Nizhny Novgorod",
    "Cape Town", "Fort Worth", "Des Moines", "Green Bay", "Le Mans", "Saint Petersburg", "Rio de Janeiro",
})
_COMPASS: Final = frozenset({"North", "South", "East", "West"})
_PLACE_NAME_WORDS: Final = max(len(p.split()) for p in _PLACE_NAMES)


def _place_name(words: list[str]) -> bool:
    """The words begin with a place's name."""
    return any(" ".join(words[:n]) in _PLACE_NAMES for n in range(2, min(len(words), _PLACE_NAME_WORDS) + 1))


# First names in first_names.txt that are also words for colours, stones, plants, seasons, feasts,
# ranks and virtues, or plain words ("In", "Max"): before a family name that is a word too they make
# a phrase ("Sterling Silver", "Heather Grey", "Holly Wood", "Earl Grey", "Crystal Ball", "Max Price",
# "In English", "Columbus Day"). Those that are everyday words in last_names.txt ("Forest",
# "Summer", "Royal") are found through everyday_last_names.txt.
_PHRASE_FIRST_NAMES: Final = frozenset({
    "Amber", "Autumn", "Berry", "Cherry", "Columbus", "Coral", "Crystal", "Daisy", "Dawn", "Dusty", "Earl", "Easter",
    "Ebony", "Emerald", "Fern", "Ginger", "Harmony", "Hazel", "Heather", "Holly", "Honey", "In", "Iris", "Irish",
    "Ivory", "Ivy", "Jade", "Laurel", "Liberty", "Lily", "Magnolia", "Maple", "Marina", "Max", "Mercy", "Min",
    "Misty", "Olive", "Pearl", "Penny", "Prince", "Raven", "Rosemary", "Ruby", "Rusty", "Sage", "Sandy", "Scarlett",
    "Star", "Sterling", "Sunny", "Trinity", "Valentine", "Violet", "Willow",
})


# Words just before a first name and a family name that is a word which make the two a place:
# "the Albert Hall", "at Morgan Hill", "St. John Wood".
_PLACE_CUES: Final = frozenset({"the", "a", "an", "at", "in", "near", "on", "st", "saint"})


# Family names by their Gaelic or Norman prefix, which the lists cannot hold all of:
# "O'Neil", "D'Souza", "McAllister", "MacLeod".
_PREFIXED_FAMILY: Final = re.compile(r"(?:O'|D'|Mc|Mac)[A-Z][a-z]{2,}")
_PREFIXED_NOT_NAMES: Final = frozenset({"MacBook", "MacPorts", "McAfee"})


def _prefix_recased(w: str) -> str:
    """"O'neill" -> "O'Neill", "Mcdonald" -> "McDonald": a prefixed family name with the
    capital after its prefix that str.capitalize() took away. Not "Mac": "Machine",
    "Macro" and "Mackerel" are words."""
    for prefix in ("O'", "D'", "Mc"):
        if w.startswith(prefix) and len(w) > len(prefix) + 2:
            n = len(prefix)
            return w[:n] + w[n].upper() + w[n + 1:]
    return w


def _without_initials(words: list[str]) -> list[str]:
    """``words`` without initials ("A.")."""
    return [w for w in words if not (len(w) == 2 and w[1] == ".")]


def _fold(word: str) -> str:
    """"Agnès" -> "Agnes", "Heinz-Georg" -> "Heinz": dictionary form of a name word."""
    if "-" not in word and word.isascii():
        return word  # most words: the callers then skip a second lookup
    w = word.split("-", 1)[0]
    if not w.isascii():
        w = unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode()
    return w


# The parts of a name object: HL7 FHIR's {"name": [{"family": "Chalmers", "given": ["Peter"]}]}.
_NAME_PARTS: Final = frozenset({"family", "given"})


class PersonRecognizer(Recognizer):
    name: str = "person"
    category: str = Category.PERSON
    # Two or three capitalised words, or one after a cue word or title ("Hi Jane",
    # "Mr. Smith", "name is Jane"): single capitalised words alone are too common to try.
    # Where two patterns match at one place, the scanner's RE2 takes the first: the cue
    # pattern comes before the plain one ("Dear Mr. Smith" must not be read as the words
    # "Dear Mr"), and the family-name-first patterns before both.
    patterns: tuple[str, ...] = (
        # Family name first after a label, as records write it ("Patient: Smith, John"); and
        # the airline's SURNAME/GIVEN ("SMITH/JOHN MR"). First: a label is a capitalised word.
        r"\b(?i:" + _LABELS_RX + r")[ \t]*:[ \t]*" + _ANY_CASE_WORD + r"(?:[ \t]+" + _ANY_CASE_WORD + r")?,[ \t]+"
        + _ANY_CASE_WORD
        + r"(?:[ \t]+(?:" + _ANY_CASE_WORD + r"|\p{Lu}\.))?",
        # (Capitals before it are taken too: else the capitals pattern below, starting there,
        # would end at the slash: "PAX NGUYEN" of "PAX NGUYEN/EDWARD MR".)
        r"(?:" + _CAPITALS_WORD + r"[ \t]+){0,3}" + _CAPITALS_WORD + r"/" + _CAPITALS_WORD
        + r"(?:[ \t]+" + _CAPITALS_WORD + r"){0,2}",
        # A comma may follow a greeting or verb and a dot a title ("... not me. Cheers,
        # Stephanie" is no cue "me" before a name "Cheers"); a title may follow a
        # greeting.
        r"\b(?:(?:" + _GREETING_RX + r"|is|am|I'm|me|Sir|Madam|"
        + _ADDRESSING_RX + r"),?"
        r"[ \t\n]+(?:" + _TITLE + r"[ \t\n]+)?|" + _TITLE + r"[ \t\n]+)"
        + _WORD + r"(?:[ \t]+(?:" + _PARTICLE + r"){0,2}" + _WORD + r"){0,2}",
        _WORD + r"(?:[ \t]+(?:\p{Lu}\.[ \t]+)?(?:" + _PARTICLE + r"){0,2}" + _WORD + r"){1,3}",
        # Written in capitals throughout, or without any after a naming cue: see _uncased.
        _CAPITALS_WORD + r"(?:[ \t]+" + _CAPITALS_WORD + r"){1," + str(_MOST_CAPITALS_WORDS - 1) + r"}",
        _LOWER_CUE + r"\p{Ll}{2,}(?:[ \t]+\p{Ll}{2,}){0,2}",
        # A greeting before capitals: "Hi JOHN,", "Dear MARIA", "Thanks, JOHN SMITH". Last:
        # where another pattern matches from the greeting, it is read as before.
        r"\b(?:" + _GREETING_RX + r"),?[ \t\n]+" + _CAPITALS_WORD + r"(?:[ \t]+" + _CAPITALS_WORD + r"){0,"
        + str(_MOST_CAPITALS_WORDS - 2) + r"}",
        # In lower case, one or two words between a greeting and a comma or "!": "hi john,".
        r"\b" + _LOWER_GREETING_RX + r",?[ \t]+\p{Ll}{2,}(?:[ \t]+\p{Ll}{2,})?[,!]",
        # After a relation: "my wife Sarah", "our son Tom Baker".
        r"\b" + _RELATION_RX + r",?[ \t]+" + _WORD + r"(?:[ \t]+(?:" + _PARTICLE + r"){0,2}" + _WORD + r"){0,2}",
        # A mail display name in lower case, up to the address's "@": "john smith <john@...".
        r"\b\p{Ll}{2,}(?:[ \t]+\p{Ll}{2,}){0,2}\"?[ \t]*<" + _ADDR_LOCAL,
    )
    # Hyperscan superset in byte mode (UTF-8 classes for \p{Lu}/\p{Ll} compile and scan
    # several times slower): a capitalised word, blanks, an optional initial and the
    # first two characters of the next capitalised word; or a cue word and a capital.
    prefilter: tuple[str, ...] = (
        _CAP_B + r"[A-Za-z\x80-\xff'\-]*[ \t]+(?:" + _LU_B + r"\.[ \t]+)?(?:" + _PARTICLE + r"){0,2}" + _LU_B + _LL_B,
        r"\b(?:" + _GREETING_RX + r"|is|am|I'm|me|Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|"
        + _ADDRESSING_RX + r"),?\.?[ \t\n]+"
        + _LU_B + _LL_B,
        _CAPITAL_B + _UPPER_B + r"+[ \t]+" + _CAPITAL_B + _UPPER_B,
        r"(?i:" + _LABELS_RX + r")[ \t]*:[ \t]*" + _CAP_B + r"[A-Za-z\x80-\xff'\-]*,[ \t]+" + _CAP_B,
        r"[A-Z]{2}[A-Z'\-]*/[A-Z]{2}",
        _LOWER_CUE + r"[a-z](?:[a-z]|[\xc3-\xc5])",  # "pío", "rómulo"
        r"\b(?:" + _GREETING_RX + r"),?[ \t\n]+" + _CAPITAL_B + _UPPER_B,
        r"\b" + _LOWER_GREETING_RX + r",?[ \t]+[a-z](?:[a-z]|[\xc3-\xc5])",
        r"(?:[a-z]|[\xc3-\xc5][\x80-\xbf])\"?[ \t]*<" + _ADDR_LOCAL,
        r"\b" + _RELATION_RX + r",?[ \t]+" + _LU_B + _LL_B,
    )
    context: frozenset[str] = NAME_FIELD
    score: float = 0.8
    field_hints: frozenset[str] = NAME_FIELD | _NAME_PARTS

    def __init__(self) -> None:
        self.first = first_names()
        self.last = last_names()
        self.suffixes = street_suffixes()
        # First names that are also words ("Grace", "Will"), and family names that are words too
        # ("Garden", "Power"): see _word_name.
        self.word_first: frozenset[str] = ambiguous_first_names()
        self.word_last: frozenset[str] = everyday_last_names()
        # Common family names that are words ("Brown", "Hill"), not in last_names: see _word_family_name.
        self.word_family: frozenset[str] = ambiguous_last_names()

    def _is_first(self, w: str) -> bool:
        if w in self.first:
            return True
        f = _fold(w)
        return f is not w and f != w and f in self.first

    def _is_last(self, w: str) -> bool:
        if w in self.last:
            return True
        f = _fold(w)
        if f is not w and f != w and f in self.last:
            return True
        if w[:1] not in "OMD":
            return False
        if _PREFIXED_FAMILY.fullmatch(w) is None:
            # str.capitalize() of "O'NEILL" or "MCDONALD", as capitals are read: "O'neill".
            w = _prefix_recased(w)
            if w in self.last:
                return True
        return _PREFIXED_FAMILY.fullmatch(w) is not None and w not in _PREFIXED_NOT_NAMES

    def _word_name(self, words: list[str]) -> bool:
        """A first name that is also a word, before a family name: "Grace Hopper", "Bill Gates",
        not "Rose Garden", "Will Power" or "Bill To". Alone, or before any other word, it is the word."""
        if len(words) < 2 or words[0] not in self.word_first:
            return False
        rest = words[1:]
        # The family name must not be a word itself, and a middle word must be a name too.
        return self._is_last(rest[-1]) and self.word_last.isdisjoint(rest) and \
            all(self._is_first(w) or self._is_last(w) for w in rest[:-1])

    def _more_family_names(self, words: list[str], text: str, end: int) -> int:
        """Append to ``words`` the known family names right after ``end`` (up to four words in
        all), and return the new end."""
        while len(words) < 4:
            rest = text[end:end + 40]
            following = rest.lstrip(" \t")
            gap = len(rest) - len(following)
            if not 0 < gap <= 2 or not following or following[0].isspace():
                break  # the end of the text, or a line break: the name ended
            word = following.split(None, 1)[0].rstrip(",.;:!?")
            if not word[:1].isupper() or not self._is_last(word) or word in self.word_last or word in _NOT_NAME:
                break
            words.append(word)
            end += gap + len(word)
        return end

    def _family_name_first(self, words: list[str]) -> bool:
        """Two words in East Asian order, a family name that is no given name and then a given
        name: "Zhang Wei", "Tanaka Hiroshi"; not a place named after someone ("Lake Mary",
        "Port Elizabeth", "West Jordan")."""
        first = words[0]
        return len(words) == 2 and self._is_last(first) and not self._is_first(first) and \
            self._is_first(words[1]) and words[1] not in self.word_last and \
            first not in self.suffixes and first not in _COMPASS

    def _phrase_first(self, w: str) -> bool:
        """A first name that is also a word or a place ("Sterling", "Forest", "Jordan"): before a
        family name that is a word too it makes a phrase ("Sterling Silver", "Jordan River")."""
        return w in _PHRASE_FIRST_NAMES or w in _PLACES or w in self.word_last

    def _family_name(self, words: list[str]) -> bool:
        """The last of two or more words is a family name here: a known one, unless it is a word
        after a first name that is a word or place too ("Virginia Beach", "Crystal Ball")."""
        last = words[-1]
        if not self._is_last(last):
            return False
        return len(words) < 2 or last not in self.word_last or not self._phrase_first(words[0])

    def _word_family_name(self, words: list[str], ctx: Ctx, dropped: list[str], end: int) -> bool:
        """A family name that is also a word, last after a plain first name and ending at ``end``:
        "Margaret Brown", "Mary Ann Hill"; not "Heather Grey", "Rose Gold", "the Albert Hall",
        "Margaret Hill Road", nor "Hill" alone."""
        if not 2 <= len(words) <= 3 or words[-1] not in self.word_family:
            return False
        first = words[0]
        # A first name that is a word or place itself makes a phrase ("Forest Green", "Victoria
        # Hall"); one from ambiguous_first_names is not in self.first ("Rose Gold", "Will Power").
        if not self._is_first(first) or self._phrase_first(first):
            return False
        if len(words) == 3 and not (self._is_first(words[1]) or self._is_last(words[1])):
            return False  # a middle word must be a name too
        following = ctx.text[end:end + 16].split(None, 1)
        if following and following[0].rstrip(",.;:") in self.suffixes:
            return False  # "Margaret Hill Road", "Mary Green Lane": a street named after someone
        cue_words = ctx.before() + dropped
        # After an article or a preposition of place, a place: "at Morgan Hall", unless a
        # possessive says it is someone's ("in Margaret Brown's account").
        return not cue_words or cue_words[-1] not in _PLACE_CUES or ctx.text.startswith("'s", end)

    def _month_name(self, words: list[str], ctx: Ctx, dropped: list[str]) -> bool:
        """A month that is someone's first name here: "April Chandler", "Hi June"."""
        if words[0] not in _MONTH_FIRST_NAMES:
            return False
        if len(words) > 1 and self._is_last(words[1]):
            return True
        cue_words = ctx.before() + dropped
        return _greeted(cue_words)

    @staticmethod
    def _name_field(tokens: frozenset[str], parent_tokens: frozenset[str]) -> int:
        """2: the field holds a person name; 1: probably; 0: no."""
        if not STRONG_NAME_FIELD.isdisjoint(tokens) or ("name" in parent_tokens and not _NAME_PARTS.isdisjoint(tokens)):
            return 2
        # "product_name", "app.name", "notifier.name": the thing named is not a person.
        if not NAME_FIELD.isdisjoint(tokens) and NOT_PERSON_PARENT.isdisjoint(parent_tokens) \
                and NOT_PERSON_PARENT.isdisjoint(tokens):
            return 1
        return 0

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return self._name_field(tokens, parent_tokens) > 0

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        b = ctx.char_before()
        if b.isalpha() or b in "@_/\\.-#$":
            return None
        a = ctx.char_after()
        if a in "@_/\\" or a.isdigit() or (a == "." and ctx.text[ctx.end + 1:ctx.end + 2].isalpha()):
            return None  # part of an address, path or identifier
        words = value.split()
        if value.endswith("@"):
            return self._lower_display(value, ctx)
        if "," in value and words[0].rstrip(":").lower() in _LABELS:
            hit = self._inverted(value, ctx)
            if hit is not None:
                return hit
            # "Patient: Robert Smith, DOB ...": the words before the comma are the name.
            head = value[:value.index(",")]
            name = Ctx(ctx.seg, ctx.start, ctx.start + len(head))
            name.text = ctx.text
            return self.validate(head, name)
        if "/" in value:
            return self._surname_slash(value, ctx)
        if value.isupper() or words[-1][:1].islower() or (words[-1].isupper() and len(words[-1]) > 1):
            return self._uncased(words, ctx)
        if "." in value:
            words = _without_initials(words)
        start = ctx.start
        # Drop leading words that are not names ("Thanks Jane" -> "Jane"), keeping them as cues.
        dropped: list[str] = []
        # "Jane Doe <jane@example.com>": an RFC 5322 display name.
        display = ctx.text[ctx.end:ctx.end + 3].lstrip(" \"").startswith("<")
        phrase = 0 if display else _leading_phrase(words)
        if phrase:
            dropped += [w.lower().strip(",.:;") for w in words[:phrase]]
            start = ctx.text.index(words[phrase], start + sum(len(w) for w in words[:phrase]))
            words = words[phrase:]
        while not display and len(words) > 1 and (
                (words[0].rstrip(".") in _NOT_NAME and not self._month_name(words, ctx, dropped)) or
                words[0] in _ADDRESSING_WORDS or words[0].rstrip(".:").lower() in _TITLES or
                # a label or greeting that is a family name too ("Kunde", "Gentile"), or folds
                # to a given name ("Olá", "Ola")
                (_greeting_or_label(words[0]) and words[0] not in self.first) or (
                not self._is_first(words[0]) and not self._is_last(words[0]) and not self._word_name(words)
                and not (words[0][:1].isupper() and _introduces(ctx.before() + dropped, dropped)))):  # "my name is Mark Hicks"
            dropped.append(words[0].lower().strip(",.:;"))
            start = ctx.text.index(words[1], start + len(words[0]))
            words = words[1:]
        while len(words) > 1 and words[-1] in _NOT_NAME:
            words = words[:-1]
        if not words or not _ORG.isdisjoint(words) or _place_name(words) or \
                (words[0] in _NOT_NAME and not self._month_name(words, ctx, dropped)):
            return None
        end = ctx.text.index(words[-1], start) + len(words[-1])
        if dropped and len(words) > 1:
            # The leading words took places of the pattern's four: "Email Ana María López
            # Fernández" matched up to "López". Family names that follow are the name's.
            end = self._more_family_names(words, ctx.text, end)
        word_family = self._word_family_name(words, ctx, dropped, end)
        if not display and len(words) > 1 and words[-1] in self.suffixes and words[-1] not in self.last \
                and not word_family and (self._phrase_first(words[0]) or not _salutes(ctx.before() + dropped)):
            return None  # "Baker Street", "Lincoln Park": places ("Margaret Hill", "Dear Linda Park" people)
        field = self._name_field(ctx.tokens, ctx.seg.parent_tokens)
        if len(words) >= 2 and (field or display):
            # The field or the mail header says it is a name: cue words cannot change it.
            return Hit(0.9 if field else 0.85, " ".join(words), start=start, end=end)
        cue_words = ctx.before() + dropped
        titled = bool(cue_words) and cue_words[-1] in _TITLES
        strong_cue = _strong(cue_words)
        addressed = _addressed(dropped)
        greeted = _greeted(cue_words)
        cue = strong_cue or addressed or greeted or (bool(cue_words) and cue_words[-1] in _CUES)
        first_known = self._is_first(words[0]) or self._word_name(words)
        last_known = word_family or self._family_name(words)
        if len(words) >= 2:
            if titled:
                score = 0.85
            elif first_known and last_known:
                score = 0.8 if not cue else 0.9
            elif self._family_name_first(words):
                score = 0.75 if not cue else 0.85  # "Zhang Wei", "Tanaka Hiroshi"
            elif last_known and addressed and words[0] not in _ROLES:
                score = 0.7  # "Refund Chidi Okeke": a given name the lists lack
            elif first_known and cue:
                score = 0.75
            elif (first_known or last_known) and strong_cue:
                score = 0.75
            elif _NAMING_ENDINGS.end(cue_words):
                score = 0.75
            elif cue_words and (greeted or cue_words[-1] in _LABELS) and _ROLES.isdisjoint(words) \
                    and words[0][:1].isupper() and words[-1][:1].isupper():
                score = 0.75  # "Dear Zofia Wójcik,", "Best regards, Sanne van Dijk", "Customer: Jan Nowak"
            elif first_known:
                score = 0.45
            else:
                return None
        else:
            if titled:
                score = 0.8  # "Dr. Okonkwo": a title names a person whatever the word
            elif strong_cue and (first_known or last_known):
                score = 0.8
            elif field and (first_known or last_known):
                score = 0.85
            elif greeted and words[0] not in _ROLES and words[0].lower() not in _GREETINGS and \
                    (first_known or ctx.char_after() in ",!\n" or end >= len(ctx.text) - 2):
                score = 0.7  # "Hi Irmhild," / a sign-off at the end: "Thanks, Gretl"
            elif addressed and first_known and words[0] not in _ROLES:
                score = 0.7  # "Call Linda back", "please ask Priya"
            elif first_known and len(cue_words) >= 2 and cue_words[-1] in _RELATIONS and cue_words[-2] in _POSSESSIVES:
                score = 0.7  # "my wife Sarah", "our son Tom"
            elif strong_cue and words[0][1:].islower():
                score = 0.7
            else:
                return None
        return Hit(score, " ".join(words), start=start, end=end)

    def _plain_given(self, word: str, cued: bool = False) -> bool:
        """A word of any case that is a given name ("JOHN", "maria"); without a cue, not one
        that is also a word, month or place ("MARK", "HOLLY", "CHAD")."""
        w = word.capitalize()
        if w in _NOT_NAME:
            return False
        if cued:
            return self._is_first(w) or w in self.word_first
        return self._is_first(w) and w not in _PLACES and w not in _PHRASE_FIRST_NAMES \
            and w not in _MONTH_FIRST_NAMES and w not in self.word_last

    def _plain_family(self, word: str, cued: bool = False) -> bool:
        """A word of any case that is a family name ("SMITH"); without a cue, not one that is
        an everyday word too ("BROWN", "HALL", "YORK")."""
        w = word.capitalize()
        if (not self._is_last(w) and not (cued and w in self.word_family)) or w in _NOT_NAME or w in _ORG:
            return False
        return cued or (w not in self.word_last and w not in self.word_family and w not in self.suffixes
                        and w not in _PLACES)

    def _plain_name(self, words: list[str], cued: bool = False, family_cued: bool = False) -> int:
        """How many of ``words``, from the first, are a given name, a middle name or
        particles ("DE", "van der"), and a family name that case cannot tell from words: 0
        when they are not."""
        if len(words) < 2 or not self._plain_given(words[0], cued):
            return 0
        best = 0
        for j in range(1, min(len(words), 4)):
            w = words[j]
            if self._plain_family(w, cued or family_cued):
                best = j + 1  # the longest: "JOHN MICHAEL SMITH", not "JOHN MICHAEL"
            if w.lower() in _PARTICLE_WORDS:
                continue
            middle = w.capitalize()
            if not (self._is_first(middle) or self._is_last(middle)):
                break
        return best

    def _lower_display(self, value: str, ctx: Ctx) -> Hit | None:
        """A mail display name in lower case ("To: john smith <john@example.com>"): the last
        words before "<" that the dictionaries read as a name, a given name alone too. A
        display name is a name's place, so everyday words count ("mark brown <...>"); "reply
        to support team <...>" and "notifications <...>" name no one."""
        head = value[:value.rindex("<")].rstrip(' \t"')
        places = [m.span() for m in _DISPLAY_WORD.finditer(head)]
        words = [head[a:b] for a, b in places]
        for k in range(min(len(words), 3), 0, -1):
            name = words[-k:]
            if (k > 1 and self._plain_name(name, True) == k) or (k == 1 and self._plain_given(name[0])):
                return Hit(0.85, " ".join(name), start=ctx.start + places[-k][0], end=ctx.start + len(head))
        return None

    def _inverted(self, value: str, ctx: Ctx) -> Hit | None:
        """"Patient: Smith, John", "NAME: DOE, JANE A.": a family name, a comma, a given name
        (and a middle name or initial), after a label. Read, and hashed, as "John Smith", as
        scan_field reads "Müller, Jürgen" under a name field."""
        head, _, given = value.partition(",")
        family = head.partition(":")[2].strip()
        family_words = family.split()
        given_words = _without_initials(given.split())
        if not family_words or not given_words:
            return None
        if given_words[0].isupper() and not family.isupper():
            return None  # "Patient: Robert Smith, DOB 1962-07-14": a field's label after the name
        if any(w.capitalize() in _NOT_NAME or w.capitalize() in _ORG or w.capitalize() in _PLACES
               for w in family_words + given_words):
            return None  # "Client: Acme, Inc", "Customer: Paris, France"
        if not (any(self._is_last(w.capitalize()) for w in family_words) or self._is_first(given_words[0].capitalize())):
            return None
        start = ctx.start + value.index(family, len(head) - len(family))
        return Hit(0.85, " ".join(given_words + family_words), start=start, end=ctx.end)

    def _surname_slash(self, value: str, ctx: Ctx) -> Hit | None:
        """The airline's SURNAME/GIVEN TITLE ("SMITH/JOHN MR", "GARCIA/MARIA ELENA MRS"), as
        booking and boarding-pass data write a passenger: both names known (not "TCP/IP",
        "USD/EUR")."""
        head, _, rest = value.partition("/")
        lead = head.split()
        family = lead[-1]
        # The given names run to the title; without one, a second word only if it is a given name.
        given_words: list[str] = []
        titled = False
        for w in rest.split():
            if w in _PNR_TITLES:
                titled = True
                break
            if given_words and not self._is_first(w.capitalize()):
                break
            given_words.append(w)
        if not given_words or not self._is_last(family.capitalize()) or \
                not self._is_first(given_words[0].capitalize()) or family.capitalize() in _NOT_NAME:
            return None
        before = ctx.before() + [w.lower() for w in lead[:-1]]
        if not titled and not (before and (before[-1] in _LABELS or before[-1] in ("pax", "traveller", "traveler"))):
            return None  # "LONDON/PARIS", "AUSTIN/DALLAS": a route, not a passenger
        start = ctx.start + len(head) - len(family)
        end = ctx.start + value.index(given_words[-1], len(head)) + len(given_words[-1])
        return Hit(0.85, " ".join(given_words + [family]), start=start, end=end)

    def _uncased(self, words: list[str], ctx: Ctx) -> Hit | None:
        """A name whose case says nothing: in capitals throughout ("PASSENGER: MR JOHN SMITH",
        as forms and older systems write), or in lower case after a cue ("my name is john
        smith", chat). The dictionaries must then say it: a given name and a family name; with
        no title, label or greeting before, neither may be an everyday word or place ("JOHN
        BROWN", "MARK DOWN", "DALLAS TEXAS" stay unread). Also a family name after a title
        ("MR SMITH") and, after "my name is", a given name alone."""
        text = ctx.text
        lower = words[-1][:1].islower()
        at = 0
        naming = greeting = False
        if lower:
            # The match starts with its cue: "name is", "name's", "call me", "i am", "i'm"; or
            # a greeting, and ends with a comma or "!" ("hi john,").
            greeting = words[0].rstrip(",").lower() in _LOWER_GREETINGS
            if greeting:
                words = words[:-1] + [words[-1].rstrip(",!")]
            at = 2 if words[0] in ("name", "call", "i") else 1
            naming = words[0] in ("name", "name's", "call")
        elif len(words) == _MOST_CAPITALS_WORDS:
            words = words + _capitals_after(text, ctx.end)  # a name across the pattern's limit
        cues = ctx.before()
        i = at
        while i < len(words):
            in_match = [w.lower().strip(",.:;") for w in words[:i]]
            before = cues + in_match
            title = bool(before) and before[-1] in _TITLES
            # In lower case, after its cue, only a plain given name counts ("i'm in london": "In"
            # is a given name), then any family name ("my name is amy brown").
            cued = title or (not lower and _introduces(before, in_match))
            n = self._plain_name(words[i:], cued, lower)
            if n == 0 and title and self._plain_family(words[i], True) and \
                    not (i + 1 < len(words) and self._plain_family(words[i + 1], True)):
                n = 1  # "MR SMITH"; not "MR AMY" of "MR AMY BROWN"
            elif n == 0 and (naming or greeting) and len(words) == at + 1 and self._plain_given(words[i]):
                n = 1  # "my name is john", "hi john," (not "hi mark,": a word as often)
            elif n == 0 and not lower and i + 1 == len(words) and _greeted(before) and \
                    self._plain_given(words[i], True) and (ctx.char_after() in ",!\n" or ctx.end >= len(text) - 2):
                # "Hi JOHN,", "Thanks, MARIA": a given name alone after a greeting. Only one the
                # lists know: in capitals, "HI GUYS!" and "THANKS AGAIN!" look the same.
                n = 1
            elif n == 0 and (title or (i == 0 and bool(before) and before[-1] in _LABELS
                                       and text[:ctx.start].rstrip(" \t").endswith(":"))) and \
                    i + 1 < len(words) and _unknown_name_word(words[i]) and _unknown_name_word(words[i + 1]):
                # After a title or a label and its colon, as in mixed case ("Customer: Jan
                # Nowakowski"), two words the lists lack ("CARDHOLDER: WULF SCHOLZ"); a third only
                # if it is a family name. Not after a bare label: in capitals every word is
                # capitalised ("THE COPYRIGHT HOLDER HAS BEEN ADVISED").
                n = 3 if i + 2 < len(words) and self._plain_family(words[i + 2], True) else 2
            if n:
                name = words[i:i + n]
                # The span by the words' places in the text, from the match's start.
                end = ctx.start
                for w in words[:i]:
                    end = text.index(w, end) + len(w)
                start = end = text.index(name[0], end)
                for w in name:
                    end = text.index(w, end) + len(w)
                score = 0.75 if n == 1 and not title else 0.85 if cued or lower else 0.8
                return Hit(score, " ".join(name), start=start, end=end)
            if lower:
                return None  # the name is the words right after the cue, or none
            i += 1
        return None

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        field = self._name_field(ctx.tokens, ctx.seg.parent_tokens)
        if not field:
            return ()
        v = value.strip()
        if not v or len(v) > 80 or "@" in v or "://" in v:
            return ()
        inverted = "," in v
        if inverted:
            # "Müller, Jürgen", "Doe, Jane A.": family name first, as CRMs, payroll and
            # directories export it; read (and hashed) as "Jürgen Müller".
            family, _, given = v.partition(",")
            family_words, given_words = family.split(), given.split()
            if "," in given or not 1 <= len(family_words) <= 2 or not 1 <= len(given_words) <= 3:
                return ()
            words = given_words + family_words
        else:
            words = v.split()
        if not 1 <= len(words) <= 4 or not all(w.replace("-", "").replace("'", "").replace(".", "").isalpha() for w in words):
            return ()
        if any(w in _ORG or w in _NOT_NAME for w in words) and field != 2:
            return ()
        if inverted and field != 2 and not (self._is_first(given_words[0].capitalize())
                                            and self._is_last(family_words[-1].capitalize())
                                            and given_words[0].capitalize() not in _PLACES):
            return ()  # under a plain "name": "Paris, France" and "Acme, Inc." are not people
        known = any(self._is_first(w.capitalize()) or self._is_last(w.capitalize()) for w in words)
        capitalised = words[0][:1].isupper() and words[-1][:1].isupper() and \
            all(w[:1].isupper() or w in _PARTICLES for w in words)
        if field == 2:
            score = 0.9 if known or v[0].isupper() else 0.75
        elif known and capitalised:
            score = 0.85
        elif capitalised and 2 <= len(words) <= 3:
            score = 0.75  # two or three capitalised words under a "name" field
        elif v.islower() and self._plain_name(words) == len(words):
            score = 0.8  # "john smith": typed in lower case, a known given and family name
        elif name_in_script(v):
            score = 0.8  # "王伟", "佐藤 健", "محمد أحمد": scripts without capitals
        else:
            return ()
        off = value.index(v)
        # Initials are left out of the normal form, as validate() does: "Jane A. Doe" and
        # "Doe, Jane A." are one person with "Jane Doe".
        full = _without_initials(words) or words
        return (Hit(score, " ".join(full), start=off, end=off + len(v)),)
