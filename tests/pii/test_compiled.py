"""The README's install compiles the scan path with mypyc (setup.py), so the tests and
the benchmark run the code users run."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

import detectors.pii
from detectors.pii import context, masking, rx, structure

PII = Path(detectors.pii.__file__).parent
# What setup.py leaves interpreted.
INTERPRETED = {"detectors.pii", "detectors.pii.ner", "detectors.pii.config", "detectors.pii.htmltext"}


def scan_path_modules() -> list[str]:
    names = []
    for source in sorted(PII.rglob("*.py")):
        parts = source.relative_to(PII.parent.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in INTERPRETED:
            names.append(name)
    return names


@pytest.mark.skipif(bool(os.environ.get("SENTINEL_PURE_PYTHON")), reason="installed interpreted on purpose")
def test_every_scan_path_module_is_compiled():
    interpreted = [n for n in scan_path_modules() if importlib.import_module(n).__file__.endswith(".py")]
    assert len(scan_path_modules()) > 20
    assert not interpreted, f"not compiled (see the warning pip printed, setup.py): {interpreted}"
    assert detectors.pii.COMPILED
    assert structure._CWALK is not None, "the C walk (detectors/pii/_walk.c) was not built"
    assert context._C_TEXT is not None, "the C text scans (detectors/pii/_text.c) were not built"


@pytest.mark.skipif(bool(os.environ.get("SENTINEL_PURE_PYTHON")), reason="installed interpreted on purpose")
@pytest.mark.parametrize("header, built, module", [
    ("openssl/sha.h", lambda: masking._C_HMAC, "_hmac.c"),
    ("re2/re2.h", lambda: rx._C_RX, "_rx.cpp"),
])
def test_modules_on_system_libraries_are_built_where_the_library_is(header, built, module):
    """_hmac and _rx need OpenSSL's and RE2's headers (libssl-dev, libre2-dev); without
    them setup.py leaves them out and the wheels do the work."""
    if not any((Path(d) / header).exists() for d in ("/usr/include", "/usr/local/include")):
        pytest.skip(f"{header} is not installed, so {module} is not built here")
    assert built() is not None, f"{module} was not built although {header} is installed (see pip's warning)"
