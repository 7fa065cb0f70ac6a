"""One generic Scrapy spider, parameterised by jobs (article pages and listing pages), not one per site.

Each job is a plain dict so it can cross a process boundary (see :mod:`crawlers.scrapy_run`):
``{"id", "url", "kind": "article"|"listing", "allowed_hosts": [...], "max_pages", "link_pattern"}``.
The spider yields one result dict per job (and per listing page).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.extract import SiteNames, extract
from crawlers.middlewares import guard_error
from crawlers.page import PageError
from pipeline.settings import CrawlSettings

_NOT_HTML = ("image/", "audio/", "video/", "application/pdf", "application/zip", "font/")
_NEXT = re.compile(r"下一頁|下頁|next|older|›|»", re.I)


def private_hosts(crawl: CrawlSettings, jobs: list[dict[str, Any]]) -> list[str]:
    """Hosts whose names may resolve to internal addresses: those of sources allowed to (all with
    ``crawl.allow_private_hosts``)."""
    if crawl.allow_private_hosts:
        return ["*"]
    hosts = {urlsplit(j["url"]).hostname or "" for j in jobs if j.get("allow_private")}
    hosts.update(h for j in jobs if j.get("allow_private") for h in j.get("allowed_hosts") or [])
    return sorted(h.lower() for h in hosts if h)


def scrapy_settings(crawl: CrawlSettings, http_cache_dir: str | None = None,
                    jobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Scrapy settings from newsdesk's ``[crawl]`` table (the one place they are mapped)."""
    return {
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_ENABLED": crawl.download_delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "HTTPCACHE_ENABLED": bool(http_cache_dir),
        "HTTPCACHE_DIR": http_cache_dir or "httpcache",
        "HTTPCACHE_IGNORE_HTTP_CODES": [429, 500, 502, 503, 504],
        "NEWSDESK_ALLOW_PRIVATE_HOSTS": crawl.allow_private_hosts,
        # names are resolved (and their addresses checked) once, by the resolver that connects
        "TWISTED_DNS_RESOLVER": "crawlers.resolver.GuardedResolver",
        "NEWSDESK_PRIVATE_HOSTS": private_hosts(crawl, jobs or []),
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.HostGuardMiddleware": 10,
            "crawlers.middlewares.RetryAfterMiddleware": 560,
        },
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "COOKIES_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }


class ArticleSpider(scrapy.Spider):
    name = "newsdesk-articles"

    def __init__(self, jobs: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.jobs = jobs
        self.site_names = SiteNames()  # site labels learned from the titles of this run's pages

    async def start(self) -> AsyncIterator[Any]:
        for job in self.jobs:
            yield self._request(job["url"], job, page=1)

    def _request(self, url: str, job: dict[str, Any], page: int) -> scrapy.Request:
        callback = self.parse_listing if job.get("kind") == "listing" else self.parse_article
        return scrapy.Request(url, callback=callback, errback=self.failed,
                              meta={"job": job, "page": page,
                                    "allowed_hosts": job.get("allowed_hosts") or [],
                                    "allow_private": bool(job.get("allow_private"))},
                              dont_filter=page == 1 and bool(job.get("force")))

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        job = response.meta["job"]
        ctype = _header(response, "Content-Type")
        if ctype and ctype.lower().startswith(_NOT_HTML) and not _looks_like_html(response.body):
            yield {"id": job["id"], "url": job["url"], "error": f"{response.url}: not an HTML page ({ctype})"}
            return
        try:
            ex = extract(response.body, response.url, ctype, site_names=self.site_names)
        except PageError as exc:
            yield {"id": job["id"], "url": job["url"], "error": str(exc)}
            return
        data = asdict(ex)
        data["published_at"] = ex.published_at.isoformat() if ex.published_at else None
        yield {"id": job["id"], "url": job["url"], "final_url": response.url, "extracted": data}

    def parse_listing(self, response: Response) -> Iterator[Any]:
        job, page = response.meta["job"], response.meta["page"]
        if b"<urlset" in response.body[:2048] or b"<sitemapindex" in response.body[:2048]:
            yield from self._sitemap(response, job, page)
            return
        pattern = re.compile(job["link_pattern"]) if job.get("link_pattern") else None
        host = urlsplit(response.url).hostname or ""
        links: list[str] = []
        nxt: str | None = None
        for a in response.xpath("//a[@href]"):
            href = urljoin(response.url, a.attrib["href"])
            text = " ".join(a.xpath(".//text()").getall()).strip()
            if nxt is None and (a.attrib.get("rel") == "next" or _NEXT.search(text)):
                nxt = href
            same = (urlsplit(href).hostname or "") == host
            wanted = pattern.search(href) if pattern else _looks_like_article(href)
            if same and wanted and href not in links:
                links.append(href)
        yield {"id": job["id"], "url": job["url"], "page": page, "links": links}
        if nxt and page < int(job.get("max_pages", 3)):
            yield self._request(nxt, job, page + 1)

    def _sitemap(self, response: Response, job: dict[str, Any], page: int) -> Iterator[Any]:
        """A (news) sitemap: its ``<loc>``s are the links; a sitemap index is followed, bounded."""
        from scrapy.utils.sitemap import Sitemap

        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # noqa: BLE001 - a broken sitemap is reported like any failed page
            yield {"id": job["id"], "url": job["url"], "error": f"{response.url}: unreadable sitemap: {exc}"}
            return
        locs = [str(entry["loc"]) for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            for loc in locs[: max(0, int(job.get("max_pages", 3)) - page)]:
                yield self._request(loc, job, page + 1)
            return
        yield {"id": job["id"], "url": job["url"], "page": page, "links": locs}

    def failed(self, failure: Failure) -> Iterator[dict[str, Any]]:
        request = failure.request  # type: ignore[attr-defined]
        job = request.meta["job"]
        out = {"id": job["id"], "url": job["url"]}
        out.update(guard_error(failure.value or Exception("unknown failure")))
        if isinstance(failure.value, HttpError):
            out["error"] = f"HTTP {failure.value.response.status}"
        if not out["error"].startswith(("http://", "https://")):
            out["error"] = f"{request.url}: {out['error']}"
        yield out


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _looks_like_html(body: bytes) -> bool:
    """Servers mislabel pages: trust the bytes over the Content-Type header."""
    head = body[:2048].lower()
    return any(tag in head for tag in (b"<html", b"<!doctype html", b"<head", b"<body", b"<p>", b"<div"))


def _looks_like_article(url: str) -> bool:
    """A link that probably is an article: a long path with digits (ids or dates) in it."""
    path = urlsplit(url).path
    return len(path) > 8 and sum(c.isdigit() for c in path) >= 4
