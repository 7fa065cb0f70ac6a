"""Coverage: items routed to each agency per day and the share of them that is negative, with the
days on which a spike alert (pipeline.spikes) fired for that agency marked."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from pipeline.models import Alert, ItemRow, MatchRow, SentimentScore, User
from pipeline.settings import Settings
from web import forms
from web.deps import DB, csrf_check, officer, settings_of
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])


def coverage(session: Session, first: date, last: date, tz: str) -> dict[str, dict[date, list[int]]]:
    """agency → day → [items, negative items] (an item counts once per agency)."""
    zone = ZoneInfo(tz)
    lo, hi = datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone)
    when = func.coalesce(ItemRow.published_at, ItemRow.collected_at)
    rows = session.execute(select(MatchRow.agency, ItemRow.id, ItemRow.published_at, ItemRow.collected_at)
                           .join(ItemRow, MatchRow.item_id == ItemRow.id).where(when >= lo, when < hi)
                           .group_by(MatchRow.agency, ItemRow.id)).all()
    negative = set(session.scalars(select(SentimentScore.item_id).join(ItemRow, SentimentScore.item_id == ItemRow.id)
                                   .where(when >= lo, when < hi, SentimentScore.label == "negative")))
    out: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for agency, item_id, pub, seen in rows:
        cell = out[agency or "（未分派）"][(pub or seen).astimezone(zone).date()]
        cell[0] += 1
        cell[1] += item_id in negative
    return out


def spikes(session: Session, first: date, last: date, tz: str) -> set[tuple[str, date]]:
    """(agency, day) of the spike alerts written in the range (one per notifier; deduplicated)."""
    zone = ZoneInfo(tz)
    lo, hi = datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone)
    marks = set()
    for payload in session.scalars(select(Alert.payload).where(Alert.kind == "spike", Alert.created_at >= lo,
                                                               Alert.created_at < hi)):
        p: dict[str, Any] = payload or {}
        if p.get("scope") == "agency" and p.get("window_end"):
            marks.add((str(p["name"]), datetime.fromisoformat(p["window_end"]).astimezone(zone).date()))
    return marks


@router.get("/coverage")
def coverage_page(request: Request, days: int = 14, until: str | None = None, user: User = Depends(officer),
                  session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    tz = settings.office.timezone
    last = forms.day(until, "迄日") or datetime.now(ZoneInfo(tz)).date()
    days = min(max(days, 1), 92)
    first = last - timedelta(days=days - 1)
    table = coverage(session, first, last, tz)
    order = settings.agency_names()
    agencies = sorted(table, key=lambda a: (-sum(c[0] for c in table[a].values()),
                                            order.index(a) if a in order else len(order)))
    span = [first + timedelta(days=i) for i in range(days)]
    top = agencies[:6]
    chart = {"labels": [f"{d.month}/{d.day}" for d in span], "type": "line",
             "series": [{"label": a, "data": [table[a].get(d, [0, 0])[0] for d in span]} for a in top]}
    return render(request, "coverage.html", table=table, agencies=agencies, span=span, days=days, last=last,
                  spikes=spikes(session, first, last, tz), chart=chart,
                  totals={a: sum(c[0] for c in table[a].values()) for a in agencies})
