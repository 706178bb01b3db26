"""The daemon closes its embedded store only after the threads that query it have ended.

In-process, with the real store (chDB), alert manager and scoring jobs: the scoring job
is held mid-window by the test (a stand-in for a slow window's queries: no real query
can be made to last on cue), and the shutdown must wait for it before closing the store.
"""

from __future__ import annotations

import threading

from sentinel.config import load_settings
from sentinel.daemon import Daemon
from sentinel.scoring import ScoringJob
from sentinel.store import Store


def test_shutdown_waits_for_a_scoring_window_under_way_before_closing_the_store(tmp_path, monkeypatch):
    config = tmp_path / "sentinel.toml"
    config.write_text(f'data_dir = "{tmp_path / "state"}"\n[metrics]\nlisten = ""\n')
    both_scoring, release = threading.Barrier(3), threading.Event()
    events: list[str] = []

    def slow_window(self, start, end):
        both_scoring.wait(30)
        release.wait(10)
        events.append("window scored")
        return 0

    real_close = Store.close

    def close(self):
        events.append("store closed")
        real_close(self)

    monkeypatch.setattr(ScoringJob, "score_range", slow_window)
    monkeypatch.setattr(Store, "close", close)
    daemon = Daemon(str(config))
    daemon.settings = load_settings(config)
    daemon._open()
    both_scoring.wait(30)  # each scoring job (5-minute and hourly windows) is inside a window
    # Longer than the rest of the shutdown takes, shorter than the daemon waits for a window.
    threading.Timer(4.0, release.set).start()
    assert daemon._shutdown() == 0
    assert events == ["window scored", "window scored", "store closed"]
