"""Keeps the detectors' compiled Hyperscan databases on disk between runs.

Compiling the built-in patterns takes about half a second at every start of the daemon
and of one-shot commands (`sentinel detect` as a pre-commit hook, `sentinel scan` in CI).
The detectors do no I/O, so this module saves what they compiled under the data
directory and hands it back at the next start. The files hold patterns only, never
data; a damaged or foreign one is ignored and compiled anew.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from detectors.pii import prefilter

log = logging.getLogger(__name__)

_SUFFIX = ".hsdb"
_MAX_BYTES = 64 << 20  # the built-in database is about 1 MB


def cache_dir(data_dir: Path) -> Path:
    return data_dir / "cache" / "prefilter"


def load(directory: Path) -> dict[str, bytes]:
    """Hands the saved databases to the detectors; returns what was read."""
    entries: dict[str, bytes] = {}
    try:
        files = [p for p in directory.iterdir() if p.suffix == _SUFFIX]
    except OSError:
        return entries  # nothing saved yet, or not readable: compile
    for path in files:
        try:
            if path.stat().st_size <= _MAX_BYTES:
                entries[path.stem] = path.read_bytes()
        except OSError as exc:
            log.debug("prefilter cache: cannot read %s: %s", path.name, exc)
    prefilter.import_databases(entries)
    return entries


def save(directory: Path, loaded: dict[str, bytes]) -> int:
    """Writes the databases that were not read intact at start (new, or damaged and
    compiled again); returns how many. A read-only or full disk costs the next start
    its half second, nothing more."""
    written = 0
    for digest, entry in prefilter.export_databases().items():
        if loaded.get(digest) == entry:
            continue
        path = directory / f"{digest}{_SUFFIX}"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(entry)
            os.replace(tmp, path)  # readers see a whole file or none
            written += 1
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.debug("prefilter cache: cannot write %s: %s", path.name, exc)
    return written
