"""Reading form and query fields: dates (ISO or ROC) in the office's zone, numbers, ids."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipeline.roc import parse_date
from press import roc
from web.errors import InputError


def day(value: str | None, field: str) -> date | None:
    if not value or not value.strip():
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise InputError(f"{field}：「{value}」不是日期（例：2024-09-02 或 113年9月2日）") from None


def day_start(value: date | None, tz: str) -> datetime | None:
    return datetime.combine(value, time(), ZoneInfo(tz)) if value else None


def day_end(value: date | None, tz: str) -> datetime | None:
    """The first instant after the day (ranges are half-open)."""
    return datetime.combine(value + timedelta(days=1), time(), ZoneInfo(tz)) if value else None


def number(value: str | None, field: str) -> float | None:
    if not value or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{field}：「{value}」不是數字") from None


def local_datetime(value: str, tz: str, field: str) -> datetime:
    """``2024-09-02T14:30`` (a datetime-local input) or ``113年9月2日 14:30``, in ``tz``."""
    try:
        return roc.parse_local_datetime(value.replace("T", " ") if "T" in value else value, tz)
    except ValueError:
        raise InputError(f"{field}：「{value}」不是日期時間（例：2024-09-02 14:30）") from None
