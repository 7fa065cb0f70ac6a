"""Publication dates as written by Taiwanese pages: ISO 8601, slashes, 年月日, and ROC years (113年)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pipeline.roc import ROC_OFFSET

TAIPEI = ZoneInfo("Asia/Taipei")

_PATTERNS = [
    # 2024-10-16T10:20:30+08:00, 2024/10/16 10:20, 2024.10.16 10:20, 2024-5-7 21:23:57
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
               r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"),
    # ROC with separators, as government pages write it: 113/09/02, 113-9-2 14:30
    re.compile(r"(?<![\d/.-])(?P<y>1[0-4]\d|[89]\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d/.-])"
               r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2}))?"),
    # 2024年10月16日 10:20 or ROC 113年10月16日
    re.compile(r"(?P<y>\d{2,4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
               r"(?:\s*(?P<ampm>上午|下午|晚上|中午|凌晨|早上)?\D{0,4}?(?P<H>\d{1,2})[:：時](?P<M>\d{2}))?"),
]


def aware(dt: datetime, zone: ZoneInfo = TAIPEI) -> datetime:
    """A naive time is read as Asia/Taipei (the pages' own zone)."""
    return dt.replace(tzinfo=zone) if dt.tzinfo is None else dt


def parse_iso(value: str | None) -> datetime | None:
    """ISO 8601 (also with a trailing Z or a space); naive values are Asia/Taipei."""
    if not value:
        return None
    v = value.strip().replace("Z", "+00:00")
    v = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", v)
    try:
        return aware(datetime.fromisoformat(v))
    except ValueError:
        return find_date(value)


def find_date(text: str | None, zone: ZoneInfo = TAIPEI) -> datetime | None:
    """The first plausible date in free text, ROC years converted (113 → 2024)."""
    if not text:
        return None
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            dt = _build(m, zone)
            if dt is not None:
                return dt
    return None


def _build(m: re.Match[str], zone: ZoneInfo) -> datetime | None:
    year = int(m.group("y"))
    if year < 1000:
        year += ROC_OFFSET
    if not 1990 <= year <= 2100:
        return None
    hour = int(m.group("H") or 0)
    if m.groupdict().get("ampm") in ("下午", "晚上") and hour < 12:
        hour += 12
    try:
        return datetime(year, int(m.group("m")), int(m.group("d")), hour,
                        int(m.group("M") or 0), int(m.groupdict().get("S") or 0), tzinfo=zone)
    except ValueError:
        return None


def from_struct(st: object) -> datetime | None:
    """feedparser's ``*_parsed`` (a UTC ``time.struct_time``) as an aware datetime."""
    if st is None:
        return None
    try:
        return datetime(*st[:6], tzinfo=UTC)  # type: ignore[index,misc]
    except (TypeError, ValueError):
        return None


