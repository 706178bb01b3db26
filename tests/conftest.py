"""Shared fixtures: a real embedded ClickHouse (chDB) per test in a temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel.config import load_settings

# tldextract must never reach the network from a test.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def stale_compiled_modules() -> list[str]:
    """Sources edited after `pip install -e .` compiled them: Python would import the old
    compiled module and the tests would not see the edit."""
    built = [ext.stat().st_mtime for ext in (ROOT / "detectors").rglob("*__mypyc*.so")]
    if not built:
        return []
    sources = [*(ROOT / "detectors").rglob("*.py"), *(ROOT / "detectors").rglob("*.c")]
    return [str(src.relative_to(ROOT)) for src in sources
            if any(src.parent.glob(src.stem + ".*.so")) and src.stat().st_mtime > min(built)]


def pytest_configure(config):
    stale = stale_compiled_modules()
    if stale:
        pytest.exit(f"{', '.join(stale)} changed after being compiled: rebuild with `pip install -e .` "
                    "(or delete detectors/**/*.so and set SENTINEL_PURE_PYTHON=1 to test them interpreted)", returncode=4)


def write_config(directory: Path, text: str = "", name: str = "sentinel.toml") -> Path:
    path = directory / name
    path.write_text(f'data_dir = "{directory / "data"}"\n' + text)
    return path


@pytest.fixture
def settings_factory(tmp_path, monkeypatch):
    monkeypatch.delenv("SENTINEL_CONFIG", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)

    def make(text: str = ""):
        return load_settings(write_config(tmp_path, text))

    return make


@pytest.fixture
def store(settings_factory):
    """A migrated embedded store; chDB allows one data path per process, so it is closed after."""
    from sentinel.store import Store

    opened = Store.open(settings_factory())
    opened.migrate()
    yield opened
    opened.close()


# The opening of a program that runs in a fresh interpreter on an embedded store of its
# own: memory figures then belong to its workload alone. It has `store`, `writer` and
# status_mib("RssAnon") (a field of /proc/self/status, in MiB).
FRESH_STORE_PRELUDE = """
import re, time
from sentinel.config import load_settings
from sentinel.store import Store

def status_mib(field):
    return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024

store = Store.open(load_settings(None))
store.migrate()
writer = store.writer()
"""


def run_on_fresh_store(program: str, data_dir: Path) -> str:
    """FRESH_STORE_PRELUDE + `program` in a new interpreter with its data in `data_dir`; its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "SENTINEL_CONFIG"} | {"SENTINEL_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-c", FRESH_STORE_PRELUDE + program], capture_output=True, text=True,
                          env=env, check=True).stdout
