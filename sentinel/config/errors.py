"""One error type for every configuration problem, naming file, key path and expectation."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A configuration file is unreadable or invalid.

    ``problems`` is a list of ``(key_path, message)``; ``str()`` names the file
    on every line so a user can go straight to the key.
    """

    def __init__(self, path: Path | str, problems: list[tuple[str, str]]):
        self.path = str(path)
        self.problems = problems
        lines = [f"{self.path}: {key}: {message}" if key else f"{self.path}: {message}" for key, message in problems]
        super().__init__("\n".join(lines))


def pydantic_problems(error) -> list[tuple[str, str]]:
    """Turn a pydantic ValidationError into (key path, message) pairs without echoing values."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        loc = _key_path(item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            message = "required key is missing"
        elif kind in _EXPECTED:
            message = _EXPECTED[kind]
        else:
            message = item["msg"]
            # pydantic prefixes errors raised in validators with "Value error, "
            message = message.removeprefix("Value error, ")
        problems.append(keyed_problem(loc, message))
    return problems


def keyed_problem(key: str, message: str) -> tuple[str, str]:
    """``(key, message)``, or the deeper key path that a section's own parser names at the head of
    its message ("detectors.custom[0].regex: not a valid RE2 pattern" under "detectors")."""
    head, sep, rest = message.partition(": ")
    if sep and key and (head == key or head.startswith((key + ".", key + "["))):
        return head, rest
    return key, message


_EXPECTED = {
    "model_type": "expected a table (e.g. [section] or { key = value })",
    "dict_type": "expected a table (e.g. [section] or { key = value })",
    "list_type": "expected a list (e.g. [\"a\", \"b\"])",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer, not a fraction",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected a string in quotes",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


def _key_path(loc: tuple) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        elif part in ("function-after", "function-before", "function-plain"):
            continue
        elif isinstance(part, str) and part.startswith(("function-", "union[", "tagged-union[")):
            continue
        else:
            parts.append(str(part))
    return ".".join(parts)
