"""Street addresses: house number + street name + suffix (US/UK), and the usual
German, French and Spanish orders; plus whole values of address fields.

The regex only finds "number + capitalised words"; the suffix is checked against the
USPS list in Python. A regex with the 200 suffixes after a repeated word group costs
the DFA twenty times more than this split.
"""

from __future__ import annotations

import re
from typing import Final, Iterable

from ..context import ADDRESS_FIELD
from ..dictionaries import street_suffixes
from ..finding import Category
from .base import Ctx, Hit, Recognizer

# Capitals and letters of Latin-1 and Latin Extended-A (Polish, Czech, Baltic: "Łódzka",
# "Kołłątaja"); Extended-A mixes cases, so both classes take all of it.
_U: Final = "[A-ZÀ-ÖØ-Þ\\x{0100}-\\x{017F}]"


def _word_rx(word: str) -> str:
    """A street word with its first letter in either case."""
    return "[" + word[0].upper() + word[0] + "]" + re.escape(word[1:])


def _bytes_rx(pattern: str) -> str:
    """``pattern`` over UTF-8 bytes, for the prefilter's byte mode: non-ASCII letters
    outside classes as their \\xNN escapes."""
    return "".join(ch if ch.isascii() else "".join(f"\\x{b:02x}" for b in ch.encode()) for ch in pattern)


# Street words that end a one-word street name before its number: German, Dutch,
# Scandinavian ("Hauptstraße 5", "Mayalaan 9", "Storgatan 12", "Strandvejen 3").
_COMPOUND_WORDS: Final[tuple[str, ...]] = ("straße", "strasse", "str.", "weg", "allee", "boulevard", "gasse", "platz", "ring", "damm", "straat", "laan",
                   "singel", "gracht", "plein", "kade", "dijk", "dreef", "steeg", "baan", "hof", "markt", "gatan",
                   "vägen", "väg", "stigen", "torget", "gränd", "backen", "vej", "vejen", "gade", "stræde", "veien", "vei",
                   "gata", "gaten")
_COMPOUND: Final = "(?:" + "|".join(_word_rx(w) for w in _COMPOUND_WORDS) + ")"
# Street types that follow an adjective as a word of their own: German, Danish ("Berliner
# Straße", "Vestre Allé"). "Ring" and "Weg" are left out: "Boxing Ring 3".
_TYPE_WORD: Final = "(?:Straße|Strasse|Str\\.|Allee|Allé|Gasse|Platz|Damm|Chaussee|Ufer|Vej|Gade)"
# Street types written first: Spanish, Catalan, Italian, Portuguese, Polish ("al." and
# "pl." are left out: "et al. Jones 2019").
_FIRST_WORDS: Final[tuple[str, ...]] = ("Calle", "C/", "Avenida", "Avda.", "Paseo", "Plaza", "Camino", "Carrer", "Via", "Viale", "Piazza",
                "Piazzale", "Corso", "Vicolo", "Largo", "Strada", "Rua", "Travessa", "Alameda", "Praça", "Rodovia",
                "Estrada", "ulica", "ul.", "aleja", "plac", "osiedle")
_FIRST: Final = "\\b(?:" + "|".join(re.escape(w) for w in _FIRST_WORDS) + ")"
_L: Final = "[A-Za-zß-öø-ÿ\\x{0100}-\\x{017F}'\\-]"
_CAP: Final = _U + _L + "*\\.?"
# Unit and "City, ST 12345" after the street; anchored at the suffix end, bounded: linear.
_TAIL: Final = re.compile(
    r"(?:,?[ \t]+(?:(?i:apt|apartment|suite|ste|unit|floor|rm|room)|Fl|#)\.?[ \t]*#?[A-Za-z0-9\-]{1,6}\b)?"
    r"(?:,?[ \t\n]{1,3}[A-Z][A-Za-z.\-]{0,30}(?:[ \t][A-Z][A-Za-z.\-]{0,30}){0,3},[ \t]{1,3}[A-Z]{2}[ \t]{1,3}\d{5}(?:-\d{4})?\b)?"
)
# A postcode and town after the street, as Europe writes them ("Hauptstraße 5, 10115 Berlin",
# "Kerkstraat 12, 1017 GC Amsterdam", "ul. Długa 9, 00-238 Warszawa", "Rua Augusta 89,
# 1100-048 Lisboa", "Storgatan 12, 114 55 Stockholm"), or a town and a UK postcode
# ("10 Downing Street, London SW1A 2AA"): the street's line alone is on thousands of
# towns' maps. After four digits alone (Swiss, Austrian, Belgian, Nordic codes), the town
# must end the line or the sentence: "Hauptstraße 5, 2024 Bericht folgt" and "1000 Euro"
# name none. Anchored at the street's end, bounded: linear.
_TOWN_PART: Final = "[A-ZÀ-ÖØ-Þ\u0100-\u017f][a-zß-öø-ÿ\u0100-\u017f']{1,30}"
_TOWN_WORD: Final = _TOWN_PART + "(?:-(?:[a-zß-öø-ÿ']{1,4}-)?" + _TOWN_PART + "){0,3}"  # "Saint-Denis", "Tour-de-Peilz"
_TOWN: Final = (_TOWN_WORD + "(?:[ \t](?:(?:am|an|der|im|bei|sur|en|de|la|le|del|di|du|da|do|dos|das|ob|in)[ \t]){0,2}"
                + _TOWN_WORD + "){0,2}")
_POSTAL_TAIL: Final = re.compile(
    r",?[ \t]{1,3}(?:"
    r"(?:[A-Z]{1,2}-)?(?:\d{5}|\d{4}[ \t]?[A-Z]{2}(?![A-Za-z])|\d{2}-\d{3}|\d{4}-\d{3}|\d{3}[ \t]\d{2})[ \t]{1,3}"
    + _TOWN + r"|(?:[A-Z]{1,2}-)?\d{4}[ \t]{1,3}(?!(?:Euro|Euros|Franken|Kronen|Kronor|Kroner)\b)" + _TOWN
    + r"(?=[ \t]*(?:[,.;)\n]|$))|(?:" + _TOWN + r",?[ \t]{1,3})?[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})(?![\w\-])")
# English words that end like a street ("Monitoring 5 hosts", "Spring 2024", "Brigade 7"):
# "-ring" after a vowel is a gerund, not a Ring.
_NOT_STREETS: Final = frozenset({"spring", "string", "bring", "wring", "brigade", "renegade", "offspring", "hamstring",
                          "drawstring", "bowstring", "shoestring"})


def _word_end(start: int, value: str, words: list[str], i: int) -> int:
    """Where ``words[i]`` (of ``value``, at ``start`` in the text) ends, a comma or dot after it left out."""
    return start + value.index(words[i], len(" ".join(words[:i]))) + len(words[i].rstrip(",."))


def _compound_ok(word: str) -> bool:
    w = word.lower().rstrip(",.")
    if w in _NOT_STREETS:
        return False
    return not (w.endswith("ring") and len(w) > 4 and w[-5] in "aeiouy")


_DIRS: Final = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW", "North", "South", "East", "West"})
# A direction after the street type is part of the street: Washington's "1600 Pennsylvania
# Ave NW" and its "SE" namesake are miles apart, Toronto's "King Street West" too. Not
# glued to a word ("St E-mail").
_POST_DIR: Final = re.compile(r"[ \t]+(?:" + "|".join(sorted(_DIRS, key=lambda d: (-len(d), d))) + r")\.?(?![\w\-])")
_POST_DIR_LOWER: Final = re.compile(r"[ \t]+(?:" + "|".join(sorted(d.lower() for d in _DIRS if len(d) == 2))
                                    + r")(?![\w\-])")  # the diagonals, after a lower-case cue
# Street words that make an address-field value a street without a house number:
# "rue Clémence Samson", "Rodovia Otto Pereira" (lower-cased; the USPS suffixes too).
_STREET_WORDS: Final = frozenset({
    "rue", "avenue", "boulevard", "bd", "allée", "chemin", "impasse", "quai", "place", "route", "calle", "avenida",
    "paseo", "plaza", "camino", "carrer", "rua", "rodovia", "estrada", "travessa", "alameda", "praça", "via",
    "viale", "piazza", "corso", "vicolo", "straße", "strasse", "weg", "allee", "gasse", "platz", "straat", "laan",
    "gracht", "plein", "ulica", "aleja", "gatan", "vägen", "gata", "vej", "gade", "setor", "quadra",
})
# Parts of an address that are not the street line.
_LOCALITY: Final = frozenset({"city", "town", "state", "region", "province", "county", "country", "zip", "postal",
                       "postcode", "postalcode", "zipcode", "district", "suburb", "locality", "ort", "stadt", "plz",
                       "postleitzahl", "ville", "codepostal", "ciudad", "provincia", "citta", "cap", "cidade", "cep",
                       "plaats", "miasto", "kod", "land", "pays", "pais", "paese"})
_PROSE: Final = frozenset({"address", "live", "living", "lives", "located", "ship", "shipping", "shipped", "deliver",
                    "delivery", "delivered", "dispatched", "home", "residence", "street", "billing", "mail", "moved",
                    "at"})
# Words that say an address follows: then "2093 Melinda Gateway" has a house number, not
# a year.
_ADDRESS_CUES: Final = _PROSE - {"at", "home", "street", "mail", "billing"}
# Street types that are no everyday word: in capitals throughout ("1600 PENNSYLVANIA AVE NW",
# as shipping labels write) or in lower case, where case marks no name, only these end a
# street without a cue ("3 NEW ITEMS AT THE STATION" is none).
_STREET_TYPES: Final = frozenset({
    "Street", "St", "Avenue", "Ave", "Av", "Road", "Rd", "Boulevard", "Blvd", "Drive", "Dr", "Lane", "Ln", "Court",
    "Ct", "Place", "Pl", "Parkway", "Pkwy", "Highway", "Hwy", "Terrace", "Ter", "Circle", "Cir", "Square", "Sq",
    "Plaza", "Plz", "Alley", "Aly", "Expressway", "Expy", "Freeway", "Fwy", "Crescent", "Cres"})
# Phrases that put an address after them in lower case ("my address is 350 5th ave"): the
# lower-case pattern starts with one, so that digits and words in prose cost nothing.
_LOWER_CUES: Final = (r"address(?:[ \t]+is)?", r"ship(?:ping)?[ \t]+to", r"deliver(?:ed|y)?[ \t]+to", r"lives?[ \t]+at",
                      r"located[ \t]+at", r"send[ \t]+it[ \t]+to")
# Their first words: a match that starts with one is the lower-case pattern's (whole words:
# "Deliusstraße 12" and "Locarnostrasse 5" are German and Swiss streets).
_LOWER_CUE_WORDS: Final = frozenset({"address", "ship", "shipping", "deliver", "delivered", "delivery", "live", "lives",
                                     "located", "send"})
# Of those, the cues after which any USPS suffix ends a street ("my address is 597 jones
# course"); after "ship to" only a street type does ("ship to 3 stores in the park").
_NAMING_CUES: Final = ("address", "live", "lives")
_LOWER_WORD: Final = r"(?:[a-z][a-z'\-]*\.?|\d{1,3}(?:st|nd|rd|th))"


class StreetAddressRecognizer(Recognizer):
    name: str = "street_address"
    category: str = Category.STREET_ADDRESS
    patterns: tuple[str, ...] = (
        # 123 Main St, 221B Baker Street, 5 W 42nd Street (suffix checked in validate)
        r"\b\d{1,6}[A-Za-z]?(?:-\d{1,4})?[ \t]+(?:" + _CAP + r"|\d{1,3}(?:st|nd|rd|th))(?:[ \t]+(?:" + _CAP
        + r"|\d{1,3}(?:st|nd|rd|th))){1,5}",
        # Hauptstraße 5, Lindenweg 12a, Kurt-Zahn-Gasse 8/7, Mayalaan 9, Storgatan 12
        _U + _L + "*" + _COMPOUND + r"[ \t]+\d{1,4}[a-z]?(?:[/\-]\d{1,4})?\b",
        # Berliner Straße 12, Lange Gasse 3, Vestre Allé 9: the street type a word of its own
        _U + _L + "+[ \t]+" + _TYPE_WORD + r"[ \t]+\d{1,4}[a-z]?(?:[/\-]\d{1,4})?\b",
        # 12 rue de la Paix, 5 bis avenue Victor Hugo
        r"\b\d{1,4}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|avenue|boulevard|bd|place|allée|allee|impasse|chemin|quai|route|cours)[ \t]+(?:(?:de|du|des|la|le|l'|d')[ \t]*){0,2}"
        + _U + _L + r"*(?:[ \t]+" + _U + _L + r"*){0,3}",
        # Calle Mayor 5, Avenida de la Constitución 12, Via Roma, 40, Rua Augusta 89, ul. Długa 90/2
        _FIRST + r"[ \t]+(?:(?:de|del|della|di|da|do|dos|das|la|los|las|i)[ \t]+){0,2}"
        + _U + _L + r"*(?:[ \t]+" + _U + _L + r"*){0,3},?[ \t]+\d{1,4}[a-zA-Z]?(?:[/\-]\d{1,4})?\b",
        # my address is 350 5th ave, ship to 12 main st (in lower case, after a cue)
        r"\b(?i:" + "|".join(_LOWER_CUES) + r")[ \t:]+\d{1,6}[a-z]?(?:-\d{1,4})?(?:[ \t]+" + _LOWER_WORD + r"){2,6}",
    )
    # Hyperscan superset in byte mode: the start of each pattern, up to its first
    # capital or the digits after a street word (À-Þ are \xc3\x80-\xc3\x9e in UTF-8).
    prefilter: tuple[str, ...] = (
        r"\b\d{1,6}[A-Za-z]?(?:-\d{1,4})?[ \t]+(?:[A-Z]|\xc3[\x80-\x9e]|[\xc4\xc5][\x80-\xbf]|\d{1,3}(?:st|nd|rd|th))",
        _bytes_rx(_COMPOUND) + r"[ \t]+\d",
        _bytes_rx(_TYPE_WORD) + r"[ \t]+\d",
        r"\b\d{1,4}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:rue|avenue|boulevard|bd|place|all\xc3\xa9e|allee|impasse|chemin|quai|route|cours)[ \t]",
        _bytes_rx(_FIRST) + r"[ \t]",
        r"(?i:" + "|".join(_LOWER_CUES) + r")[ \t:]+\d{1,6}[a-z]?(?:-\d{1,4})?[ \t]+[a-z0-9]",
    )
    context: frozenset[str] = ADDRESS_FIELD | _PROSE
    score: float = 0.75
    context_boost: float = 0.15
    field_hints: frozenset[str] = ADDRESS_FIELD

    def __init__(self):
        self.suffixes = street_suffixes()

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        b = ctx.char_before()
        if b.isalnum() or b in "-./_#$":
            return None
        end = ctx.end
        start = ctx.start
        cued = False
        if value.split(None, 1)[0].rstrip(":").lower() in _LOWER_CUE_WORDS:
            # The lower-case pattern: its cue first, then the street from the house number.
            at = next(i for i, c in enumerate(value) if c.isdigit())
            start += at
            value = value[at:]
            cued = True
        if value[:1].isdigit() and (cued or not value.split()[1][:1].islower()):
            words = value.split()
            num = words[0]
            digits = "".join(c for c in num if c.isdigit())
            # Years and long numbers are rarely house numbers.
            if len(digits) > 5 or (len(digits) == 4 and digits[:2] in ("19", "20") and not ctx.field_has(ADDRESS_FIELD)
                                   and not ctx.near(_ADDRESS_CUES)):
                return None
            # The street ends at the last suffix word after at least one name word. In
            # capitals or lower case, where "3 NEW ITEMS AT THE STATION" has a suffix too, a
            # street type ends it; any suffix does after a cue that names an address, or
            # before a unit or a "City, ST 12345" line ("91390 WILLIAMS FORGES APT. 824").
            uncased = cued or value.isupper()
            any_suffix = not uncased or ctx.near(_ADDRESS_CUES) or ctx.field_has(ADDRESS_FIELD) or \
                (cued and ctx.text[ctx.start:start].lower().startswith(_NAMING_CUES))
            cut = -1
            for i in range(len(words) - 1, 1, -1):
                w = words[i].rstrip(".,")
                if uncased:
                    w = w.capitalize()
                # USPS lists plural forms too ("Villages", "Shoals"): accept any plural.
                if (w in self.suffixes or (w.endswith("s") and w[:-1] in self.suffixes)) and \
                        (any_suffix or w in _STREET_TYPES or self._tail_after(ctx.text, start, value, words, i)):
                    cut = i
                    break
            if cut < 0:
                return None
            if all(w in _DIRS for w in words[1:cut]):
                return None
            last = words[cut]
            end = _word_end(start, value, words, cut)
            if last.endswith(".") and value[end - start:end - start + 1] == ".":
                end += 1
            d = (_POST_DIR_LOWER if cued and not value.isupper() else _POST_DIR).match(ctx.text, end)
            if d is not None:
                end = d.end()
            m = _TAIL.match(ctx.text, end)
            if m:
                end = m.end()
        elif not value[:1].isdigit() and not _compound_ok(value.split()[0]):
            return None
        t = _POSTAL_TAIL.match(ctx.text, end)
        if t is not None:
            end = t.end()
        norm = " ".join(ctx.text[start:end].split())
        score = self.contextual(self.score, ctx)
        if cued:
            score = max(score, self.score + self.context_boost)  # the pattern held its cue
        return Hit(score, norm, start=start, end=end)

    @staticmethod
    def _tail_after(text: str, start: int, value: str, words: list[str], i: int) -> bool:
        """Whether a unit or a "City, ST 12345" line follows ``words[i]`` (of ``value``,
        at ``start`` in ``text``)."""
        end = _word_end(start, value, words, i)
        m = _TAIL.match(text, end)
        return m is not None and m.end() > end

    def _street_word(self, v: str) -> bool:
        for w in v.split():
            w = w.strip(",.")
            if w.lower() in _STREET_WORDS or w in self.suffixes:
                return True
        return False

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not 5 <= len(v) <= 160 or "://" in v or "@" in v:
            return ()
        if sum(c.isalpha() for c in v) < 3 or " " not in v:
            return ()
        if not any(c.isdigit() for c in v) and (not ctx.tokens.isdisjoint(_LOCALITY) or not self._street_word(v)):
            return ()  # "address[city]": "Port Smith" is a town, not a street
        off = value.index(v[0])
        return (Hit(0.8, " ".join(v.split()), start=off, end=off + len(v)),)
