"""Alerts end to end: the office's labelled items served as news sites on 127.0.0.1, collected with
``newsdesk crawl --once`` on the shipped Taipei settings, and the alerts scored against the labels.

This is issue 13's held-out procedure run on the office's 800 labelled July items
(``../shared/data/sentiment/needs-response-dev.csv``, source ``news-2026-07``) and, with
``--english``, on the 200 English versions of them (``pipeline/decision/training/labels/english-eval.csv``):

1. every item becomes an article page of its outlet, listed in that outlet's RSS or Atom feed (title,
   link, date; the feed's description is empty or a short teaser, so the decision reads the page).
   Pages look like the outlets' own: headline in ``<h1>`` and ``og:title`` with the site's suffix, a
   byline and dateline, the body paragraphs, navigation, share buttons, related links and promotion
   lines; a layout per outlet family, so extraction meets what it meets on the real sites. The body is
   the item's own lead (the feed teaser marks ``《詳全文...》`` / ``...…`` dropped); an item without a
   lead gets its title again plus boilerplate, as aggregator pages do. Nothing else of the item (and
   none of its labels) goes into the pages: boilerplate is generic and names no place.
2. a ``newsdesk.toml`` keeps the shipped settings and replaces ``[[sources]]`` with these feeds
   (private hosts allowed, no download delay, a fresh SQLite database, console notifications), and
   ``newsdesk --config … crawl --once`` runs as a child process against a real HTTP server;
3. the stored items (``items.flagged``, ``government``, ``response_score``, ``agency``,
   ``meta["decision"]``) are mapped back by URL and scored; the same items read straight from the
   labelled rows (``newsdesk triage`` on title + lead) are scored alike, so the gap that crawling and
   extraction add is visible item by item.

An item should alert exactly when it is coverage of the office's government (``[office] government``,
TPE) that needs a response. Figures: alert precision/recall/F1; alerts on items about other
governments and on items about no government; routing (routed bureau = the answering bureau, on
alerted Taipei items needing a response whose answer is a specific bureau, not 市府/無); wall time.

    python benchmarks/alerts_e2e.py [--limit 100] [--english | --english-only]
        [--model FOLDER] [--threshold P] [--json out.json] [--keep DIR]

The labels are read only by :func:`score`; page and feed builders see :class:`Story` (text, outlet,
time) alone. Not a test: run it on demand (about 4 minutes for the 1,000 items on 2 busy cores).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OURS = "TPE"  # [office] government of the shipped settings
NOT_A_BUREAU = ("市府", "無", "")  # answers that name no specific bureau


# --- the items: what a page may show (Story) and what only the scoring reads (Label) ---------------

@dataclass(frozen=True)
class Story:
    """An item as the outlet published it: the only thing the pages and feeds are built from."""

    key: str  # d<row> of the office's file (row of needs-response-dev.csv)
    title: str
    lead: str
    outlet: str  # as the file names it (自由時報, 中央社, ...; "translation" for English)
    published: str  # ISO 8601 with offset
    language: str = "zh-Hant"

    @property
    def number(self) -> int:
        return int(re.sub(r"\D", "", self.key) or 0)


@dataclass(frozen=True)
class Label:
    government: str
    needs_response: bool
    agency: str


def load(english: bool, chinese: bool) -> tuple[list[Story], dict[str, Label]]:
    """The office's July items (and/or their English versions), with the labels kept apart."""
    from pipeline.decision.training.data import gold_english, gold_july

    rows = (gold_july() if chinese else []) + (gold_english() if english else [])
    stories, labels = [], {}
    for r in rows:
        key = f"{r.key}-en" if r.language == "en" else r.key
        stories.append(Story(key, r.title, r.lead, r.outlet, r.published, r.language))
        labels[key] = Label(r.government, bool(r.response), r.agency)
    return stories, labels


def subset(stories: list[Story], limit: int | None) -> list[Story]:
    """Every k-th item, so a small run still spans the outlets and the month."""
    if not limit or limit >= len(stories):
        return stories
    step = len(stories) / limit
    return [stories[int(i * step)] for i in range(limit)]


# --- the outlets: one declaration each (how its pages, URLs and feed look) -------------------------

@dataclass(frozen=True)
class Style:
    slug: str  # path prefix on the local server and the source's name
    outlet: str | None  # the settings' outlet key (reach weights); None: not in the registry
    site: str  # the outlet's name as its pages print it
    suffix: str  # appended to the headline in <title> / og:title
    layout: str  # a key of LAYOUTS
    path: str  # article path pattern: {n} the item's number, {ymd} its date
    feed: str = "rss"  # rss | atom
    teaser: bool = False  # the feed's description carries a short teaser of the lead
    byline: str = "記者{name}／綜合報導"  # "" for none; {name} a reporter (never a place)
    tail: tuple[str, ...] = ()  # generic lines inside the article body (promotion, rights)
    section: str = "即時"  # the breadcrumb: a generic word, never the item's topic
    og_description: bool = True
    json_ld: bool = False
    language: str = "zh-Hant"


STYLES: dict[str, Style] = {s.site: s for s in (
    Style("ltn", "ltn", "自由時報", "｜自由時報", "ltn", "/news/politics/breakingnews/{n}", teaser=True,
          byline="〔即時新聞／綜合報導〕",
          tail=("不用抽 不用搶 現在用APP看新聞 保證天天中獎", "點我下載APP　按我看活動辦法")),
    Style("cna", "cna", "中央社", " | 中央社 CNA", "cna", "/news/aipl/{ymd}{n:04d}.aspx", byline="",
          tail=("本網站之文字、圖片及影音，非經授權，不得轉載、公開播送或公開傳輸及利用。",)),
    Style("ettoday", "ettoday", "ETtoday", " | ETtoday新聞雲", "ettoday", "/news/{ymd}/{n}.htm", teaser=True,
          tail=("►加入ETtoday新聞雲LINE好友，重大新聞即時通知",)),
    Style("tvbs", "tvbs", "TVBS", "│TVBS新聞網", "tvbs", "/politics/{n}", byline="記者 {name} 報導",
          tail=("更多新聞請上TVBS新聞網",), og_description=False),
    Style("chinatimes", "chinatimes", "中時新聞網", " - 政治 - 中時新聞網", "article",
          "/realtimenews/{ymd}{n:06d}-260407", byline="中時新聞網 {name}",
          tail=("（中時新聞網）",), json_ld=True),
    Style("newtalk", "newtalk", "新頭殼", " | 政治 | 新頭殼 Newtalk", "article", "/news/view/{n}", feed="atom",
          byline="新頭殼newtalk | {name} 綜合報導", tail=("新頭殼粉絲團 按讚加入",)),
    Style("nownews", "nownews", "今日新聞", " | 政治 | NOWnews今日新聞", "article", "/news/{n}",
          byline="記者{name}／綜合報導", tail=("點我下載NOWnews APP，掌握第一手新聞",)),
    Style("setn", "setn", "三立新聞網", " | 政治 | 三立新聞網 | SETN.COM", "ettoday", "/News.aspx?NewsID={n}",
          byline="記者{name}／綜合報導", tail=("三立新聞網提醒您：新聞內容請以官方發布為準",)),
    Style("mirror", "mirror", "鏡週刊", " - 鏡週刊 Mirror Media", "article", "/story/{ymd}pol{n:03d}/",
          feed="atom", byline="文｜{name}", tail=("更多鏡週刊報導",), json_ld=True),
    Style("storm", "storm", "風傳媒", " - 風傳媒", "article", "/article/{n}", byline="風傳媒 {name}",
          tail=("看更多風傳媒報導",)),
    Style("ebc", "ebc", "東森新聞", " | 東森新聞", "tvbs", "/news/politics/{n}", byline="記者 {name} 報導",
          tail=("往下看更多東森新聞",)),
    Style("udn", "udn", "聯合新聞網", " | 聯合新聞網", "article", "/news/story/6656/{n}", byline="記者{name}／即時報導",
          tail=("本網站之文字、圖片及影音，非經授權，不得轉載、公開播送或公開傳輸及利用。",), json_ld=True),
    Style("pts", "pts", "公視新聞", "｜公視新聞網 PNN", "cna", "/article/{n}", byline="",
          tail=("公視新聞網 版權所有",)),
    Style("focustaiwan", "focustaiwan", "Focus Taiwan", " - Focus Taiwan", "focustaiwan",
          "/news/aipl/{ymd}{n:04d}", byline="By {name}", tail=("Enditem/ASG",), section="Politics",
          language="en"),
    Style("taipeitimes", "taipeitimes", "Taipei Times", " - Taipei Times", "taipeitimes",
          "/News/taiwan/archives/{ymd}/{n}", byline="By {name} / Staff reporter", og_description=False,
          tail=("Comments will be moderated. Keep comments relevant to the article.",), section="Taiwan News",
          language="en"),
)}
FALLBACK = Style("news", None, "新聞網", " - 新聞網", "article", "/news/{n}")
REPORTERS = ("王小明", "林怡君", "陳家豪", "張雅婷", "李建宏", "黃詩涵", "吳冠廷", "劉佳穎")
REPORTERS_EN = ("Lin Chia-nan", "Chen Yu-fu", "Wu Po-hsuan", "Huang Tzu-ti", "Teng Pei-ju", "Liu Tzu-hsuan")


def style_of(story: Story) -> Style:
    if story.language == "en":  # the English versions: Focus Taiwan and Taipei Times, alternately
        return STYLES["Focus Taiwan" if story.number % 2 else "Taipei Times"]
    return STYLES.get(story.outlet, FALLBACK)


# --- pages ------------------------------------------------------------------------------------------

_TEASER_MARK = re.compile(r"\s*(?:《詳全文\.*》?|\.{2,}…*|…+)\s*$")
_SENTENCE = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+(?=[A-Z\"“])")


def body_text(story: Story) -> str:
    """The lead as an article page carries it: the feed's "read more" marks are not on the page."""
    return _TEASER_MARK.sub("", story.lead.strip()).strip()


def paragraphs(story: Story) -> list[str]:
    """The body's paragraphs: the lead cut at sentence ends into paragraphs of about 80 characters,
    or, for an item without a lead, its title again (what an aggregator's page holds)."""
    text = body_text(story)
    if not text:
        return [story.title]
    out: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.split(text)):
        if sentence and out and len(out[-1]) + len(sentence) <= 80:
            out[-1] += sentence if story.language != "en" else " " + sentence
        elif sentence:
            out.append(sentence)
    return out


@dataclass(frozen=True)
class Page:
    """What every layout needs, computed once."""

    story: Story
    style: Style
    url: str
    when: datetime
    byline: str
    paras: list[str]

    @property
    def head_title(self) -> str:
        return f"{self.story.title}{self.style.suffix}"

    @property
    def shown_time(self) -> str:
        return self.when.strftime("%Y/%m/%d %H:%M")


def page_for(story: Story, url: str) -> Page:
    style = style_of(story)
    names = REPORTERS_EN if style.language == "en" else REPORTERS
    byline = style.byline.format(name=names[story.number % len(names)]) if style.byline else ""
    return Page(story, style, url, datetime.fromisoformat(story.published), byline, paragraphs(story))


def head(p: Page) -> str:
    s, st = p.story, p.style
    e = escape
    meta = [f'<meta charset="utf-8"><title>{e(p.head_title)}</title>',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta property="og:title" content="{e(p.head_title)}">',
            f'<meta property="og:site_name" content="{e(st.site)}">',
            f'<meta property="og:url" content="{e(p.url)}"><link rel="canonical" href="{e(p.url)}">',
            '<meta property="og:type" content="article">',
            f'<meta property="article:published_time" content="{p.when.isoformat()}">',
            f'<meta property="article:section" content="{e(st.section)}">']
    if st.og_description:
        text = " ".join(p.paras)
        meta.append(f'<meta name="description" content="{e(text[:80])}">'
                    f'<meta property="og:description" content="{e(text[:80])}">')
    if st.json_ld:
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": s.title,
              "datePublished": p.when.isoformat(), "mainEntityOfPage": p.url,
              "publisher": {"@type": "Organization", "name": st.site},
              "author": {"@type": "Person", "name": p.byline.split()[-1] if p.byline else st.site}}
        meta.append(f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>')
    meta.append("<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
                "</script><style>.nav li{display:inline}</style>")
    return "".join(meta)


NAV_ZH = ("首頁", "即時", "政治", "社會", "生活", "國際", "財經", "娛樂", "體育", "評論", "影音", "專題")
NAV_EN = ("Home", "Politics", "Cross-Strait", "Business", "Society", "Sports", "Culture", "Opinion")
RELATED_ZH = ("即時新聞總覽", "熱門新聞排行", "編輯精選", "影音專區", "今日焦點", "網友熱議")
RELATED_EN = ("Latest news", "Most popular", "Editor's picks", "Videos", "Top stories")


def nav(p: Page) -> str:
    words = NAV_EN if p.style.language == "en" else NAV_ZH
    items = "".join(f'<li><a href="/{p.style.slug}/list/{i}">{w}</a></li>' for i, w in enumerate(words))
    return (f'<header class="header"><a class="logo" href="/{p.style.slug}/">{escape(p.style.site)}</a>'
            f'<nav><ul class="nav">{items}</ul></nav><div class="search"><input placeholder="搜尋"></div></header>')


def related(p: Page, title: str) -> str:
    words = RELATED_EN if p.style.language == "en" else RELATED_ZH
    items = "".join(f'<li><a href="/{p.style.slug}/list/more{i}">{w}</a></li>' for i, w in enumerate(words))
    return f'<aside class="related"><h3>{title}</h3><ul>{items}</ul></aside>'


def share() -> str:
    return ('<div class="share"><a class="fb" href="#">分享</a><a class="line" href="#">LINE</a>'
            '<a class="copy" href="#">複製連結</a></div>')


def footer(p: Page) -> str:
    year = p.when.year
    if p.style.language == "en":
        return f'<footer class="footer"><p>© {year} {escape(p.style.site)}. All rights reserved.</p></footer>'
    return (f'<footer class="footer"><p>{escape(p.style.site)} 版權所有 © {year}</p>'
            '<p><a href="#">隱私權政策</a> | <a href="#">服務條款</a> | <a href="#">聯絡我們</a></p></footer>')


def ps(lines: Sequence[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return "".join(f"<p{attr}>{escape(x)}</p>" for x in lines)


def layout_ltn(p: Page) -> str:
    first = [f"{p.byline}{p.paras[0]}", *p.paras[1:]] if p.byline else p.paras
    return (f'{nav(p)}<div class="whitecon article" data-page="news"><h1>{escape(p.story.title)}</h1>'
            f'<div class="function boxTitle"><span class="time">{p.shown_time}</span>{share()}</div>'
            f'<div class="text boxTitle boxText" data-desc="內容頁">{ps(first)}'
            f'<p class="before_ir">{escape(p.style.tail[0])}</p><p class="appE1121">'
            f'<a href="#">{escape(p.style.tail[1].split("　")[0])}</a>　'
            f'<a href="#">{escape(p.style.tail[1].split("　")[-1])}</a></p></div></div>'
            f'{related(p, "相關新聞")}{footer(p)}')


def layout_cna(p: Page) -> str:
    return (f'{nav(p)}<div class="wrapper"><article class="article"><div class="centralContent">'
            f'<div class="breadcrumb"><a href="/">首頁</a> / <a href="#">{p.style.section}</a></div>'
            f'<h1><span>{escape(p.story.title)}</span></h1><div class="timeBox"><div class="updatetime">'
            f'<span>{p.shown_time}</span></div></div>{share()}<div class="paragraph">'
            f'{ps([p.byline] if p.byline else [])}{ps(p.paras)}</div>'
            f'<div class="paragraph moreArticle">{ps(p.style.tail)}</div></div></article>'
            f'{related(p, "延伸閱讀")}</div>{footer(p)}')


def layout_ettoday(p: Page) -> str:
    return (f'{nav(p)}<div class="main"><div class="c1"><div class="subject_news"><header>'
            f'<h1 class="title" itemprop="headline">{escape(p.story.title)}</h1></header>{share()}'
            f'<span class="date"><time itemprop="datePublished" datetime="{p.when.isoformat()}">'
            f'{p.when.strftime("%Y年%m月%d日 %H:%M")}</time></span>'
            f'<div class="story" itemprop="articleBody">{ps([p.byline] if p.byline else [])}{ps(p.paras)}'
            f'{ps(p.style.tail, "ad-line")}</div><div class="part_keyword">關鍵字：'
            f'<a href="#">{p.style.section}</a></div></div></div>{related(p, "相關新聞")}</div>{footer(p)}')


def layout_tvbs(p: Page) -> str:
    text = "<br><br>".join(escape(x) for x in p.paras)
    return (f'{nav(p)}<div class="article_box"><div class="title"><h1 class="title">{escape(p.story.title)}</h1>'
            f'</div><div class="author"><a href="#">{escape(p.byline)}</a><br>發佈時間：{p.shown_time}</div>'
            f'{share()}<div class="article_content" id="news_detail_div">{text}<br><br>'
            f'<strong>{escape(p.style.tail[0])}</strong></div></div>{related(p, "熱門新聞")}{footer(p)}')


def layout_article(p: Page) -> str:
    return (f'{nav(p)}<main id="main"><article class="article-wrapper"><header class="article-header">'
            f'<div class="breadcrumb"><a href="#">{p.style.section}</a></div><h1 class="article-title">'
            f'{escape(p.story.title)}</h1><div class="meta-info"><span class="author">{escape(p.byline)}</span>'
            f' <time datetime="{p.when.isoformat()}">{p.shown_time}</time></div></header>{share()}'
            f'<div class="article-body" itemprop="articleBody">{ps(p.paras)}{ps(p.style.tail, "promo")}</div>'
            f'</article>{related(p, "延伸閱讀")}</main>{footer(p)}')


def layout_taipeitimes(p: Page) -> str:
    return (f'{nav(p)}<div id="left_blake"><div class="archives"><h1>{escape(p.story.title)}</h1>'
            f'<ul class="as boxTitle boxText"><li><div class="name">{escape(p.byline)}</div></li>'
            f'<li>{share()}</li></ul>{ps(p.paras)}<div class="ad">{ps(p.style.tail)}</div></div>'
            f'{related(p, "More in " + p.style.section)}</div>{footer(p)}')


def layout_focustaiwan(p: Page) -> str:
    return (f'{nav(p)}<div class="centralContent"><div class="breadcrumb"><a href="#">{p.style.section}</a>'
            f'</div><h1><span>{escape(p.story.title)}</span></h1><div class="updatetime">'
            f'{p.when.strftime("%m/%d/%Y %I:%M %p")}</div>{share()}<div class="paragraph">{ps(p.paras)}'
            f'{ps([f"({p.byline})"] if p.byline else [])}{ps(p.style.tail)}</div>'
            f'{related(p, "More in " + p.style.section)}</div>{footer(p)}')


LAYOUTS: dict[str, Callable[[Page], str]] = {
    "ltn": layout_ltn, "cna": layout_cna, "ettoday": layout_ettoday, "tvbs": layout_tvbs,
    "article": layout_article, "taipeitimes": layout_taipeitimes, "focustaiwan": layout_focustaiwan,
}


def render(p: Page) -> bytes:
    lang = "en" if p.style.language == "en" else "zh-Hant-TW"
    return (f'<!DOCTYPE html><html lang="{lang}"><head>{head(p)}</head><body>'
            f"{LAYOUTS[p.style.layout](p)}</body></html>").encode()


# --- feeds ------------------------------------------------------------------------------------------

def teaser(story: Story) -> str:
    text = body_text(story)
    return f"{text[:30]}…" if len(text) > 30 else text


def rss(style: Style, base: str, entries: Sequence[tuple[Story, str]]) -> bytes:
    items = []
    for story, url in entries:
        desc = escape(teaser(story)) if style.teaser else ""
        items.append(f"<item><title>{escape(story.title)}</title><link>{escape(url)}</link>"
                     f'<guid isPermaLink="true">{escape(url)}</guid>'
                     f"<pubDate>{format_datetime(datetime.fromisoformat(story.published))}</pubDate>"
                     f"<description>{desc}</description></item>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{escape(style.site)}</title><link>{base}/{style.slug}/</link>"
            f"<description>{escape(style.site)} 即時新聞</description><language>{style.language}</language>"
            f'{"".join(items)}</channel></rss>').encode()


def atom(style: Style, base: str, entries: Sequence[tuple[Story, str]]) -> bytes:
    items = []
    newest = max((s.published for s, _ in entries), default="2026-07-01T00:00:00+08:00")
    for story, url in entries:
        items.append(f"<entry><title>{escape(story.title)}</title><link href=\"{escape(url)}\"/>"
                     f"<id>{escape(url)}</id><updated>{story.published}</updated>"
                     f"<published>{story.published}</published></entry>")
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(style.site)}</title><id>{base}/{style.slug}/</id><updated>{newest}</updated>"
            f'<link href="{base}/{style.slug}/"/>{"".join(items)}</feed>').encode()


# --- the local sites --------------------------------------------------------------------------------

@dataclass
class Site:
    """Everything served: path → (content type, body); feeds per outlet; URL → item key."""

    base: str
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    feeds: dict[str, str] = field(default_factory=dict)  # outlet slug → feed URL
    keys: dict[str, str] = field(default_factory=dict)  # article URL → Story.key
    hits: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(cls, stories: Sequence[Story], base: str) -> Site:
        site = cls(base)
        site.files["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /search\nAllow: /\n")
        by_style: dict[str, list[tuple[Story, str]]] = {}
        for story in sorted(stories, key=lambda s: s.published, reverse=True):  # feeds list newest first
            style = style_of(story)
            when = datetime.fromisoformat(story.published)
            path = f"/{style.slug}" + style.path.format(n=story.number, ymd=when.strftime("%Y%m%d"))
            url = base + path
            site.files[path] = ("text/html; charset=utf-8", render(page_for(story, url)))
            site.keys[url] = story.key
            by_style.setdefault(style.slug, []).append((story, url))
        for slug, entries in by_style.items():
            style = next(s for s in (*STYLES.values(), FALLBACK) if s.slug == slug)
            kind = "atom" if style.feed == "atom" else "rss"
            path = f"/{slug}/{kind}.xml"
            body = atom(style, base, entries) if kind == "atom" else rss(style, base, entries)
            site.files[path] = (f"application/{kind}+xml; charset=utf-8", body)
            site.feeds[slug] = base + path
        return site

    def source(self, slug: str) -> dict[str, Any]:
        style = next(s for s in (*STYLES.values(), FALLBACK) if s.slug == slug)
        out: dict[str, Any] = {"name": f"e2e-{slug}", "type": "feed", "url": self.feeds[slug],
                               "language": style.language, "interval": 900, "allow_private_hosts": True}
        if style.outlet:
            out["outlet"] = style.outlet
        return out


@contextmanager
def serve(stories: Sequence[Story]) -> Iterator[Site]:
    """A threaded HTTP server on 127.0.0.1 (ephemeral port) serving the site; stopped on exit."""
    holder: dict[str, Site] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            site = holder["site"]
            found = site.files.get(self.path)
            site.hits[self.path] += 1
            ctype, body = found or ("text/html; charset=utf-8", b"<html><body>404 Not Found</body></html>")
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["site"] = Site.build(stories, f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["site"]
    finally:
        server.shutdown()
        server.server_close()


# --- settings and the two runs ----------------------------------------------------------------------

def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string is a JSON string


def write_config(path: Path, work: Path, sources: Sequence[dict[str, Any]], model: str | None,
                 threshold: float | None) -> None:
    """The shipped settings (tables given here are merged over them) with local feeds as the only
    sources, a fresh SQLite file, no crawl delay and console notifications."""
    decision: dict[str, Any] = {"models_dir": str(work / "models")}
    if model:
        decision["model"] = model
    if threshold is not None:
        decision["threshold"] = threshold
    tables: dict[str, dict[str, Any]] = {
        "decision": decision,
        "crawl": {"allow_private_hosts": True, "download_delay": 0.0, "concurrency_per_domain": 8,
                  "obey_robots": True, "timeout": 30},
        "notifications": {"console": True},
    }
    lines = [f"database_url = {toml_value('sqlite:///' + str(work / 'newsdesk.db'))}", ""]
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
        lines.append("")
    for src in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in src.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def newsdesk_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("newsdesk")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "newsdesk"]


def child_env() -> dict[str, str]:
    """This environment without what would redirect the run (a database, Slack, e-mail, a config)."""
    drop = {"DATABASE_URL", "NEWSDESK_CONFIG", "NEWSDESK_SENTIMENT_MODEL", "SLACK_BOT_TOKEN", "SMTP_PASSWORD"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def run_newsdesk(config: Path, work: Path, args: Sequence[str], log_name: str,
                 timeout: float) -> tuple[float, str]:
    """Run ``newsdesk --config config ARGS`` in ``work``; (wall seconds, last stdout line)."""
    t0 = time.perf_counter()
    with (work / f"{log_name}.out").open("wb") as out, (work / f"{log_name}.err").open("wb") as err:
        proc = subprocess.run([*newsdesk_cmd(), "--config", str(config), *args], cwd=work, env=child_env(),
                              stdout=out, stderr=err, timeout=timeout)
    wall = time.perf_counter() - t0
    stdout = (work / f"{log_name}.out").read_text(encoding="utf-8", errors="replace").strip().splitlines()
    if proc.returncode not in (0, 1):
        tail = (work / f"{log_name}.err").read_text(encoding="utf-8", errors="replace")[-3000:]
        sys.exit(f"newsdesk {' '.join(args)} failed with status {proc.returncode}:\n{tail}")
    return wall, stdout[-1] if stdout else ""


@dataclass
class Decided:
    """One item's outcome on one path (the crawl, or triage of the labelled text)."""

    alert: bool
    government: str | None
    score: float | None
    agency: str | None
    title: str = ""
    text: str = ""
    confidence: float | None = None
    warnings: list[str] = field(default_factory=list)


def read_crawl(db: Path, keys: dict[str, str]) -> tuple[dict[str, Decided], list[str]]:
    """The stored items mapped back to their keys by URL; URLs stored that were not served."""
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from pipeline.models import ItemRow

    by_canonical = {canonical(u): k for u, k in keys.items()}
    out: dict[str, Decided] = {}
    strays = []
    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        for row in session.scalars(select(ItemRow)):
            key = keys.get(row.url) or by_canonical.get(row.canonical_url)
            if key is None:
                strays.append(row.url)
                continue
            meta = row.meta or {}
            d = meta.get("decision") or {}
            score_ = None if row.response_score is None else round(row.response_score, 4)
            out[key] = Decided(bool(row.flagged), row.government, score_, row.agency, row.title,
                               row.text, meta.get("confidence"), list(meta.get("warnings") or []))
            if d and d.get("agency") != row.agency:
                out[key].warnings.append(f"meta decision agency {d.get('agency')} != column {row.agency}")
    engine.dispose()
    return out, strays


def canonical(url: str) -> str:
    from pipeline.urls import canonical_url

    return canonical_url(url)


def run_triage(config: Path, work: Path, stories: Sequence[Story], timeout: float) -> tuple[float, dict[str, Decided]]:
    """``newsdesk triage`` on the items' own title and lead: the decision without crawling."""
    src = work / "triage-in.jsonl"
    dst = work / "triage-out.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for s in stories:
            style = style_of(s)
            line = {"id": s.key, "title": s.title, "text": s.lead, "published_at": s.published}
            if style.outlet:
                line["outlet"] = style.outlet
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    wall, _ = run_newsdesk(config, work, ["triage", "--input", str(src), "--output", str(dst)], "triage",
                           timeout)
    out = {}
    for text in dst.read_text(encoding="utf-8").splitlines():
        rec = json.loads(text)
        if "error" in rec:
            continue
        out[str(rec["id"])] = Decided(bool(rec["alert"]), rec["government"], rec["score"], rec["agency"])
    return wall, out


# --- scoring: the only place the labels are read ----------------------------------------------------

def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def score(labels: dict[str, Label], decided: dict[str, Decided], keys: Sequence[str]) -> dict[str, Any]:
    """Alert precision/recall/F1, false alarms by kind, other governments, routing; an item that was
    not decided (not collected) counts as no alert."""
    tp = fp = fn = 0
    false_alarms: Counter[str] = Counter()
    confusion: dict[str, Counter[str]] = {}
    other = other_alerts = none = none_alerts = 0
    routed = routed_right = routed_any = routed_any_right = gov_right = decided_n = 0
    for key in keys:
        gold, d = labels[key], decided.get(key)
        alert = bool(d and d.alert)
        positive = gold.government == OURS and gold.needs_response
        tp += alert and positive
        fn += positive and not alert
        if alert and not positive:
            fp += 1
            false_alarms["ours, no response needed" if gold.government == OURS else
                         "no government" if gold.government == "NONE" else "other government"] += 1
        if gold.government not in (OURS, "NONE"):
            other += 1
            other_alerts += alert
        if gold.government == "NONE":
            none += 1
            none_alerts += alert
        if d is not None:
            decided_n += 1
            gov_right += d.government == gold.government
            confusion.setdefault(gold.government, Counter())[str(d.government)] += 1
        if alert and d and gold.government == OURS and gold.agency not in NOT_A_BUREAU:
            routed_any += 1
            routed_any_right += d.agency == gold.agency
            if gold.needs_response:
                routed += 1
                routed_right += d.agency == gold.agency
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn) or 0.0
    return {"items": len(keys), "decided": decided_n, "gold_positive": tp + fn, "alerts": tp + fp,
            "true_positive": tp, "precision": precision, "recall": recall, "f1": f1,
            "false_alarms": dict(false_alarms),
            "other_governments": {"items": other, "alerted": other_alerts, "share": _ratio(other_alerts, other)},
            "no_government": {"items": none, "alerted": none_alerts, "share": _ratio(none_alerts, none)},
            "government_accuracy": _ratio(gov_right, decided_n),
            "government_confusion": {g: dict(c.most_common()) for g, c in sorted(confusion.items())},
            "routing": {"items": routed, "right": routed_right, "accuracy": _ratio(routed_right, routed)},
            "routing_all_alerted_bureau_items": {"items": routed_any, "right": routed_any_right,
                                                 "accuracy": _ratio(routed_any_right, routed_any)}}


def gaps(labels: dict[str, Label], crawl: dict[str, Decided], direct: dict[str, Decided],
         stories: Sequence[Story]) -> list[dict[str, Any]]:
    """Items whose alert differs between the crawl and the labelled text, worst first."""
    out = []
    for s in stories:
        c, d = crawl.get(s.key), direct.get(s.key)
        if d is None or (c is not None and c.alert == d.alert):
            continue
        gold = labels[s.key]
        out.append({"key": s.key, "outlet": style_of(s).slug, "title": s.title,
                    "gold": f"{gold.government}/{int(gold.needs_response)}",
                    "direct_score": d.score, "crawl_score": c.score if c else None,
                    "crawl_alert": c.alert if c else None, "direct_alert": d.alert,
                    "right": ("crawl" if c and c.alert == (gold.government == OURS and gold.needs_response)
                              else "direct"),
                    "stored_title": c.title if c else None, "stored_text": (c.text[:120] if c else None),
                    "confidence": c.confidence if c else None, "warnings": c.warnings if c else None})
    return sorted(out, key=lambda g: -abs((g["direct_score"] or 0) - (g["crawl_score"] or 0)))


def extraction(stories: Sequence[Story], crawl: dict[str, Decided]) -> dict[str, Any]:
    """How much of each item came through extraction: the headline exactly, the lead (a 20-character
    window from its middle, so a dateline the extractor drops does not count), and whether more than
    15 characters of something else come before the lead (the model reads only the first 200)."""
    stored = [(s, crawl[s.key]) for s in stories if s.key in crawl]
    title_ok = sum(_fold(c.title) == _fold(s.title) for s, c in stored)
    with_lead = [(s, c) for s, c in stored if body_text(s)]
    lost, noisy = [], []
    for s, c in with_lead:
        lead, text = _fold(body_text(s)), _fold(c.text)
        start = max(0, len(lead) // 2 - 10)
        at = text.find(lead[start:start + 20])
        if at < 0:
            lost.append({"key": s.key, "lead": body_text(s)[:60], "stored": c.text[:120]})
        elif at - start > 15:
            noisy.append({"key": s.key, "before": c.text[:max(0, at - start)][:80]})
    low = sum(1 for _, c in stored if c.confidence is not None and c.confidence < 0.5)
    return {"stored": len(stored), "title_exact": title_ok, "with_lead": len(with_lead),
            "lead_found": len(with_lead) - len(lost), "noise_before_lead": len(noisy), "low_confidence": low,
            "titles_changed": [{"key": s.key, "served": s.title, "stored": c.title}
                               for s, c in stored if _fold(c.title) != _fold(s.title)][:50],
            "leads_lost": lost[:50], "noise_before": noisy[:50]}


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", text)


def consistency(stories: Sequence[Story], crawl: dict[str, Decided], direct: dict[str, Decided]) -> dict[str, Any]:
    """Items whose stored title and text give the model the same input as their labelled title and lead:
    the crawl should decide them as triage does (issue 13: "crawl/run make the same decision")."""
    from pipeline.decision.text import decision_text

    same, differ = 0, []
    for s in stories:
        c, d = crawl.get(s.key), direct.get(s.key)
        if c is None or d is None or decision_text(c.title, c.text) != decision_text(s.title, s.lead):
            continue
        same += 1
        # batches are padded differently on the two paths: scores may differ in the third decimal
        if c.score is None or d.score is None or abs(c.score - d.score) > 0.01 or c.alert != d.alert:
            differ.append({"key": s.key, "crawl": c.score, "direct": d.score})
    return {"same_input": same, "different_decision": differ}


def by_outlet(stories: Sequence[Story], crawl: dict[str, Decided], direct: dict[str, Decided]) -> dict[str, Any]:
    """Per outlet (page layout): items, items with a lead, alert flips, mean |crawl - direct| score."""
    out: dict[str, dict[str, Any]] = {}
    for s in stories:
        row = out.setdefault(style_of(s).slug, {"items": 0, "with_lead": 0, "flips": 0, "delta": 0.0})
        c, d = crawl.get(s.key), direct.get(s.key)
        row["items"] += 1
        row["with_lead"] += bool(body_text(s))
        if c and d and c.score is not None and d.score is not None:
            row["flips"] += c.alert != d.alert
            row["delta"] += abs(c.score - d.score)
    for row in out.values():
        row["delta"] = round(row["delta"] / row["items"], 3)
    return out


# --- the report -------------------------------------------------------------------------------------

def row(name: str, a: Any, b: Any) -> str:
    return f"  {name:<46}{a!s:>14}{b!s:>14}"


def fmt_ratio(part: int, whole: int, share: float | None) -> str:
    return f"{part}/{whole} {share if share is not None else '-'}"


def table(result: dict[str, Any]) -> str:
    lines = [f"alerts end to end: {result['sets']} ({result['served']} items served)",
             f"  model {result['model']} (version {result['model_version']}); threshold {result['threshold']}"
             f" (the folder was tuned at {result['model_threshold']})",
             f"  collected: {result['crawl_summary']}",
             f"  stored {result['stored']} of {result['served']} served; pages fetched {result['pages_fetched']}"
             f" (robots.txt {result['robots_fetched']});"
             f" not stored: {len(result['not_stored'])} {result['not_stored'][:10]}; stray rows:"
             f" {len(result['strays'])}",
             f"  wall: crawl {result['wall']['crawl']:.1f} s, triage {result['wall']['triage']:.1f} s,"
             f" total {result['wall']['total']:.1f} s", ""]
    for part, figures in result["figures"].items():
        c, d = figures["crawl"], figures["direct"]
        lines += [row(f"[{part}]", "crawl", "labelled text"),
                  row("items decided", f"{c['decided']}/{c['items']}", f"{d['decided']}/{d['items']}"),
                  row("alerts (true)", f"{c['alerts']} ({c['true_positive']})",
                      f"{d['alerts']} ({d['true_positive']})"),
                  row("gold: ours needing a response", c["gold_positive"], d["gold_positive"]),
                  row("precision", c["precision"], d["precision"]),
                  row("recall", c["recall"], d["recall"]),
                  row("F1", c["f1"], d["f1"]),
                  row("false alarms: ours, none needed", c["false_alarms"].get("ours, no response needed", 0),
                      d["false_alarms"].get("ours, no response needed", 0)),
                  row("false alarms: no government", c["false_alarms"].get("no government", 0),
                      d["false_alarms"].get("no government", 0)),
                  row("other governments alerted", fmt_ratio(c["other_governments"]["alerted"],
                      c["other_governments"]["items"], c["other_governments"]["share"]),
                      fmt_ratio(d["other_governments"]["alerted"], d["other_governments"]["items"],
                                d["other_governments"]["share"])),
                  row("no-government items alerted", fmt_ratio(c["no_government"]["alerted"],
                      c["no_government"]["items"], c["no_government"]["share"]),
                      fmt_ratio(d["no_government"]["alerted"], d["no_government"]["items"],
                                d["no_government"]["share"])),
                  row("routing (alerted, needs resp., a bureau)", fmt_ratio(c["routing"]["right"],
                      c["routing"]["items"], c["routing"]["accuracy"]),
                      fmt_ratio(d["routing"]["right"], d["routing"]["items"], d["routing"]["accuracy"])),
                  row("government right", c["government_accuracy"], d["government_accuracy"]), ""]
    ex = result["extraction"]
    lines.append(f"  extraction: title exact {ex['title_exact']}/{ex['stored']}, lead found "
                 f"{ex['lead_found']}/{ex['with_lead']} (after 15+ other characters: {ex['noise_before_lead']}), "
                 f"low confidence {ex['low_confidence']}")
    lines.append("  per outlet (items / with a lead / alert flips / mean |score change|): " + "; ".join(
        f"{k} {v['items']}/{v['with_lead']}/{v['flips']}/{v['delta']}" for k, v in result["by_outlet"].items()))
    same = result["consistency"]
    lines.append(f"  same model input on both paths: {same['same_input']} items, decided differently (score"
                 " by more than 0.01 or the alert): "
                 f"{len(same['different_decision'])} {[x['key'] for x in same['different_decision']][:10]}")
    flips = result["gaps"]
    by_outlet = Counter(g["outlet"] for g in flips)
    lines.append(f"  alert differs crawl vs labelled text: {len(flips)} items "
                 f"(crawl right {sum(g['right'] == 'crawl' for g in flips)}); by outlet: "
                 + ", ".join(f"{k} {v}" for k, v in by_outlet.most_common()))
    for g in flips[:15]:
        lines.append(f"    {g['key']:<9} {g['gold']:<8} direct {g['direct_score']} → crawl {g['crawl_score']}  "
                     f"{g['title'][:40]}")
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------------

def model_info(config: Path) -> tuple[str, str, Any, float]:
    """The model folder the run's settings choose, its version and tuned threshold, the threshold used."""
    from pipeline.decision.model import resolve
    from pipeline.settings import load_settings

    settings = load_settings(config, use_env=False)
    folder = resolve(settings)
    found = folder / "decision.json"
    info = json.loads(found.read_text(encoding="utf-8")) if found.is_file() else {}
    return str(folder), str(info.get("version", "?")), info.get("threshold"), settings.decision.threshold


def parts_of(stories: Sequence[Story]) -> dict[str, list[str]]:
    zh = [s.key for s in stories if s.language != "en"]
    en = [s.key for s in stories if s.language == "en"]
    parts = {"zh": zh, "en": en}
    if zh and en:
        parts["all"] = zh + en
    return {k: v for k, v in parts.items() if v}


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    stories, labels = load(english=args.english or args.english_only, chinese=not args.english_only)
    stories = subset(stories, args.limit)
    config = work / "newsdesk.toml"
    with serve(stories) as site:
        write_config(config, work, [site.source(slug) for slug in site.feeds], args.model, args.threshold)
        folder, version, tuned, threshold = model_info(config)
        crawl_wall, summary = run_newsdesk(config, work, ["crawl", "--once"], "crawl", args.timeout)
        pages = sum(n for path, n in site.hits.items() if site.base + path in site.keys)
        robots = site.hits["/robots.txt"]
        keys = dict(site.keys)
    crawl, strays = read_crawl(work / "newsdesk.db", keys)
    triage_wall, direct = run_triage(config, work, stories, args.timeout)
    served = [s.key for s in stories]
    return {
        "sets": "+".join(parts_of(stories)), "served": len(stories), "model": folder, "model_version": version,
        "model_threshold": tuned, "threshold": threshold, "crawl_summary": summary, "stored": len(crawl),
        "pages_fetched": pages, "robots_fetched": robots, "not_stored": [k for k in served if k not in crawl],
        "strays": strays,
        "wall": {"crawl": crawl_wall, "triage": triage_wall, "total": time.perf_counter() - t0},
        "figures": {part: {"crawl": score(labels, crawl, keys_), "direct": score(labels, direct, keys_)}
                    for part, keys_ in parts_of(stories).items()},
        "extraction": extraction(stories, crawl),
        "gaps": gaps(labels, crawl, direct, stories),
        "consistency": consistency(stories, crawl, direct),
        "by_outlet": by_outlet(stories, crawl, direct),
        "items": [{"key": s.key, "outlet": s.outlet, "title": s.title, **asdict(labels[s.key]),
                   "crawl": _brief(crawl.get(s.key)), "direct": _brief(direct.get(s.key))} for s in stories],
    }


def _brief(d: Decided | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"alert": d.alert, "government": d.government, "score": d.score, "agency": d.agency}


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--limit", type=int, help="only this many items (every k-th), for a quick run")
    ap.add_argument("--english", action="store_true", help="add the 200 English versions (Focus Taiwan, "
                    "Taipei Times pages)")
    ap.add_argument("--english-only", action="store_true", help="only the English versions")
    ap.add_argument("--model", help="[decision] model: a model folder (default: the shipped setting)")
    ap.add_argument("--threshold", type=float, help="[decision] threshold (default: the shipped setting)")
    ap.add_argument("--json", type=Path, help="write the figures and per-item outcomes here")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (config, database, logs)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed for each newsdesk run")
    args = ap.parse_args(argv)
    if args.model:
        args.model = str(Path(args.model).resolve())
    if args.keep:
        work = args.keep.resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        result = measure(args, work)
    else:
        with tempfile.TemporaryDirectory(prefix="newsdesk-alerts-e2e-") as tmp:
            result = measure(args, Path(tmp))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
