"""The headline of a page, never the site's name.

Candidates, in this order: the JSON-LD headline, ``og:title``, ``twitter:title`` and ``<title>``,
each with its site name and section labels peeled off (``標題 | 即時新聞 | 20141212``,
``自由電子報 - 標題``, ``標題│三立新聞網 SETN.COM``). A candidate the page also shows as a heading
(``h1``-``h3`` or an element whose class or id says title/headline) wins, in the heading's own
spelling; otherwise the first candidate that is not a site name. When every candidate is a site
name or a slogan (``中國廣播公司全球資訊網``), the headline is the nearest heading-like line before
the article's first paragraph.

Site names come from the page (``og:site_name``, ``application-name``, the JSON-LD publisher), the
outlet registry (names and aliases) and, through :class:`SiteNames`, from the titles of the other
pages seen from the same host: a segment in the titles of two different pages is a label.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from crawlers.page import Page

#: Separators that always split a title into segments.
_STRONG = re.compile(r"(\s*[|｜│┃]\s*|\s+[-–—_~─━]\s+|\s*[-–—─━]{2,}\s*)")
#: Separators that split off a part only when that part is a site or section name.
_WEAK = re.compile(r"[-–—_:：︰／/─━]")
#: Words that end the names of news sites (a whole title ending so is no headline).
_SITE_WORDS = re.compile(r"(電子報|新聞網|新聞雲|資訊網|新聞台|新聞中心|即時新聞|新聞速報|通訊社|日報|時報|"
                         r"晚報|週刊|周刊|"
                         r"電視台|廣播公司|網站|官網|首頁|手機版|mobileweb|online|com|net|tw)$")
#: ... and of their sections (a title segment ending so, beside a longer one, is a label).
_SECTION_WORDS = re.compile(r"(新聞|網|news|廣播|電視|頻道|專區|專題|中心)$")
_DATE_ONLY = re.compile(r"^\s*\d{4}[-/.年]?\d{1,2}[-/.月]?\d{1,2}日?\s*$|^\s*\d{8}\s*$")
_HEADING_HINT = re.compile(r"title|headline|subject|topic|heading|標題", re.I)
_NOT_HEADLINE = re.compile(r"[。；]$|^(?:首頁|上一則|下一則|回上頁|分享|列印|轉寄|字級|延伸閱讀|相關新聞|熱門|最新)")
HEADLINE_MIN, HEADLINE_MAX = 4, 90


def fold(text: str) -> str:
    """Comparison key: NFKC, 臺 as 台, lower case, letters and digits only."""
    text = unicodedata.normalize("NFKC", text or "").replace("臺", "台").lower()
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


@dataclass
class SiteNames:
    """Title segments seen per host, to learn which ones are the site's labels (one per run)."""

    seen: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))

    def learn(self, host: str, title: str) -> None:
        parts = [p for p in _segments(title)[::2] if fold(p)]
        if len(parts) < 2:
            return
        for part in parts:
            self.seen[host][fold(part)].add(fold(title))

    def labels(self, host: str) -> set[str]:
        """Segments found in the titles of at least two different pages of ``host``: a headline is
        one page's own, so a repeated segment is the site's, a section's or a column's name."""
        return {seg for seg, titles in self.seen.get(host, {}).items() if len(titles) >= 2}


def known_names(page: Page, outlet_names: tuple[str, ...], memory: SiteNames | None) -> set[str]:
    """Folded names of the site: from the page, the registry and the other pages of its host."""
    from crawlers.parsers import Parser

    names = {fold(n) for n in outlet_names}
    for value in (Parser().site_name(page), page.meta.get("application-name"), page.meta.get("og:site_name")):
        if value:
            names.add(fold(value))
            names.update(fold(p) for p in _segments(value)[::2])
    if memory is not None:
        names |= memory.labels(_host(page.url))
    return {n for n in names if len(n) >= 2}


def site_like(text: str, names: set[str]) -> bool:
    """A site's or section's name rather than a headline."""
    key = fold(text)
    if not key or _DATE_ONLY.match(text):
        return True
    if key in names:
        return True
    ends = [n for n in names if len(n) >= 3 and (key.startswith(n) or key.endswith(n))]
    if ends and len(key) <= max(map(len, ends)) + 12:
        return True  # 中央社即時新聞 CNA NEWS, ETtoday新聞雲 手機版
    if any(key.startswith(n) and len(key) <= len(n) + 4 for n in names):
        return True  # 中時理財, 自由財經: a site's channel
    return len(key) <= 16 and bool(_SITE_WORDS.search(key))


def _segments(title: str) -> list[str]:
    """Text and separators alternating: ``["標題", " | ", "社會", " | ", "中時"]``."""
    return _STRONG.split(" ".join(title.split()))


def _label(part: str, rest: list[str], names: set[str]) -> bool:
    """A trailing segment that is a site name, a section label, a date or a keyword list."""
    if site_like(part, names) or part.count(",") + part.count("，") + part.count("、") >= 2:
        return True
    longest = max((len(fold(p)) for p in rest), default=0)
    if len(fold(part)) <= 12 and _SECTION_WORDS.search(fold(part)) and longest >= len(fold(part)):
        return True
    return len(fold(part)) <= 8 and longest >= 1.5 * len(fold(part))


def peel(title: str, names: set[str]) -> str:
    """The title without the site name and section labels around it."""
    seg = _segments(title)
    parts, seps = seg[::2], seg[1::2]
    while len(parts) > 1 and _label(parts[-1], parts[:-1], names):
        parts.pop()
        seps.pop()
    while len(parts) > 1 and (site_like(parts[0], names) or _label(parts[0], parts[1:], names)):
        parts.pop(0)
        seps.pop(0)
    text = parts[0] + "".join(s + p for s, p in zip(seps, parts[1:], strict=True))
    return _peel_weak(text.strip(), names)


def _peel_weak(text: str, names: set[str]) -> str:
    """``中時醫療網:標題`` and ``標題-生活新聞-新浪新聞中心``: split at a weak separator only for a site name."""
    for _ in range(3):
        m = re.match(rf"^(.{{2,24}}?)\s*{_WEAK.pattern}\s*(.+)$", text)
        if m and site_like(m.group(1), names) and not site_like(m.group(2), names):
            text = m.group(2)
            continue
        m = re.match(rf"^(.+?)\s*{_WEAK.pattern}\s*([^-–—_:：︰／/]{{2,24}})$", text)
        tail = m.group(2) if m else ""
        if m and (site_like(tail, names) or _SECTION_WORDS.search(fold(tail)) and len(fold(tail)) <= 8) \
                and not site_like(m.group(1), names):
            text = m.group(1)
            continue
        break
    return text.strip()


def _text(el: etree._Element) -> str:
    return " ".join(str(el.text_content()).split())


def headings(page: Page) -> list[tuple[int, str]]:
    """(document position, text) of the elements that look like headings."""
    out = []
    for pos, el in enumerate(page.tree.iter()):
        if not isinstance(el.tag, str):
            continue
        hint = el.tag in ("h1", "h2", "h3") or _HEADING_HINT.search(f"{el.get('class', '')} {el.get('id', '')}")
        if hint and el.tag not in ("title", "meta", "script", "style", "body", "html"):
            text = _text(el)
            if HEADLINE_MIN <= len(text) <= HEADLINE_MAX * 2:
                out.append((pos, text))
    return out


def choose_title(page: Page, outlet_names: tuple[str, ...] = (), memory: SiteNames | None = None,
                 body_start: int | None = None) -> str:
    """The headline (see the module's docstring); ``body_start`` is the position of the body's
    first paragraph in ``page.tree.iter()`` order, when known."""
    raw = [_ld_headline(page), page.meta.get("og:title"), page.meta.get("twitter:title"),
           page.xpath_text("//title")]
    if memory is not None and raw[-1]:
        memory.learn(_host(page.url), raw[-1])
    names = known_names(page, outlet_names, memory)
    candidates = [peel(t, names) for t in raw if t]
    candidates = [c for c in dict.fromkeys(candidates) if c and not site_like(c, names)]
    found = headings(page)
    for cand in candidates:  # the page shows it as a heading: use the heading's own spelling
        for _, text in found:
            if fold(text) == fold(cand):
                return text
    whole = _whole_heading([t for t in raw if t], candidates, found, names)
    if whole:
        return whole
    for cand in candidates:
        key = fold(cand)
        if any(key in fold(t) and len(key) >= 0.6 * len(fold(t)) for _, t in found):
            return cand
    if candidates:
        return candidates[0]
    return near_body(page, names, found, body_start) or ""


def _whole_heading(raw: list[str], candidates: list[str], found: list[tuple[int, str]],
                   names: set[str]) -> str | None:
    """A heading that holds a candidate and more of the same title, with no site name in it: the
    headline itself has a separator (``演唱會2026｜台北站7/23會員預購``) that peeling took for a label."""
    titles = [fold(t) for t in raw]
    for cand in candidates:
        key = fold(cand)
        for _, text in found:
            whole = fold(text)
            if len(whole) > len(key) and key in whole and any(whole in t for t in titles) \
                    and not any(site_like(p, names) for p in _segments(text)[::2]):
                return text
    return None


def near_body(page: Page, names: set[str], found: list[tuple[int, str]], body_start: int | None) -> str | None:
    """The nearest heading-like line before the body's first paragraph (or the first heading)."""
    if body_start is None:
        good = [t for _, t in found if _headline_like(t, names)]
        return good[0] if good else None
    lines = [(pos, t) for pos, t in found if pos < body_start]
    lines += _short_blocks(page, body_start)
    for _, text in sorted(lines, key=lambda x: -x[0]):
        if _headline_like(text, names):
            return text
    return None


def _short_blocks(page: Page, body_start: int, look_back: int = 400) -> list[tuple[int, str]]:
    """Short text blocks not inside a link just before the body (table layouts have no h1)."""
    out = []
    for pos, el in enumerate(page.tree.iter()):
        if pos >= body_start:
            break
        if pos < body_start - look_back or not isinstance(el.tag, str) or el.tag in ("a", "script", "style"):
            continue
        if len(el) == 0 or el.tag in ("b", "strong", "font", "span"):
            text = _text(el)
            if HEADLINE_MIN <= len(text) <= HEADLINE_MAX and not any(a.tag == "a" for a in el.iterancestors()):
                if not el.xpath(".//a"):
                    out.append((pos, text))
    return out


def _headline_like(text: str, names: set[str]) -> bool:
    if not HEADLINE_MIN <= len(text) <= HEADLINE_MAX or _NOT_HEADLINE.search(text):
        return False
    from crawlers.dates import find_date

    if find_date(text) is not None and len(fold(text)) < 20:
        return False
    return not site_like(text, names) and len(fold(text)) >= 4


def _ld_headline(page: Page) -> str | None:
    value = page.article_ld.get("headline")
    if isinstance(value, list):
        value = value[0] if value else None
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
