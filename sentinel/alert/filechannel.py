"""`file:///path/alerts.jsonl`: an Apprise channel that appends notifications to a local
file, one JSON object per line. For demos, air-gapped hosts and log shippers."""

from __future__ import annotations

import json
import logging
import os
import time

from apprise.decorators import notify

_log = logging.getLogger("apprise.sentinel.file")  # under "apprise": its warnings become the failure reason


@notify(on="file", name="Local file (Sentinel)")
def write_to_file(body: str, title: str, notify_type: str, meta: dict, *args, **kwargs) -> bool:
    # Apprise parses file:///var/log/x as host "var" and path "/log/x".
    host, path = meta.get("host") or "", meta.get("fullpath") or ""
    target = f"/{host}{path}" if host else path
    if not target or target.endswith("/"):
        return False
    entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "type": str(notify_type),
             "title": title, "body": body}
    try:
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
    except OSError as exc:
        # Apprise would only say "an exception occured"; the delivery records this reason.
        _log.warning("cannot write %s: %s", exc.filename or target, exc.strerror or exc)
        return False
    return True
