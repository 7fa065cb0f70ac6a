"""Page bytes → clean fields. The crawler and ``newsdesk extract`` both call :func:`extract`.

Each field is read by the outlet's parser (``crawlers.parsers``), falling back to the generic
reading (JSON-LD, meta tags) and to trafilatura for the body. Whatever is doubtful is reported in
``warnings`` and lowers ``confidence``; nothing is invented.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crawlers import body
from crawlers.bylines import byline_names, labelled_names, person_names
from crawlers.dates import aware, choose_time, find_date, find_dates, has_clock, parse_iso
from crawlers.outlets import Outlet, find_outlet, outlet_names
from crawlers.page import Page, PageError
from crawlers.parsers import Parser
from crawlers.titles import SiteNames, choose_title, fold, known_names
from pipeline.urls import canonical_url

GENERIC = Parser()
_HAN = re.compile(r"[\u4e00-\u9fff]")
_TRAD = set("這個們來為國說時會對發後裡過開關與學經長門問題還讓臺灣點體當從聽見無東")
_SIMP = set("这个们来为国说时会对发后里过开关与学经长门问题还让台湾点体当从听见无东")
MIN_TEXT = 40


@dataclass
class Extracted:
    url: str
    canonical_url: str
    title: str
    text: str
    published_at: datetime | None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    outlet: str | None = None
    encoding: str | None = None
    confidence: float = 1.0
    warnings: list[str] = field(default_factory=list)

    def as_json(self, file: str | None = None) -> dict[str, Any]:
        """The ``newsdesk extract`` line (the batch contract), plus confidence and warnings."""
        out: dict[str, Any] = {"file": file} if file is not None else {}
        out.update(url=self.url, title=self.title, text=self.text,
                   published_at=self.published_at.isoformat() if self.published_at else None,
                   authors=self.authors, language=self.language, confidence=round(self.confidence, 2),
                   warnings=self.warnings)
        return out


def extract(body: bytes, url: str, content_type: str | None = None, *,
            site_names: SiteNames | None = None) -> Extracted:
    """Extract one page. Raises :class:`crawlers.page.PageError` only for bytes that are not HTML.

    ``site_names`` remembers title segments per host across the pages of one run, so a site's
    labels are recognised from the second page on (see :mod:`crawlers.titles`).
    """
    page = Page.from_bytes(body, url, content_type)
    page.tree  # noqa: B018 - parse now so an unparseable page fails here, with its URL
    outlet = find_outlet(url)
    parser = outlet.parser if outlet else GENERIC
    tries = _trafilatura(page)
    doc = tries[-1][1] if tries else {}
    warnings = page.warnings
    confidence = 1.0
    names = outlet_names()

    def pick(name: str, generic: Any) -> Any:
        """The outlet parser's value for field ``name``, else the generic one (counted as doubtful)."""
        nonlocal confidence
        value = getattr(parser, name)(page) if parser is not GENERIC else None
        problem = "found no" if not value else _implausible(name, value, generic)
        if value and not problem:
            return value
        doubtful(name, problem or "found no")
        return generic

    def doubtful(name: str, problem: str) -> None:
        nonlocal confidence
        if outlet and name in parser.specific:
            warnings.append(f"{outlet.name} parser {problem} {name} (markup changed?); used generic reading")
            confidence -= 0.2

    generic_text = doc.get("text") or _ld_body(page)
    provisional = choose_title(page, names)
    if _chinese_page(page, generic_text):
        text = _chinese_body(page, parser, tries, provisional, doubtful)
    else:
        text = pick("text", generic_text)
    layout = Layout.of(page, text or "")
    title = pick("title", choose_title(page, names, site_names, body_start=layout.start_pos))
    published = _published(page, parser, doc, layout, doubtful)
    authors = _authors(page, parser, doc, text or "", layout, names)
    text = strip_credits(text or "")
    language = _language(GENERIC.language(page), f"{title} {text or ''}")
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        warnings.append("no title found")
        confidence -= 0.4
    if len(text) < MIN_TEXT:
        warnings.append(f"body text too short ({len(text)} characters)")
        confidence -= 0.4
    if published is None:
        warnings.append("no publication date found")
        confidence -= 0.1
    canonical = canonical_url(_canonical_link(page) or url)
    return Extracted(url=url, canonical_url=canonical, title=title, text=text,
                     published_at=aware(published) if published else None, authors=authors,
                     language=language, outlet=outlet.name if outlet else None, encoding=page.encoding,
                     confidence=max(0.0, round(confidence, 2)), warnings=warnings)


def _chinese_page(page: Page, text: str | None) -> bool:
    return body.is_chinese(text or "") or body.is_chinese(page.xpath_text("//title") or "")


def _chinese_body(page: Page, parser: Parser, tries: list[tuple[str, dict[str, Any]]], title: str,
                  doubtful: Callable[[str, str], None]) -> str:
    """The best of the candidates (see :mod:`crawlers.body` for the score)."""
    own = parser.text(page) if parser is not GENERIC else None
    candidates = [body.Candidate("parser", own or ""), body.Candidate("json-ld", _ld_body(page) or "")]
    candidates += [body.Candidate(f"trafilatura-{mode}", d.get("text") or "") for mode, d in tries]
    candidates.append(body.Candidate("densest-block", body.densest_block(page) or ""))
    best = body.choose(candidates, title, page)
    if own is None or best is None or best.name != "parser":
        short = own is not None and best is not None and len(own) < 0.3 * len(best.text)
        doubtful("text", "found no" if not own else "found only a fragment of the" if short
                 else "found a weaker reading of the")
    return best.text if best else ""


@dataclass
class Layout:
    """Where the body sits in the page's visible text: the header before it, the lines after it."""

    before: str = ""  # up to 1,500 characters of the page's text before the body's first line
    head: str = ""  # the body's first 300 characters
    after: str = ""  # up to 300 characters after the body's last line
    start_pos: int | None = None  # the first line's element, in ``page.tree.iter()`` order
    page: str = ""  # all of the page's visible text

    @classmethod
    def of(cls, page: Page, text: str) -> Layout:
        root = page.tree.find("body")
        visible = body.block_text(root if root is not None else page.tree)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if not lines:
            return cls(before=visible[:1500], page=visible)
        flat = re.sub(r"\s+", "", visible)
        first, last = re.sub(r"\s+", "", lines[0])[:8], re.sub(r"\s+", "", lines[-1])[-8:]
        start = flat.find(first) if first else -1
        end = flat.find(last, max(start, 0)) if last else -1
        return cls(before=flat[max(0, start - 1500): start] if start > 0 else "", head=text[:300],
                   after=flat[end + len(last): end + len(last) + 300] if end >= 0 else "",
                   start_pos=body.position(page, text), page=visible)


def _published(page: Page, parser: Parser, doc: dict[str, Any], layout: Layout,
               doubtful: Callable[[str, str], None]) -> datetime | None:
    """The publication time, to the minute where the page shows it (see :func:`crawlers.dates.choose_time`)."""
    own = parser.published_at(page) if parser is not GENERIC else None
    if own is None:
        doubtful("published_at", "found no")
    meta = GENERIC.published_at(page)
    shown = [d for part in (layout.before[-300:], layout.head, layout.after, layout.before)
             for d in find_dates(part)]
    found = choose_time([own, meta], shown) or parse_iso(doc.get("date")) or find_date(layout.head[:200] or None)
    if found is not None and not has_clock(found):
        # Still a bare day: the first time the page shows anywhere for that same day.
        found = choose_time([found], [d for d in find_dates(layout.page) if d[2]]) or found
    elif found is None:
        labelled = [d for d in find_dates(layout.page) if d[3] == "published"]
        found = labelled[0][1] if labelled else None
    return found


def _authors(page: Page, parser: Parser, doc: dict[str, Any], text: str, layout: Layout,
             names: tuple[str, ...]) -> list[str]:
    """People, in order of trust: the outlet parser, JSON-LD, bylines by the body, meta tags, labels."""
    site = {fold(n) for n in names} | known_names(page, names, None)
    own = parser.authors(page) if parser is not GENERIC else []
    if own:
        return [a for a in own if a.strip() and "://" not in a]
    for found in (person_names(_ld_authors(page), site), byline_names(text),
                  byline_names(layout.before[-400:], window=400), byline_names(text[-400:], window=400),
                  person_names(page.meta_all("author") + page.meta_all("article:author")
                               + page.meta_all("dc.creator"), site),
                  labelled_names(layout.before[-300:] + layout.head[:100] + layout.after[:100]),
                  person_names(_split(doc.get("author")), site)):
        if found:
            return found
    return []


_BYLINE_LINE = re.compile(r"^\s*[〔（(\[［]?\s*(?:中央社|自由時報|聯合報|中國時報)?\s*"
                          r"記者[^〕）)\]］\n]{2,30}?(?:報導|綜合報導|專電|\d{1,2}日電)\s*[〕）)\]］]?\s*")
_EDITOR_LINE = re.compile(r"^\s*[（(]\s*(?:編輯|責任編輯|譯者)[:：][^）)]{1,30}[）)]\s*\d{0,8}\s*$")


def strip_credits(text: str) -> str:
    """Drop the reporters' byline before the body and the editor's credit line after it.

    Authors are a field of their own (read from the byline before it goes); the body is prose.
    """
    lines = text.split("\n")
    if lines:
        lines[0] = _BYLINE_LINE.sub("", lines[0], count=1)
    lines = [ln for ln in lines if ln.strip() and not _EDITOR_LINE.match(ln)]
    return "\n".join(lines)


def _implausible(name: str, value: Any, generic: Any) -> str | None:
    """A selector that now matches a fragment (a caption, a teaser) instead of the body."""
    short = isinstance(generic, str) and len(generic) >= 200 and len(value) < 0.3 * len(generic)
    if name == "text" and short:
        return "found only a fragment of the"
    return None


#: htmldate's "extensive search" runs dateparser over every locale: ~0.3 s a page for little gain.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def _trafilatura(page: Page) -> list[tuple[str, dict[str, Any]]]:
    """trafilatura's readings, precision first; broader tries only when it finds (almost) nothing.

    Returns every reading made, in order; the last one is the best (longest where lengths decide).
    """
    best = _run_trafilatura(page, page.html, "precision")
    tries = [("precision", best)]
    if len(best.get("text") or "") < SHORT:
        # Precision mode sometimes keeps only a fragment of a short body: the default reading may
        # find the rest (the benchmark's measured trade-off; see benchmarks/extraction.py).
        default = _run_trafilatura(page, page.html, "default")
        tries.insert(0, ("default", default))
        if len(default.get("text") or "") > 2 * len(best.get("text") or ""):
            best = default
    for html, mode in TRIES:
        if len(best.get("text") or "") >= MIN_TEXT * 3:
            break
        doc = _run_trafilatura(page, page.html if html == "clean" else page.raw, mode)
        tries.insert(0, (f"{mode}-{html}", doc))
        if len(doc.get("text") or "") > len(best.get("text") or ""):
            best = doc
        if len(best.get("text") or "") >= MIN_TEXT * 3:
            break
    tries.remove(next(t for t in tries if t[1] is best))
    return [*tries, ("best", best)]


#: (which html, trafilatura mode) in order; the first that yields enough text wins.
TRIES = (("clean", "recall"), ("raw", "default"))
SHORT = 400


def _run_trafilatura(page: Page, html: str, mode: str) -> dict[str, Any]:
    import trafilatura

    quiet_libraries()
    try:
        doc = trafilatura.bare_extraction(html, url=page.url, with_metadata=True, include_comments=False,
                                          favor_recall=mode == "recall", favor_precision=mode == "precision",
                                          date_extraction_params=_DATE_PARAMS)
    except Exception as exc:  # noqa: BLE001 - trafilatura fails on odd trees; the generic fields remain
        page.warnings.append(f"trafilatura failed: {type(exc).__name__}")
        return {}
    if doc is None:
        return {}
    fields = doc if isinstance(doc, dict) else {"title": doc.title, "text": doc.text, "date": doc.date,
                                                 "author": doc.author}
    fields["text"] = _untable(fields.get("text") or "")
    return fields


def _untable(text: str) -> str:
    """trafilatura renders table cells as ``| a | b |``: keep the cell text, one line per row,
    and drop navigation bars that table layouts leave in (``首頁 | 新聞 | 論壇 | ...``)."""
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            line = " ".join(c.strip() for c in line.strip().strip("|").split(" | ") if c.strip())
        if _NAV_BAR.search(line) or not line.strip():
            continue
        lines.append(line.replace("\\|", "|"))
    return "\n".join(lines)


#: Three or more short items separated by pipes: a menu, not prose.
_NAV_BAR = re.compile(r"(?:[^|\n]{1,12}\\?\|){3,}")


_QUIET = ("trafilatura", "htmldate", "justext", "courlan", "readability")


def quiet_libraries() -> None:
    """trafilatura and its helpers log an ERROR line for every odd page ("parsed tree length: 1,
    wrong data type or not valid HTML"); a batch of odd files would flood the output. What matters
    reaches the caller as :attr:`Extracted.warnings` instead."""
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _ld_authors(page: Page) -> list[str]:
    value = page.article_ld.get("author")
    out: list[str] = []
    for v in value if isinstance(value, list) else [value]:
        name = v.get("name") if isinstance(v, dict) else v
        if isinstance(name, str) and name.strip():
            out.append(name.strip())
    return out


def _ld_body(page: Page) -> str | None:
    body = page.article_ld.get("articleBody")
    return body.strip() if isinstance(body, str) and body.strip() else None


def _canonical_link(page: Page) -> str | None:
    href = page.xpath_text('//link[@rel="canonical"]/@href') or page.meta.get("og:url")
    if not href or not href.startswith(("http://", "https://")):
        return None
    return href


def _language(declared: str | None, text: str) -> str | None:
    han = _HAN.findall(text)
    if len(han) > 0.2 * max(1, len(text.replace(" ", ""))):
        trad = sum(c in _TRAD for c in han)
        simp = sum(c in _SIMP for c in han)
        return "zh-Hans" if simp > trad else "zh-Hant"
    if declared:
        if declared.lower().startswith("zh"):
            return declared
        return declared.replace("_", "-").split("-")[0].lower()
    return "en" if text.strip() else None


def _split(value: str | None) -> list[str]:
    return [a.strip() for a in re.split(r"[;,、]", value) if a.strip()] if value else []


def outlet_for(url: str) -> Outlet | None:
    return find_outlet(url)


__all__ = ["Extracted", "PageError", "SiteNames", "extract"]
