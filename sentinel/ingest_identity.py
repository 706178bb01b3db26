"""Which file is this? Identities of backfill inputs, and how far each was read.

A file is known by the hash of its first 256 bytes (`sentinel.collect.tail.fingerprint`),
and its checkpoint records a longer head: its first IDENTITY_HEAD_BYTES bytes (or all of
it, if shorter). A file whose recorded head is a prefix of the new file's head is that
file (a copy, a rotated name, or the same file grown) and resumes from its checkpoint.
A copy shorter than the recorded head (taken before the file grew) is recognised by the
file at the checkpoint's path, if it is still there; only for a 256-byte identity.

Files whose first 256 bytes are alike but which differ further on (logs that begin with
a long fixed header, such as AWS Transit Gateway flow logs) are different files: the
first keeps the 256-byte identity, the others get the hash of their longer head, so their
checkpoints and event ids (origin = identity[:16]) never meet.

Checkpoints written before heads were recorded this long hold only the first 256 bytes.
Such an entry is told apart by what its path holds now, if that is still the file it
recorded; otherwise the file is taken for it, as before. Either way the entry's head is
then lengthened, so that later files are told apart from it without looking.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sentinel.collect.checkpoint import Checkpoint, CheckpointStore, hash_head
from sentinel.collect.tail import FINGERPRINT_BYTES, read_head

log = logging.getLogger("sentinel.ingest")

IDENTITY_HEAD_BYTES = 4096  # past any log's header line, and a few of its records


@dataclass
class _Claim:
    head: bytes  # what the file is recognised by, as recorded in its checkpoint
    queued: int  # every byte before this is queued for the store in this run


class Identities:
    """File identities for one ingest run, backed by its checkpoints."""

    def __init__(self, checkpoints: CheckpointStore):
        self.checkpoints = checkpoints
        self._this_run: dict[str, _Claim] = {}  # identity -> file read in this run
        self._this_run_by_first: dict[str, list[str]] = {}  # hash of the first 256 bytes -> identities

    def identify(self, path: Path) -> str | None:
        """The identity of the file at `path`; None for an empty file."""
        head = read_head(path, IDENTITY_HEAD_BYTES)
        if not head:
            return None
        fp = self._known(path, head) or self._new(head)
        if fp not in self._this_run:
            self._this_run[fp] = _Claim(head, 0)
            self._this_run_by_first.setdefault(hash_head(head[:FINGERPRINT_BYTES]), []).append(fp)
        return fp

    def head(self, fp: str) -> bytes:
        return self._this_run[fp].head

    def queued(self, fp: str) -> int | None:
        """How far a file of this identity was queued in this run; None if none was read."""
        claim = self._this_run.get(fp)
        return claim.queued if claim is not None and claim.queued else None

    def mark_queued(self, fp: str, end: int) -> None:
        claim = self._this_run[fp]
        claim.queued = max(claim.queued, end)

    # -- a file seen before --------------------------------------------------------------
    def _known(self, path: Path, head: bytes) -> str | None:
        for fp in self.checkpoints.lookup_head(head):
            if self._holds(self.checkpoints.get(fp), path, head):
                return fp
        for fp in self._this_run_by_first.get(hash_head(head[:FINGERPRINT_BYTES]), ()):
            claimed = self._this_run[fp].head
            n = min(len(claimed), len(head))
            if claimed[:n] == head[:n]:
                return fp  # a copy of a file seen earlier in this run, or that file grown
        return self._shorter_copy(head)

    def _holds(self, entry: Checkpoint, path: Path, head: bytes) -> bool:
        """Whether `entry`, whose recorded head begins `head`, is this file's checkpoint."""
        if entry.head_len >= min(len(head), entry.offset):
            return True  # what it recorded covers all it read, or all that can be compared
        # Recorded before heads were this long: compare with what its path holds now.
        held = _recorded_file_head(entry)
        if held is not None:
            n = min(len(held), len(head))
            if held[:n] != head[:n]:
                return False
        else:
            log.info("%s: its first %d bytes match those of %s, read before and no longer there: "
                     "taken for that file", path, entry.head_len, entry.path)
        longer = head[:min(len(head), entry.offset)]
        self.checkpoints.set_head(entry.fingerprint, len(longer), hash_head(longer))
        return True

    def _shorter_copy(self, head: bytes) -> str | None:
        """A file shorter than the head recorded for its first bytes: an earlier copy of
        that file (then already read) if that file still begins with all of it."""
        fp = hash_head(head[:FINGERPRINT_BYTES])
        entry = self.checkpoints.get(fp)
        if entry is None or entry.head_len <= len(head):
            return None
        held = _recorded_file_head(entry)
        return fp if held is not None and held.startswith(head) else None

    # -- a new file ----------------------------------------------------------------------
    def _new(self, head: bytes) -> str:
        """The 256-byte identity; the longer head's when another file already has that one."""
        fp = hash_head(head[:FINGERPRINT_BYTES])
        if self._taken(fp):
            fp = hash_head(head)
        n = 0
        while self._taken(fp):  # only after a hash collision, or a salted identity of the tailer
            n += 1
            fp = hash_head(head + b"\0" + str(n).encode())
        return fp

    def _taken(self, fp: str) -> bool:
        return fp in self.checkpoints or fp in self._this_run


def _recorded_file_head(entry: Checkpoint) -> bytes | None:
    """The head of the file at the entry's path, if that can still be the file it recorded:
    it begins with the recorded head and holds at least what was read of it."""
    try:
        if os.path.getsize(entry.path) < entry.offset:
            return None
        held = read_head(entry.path, IDENTITY_HEAD_BYTES)
    except (OSError, EOFError):
        return None
    if hash_head(held[:entry.head_len]) != entry.head_hash:
        return None
    return held
