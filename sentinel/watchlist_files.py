"""The watchlist's files ([detectors.watchlist] paths): identifiers to guard, one a line.

A line is the identifier; the first comma ends it, and what follows is not read (a note
for the file's reader, or the other columns of a CSV export, which may be personal data
too: none of it is kept). Blank lines and lines starting with # are skipped. Only keyed
hashes of each identifier are kept, and nothing read from a file is ever repeated in a
message: a bad line is named by its file and number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from sentinel.config import ConfigError, Settings, beside_config

# Shorter values would match ordinary tokens of traffic ("id", "2024", "admin") and raise
# a critical alert for each.
MIN_CHARS = 6


def read_watchlist(settings: Settings, paths: Iterable[str], key: bytes | None, phone_regions: Iterable[str]):
    """The Watchlist of every file in ``paths``, keyed with ``key`` (None: a key drawn for this
    process, which the scanner then adopts); ConfigError naming the file, or the file and
    line, of the first problem."""
    from detectors.pii import Watchlist

    watchlist = Watchlist(key=key, phone_regions=phone_regions)
    for i, path in enumerate(beside_config(settings.config_path, p) for p in paths):
        for number, value in _identifiers(settings, i, path):
            try:
                watchlist.add(value)
            except ValueError:  # its message may hold the value
                raise _line_error(path, number, "not an identifier that can be guarded") from None
    return watchlist


def _identifiers(settings: Settings, index: int, path: Path) -> Iterator[tuple[int, str]]:
    """(line number, identifier) of each line that holds one."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else f"cannot read it: {exc.strerror}"
        raise ConfigError(settings.config_path or "sentinel.toml",
                          [(f"detectors.watchlist.paths[{index}]", f"{path}: {reason}")]) from None
    with handle:
        try:
            yield from identifier_lines(handle)
        except IdentifierLineError as exc:
            raise _line_error(path, exc.line, exc.reason) from None


def _line_error(path: Path, number: int, message: str) -> ConfigError:
    return ConfigError(f"{path}:{number}", [("", message)])


class IdentifierLineError(ValueError):
    """A line of an identifier file that holds no usable identifier; names the line, never its text."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def identifier_lines(lines: Iterable[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, identifier) of each line of an identifier file (the watchlist's, or the
    identifiers `sentinel subject` looks up) that holds one; IdentifierLineError for a bad one."""
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise IdentifierLineError(number, "not UTF-8 text") from None
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte order mark, as spreadsheets export
        if not line or line.startswith("#"):
            continue
        value = line.partition(",")[0].strip()
        if not value:
            raise IdentifierLineError(number, "no identifier before the comma")
        if len(value) < MIN_CHARS:
            raise IdentifierLineError(number, f"identifier shorter than {MIN_CHARS} characters: it would match "
                                              f"ordinary words and numbers in traffic")
        yield number, value
