"""The end-to-end alert benchmark's own parts: pages, feeds, settings, the server and the scoring.

The benchmark itself (``benchmarks/alerts_e2e.py``) needs ../shared and a model and runs on demand;
these check, on a few made-up items, that what it serves is what it claims and that it counts right.
"""

from __future__ import annotations

import urllib.request
from html import escape
from pathlib import Path

import pytest

from benchmarks import alerts_e2e as e2e
from crawlers.feeds import parse_feed
from pipeline.settings import load_settings

STORIES = [
    e2e.Story("d1", "北捷板南線號誌故障 通勤族塞爆月台",
              "今天上午板南線號誌系統故障，列車延誤近一小時。乘客抱怨廣播資訊不足。《詳全文...》", "ETtoday",
              "2026-07-10T08:31:00+08:00"),
    e2e.Story("d2", "颱風假前夕 市府提醒防颱", "", "TVBS", "2026-07-10T09:00:00+08:00"),
    e2e.Story("d3", "議員質疑社宅進度落後", "議員今天在議會質詢時指出社宅進度落後...…", "自由時報",
              "2026-07-11T10:00:00+08:00"),
    e2e.Story("d4", "某縣市新聞", "縣府今天宣布新措施。", "新頭殼", "2026-07-11T11:00:00+08:00"),
    e2e.Story("d5", "不在名單的媒體", "內文第一句。", "某週刊", "2026-07-12T11:00:00+08:00"),
    e2e.Story("d6-en", "MRT delays anger commuters", "Commuters complained on Monday. The operator apologized.",
              "translation", "2026-07-12T12:00:00+08:00", "en"),
    e2e.Story("d7-en", "City launches festival", "", "translation", "2026-07-12T13:00:00+08:00", "en"),
]


def test_page_body_is_the_lead_without_feed_marks_or_the_title_for_an_empty_lead() -> None:
    assert e2e.body_text(STORIES[0]).endswith("廣播資訊不足。")
    assert e2e.paragraphs(STORIES[2]) == ["議員今天在議會質詢時指出社宅進度落後"]
    assert e2e.paragraphs(STORIES[1]) == [STORIES[1].title]
    assert e2e.paragraphs(STORIES[5]) == ["Commuters complained on Monday. The operator apologized."]


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.key)
def test_every_layout_shows_headline_suffix_and_body(story: e2e.Story) -> None:
    style = e2e.style_of(story)
    html = e2e.render(e2e.page_for(story, "http://127.0.0.1:1/x")).decode()
    assert f">{escape(story.title)}</" in html  # the headline element
    assert f'og:title" content="{escape(story.title + style.suffix)}"' in html
    for para in e2e.paragraphs(story):
        assert escape(para) in html
    assert "詳全文" not in html and "...…" not in html


def test_feeds_list_every_page_with_a_short_description() -> None:
    site = e2e.Site.build(STORIES, "http://127.0.0.1:9")
    listed = {}
    for url in site.feeds.values():
        ctype, body = site.files[url.removeprefix(site.base)]
        entries, warnings = parse_feed(body, url, ctype)
        assert not warnings
        listed.update({x.link: x for x in entries})
    assert set(listed) == set(site.keys)
    for url, entry in listed.items():
        story = next(s for s in STORIES if s.key == site.keys[url])
        assert entry.title == story.title and entry.published_at is not None
        assert len(entry.summary) <= 31
        assert url.removeprefix(site.base) in site.files
    assert {"atom", "rss"} <= {url.rsplit("/", 1)[-1].split(".")[0] for url in site.feeds.values()}


def test_config_keeps_the_shipped_settings_with_the_local_feeds_only(tmp_path: Path) -> None:
    site = e2e.Site.build(STORIES, "http://127.0.0.1:9")
    config = tmp_path / "newsdesk.toml"
    e2e.write_config(config, tmp_path, [site.source(slug) for slug in site.feeds], None, None)
    settings = load_settings(config, use_env=False)
    shipped = load_settings(None, use_env=False)
    assert {s.url for s in settings.sources} == set(site.feeds.values())
    assert settings.database_url == f"sqlite:///{tmp_path / 'newsdesk.db'}"
    assert settings.crawl.download_delay == 0 and settings.crawl.allow_private_hosts
    assert settings.decision.threshold == shipped.decision.threshold
    assert settings.triage == shipped.triage and settings.agencies == shipped.agencies


def test_server_serves_feeds_pages_and_robots_on_loopback() -> None:
    with e2e.serve(STORIES[:2]) as site:
        assert site.base.startswith("http://127.0.0.1:")
        for url in [*site.feeds.values(), *site.keys, f"{site.base}/robots.txt"]:
            with urllib.request.urlopen(url, timeout=5) as resp:
                assert resp.status == 200
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{site.base}/nothing", timeout=5)


def test_score_counts_alerts_other_governments_and_routing() -> None:
    labels = {"a": e2e.Label("TPE", True, "交通局"), "b": e2e.Label("TPE", True, "市府"),
              "c": e2e.Label("TPE", False, "市府"), "d": e2e.Label("NTPC", True, ""),
              "e": e2e.Label("NONE", False, ""), "f": e2e.Label("TPE", True, "教育局")}

    def d(alert: bool, gov: str = "TPE", agency: str | None = None) -> e2e.Decided:
        return e2e.Decided(alert, gov, 0.9 if alert else 0.1, agency)

    decided = {"a": d(True, agency="交通局"), "b": d(True), "c": d(True), "d": d(True, "NTPC"),
               "e": d(False, "NONE")}  # f was not collected: a miss
    out = e2e.score(labels, decided, list(labels))
    assert (out["alerts"], out["true_positive"], out["gold_positive"]) == (4, 2, 3)
    assert out["precision"] == 0.5 and out["recall"] == 0.667 and out["f1"] == 0.571
    assert out["false_alarms"] == {"ours, no response needed": 1, "other government": 1}
    assert out["other_governments"] == {"items": 1, "alerted": 1, "share": 1.0}
    assert out["no_government"] == {"items": 1, "alerted": 0, "share": 0.0}
    assert out["routing"] == {"items": 1, "right": 1, "accuracy": 1.0}
    assert out["decided"] == 5 and out["government_accuracy"] == 1.0
