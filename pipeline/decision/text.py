"""What the decision model reads of an item: its title and the first sentences of its text.

The labels were given from the title and lead alone (``NEEDS-RESPONSE.md``), so an article is read as
**title + lead**: the body's first :data:`LEAD_CHARS` characters, cut at the last sentence end inside
them. A lead that only repeats the title (news aggregators do this) is dropped. URLs are dropped,
whitespace folded, and 臺 read as 台 (one character in Taiwanese usage; the score must not depend on
the spelling). The tokenizer then keeps at most ``[decision] max_length`` tokens.

A crawled page is not always an article: a headline-only page gives the page's header strip
(breadcrumb, headline, byline, date, share links) or the outlet's promotion line ("更多新聞請上…",
"Enditem", "Comments will be moderated") as its text. So the lead starts after the headline where the
headline appears in the opening, promotion, reminder and rights sentences are dropped ("三立新聞網提醒您：
新聞內容請以官方發布為準"), and what is left must read as prose (a clause mark in Chinese, a few words in
English), else the item is read from its title alone, as the labellers read such items. Datelines
(〔即時新聞／綜合報導〕) stay: the labelled leads the model learned from carry them.
"""

from __future__ import annotations

import re

LEAD_CHARS = 200
MIN_REST = 20  # what is left after a repeated title must be this long to count as a lead
MIN_LEAD = 40  # a sentence end earlier than this belongs to a dateline: cut at LEAD_CHARS instead
HEADER_CHARS = 300  # how far into the text a page's header strip (which repeats the headline) reaches
MIN_WORDS = 6  # an English lead has at least this many words
EMPTY = "。"
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[。！？!?；;]|\.\s")
_SENTENCES = re.compile(r".*?(?:[。！？!?；;]+|\.\s+|$)")
_PROMO = re.compile(r"更多.{0,16}(?:請上|請見|請看|請點)|下載[^，。]{0,12}APP|點我|點此|掌握第一手|"
                    r"訂閱.{0,12}(?:頻道|YouTube|電子報)|"
                    r"(?:加入|追蹤).{0,12}(?:粉絲團|官方帳號|LINE|IG)|版權所有|未經.{0,6}授權|禁止.{0,10}轉載|"
                    r"提醒您|以官方發布為準|Enditem|Comments will be moderated|all rights reserved|click here", re.I)
_CLAUSE = re.compile(r"[，。、；！？：]")
_WORD = re.compile(r"[A-Za-z]{2,}")


def lead(title: str, text: str) -> str:
    """The opening of ``text`` (bounded), or "" when it only repeats the title or is no prose."""
    body = _SPACE.sub(" ", _URL.sub(" ", (text or "")[:LEAD_CHARS * 8])).strip()
    body = _after_headline(_SPACE.sub(" ", title or "").strip(), body)
    body = "".join(s for s in _SENTENCES.findall(body) if not _PROMO.search(s)).strip()
    if len(body) < MIN_REST or not _prose(body):
        return ""
    if len(body) > LEAD_CHARS:
        cut = body[:LEAD_CHARS]
        ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
        body = cut[:ends[-1]] if ends and ends[-1] >= MIN_LEAD else cut
    return body.strip()


def _after_headline(head: str, body: str) -> str:
    """What follows the headline where the text repeats it in its opening (the page's header strip)."""
    if not head:
        return body
    full = body.rfind(head, 0, HEADER_CHARS + len(head))
    if full >= 0:
        return body[full + len(head):].strip()
    if body.startswith(head[:15]):  # the title again, differently ended: no lead of its own
        return ""
    return body


def _prose(text: str) -> bool:
    return bool(_CLAUSE.search(text)) or len(_WORD.findall(text)) >= MIN_WORDS


def decision_text(title: str, text: str = "") -> str:
    """Title + lead as the model reads it."""
    head = _SPACE.sub(" ", _URL.sub(" ", title or "")).strip()
    opening = lead(title, text)
    joined = f"{head}。{opening}" if head and opening else (head or opening)
    return joined.replace("臺", "台") or EMPTY
