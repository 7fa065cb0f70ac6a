"""Publication dates as written by Taiwanese pages: ISO 8601, slashes, 年月日, and ROC years (113年)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pipeline.roc import ROC_OFFSET

TAIPEI = ZoneInfo("Asia/Taipei")

_WEEKDAY = r"(?:\s*[（(](?:週|周|星期)?[一二三四五六日天][）)])?"
_AMPM = r"(?:\s*(?P<ap>[AaPp]\.?[Mm]\.?))?"
_PATTERNS = [
    # 2024-10-16T10:20:30+08:00, 2024/10/16 10:20, 2024.10.16 10:20, 2024-5-7 21:23:57, 2012.01.17 02:45 pm
    re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})/?" + _WEEKDAY +
               r"(?:(?:[T\s]|&nbsp;)*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?" + _AMPM + ")?"),
    # ROC with separators, as government pages write it: 113/09/02, 113-9-2 14:30
    re.compile(r"(?<![\d/.-])(?P<y>1[0-4]\d|[89]\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d/.-])" + _WEEKDAY +
               r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2}))?"),
    # 2024年10月16日 10:20, 2024年10月16日下午3時05分 or ROC 113年10月16日
    re.compile(r"(?P<y>\d{2,4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日" + _WEEKDAY +
               r"(?:\s*(?P<ampm>上午|下午|晚上|中午|凌晨|早上|清晨|傍晚)?\D{0,4}?(?P<H>\d{1,2})[:：時时](?P<M>\d{2}))?"),
    # 15:31 2018/09/16 (the time before the date, as some article headers print it)
    re.compile(r"(?<!\d)(?P<H>\d{1,2}):(?P<M>\d{2})\s*(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"),
]
#: A label that says the date next to it is the publication time.
_LABEL = re.compile(r"(?:發布|發佈|发布|發稿|发稿|出版|刊登|上稿|建立|發表|发表)(?:時間|时间|日期|於|于)?\s*[:：]?\s*$")
_UPDATED = re.compile(r"(?:更新|修改|最後修改|最后修改|updated?)\s*(?:時間|时间|日期)?\s*[:：]?\s*$", re.I)


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


def find_dates(text: str | None, zone: ZoneInfo = TAIPEI) -> list[tuple[int, datetime, bool, str]]:
    """Every date in ``text``: (position, time, whether a time of day was written, label), in order.

    The label is ``published`` or ``updated`` when the words just before the date say so, else "".
    """
    text = text or ""
    readings: list[tuple[int, int, datetime, bool]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            dt = _build(m, zone)
            if dt is not None:
                readings.append((m.start(), m.end(), dt, m.group("H") is not None))
    # Where readings overlap (``15:312018/09/16``), the one with a time of day, then the longer, wins.
    readings.sort(key=lambda x: (not x[3], x[0] - x[1]))
    kept: list[tuple[int, int, datetime, bool]] = []
    for r in readings:
        if all(r[1] <= k[0] or r[0] >= k[1] for k in kept):
            kept.append(r)
    out = []
    for start, _end, dt, has_time in sorted(kept, key=lambda x: x[0]):
        before = text[max(0, start - 12): start]
        label = "published" if _LABEL.search(before) else "updated" if _UPDATED.search(before) else ""
        out.append((start, dt, has_time, label))
    return out


def _build(m: re.Match[str], zone: ZoneInfo) -> datetime | None:
    year = int(m.group("y"))
    if year < 1000:
        year += ROC_OFFSET
    if not 1990 <= year <= 2100:
        return None
    hour = int(m.group("H") or 0)
    if m.groupdict().get("ampm") in ("下午", "晚上", "傍晚") and hour < 12:
        hour += 12
    ap = (m.groupdict().get("ap") or "").lower()
    if ap.startswith("p") and hour < 12:
        hour += 12
    elif ap.startswith("a") and hour == 12:
        hour = 0
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




def has_clock(dt: datetime) -> bool:
    """Whether a time of day was given (a bare day reads as midnight, Taipei time)."""
    local = dt.astimezone(TAIPEI) if dt.tzinfo else dt
    return (local.hour, local.minute, local.second) != (0, 0, 0)


def choose_time(declared: list[datetime | None],
                shown: list[tuple[int, datetime, bool, str]]) -> datetime | None:
    """The publication time from what the page declares and what it shows.

    A declared value (outlet parser, then metadata) with a time of day wins. A declared bare day
    takes the time the page shows for that same day (``2014-04-30`` in the metadata, ``2014-04-30
    14:49`` in the header), so response deadlines do not start at midnight. Without a declared
    value: a date labelled as the publication time (``發布時間：``), else the first shown with a
    time of day, else the first shown. Dates labelled as updates come last.
    """
    given = [d for d in declared if d is not None]
    for d in given:
        if has_clock(d):
            return d
    visible = [s for s in shown if s[3] != "updated"] or shown
    if given:
        day = (given[0].astimezone(TAIPEI) if given[0].tzinfo else given[0]).date()
        same = [dt for _, dt, timed, _ in visible if timed and dt.date() == day]
        return same[0] if same else given[0]
    for group in ([s for s in visible if s[3] == "published"], [s for s in visible if s[2]], visible):
        if group:
            return group[0][1]
    return None
