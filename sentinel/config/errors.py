"""One error type for every configuration problem, naming file, key path and expectation."""

from __future__ import annotations

import difflib
import re
import types
import typing
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


def pydantic_problems(error, model=None) -> list[tuple[str, str]]:
    """Turn a pydantic ValidationError into (key path, message) pairs without echoing values.
    ``model``, the validated class, lets an unknown key name the closest known one."""
    problems = []
    for item in error.errors(include_url=False):
        loc = _key_path(item["loc"])
        kind = item["type"]
        if kind == "extra_forbidden":
            message = "unknown key" + _did_you_mean(item["loc"], model)
        elif kind == "list_type" and isinstance(item.get("input"), dict):
            # [name] where [[name]] was meant: TOML made one table of what should be a list of them.
            header = ".".join(part.split("[")[0] for part in loc.split("."))
            message = f"expected a list of tables: write each entry as a [[{header}]] table (double brackets)"
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
    its message ("detectors.custom[0].regex: not a valid RE2 pattern" under "detectors"), or
    that a list's validator names by index ("[2].allow: ..." under "endpoints")."""
    head, sep, rest = message.partition(": ")
    if sep and key and (head == key or head.startswith((key + ".", key + "["))):
        return head, rest
    if sep and key and _ENTRY.fullmatch(head):
        return key + head, rest
    return key, message


_ENTRY = re.compile(r"(\[\d+\])(\.[a-z_]+)*")


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
    "bool_type": "expected true or false, without quotes",
    "bool_parsing": "expected true or false, without quotes",
}


def _did_you_mean(loc: tuple, model) -> str:
    """The closest known key of that table, else the table one level down that has this key
    ([policy] written for [subprocessor.policy])."""
    if model is None:
        return ""
    key, table = str(loc[-1]), loc[:-1]
    close = difflib.get_close_matches(key, _keys_at(model, table), n=1)
    if close:
        return f"; did you mean {close[0]}?"
    below = [f"{inner}.{key}" for inner in _keys_at(model, table) if key in _keys_at(model, (*table, inner))]
    return f"; did you mean {below[0]}?" if below else ""


def _keys_at(model, loc: tuple) -> list[str]:
    """The keys the table at ``loc`` (a pydantic error location) may have."""
    for part in loc:
        if isinstance(part, int) or part not in model.model_fields:
            continue  # a list index, or a validator's step
        model = _model_in(model.model_fields[part].annotation)
        if model is None:
            return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_in(annotation):
    """The pydantic model a field holds, itself or in a list, an optional or an Annotated."""
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


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
