"""What `sentinel run` builds from a configuration, built and dropped without starting
anything: a configuration `sentinel config check` passes is one the daemon accepts.

Loading the files already parsed every value (sources, [detectors], [anomaly], the
registry's categories); this adds what needs more than the value: the scanner, the alert
channels (Apprise parses the URLs) and the site key file.
"""

from __future__ import annotations

from pathlib import Path

from sentinel.config import ConfigError, Settings
from sentinel.logs import first_line


def preflight(settings: Settings) -> list[str]:
    """Raise ConfigError naming the file and key of the first part that cannot be built;
    return notes worth knowing that are not errors."""
    from sentinel.alert.delivery import AppriseSender
    from sentinel.detection import scanner_for

    scanner = scanner_for(settings)  # a key drawn for this process: the check creates no site key
    AppriseSender(settings.config.alerts.routes, settings.config_path)
    check_capture_filters(settings)
    return site_key_notes(settings) + source_path_notes(settings) + watchlist_notes(scanner)


def watchlist_notes(scanner) -> list[str]:
    """How many identifiers the watchlist's files gave: the count, never a value."""
    files = len(scanner.config.watchlist.paths)
    if not files:
        return []
    return [f"watchlist: {len(scanner.watchlist or ())} identifier(s) from {files} file(s)"]


def check_capture_filters(settings: Settings) -> None:
    """A live source's BPF filter, compiled as the capture will compile it (libpcap): one it
    refuses would stop the capture at start."""
    live = [(i, s) for i, s in enumerate(settings.config.sources) if s.type == "live"]
    if not live:
        return
    try:
        from scapy.arch.common import compile_filter
    except Exception:  # no libpcap here: the capture will say so when it starts
        return
    for i, source in live:
        try:
            compile_filter(source.bpf, linktype=1)  # Ethernet: the syntax, whatever the interface
        except ImportError:  # scapy's word for "no libpcap": the capture will say so when it starts
            return
        except Exception as exc:
            raise ConfigError(settings.config_path or "sentinel.toml", [(f"sources[{i}].bpf", first_line(exc))]) from None


def source_path_notes(settings: Settings) -> list[str]:
    """A path no file matches is not an error (the file may come later) but is worth
    saying: a typo would leave the source waiting, reported up, reading nothing."""
    import glob

    notes = []
    for i, source in enumerate(settings.config.sources):
        for path in source.paths:
            if not glob.glob(path, recursive=True):
                notes.append(f"sources[{i}] ({source.name}): {path} matches no file yet; the source waits for it")
    return notes


def site_key_notes(settings: Settings) -> list[str]:
    """A configured key file must be readable (detection refuses to run without it); the
    default one is created on first use, so its absence is only worth a note."""
    from sentinel.keys import CREDENTIAL_NAME, read_key_file
    from sentinel.paths import credentials_dir

    configured = settings.config.keys.site_key_file
    if configured:
        try:
            read_key_file(Path(configured))
        except ConfigError as exc:  # names the key file only; say which key pointed there
            raise ConfigError(settings.config_path or "sentinel.toml",
                              [("keys.site_key_file", f"{configured}: {message}") for _, message in exc.problems]) from None
        return []
    creds = credentials_dir()
    default = settings.data_dir / "site.key"
    if (creds and (creds / CREDENTIAL_NAME).exists()) or default.exists():
        return []
    return [f"site key {default} does not exist yet: it is created on first use (or by `sentinel keygen`)"]
