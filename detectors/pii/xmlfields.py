"""XML documents (SOAP, SAML, payment gateways) as field values: the text of each element
and each attribute, with the element names from the root as its field path.

Parsed with expat (C, streaming). A document that declares a DTD is refused outright, so
no entity is ever expanded (billion laughs, external entities); a refused or malformed
document yields nothing and the caller scans the body as text. A document that is only cut
short (a capped sample) keeps what was read.
"""

from __future__ import annotations

from time import perf_counter
from typing import Final
from xml.parsers import expat

# Element nesting kept in paths; deeper elements share the path of this depth.
MAX_PATH_DEPTH: Final = 32
# Attributes that name what an element holds: <saml:Attribute Name="givenName">,
# <field name="email">. The element's text and its value children take that name.
_LABELS: Final[tuple[str, ...]] = ("Name", "name", "key", "FriendlyName")
_VALUE_TAGS: Final = frozenset({"AttributeValue", "value", "Value"})


# How expat reports a document that simply stops: open elements at the end, a tag or a
# character cut in half.
_CUT_SHORT: Final = frozenset({expat.errors.codes[m] for m in (
    expat.errors.XML_ERROR_NO_ELEMENTS, expat.errors.XML_ERROR_UNCLOSED_TOKEN, expat.errors.XML_ERROR_PARTIAL_CHAR)})


class _Refused(Exception):
    pass


class _Enough(Exception):
    pass


def _local(name: str) -> str:
    """"soap:Body" and "{urn:x}Body" -> "Body": prefixes and namespaces are not context."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _refuse(*_args) -> None:
    raise _Refused


def xml_fields(text: str, max_values: int = 1 << 30,
               deadline: float = 0.0) -> list[tuple[str, tuple[str, ...], str, str]] | None:
    """``(value, path, name, parent)`` per non-blank element text and attribute, in
    document order. ``path`` holds element names from the root ("Attribute[givenName]"
    for a labelled element) and "@attr" last for an attribute; ``name`` and ``parent``
    are the field-name context. None if ``text`` is not well-formed XML.

    Reading stops, keeping what was read, at ``max_values`` values or when the
    ``perf_counter`` time ``deadline`` (0: none) has passed."""
    out: list[tuple[str, tuple[str, ...], str, str]] = []
    path: list[str] = []
    names: list[str] = []  # what each open element holds: its label, else its name
    texts: list[list[str]] = []
    opened = [0]  # elements started, for a clock check every 256

    def start(tag: str, attrs: dict[str, str]) -> None:
        opened[0] += 1
        if len(out) >= max_values or (deadline and not opened[0] & 255 and perf_counter() > deadline):
            raise _Enough
        local = _local(tag)
        label = next((attrs[k] for k in _LABELS if attrs.get(k)), "")
        parent = names[-1] if names else ""
        if label:
            name = label
        elif local in _VALUE_TAGS and parent:
            name = parent  # <Attribute Name="mail"><AttributeValue>...: the value is the mail
        else:
            name = local
        path.append(f"{local}[{label}]" if label else local)
        names.append(name)
        texts.append([])
        if attrs:
            here = tuple(path[:MAX_PATH_DEPTH])
            for key, value in attrs.items():
                if value.strip():  # labels too: a label may be data (<field name="jane@...">)
                    attr = _local(key)
                    out.append((value, here + ("@" + attr,), attr, name))

    def end(_tag: str) -> None:
        value = "".join(texts.pop()).strip()
        name = names.pop()
        if value:
            out.append((value, tuple(path[:MAX_PATH_DEPTH]), name, names[-1] if names else ""))
        path.pop()

    def chars(data: str) -> None:
        if texts:
            texts[-1].append(data)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    try:
        parser.Parse(text, True)
    except (expat.ExpatError, _Enough) as exc:
        if not names or (isinstance(exc, expat.ExpatError) and exc.code not in _CUT_SHORT):
            return None
        # A document cut short (a capped sample) or read no further: keep what was read,
        # and the text of the elements still open.
        for level in range(len(names)):
            value = "".join(texts[level]).strip()
            if value:
                out.append((value, tuple(path[:min(level + 1, MAX_PATH_DEPTH)]), names[level],
                            names[level - 1] if level else ""))
    except (_Refused, ValueError):
        return None
    return out
