"""Masking for what is stored: paths become templates, query values are hidden.

A URL is personal data more often than not (e-mails in query strings, customer
ids in paths, tokens in callbacks). The store keeps the shape of a request,
which is what the inventory and policy need, and never the values.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "*"
KEEP = ""  # the placeholder of a rule whose segments are kept as they are
_MAX_PATH = 512
_MAX_QUERY_KEYS = 64

# One pass over a segment decides its placeholder; order matters (most specific first).
_SEGMENT_RULES = (
    ("{email}", re.compile(r"[^/@]+(@|%40)[^/@]+\.[a-z]{2,}", re.I)),
    ("{uuid}", re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)),
    # Numbers, international ones too (Twilio's /PhoneNumbers/+14155550123, tel:+49-...).
    ("{id}", re.compile(r"(?:(?:tel|sms):)?(?:\+|%2B)?[0-9][0-9_\-.:]*", re.I)),
    ("{hex}", re.compile(r"[0-9a-f]{12,}", re.I)),
    # gRPC's /package.Service/Method names a service, not a subject: kept as it is
    # ("opentelemetry.proto.collector.logs.v1.LogsService"), where {token} would hide it.
    (KEEP, re.compile(r"(?:[a-z][a-z0-9_]*\.){2,}[A-Z][A-Za-z]*")),
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
                if placeholder != KEEP:
                    segments[i] = placeholder
                break
        else:
            if ";" in segment:  # matrix params (;jsessionid=...) carry values too
                segments[i] = segment.split(";", 1)[0] + ";" + MASK
            elif "@" in segment or "%40" in segment.lower():
                segments[i] = "{email}"
    return "/".join(segments)


# Log lines have no body: the URL is all there is to scan, and most paths are static
# (/v1/track). A path is worth the detectors when templating hid a value in it (a token,
# e-mail, hex or uuid, matrix params: not a short {id} like /api/12/, which holds no
# phone, card or account number), or when it holds what templating keeps: '%' or '+'
# (encoded or international values) or seven digits in one segment, separators allowed
# ("tel:+49-151-1234567"). The patterns mean the same in Python's re and in RE2
# (path_may_hold_data_array).
_HIDDEN_VALUE = "|".join(re.escape(p) for p, _ in _SEGMENT_RULES if p not in (KEEP, "{id}")) + "|" + re.escape(";" + MASK)
_DATA_IN_PATH = r"[%+]|[0-9](?:[^/0-9]{0,3}[0-9]){6}"
_HIDDEN_VALUE_RE, _DATA_IN_PATH_RE = re.compile(_HIDDEN_VALUE), re.compile(_DATA_IN_PATH)


FOUND = "{pii}"


def hide_found(path: str, template: str, spans: list[tuple[int, int]]) -> str:
    """The template with each segment that holds a detected value hidden: templating
    keeps what it cannot tell from a word (a name, a number written oddly), and the
    detectors' offsets (into the percent-decoded path) say where a value was."""
    decoded = unquote(path[:_MAX_PATH])
    segments = template.split("/")
    placed = decoded.count("/") + 1 == len(segments)  # else an encoded '/' moved the boundaries
    if not placed or not all(0 <= start < end <= len(decoded) for start, end in spans):
        return "/".join(FOUND if s else s for s in segments)  # the value may be anywhere
    for start, end in spans:
        for i in range(decoded.count("/", 0, start), decoded.count("/", 0, end) + 1):
            if segments[i]:
                segments[i] = FOUND
    return "/".join(segments)


# User-Agent strings are stored (which SDK sends what), and some carry values: an app's
# "user=jane@example.com", a token in a bot's UA. Products and versions stay.
_UA_RULES = (
    (re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "{email}"),
    (re.compile(r"(?<==)[^;\s()&,]+"), MASK),
    (re.compile(r"\+[0-9][0-9 ().-]{6,}[0-9]"), "{phone}"),
    (re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{24,}"), "{token}"),
)


def mask_user_agent(user_agent: str, limit: int = 256) -> str:
    """A User-Agent as stored: cut to ``limit`` characters, values in it masked."""
    user_agent = user_agent[:limit]
    for rule, placeholder in _UA_RULES:
        user_agent = rule.sub(placeholder, user_agent)
    return user_agent


def path_may_hold_data(path: str, template: str) -> bool:
    """Whether a path (with its path_template) may carry a value the detectors would find."""
    return (len(path) > _MAX_PATH or _HIDDEN_VALUE_RE.search(template) is not None
            or _DATA_IN_PATH_RE.search(path) is not None)


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



# -- vectorised (pyarrow.compute / RE2) twins of split_url, path_template and mask_query --
# Used by the columnar backfill (sentinel.ingest_columnar); tests/test_redact_vectorised.py
# checks they agree with the scalar functions above string for string. RE2 has no
# lookahead and folds case differently from `re` (Python's re.I lets [a-z] match 'İ' and
# 'ı'), so the patterns are spelled out rather than derived from _SEGMENT_RULES.
_TOKEN_CHARS = r"[A-Za-z0-9_\-.=+%~]"
_RE2_SEGMENT_RULES = (
    ("{email}", r"^[^/@]+(?:@|%40)[^/@]+\.[a-zA-Z\x{130}\x{131}\x{17f}\x{212a}]{2,}$"),
    ("{uuid}", r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"),
    ("{id}", r"^(?:(?:[tT][eE][lL]|[sS][mM][sS]):)?(?:\+|%2[bB])?[0-9][0-9_\-.:]*$"),
    ("{hex}", r"^[0-9a-fA-F]{12,}$"),
    (KEEP, r"^(?:[a-z][a-z0-9_]*\.){2,}[A-Z][A-Za-z]*$"),
    # (?=[^/]*\d) needs lookahead: {token} is this fullmatch AND a digit (an ASCII one,
    # since every character of the match is ASCII): two predicates.
    ("{token}", rf"^{_TOKEN_CHARS}{{16,}}$"),
)
# Segments matching none of these keep their text (unless ';', '@' or '%40'); only the
# others go through the rules one by one, in order.
_RE2_ANY_RULE = "|".join(f"(?:{rx})" for _, rx in _RE2_SEGMENT_RULES)
# re.match + '$' also accepts one trailing newline; RE2's '$' is the end of the text.
_RE2_KEY_SAFE = r"^[A-Za-z0-9_\-.\[\]$]{1,64}\n?$"
# A query with a pair whose key is empty, too long or has an unsafe character: anything
# else (with at most 64 pairs) is masked by replacing each value.
_KEY = r"[A-Za-z0-9_\-.\[\]$]"
_RE2_QUERY_UNUSUAL = rf"(?:^|&)(?:[=&]|$|{_KEY}{{65}}|{_KEY}*[^A-Za-z0-9_\-.\[\]$=&])"


def _pa():
    import numpy as np  # imported late: the scalar functions need neither
    import pyarrow as pa
    import pyarrow.compute as pc

    return np, pa, pc


def _plain_strings(values):
    _, pa, _ = _pa()
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    if values.null_count:
        values = values.fill_null("")
    return values


def _may_contain(values, needle: str) -> bool:
    """Whether any string may hold `needle`: one search over the character data, no per-row work."""
    np, _, _ = _pa()
    if not len(values):
        return False
    offsets = np.frombuffer(values.buffers()[1], np.int32)[values.offset:values.offset + len(values) + 1]
    data = values.buffers()[2]
    if data is None:
        return False
    return needle.encode() in memoryview(data)[int(offsets[0]):int(offsets[-1])].tobytes()


def _mask(array):
    """A boolean pyarrow array as a numpy bool array."""
    np, _, _ = _pa()
    return np.asarray(array, dtype=bool)


def _expand(compact, where):
    """Strings for the rows where `where` is true (in order) -> one per row, '' elsewhere.

    Builds the offsets only: the character data is shared, nothing is copied.
    """
    np, pa, _ = _pa()
    n = len(where)
    if len(compact) == n:
        return compact
    offsets = np.frombuffer(compact.buffers()[1], np.int32)[compact.offset:compact.offset + len(compact) + 1]
    lengths = np.zeros(n, np.int64)
    lengths[where] = np.diff(offsets)
    expanded = np.empty(n + 1, np.int64)
    expanded[0] = 0
    np.cumsum(lengths, out=expanded[1:])
    expanded += offsets[0]
    return pa.StringArray.from_buffers(n, pa.py_buffer(expanded.astype(np.int32)), compact.buffers()[2])


def _split_once(values, sep: str):
    """(text before the first `sep`, text after it or '', whether there was one)."""
    _, _, pc = _pa()
    found = _mask(pc.match_substring(values, sep))
    if not found.any():
        return values, None, found
    lists = pc.split_pattern(values, sep, max_splits=1)
    head = pc.list_slice(lists, 0, 1).flatten()
    tail = pc.list_slice(lists, 1, 2).flatten()  # only the rows that had one
    return head, _expand(tail, found), found


def _on_subset(fn, values, where):
    """fn over values[where] only, the rest unchanged."""
    _, pa, pc = _pa()
    if not where.any():
        return values
    if where.all():
        return fn(values)
    mask = pa.array(where)
    return pc.if_else(mask, _expand(fn(values.filter(mask)), where), values)


def split_url_array(urls):
    """split_url over an array of URLs -> (paths, queries), both string arrays."""
    _, _, pc = _pa()
    urls = _plain_strings(urls)

    def strip_origin(subset):
        absolute = pc.match_substring_regex(subset, r"^(?s).{0,13}://")  # '://' in url[:16]
        rest = pc.replace_substring_regex(subset, r"^(?s).*?://[^/]*", "", max_replacements=1)
        return pc.if_else(absolute, pc.if_else(pc.equal(rest, ""), "/", rest), subset)

    if _may_contain(urls, "://"):
        urls = _on_subset(strip_origin, urls, _mask(pc.match_substring(urls, "://")))
    if _may_contain(urls, "#"):
        urls = _on_subset(lambda subset: _split_once(subset, "#")[0], urls, _mask(pc.match_substring(urls, "#")))
    paths, queries, found = _split_once(urls, "?")
    return paths, (queries if queries is not None else pc.if_else(found, urls, ""))


def _segment_templates(segments):
    """Each path segment -> its placeholder, or itself; the first matching rule wins."""
    np, pa, pc = _pa()
    n = len(segments)
    out = segments
    candidate = _mask(pc.match_substring_regex(segments, _RE2_ANY_RULE))
    matched = np.zeros(n, bool)
    if candidate.any():
        where = np.flatnonzero(candidate)
        sub = segments.take(pa.array(where))
        free = np.ones(len(where), bool)
        rule = np.zeros(n, np.int8)
        for k, (placeholder, rx) in enumerate(_RE2_SEGMENT_RULES, start=1):
            hit = _mask(pc.match_substring_regex(sub, rx)) & free
            if placeholder == "{token}" and hit.any():
                hit &= _mask(pc.match_substring_regex(sub, "[0-9]"))
            rule[where[hit]] = k
            free &= ~hit
        matched = rule > 0
        for k, (placeholder, _) in enumerate(_RE2_SEGMENT_RULES, start=1):
            mask = rule == k
            if placeholder != KEEP and mask.any():
                out = pc.if_else(pa.array(mask), placeholder, out)
    rest = ~matched
    semi = _mask(pc.match_substring(segments, ";")) & rest
    if semi.any():  # matrix params: keep the name, mask the values
        out = pc.if_else(pa.array(semi), pc.binary_join_element_wise(_split_once(segments, ";")[0], ";" + MASK, ""),
                         out)
    email = (_mask(pc.match_substring(segments, "@")) | _mask(pc.match_substring(segments, "%40"))) & rest & ~semi
    if email.any():
        out = pc.if_else(pa.array(email), "{email}", out)
    return out


def path_template_array(paths):
    """path_template over an array of paths (already split from their URLs)."""
    _, pa, pc = _pa()
    paths = _plain_strings(paths)
    if not len(paths):
        return paths
    paths = pc.utf8_slice_codeunits(paths, 0, _MAX_PATH)  # counts code points, like path[:512]
    lists = pc.split_pattern(paths, "/")
    out = _segment_templates(lists.flatten())
    offsets = lists.offsets
    if offsets[0].as_py():
        offsets = pc.subtract(offsets, offsets[0])
    return pc.binary_join(pa.ListArray.from_arrays(offsets, out), "/")


def _mask_query_general(queries):
    np, pa, pc = _pa()
    lists = pc.split_pattern(queries, "&")
    pairs = lists.flatten()
    offsets = np.asarray(lists.offsets)
    offsets = offsets - offsets[0]
    parent = np.asarray(pc.list_parent_indices(lists))
    position = np.arange(len(pairs), dtype=np.int64) - offsets[parent]
    keys, _, has_sep = _split_once(pairs, "=")
    keys = pc.if_else(pc.match_substring_regex(keys, _RE2_KEY_SAFE), keys, MASK)
    masked = pc.if_else(pa.array(has_sep), pc.binary_join_element_wise(keys, "=" + MASK, ""), keys)
    over = position == _MAX_QUERY_KEYS
    if over.any():
        masked = pc.if_else(pa.array(over), "…", masked)
    keep = ((position < _MAX_QUERY_KEYS) & _mask(pc.not_equal(pairs, ""))) | over
    kept = np.zeros(len(queries) + 1, np.int32)
    np.cumsum(np.bincount(parent[keep], minlength=len(queries)), out=kept[1:])
    values = masked if keep.all() else masked.filter(pa.array(keep))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(kept), values), "&")


def mask_query_array(queries):
    """mask_query over an array of query strings (without the '?')."""
    np, pa, pc = _pa()
    queries = _plain_strings(queries)
    present = _mask(pc.not_equal(queries, ""))
    if not present.any():
        return queries

    def mask_present(subset):
        # The usual query (named keys, no empty pairs, at most 64): replace each value.
        plain = ~_mask(pc.match_substring_regex(subset, _RE2_QUERY_UNUSUAL))
        plain &= np.asarray(pc.count_substring(subset, "&")) < _MAX_QUERY_KEYS
        out = pc.replace_substring_regex(subset, "=[^&]*", "=" + MASK)
        return _on_subset(_mask_query_general, out if plain.all() else pc.if_else(pa.array(plain), out, subset),
                          ~plain)

    return _on_subset(mask_present, queries, present)


def _per_unique(fn, values):
    """fn over the distinct values only, mapped back: logs repeat their paths."""
    _, _, pc = _pa()
    encoded = pc.dictionary_encode(values)
    if len(encoded.dictionary) * 4 > len(values) * 3:
        return fn(values)
    return fn(encoded.dictionary).take(encoded.indices)


def mask_url_array(urls):
    """mask_url over an array: (path templates, masked queries)."""
    _, templates, queries = mask_url_parts_array(urls)
    return templates, queries


def mask_url_parts_array(urls):
    """(raw paths, their templates, masked queries): the raw paths are for deciding what to
    scan (path_may_hold_data_array), never for storing."""
    paths, queries = split_url_array(urls)
    return paths, _per_unique(path_template_array, paths), mask_query_array(queries)


def path_may_hold_data_array(paths, templates):
    """path_may_hold_data over arrays of paths and their templates -> numpy bool array."""
    np, _, pc = _pa()
    paths, templates = _plain_strings(paths), _plain_strings(templates)
    if not len(paths):
        return np.zeros(0, bool)
    hidden = pc.or_(pc.greater(pc.utf8_length(paths), _MAX_PATH), pc.match_substring_regex(templates, _HIDDEN_VALUE))
    return _mask(pc.or_(hidden, pc.match_substring_regex(paths, _DATA_IN_PATH)))
