"""What the model reads of a text: the rule for long texts, URLs, and empty input.

The model is trained on headlines. An article is scored by its **title + lead**: the text is cut to
its first :data:`LEAD_CHARS` characters, at the last sentence end inside them when there is one
(newsdesk passes ``title + "\\n" + body``, so this is the headline and the opening sentences); the
tokenizer then keeps at most ``sentiment.max_length`` tokens. URLs are dropped (they carry no
sentiment and eat the window). A text with nothing left (empty, only spaces or URLs) is scored as
the neutral placeholder :data:`EMPTY`, so it keeps its place in a batch and gets the model's prior,
which is low. Emoji are kept: the tokenizer knows the common ones (😡, 😭, 👍).

臺 is read as 台: the two are one character in Taiwanese usage (臺北/台北, 臺灣/台灣), official texts
prefer 臺 while the news headlines the model learnt from write 台 (573 of them against 6), and the
tokenizer has separate pieces for each. The score thus does not depend on the spelling.
"""

from __future__ import annotations

import re

LEAD_CHARS = 160
MIN_LEAD = 32  # a sentence end earlier than this is the headline's: cut at LEAD_CHARS instead
EMPTY = "。"
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def prepare(text: str) -> str:
    cut = text[:LEAD_CHARS * 8]  # bound the work on 100 KB inputs before any regex runs over them
    cut = _URL.sub(" ", cut)
    if len(cut) > LEAD_CHARS:
        head = cut[:LEAD_CHARS]
        ends = [m.end() for m in _SENTENCE_END.finditer(head)]
        cut = head[:ends[-1]] if ends and ends[-1] >= MIN_LEAD else head
    cut = _SPACE.sub(" ", cut).strip().replace("臺", "台")
    return cut or EMPTY
