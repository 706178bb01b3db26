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
import time
from pathlib import Path

from detectors.pii import prefilter

log = logging.getLogger(__name__)

_SUFFIX = ".hsdb"
_MAX_BYTES = 64 << 20  # the built-in database is about 1 MB
# An entry no run has used for this long is removed: an upgrade that changes the patterns
# leaves the old database behind (about 1 MB each), and another configuration's custom
# detectors, still in use, keep theirs fresh.
STALE_SECONDS = 30 * 86400


class PrefilterCache:
    """The databases under ``<data_dir>/cache/prefilter/``: ``attach()`` before a
    Scanner is built, ``save()`` after."""

    def __init__(self, data_dir: Path):
        self.directory = data_dir / "cache" / "prefilter"
        self.read: dict[str, bytes] = {}  # entries read intact since attach()

    def attach(self) -> None:
        prefilter.use_stored_databases(self._lookup)

    def _lookup(self, digest: str) -> bytes | None:
        path = self.directory / f"{digest}{_SUFFIX}"
        try:
            if path.stat().st_size > _MAX_BYTES:
                return None
            entry = path.read_bytes()
        except OSError:
            return None  # nothing saved yet, or not readable: compile
        self.read[digest] = entry
        try:
            os.utime(path)  # in use: not stale
        except OSError:
            pass
        return entry

    def save(self) -> int:
        """Writes the databases that were not read intact (new, or damaged and compiled
        again); returns how many. A read-only or full disk costs the next start its half
        second, nothing more."""
        written = 0
        for digest, entry in prefilter.export_databases().items():
            if self.read.get(digest) == entry:
                continue
            path = self.directory / f"{digest}{_SUFFIX}"
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(entry)
                os.replace(tmp, path)  # readers see a whole file or none
                written += 1
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                log.debug("prefilter cache: cannot write %s: %s", path.name, exc)
        self._prune()
        return written

    def _prune(self) -> None:
        cutoff = time.time() - STALE_SECONDS
        try:
            entries = list(self.directory.glob(f"*{_SUFFIX}"))
        except OSError:
            return
        for path in entries:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    log.info("prefilter cache: removed %s, unused for %d days", path.name, STALE_SECONDS // 86400)
            except OSError:
                continue  # gone already, or not ours to remove
