"""Feed ingestion on feedparser: conditional GET, a content hash to skip unchanged feeds, entries out.

:func:`parse_feed` is pure (bytes in, entries out) so the feed corpus test can drive it directly;
:func:`poll_feed` adds the HTTP side and reads/writes the crawl state kept on the ``Source`` row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import feedparser

from crawlers.dates import from_struct, parse_iso
from crawlers.net import Http
from pipeline.models import Source

_TAGS = re.compile(r"<[^>]+>")
_NOT_XML = ("text/html", "application/xhtml")


class FeedError(Exception):
    """The body is not a feed (HTML page, broken XML with no entries, ...); names the URL."""


@dataclass
class FeedEntry:
    link: str
    title: str
    summary: str
    id: str
    published_at: datetime | None = None
    authors: list[str] = field(default_factory=list)


@dataclass
class FeedResult:
    status: str  # "new" | "unchanged" (same hash) | "not-modified" (HTTP 304)
    entries: list[FeedEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_feed(body: bytes, url: str, content_type: str | None = None,
               headers: Mapping[str, str] | None = None) -> tuple[list[FeedEntry], list[str]]:
    """Entries in feedparser's order, one per feedparser entry; raises FeedError for a non-feed.

    ``headers`` are the HTTP response headers (feedparser reads the charset, language and base URL
    from them); ``content_type`` alone is enough when there are none.
    """
    given = {k.lower(): v for k, v in (headers or {}).items()}
    given.setdefault("content-location", url)
    if content_type:
        given["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=given, sanitize_html=True)
    warnings = []
    if parsed.get("bozo"):
        reason = f"{type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"
        if not parsed.entries and not parsed.get("version"):
            raise FeedError(f"{url}: not a feed ({_short(reason)})")
        warnings.append(f"{url}: feed is not well-formed ({_short(reason)}); used what could be read")
    return [_entry(e) for e in parsed.entries], warnings


def _entry(e: Any) -> FeedEntry:
    published = from_struct(e.get("published_parsed") or e.get("updated_parsed"))
    if published is None:
        published = parse_iso(_str(e.get("published") or e.get("updated")))
    authors = [_str(a.get("name")) for a in e.get("authors") or [] if isinstance(a, dict) and a.get("name")]
    if not authors and e.get("author"):
        authors = [_str(e.get("author"))]
    link = _str(e.get("link"))
    summary = _str(e.get("summary"))
    return FeedEntry(link=link, title=_plain(_str(e.get("title"))), summary=_plain(summary),
                     id=_str(e.get("id")) or link, published_at=published, authors=[a for a in authors if a])


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _plain(html: str) -> str:
    from html import unescape

    return " ".join(unescape(_TAGS.sub(" ", html)).split())


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def poll_feed(http: Http, row: Source, url: str) -> FeedResult:
    """Fetch the feed with the row's validators; update etag/last_modified/hash on the row."""
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"}
    if row.etag:
        headers["If-None-Match"] = row.etag
    if row.last_modified:
        headers["If-Modified-Since"] = row.last_modified
    resp = http.get(url, headers=headers)
    if resp.status == 304:
        return FeedResult("not-modified")
    digest = content_hash(resp.body)
    status = "unchanged" if digest == row.content_hash else "new"
    entries: list[FeedEntry] = []
    warnings: list[str] = []
    if status == "new":
        entries, warnings = parse_feed(resp.body, url, headers=resp.headers)
    # Validators are kept only once the body proved to be a feed, so a broken one is fetched again.
    row.etag = resp.headers.get("etag") or None
    row.last_modified = resp.headers.get("last-modified") or None
    row.content_hash = digest
    return FeedResult(status, entries, warnings)
