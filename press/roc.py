"""ROC (民國) calendar and Asia/Taipei time: the office writes 113年9月2日, not 2024-09-02.

ROC year = Gregorian year - 1911. Report periods are named ``113H1`` (113 年上半年), ``113H2``,
``113Q3`` or ``113-09``; :func:`parse_period` turns them into Gregorian months.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pipeline.roc import ROC_OFFSET, parse_date

TAIPEI = ZoneInfo("Asia/Taipei")
WEEKDAYS = "一二三四五六日"


def local(value: datetime, tz: str | ZoneInfo = TAIPEI) -> datetime:
    """An aware datetime in the office's zone; a naive one is refused (it would shift by hours)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: give a timezone")
    return value.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)


def _as_date(value: date | datetime, tz: str | ZoneInfo = TAIPEI) -> date:
    return local(value, tz).date() if isinstance(value, datetime) else value


def roc_year(value: date | datetime) -> int:
    return _as_date(value).year - ROC_OFFSET


def roc_date(value: date | datetime, tz: str | ZoneInfo = TAIPEI) -> str:
    """``113年9月2日`` (no zero padding, as official documents write it)."""
    d = _as_date(value, tz)
    return f"{d.year - ROC_OFFSET}年{d.month}月{d.day}日"


def roc_era(value: date | datetime, tz: str | ZoneInfo = TAIPEI) -> str:
    """``中華民國113年``."""
    return f"中華民國{_as_date(value, tz).year - ROC_OFFSET}年"


def roc_weekday(value: date | datetime, tz: str | ZoneInfo = TAIPEI) -> str:
    """``（星期一）``."""
    return f"（星期{WEEKDAYS[_as_date(value, tz).weekday()]}）"


def taipei_time(value: datetime, tz: str | ZoneInfo = TAIPEI) -> str:
    """``14:30`` in the office's zone."""
    return local(value, tz).strftime("%H:%M")


def roc_datetime(value: datetime, tz: str | ZoneInfo = TAIPEI) -> str:
    """``113年9月2日（星期一）14:30``."""
    return f"{roc_date(value, tz)}{roc_weekday(value, tz)}{taipei_time(value, tz)}"




def parse_local_datetime(text: str, tz: str = "Asia/Taipei") -> datetime:
    """``2024-09-02 14:30`` or ``113年9月2日 14:30`` read in ``tz`` (an explicit offset wins)."""
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parts = text.rsplit(" ", 1)
        if len(parts) != 2:
            raise ValueError(f"{text!r} is not a date and time (use '2024-09-02 14:30')") from None
        try:
            parsed = datetime.combine(parse_date(parts[0]), time.fromisoformat(parts[1]))
        except ValueError:
            raise ValueError(f"{text!r} is not a date and time (use '2024-09-02 14:30')") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz))


@dataclass(frozen=True)
class Period:
    """A report period: its ROC label and the Gregorian months it covers."""

    label: str
    months: tuple[tuple[int, int], ...]  # (year, month)

    @property
    def start(self) -> datetime:
        y, m = self.months[0]
        return datetime(y, m, 1, tzinfo=TAIPEI).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive end (the first instant after the period)."""
        y, m = self.months[-1]
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return datetime(y, m, 1, tzinfo=TAIPEI).astimezone(UTC)

    def keys(self) -> list[str]:
        return [f"{y:04d}-{m:02d}" for y, m in self.months]


_PERIOD = re.compile(r"^(\d{2,3})(?:(H[12])|(Q[1-4])|-(\d{1,2})|)$", re.IGNORECASE)


def parse_period(text: str) -> Period:
    """``113H1`` → 113年上半年 (Jan-Jun 2024); also ``113H2``, ``113Q3``, ``113-09`` and ``113``."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a period (use 113H1, 113H2, 113Q3, 113-09 or 113)")
    roc = int(m.group(1))
    year = roc + ROC_OFFSET
    if m.group(2):
        first = 1 if m.group(2).upper() == "H1" else 7
        label = f"{roc}年{'上' if first == 1 else '下'}半年"
        months = range(first, first + 6)
    elif m.group(3):
        q = int(m.group(3)[1])
        label = f"{roc}年第{q}季"
        months = range(3 * q - 2, 3 * q + 1)
    elif m.group(4):
        month = int(m.group(4))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r}: month {month} is not 1-12")
        label = f"{roc}年{month}月"
        months = range(month, month + 1)
    else:
        label = f"{roc}年"
        months = range(1, 13)
    return Period(label, tuple((year, mo) for mo in months))


def month_key(value: datetime, tz: str | ZoneInfo = TAIPEI) -> str:
    """``YYYY-MM`` of an instant in the office's zone (a release at 00:30 on 1 July is July's)."""
    d = local(value, tz)
    return f"{d.year:04d}-{d.month:02d}"
