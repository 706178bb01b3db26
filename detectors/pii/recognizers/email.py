"""E-mail addresses, and addresses written against spam harvesters ("john [at] example
[dot] com", "jane(at)example.org", "john at example dot com"), as people post them in
tickets and forums: read as the address they spell, so one hashes as the other and a
watchlist finds both."""

from __future__ import annotations

import re
from typing import Final

from ..context import EMAIL_FIELD
from ..finding import Category
from .base import Ctx, Hit, Recognizer

# "logo@2x.png" and "chunk@1.2.js" are assets, not mailboxes.
_FILE_TLDS: Final = frozenset({
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "mjs", "map", "json", "html",
    "htm", "txt", "xml", "woff", "woff2", "ttf", "pdf", "zip", "gz", "tgz", "mp4", "mp3",
})


_LOCAL: Final = r"[\p{L}\p{N}_+\-]+(?:\.[\p{L}\p{N}_+\-]+)*"
_LABEL: Final = r"[\p{L}\p{N}][\p{L}\p{N}\-]*"
# "[at]", "(at)", "{at}", "<at>" in any case, blanks around them optional; " at " in words.
_AT_MARK: Final = r"[ \t]*[\[({<](?i:at)[\])}>][ \t]*"
_DOT_MARK: Final = r"[ \t]*[\[({<](?i:dot)[\])}>][ \t]*"
_AT_WORD: Final = r"[ \t]+(?:at|AT)[ \t]+"
_DOT_WORD: Final = r"[ \t]+(?:dot|DOT)[ \t]+"
# A spelt address's local part may spell its dots too: "jane dot doe at example dot com".
_LOCAL_SPELT: Final = _LOCAL + "(?:(?:" + _DOT_MARK + "|" + _DOT_WORD + ")" + _LOCAL + ")*"
_SPELT_AT: Final = re.compile(r"\s*[\[({<](?i:at)[\])}>]\s*|\s+(?:at|AT)\s+")
_SPELT_DOT: Final = re.compile(r"\s*[\[({<](?i:dot)[\])}>]\s*|\s+(?:dot|DOT)\s+")
# "at" and "dot" as words spell a website as often ("visit us at example dot com"): only
# after a word that asks for mail.
_MAIL_WORDS: Final = frozenset({"email", "e-mail", "mail", "mailto", "contact", "reach", "write", "address"})

_MESSAGE_ID: Final = frozenset({"messageid", "msgid", "inreplyto", "references", "contentid", "cid"})


class EmailRecognizer(Recognizer):
    name: str = "email"
    category: str = Category.EMAIL
    patterns: tuple[str, ...] = (
        # Internationalised (RFC 6531): local part and domain labels in any script
        # ("jürgen@müller.de"); the top-level domain in ASCII or punycode.
        r"[\p{L}\p{N}_+\-]+(?:\.[\p{L}\p{N}_+\-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+[A-Za-z]{2,24}\b",
        # Spelt out: a marked "at", then dots marked, spelt or plain; or "at" and "dot" both
        # as words ("we are at example.com" spells no address, and "mail me at jo.doe@..."
        # must leave the address to the pattern above). Labels unbounded: RE2 would unroll
        # a {0,61} of Unicode classes into a program whose DFA costs a first scan 0.2 s.
        r"\b" + _LOCAL_SPELT + "(?:" + _AT_MARK + "(?:" + _LABEL + r"(?:" + _DOT_MARK + "|" + _DOT_WORD + r"|\.))+"
        + "|" + _AT_WORD + "(?:" + _LABEL + "(?:" + _DOT_MARK + "|" + _DOT_WORD + "))+)" + r"[A-Za-z]{2,24}\b",
    )
    # Every address has "x@d": one report per "@", and no Unicode classes to compile (in
    # byte mode: a domain may start with a multi-byte letter, lead byte \xc0-\xff). A
    # spelt one has its marked "at", or its "dot" as a word.
    prefilter: tuple[str, ...] = (r"[^\s@]@[A-Za-z0-9\xc0-\xff]", r"[\[({<](?i:at)[\])}>]", r"[ \t](?:dot|DOT)[ \t]+[A-Za-z]")
    context: frozenset[str] = EMAIL_FIELD | {"mail", "contact", "reach", "write"}
    score: float = 0.9
    context_boost: float = 0.1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        before = ctx.char_before()
        if before == ":" and "://" in ctx.text[max(0, ctx.start - 80):ctx.start]:
            return None  # "scheme://user:password@host": URL credentials, not a mailbox
        if before == "/" and ctx.text.endswith("://", 0, ctx.start):
            return None  # "https://<key>@o1.ingest.sentry.io/42": a URL's user and host (a Sentry DSN)
        spelt = "@" not in value
        if spelt:
            at = _SPELT_AT.search(value)
            if at is None:
                return None
            if at[0].strip() in ("at", "AT") and not (ctx.near(_MAIL_WORDS, last=8) or ctx.field_has(EMAIL_FIELD)):
                return None
            value = _unspelt(value)
            if value.count("@") != 1:
                return None
        local, _, domain = value.rpartition("@")
        if len(local) > 64 or len(value) > 254:
            return None
        if domain.rsplit(".", 1)[-1].lower() in _FILE_TLDS:
            return None
        score = self.contextual(self.score, ctx)
        tokens = ctx.tokens
        if not _MESSAGE_ID.isdisjoint(tokens) or ("message" in tokens and "id" in tokens):
            score -= 0.45  # Message-IDs look like addresses; an e-mail as a user id is still one
        if spelt:
            return Hit(min(score, 0.85), value.lower(), subtype="spelt")
        return Hit(score, value.lower())


def _unspelt(value: str) -> str:
    """The address a spelt one means: "john [at] example [dot] com" -> "john@example.com"."""
    return _SPELT_DOT.sub(".", _SPELT_AT.sub("@", value, count=1))
