"""Shared fixtures: a real embedded ClickHouse (chDB) per test in a temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sentinel.config import load_settings

# tldextract must never reach the network from a test.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

DATA = Path(__file__).parent / "data"


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
