"""The scan path's modules written in C (setup.py builds them where it can: _walk,
_text, _hmac needs libssl-dev, _rx needs libre2-dev, _hs needs libhyperscan-dev). Each
has a Python twin that does its work where the module is missing."""

from __future__ import annotations

import importlib
from typing import Any, Final

# Their names without the underscore, as detectors.pii.NATIVE and the daemon's metrics
# report them.
C_MODULES: Final = ("walk", "text", "hmac", "rx", "hs")


def c_module(name: str) -> Any:
    """``detectors.pii.<name>`` where the install built it, else None."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:  # no C compiler, or a library missing, at install
        return None
