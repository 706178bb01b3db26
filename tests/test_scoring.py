"""The anomaly scoring job against real rollups in embedded ClickHouse."""

from __future__ import annotations

import dataclasses
import math
import random
import time

import pytest

from sentinel.pipeline import EVENT_COLUMNS
from sentinel.scoring import ScoringJob
from sentinel.store.writer import Writer
from sentinel.store.spool import Spool

WINDOW = 300


def fill(store, tmp_path, start: float, days: int, spike_at: float | None = None, seed: int = 3) -> None:
    """Seasonal egress to one sub-processor: busy days, quiet nights, a 10x burst at spike_at."""
    rnd = random.Random(seed)
    writer = Writer(store.client, store.ctx, Spool(tmp_path / "spool", 1 << 30), batch_rows=200_000)
    rows, event_id = [], 0
    for w in range(int(days * 86400 / WINDOW)):
        ts = start + w * WINDOW
        hour = (ts % 86400) / 3600
        rate = 20 + 60 * max(0.0, math.sin(math.pi * (hour - 6) / 14)) if 6 <= hour <= 20 else 20
        n = max(1, int(rnd.gauss(rate, math.sqrt(rate))))
        if spike_at is not None and spike_at <= ts < spike_at + WINDOW:
            n *= 10
        for _ in range(n):
            event_id += 1
            row = dict.fromkeys(EVENT_COLUMNS, "")
            row.update(event_id=event_id, ts=ts + rnd.random() * WINDOW, subprocessor="segment",
                       registrable_domain="segment.io", dst_port=443, status=200, bytes_out=900 + rnd.randrange(200),
                       bytes_in=100, duration_ms=1.0, findings=0, offset=event_id, scheme="https")
            rows.append(tuple(row[c] for c in EVENT_COLUMNS))
    writer.add("events", EVENT_COLUMNS, rows)
    writer.flush()


@pytest.fixture
def start():
    now = time.time()
    return now - now % 86400 - 6 * 86400  # six days ago, midnight UTC


def test_a_burst_is_scored_high_and_stored(store, tmp_path, start):
    spike = start + 5 * 86400 + 11 * 3600  # day 6, 11:00
    fill(store, tmp_path, start, 6, spike_at=spike)
    settings = dataclasses.replace(store.settings,
                                   config=store.settings.config.model_copy(update={"anomaly": {"warmup_days": 1}}))
    job = ScoringJob(store, settings)
    job.score_range(start, start + 6 * 86400)
    rows = store.query("SELECT toUnixTimestamp(ts), score, alerted FROM {db}.anomaly_scores "
                       "WHERE subprocessor = 'segment' ORDER BY ts").result_rows
    assert len(rows) == 6 * 86400 // WINDOW
    scores = {int(ts): score for ts, score, _ in rows}
    assert scores[int(spike)] >= job.threshold
    assert dict((int(ts), a) for ts, _, a in rows)[int(spike)] == 1
    # the burst is the most unusual window of the last two days
    recent = {ts: s for ts, s in scores.items() if ts >= start + 4 * 86400}
    assert max(recent, key=recent.get) == int(spike)
    explanation = store.query("SELECT explanation FROM {db}.anomaly_scores WHERE toUnixTimestamp(ts) = %(t)s",
                              {"t": int(spike)}).result_rows[0][0]
    assert explanation and max(explanation.values()) > 0


def test_no_alert_before_the_warm_up(store, tmp_path, start):
    spike = start + 5 * 86400 + 11 * 3600
    fill(store, tmp_path, start, 6, spike_at=spike)
    job = ScoringJob(store, store.settings)  # default warm-up: 14 days
    assert job.score_range(start, start + 6 * 86400) == 0
    assert store.query("SELECT count() FROM {db}.anomaly_scores WHERE alerted = 1").result_rows == [(0,)]


def test_state_persists_and_a_restart_scores_like_an_uninterrupted_run(store, tmp_path, start):
    fill(store, tmp_path, start, 5)
    middle, end = start + 4 * 86400, start + 5 * 86400
    first = ScoringJob(store, store.settings)
    first.score_range(start, middle)
    assert first.state_path.exists()
    resumed = ScoringJob(store, store.settings)  # a new process: state from disk
    assert resumed.next_window == middle
    resumed.score_range(resumed.next_window, end)
    resumed_scores = store.query("SELECT toUnixTimestamp(ts), score FROM {db}.anomaly_scores "
                                 "WHERE ts >= toDateTime(%(m)s) ORDER BY ts", {"m": int(middle)}).result_rows

    first.state_path.unlink()
    store.client.command(f"TRUNCATE TABLE {store.table('anomaly_scores')}")
    straight = ScoringJob(store, store.settings)
    straight.score_range(start, end)
    again = store.query("SELECT toUnixTimestamp(ts), score FROM {db}.anomaly_scores "
                        "WHERE ts >= toDateTime(%(m)s) ORDER BY ts", {"m": int(middle)}).result_rows
    assert len(resumed_scores) == len(again) == 86400 // WINDOW
    assert [ts for ts, _ in resumed_scores] == [ts for ts, _ in again]
    assert [s for _, s in resumed_scores] == pytest.approx([s for _, s in again], abs=1e-6)


def test_invalid_anomaly_settings_are_a_config_error(settings_factory):
    from sentinel.config import ConfigError

    with pytest.raises(ConfigError) as on_load:  # every command rejects it, not only the daemon's scorer
        settings_factory("[anomaly]\nbogus = 1\n")
    assert on_load.value.problems[0][0] == "anomaly" and "bogus" in on_load.value.problems[0][1]
    settings = settings_factory()
    unchecked = dataclasses.replace(settings, config=settings.config.model_copy(update={"anomaly": {"bogus": 1}}))
    with pytest.raises(ConfigError) as caught:
        ScoringJob.check(unchecked)
    assert caught.value.problems[0][0] == "anomaly" and "bogus" in caught.value.problems[0][1]
