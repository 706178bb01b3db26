"""Where Sentinel keeps its state when the config does not say."""

from __future__ import annotations

import os
from pathlib import Path


# The unit's StateDirectory=sentinel: where the daemon keeps its state on a systemd host.
SYSTEM_STATE_DIR = Path("/var/lib/sentinel")


def default_data_dir() -> Path:
    """$SENTINEL_DATA_DIR, else systemd's $STATE_DIRECTORY, else the systemd unit's state
    directory when this host has one this user may read, else the XDG data directory."""
    explicit = os.environ.get("SENTINEL_DATA_DIR")
    if explicit:
        return Path(explicit)
    # systemd may pass several directories separated by ':'; StateDirectory=sentinel is the first.
    state = os.environ.get("STATE_DIRECTORY")
    if state:
        return Path(state.split(":")[0])
    # An operator's shell on the daemon's host has no $STATE_DIRECTORY: without this, the
    # CLI opened a new, empty store in the home directory and said there were no alerts.
    if SYSTEM_STATE_DIR.is_dir() and os.access(SYSTEM_STATE_DIR, os.R_OK | os.X_OK):
        return SYSTEM_STATE_DIR
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "sentinel"


def credentials_dir() -> Path | None:
    """systemd's LoadCredential= directory, when running under it."""
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    return Path(creds) if creds else None


def file_in_the_way(directory: Path) -> Path | None:
    """The existing non-directory that keeps `directory` from being created, if any: the path
    itself or its nearest existing ancestor."""
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None
