"""The README's promise: exactly two set-up commands at the top, and CI runs the second."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_exactly_two_setup_commands_in_the_first_code_block():
    commands = setup_commands()
    assert len(commands) == 2
    assert "sentinel" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    assert setup_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_the_detectors_example_is_a_configuration_sentinel_accepts(tmp_path):
    # The reference's example, as a user would paste it into sentinel.toml.
    from sentinel.config import load_settings
    from sentinel.detection import scanner_for

    text = (ROOT / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if b.startswith("[detectors]\n")]
    (tmp_path / "sentinel.toml").write_text(block)
    scanner = scanner_for(load_settings(tmp_path / "sentinel.toml"))
    assert "custom.employee_id" in {r.name for r in scanner.recognizers}
    assert "passport" not in {r.name for r in scanner.recognizers}
    found = scanner.scan_text("staff record EMP-123456")
    assert [f.category for f in found] == ["EMPLOYEE_ID"]
