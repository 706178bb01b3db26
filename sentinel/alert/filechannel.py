"""`file:///path/alerts.jsonl`: an Apprise channel that appends notifications to a local
file, one JSON object per line. For demos, air-gapped hosts and log shippers."""

from __future__ import annotations

import json
import os
import time

from apprise.decorators import notify


@notify(on="file", name="Local file (Sentinel)")
def write_to_file(body: str, title: str, notify_type: str, meta: dict, *args, **kwargs) -> bool:
    # Apprise parses file:///var/log/x as host "var" and path "/log/x".
    host, path = meta.get("host") or "", meta.get("fullpath") or ""
    target = f"/{host}{path}" if host else path
    if not target or target.endswith("/"):
        return False
    entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "type": str(notify_type),
             "title": title, "body": body}
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    return True
