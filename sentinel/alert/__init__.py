"""Alerts: fingerprinted, grouped, routed, silenced, stored in an outbox and delivered
through Apprise, with every step in the audit log. See `manager.AlertManager`."""

from sentinel.alert.model import Alert, AlertRecord, Severity

__all__ = ["Alert", "AlertRecord", "Severity", "AlertManager"]


def __getattr__(name: str):
    # The manager pulls in Apprise and the store; importing the model stays light.
    if name == "AlertManager":
        from sentinel.alert.manager import AlertManager

        return AlertManager
    raise AttributeError(name)
