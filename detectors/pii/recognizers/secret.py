"""Secrets: one recogniser per rule in ``secrets.RULES``, two that read field names
(generic high-entropy values under secret-like keys, and Authorization headers), and one
for the same in unstructured text (``password=...`` in a log line, ``Bearer ...`` in a
prompt)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Final, Iterable

from ..context import PASSWORD_FIELD, has_uuid, secret_like
from ..finding import Category
from ..secrets import RULES, SecretRule, allowlisted, entropy_ok
from ..validators import shannon_entropy
from .base import Ctx, Hit, Recognizer, field_hit


class SecretRuleRecognizer(Recognizer):
    category: str = Category.SECRET
    group: int = 1

    def __init__(self, rule: SecretRule, name: str):
        self.rule = rule
        self.name = name
        whole = whole_match_group(rule.regex)
        # A group that is the whole match costs RE2 its submatch engine on every match.
        self.patterns = (rule.regex,) if whole is None else (whole,)
        self.group = 1 if whole is None else 0
        self.prefilter = (rule.prefilter,) if rule.prefilter else ()
        self.keywords = rule.keywords
        self.score = rule.confidence
        self._allow = tuple(re.compile(a) for a in rule.allow)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        r = self.rule
        if allowlisted(value):
            return None
        for a in self._allow:
            if a.search(value):
                return None
        if r.subtype == "jwt":
            if not _jwt_header_ok(value):
                return None
            body = value.split(".")[2]
            if not entropy_ok(body, r.entropy):
                return None
        elif r.subtype == "private_key":
            pass  # the header alone is the finding; bodies vary in framing
        elif not entropy_ok(value, r.entropy):
            return None
        prefix = r.prefix
        if r.subtype == "stripe_secret_key":
            prefix = value[:8]  # sk_live_ / rk_test_
        elif r.subtype == "github_token":
            prefix = value[:4] if not value.startswith("github_pat_") else "github_pat_"
        return Hit(self.score, value, subtype=r.subtype, mask_prefix=prefix)


def whole_match_group(regex: str) -> str | None:
    """``regex`` with its capture group made plain, where that group is the whole match
    bar word boundaries (``\\b(SG\\.[...]{22})\\b``); None where the group is less."""
    lead = "\\b" if regex.startswith("\\b") else ""
    if not regex.startswith("(", len(lead)) or regex.startswith("(?", len(lead)):
        return None
    close = _closing_paren(regex, len(lead))
    if close < 0 or regex[close + 1:] not in ("", "\\b"):
        return None
    return lead + "(?:" + regex[len(lead) + 1:]


def _closing_paren(regex: str, opening: int) -> int:
    """The index of the parenthesis that closes the one at ``opening``, skipping escapes
    and character classes; -1 if there is none."""
    depth = 0
    in_class = False
    i = opening
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if regex.startswith("]", i + 1) or regex.startswith("^]", i + 1):
                i += 1 + regex.startswith("^", i + 1)  # a leading "]" is a member
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


# Verdicts on the JWT headers seen: a service signs all its tokens under one header
# ({"alg":"HS256","typ":"JWT"}, a key id), and json.loads costs more than the rest of
# the check. Keyed by the header's hash under the process's hash key, as the scanner's
# quiet cache: no text is kept.
_JWT_HEADERS: Final[dict[tuple[int, int], bool]] = {}


def _jwt_header_ok(token: str) -> bool:
    head = token.split(".", 1)[0]
    key = (hash(head), len(head))
    ok = _JWT_HEADERS.get(key)
    if ok is None:
        try:
            obj = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            ok = isinstance(obj, dict) and ("alg" in obj or "typ" in obj)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            ok = False
        if len(_JWT_HEADERS) >= 256:
            _JWT_HEADERS.clear()
        _JWT_HEADERS[key] = ok
    return ok


def build_rule_recognizers() -> list[SecretRuleRecognizer]:
    out = []
    seen: dict[str, int] = {}
    for rule in RULES:
        n = seen.get(rule.subtype, 0)
        seen[rule.subtype] = n + 1
        name = f"secret.{rule.subtype}" + (f".{n + 1}" if n else "")
        out.append(SecretRuleRecognizer(rule, name))
    return out


_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9_\-+/=.~:]{8,512}")  # applied with fullmatch to one value


_HEX: Final = "0123456789abcdefABCDEF"
# An AWS secret access key has no prefix of its own: 40 base64 characters, known by the
# field that holds it ("aws_secret_access_key", "AWS_SECRET_KEY", "awsSecretAccessKey").
_AWS_SECRET: Final = re.compile(r"[0-9A-Za-z/+]{40}")
_STRONG_SECRET: Final = frozenset({"secret", "secrets", "clientsecret", "secretkey", "privatekey", "apikey", "xapikey",
                            "signingkey", "webhooksecret", "accesskey", "credential", "credentials", "password"})


# Keys their vendors publish in every browser that loads the page: PostHog's project key,
# Stripe's publishable keys.
_PUBLIC_KEY_PREFIXES: Final = ("phc_", "pk_live_", "pk_test_")
# What makes a "token" field a credential: "access_token", "X-Rollbar-Access-Token".
_TOKEN_QUALIFIERS: Final = frozenset({"access", "auth", "api", "refresh", "session", "bearer", "private", "secret"})
# Whose "token" a UUID names when it is an id, not a credential: "userToken", "anonymous_token".
_ID_OWNERS: Final = frozenset({"user", "anonymous", "anon", "visitor", "customer"})


# Knowledge-based authentication: the answer to a security question unlocks the account
# as a password does. And a card's or an account's PIN, four to six digits (Pinterest's
# "pin" ids are 18).
_SECURITY_ANSWER_FIELDS: Final = frozenset({"securityanswer", "secretanswer", "challengeanswer", "kbaanswer",
                                            "securityquestionanswer", "memorableword", "memorableinformation"})
_PIN_FIELDS: Final = frozenset({"pin", "cardpin", "atmpin", "pinnumber"})


class GenericSecretRecognizer(Recognizer):
    """A value under a secret-like field name (``api_key``, ``client_secret``, ``password``,
    ``security_answer``, ``pin``)."""

    name: str = "secret.generic"
    category: str = Category.SECRET
    field_hints: frozenset[str] = frozenset({
        "secret", "secrets", "token", "tokens", "apikey", "accesstoken", "refreshtoken", "authtoken", "idtoken",
        "auth", "credential", "credentials", "privatekey", "clientsecret", "secretkey", "accesskey", "signingkey",
        "webhooksecret", "bearer", "sessiontoken", "xapikey", "apitoken", "key",
    }) | PASSWORD_FIELD | _SECURITY_ANSWER_FIELDS | _PIN_FIELDS
    min_entropy = 3.0

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return super().field_applies(tokens, parent_tokens) and "authorization" not in tokens and (
            secret_like(tokens) or not _SECURITY_ANSWER_FIELDS.isdisjoint(tokens) or not _PIN_FIELDS.isdisjoint(tokens))

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        tokens = ctx.tokens
        if "authorization" in tokens:
            return ()
        v = value.strip()
        if not secret_like(tokens):
            return _answer_or_pin(tokens, value, v)
        if allowlisted(v):
            return ()
        off = value.index(v[0]) if v else 0
        if not PASSWORD_FIELD.isdisjoint(tokens):
            if len(v) < 4 or len(v) > 256 or " " in v.strip():
                return ()
            return (Hit(0.8, v, subtype="password", start=off, end=off + len(v)),)
        if not _TOKEN_CHARS.fullmatch(v) or len(v) < 16 or v.startswith(_PUBLIC_KEY_PREFIXES):
            return ()
        if not entropy_ok(v, self.min_entropy):
            return ()
        # Mixed classes: real keys mix letters and digits; words and slugs do not.
        if not (any(c.isdigit() for c in v) and any(c.isalpha() for c in v)):
            return ()
        # Bare hex under a plain "token" is usually a public id (analytics project
        # tokens, CSRF nonces), and so is a UUID with a prefix under "userToken"
        # ("anon-<uuid>"); under "secret", "api_key", "access_token" both are kept.
        strong = not tokens.isdisjoint(_STRONG_SECRET) or ("key" in tokens and "api" in tokens) or \
            ("token" in tokens and not tokens.isdisjoint(_TOKEN_QUALIFIERS))
        if not strong and (not v.strip(_HEX) or (not tokens.isdisjoint(_ID_OWNERS) and has_uuid(v))):
            return ()
        if "aws" in tokens and "secret" in tokens and _AWS_SECRET.fullmatch(v):
            return (Hit(0.9, v, subtype="aws_secret_access_key", start=off, end=off + len(v)),)
        return (Hit(0.7, v, subtype="generic_high_entropy", start=off, end=off + len(v)),)


def _answer_or_pin(tokens: frozenset[str], value: str, v: str) -> tuple[Hit, ...]:
    if not _SECURITY_ANSWER_FIELDS.isdisjoint(tokens):
        if not 1 <= len(v) <= 128 or allowlisted(v) or v.lower() in ("null", "undefined", "none"):
            return ()
        return field_hit(Hit(0.8, v, subtype="security_answer"), value, v)
    if not _PIN_FIELDS.isdisjoint(tokens) and 4 <= len(v) <= 6 and v.isdigit():
        return field_hit(Hit(0.8, v, subtype="pin"), value, v)
    return ()


def _basic_pair(cred: str) -> str | None:
    """Basic credentials decoded ("user:password"), or None when ``cred`` is no base64 of
    a pair or its password is a placeholder."""
    try:
        # base64.b64decode(cred, validate=True) without its interpreted wrapper
        dec = binascii.a2b_base64(cred.encode("ascii"), strict_mode=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    _, sep, password = dec.partition(":")
    return dec if sep and not allowlisted(password) else None


class AuthorizationRecognizer(Recognizer):
    """``Authorization: Bearer <token>`` / ``Basic <b64>`` and the like."""

    name: str = "secret.authorization"
    category: str = Category.SECRET
    # "Authentication" is what some vendors name it (AppsFlyer's S2S API).
    field_hints: frozenset[str] = frozenset({"authorization", "proxyauthorization", "authentication"})

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        scheme, _, cred = v.partition(" ")
        cred = cred.strip()
        if not cred:
            scheme, cred = "", v
        off = value.index(cred) if cred else 0
        s = scheme.lower()
        if not cred or allowlisted(cred):
            return ()
        if s == "basic":
            if _basic_pair(cred) is None:
                return ()
            return (Hit(0.9, cred, subtype="basic_auth", start=off, end=off + len(cred)),)
        if len(cred) < 12:
            return ()
        if cred.startswith("eyJ") and cred.count(".") == 2:
            return (Hit(0.9, cred, subtype="jwt", mask_prefix="eyJ", start=off, end=off + len(cred)),)
        if shannon_entropy(cred) < 3.0:
            return ()
        return (Hit(0.85, cred, subtype="bearer_token", start=off, end=off + len(cred)),)


# Secret-like names in front of a value, as written in log lines, shell and config
# snippets: "api_key=...", '"password": "..."', "client-secret: ...", and as the end of
# a longer name, as environment files write them ("DB_PASSWORD=", "SLACK_BOT_TOKEN=",
# "PGPASSWORD="). Bare "key" is left out: "cache key=user:42" is no credential.
_ASSIGNED_NAMES: Final = (r"api[_-]?(?:key|secret|token)|client[_-]?secret|secret[_-]?key|access[_-]?(?:key|token)"
                          r"|auth[_-]?token|refresh[_-]?token|private[_-]?key|passw(?:or)?d|pwd|secret|token")
_PASSWORD_NAMES: Final = ("passw", "pwd")
# Names ending in "token" that hold no credential: pagination cursors ("nextPageToken",
# "continuation_token"), anti-forgery nonces ("csrftoken") and push tokens, which the
# device-id recogniser reports as what they are.
_NOT_CREDENTIAL_NAMES: Final = ("page", "next", "cursor", "continuation", "csrf", "xsrf", "sync", "push", "device",
                                "fcm", "apns", "registration")
# The name written before a value: "SLACK_BOT_TOKEN" in 'SLACK_BOT_TOKEN="..."'.
# (The reference: name_before reads it back from the end.)
_NAME_BEFORE: Final = re.compile(r"([\w.\-]+)[\"']?[ \t]*[:=][ \t]*[\"']?$")
_CLI_USER: Final = re.compile(r"(?:^|[ \t])(?:-u|--user)[ \t=]*[\"']?$")
# A password given to a client by its short flag: "mysql -uroot -pS3cret" (glued, as mysql
# wants it), "sshpass -p S3cret", "docker login -u bob -p S3cret", "redis-cli -a S3cret".
# Only after those commands: elsewhere "-p" is a port, a path or a profile.
_CLI_PASSWORD_FLAG: Final = (r"\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?[ \t](?-i:-p)[\"']?"
                             r"|\b(?:sshpass|docker[ \t]+login|podman[ \t]+login|redis-cli)\b[^\n]*?[ \t](?-i:-[pa])[ \t]+[\"']?")
_CLI_PASSWORD: Final = re.compile(r"[ \t]-[pa][ \t]*[\"']?$")
# What names a secret before its value in free text, and the value's characters.
_ASSIGNMENT_CUE: Final = (r"(?:(?:" + _ASSIGNED_NAMES + r")[\"']?[ \t]*[:=][ \t]*[\"']?|\b(?:bearer|basic)[ \t]+"
                          r"|--[0-9a-z_\-]*(?:" + _ASSIGNED_NAMES + r")[ \t]+[\"']?|(?:^|[ \t])(?:-u|--user)[ \t=]*[\"']?"
                          r"|\b(?:passw(?:or)?d|pwd|passcode)[ \t]+(?:is|was)[ \t]*:?[ \t]+[\"']?|" + _CLI_PASSWORD_FLAG + ")")
_VALUE_CHARS: Final = r"[^\t\n\f\r \"'&,;<>]"  # RE2's \s is these four and the space
# The cue alone, where a value follows, in Python's re: it finds where the value starts
# within a match of the whole pattern. (A capture group made RE2 run its submatch engine,
# at about 6 us a match.) Both engines choose alike among alternatives (leftmost-first,
# greedy); \b is spelled out as RE2's, which sees ASCII word characters only.
_CUE_BEFORE_VALUE: Final = re.compile(
    "(?i)" + _ASSIGNMENT_CUE.replace(r"\b(?:", "(?<![0-9A-Za-z_])(?:").replace(r")\b", ")(?![0-9A-Za-z_])")
    + "(?=" + _VALUE_CHARS + ")")
_PROSE: Final = re.compile(r"(?:is|was)[ \t]*:?[ \t]+[\"']?$")


def name_before(lead: str) -> str | None:
    """``_NAME_BEFORE.search(lead)``'s name, read back from the end of ``lead``: the
    search tries every position and backtracks through every run of name characters
    (2 to 5 us on 40 characters). Each part of the pattern is told from its neighbours
    by its characters, so reading it backwards finds the one match there is."""
    if lead.endswith("\n"):
        m = _NAME_BEFORE.search(lead)  # "$" also matches before a final newline
        return m.group(1) if m is not None else None
    i = len(lead)
    if i and lead[i - 1] in "\"'":
        i -= 1
    while i and lead[i - 1] in " \t":
        i -= 1
    if not i or lead[i - 1] not in ":=":
        return None
    i -= 1
    while i and lead[i - 1] in " \t":
        i -= 1
    if i and lead[i - 1] in "\"'":
        i -= 1
    end = i
    while i and (lead[i - 1].isalnum() or lead[i - 1] in "_.-"):  # re's \w: alphanumerics and "_"
        i -= 1
    return lead[i:end] if i < end else None


def _quoted(text: str, start: int) -> str:
    """A quoted value in full ('"password": "a&b c"'); the pattern stops at the
    separators of unquoted ones ("&", ",", ";", spaces)."""
    quote = text[start - 1] if start > 0 else ""
    if quote != '"' and quote != "'":
        return ""
    close = text.find(quote, start)
    if close == -1 or close - start > 256 or "\n" in text[start:close]:
        return ""
    return text[start:close]


def _character_kinds(value: str) -> int:
    return (any(c.islower() for c in value) + any(c.isupper() for c in value) + any(c.isdigit() for c in value)
            + any(not c.isalnum() for c in value))


def _chosen_password(value: str) -> bool:
    """A password people chose: two kinds of character at least ("please" is a word in
    a sentence, "hunter22" a password)."""
    return _character_kinds(value) >= 2 and len(value) <= 128


class SecretAssignmentRecognizer(Recognizer):
    """A secret written after its name in free text: ``password=...``, ``api_key: ...``,
    ``DB_PASSWORD=...``, ``Bearer ...``, ``Basic <base64>``, ``--password ...``, ``curl -u
    user:password``, ``mysql -pPASSWORD``, "my password is ...". Structured fields are
    judged by their names already (the generic and Authorization recognisers); this is for
    log lines, tickets, prompts and the shell commands and config files pasted into them.
    The value must look like a credential (detect-secrets' keyword detector, with its
    checks).
    The value's length is checked here: a bounded repeat ("{1,256}") in the pattern
    made RE2 leave its DFA, at a third of a millisecond a field."""

    name: str = "secret.assignment"
    category: str = Category.SECRET
    patterns: tuple[str, ...] = ("(?i)" + _ASSIGNMENT_CUE + _VALUE_CHARS + "+",)
    prefilter: tuple[str, ...] = (r"(?i)(?:key|secret|token|passw(?:or)?d|pwd)[\"']?[ \t]*[:=]",
                                  r"(?i)(?:bearer|basic)[ \t]",
                                  r"(?i)--[0-9a-z_\-]*(?:key|secret|token|passw(?:or)?d|pwd)[ \t]",
                                  r"(?i)(?:^|[ \t])(?:-u|--user)",
                                  r"(?i)(?:passw(?:or)?d|pwd|passcode)[ \t]+(?:is|was)[ \t:]",
                                  r"(?i)(?:mysql|mysqldump|mysqladmin|mariadb|sshpass|login|redis-cli)[^\n]*[ \t]-[pa]")
    keywords: tuple[str, ...] = ("key", "secret", "token", "passw", "pwd", "bearer", "basic", "-u", "passcode", "mysql",
                                 "mariadb", "sshpass", "login", "redis-cli")

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        text = ctx.text
        cue = _CUE_BEFORE_VALUE.match(text, ctx.start)
        if cue is None:
            return None  # RE2 folds a few letters Python's re does not ("\u017f" for "s")
        start = cue.end()
        value = text[start:ctx.end]
        lead = text[max(0, start - 40):start].lower()
        v = _quoted(text, start) or value.rstrip(".)]}")
        if not 6 <= len(v) <= 256 or allowlisted(v):
            return None
        if lead.rstrip(" \t").endswith("basic"):
            return _basic_credentials(v, start)
        # Each regex looks for its flag or word at the end of ``lead``: where the text has
        # none of it, the search (at every position of ``lead``) is skipped.
        if "-u" in lead and _CLI_USER.search(lead):  # "-u" or "--user"
            return _user_password(v, start)
        if ("-p" in lead or "-a" in lead) and _CLI_PASSWORD.search(lead):
            return _password(v, start, 0.8)
        if ("is" in lead or "was" in lead) and _PROSE.search(lead):
            # "my password is X": a sentence goes on with words ("is required", "was
            # Reset"); a password has a digit or a symbol.
            v = v.rstrip(".,?")
            if not any(c.isdigit() or not c.isalnum() for c in v) or len(v) < 6:
                return None
            return _password(v, start, 0.7)
        named = lead[-24:]
        if any(p in named for p in _PASSWORD_NAMES):
            return _password(v, start, 0.75)
        name = name_before(lead)
        if name is not None and any(w in name for w in _NOT_CREDENTIAL_NAMES):
            return None
        if len(v) < 16 or not _TOKEN_CHARS.fullmatch(v) or v.startswith(_PUBLIC_KEY_PREFIXES):
            return None
        if not (any(c.isdigit() for c in v) and any(c.isalpha() for c in v)) or not entropy_ok(v, 3.0):
            return None
        if v.startswith("eyJ") and v.count(".") == 2:
            return Hit(0.85, v, subtype="jwt", mask_prefix="eyJ", start=start, end=start + len(v))
        subtype = "bearer_token" if "bearer" in named else "generic_high_entropy"
        return Hit(0.75, v, subtype=subtype, start=start, end=start + len(v))


def _password(value: str, start: int, score: float) -> Hit | None:
    """``value`` at ``start`` as a password, when it is one people chose."""
    if not _chosen_password(value):
        return None
    return Hit(score, value, subtype="password", start=start, end=start + len(value))


def _basic_credentials(value: str, start: int) -> Hit | None:
    """``Basic <base64 of user:password>``, as an Authorization header is copied into a
    log line or a prompt; "basic plan" and other words do not decode to a pair."""
    dec = _basic_pair(value)
    if dec is None or not dec.isprintable():
        return None
    return Hit(0.85, value, subtype="basic_auth", start=start, end=start + len(value))


def _user_password(value: str, start: int) -> Hit | None:
    """``curl -u user:password``: the password after the first colon. "-u root" names a
    user only, and "-u key:" leaves the password to a prompt."""
    user, sep, password = value.partition(":")
    if not sep or len(password) < 4 or allowlisted(password) or not _chosen_password(password):
        return None
    at = start + len(user) + 1
    return Hit(0.8, password, subtype="password", start=at, end=at + len(password))
