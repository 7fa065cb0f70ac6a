"""A local news site for scale and reliability runs: real news items in RSS feeds on 127.0.0.1.

The items are real July 2026 Taiwanese news (``../shared/data/news``: title, lead, outlet, time),
half of them about Taipei so that the watchlist and the model have work to do. They are dealt to
``feeds`` RSS feeds; ``grow`` > 0 makes the site publish that many new items per second (a growing
feed), starting from ``start`` visible items. Each item also has an article page (JSON-LD, the lead
as its body), for runs that crawl pages with Scrapy (``sources(fetch_articles=True)``). Used by the
Celery system test, the kill -9 check and ``benchmarks/scale.py``.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NEWS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "news" / "taiwan-news-2026-07.jsonl.gz"
TAIPEI = ("北市", "臺北", "台北", "北捷", "蔣萬安", "大巨蛋", "北投", "士林", "內湖", "萬華")


@dataclass(frozen=True)
class NewsItem:
    n: int
    title: str
    lead: str
    outlet: str
    published: datetime


def load_news(count: int, path: Path = NEWS) -> list[NewsItem]:
    """``count`` distinct real items, half about Taipei, in time order; FileNotFoundError without data."""
    taipei: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    seen: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            title = (row.get("title") or "").strip()
            if len(title) < 8 or title in seen:
                continue
            seen.add(title)
            (taipei if any(t in title for t in TAIPEI) else other).append(row)
            if len(taipei) >= count // 2 and len(other) >= count:
                break
    rows = taipei[: count // 2] + other[: count - min(len(taipei), count // 2)]
    rows.sort(key=lambda r: r["published"])
    return [NewsItem(i, r["title"].strip(), (r.get("lead") or r["title"]).strip(), r.get("outlet") or "",
                     datetime.fromisoformat(r["published"])) for i, r in enumerate(rows)]


class LoadSite:
    def __init__(self, items: list[NewsItem], feeds: int = 4, start: int | None = None, grow: float = 0.0) -> None:
        self.items, self.feeds, self.grow = items, feeds, grow
        self.start_count = len(items) if start is None else start
        self.t0 = time.monotonic()
        self.server: ThreadingHTTPServer | None = None
        self.requests = 0
        self.hits: list[tuple[float, str]] = []  # (time.monotonic(), path) of every feed request

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def visible(self) -> int:
        grown = int(self.grow * (time.monotonic() - self.t0))
        return min(len(self.items), self.start_count + grown)

    def feed(self, k: int) -> bytes:
        shown = [it for it in self.items[: self.visible()] if it.n % self.feeds == k]
        entries = "".join(
            f"<item><title>{escape(it.title)}</title><link>{self.base}/a/{it.n}.html</link>"
            f"<guid isPermaLink=\"false\">load-{it.n}</guid><pubDate>{format_datetime(it.published)}</pubDate>"
            f"<description>{escape(it.lead)}</description></item>" for it in reversed(shown))
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>load {k}</title>'
                f"<link>{self.base}/</link><description>newsdesk load site</description>{entries}"
                "</channel></rss>").encode()

    def page(self, n: int) -> bytes:
        it = self.items[n]
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": it.title,
              "datePublished": it.published.isoformat(), "publisher": {"@type": "Organization", "name": it.outlet}}
        return (f'<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{escape(it.title)}'
                f'</title><link rel="canonical" href="{self.base}/a/{n}.html">'
                f'<meta property="article:published_time" content="{it.published.isoformat()}">'
                f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script></head><body>'
                f"<article><h1>{escape(it.title)}</h1><div class=\"article-body\"><p>{escape(it.lead)}</p>"
                f"<p>{escape(it.outlet)} 報導。</p></div></article></body></html>").encode()

    def sources(self, interval: int = 30, fetch_articles: bool = False) -> list[dict[str, Any]]:
        return [{"name": f"load-{k}", "type": "feed", "url": f"{self.base}/feeds/{k}.xml", "outlet": f"load-{k}",
                 "fetch_articles": fetch_articles, "interval": interval} for k in range(self.feeds)]

    def start(self) -> LoadSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests += 1
                if self.path == "/robots.txt":
                    body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
                elif self.path.startswith("/feeds/") and self.path.endswith(".xml"):
                    site.hits.append((time.monotonic(), self.path))
                    body, ctype = site.feed(int(self.path[7:-4]) % site.feeds), "application/rss+xml"
                elif self.path.startswith("/a/") and self.path[3:-5].isdigit() \
                        and int(self.path[3:-5]) < site.visible():
                    body, ctype = site.page(int(self.path[3:-5])), "text/html"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.t0 = time.monotonic()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@contextmanager
def serve(items: list[NewsItem], **kw: Any) -> Iterator[LoadSite]:
    site = LoadSite(items, **kw).start()
    try:
        yield site
    finally:
        site.stop()
