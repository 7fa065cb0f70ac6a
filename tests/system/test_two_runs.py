"""Two `newsdesk run` processes on one SQLite file, crawling a growing feed of real news and alerting a
Slack that takes its time: every alert posted once, every source crawled once per interval."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from newsdesk.demo.loadsite import NEWS, load_news, serve
from tests.notifications.slack_stub import TOKEN, SlackStub
from tests.system.processes import rows, scalar, start, stop, wait_for, write_config

INTERVAL = 30


def test_two_runs_on_one_sqlite_file_alert_once_and_crawl_once_per_interval(tmp_path: Path) -> None:
    if not NEWS.is_file():
        pytest.skip(f"{NEWS} is absent (the team's shared data ships beside the checkout)")
    items = load_news(80)
    db = f"sqlite:///{tmp_path / 'one.db'}"
    with serve(items, feeds=3, start=40, grow=2.0) as site, SlackStub(stall=0.5) as slack:
        slack.delay = 0.3  # Slack takes its time with each post: the window where a second sender slipped in
        cfg = write_config(tmp_path / "newsdesk.toml", db, site.sources(interval=INTERVAL),
                           notifications={"fallback": "none"})
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.url}
        runs = [start(cfg, "run", env=env, log=tmp_path / f"run{i}.log") for i in (1, 2)]
        try:
            assert wait_for(lambda: scalar(db, "SELECT count(*) FROM items") >= len(items), 240), _logs(tmp_path)
            assert wait_for(lambda: scalar(db, "SELECT count(*) FROM alerts WHERE status != 'sent'") == 0, 120)
        finally:
            stop(*runs)
        sent = scalar(db, "SELECT count(*) FROM alerts WHERE status = 'sent'")
        workers = rows(db, "SELECT kind, pid FROM workers WHERE kind = 'scheduler'")
    assert all(r.returncode == 0 for r in runs), _logs(tmp_path)
    assert len({pid for _, pid in workers}) == 2  # both processes really ran
    keys = Counter(m.metadata["event_payload"]["key"] for m in slack.messages() if m.metadata)
    assert sent and len(keys) == sent and max(keys.values()) == 1, [k for k, v in keys.items() if v > 1]
    polls: dict[str, list[float]] = defaultdict(list)
    for when, path in site.hits:
        polls[path].append(when)
    assert len(polls) == 3
    for path, times in polls.items():
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert gaps and min(gaps) >= INTERVAL - 1, (path, gaps)  # never twice in one interval


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(tmp_path.glob("*.log")))
