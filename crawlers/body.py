"""The article's body on Chinese pages: candidates compared by a documented score.

Candidates: the outlet parser's paragraphs, JSON-LD ``articleBody``, trafilatura in each mode it
was run in, and :func:`densest_block` (the element whose own paragraphs hold the most Chinese
sentence punctuation, links not counted: table layouts of 2012 and mobile pages alike).

Each candidate is first cleaned the same way (:func:`clean`): the headline, repeated lines, lines
made of link texts (related-news lists, menus), date and credit lines and the non-prose lines at
either end are dropped, and everything after a "related news" marker that follows most of the
prose. Then each is scored (:func:`score`)::

    score = prose characters × purity
    prose characters: Han characters in the space-separated segments that read as sentences
                      (8+ Han with ，。！？；」, or 20+ Han)
    purity: prose characters / all letters and digits kept

A candidate most of whose lines were link texts is a list of headlines and scores 0. The highest
score wins; the outlet parser wins ties within 10% (it was written for that page's markup).
Paragraph order is the page's: no candidate is reordered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from crawlers.page import Page
from crawlers.titles import fold

_HAN = re.compile(r"[\u3400-\u9fff]")
_SENTENCE = re.compile(r"[，。！？；」]")
_MARKER = re.compile(r"^[\s【\[〔（(►▶■●◆★☆]*(?:延伸閱讀|相關新聞|相關報導|相關文章|推薦閱讀|更多新聞|"
                     r"熱門新聞|最新新聞|看更多|"
                     r"你可能(?:也)?會喜歡|猜你喜歡|歷史新聞|新聞總覽|今日熱門|編輯推薦|網友回應|留言|上一則|下一則|"
                     r"相關連結|延伸報導|更多.{0,6}新聞)")
_CREDIT = re.compile(r"^[\s【\[〔（(]*(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{2,3}年\d{1,2}月\d{1,2}日)[^，。！？]{0,30}$|"
                     r"^(?:分享|列印|轉寄|推薦|收藏|字級|友善列印|回上頁|回首頁|訂閱|加入會員|facebook|twitter|line)"
                     r"(?:\s|[|｜/、])*", re.I)
#: Lines every article of an outlet carries: rights notices, the suicide-prevention notice that
#: Taiwanese outlets must print under such news, calls to follow the outlet.
_BOILERPLATE = re.compile(r"版權所有|版权所有|著作權|未經.{0,6}授權|禁止.{0,10}轉載|不得.{0,6}轉載|all rights reserved|"
                          r"自殺防治|安心專線|生命線協談|張老師專線|關心您?：?$|"
                          r"加入.{0,12}粉絲團|按讚加入|追蹤.{0,12}(?:IG|Instagram|臉書|Line)", re.I)
#: Words of the suicide-prevention notice that a quoted official may say too ("大家要珍惜生命"): only a
#: short line that opens with them is the notice.
_NOTICE = re.compile(r"^[\W_]*(?:珍惜生命|再給自己一次機會)")
NOTICE_CHARS = 40
#: Short items between pipes or bullets: a menu, not prose.
_MENU = re.compile(r"^(?:[^|｜•·\n]{1,12}[|｜•·]){2,}[^|｜•·\n]{0,12}$")
_BLOCKS = {"p", "div", "td", "tr", "table", "li", "ul", "ol", "section", "article", "h1", "h2", "h3", "h4",
           "h5", "h6", "blockquote", "dd", "dt", "dl", "center", "pre", "header", "footer", "form", "main"}
_SKIP = {"script", "style", "noscript", "iframe", "select", "option", "button", "textarea", "head", "title"}
TIE = 0.9
OFF_LEAD = 0.3


def is_chinese(text: str) -> bool:
    chars = re.sub(r"\s", "", text or "")
    return len(_HAN.findall(chars)) > 0.3 * max(1, len(chars))


@dataclass
class Candidate:
    name: str
    text: str
    score: float = 0.0


def anchors(page: Page) -> set[str]:
    """Folded texts of the page's links (4+ characters): what a menu or a headline list is made of."""
    out = set()
    for a in page.tree.iter("a"):
        key = fold(a.text_content())
        if len(key) >= 4:
            out.add(key)
    return out


def _link_line(line: str, links: set[str]) -> bool:
    key = fold(line)
    if not key:
        return True
    if key in links:
        return True
    covered = sum(len(a) for a in links if len(a) >= 6 and a in key)
    return covered >= 0.6 * len(key)


def _prose(line: str) -> bool:
    han = len(_HAN.findall(line))
    return bool(_SENTENCE.search(line)) and han >= 8 or han >= 20


def clean(text: str, title: str, links: set[str]) -> tuple[str, float]:
    """The candidate's article lines, and the share of its characters that were link lines."""
    lines = [" ".join(ln.split()) for ln in (text or "").splitlines()]
    lines = [ln for ln in lines if ln]
    total = sum(len(fold(ln)) for ln in lines) or 1
    head = fold(title)
    kept: list[str] = []
    seen: list[str] = []
    linked = 0
    for ln in lines:
        key = fold(ln)
        if head and (key == head or (len(key) < 1.3 * len(head) and head in key)):
            continue
        if _repeated(key, seen) or _boilerplate(ln):
            continue
        if not _prose(ln) and (_link_line(ln, links) or _MENU.search(ln)):
            linked += len(key)
            continue
        seen.append(key)
        kept.append(ln)
    return "\n".join(_trim(kept)), linked / total


def _boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.search(line) or (len(line) <= NOTICE_CHARS and _NOTICE.search(line)))


def _repeated(key: str, seen: list[str]) -> bool:
    """The line says again what earlier lines said (pages that print the body twice)."""
    if any(key == s or (len(key) >= 20 and key in s) for s in seen):
        return True
    rest = key
    for s in seen:
        if len(s) >= 20:
            rest = rest.replace(s, "")
    return len(key) >= 40 and len(rest) <= 0.2 * len(key)


def _trim(lines: list[str]) -> list[str]:
    prose = [i for i, ln in enumerate(lines) if _prose(ln)]
    if not prose:
        return [ln for ln in lines if not _CREDIT.match(ln)]
    mass = sum(len(_HAN.findall(lines[i])) for i in prose)
    end = prose[-1] + 1
    before = 0
    for i, ln in enumerate(lines[: end]):
        if i in prose:
            before += len(_HAN.findall(ln))
        elif _MARKER.match(ln) and len(fold(ln)) <= 20 and before >= 0.6 * mass:
            end = i
            break
    out = lines[prose[0]: end]
    return [ln for ln in out if not (_CREDIT.match(ln) and not _prose(ln))]


def score(text: str) -> float:
    """Prose characters × purity, counted per space-separated segment (a line that merged a header
    of buttons, dates and names with the lead is not all prose)."""
    segments = text.split()
    prose = sum(len(_HAN.findall(s)) for s in segments if _prose(s))
    total = sum(len(fold(s)) for s in segments) or 1
    return prose * (prose / total)


def choose(candidates: Iterable[Candidate], title: str, page: Page) -> Candidate | None:
    """Clean and score every candidate; the best one (see the module's docstring)."""
    links = anchors(page)
    scored = []
    for c in candidates:
        if not c.text:
            continue
        text, linked = clean(c.text, title, links)
        value = 0.0 if linked > 0.5 else score(text)
        scored.append(Candidate(c.name, text, value))
    if not scored:
        return None
    probe = lead(page)
    if probe and any(probe in fold(c.text) for c in scored):
        # The page's description quotes the article's lead: a block without it is something else
        # (a comment policy, a related story), however long.
        for c in scored:
            if probe not in fold(c.text):
                c.score *= OFF_LEAD
    best = max(scored, key=lambda c: c.score)
    parser = next((c for c in scored if c.name == "parser"), None)
    if parser is not None and parser.score >= TIE * best.score:
        return parser
    return best


def lead(page: Page) -> str | None:
    """The first characters of the page's description when it reads like an article's lead."""
    text = page.meta.get("og:description") or page.meta.get("description") or ""
    key = fold(text)[:12]
    return key if len(_HAN.findall(key)) >= 8 else None


def densest_block(page: Page) -> str | None:
    """The paragraphs of the element whose own paragraphs carry the most sentence punctuation
    (among the elements that hold the description's lead, when the page has one)."""
    weights: dict[etree._Element, float] = {}
    for el in page.tree.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP or el.tag == "a":
            continue
        own = _own_text(el)
        marks = len(_SENTENCE.findall(own))
        if marks == 0:
            continue
        parent = el.getparent()
        # readability's rule: a paragraph counts fully for its container, half for the one above
        target = el if el.tag not in ("p", "span", "font", "b", "strong", "br") and len(own) > 40 else parent
        if target is None:
            continue
        weights[target] = weights.get(target, 0.0) + marks
        up = target.getparent()
        if up is not None:
            weights[up] = weights.get(up, 0.0) + marks / 2
    if not weights:
        return None
    probe = lead(page)
    if probe:
        holding = [e for e in weights if probe in fold(e.text_content())]
        weights = {e: weights[e] for e in holding} or weights
    best = max(weights, key=lambda e: weights[e])
    return block_text(best)


def _own_text(el: etree._Element) -> str:
    """Text of ``el`` and its inline children, links excluded (nested blocks are theirs)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCKS and child.tag not in _SKIP and child.tag != "a":
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def block_text(el: etree._Element) -> str:
    """The element's text with a line break at each block element and ``<br>``."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP:
            if node.tail:
                out.append(node.tail)
            return
        block = tag in _BLOCKS
        if block or tag == "br":
            out.append("\n")
        if node.text and tag:
            out.append(node.text)
        for child in node:
            walk(child)
        if block:
            out.append("\n")
        if node.tail and node is not el:
            out.append(node.tail)

    walk(el)
    return "\n".join(" ".join(ln.split()) for ln in "".join(out).splitlines() if ln.strip())


def position(page: Page, text: str) -> int | None:
    """Where the body's first line starts in ``page.tree.iter()`` order (for the headline's search)."""
    first = next((ln for ln in text.splitlines() if _prose(ln)), "")
    probe = re.sub(r"\s+", "", first)[:8]
    if len(probe) < 4:
        return None
    for pos, el in enumerate(page.tree.iter()):
        if not isinstance(el.tag, str) or el.tag in _SKIP:
            continue
        if probe in re.sub(r"\s+", "", (el.text or "")) or any(
                probe in re.sub(r"\s+", "", c.tail or "") for c in el):
            return pos
    return None
