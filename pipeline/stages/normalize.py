"""Normalise: matching keys (NFKC, width, one script), canonical URL, content hash, UTC time, language.

``norm_title``/``norm_text`` are folded keys (see :mod:`pipeline.textnorm`): 台北 and 臺北, full-width
and half-width, Simplified and Traditional all read the same there. Show the original fields.
A naive ``published_at`` is read as the office's zone (Asia/Taipei by default), then stored in UTC.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pipeline.items import Drop, Item
from pipeline.stages import Context
from pipeline.textnorm import fold, nfkc, script_specific
from pipeline.urls import URLError, canonical_url

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")
_SAMPLE = 600  # characters looked at for the language guess


def detect_language(text: str) -> str | None:
    """A script-based guess: ``zh-Hant``/``zh-Hans``, ``ja``, ``ko``, ``en`` or None (no letters).

    Chinese is told apart by how many characters fold to a different Simplified form (Traditional)
    against characters that only exist in Simplified (they fold to themselves but are the target
    of some Traditional character).
    """
    sample = text[:_SAMPLE]
    han = len(_HAN.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    latin = len(_LATIN.findall(sample))
    if kana and kana * 5 >= han:
        return "ja"
    if hangul > han and hangul > latin / 4:
        return "ko"
    if han and han * 4 >= latin / 4:  # four Latin letters make about one word
        return _chinese_script(sample)
    return "en" if latin else None


def _chinese_script(sample: str) -> str:
    trad_only, simp_only = script_specific()
    trad = sum(map(trad_only.__contains__, sample))
    simp = sum(map(simp_only.__contains__, sample))
    return "zh-Hans" if simp > trad else "zh-Hant"  # a tie reads as Taiwan's script


def content_hash(norm_title: str, norm_text: str) -> str:
    """SHA-256 of the folded title and body, so re-encoded or re-spaced copies hash the same."""
    return hashlib.sha256(f"{norm_title}\n{norm_text}".encode()).hexdigest()


def to_utc(when: datetime | None, zone: str) -> datetime | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(zone))
    return when.astimezone(UTC)


def normalize(item: Item, ctx: Context) -> Item:
    """Fill ``norm_title``, ``norm_text``, ``canonical_url``, ``content_hash``, UTC time and language."""
    title = nfkc(item.title or "").strip()
    text = (item.text or "").strip()
    if not title and not text:
        ctx.incr("normalize:empty")
        raise Drop("empty", item.url)
    item.norm_title = fold(title)
    item.norm_text = fold(text)
    try:
        item.canonical_url = canonical_url(item.url) if item.url else f"urn:sha256:{_short(item)}"
    except URLError as exc:
        ctx.incr("normalize:bad-url")
        raise Drop("bad-url", str(exc)) from None
    item.content_hash = content_hash(item.norm_title, item.norm_text)
    item.published_at = to_utc(item.published_at, ctx.settings.office.timezone)
    # the text's own script wins over the source's declared language; no letters: keep the declared one
    item.language = detect_language(f"{title}\n{text}") or item.language
    ctx.incr("normalize:ok")
    return item


def _short(item: Item) -> str:
    return hashlib.sha256(f"{item.title}\n{item.text}".encode()).hexdigest()[:32]
