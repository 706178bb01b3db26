"""[detectors.watchlist]: the files of identifiers to guard, read when the scanner is built."""

from __future__ import annotations

import pytest

from sentinel.config import ConfigError
from sentinel.detection import scanner_for
from tests.test_cli import sentinel

CUSTOMER = "jane.customer@example.org"


def configure(settings_factory, tmp_path, *files: str):
    paths = ", ".join(f'"{tmp_path / name}"' for name in files)
    return settings_factory(f"[detectors.watchlist]\npaths = [{paths}]\n")


def test_every_file_is_read_comments_and_blank_lines_skipped(settings_factory, tmp_path):
    (tmp_path / "customers.txt").write_text(f"\ufeff# customers\n\n{CUSTOMER}\n  +44 7700 900456 , canary-phone\n")
    (tmp_path / "canaries.txt").write_text("cnry-7f3a9b21-billing,billing\n")
    scanner = scanner_for(configure(settings_factory, tmp_path, "customers.txt", "canaries.txt"), key=b"k" * 32)
    assert len(scanner.watchlist) == 3
    found = {(f.category, f.watchlist) for f in scanner.scan_text(f"to {CUSTOMER} and 447700900456 cnry-7f3a9b21-billing")}
    assert found == {("EMAIL", True), ("PHONE_NUMBER", True), ("CANARY", True)}


def test_a_watchlist_finding_hashes_as_the_detectors_do(settings_factory, tmp_path):
    (tmp_path / "customers.txt").write_text(CUSTOMER + "\n")
    key = b"k" * 32
    watched = scanner_for(configure(settings_factory, tmp_path, "customers.txt"), key=key)
    plain = scanner_for(settings_factory(""), key=key)
    (hit,) = watched.scan_text(f"mail {CUSTOMER}")
    (finding,) = plain.scan_text(f"mail {CUSTOMER}")
    assert hit.watchlist and hit.value_hash == finding.value_hash


@pytest.mark.parametrize("content,line,message", [
    (f"{CUSTOMER}\n,vip\n", 2, "no identifier before the comma"),
    ("# short ones match ordinary words\nab12\n", 2, "shorter than 6 characters"),
    (CUSTOMER.encode() + b"\n\xff\xfe" + CUSTOMER.encode() + b"\n", 2, "not UTF-8 text"),
])
def test_a_bad_line_is_named_by_file_and_number_never_by_its_value(settings_factory, tmp_path, content, line,
                                                                    message):
    path = tmp_path / "customers.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError) as error:
        scanner_for(configure(settings_factory, tmp_path, "customers.txt"))
    assert str(error.value).startswith(f"{path}:{line}: ") and message in str(error.value)
    assert CUSTOMER not in str(error.value) and "ab12" not in str(error.value)


def test_a_missing_or_unreadable_file_is_named_under_its_key(settings_factory, tmp_path):
    settings = configure(settings_factory, tmp_path, "missing.txt")
    with pytest.raises(ConfigError) as error:
        scanner_for(settings)
    assert error.value.problems == [("detectors.watchlist.paths[0]", f"{tmp_path / 'missing.txt'}: file not found")]
    (tmp_path / "adir").mkdir()
    with pytest.raises(ConfigError, match=r"paths\[0\]: .*adir: cannot read it: Is a directory"):
        scanner_for(configure(settings_factory, tmp_path, "adir"))


def test_config_check_counts_the_identifiers_and_says_none_of_them(tmp_path):
    (tmp_path / "watch.txt").write_text(f"{CUSTOMER},customer-1\ncnry-7f3a9b21-billing\n")
    config = tmp_path / "sentinel.toml"
    config.write_text('[detectors.watchlist]\npaths = ["watch.txt"]\n')
    result = sentinel("--config", str(config), "config", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "watchlist: 2 identifier(s) from 1 file(s)" in result.stdout
    assert CUSTOMER not in result.stdout and "cnry-7f3a9b21" not in result.stdout
