"""Turn page bytes into text whatever the charset claims: Big5 and GB2312 pages are often mislabelled.

Order of evidence: a byte-order mark, then the declared charset (HTTP header, then ``<meta>``) if
the bytes decode cleanly with it, then a statistical guess (charset-normalizer) checked against
the Chinese-specific decoders. Legacy labels are widened to their supersets (gb2312 → gb18030,
big5 → cp950) because pages labelled with the narrow name use the extra characters all the time.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_XML = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_\-.]+)""", re.I)
_HEADER = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-:.]+)", re.I)

#: Narrow legacy labels and the superset that really decodes such pages.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "big5": "cp950", "x-x-big5": "cp950", "big5-hkscs": "big5hkscs",
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ascii": "utf-8", "us-ascii": "utf-8",
}
#: Labels that never fail to decode, so a successful decode proves nothing.
_PERMISSIVE = {"cp1252", "latin_1", "iso8859-1", "iso8859_1"}
_CHINESE = ("cp950", "big5hkscs", "gb18030")
#: Frequent characters, traditional and simplified: used to choose between Big5 and GB readings.
_COMMON = set("的一是不了在人有我他這个這個們们中來来上大為为和國国地到以說说時时要"
              "就出會会可也你對对生能而子那得於于著着下自之年過过發发後后作裡里"
              "市府新聞闻記记者表示政民報报臺台北")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    declared: str | None
    warning: str | None = None


def _norm(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None) -> str | None:
    """The charset the page claims: the HTTP header wins over ``<meta>`` (as browsers do)."""
    if content_type:
        header = _HEADER.search(content_type)
        if header:
            return header.group(1)
    head = body[:4096]
    m = _XML.match(head) or _META.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def _clean(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _common_ratio(text: str) -> float:
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 0.0
    return sum(c in _COMMON for c in han) / len(han)


def _high_bytes(body: bytes) -> float:
    sample = body[:65536]
    return sum(b >= 0x80 for b in sample) / max(1, len(sample))


def _lenient(body: bytes, encoding: str) -> str | None:
    """Decode with replacement, accepting the result when only a few bytes are broken."""
    text = body.decode(encoding, "replace")
    bad = text.count("\ufffd")
    return text if bad <= max(3, len(text) // 500) else None


def _best_chinese(body: bytes) -> tuple[str, str] | None:
    """Decode with each Chinese codec; keep the reading with the most frequent characters."""
    best: tuple[float, str, str] | None = None
    for enc in _CHINESE:
        text = _lenient(body, enc)
        if text is None:
            continue
        score = _common_ratio(text) - text.count("\ufffd") / max(1, len(text))
        if best is None or score > best[0]:
            best = (score, enc, text)
    return (best[2], best[1]) if best and best[0] > 0.05 else None


def _guess(body: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    chinese = _best_chinese(body)
    if chinese:
        return chinese
    match = from_bytes(body[:200_000]).best()
    if match is not None and match.encoding:
        enc = _norm(match.encoding) or "utf-8"
        text = _clean(body, enc)
        if text is not None:
            return text, enc
    return body.decode("utf-8", "replace"), "utf-8"


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a page; ``warning`` says when the declared charset was wrong or missing."""
    boms = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, enc in boms:
        if body.startswith(bom):
            return Decoded(body.decode(enc, "replace").lstrip("\ufeff"), enc, enc)
    label = declared_charset(body, content_type)
    declared = _norm(label)
    if declared and declared not in _PERMISSIVE:
        text = _clean(body, declared)
        if text is not None and declared in _CHINESE:
            return _check_chinese(body, text, declared, label)
        if text is not None:
            return Decoded(text, declared, label)
    if declared in _PERMISSIVE and _high_bytes(body) < 0.01:
        return Decoded(body.decode(declared), declared, label)
    text = _clean(body, "utf-8")
    if text is not None:
        wrong = declared not in (None, "utf-8")
        warn = f"declared charset {label!r} is wrong; decoded as utf-8" if wrong else None
        return Decoded(text, "utf-8", label, warn)
    if declared and declared not in _PERMISSIVE:
        text = _lenient(body, declared)
        if text is not None:
            return Decoded(text, declared, label, f"declared charset {label!r} has invalid bytes; replaced")
    text, enc = _guess(body)
    if label is None:
        warn = f"no charset declared; guessed {enc}"
    elif _norm(label) == enc:
        warn = f"declared charset {label!r} has invalid bytes; decoded leniently"
    else:
        warn = f"declared charset {label!r} is wrong; decoded as {enc}"
    return Decoded(text, enc, label, warn)


def _check_chinese(body: bytes, text: str, declared: str, label: str | None) -> Decoded:
    """GB18030 decodes almost any Big5 bytes (and the other way round): keep the likelier reading."""
    alt = _best_chinese(body)
    if alt and alt[1] != declared and _common_ratio(alt[0]) > _common_ratio(text) + 0.1:
        return Decoded(alt[0], alt[1], label, f"declared charset {label!r} is wrong; decoded as {alt[1]}")
    return Decoded(text, declared, label)
