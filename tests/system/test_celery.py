"""The scheduler with two Celery workers on PostgreSQL + Redis, against a local site of 240 real news
items: the same stored items, stories (but for copies whose link straddles the dedupe threshold,
where arrival order decides) and alerts as the in-process run, every alert posted to Slack once, and
a worker killed with SIGKILL mid-run loses nothing and doubles nothing.

Needs ``NEWSDESK_TEST_POSTGRES_URL`` and ``NEWSDESK_TEST_REDIS_URL`` (``scripts/test.sh`` starts both)
and ``../shared/data/news``; skips with the reason otherwise.
"""

from __future__ import annotations

import io
import os
import signal
from collections import Counter
from pathlib import Path

import pytest

from newsdesk.app import App
from newsdesk.cli import crawl_once
from newsdesk.demo.loadsite import NEWS, NewsItem, load_news, serve
from notifications.base import ConsoleNotifier
from pipeline.items import Item
from tests.backends import postgres_db
from tests.notifications.slack_stub import TOKEN, SlackStub
from tests.system.processes import scalar, start, stop, stored, wait_for, write_config

REDIS_URL = os.environ.get("NEWSDESK_TEST_REDIS_URL")
ARTICLES = 240


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("NEWSDESK_TEST_REDIS_URL is unset (scripts/test.sh starts redis-server and sets it)")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # no task of an earlier run
    return REDIS_URL


def test_two_celery_workers_match_the_in_process_run_and_survive_a_sigkill(tmp_path: Path, redis_url: str) -> None:
    if not NEWS.is_file():
        pytest.skip(f"{NEWS} is absent (the team's shared data ships beside the checkout)")
    items = load_news(ARTICLES)
    with serve(items, feeds=4) as site, postgres_db() as pg, SlackStub(stall=0.5) as slack:
        sources = site.sources(interval=600)
        cfg = write_config(tmp_path / "celery.toml", pg, sources, engine={"visibility_timeout": 20})
        env = {"CELERY_BROKER_URL": redis_url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.url}
        procs = {name: start(cfg, *args, env=env, log=tmp_path / f"{name}.log") for name, args in (
            ("w1", ["worker"]), ("w2", ["worker"]), ("scheduler", ["run", "--engine", "celery"]))}
        try:
            # The reference meanwhile: everything in one process, on the embedded default (SQLite).
            ref_db = f"sqlite:///{tmp_path / 'inline.db'}"
            crawl_once(App(config=str(write_config(tmp_path / "inline.toml", ref_db, sources))),
                       [ConsoleNotifier(io.StringIO())])
            expected = stored(ref_db)
            assert len(expected["items"]) == ARTICLES and expected["alerts"], "the reference run alerted nothing"
            # Kill the first worker in the middle of its first processing task (SIGKILL: nothing runs after).
            w1_log = tmp_path / "w1.log"
            assert wait_for(lambda: "newsdesk.process[" in w1_log.read_text(), 240, every=0.05), _logs(tmp_path)
            procs["w1"].send_signal(signal.SIGKILL)
            killed_at = scalar(pg, "SELECT count(*) FROM items")
            n_alerts = len(expected["alerts"])
            assert wait_for(lambda: scalar(pg, "SELECT count(*) FROM alerts WHERE status = 'sent' "
                                               "AND kind IN ('item', 'copy')") >= n_alerts, 300), _logs(tmp_path)
        finally:
            stop(*procs.values())
        got = stored(pg)
    assert killed_at < ARTICLES, "the kill came after everything was stored: it proved nothing"
    assert got["items"] == expected["items"]  # nothing lost, nothing stored twice (URLs are unique)
    # Stories: online clustering depends on arrival order where a chain of copies straddles the threshold
    # (A~B 0.52, B~C 0.55, A~C 0.48: A first gives one story, C's neighbours first may give two). Two
    # workers take the sources in another order than one process, so only such borderline pairs may
    # differ; a real copy split off or an unrelated item joined fails here.
    differing = _pairs(got["stories"]) ^ _pairs(expected["stories"])
    borderline = {pair: _similarity(items, pair) for pair in differing}
    assert all(abs(sim - 0.5) <= 0.15 for sim in borderline.values()), borderline
    assert len(differing) <= len(_pairs(expected["stories"])) // 10 + 3, borderline
    # Story alerts only: after 08:00 in Taipei the scheduler also queues the day's digest, which the
    # one-pass reference run never does.
    assert sorted(url for kind, url in got["alerts"] if kind in ("item", "copy")) == sorted(
        url for kind, url in expected["alerts"] if kind in ("item", "copy"))
    keys = Counter(m.metadata["event_payload"]["key"] for m in slack.messages() if m.metadata)
    assert keys and max(keys.values()) == 1, [k for k, v in keys.items() if v > 1]  # each alert posted once
    assert len([k for k in keys if ":cluster:" in k or ":item:" in k]) == n_alerts


def _pairs(stories: set[frozenset[str]]) -> set[frozenset[str]]:
    return {frozenset((a, b)) for story in stories for a in story for b in story if a < b}


def _similarity(items: list[NewsItem], pair: frozenset[str]) -> float:
    from pipeline import minhash
    from pipeline.settings import load_settings
    from pipeline.stages.dedupe import item_signature
    from pipeline.stages.normalize import fold

    cfg = load_settings(None, {}, use_env=False).dedupe
    sigs = []
    for url in sorted(pair):
        news = items[int(url.rsplit("/", 1)[1].removesuffix(".html"))]
        item = Item(url=url, title=news.title, text=news.lead, source="load")
        item.norm_title, item.norm_text = fold(news.title), fold(news.lead)
        sigs.append(item_signature(item, cfg))
    a, b = sigs
    return minhash.similarity(a, b) if a is not None and b is not None else 0.0


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(tmp_path.glob("*.log")))
