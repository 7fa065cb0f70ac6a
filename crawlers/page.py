"""A decoded page with what every field parser needs computed once: the tree, JSON-LD and meta tags."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import lxml.html
from lxml import etree
from lxml.html.defs import tags as html_tags

from crawlers.charset import decode_html

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_FIRST_TAG = re.compile(r"^\s*<([a-zA-Z][a-zA-Z0-9:-]*)\b[^>]*>")
ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
                 "OpinionNewsArticle", "WebPage", "LiveBlogPosting"}


class PageError(ValueError):
    """The bytes are not an HTML page we can parse (empty, binary, ...)."""


#: Leading bytes of the binary files most often saved by mistake instead of a page.
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
          (b"RIFF", "a RIFF file (WebP image or audio)"), (b"\x1f\x8b", "gzip data"),
          (b"\xd0\xcf\x11\xe0", "an old Office document"), (b"\x7fELF", "a program"), (b"BZh", "bzip2 data"),
          (b"\xfd7zXZ", "xz data"), (b"ID3", "an MP3 file"), (b"\x00\x00\x00", "a binary file"))


def binary_kind(data: bytes) -> str | None:
    """What a binary file is (``"a PNG image"``), or None when the bytes may be a text page."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 text keeps NUL bytes
    if head.count(b"\x00") > 2:
        return "a binary file"
    return None


@dataclass
class Page:
    url: str
    html: str
    encoding: str
    raw: str = ""  # the decoded page before any clean-up
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_bytes(cls, body: bytes, url: str, content_type: str | None = None) -> Page:
        decoded = decode_html(body, content_type)
        raw = _XML_DECL.sub("", decoded.text, count=1)
        page = cls(url=url, html=_unwrap(raw), encoding=decoded.encoding, raw=raw)
        if decoded.warning:
            page.warnings.append(decoded.warning)
        return page

    @cached_property
    def tree(self) -> lxml.html.HtmlElement:
        if not self.html.strip():
            raise PageError(f"{self.url}: empty page")
        try:
            return lxml.html.document_fromstring(self.html)
        except (etree.ParserError, ValueError) as exc:
            raise PageError(f"{self.url}: not parseable as HTML: {exc}") from None

    @cached_property
    def meta(self) -> dict[str, str]:
        """``<meta>`` content by lower-cased name/property (first one wins), e.g. ``og:title``."""
        out: dict[str, str] = {}
        for el in self.tree.iter("meta"):
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
            content = (el.get("content") or "").strip()
            if key and content and key not in out:
                out[key] = content
        return out

    def meta_all(self, key: str) -> list[str]:
        return [(el.get("content") or "").strip() for el in self.tree.iter("meta")
                if (el.get("property") or el.get("name") or "").strip().lower() == key and el.get("content")]

    @cached_property
    def ld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object on the page, ``@graph`` flattened; broken blocks are skipped."""
        found: list[dict[str, Any]] = []
        for el in self.tree.xpath('//script[@type="application/ld+json"]'):
            try:
                data = json.loads(el.text_content().strip() or "null", strict=False)
            except ValueError:
                self.warnings.append("unparseable JSON-LD block skipped")
                continue
            _flatten(data, found)
        return found

    @cached_property
    def article_ld(self) -> dict[str, Any]:
        """The first JSON-LD object that describes an article (NewsArticle first), or ``{}``."""
        ranked = sorted((o for o in self.ld if _types(o) & ARTICLE_TYPES),
                        key=lambda o: 0 if _types(o) & {"NewsArticle", "ReportageNewsArticle"} else 1)
        return ranked[0] if ranked else {}

    def xpath_text(self, expr: str) -> str | None:
        """Text of the first node matching ``expr``, whitespace-collapsed, or None."""
        for node in self.tree.xpath(expr):
            text = node if isinstance(node, str) else node.text_content()
            text = " ".join(str(text).split())
            if text:
                return text
        return None

    def xpath_paragraphs(self, expr: str) -> list[str]:
        out = []
        for node in self.tree.xpath(expr):
            text = node if isinstance(node, str) else node.text_content()
            text = " ".join(str(text).split())
            if text:
                out.append(text)
        return out


def _unwrap(html: str) -> str:
    """Drop a leading wrapper element that is not HTML (archivers' ``<text id=... encoding=...>``).

    lxml would make it the root, and the real page inside would then be skipped by trafilatura.
    """
    m = _FIRST_TAG.match(html)
    if m and m.group(1).lower() not in html_tags:
        return html[m.end():]
    return html


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t}
    return {x for x in t if isinstance(x, str)} if isinstance(t, list) else set()


def _flatten(data: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(data, list):
        for x in data:
            _flatten(x, out)
    elif isinstance(data, dict):
        out.append(data)
        if "@graph" in data:
            _flatten(data["@graph"], out)
