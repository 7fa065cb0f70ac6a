"""Field parsers: one small method per field, a generic one plus per-outlet ones where it falls short.

A per-outlet parser subclasses :class:`Parser` and overrides only the fields whose generic reading
is wrong for that outlet, typically with one XPath each. Each method returns ``None`` (or ``[]``)
when its markup is not there, so the extractor can fall back to the generic reading and report the
field as low-confidence: that is how a changed layout shows up instead of storing garbage. When a
site changes its markup for good, add a new dated class (``LtnV2``) and point the outlet at it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from crawlers.dates import find_date, parse_iso
from crawlers.page import Page

_BYLINE = re.compile(r"(?:〔|［|\[|（|\()?\s*(?:中央社|自由時報|聯合報|中國時報)?\s*記者\s*"
                     r"(?P<names>[\u4e00-\u9fff]{2,4}(?:[、，,\s]+[\u4e00-\u9fff]{2,4})*)\s*"
                     r"(?:／|/|\s)?\s*(?:[\u4e00-\u9fff]{2,3})?(?:\d{1,2}日)?(?:電|報導|綜合報導|專電)")


class Parser:
    """The generic reading: JSON-LD, then ``og:``/``article:`` meta tags, then the HTML itself."""

    #: Fields this parser reads from outlet-specific markup (checked for low confidence).
    specific: ClassVar[tuple[str, ...]] = ()

    def title(self, page: Page) -> str | None:
        ld = page.article_ld.get("headline")
        return (_s(ld) or page.meta.get("og:title") or page.meta.get("twitter:title")
                or page.xpath_text("//title"))

    def text(self, page: Page) -> str | None:
        """Body text; the generic parser leaves it to trafilatura (``None``)."""
        return None

    def published_at(self, page: Page) -> datetime | None:
        ld = page.article_ld
        for value in (ld.get("datePublished"), page.meta.get("article:published_time"),
                      page.meta.get("og:article:published_time"), page.meta.get("pubdate"),
                      page.meta.get("publishdate"), page.meta.get("date"), page.meta.get("dc.date"),
                      page.meta.get("parsely-pub-date"), page.meta.get("sailthru.date"),
                      ld.get("dateCreated")):
            if isinstance(value, str):
                dt = parse_iso(value)
                if dt:
                    return dt
        node = page.xpath_text("//time/@datetime")
        return parse_iso(node) if node else None

    def authors(self, page: Page) -> list[str]:
        names = _ld_people(page.article_ld.get("author"))
        if not names:
            names = [a for a in page.meta_all("author") + page.meta_all("article:author") if "://" not in a]
        return _unique(names)

    def language(self, page: Page) -> str | None:
        ld = page.article_ld.get("inLanguage")
        return _s(ld) or page.tree.get("lang") or page.meta.get("og:locale") or None

    def site_name(self, page: Page) -> str | None:
        return page.meta.get("og:site_name") or _s(_get(page.article_ld.get("publisher"), "name"))


def byline_authors(text: str) -> list[str]:
    """Reporters named in a Chinese byline.

    Such as ``（中央社記者王小明台北16日電）`` or ``記者王小明／台北報導``.
    """
    m = _BYLINE.search(text[:300])
    if not m:
        return []
    return [n for n in re.split(r"[、，,\s]+", m.group("names")) if n]


def roc_or_iso(text: str | None) -> datetime | None:
    return find_date(text)


def _s(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _ld_people(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, dict):
        name = _s(value.get("name"))
        return [name] if name else []
    if isinstance(value, list):
        return [n for v in value for n in _ld_people(v)]
    return []


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
