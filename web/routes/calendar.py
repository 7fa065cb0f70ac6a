"""The calendar: scheduled and published releases, platform posts and the Mayor's schedule, by day,
week (Monday first) or month, in the office's zone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from pipeline.models import Post, Release, User
from pipeline.settings import Settings
from press import roc
from press.drafting import schedule_entries
from press.report import PLATFORM_NAMES
from web import forms
from web.deps import DB, csrf_check, officer, settings_of
from web.render import POST_STATUS, render

router = APIRouter(dependencies=[Depends(csrf_check)])


@dataclass
class Event:
    at: str  # HH:MM, office time
    label: str
    kind: str  # release | post | mayor
    href: str


def span(view: str, anchor: date) -> tuple[date, date]:
    """[first, last] days shown: the day, its Monday-to-Sunday week, or the month's whole weeks."""
    if view == "day":
        return anchor, anchor
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6)
    first = anchor.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    start = first - timedelta(days=first.weekday())
    end = nxt - timedelta(days=1)
    return start, end + timedelta(days=6 - end.weekday())


def events(session: Session, first: date, last: date, tz: str) -> dict[date, list[Event]]:
    zone = ZoneInfo(tz)
    lo = datetime.combine(first, time(), zone)
    hi = datetime.combine(last + timedelta(days=1), time(), zone)
    out: dict[date, list[Event]] = defaultdict(list)

    def put(when: datetime, event: Event) -> None:
        out[when.astimezone(zone).date()].append(event)

    when = func.coalesce(Release.published_at, Release.scheduled_at)
    for r in session.scalars(select(Release).where(Release.imported.is_(False), when >= lo, when < hi,
                                                   Release.status.in_(("scheduled", "published")))):
        at = r.published_at or r.scheduled_at
        assert at is not None
        if r.kind == "schedule":
            for entry in schedule_entries(r.body or ""):
                put(at, Event(entry["time"], f"市長：{entry['event']} {entry['place']}".strip(), "mayor",
                              f"/press/{r.id}"))
        else:
            put(at, Event(roc.taipei_time(at, tz), f"{r.title}（{r.agency}）", "release", f"/press/{r.id}"))
    posts = select(Post).where(or_(Post.published_at.is_(None), Post.published_at >= lo),
                               func.coalesce(Post.published_at, Post.scheduled_at) >= lo,
                               func.coalesce(Post.published_at, Post.scheduled_at) < hi)
    for p in session.scalars(posts):
        at = p.published_at or p.scheduled_at
        assert at is not None
        label = f"{PLATFORM_NAMES.get(p.platform, p.platform)} 貼文（{POST_STATUS.get(p.status, p.status)}）"
        put(at, Event(roc.taipei_time(at, tz), label, "post", f"/press/{p.release_id}" if p.release_id else "/press"))
    for day in out.values():
        day.sort(key=lambda e: (e.at, e.kind))
    return out


@router.get("/calendar")
def calendar(request: Request, view: str = "month", day: str | None = None, user: User = Depends(officer),
             session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    tz = settings.office.timezone
    view = view if view in ("day", "week", "month") else "month"
    today = datetime.now(ZoneInfo(tz)).date()
    anchor = forms.day(day, "日期") or today
    first, last = span(view, anchor)
    step = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=31)}[view]
    prev_day = (anchor.replace(day=1) - timedelta(days=1)) if view == "month" else anchor - step
    next_day = (anchor.replace(day=1) + step).replace(day=1) if view == "month" else anchor + step
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    title = {"day": roc.roc_date(anchor) + roc.roc_weekday(anchor),
             "week": f"{roc.roc_date(first)} – {roc.roc_date(last)}",
             "month": f"{anchor.year - 1911}年{anchor.month}月"}[view]
    return render(request, "calendar.html", view=view, days=days, anchor=anchor, today=today, title=title,
                  events=events(session, first, last, tz), prev_day=prev_day, next_day=next_day,
                  weekdays="一二三四五六日")
