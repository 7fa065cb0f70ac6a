"""What the decision model reads of an item: its title and the first sentences of its text.

The labels were given from the title and lead alone (``NEEDS-RESPONSE.md``), so an article is read as
**title + lead**: the body's first :data:`LEAD_CHARS` characters, cut at the last sentence end inside
them. A lead that only repeats the title (news aggregators do this) is dropped. URLs are dropped,
whitespace folded, and 臺 read as 台 (one character in Taiwanese usage; the score must not depend on
the spelling). The tokenizer then keeps at most ``[decision] max_length`` tokens.
"""

from __future__ import annotations

import re

LEAD_CHARS = 200
MIN_REST = 20  # what is left after a repeated title must be this long to count as a lead
MIN_LEAD = 40  # a sentence end earlier than this belongs to a dateline: cut at LEAD_CHARS instead
EMPTY = "。"
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[。！？!?；;]|\.\s")


def lead(title: str, text: str) -> str:
    """The opening of ``text`` (bounded), or "" when it only repeats the title."""
    body = _SPACE.sub(" ", _URL.sub(" ", (text or "")[:LEAD_CHARS * 8])).strip()
    head = _SPACE.sub(" ", title or "").strip()
    if head and body.startswith(head[:15]):  # the title again (aggregators, some article pages)
        rest = body[len(head):].strip() if body.startswith(head) else ""
        body = rest if len(rest) >= MIN_REST else ""  # "title  中時新聞網" leaves only the outlet's name
    if len(body) > LEAD_CHARS:
        cut = body[:LEAD_CHARS]
        ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
        body = cut[:ends[-1]] if ends and ends[-1] >= MIN_LEAD else cut
    return body.strip()


def decision_text(title: str, text: str = "") -> str:
    """Title + lead as the model reads it."""
    head = _SPACE.sub(" ", _URL.sub(" ", title or "")).strip()
    opening = lead(title, text)
    joined = f"{head}。{opening}" if head and opening else (head or opening)
    return joined.replace("臺", "台") or EMPTY
