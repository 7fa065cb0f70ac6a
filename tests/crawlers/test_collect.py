from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers.state import MAX_FAILURES
from pipeline.db import open_database, transaction
from pipeline.models import ItemRow, Source
from pipeline.settings import Settings, SourceSettings
from pipeline.urls import canonical_url
from tests.crawlers.conftest import Reply, Site
from tests.crawlers.pages import article, rss
from tests.crawlers.passes import collect_and_commit as collect


@pytest.fixture
def db(crawl_settings: Settings) -> sessionmaker[Session]:
    return open_database(crawl_settings.database_url)


def _feed_site(site: Site, n: int = 3) -> SourceSettings:
    for i in range(n):
        site.route(f"/news/2024101600{i}", article(title=f"新聞標題{i}號"))
    site.route("/rss.xml", rss([(f"新聞標題{i}號", site.url(f"/news/2024101600{i}")) for i in range(n)]),
               content_type="application/rss+xml", ETag='"v1"')
    return SourceSettings(name="feed", url=site.url("/rss.xml"), outlet="cna")


def _row(db: sessionmaker[Session], name: str) -> Source:
    with db() as s:
        row = s.scalar(select(Source).where(Source.name == name))
        assert row is not None
        return row


def test_feed_pass_fetches_articles_once(crawl_settings: Settings, db: sessionmaker[Session],
                                         site: Site) -> None:
    src = _feed_site(site)
    items = collect(crawl_settings, [src], db)
    assert sorted(i.title for i in items) == ["新聞標題0號", "新聞標題1號", "新聞標題2號"]
    assert {i.kind for i in items} == {"article"} and {i.source for i in items} == {"feed"}
    assert all(i.published_at is not None and i.published_at.utcoffset() is not None for i in items)
    row = _row(db, "feed")
    assert row.etag == '"v1"' and row.failures == 0 and row.items_count == 3 and row.content_hash

    # Store one of them: a later pass must not fetch it again (and a 304 means nothing is fetched).
    with transaction(db) as s:
        it = items[0]
        s.add(ItemRow(url=it.url, canonical_url=canonical_url(it.url), content_hash="x", source="feed"))
    site.requests.clear()
    assert collect(crawl_settings, [src], db) == []  # unchanged feed (same hash)
    assert site.hits("/rss.xml")[0].headers.get("If-None-Match") == '"v1"'
    row_hash = _row(db, "feed").content_hash
    with transaction(db) as s:  # forget the hash: entries are read again, stored one skipped
        r = s.scalar(select(Source).where(Source.name == "feed"))
        assert r is not None
        r.content_hash = None
    site.requests.clear()
    again = collect(crawl_settings, [src], db)
    assert len(again) == 2 and items[0].url not in {i.url for i in again}
    assert not site.hits(f"/news/{items[0].url.rsplit('/', 1)[1]}")
    assert _row(db, "feed").content_hash == row_hash


def test_feed_state_waits_until_the_items_are_stored(crawl_settings: Settings, db: sessionmaker[Session],
                                                     site: Site) -> None:
    """A process killed after collecting but before storing loses nothing: the feed is read again."""
    from crawlers.collect import collect as bare_collect

    src = _feed_site(site)
    first = bare_collect(crawl_settings, [src], db)  # ... and the process dies before commit_state
    assert len(first) == 3 and _row(db, "feed").content_hash is None
    again = bare_collect(crawl_settings, [src], db)
    assert sorted(i.url for i in again) == sorted(i.url for i in first)
    again.commit_state(db)
    assert _row(db, "feed").etag == '"v1"'
    assert bare_collect(crawl_settings, [src], db) == []


def test_304_not_modified(crawl_settings: Settings, db: sessionmaker[Session], site: Site) -> None:
    src = _feed_site(site, 1)

    def conditional(seen: object) -> Reply:
        if getattr(seen, "headers", {}).get("If-None-Match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, rss([("新聞標題0號", site.url("/news/20241016000"))]), {"ETag": '"v1"'})

    site.route("/rss.xml", conditional)
    assert len(collect(crawl_settings, [src], db)) == 1
    assert collect(crawl_settings, [src], db) == []
    assert _row(db, "feed").last_success_at is not None


def test_bad_sources_warn_and_pass_continues(crawl_settings: Settings, db: sessionmaker[Session], site: Site,
                                             caplog: pytest.LogCaptureFixture) -> None:
    good = _feed_site(site, 1)
    site.route("/page.html", b"<html><body><p>not a feed</p></body></html>")
    bad = SourceSettings(name="html", url=site.url("/page.html"))
    down = SourceSettings(name="down", url="http://127.0.0.1:9/rss.xml")
    with caplog.at_level(logging.WARNING):
        items = collect(crawl_settings, [bad, down, good], db)
    assert [i.source for i in items] == ["feed"]
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(site.url("/page.html") in m and "not a feed" in m for m in messages)
    assert any("http://127.0.0.1:9/rss.xml" in m for m in messages)
    assert all("\n" not in m for m in messages)
    assert _row(db, "html").failures == 1 and _row(db, "down").failures == 1


def test_repeated_failures_disable_the_source(crawl_settings: Settings, db: sessionmaker[Session],
                                              caplog: pytest.LogCaptureFixture) -> None:
    down = SourceSettings(name="down", url="http://127.0.0.1:9/rss.xml")
    for _ in range(MAX_FAILURES):
        collect(crawl_settings, [down], db)
    row = _row(db, "down")
    assert row.disabled and row.failures == MAX_FAILURES and "127.0.0.1:9" in (row.last_error or "")
    assert any("disabled" in r.getMessage() for r in caplog.records)


def test_private_hosts_refused_by_default(settings: Settings, db: sessionmaker[Session], site: Site) -> None:
    src = _feed_site(site, 1)
    assert not settings.crawl.allow_private_hosts
    assert collect(settings, [src], open_database(settings.database_url)) == []
    assert site.requests == []
    with open_database(settings.database_url)() as s:
        row = s.scalar(select(Source).where(Source.name == "feed"))
        assert row is not None and "non-public address" in (row.last_error or "")


def test_feed_entries_without_fetching(crawl_settings: Settings, db: sessionmaker[Session],
                                       site: Site) -> None:
    entries = [("貼文一", "https://social.example/p/1"), ("貼文二", "https://social.example/p/2")]
    site.route("/social.xml", rss(entries), content_type="application/rss+xml")
    src = SourceSettings(name="social", url=site.url("/social.xml"), fetch_articles=False)
    items = collect(crawl_settings, [src], db)
    assert [(i.title, i.kind, i.text) for i in items] == [
        ("貼文一", "post", "貼文一的摘要"), ("貼文二", "post", "貼文二的摘要")]
    assert len(site.requests) == 1


def test_robots_txt_is_obeyed(crawl_settings: Settings, db: sessionmaker[Session], site: Site,
                              caplog: pytest.LogCaptureFixture) -> None:
    site.route("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.route("/news/20241016001", article(title="公開新聞"))
    site.route("/private/20241016002", article(title="不該抓的頁面"))
    site.route("/rss.xml", rss([("公開新聞", site.url("/news/20241016001")),
                                ("不該抓的頁面", site.url("/private/20241016002"))]),
               content_type="application/rss+xml")
    with caplog.at_level(logging.WARNING):
        items = collect(crawl_settings, [SourceSettings(name="feed", url=site.url("/rss.xml"))], db)
    assert [i.title for i in items] == ["公開新聞"]
    assert not site.hits("/private/20241016002")
    messages = [r.getMessage() for r in caplog.records]
    assert any("/private/20241016002" in m and "robots" in m for m in messages)


def test_news_sitemap_and_refetch(crawl_settings: Settings, db: sessionmaker[Session], site: Site) -> None:
    urls = [site.url(f"/news/2024090200{i}") for i in range(2)]
    for i, u in enumerate(urls):
        site.route(u.removeprefix(site.base), article(title=f"地圖新聞{i}"))
    locs = "".join(f"<url><loc>{u}</loc><news:news><news:title>t</news:title></news:news></url>"
                   for u in urls)
    site.route("/sitemap.xml", ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                                'schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                                f"{locs}</urlset>").encode(), content_type="application/xml")
    src = SourceSettings(name="map", type="site", url=site.url("/sitemap.xml"))
    items = collect(crawl_settings, [src], db)
    assert sorted(i.title for i in items) == ["地圖新聞0", "地圖新聞1"]
    with transaction(db) as s:
        for it in items:
            s.add(ItemRow(url=it.url, canonical_url=canonical_url(it.url), content_hash="x", source="map"))
    assert collect(crawl_settings, [src], db) == []
    assert len(collect(crawl_settings, [src], db, refetch=True)) == 2
