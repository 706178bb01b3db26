"""Field-path patterns: the policy's `fields` and the allowlist's `field_paths`.

A field path says where a value was found; structure.py builds them: `$.user.email`,
`$.batch[].email`, `query.email`, `form.card[number]`, `header.referer.query.q`,
`pb.1.2.2.6[user.email]`, `xml.Envelope.Body.email`, `csv.first_name`. In a pattern `*`
matches any run of characters, dots and brackets included, and `?` one character;
everything else is literal, brackets too (`[user.email]` is a name, not a set of
characters). An index, `[0]` or `[*]`, reads as `[]` in a pattern and in a path.
"""

from __future__ import annotations

import re
from typing import Callable, Final, Sequence

# The first part of every path structure.py gives a request's values ("url" holds the
# URL's userinfo). A pattern that starts with none of them can match nothing.
ROOTS: Final[tuple[str, ...]] = ("$", "path", "query", "form", "header", "cookie", "url", "body", "xml", "csv",
                                 "pb", "multipart")

_INDEX: Final = re.compile(r"\[(?:\d+|\*)\]")


def normalise_indices(path: str) -> str:
    """`$.items[0].email` and `$.items[*].email` as `$.items[].email`."""
    return _INDEX.sub("[]", path) if "[" in path else path


def glob_regex(pattern: str, escape: Callable[[str], str] = re.escape) -> str:
    """The regex source (for a full match) of one pattern; `escape` is the engine's own."""
    out = []
    for ch in normalise_indices(pattern):
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(escape(ch))
    return "".join(out)


def globs_regex(patterns: Sequence[str], escape: Callable[[str], str] = re.escape) -> str:
    """The regex source matching a path any of ``patterns`` matches (for a full match)."""
    return "|".join(f"(?:{glob_regex(p, escape)})" for p in patterns)


def pattern_problem(pattern: str) -> str:
    """Why a pattern can match no field path, or "" when it can."""
    if not pattern:
        return "an empty pattern matches no field path"
    cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=-1)
    head = pattern if cut < 0 else pattern[:cut]
    for root in ROOTS:
        if head == root or head.startswith((root + ".", root + "[")):
            return ""
        if cut >= 0 and root.startswith(head):  # "que*", "*.email": the wildcard may supply the root
            return ""
    return (f"{pattern!r} matches no field path: paths start with {', '.join(ROOTS[:-1])} or {ROOTS[-1]} "
            "(e.g. \"$.user.email\", \"query.email\"; * matches any run of characters)")
