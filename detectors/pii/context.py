"""Field names and nearby words as evidence, and machine values that only look like PII.

Context words match whole tokens of a field name (split on ``_ - . [ ]`` and camelCase),
never substrings: Presidio's "lic" raising scores inside "public" is what we avoid.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from .cmodules import c_module

# Splits "ud[em]", "billing_details.address.line1", "firstName", "HTTPHeader".
_SPLIT: Final = re.compile(r"[^A-Za-z0-9]+")
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORDS: Final = re.compile(r"[a-z][a-z']*")  # linear: one class, one star
# Words of any script ("né", "urodzony", "फोन"), for windows that are not ASCII (half the
# speed). Combining marks are not \w in Python's re: without them the vowel signs of
# Indic scripts would cut "फोन" in two. Not the dandas (U+0964-0965), which end sentences.
_LETTER: Final = r"(?:[^\W\d_]|[\u0300-\u036f\u0900-\u0963\u0966-\u0dff])"
_WORDS_ANY: Final = re.compile(_LETTER + r"+'?" + _LETTER + "*")


@lru_cache(maxsize=8192)
def field_tokens(name: str) -> frozenset[str]:
    """Lower-case whole tokens of one field name (compound forms kept too: "firstname")."""
    pieces: list[str] = []
    for part in _SPLIT.split(name):
        if part:
            pieces.extend(p.lower() for p in _CAMEL.split(part) if p)
    out = set(pieces)
    if len(pieces) > 1:
        out.add("".join(pieces))  # "first_name", "firstName" -> "firstname"
    return frozenset(out)


def prose_words(text: str, start: int, window: int = 48) -> list[str]:
    """Lower-case words just before ``start`` (nearest last), for prose context."""
    if _C_PROSE_WORDS is not None:
        words = _C_PROSE_WORDS(text, start, window)  # None for a window that is not ASCII
        if words is not None:
            return words
    return prose_words_py(text, start, window)


def prose_words_py(text: str, start: int, window: int = 48) -> list[str]:
    """prose_words in Python: the reference, and the reader of other scripts."""
    before = text[max(0, start - window):start].lower()
    return (_WORDS if before.isascii() else _WORDS_ANY).findall(before)


_C_TEXT: Final = c_module("_text")  # prose words in C, or None
_C_PROSE_WORDS: Final = _C_TEXT.prose_words if _C_TEXT is not None else None


# --- hint vocabularies ----------------------------------------------------------

# Tokens that say "this field is an identifier or machine value" and so lower confidence
# for numeric categories (phone, date, card, national id).
MACHINE_FIELD: Final = frozenset({
    "id", "ids", "uuid", "guid", "version", "ver", "v", "timestamp", "ts", "time", "epoch",
    "created", "updated", "modified", "sequence", "seq", "count", "total", "amount", "price",
    "quantity", "qty", "size", "length", "offset", "limit", "page", "revision", "rev", "build",
    "hash", "checksum", "etag", "nonce", "event", "eventid", "requestid", "traceid", "spanid",
    "sku", "order", "orderid", "invoice", "cid", "sid", "agent", "useragent", "ua", "port",
    "duration", "ms", "sentat", "receivedat", "originaltimestamp", "messageid", "anonymousid",
    "width", "height", "screen", "density", "lib", "library", "sdk", "os", "app", "build",
    "batch", "lot", "serial", "serialno", "serialnumber",
})

EMAIL_FIELD: Final = frozenset({
    "email", "emails", "mail", "em", "e", "emailaddress", "useremail", "customeremail",
    "hashedemail", "hashed", "emailhash", "emailsha256", "emailmd5", "emailsha1",
    "courriel", "correo", "correoelectronico", "epost", "sahkoposti",
})
PHONE_FIELD: Final = frozenset({
    "phone", "phones", "phonenumber", "ph", "tel", "telephone", "mobile", "cell", "msisdn",
    "cellphone", "mobilephone", "fax", "to", "from", "sms", "whatsapp", "contact",
    # German, French, Spanish, Italian, Portuguese, Dutch, Polish, Nordic
    "telefon", "telefonnummer", "handy", "handynummer", "mobilnummer", "portable", "telefono",
    "movil", "celular", "cellulare", "telefone", "telemovel", "telefoon", "telefoonnummer", "mobiel", "komorka",
    "telefonu", "puhelin", "matkapuhelin", "mobiltelefon",
})
NAME_FIELD: Final = frozenset({
    "name", "fullname", "firstname", "lastname", "first", "last", "fn", "ln", "fname", "lname",
    "givenname", "familyname", "surname", "middlename", "displayname", "customername",
    "cardholder", "cardholdername", "holder", "nickname", "contactname", "recipient",
    "username", "realname", "billingname", "shippingname", "toname", "fromname", "maidenname",
    # German, French, Spanish, Italian, Portuguese, Dutch, Polish, Nordic field names
    "vorname", "nachname", "familienname", "prenom", "nom", "nombre", "apellido", "apellidos", "nome", "cognome",
    "sobrenome", "naam", "voornaam", "achternaam", "imie", "nazwisko", "fornavn", "efternavn", "etternavn",
    "fornamn", "efternamn", "etunimi", "sukunimi",
})
# Fields whose value is a person name even when written in lower case.
STRONG_NAME_FIELD: Final = frozenset({
    "firstname", "lastname", "fn", "ln", "fname", "lname", "givenname", "familyname",
    "surname", "middlename", "fullname", "customername", "cardholder", "cardholdername",
    "contactname", "maidenname", "billingname", "shippingname", "toname", "fromname",
    "vorname", "nachname", "familienname", "prenom", "apellido", "apellidos", "cognome", "sobrenome", "voornaam",
    "achternaam", "imie", "nazwisko", "fornavn", "efternavn", "etternavn", "fornamn", "efternamn", "etunimi",
    "sukunimi",
})
# A "name" under these parents is a product, event or software name, not a person.
NOT_PERSON_PARENT: Final = frozenset({
    "library", "lib", "product", "products", "event", "page", "app", "application", "browser",
    "os", "device", "campaign", "plan", "company", "organization", "org", "item", "items",
    "sku", "screen", "category", "file", "sdk", "tag", "tags", "integration", "integrations",
    "context", "properties", "feature", "flag", "experiment", "variant", "model", "tool",
    "function", "module", "frame", "frames", "exception", "package", "runtime", "server",
    "client", "network", "carrier", "brand", "store", "shop", "team", "project", "repository",
    "notifier", "service",
})
ADDRESS_FIELD: Final = frozenset({
    "address", "addr", "street", "line1", "line2", "addressline1", "addressline2", "address1",
    "address2", "streetaddress", "billingaddress", "shippingaddress", "residence", "home",
    "adresse", "anschrift", "strasse", "direccion", "domicilio", "indirizzo", "endereco", "morada", "adres",
    "straat", "ulica", "osoite", "gatuadress",
})
DOB_FIELD: Final = frozenset({
    "dob", "birth", "birthday", "birthdate", "dateofbirth", "bday", "born", "db", "birthdt",
    "geburtsdatum", "geburtstag", "naissance", "datenaissance", "nacimiento", "fechanacimiento", "nascita",
    "datanascita", "nascimento", "datanascimento", "geboortedatum", "urodzenia", "dataurodzenia", "fodselsdato",
    "fodelsedatum", "syntymaaika",
})
SSN_FIELD: Final = frozenset({"ssn", "social", "socialsecurity", "socialsecuritynumber", "tin", "itin", "taxid",
                              "taxpayerid", "nationalid", "governmentid"})
PASSPORT_FIELD: Final = frozenset({"passport", "passportnumber", "passportno", "passportid", "travel", "reisepass",
                            "passeport", "pasaporte", "passaporto", "passaporte", "paspoort", "paszport", "passi"})
NATIONAL_ID_FIELD: Final = frozenset({
    "nino", "ni", "nin", "insurance", "nationalinsurance", "aadhaar", "aadhar", "uid", "nir",
    "insee", "secu", "dni", "nie", "nif", "cpf", "codicefiscale", "cf", "national", "nationalid",
    "idnumber", "identity", "citizen", "personnummer", "bsn",
})
CARD_FIELD: Final = frozenset({
    "card", "cc", "ccnumber", "cardnumber", "pan", "creditcard", "number", "credit", "debit",
})
IBAN_FIELD: Final = frozenset({"iban", "account", "bank", "bankaccount", "accountnumber"})
GEO_LAT: Final = frozenset({"lat", "latitude"})
GEO_LON: Final = frozenset({"lon", "lng", "long", "longitude"})
IP_FIELD: Final = frozenset({"ip", "ipaddress", "clientip", "remoteaddr", "forwarded", "forwardedfor", "realip", "xff"})
PASSWORD_FIELD: Final = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "userpassword",
    # German, French, Spanish, Portuguese, Dutch, Polish, Finnish, Danish, Swedish
    "passwort", "kennwort", "motdepasse", "mdp", "contrasena", "senha", "wachtwoord", "haslo",
    "salasana", "adgangskode", "losenord",
})
SECRET_FIELD: Final = frozenset({
    "secret", "secrets", "token", "tokens",
    "apikey", "accesstoken", "refreshtoken", "authtoken", "idtoken", "auth", "authorization",
    "credential", "credentials", "privatekey", "clientsecret", "secretkey", "accesskey",
    "signingkey", "webhooksecret", "bearer", "sessiontoken", "xapikey", "apitoken",
}) | PASSWORD_FIELD


# With "key", a field name that names a credential: "api key", "x-api-key", "dd-api-key"
# (the pair, not "key" alone: keys are everywhere).
_KEY_QUALIFIERS: Final = frozenset({"api", "secret", "private", "access", "auth", "signing"})


def secret_like(tokens: frozenset[str]) -> bool:
    if not SECRET_FIELD.isdisjoint(tokens):
        return True
    return "key" in tokens and not _KEY_QUALIFIERS.isdisjoint(tokens)


# --- machine values -------------------------------------------------------------

# Each pattern is anchored and built from single classes with bounded repeats: linear.
_UUID: Final = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_ISO_TS: Final = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_VERSION: Final = re.compile(r"[vV]?\d{1,4}(?:\.\d{1,6}){2,4}(?:[-+][0-9A-Za-z.\-]{1,40})?")
_HEXID: Final = re.compile(r"(?:0x)?[0-9a-fA-F]{12,}")
_TOKEN_CHARS: Final = frozenset("0123456789abcdefABCDEFxXvVtTzZ-:.+_")


def enclosing_token(text: str, start: int, end: int, limit: int = 64) -> str:
    """The run of id-ish characters around [start, end), bounded to ``limit`` each way."""
    lo = start
    stop = max(0, start - limit)
    while lo > stop and text[lo - 1] in _TOKEN_CHARS:
        lo -= 1
    hi = end
    stop = min(len(text), end + limit)
    while hi < stop and text[hi] in _TOKEN_CHARS:
        hi += 1
    return text[lo:hi].strip("-:.+_")


def has_uuid(text: str) -> bool:
    return _UUID.search(text) is not None


def is_machine_value(token: str) -> bool:
    """UUIDs, ISO timestamps, dotted versions and long hex ids."""
    n = len(token)
    # Each pattern's shortest match and separators first, before a call into the regex engine.
    if n < 5:
        return False
    if n >= 36 and "-" in token and _UUID.search(token):
        return True
    if n >= 16 and token[4] == "-" and _ISO_TS.fullmatch(token):
        return True
    if "." in token and _VERSION.fullmatch(token):
        return True
    return n >= 12 and _HEXID.fullmatch(token) is not None and any(c in "abcdefABCDEF" for c in token)


_HEXCHARS: Final = "0123456789abcdefABCDEF"
_AGENT: Final = frozenset({"agent", "useragent", "ua"})


def machine_shape(text: str, tokens: frozenset[str]) -> bool:
    """A whole field value that cannot hold personal data in plain form: a UUID, an ISO
    timestamp, a dotted version, a hex id, a user agent, or a number under an id-like
    name. String tests only: this runs once per field."""
    n = len(text)
    if n < 4:
        return True
    c0 = text[0]
    if n == 36 and text[8] == "-" and text[13] == "-" and not text.replace("-", "").strip(_HEXCHARS):
        return True
    if c0.isdigit():
        if n >= 16 and text[4] == "-" and text[10:11] in ("T", " ") and text[13:14] == ":":
            return True
        if text.count(".") >= 2 and text.replace(".", "").isdigit():
            groups = text.split(".")
            if not MACHINE_FIELD.isdisjoint(tokens):
                return True
            if len(groups) == 4 and all(len(g) <= 3 for g in groups):
                return False  # an IP address
            if len(groups) == 3 and len(groups[0]) >= 2 and len(groups[2]) == 4:
                return False  # 415.555.0132
            return True  # 4.1.0, 10.0.19045.2965
        if text.isdigit() and not MACHINE_FIELD.isdisjoint(tokens):
            return True
    if n >= 16 and not text.strip(_HEXCHARS) and not text.isdigit() and not (c0.isalpha() and text[2:].isdigit()):
        # Hex ids; hashed identifiers are judged by the field pass. Two letters and then
        # only digits is an account number ("DE89370400440532013000"), not an id.
        return True
    if not _AGENT.isdisjoint(tokens) or text.startswith("Mozilla/"):
        return True
    return False


def looks_like_epoch(digits: str) -> bool:
    """10-digit seconds or 13-digit milliseconds between 2001 and 2040."""
    if len(digits) == 10:
        return 1_000_000_000 <= int(digits) <= 2_240_000_000
    if len(digits) == 13:
        return 1_000_000_000_000 <= int(digits) <= 2_240_000_000_000
    return False
