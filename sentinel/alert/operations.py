"""The operator's `sentinel alerts` and `sentinel audit` commands as operations with JSON
results, run in one of two places: by the CLI on the store it opened, or, when the daemon
holds the embedded store, by the daemon on its own AlertManager and AuditLog (so its
in-memory state stays right and the change is audited with the operator's name).

Both places call `perform`, and the CLI renders the same result either way, so output and
exit codes do not depend on where it ran. Results carry alert views (masked at raise time)
and ids, never raw values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

OK, BAD_REQUEST, NOT_FOUND, METHOD_NOT_ALLOWED, REFUSED = 200, 400, 404, 405, 409
_EVERY = 1_000_000  # alerts read before filters and the limit apply
STATUSES = ("firing", "resolved", "all")


class BadField(ValueError):
    """A field of a request is unknown, missing or of the wrong type: answered 400."""


@dataclass(frozen=True)
class Operation:
    method: str  # GET reads (fields in the query string), POST changes (a JSON object)
    fields: dict[str, tuple[type, object]]  # name -> (type, default); REQUIRED for none
    run: Callable[[object, dict], dict]  # (operator, fields) -> result


REQUIRED = object()


@dataclass
class Operator:
    """What the operations run on: the daemon's own AlertManager and its AuditLog."""

    manager: object
    audit: object


class OnStore:
    """What the operations run on in the CLI: the store it opened, with a manager built only
    when an operation needs one (`audit` alone needs none)."""

    def __init__(self, store, settings):
        self.store, self.settings = store, settings
        self._manager = self._audit = None

    @property
    def manager(self):
        if self._manager is None:
            from sentinel.alert.manager import AlertManager

            self._manager = AlertManager(self.store, self.settings)
        return self._manager

    @property
    def audit(self):
        if self._audit is None:
            from sentinel.audit import AuditLog

            self._audit = self._manager.audit if self._manager is not None else AuditLog(self.store)
        return self._audit

    def close(self) -> None:
        """Flush what the manager or audit log holds, then the store."""
        try:
            if self._manager is not None:
                self._manager.close()
            elif self._audit is not None:
                self._audit.close()
        finally:
            self.store.close()


# -- the operations ------------------------------------------------------------------------
def _list(op, f: dict) -> dict:
    from sentinel.policy import SEVERITY_ORDER, at_or_above

    if f["status"] not in STATUSES:
        raise BadField("status: expected firing, resolved or all")
    if f["limit"] < 1:
        raise BadField("limit: expected 1 or more")
    if f["min_severity"] and f["min_severity"] not in SEVERITY_ORDER:
        raise BadField(f"min_severity: expected one of {', '.join(SEVERITY_ORDER)}")
    filtered = f["kind"] or f["subprocessor"] or f["min_severity"]
    wanted = [view.as_dict() for view in op.manager.alerts(f["status"], _EVERY if filtered else f["limit"])]
    wanted = [a for a in wanted if (not f["kind"] or a["kind"] == f["kind"])
              and (not f["subprocessor"] or a["subprocessor"] == f["subprocessor"])
              and (not f["min_severity"] or at_or_above(a["severity"], f["min_severity"]))]
    return {"alerts": wanted[:f["limit"]]}


def _show(op, f: dict) -> dict:
    from sentinel.alert.silences import SilenceError

    view = op.manager.alert(f["alert_id"])
    if view is None:
        raise SilenceError(f"no alert {f['alert_id']}; `sentinel alerts list --status all` shows the ids")
    return {"alert": view.as_dict()}


def _ack(op, f: dict) -> dict:
    ack, waiting = op.manager.acknowledge(f["alert_id"], f["by"], f["reason"])
    return {"ack_id": ack.ack_id, "alert_id": ack.alert_id, "awaiting_approval": waiting}


def _silence(op, f: dict) -> dict:
    from sentinel.alert.payloads import iso

    silence, matching, severe = op.manager.silence(f["match"], f["duration"], f["reason"], f["by"])
    return {"silence_id": silence.silence_id, "ends_at": iso(silence.ends_at), "matching": len(matching),
            "awaiting_approval": len(severe)}


def _expire(op, f: dict) -> dict:
    from sentinel.alert.payloads import iso

    silence = op.manager.expire_silence(f["silence_id"], f["by"])
    return {"expired": silence.silence_id, "ended_at": iso(silence.ends_at), "by": f["by"]}


def _approve(op, f: dict) -> dict:
    op.manager.approve(f["item_id"], f["by"])
    return {"approved": f["item_id"], "by": f["by"]}


def _silences(op, f: dict) -> dict:
    from sentinel.alert.payloads import iso

    now = op.manager.clock()
    return {"silences": [{"silence_id": s.silence_id, "state": s.state(now), "matchers": [str(m) for m in s.matchers],
                          "ends_at": iso(s.ends_at), "created_by": s.created_by, "approved_by": s.approved_by,
                          "reason": s.reason} for s in op.manager.silences(include_expired=f["all"])]}


def _test(op, f: dict) -> dict:
    results = op.manager.send_test(f["route"] or None, by=f["by"])
    return {"deliveries": [{"channel": d.channel, "ok": d.ok, "error": d.error} for d in results]}


def _deliver(op, f: dict) -> dict:
    result = op.manager.tick()
    return {"resolved": result.resolved, "notifications": result.notifications, "sent": result.sent,
            "failed": result.failed, "expired": result.expired, "pending": len(op.manager.outbox),
            "failures": [{"channel": d.channel, "error": d.error} for d in result.deliveries if not d.ok]}


def _audit_show(op, f: dict) -> dict:
    if f["limit"] < 1:
        raise BadField("limit: expected 1 or more")
    return {"entries": [e.__dict__ for e in op.audit.entries(f["limit"])]}  # the CLI renders AuditEntry(**e)


def _audit_verify(op, f: dict) -> dict:
    result = op.audit.verify()
    return {"ok": result.ok, "report": str(result)}


OPERATIONS: dict[str, Operation] = {
    "/api/alerts": Operation("GET", {"status": (str, "firing"), "limit": (int, 1000), "kind": (str, ""),
                                     "subprocessor": (str, ""), "min_severity": (str, "")}, _list),
    "/api/alerts/show": Operation("GET", {"alert_id": (str, REQUIRED)}, _show),
    "/api/alerts/ack": Operation("POST", {"alert_id": (str, REQUIRED), "by": (str, REQUIRED),
                                          "reason": (str, "")}, _ack),
    "/api/alerts/silence": Operation("POST", {"match": (list, REQUIRED), "duration": (str, REQUIRED),
                                              "reason": (str, REQUIRED), "by": (str, REQUIRED)}, _silence),
    "/api/alerts/approve": Operation("POST", {"item_id": (str, REQUIRED), "by": (str, REQUIRED)}, _approve),
    "/api/alerts/expire": Operation("POST", {"silence_id": (str, REQUIRED), "by": (str, REQUIRED)}, _expire),
    "/api/alerts/silences": Operation("GET", {"all": (bool, False)}, _silences),
    "/api/alerts/test": Operation("POST", {"route": (str, ""), "by": (str, REQUIRED)}, _test),
    "/api/alerts/deliver": Operation("POST", {}, _deliver),
    "/api/audit": Operation("GET", {"limit": (int, 50)}, _audit_show),
    "/api/audit/verify": Operation("GET", {}, _audit_verify),
}


def serves(path: str) -> bool:
    return path in OPERATIONS


# -- fields ----------------------------------------------------------------------------------
def _checked(name: str, kind: type, value):
    """`value` as `kind`, or BadField naming the field (never quoting the value)."""
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadField(f"{name}: expected a list of strings")
        return value
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise BadField(f"{name}: expected {kind.__name__}")
    return value


def fields_of(path: str, given: dict) -> dict:
    """The operation's fields from `given` with defaults filled in; BadField for an unknown,
    missing or mistyped one."""
    spec = OPERATIONS[path].fields
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise BadField(f"unknown field(s) {', '.join(name[:40] for name in unknown)}; {path} takes "
                       f"{', '.join(spec) or 'none'}")
    fields = {}
    for name, (kind, default) in spec.items():
        if name in given:
            fields[name] = _checked(name, kind, given[name])
        elif default is REQUIRED:
            raise BadField(f"{name}: required")
        else:
            fields[name] = default
    return fields


def to_query(fields: dict) -> dict[str, str]:
    """GET fields as query-string values (ints and bools only: reads take no lists)."""
    return {name: ("true" if value is True else "false" if value is False else str(value))
            for name, value in fields.items()}


def from_query(path: str, query: dict[str, list[str]]) -> dict:
    """A GET's query string (as parse_qs gives it) as typed fields."""
    spec = OPERATIONS[path].fields
    given = {}
    for name, values in query.items():
        kind = spec.get(name, (str, None))[0]
        value = values[-1]
        if kind is int:
            if not value.lstrip("-").isdigit():
                raise BadField(f"{name}: expected int")
            value = int(value)
        elif kind is bool:
            if value not in ("true", "false"):
                raise BadField(f"{name}: expected true or false")
            value = value == "true"
        given[name] = value
    return given


# -- running ---------------------------------------------------------------------------------
def perform(operator: Operator, path: str, fields: dict) -> tuple[int, dict]:
    """Run the operation at `path`: (200, result), (400, error) for bad fields, (409, error)
    when the alert manager refuses it (an unknown id, an operator approving their own, ...)."""
    from sentinel.alert.silences import SilenceError, UsageError

    try:
        return OK, OPERATIONS[path].run(operator, fields_of(path, fields))
    except (BadField, UsageError) as exc:
        return BAD_REQUEST, {"error": str(exc)}
    except SilenceError as exc:
        return REFUSED, {"error": str(exc)}


def serve(operator: Operator, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, dict]:
    """The daemon's API for the operations: GET with a query string, POST with a JSON object."""
    import json

    operation = OPERATIONS.get(path)
    if operation is None:
        return NOT_FOUND, {"error": "not found"}
    if method != operation.method:
        return METHOD_NOT_ALLOWED, {"error": f"{path} takes {operation.method}"}
    try:
        if method == "GET":
            given = from_query(path, query)
        else:
            given = json.loads(body or b"{}")
            if not isinstance(given, dict):
                raise BadField("the body must be a JSON object")
    except BadField as exc:
        return BAD_REQUEST, {"error": str(exc)}
    except ValueError:
        return BAD_REQUEST, {"error": "the body is not valid JSON"}
    return perform(operator, path, given)
