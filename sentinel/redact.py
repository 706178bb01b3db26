"""Masking for what is stored: paths become templates, query values are hidden.

A URL is personal data more often than not (e-mails in query strings, customer
ids in paths, tokens in callbacks). The store keeps the shape of a request,
which is what the inventory and policy need, and never the values.
"""

from __future__ import annotations

import re

MASK = "*"
_MAX_PATH = 512
_MAX_QUERY_KEYS = 64

# One pass over a segment decides its placeholder; order matters (most specific first).
_SEGMENT_RULES = (
    ("{email}", re.compile(r"[^/@]+(@|%40)[^/@]+\.[a-z]{2,}", re.I)),
    ("{uuid}", re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)),
    ("{id}", re.compile(r"[0-9][0-9_\-.:]*")),
    ("{hex}", re.compile(r"[0-9a-f]{12,}", re.I)),
    # Long mixed-alphabet runs are tokens, keys or ids (cus_NffrFeUfNV2Hib, JWTs, base64).
    ("{token}", re.compile(r"(?=[^/]*\d)[A-Za-z0-9_\-.=+%~]{16,}")),
)
_KEY_SAFE = re.compile(r"^[A-Za-z0-9_\-.\[\]$]{1,64}$")


def path_template(path: str) -> str:
    """`/v1/customers/cus_9s8d7f6g5h4j3k2l/cards/42` -> `/v1/customers/{token}/cards/{id}`."""
    if not path:
        return ""
    path = path[:_MAX_PATH]
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if not segment:
            continue
        for placeholder, rule in _SEGMENT_RULES:
            if rule.fullmatch(segment):
                segments[i] = placeholder
                break
        else:
            if ";" in segment:  # matrix params (;jsessionid=...) carry values too
                segments[i] = segment.split(";", 1)[0] + ";" + MASK
            elif "@" in segment or "%40" in segment.lower():
                segments[i] = "{email}"
    return "/".join(segments)


def mask_query(query: str) -> str:
    """`em=a%40b.com&id=7` -> `em=*&id=*`. Keys are kept when they look like field names."""
    if not query:
        return ""
    masked = []
    for i, pair in enumerate(query.split("&")):
        if i >= _MAX_QUERY_KEYS:
            masked.append("…")
            break
        if not pair:
            continue
        key, sep, _ = pair.partition("=")
        key = key if _KEY_SAFE.match(key) else MASK
        masked.append(f"{key}={MASK}" if sep else key)
    return "&".join(masked)


def split_url(url: str) -> tuple[str, str]:
    """Origin-form or absolute URL -> (path, query), without the fragment."""
    if not url:
        return "", ""
    if "://" in url[:16]:
        rest = url.split("://", 1)[1]
        slash = rest.find("/")
        url = rest[slash:] if slash >= 0 else "/"
    url = url.split("#", 1)[0]
    path, _, query = url.partition("?")
    return path, query


def mask_url(url: str) -> tuple[str, str]:
    """(path template, masked query) for storage."""
    path, query = split_url(url)
    return path_template(path), mask_query(query)


def excerpt(text: str, limit: int = 160) -> str:
    """A masked, truncated view of a rejected input line for the quarantine table.

    Digits and letters are replaced by their class so the structure that broke the
    parser stays visible while values do not.
    """
    cut = text[:limit]
    masked = re.sub(r"[A-Za-z]", "a", re.sub(r"[0-9]", "9", cut))
    return masked + ("…" if len(text) > limit else "")
