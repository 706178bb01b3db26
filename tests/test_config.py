from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sentinel.config import (ConfigError, load_daemon_config, load_registry, load_settings, redact_dsn,
                             shipped_registry_path)
from sentinel.keys import generate_key_file, load_site_key

CONF = Path(__file__).parent / "conf"


def _expectation(path: Path) -> tuple[str, str]:
    first = path.read_text().splitlines()[0]
    key, _, message = first.removeprefix("# expect:").partition("|")
    return key.strip(), message.strip()


@pytest.mark.parametrize("path", sorted((CONF / "broken").glob("*.toml")), ids=lambda p: p.stem)
def test_broken_daemon_config_names_file_key_and_expectation(path):
    key, message = _expectation(path)
    with pytest.raises(ConfigError) as caught:
        load_daemon_config(path)
    text = str(caught.value)
    assert str(path) in text
    assert any(k == key and message in m for k, m in caught.value.problems), caught.value.problems


@pytest.mark.parametrize("path", sorted((CONF / "registry").glob("*.toml")), ids=lambda p: p.stem)
def test_broken_registry_names_file_key_and_expectation(path):
    key, message = _expectation(path)
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    assert str(path) in str(caught.value)
    assert any(k == key and message in m for k, m in caught.value.problems), caught.value.problems


def test_shipped_files_validate_and_cover_at_least_30_subprocessors():
    repo = Path(__file__).parent.parent
    config, _ = load_daemon_config(repo / "config" / "sentinel.toml")
    assert config.storage.database == "sentinel"
    registry, _ = load_registry(repo / "config" / "subprocessors.toml")
    kinds = {sub.kind for sub in registry.subprocessor}
    assert len(registry.subprocessor) >= 30
    assert {"payments", "analytics", "email", "support", "error_tracking", "logging", "ai"} <= kinds
    assert shipped_registry_path().read_bytes() == (repo / "config" / "subprocessors.toml").read_bytes()


def test_every_shipped_key_is_documented_by_a_comment():
    text = (Path(__file__).parent.parent / "config" / "sentinel.toml").read_text().splitlines()
    for i, line in enumerate(text):
        if "=" in line and not line.startswith("#") and not line.startswith("["):
            previous = [l for l in text[max(0, i - 12):i] if l.strip()]
            assert any(l.lstrip().startswith("#") for l in previous), f"undocumented key: {line}"


def test_defaults_apply_without_any_file(monkeypatch, tmp_path):
    monkeypatch.delenv("SENTINEL_CONFIG", raising=False)
    monkeypatch.setenv("SENTINEL_DATA_DIR", str(tmp_path / "state"))
    settings = load_settings()
    assert settings.config_path == ""
    assert settings.data_dir == tmp_path / "state"
    assert settings.dsn == f"chdb://{tmp_path / 'state' / 'chdb'}"


def test_state_directory_under_systemd(monkeypatch, tmp_path):
    monkeypatch.delenv("SENTINEL_DATA_DIR", raising=False)
    monkeypatch.delenv("SENTINEL_CONFIG", raising=False)
    monkeypatch.setenv("STATE_DIRECTORY", f"{tmp_path}/sentinel:{tmp_path}/other")
    assert load_settings().data_dir == tmp_path / "sentinel"


def test_environment_selects_config_and_relative_registry(monkeypatch, tmp_path):
    (tmp_path / "reg.toml").write_text('[[subprocessor]]\nname = "acme"\ndomains = ["acme.test"]\n')
    (tmp_path / "s.toml").write_text('registry = "reg.toml"\n')
    monkeypatch.setenv("SENTINEL_CONFIG", str(tmp_path / "s.toml"))
    settings = load_settings()
    assert [s.name for s in settings.registry.subprocessor] == ["acme"]
    assert settings.registry_path == str(tmp_path / "reg.toml")


def test_digest_changes_with_registry(tmp_path):
    (tmp_path / "reg.toml").write_text('[[subprocessor]]\nname = "acme"\ndomains = ["acme.test"]\n')
    (tmp_path / "s.toml").write_text('registry = "reg.toml"\n')
    before = load_settings(tmp_path / "s.toml").digest
    (tmp_path / "reg.toml").write_text('[[subprocessor]]\nname = "acme"\ndomains = ["acme.example"]\n')
    assert load_settings(tmp_path / "s.toml").digest != before


def test_missing_registry_file_is_named(tmp_path):
    (tmp_path / "s.toml").write_text('registry = "nope.toml"\n')
    with pytest.raises(ConfigError, match="nope.toml: file not found"):
        load_settings(tmp_path / "s.toml")


# -- site key ------------------------------------------------------------------------------
def test_keygen_writes_0600_and_refuses_overwrite(tmp_path):
    path = generate_key_file(tmp_path / "k" / "site.key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    with pytest.raises(FileExistsError):
        generate_key_file(path)
    old = path.read_text()
    generate_key_file(path, force=True)
    assert path.read_text() != old


def test_key_generated_on_first_use_and_reused(settings_factory):
    settings = settings_factory()
    first = load_site_key(settings)
    assert stat.S_IMODE(os.stat(settings.data_dir / "site.key").st_mode) == 0o600
    assert load_site_key(settings) == first


def test_configured_key_missing_is_clear_error(settings_factory, tmp_path):
    settings = settings_factory(f'[keys]\nsite_key_file = "{tmp_path}/absent.key"\n')
    with pytest.raises(ConfigError, match="absent.key: site key file not found"):
        load_site_key(settings)


def test_systemd_credential_is_used(settings_factory, tmp_path, monkeypatch):
    creds = tmp_path / "creds"
    generate_key_file(creds / "site-key")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    settings = settings_factory()
    assert load_site_key(settings) == bytes.fromhex((creds / "site-key").read_text().strip())
    assert not (settings.data_dir / "site.key").exists()


def test_short_key_rejected(settings_factory, tmp_path):
    (tmp_path / "short.key").write_text("abcd")
    settings = settings_factory(f'[keys]\nsite_key_file = "{tmp_path}/short.key"\n')
    with pytest.raises(ConfigError, match="shorter than 16 bytes"):
        load_site_key(settings)


@pytest.mark.parametrize("dsn,shown", [
    ("http://sentinel:hunter2pass@127.0.0.1:1/sentinel", "http://sentinel:***@127.0.0.1:1/sentinel"),
    ("https://u:p%40ss@ch.internal:8443/db?password=hunter2&compress=1", "https://u:***@ch.internal:8443/db?password=***&compress=1"),
    ("https://sentinel@ch.internal:8443/sentinel", "https://sentinel@ch.internal:8443/sentinel"),
    ("chdb:///var/lib/sentinel/chdb", "chdb:///var/lib/sentinel/chdb"),
])
def test_a_dsn_is_shown_without_its_password(dsn, shown):
    assert redact_dsn(dsn) == shown


def test_on_the_daemons_host_the_cli_finds_its_state_directory(tmp_path, monkeypatch):
    # An operator's shell has no $STATE_DIRECTORY: the CLI opened a new, empty store in the
    # home directory and reported no alerts while the daemon had them under /var/lib/sentinel.
    from sentinel import paths

    for name in ("SENTINEL_DATA_DIR", "STATE_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    unit_state = tmp_path / "var-lib-sentinel"  # stands in for /var/lib/sentinel, which tests may not create
    monkeypatch.setattr(paths, "SYSTEM_STATE_DIR", unit_state)
    assert paths.default_data_dir() == tmp_path / "xdg" / "sentinel"  # no daemon on this host
    unit_state.mkdir()
    assert paths.default_data_dir() == unit_state
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "run"))  # the daemon itself, under systemd
    assert paths.default_data_dir() == tmp_path / "run"


@pytest.mark.parametrize("text, key", [
    ('[[alerts.routes]]\nname = "billing"\nurls = ["mailto://oncall@example.com"]\nsubprocessors = ["strpe"]\n',
     "alerts.routes[0].subprocessors"),
    ('[detectors.allowlist.subprocessors.strpe]\ncategories = ["IP_ADDRESS"]\n', "detectors.allowlist.subprocessors.strpe"),
])
def test_a_name_the_registry_does_not_have_is_refused_with_the_close_ones(tmp_path, text, key):
    # A typo routed, or allowlisted, nothing, and said so nowhere.
    (tmp_path / "reg.toml").write_text('[[subprocessor]]\nname = "stripe"\ndomains = ["stripe.com"]\n')
    (tmp_path / "s.toml").write_text('registry = "reg.toml"\n' + text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "s.toml")
    assert caught.value.problems == [(key, "the registry names no sub-processor 'strpe'; did you mean stripe?")]
    assert str(caught.value).startswith(f"{tmp_path / 's.toml'}: {key}: ")
    (tmp_path / "s.toml").write_text('registry = "reg.toml"\n' + text.replace("strpe", "stripe"))
    assert load_settings(tmp_path / "s.toml").registry.subprocessor[0].name == "stripe"


def test_every_bad_entry_of_a_list_is_reported_with_its_index(tmp_path):
    # The first bad entry alone sent the author back to the file once per mistake.
    path = tmp_path / "reg.toml"
    path.write_text('[[subprocessor]]\nname = "acme"\ndomains = ["acmecrm.io", "https://x.io", "203.0.113.10"]\n'
                    'cidrs = ["10.0.0.0/33", "acmecrm.io", "192.0.2.0/24"]\n'
                    '[subprocessor.policy]\nallow = ["EMAIL", "EMAILS", "phone"]\n')
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    assert [key for key, _ in caught.value.problems] == [
        "subprocessor[0].domains[1]", "subprocessor[0].domains[2]", "subprocessor[0].cidrs[0]",
        "subprocessor[0].cidrs[1]", "subprocessor[0].policy.allow[1]", "subprocessor[0].policy.allow[2]"]
    assert caught.value.problems[3][1].endswith("got 'acmecrm.io'; host names go in domains")


def test_every_rule_only_the_order_of_the_file_would_settle_is_refused_naming_both(tmp_path):
    # The same rule under two sub-processors went, unsaid, to whichever the matcher kept.
    path = tmp_path / "reg.toml"
    path.write_text('[[subprocessor]]\nname = "stripe"\ndomains = ["stripe.com", "email.*.amazonaws.com"]\n'
                    'cidrs = ["192.0.2.0/24"]\n'
                    '[[subprocessor]]\nname = "acme"\ndomains = ["acme.test", "stripe.com", "email.eu.*.com"]\n'
                    'cidrs = ["192.0.2.0/24"]\n')
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    assert caught.value.problems == [
        ("subprocessor[1].domains[1]", "'stripe.com' of 'acme' is also a domain rule of 'stripe' "
         "(subprocessor[0].domains[0]): only their order in the file would decide which of the two gets its "
         "traffic; keep it under one"),
        ("subprocessor[1].domains[2]", "'email.eu.*.com' of 'acme' and 'email.*.amazonaws.com' of 'stripe' "
         "(subprocessor[0].domains[1]) both cover 'email.eu.amazonaws.com', as specific: only their order in the "
         "file would decide which of the two gets that traffic; list those hosts without '*' under the one meant, "
         "or drop one of the two"),
        ("subprocessor[1].cidrs[0]", "'192.0.2.0/24' of 'acme' is also a CIDR range of 'stripe' "
         "(subprocessor[0].cidrs[0]): only their order in the file would decide which of the two gets its traffic; "
         "keep it under one")]
    assert str(caught.value).startswith(f"{path}: subprocessor[1].domains[1]: 'stripe.com' of 'acme'")


@pytest.mark.parametrize("stripe, acme", [
    (["stripe.com"], ["files.stripe.com"]),  # a parent domain under one, a host under another
    (["*.stripe.com"], ["api.stripe.com", "*.api.stripe.com"]),
    (["amazonaws.com"], ["email.*.amazonaws.com"]),  # a pattern, more specific than the parent
    (["email.*.amazonaws.com"], ["email.eu-west-1.amazonaws.com"]),  # an exact host wins a tie with a pattern
    # as specific over email.eu.example.com, but the exact rule takes it from both
    (["email.*.example.com"], ["email.eu.*.com", "email.eu.example.com"]),
    (["stripe.com", "stripe.com", "*.stripe.com"], ["acme.test"]),  # repeated within one sub-processor: one owner
])
def test_overlaps_the_most_specific_rule_settles_are_accepted(tmp_path, stripe, acme):
    path = tmp_path / "reg.toml"
    path.write_text(f'[[subprocessor]]\nname = "stripe"\ndomains = {stripe}\ncidrs = ["198.51.100.0/24"]\n'
                    f'[[subprocessor]]\nname = "acme"\ndomains = {acme}\ncidrs = ["198.51.100.128/25"]\n'
                    .replace("'", '"'))
    registry, _ = load_registry(path)
    assert [sub.name for sub in registry.subprocessor] == ["stripe", "acme"]
