"""Dates as the office writes them: ROC (民國, year = Gregorian year - 1911) and Gregorian, with
dashes, slashes, dots or 年月日. The one parser every command shares, so ``2024/01/01``,
``2024-01-01``, ``113/1/1`` and ``113年1月1日`` are all the same day everywhere."""

from __future__ import annotations

import re
from datetime import date

ROC_OFFSET = 1911
_DATE = re.compile(
    r"^\s*(?:中華民國|民國)?\s*(\d{2,4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?\s*$")


def parse_date(text: str) -> date:
    """A day in any of the office's spellings; a 2-3 digit year is ROC, a 4-digit one Gregorian.

    ``2024-09-02``, ``2024/9/2``, ``2024.09.02``, ``2024年9月2日``, ``113-09-02``, ``113/9/2``,
    ``113年9月2日`` and ``中華民國113年9月2日`` all give 2 September 2024; the error names the text.
    """
    text = text.strip()
    m = _DATE.match(text)
    try:
        if m:
            year = int(m.group(1))
            return date(year + ROC_OFFSET if len(m.group(1)) < 4 else year, int(m.group(2)), int(m.group(3)))
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use 2024-09-02, 2024/9/2 or 113年9月2日)") from None


def roc_month(year: int, month: int) -> str:
    """``113年1月`` for January 2024."""
    return f"{year - ROC_OFFSET}年{month}月"


def roc_day(day: date) -> str:
    """``113年9月2日`` (no zero padding, as official documents write it)."""
    return f"{day.year - ROC_OFFSET}年{day.month}月{day.day}日"


CALENDARS = ("roc", "gregorian")


def month_label(key: str, calendar: str = "roc") -> str:
    """A ``YYYY-MM`` month key as the calendar writes it: ``113年1月`` (roc) or ``2024-01``."""
    if calendar == "gregorian" or not key:
        return key
    year, month = key.split("-")
    return roc_month(int(year), int(month))


def day_label(day: date, calendar: str = "roc") -> str:
    """``113年9月2日`` (roc) or ``2024-09-02`` (gregorian)."""
    return roc_day(day) if calendar == "roc" else day.isoformat()
