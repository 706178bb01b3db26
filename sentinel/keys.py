"""The site key: the secret behind every keyed hash of a detected value.

Counting distinct data subjects needs a stable hash of each value; an unkeyed hash
of an e-mail address can be reversed by guessing, so the hash is an HMAC under a
key that never leaves the host.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from sentinel.config import ConfigError, Settings
from sentinel.paths import credentials_dir, file_in_the_way

log = logging.getLogger("sentinel.keys")

KEY_BYTES = 32
CREDENTIAL_NAME = "site-key"


def unwritable_key_path(path: Path) -> str | None:
    """Why a key cannot be written at `path`, when the path itself is wrong (not when it exists)."""
    if path.is_dir():
        return "is a directory; give the path of the key file to write"
    blocker = file_in_the_way(path.parent)
    if blocker is not None:
        return f"cannot create it: {blocker} is not a directory"
    return None


def generate_key_file(path: Path, force: bool = False) -> Path:
    """Write a new random key (hex) with mode 0600; refuse to overwrite unless forced."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    # Create with 0600 from the start: a chmod after writing leaves a window.
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    os.chmod(path, 0o600)
    return path


def read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except UnicodeDecodeError:  # quote none of its bytes: they may be a key all the same
        raise ConfigError(path, [("", "not a valid site key: expected text, such as the 64 hex digits "
                                      "`sentinel keygen` writes")]) from None
    except FileNotFoundError:
        raise ConfigError(path, [("", "site key file not found (create one with `sentinel keygen --out PATH`)")]) from None
    except OSError as exc:
        raise ConfigError(path, [("", f"site key file unreadable: {exc.strerror}")]) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = text.encode()
    if len(key) < 16:
        raise ConfigError(path, [("", "site key is shorter than 16 bytes; generate one with `sentinel keygen`")])
    _warn_if_others_can_read(path)
    return key


def _warn_if_others_can_read(path: Path) -> None:
    # Whoever reads the key can test guesses against every stored hash (an e-mail
    # address is guessable): say so, as ssh does of a private key, but go on.
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return
    if mode & 0o077:
        log.warning("site key %s is readable by others (mode %04o): run chmod 600 %s", path, mode, path)


def load_site_key(settings: Settings, create: bool = True) -> bytes:
    """Configured file, else systemd credential, else <data_dir>/site.key (created on first use,
    unless not to ``create``: a lookup under a new key would find nothing, and say nothing)."""
    configured = settings.config.keys.site_key_file
    if configured:
        return read_key_file(Path(configured))
    creds = credentials_dir()
    if creds and (creds / CREDENTIAL_NAME).exists():
        return read_key_file(creds / CREDENTIAL_NAME)
    default = settings.data_dir / "site.key"
    if not default.exists():
        if not create:
            raise ConfigError(default, [("", "no site key yet: nothing has been hashed under one, so nothing stored "
                                             "can match (the daemon, `ingest` and `demo` create it)")])
        try:
            generate_key_file(default)
        except FileExistsError:
            pass  # another process created it first; read theirs
    return read_key_file(default)
