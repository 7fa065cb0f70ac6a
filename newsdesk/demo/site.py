"""Serve the sample site on 127.0.0.1: RSS, Atom, a Mastodon-style account feed and article pages.

Pages carry the markup real Taiwanese outlets use (JSON-LD ``NewsArticle``, ``og:`` tags,
``article:published_time`` in +08:00); one page is served in Big5.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from newsdesk.demo.content import ARTICLES, OUTLETS, POSTS, Article

_TZ = timezone(timedelta(hours=8))  # Asia/Taipei has no daylight saving


def _when(hours_ago: float, now: datetime) -> datetime:
    return (now - timedelta(hours=hours_ago)).replace(microsecond=0)


def article_html(a: Article, base: str, now: datetime) -> bytes:
    url = f"{base}/news/{a.slug}.html"
    published = _when(a.hours_ago, now).astimezone(tz=_TZ).isoformat()
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
          "datePublished": published, "author": [{"@type": "Person", "name": a.author}],
          "publisher": {"@type": "Organization", "name": OUTLETS[a.outlet]}, "mainEntityOfPage": url}
    paras = "\n".join(f"<p>{escape(p)}</p>" for p in a.body)
    charset = "big5" if a.encoding == "big5" else "utf-8"
    lang = "en" if a.language == "en" else "zh-Hant-TW"
    html = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}">
<title>{escape(a.title)} | {escape(OUTLETS[a.outlet])}</title>
<link rel="canonical" href="{url}">
<meta property="og:title" content="{escape(a.title)}">
<meta property="og:url" content="{url}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{published}">
<meta name="author" content="{escape(a.author)}">
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
</head><body>
<header><nav><a href="/">首頁</a> | <a href="/politics">政治</a> | <a href="/local">地方</a></nav></header>
<main><article>
<h1>{escape(a.title)}</h1>
<div class="byline">記者{escape(a.author)} / {published}</div>
<div class="article-body">
{paras}
</div>
</article>
<aside><h3>熱門新聞</h3><ul><li><a href="/">更多新聞請見首頁</a></li></ul></aside></main>
<footer>&copy; {escape(OUTLETS[a.outlet])} 版權所有 (newsdesk sample site)</footer>
</body></html>"""
    return html.encode(a.encoding)


def rss_feed(outlet: str, base: str, now: datetime) -> bytes:
    items = []
    for a in ARTICLES:
        if a.outlet != outlet:
            continue
        items.append(f"""<item><title>{escape(a.title)}</title>
<link>{base}/news/{a.slug}.html?utm_source=rss&amp;utm_medium=feed</link>
<guid isPermaLink="false">{outlet}-{a.slug}</guid>
<pubDate>{format_datetime(_when(a.hours_ago, now).astimezone(_TZ))}</pubDate>
<description>{escape(a.body[0][:80])}</description></item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{escape(OUTLETS[outlet])}</title><link>{base}/</link>
<description>newsdesk sample feed</description><language>zh-TW</language>
{''.join(items)}
</channel></rss>""".encode()


def atom_feed(outlet: str, base: str, now: datetime) -> bytes:
    entries = []
    for a in ARTICLES:
        if a.outlet != outlet:
            continue
        when = _when(a.hours_ago, now).astimezone(_TZ).isoformat()
        entries.append(f"""<entry><title>{escape(a.title)}</title>
<link href="{base}/news/{a.slug}.html"/><id>tag:demo,2024:{a.slug}</id>
<updated>{when}</updated><published>{when}</published>
<author><name>{escape(a.author)}</name></author><summary>{escape(a.body[0][:80])}</summary></entry>""")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(OUTLETS[outlet])}</title>
<id>tag:demo,2024:{outlet}</id><updated>{now.isoformat()}</updated>
<link href="{base}/"/>{''.join(entries)}</feed>""".encode()


def social_feed(base: str, now: datetime) -> bytes:
    """Like a Mastodon account's public RSS (``https://instance/@user.rss``)."""
    items = "".join(f"""<item><guid isPermaLink="true">{base}/@{p.author}/{p.slug}</guid>
<link>{base}/@{p.author}/{p.slug}</link><pubDate>{format_datetime(_when(p.hours_ago, now))}</pubDate>
<description>{escape(f"<p>{escape(p.text)}</p>")}</description></item>""" for p in POSTS)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>臺北市民的聲音 (sample)</title><link>{base}/</link>
<description>Public posts</description>{items}</channel></rss>""".encode()


class SampleSite:
    """The sample site; ``routes`` maps paths to (content type, body)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)
        self.requests: list[str] = []
        self.pages: dict[str, tuple[str, bytes]] = {}
        self._server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def routes(self) -> dict[str, tuple[str, bytes]]:
        base, now = self.base, self.now
        out: dict[str, tuple[str, bytes]] = {
            "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/feeds/cna.xml": ("application/rss+xml", rss_feed("demo-cna", base, now)),
            "/feeds/ltn.atom": ("application/atom+xml", atom_feed("demo-ltn", base, now)),
            "/feeds/times.xml": ("application/rss+xml", rss_feed("demo-times", base, now)),
            "/@citizens.rss": ("application/rss+xml", social_feed(base, now)),
        }
        for a in ARTICLES:
            charset = "big5" if a.encoding == "big5" else "utf-8"
            out[f"/news/{a.slug}.html"] = (f"text/html; charset={charset}", article_html(a, base, now))
        return out

    def sources(self) -> list[dict[str, Any]]:
        """Settings ``[[sources]]`` entries that point newsdesk at this site."""
        b = self.base
        return [
            {"name": "demo-cna", "type": "feed", "url": f"{b}/feeds/cna.xml", "outlet": "demo-cna"},
            {"name": "demo-ltn", "type": "feed", "url": f"{b}/feeds/ltn.atom", "outlet": "demo-ltn"},
            {"name": "demo-times", "type": "feed", "url": f"{b}/feeds/times.xml", "outlet": "demo-times",
             "language": "en"},
            {"name": "demo-social", "type": "feed", "url": f"{b}/@citizens.rss", "outlet": "demo-social",
             "fetch_articles": False, "options": {"kind": "post"}},
        ]

    def start(self) -> SampleSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests.append(self.path)
                path = self.path.split("?", 1)[0]
                found = site.pages.get(path)
                if found is None:
                    self.send_error(404)
                    return
                ctype, body = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.pages = self.routes()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def serve(now: datetime | None = None) -> Iterator[SampleSite]:
    site = SampleSite(now).start()
    try:
        yield site
    finally:
        site.stop()
