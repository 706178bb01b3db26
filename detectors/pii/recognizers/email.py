"""E-mail addresses."""

from __future__ import annotations

from typing import Final

from ..context import EMAIL_FIELD
from ..finding import Category
from .base import Ctx, Hit, Recognizer

# "logo@2x.png" and "chunk@1.2.js" are assets, not mailboxes.
_FILE_TLDS: Final = frozenset({
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "mjs", "map", "json", "html",
    "htm", "txt", "xml", "woff", "woff2", "ttf", "pdf", "zip", "gz", "tgz", "mp4", "mp3",
})


_MESSAGE_ID: Final = frozenset({"messageid", "msgid", "inreplyto", "references", "contentid", "cid"})


class EmailRecognizer(Recognizer):
    name: str = "email"
    category: str = Category.EMAIL
    patterns: tuple[str, ...] = (
        # Internationalised (RFC 6531): local part and domain labels in any script
        # ("jürgen@müller.de"); the top-level domain in ASCII or punycode.
        r"[\p{L}\p{N}_+\-]+(?:\.[\p{L}\p{N}_+\-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?\.)+[A-Za-z]{2,24}\b",
    )
    # Every address has "x@d": one report per "@", and no Unicode classes to compile (in
    # byte mode: a domain may start with a multi-byte letter, lead byte \xc0-\xff).
    prefilter: tuple[str, ...] = (r"[^\s@]@[A-Za-z0-9\xc0-\xff]",)
    context: frozenset[str] = EMAIL_FIELD | {"mail", "contact", "reach", "write"}
    score: float = 0.9
    context_boost: float = 0.1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        before = ctx.char_before()
        if before == ":" and "://" in ctx.text[max(0, ctx.start - 80):ctx.start]:
            return None  # "scheme://user:password@host": URL credentials, not a mailbox
        if before == "/" and ctx.text.endswith("://", 0, ctx.start):
            return None  # "https://<key>@o1.ingest.sentry.io/42": a URL's user and host (a Sentry DSN)
        local, _, domain = value.rpartition("@")
        if len(local) > 64 or len(value) > 254:
            return None
        if domain.rsplit(".", 1)[-1].lower() in _FILE_TLDS:
            return None
        score = self.contextual(self.score, ctx)
        tokens = ctx.tokens
        if not _MESSAGE_ID.isdisjoint(tokens) or ("message" in tokens and "id" in tokens):
            score -= 0.45  # Message-IDs look like addresses; an e-mail as a user id is still one
        return Hit(score, value.lower())
