"""The outbound policy with real servers on 127.0.0.1: no request reaches a host or an address the
policy refuses, redirects and robots.txt included, and credentials stay with their host."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crawlers.net import BlockedHost, FetchError, Http
from crawlers.resolver import GuardedResolver, RefusedAddress
from pipeline import outbound
from pipeline.db import open_database
from pipeline.outbound import Hosts
from pipeline.settings import CrawlSettings, Settings, SourceSettings, load_settings
from tests.crawlers.conftest import Reply, Site, _handler
from tests.crawlers.pages import article, rss
from tests.crawlers.passes import collect_and_commit as collect


@pytest.fixture
def other() -> Iterator[Site]:
    """A second server: another host, as far as the policy is concerned."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Site.__new__(Site)))
    s = Site(server)
    server.RequestHandlerClass = _handler(s)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield s
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Connections are recorded; any that would leave the machine fails instead of being made."""
    made: list[tuple[str, int]] = []
    real = outbound.u3connection.create_connection

    def connect(address: tuple[str, int], *args: Any, **kw: Any) -> Any:
        made.append(address)
        if not address[0].startswith("127."):
            raise OSError(errno.ENETUNREACH, "tests reach no network but loopback")
        return real(address, *args, **kw)

    monkeypatch.setattr(outbound.u3connection, "create_connection", connect)
    return made


def test_dns_rebinding_cannot_redirect_the_connection(site: Site, no_network: list[tuple[str, int]]) -> None:
    """The name answers a public address to the check and loopback to a second lookup: there is none."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    site.route("/feed.xml", rss([("x", "https://example.org/1")]), content_type="application/rss+xml")
    port = site.server.server_address[1]
    http = Http(CrawlSettings(allow_private_hosts=False), resolver=rebinding)
    with pytest.raises(FetchError, match="cannot connect"):
        http.get(f"http://rebind.example:{port}/feed.xml")
    assert lookups == ["rebind.example"] and no_network == [("93.184.216.34", port)]
    assert site.requests == []  # the loopback server was never reached


def test_the_checked_address_is_the_one_connected_to(site: Site, no_network: list[tuple[str, int]]) -> None:
    site.route("/feed.xml", b"<rss/>", content_type="application/rss+xml")
    port = site.server.server_address[1]
    http = Http(CrawlSettings(), resolver=lambda host, p: ["127.0.0.1"]).for_source(None, allow_private=True)
    assert http.get(f"http://intranet.example:{port}/feed.xml").body == b"<rss/>"
    assert no_network == [("127.0.0.1", port)]
    assert site.requests[0].headers["Host"] == f"intranet.example:{port}"
    with pytest.raises(BlockedHost, match=r"non-public address \(127\.0\.0\.1"):
        Http(CrawlSettings(), resolver=lambda host, p: ["127.0.0.1"]).get(f"http://intranet.example:{port}/x")
    with pytest.raises(BlockedHost, match=r"64:ff9b::7f00:1.*loopback"):
        Http(CrawlSettings(), resolver=lambda host, p: ["64:ff9b::7f00:1"]).get("http://nat64.example/x")


def test_a_feed_redirect_to_another_host_is_refused_even_with_private_hosts_allowed(site: Site, other: Site) -> None:
    other.route("/feed.xml", rss([("x", "https://example.org/1")]), content_type="application/rss+xml")
    site.route("/feed.xml", Reply(302, b"", {"Location": other.url("/feed.xml")}))
    http = Http(CrawlSettings(allow_private_hosts=True))
    with pytest.raises(BlockedHost, match="redirect to another host"):
        http.get(site.url("/feed.xml"), headers={"Authorization": "Bearer secret-feed-token"})
    assert other.requests == []  # (the other server is 127.0.0.1 too: another port is another host)


def test_credentials_are_dropped_when_a_redirect_leaves_the_origin(site: Site) -> None:
    site.route("/a", Reply(302, b"", {"Location": "/b"}))
    site.route("/b", Reply(200, b"ok", {"Content-Type": "text/plain"}))
    http = Http(CrawlSettings(allow_private_hosts=True))
    http.get(site.url("/a"), headers={"Authorization": "Bearer t", "Cookie": "over18=1"})
    assert site.hits("/b")[0].headers.get("Authorization") == "Bearer t"  # same origin: kept
    port = site.server.server_address[1]
    site.route("/c", Reply(302, b"", {"Location": f"http://localhost:{port}/b"}))
    via = Http(CrawlSettings(allow_private_hosts=True), hosts=Hosts("127.0.0.1", port, ("localhost",)))
    with pytest.raises(BlockedHost):  # localhost on a non-default port is not the source's
        via.get(site.url("/c"), headers={"Authorization": "Bearer t"})
    assert len(site.hits("/b")) == 1


# --- the Scrapy side: per-source private allowance, redirects and robots.txt ------------------------

@pytest.fixture
def strict(tmp_path: Any) -> Settings:
    """Private addresses refused for every source that does not allow them itself."""
    return load_settings(None, {"database_url": f"sqlite:///{tmp_path / 'strict.db'}", "sources": [],
                                "crawl": {"allow_private_hosts": False, "download_delay": 0, "timeout": 10}},
                         use_env=False)


@pytest.fixture
def db(strict: Settings) -> sessionmaker[Session]:
    return open_database(strict.database_url)


def test_private_hosts_allowed_for_one_source_only(strict: Settings, db: sessionmaker[Session], site: Site,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    port = site.server.server_address[1]
    site.route("/news/2024100100", article(title="內網新聞"))
    site.route("/rss.xml", rss([("內網新聞", f"http://localhost:{port}/news/2024100100")]),
               content_type="application/rss+xml")
    allowed = SourceSettings(name="intranet", url=f"http://localhost:{port}/rss.xml", allow_private_hosts=True)
    other = SourceSettings(name="other", url=f"http://localhost:{port}/rss.xml?b=1")
    with caplog.at_level(logging.WARNING):
        items = collect(strict, [allowed, other], db)
    assert [i.title for i in items] == ["內網新聞"]  # the article came through Scrapy (resolver allowed it)
    assert [r.path for r in site.requests].count("/rss.xml") == 1  # the other source never got there
    assert any("other" in r.getMessage() and "non-public" in r.getMessage() for r in caplog.records)


def test_robots_txt_redirect_to_another_host_is_refused(crawl_settings: Settings, site: Site, other: Site,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """With allow_private_hosts set (as in the demo), robots.txt is still held to its site's hosts."""
    other.route("/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
    site.route("/robots.txt", Reply(301, b"", {"Location": other.url("/robots.txt")}))
    site.route("/news/2024100200", article(title="一般新聞"))
    site.route("/rss.xml", rss([("一般新聞", site.url("/news/2024100200"))]), content_type="application/rss+xml")
    sessions = open_database(crawl_settings.database_url)
    collect(crawl_settings, [SourceSettings(name="feed", url=site.url("/rss.xml"))], sessions)
    assert other.requests == []  # the redirect of robots.txt never reached the other host
    assert site.hits("/robots.txt")


def test_the_scrapy_resolver_checks_what_it_returns() -> None:
    resolver = GuardedResolver.__new__(GuardedResolver)
    resolver.private_hosts = {"intranet.example"}
    assert resolver._check("10.1.2.3", "intranet.example") == "10.1.2.3"
    assert resolver._check("93.184.216.34", "news.example") == "93.184.216.34"
    with pytest.raises(RefusedAddress, match="non-public"):
        resolver._check("127.0.0.1", "rebind.example")
    with pytest.raises(RefusedAddress):
        resolver._check("::ffff:10.0.0.1", "mapped.example")


def test_scrapy_refuses_a_name_that_resolves_to_loopback(strict: Settings, site: Site) -> None:
    """A name (not a literal address) is checked where Scrapy resolves it, the address it connects to."""
    from crawlers.scrapy_run import run_jobs

    port = site.server.server_address[1]
    site.route("/news/2024100300", article(title="不該抓到"))
    job = {"id": "a", "url": f"http://localhost:{port}/news/2024100300", "kind": "article",
           "allowed_hosts": ["localhost"], "allow_private": False}
    (result,) = run_jobs([job], strict.crawl)
    assert "non-public address" in result["error"] and site.requests == []
    (allowed,) = run_jobs([{**job, "allow_private": True}], strict.crawl)
    assert allowed["extracted"]["title"] == "不該抓到" and len(site.requests) >= 1
