"""PTT boards on the web (``/bbs/<Board>/index.html``), past the over-18 check with its cookie.

Options: ``board`` (else taken from the source URL), ``pages`` (index pages to read, default 1),
``max_posts`` (articles opened per poll, default 20), ``base_url`` (default https://www.ptt.cc),
``revisit_hours``/``max_revisits`` (default 5, see :class:`crawlers.social.Revisits`).
Already seen article URLs are kept in the source's state so a new article is opened once; articles
found in the last ``revisit_hours`` are reopened a few per poll, so their pushes (推/噓/→) are
counted again and a thread that takes off raises its story's reach.

Platform facts: boards live at ``/bbs/<Board>/index.html``; boards such as Gossiping and
HatePolitics answer with an over-18 form (``/ask/over18``) unless the ``over18=1`` cookie is sent.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin

import lxml.html

from crawlers.dates import TAIPEI
from crawlers.social import Revisits, SocialContext, SocialError, option, post, revisited
from pipeline.items import Item
from pipeline.settings import SourceSettings

BASE = "https://www.ptt.cc"
COOKIE = {"Cookie": "over18=1"}
_BOARD = re.compile(r"/bbs/([A-Za-z0-9_-]+)/")
SEEN_KEEP = 500


def collect(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", BASE)).rstrip("/")
    board = option(src, "board") or _board(src.url)
    if not board:
        raise SocialError(f"ptt source {src.name}: no board (set options.board or a /bbs/<Board>/ URL)")
    seen: list[str] = list(ctx.state.get("seen", []))
    links: list[str] = []
    url = f"{base}/bbs/{board}/index.html"
    for _ in range(int(option(src, "pages", 1))):
        tree = _page(ctx, src, url)
        links.extend(a for a in _index_links(tree, url) if a not in seen and a not in links)
        prev = tree.xpath('//div[contains(@class,"btn-group-paging")]/a[contains(text(),"上頁")]/@href')
        if not prev:
            break
        url = urljoin(url, prev[0])
    items = [_article(ctx, src, board, link) for link in links[: int(option(src, "max_posts", 20))]]
    ctx.state["seen"] = (seen + [i.url for i in items])[-SEEN_KEEP:]
    revisits = Revisits.of(src, ctx, limit=5)
    again = [_article(ctx, src, board, link) for link in revisits.due(exclude={i.url for i in items})]
    revisits.checked([i.url for i in again])
    revisits.seen([i.url for i in items])
    return items + revisited(again)


def _board(url: str) -> str | None:
    m = _BOARD.search(url or "")
    return m.group(1) if m else None


def _page(ctx: SocialContext, src: SourceSettings, url: str) -> lxml.html.HtmlElement:
    resp = ctx.http.get(url, headers=COOKIE, ok=(200,))
    tree = lxml.html.document_fromstring(resp.body.decode("utf-8", "replace"))
    if tree.xpath('//form[contains(@action,"over18")]'):
        raise SocialError(f"ptt source {src.name}: {url}: still at the over-18 check (cookie refused)")
    return tree


def _index_links(tree: lxml.html.HtmlElement, url: str) -> list[str]:
    # Deleted posts have no link; pinned announcements sit below the r-list-sep line.
    entries = tree.xpath('//div[contains(@class,"r-list-sep")]'
                         '/preceding-sibling::div[contains(@class,"r-ent")]')
    if not entries:
        entries = tree.xpath('//div[contains(@class,"r-ent")]')
    return [urljoin(url, h) for e in entries for h in e.xpath('.//div[@class="title"]/a/@href')]


def _article(ctx: SocialContext, src: SourceSettings, board: str, url: str) -> Item:
    tree = _page(ctx, src, url)
    main = tree.get_element_by_id("main-content", None)
    if main is None:
        raise SocialError(f"ptt source {src.name}: {url}: no #main-content (page layout changed?)")
    meta = dict(zip([t.text_content().strip() for t in main.xpath('.//span[@class="article-meta-tag"]')],
                    [v.text_content().strip() for v in main.xpath('.//span[@class="article-meta-value"]')],
                    strict=False))
    pushes = [p.xpath('string(.//span[contains(@class,"push-tag")])').strip()
              for p in main.xpath('.//div[@class="push"]')]
    for el in main.xpath('.//div[contains(@class,"article-metaline")] | .//div[@class="push"]'):
        el.drop_tree()  # keeps the text that follows it (the body)
    body = main.text_content().split("\n--\n")[0].strip()
    author = meta.get("作者", "").split(" (")[0] or None
    return post(src, "ptt", url=url, text=body, author=author, published=_time(meta.get("時間")),
                title=meta.get("標題"), post_id=url.rsplit("/", 1)[-1].removesuffix(".html"),
                engagement={"likes": pushes.count("推"), "boos": pushes.count("噓"), "comments": len(pushes)})


def _time(value: str | None) -> datetime | None:
    """PTT's ``Mon Sep  2 10:30:00 2024`` is Taipei time."""
    if not value:
        return None
    try:
        return datetime.strptime(" ".join(value.split()), "%a %b %d %H:%M:%S %Y").replace(tzinfo=TAIPEI)
    except ValueError:
        return None
