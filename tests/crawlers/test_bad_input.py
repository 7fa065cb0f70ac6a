"""Hostile and broken input: each case fails cleanly, names the URL, and the pass goes on."""

from __future__ import annotations

import gzip
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers import net
from crawlers.net import BlockedHost, FetchError, Http
from pipeline.db import open_database
from pipeline.models import Source
from pipeline.outbound import Hosts
from pipeline.settings import CrawlSettings, Settings, SourceSettings
from tests.crawlers.conftest import Reply, Seen, Site
from tests.crawlers.pages import article, rss
from tests.crawlers.passes import collect_and_commit as collect

MB = 1024 * 1024


def _bomb(size: int) -> bytes:
    return gzip.compress(b"<html><body><p>" + b"a" * size + b"</p></body></html>", compresslevel=9)


@pytest.fixture
def db(crawl_settings: Settings) -> sessionmaker[Session]:
    return open_database(crawl_settings.database_url)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_article_pass_survives_hostile_pages(crawl_settings: Settings, db: sessionmaker[Session], site: Site,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """One crawl pass over good and hostile article pages (one Scrapy run)."""
    site.route("/a/good-20240902", article(title="正常的新聞"))
    site.route("/a/bomb-20240902", Reply(200, _bomb(60 * MB), {"Content-Type": "text/html",
                                                               "Content-Encoding": "gzip"}))
    site.route("/a/huge-20240902", b"<html><body><p>" + b"x" * (21 * MB) + b"</p></body></html>")
    port = site.server.server_address[1]
    site.route("/a/elsewhere-20240902", Reply(302, b"", {"Location": f"http://localhost:{port}/a/good-20240902"}))
    site.route("/a/octet-20240902", Reply(200, article(title="標錯類型的新聞").encode(),
                                          {"Content-Type": "application/octet-stream"}))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    site.route("/a/image-20240902", Reply(200, png, {"Content-Type": "image/png"}))
    cut = article(title="被截斷的新聞").encode()[:900] + b"<p>" + "第一段".encode() * 20
    site.route("/a/truncated-20240902", cut)
    tries: list[int] = []

    def busy(seen: Seen) -> Reply:
        tries.append(1)
        if len(tries) == 1:
            return Reply(503, b"busy", {"Retry-After": "1", "Content-Type": "text/plain"})
        page = article(title="稍後再試的新聞").encode()
        return Reply(200, page, {"Content-Type": "text/html; charset=utf-8"})

    site.route("/a/busy-20240902", busy)
    site.route("/a/limited-20240902", Reply(429, b"slow down", {"Retry-After": "3600"}))
    names = ["good", "bomb", "huge", "elsewhere", "octet", "image", "truncated", "busy", "limited"]
    site.route("/rss.xml", rss([(n, site.url(f"/a/{n}-20240902")) for n in names]),
               content_type="application/rss+xml")
    with caplog.at_level(logging.WARNING):
        items = collect(crawl_settings, [SourceSettings(name="feed", url=site.url("/rss.xml"))], db)
    titles = {i.title for i in items}
    assert titles == {"正常的新聞", "標錯類型的新聞", "被截斷的新聞", "稍後再試的新聞"}
    assert len(tries) == 2  # waited for Retry-After, then succeeded
    warnings = "\n".join(_warnings(caplog))
    for name in ("bomb", "huge", "elsewhere", "image", "limited"):
        assert site.url(f"/a/{name}-20240902") in warnings, name
    assert "redirect to another host (localhost) refused" in warnings
    assert "retry after" in warnings
    assert not site.hits("/a/good-20240902")[1:]  # the refused redirect never reached its target


def test_feed_fetch_refuses_bombs_and_huge_bodies(site: Site) -> None:
    http = Http(CrawlSettings(allow_private_hosts=True, max_page_bytes=5 * MB))
    site.route("/bomb.xml", Reply(200, _bomb(60 * MB), {"Content-Encoding": "gzip"}))
    site.route("/huge.xml", Reply(200, b"<rss>" + b" " * (6 * MB) + b"</rss>"))
    with pytest.raises(FetchError, match=r"/bomb.xml: body larger than 5242880 bytes"):
        http.get(site.url("/bomb.xml"))
    with pytest.raises(FetchError, match=r"/huge.xml: body larger than"):
        http.get(site.url("/huge.xml"))
    site.route("/ok.xml", Reply(200, gzip.compress(b"<rss/>"), {"Content-Encoding": "gzip"}))
    assert http.get(site.url("/ok.xml")).body == b"<rss/>"


def test_redirect_to_private_address_is_refused(site: Site) -> None:
    """The configured name looks public; its redirect leads to the cloud metadata address."""

    def resolve(host: str, port: int) -> list[str]:
        # "feeds.example" is the test server; the check sees 127.0.0.1 only if the policy asks twice
        return ["127.0.0.1"] if host == "feeds.example" else net.resolve(host)

    port = site.server.server_address[1]
    site.route("/feed.xml", Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}))
    http = Http(CrawlSettings(allow_private_hosts=False), resolver=resolve)
    lenient = http.for_source(Hosts.for_url(f"http://feeds.example:{port}/", ["169.254.169.254"]),
                              allow_private=True)
    with pytest.raises(BlockedHost, match=r"redirect to another host \(169\.254\.169\.254\) refused"):
        lenient.get(f"http://feeds.example:{port}/feed.xml")  # another host, even where private is allowed
    with pytest.raises(BlockedHost, match=r"feeds\.example resolves to a non-public address"):
        http.get(f"http://feeds.example:{port}/feed.xml")  # and private addresses are refused by default
    assert [r.path for r in site.requests] == ["/feed.xml"]
    with pytest.raises(BlockedHost, match="only http"):
        http.get("file:///etc/passwd")


def test_feed_429_sets_retry_after(crawl_settings: Settings, db: sessionmaker[Session], site: Site) -> None:
    site.route("/rss.xml", Reply(429, b"", {"Retry-After": "120"}))
    before = datetime.now(UTC)
    assert collect(crawl_settings, [SourceSettings(name="feed", url=site.url("/rss.xml"))], db) == []
    with db() as s:
        row = s.scalar(select(Source).where(Source.name == "feed"))
        assert row is not None and row.failures == 1 and "HTTP 429" in (row.last_error or "")
        until = datetime.fromisoformat(row.state["retry_after"])
    assert 100 <= (until - before).total_seconds() <= 130


def test_feed_with_wrong_content_type_is_still_read(site: Site) -> None:
    from crawlers.feeds import parse_feed

    body = rss([("標題", "https://example.org/a/1")])
    entries, warnings = parse_feed(body, "https://example.org/rss", "text/html; charset=utf-8")
    assert [e.title for e in entries] == ["標題"]
    assert warnings and "https://example.org/rss" in warnings[0]


def test_infinite_listing_stops(crawl_settings: Settings, db: sessionmaker[Session], site: Site) -> None:
    def listing(seen: Seen) -> Reply:
        page = int(seen.query.get("page", ["1"])[0])
        links = "".join(f'<a href="/news/2024/09/{page:02d}{i:03d}">新聞{page}-{i}</a>' for i in range(3))
        html = f'<html><body>{links}<a href="/list?page={page + 1}">下一頁</a></body></html>'
        return Reply(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})

    site.route("/list", listing)
    for page in range(1, 4):
        for i in range(3):
            site.route(f"/news/2024/09/{page:02d}{i:03d}", article(title=f"新聞{page}-{i}"))
    src = SourceSettings(name="site", type="site", url=site.url("/list"), options={"max_pages": 3})
    items = collect(crawl_settings, [src], db)
    assert len(site.hits("/list")) == 3
    assert len(items) == 9 and all(i.source == "site" for i in items)
