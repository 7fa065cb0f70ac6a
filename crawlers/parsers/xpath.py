"""A parser declared as data: one XPath per field. Most outlets need nothing more."""

from __future__ import annotations

import re
from datetime import datetime
from typing import ClassVar

from crawlers.dates import find_date, parse_iso
from crawlers.page import Page
from crawlers.parsers import Parser, byline_authors

_NOISE = re.compile(r"^(?:請繼續往下閱讀|不用抽|點我|▲|▼|☆|★|更多新聞|延伸閱讀|相關新聞|（?圖／|看更多|訂閱)")


_CONTAINS_CLASS = re.compile(r"""contains\(@class,\s*["']([\w-]+)["']\)""")


def class_tokens(expr: str) -> str:
    """``contains(@class,"text")`` means the CSS class ``text``, not any class containing "text"
    (``text-center``, ``context``): rewrite it to match whole class tokens."""
    return _CONTAINS_CLASS.sub(r'contains(concat(" ", normalize-space(@class), " "), " \1 ")', expr)


class XPathParser(Parser):
    """Set the class attributes; each one set makes that field outlet-specific."""

    title_xpath: ClassVar[str | None] = None
    body_xpath: ClassVar[str | None] = None  # matches the paragraphs of the body
    date_xpath: ClassVar[str | None] = None  # an attribute (ISO) or a node whose text holds a date
    author_xpath: ClassVar[str | None] = None
    byline: ClassVar[bool] = False  # read reporters from a Chinese byline in the body

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        for attr in ("title_xpath", "body_xpath", "date_xpath", "author_xpath"):
            expr = getattr(cls, attr)
            if expr:
                setattr(cls, attr, class_tokens(expr))
        cls.specific = tuple(f for f, x in (("title", cls.title_xpath), ("text", cls.body_xpath),
                                            ("published_at", cls.date_xpath)) if x)

    def title(self, page: Page) -> str | None:
        return page.xpath_text(self.title_xpath) if self.title_xpath else None

    def text(self, page: Page) -> str | None:
        if not self.body_xpath:
            return None
        paras = [p for p in page.xpath_paragraphs(self.body_xpath) if not _NOISE.match(p)]
        return "\n".join(paras) or None

    def published_at(self, page: Page) -> datetime | None:
        if not self.date_xpath:
            return None
        raw = page.xpath_text(self.date_xpath)
        return (parse_iso(raw) or find_date(raw)) if raw else None

    def authors(self, page: Page) -> list[str]:
        if self.author_xpath:
            names = page.xpath_paragraphs(self.author_xpath)
            if names:
                return [n.strip() for n in names]
        if self.byline:
            found = byline_authors(self.text(page) or "")
            if found:
                return found
        return []
