"""Response tracking: how the city answered a flagged story.

One response per story (cluster): ``open`` when the story is flagged (:func:`track`, a stage placed
after ``store``), then ``assigned`` (agency, officer), and finally ``responded`` (a statement's text,
a link, or a press release) or ``dismissed`` (with a reason). The deadline comes from the story's
priority (``[triage] deadlines``, hours); an open or assigned response past its deadline is overdue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline.items import Item
from pipeline.models import ItemRow, MatchRow, Release, Response, utcnow
from pipeline.settings import Settings
from pipeline.stages import Context
from pipeline.stages.dedupe import take_lock

OPEN = ("open", "assigned")
STATUSES = ("open", "assigned", "responded", "dismissed")


class ResponseError(ValueError):
    """A request that cannot be done; the message says why (unknown id, agency, wrong state)."""


def deadline_for(settings: Settings, priority: str | None, start: datetime) -> datetime:
    hours = settings.triage.deadlines.get(priority or "normal", settings.triage.deadlines.get("normal", 48))
    return start + timedelta(hours=hours)


def open_response(session: Session, settings: Settings, *, cluster_id: int | None, item_id: int | None,
                  agency: str | None, priority: str | None, now: datetime | None = None) -> Response | None:
    """Open a response for a story unless it already has one; returns the new row or None."""
    if cluster_id is not None:
        existing = session.scalar(select(Response.id).where(Response.cluster_id == cluster_id).limit(1))
        if existing is not None:
            return None
    now = now or utcnow()
    row = Response(cluster_id=cluster_id, item_id=item_id, agency=agency, status="open", priority=priority,
                   deadline=deadline_for(settings, priority, now), created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def track(item: Item, ctx: Context) -> Item:
    """Stage (after ``store``): a flagged story gets an open response routed to its first agency."""
    if item.flagged:
        take_lock(ctx.session)  # two `run` processes must not open two responses for one story
        agency = (item.decision.agency if item.decision else None) or primary_agency(item) \
            or ctx.settings.office.name
        row = open_response(ctx.session, ctx.settings, cluster_id=item.cluster_id, item_id=item.id,
                            agency=agency, priority=item.priority, now=item.published_at)
        ctx.incr("responses:opened" if row else "responses:existing")
    return item


def primary_agency(item: Item) -> str | None:
    """The agency that answers: a topic's agency first (a topic is a deliberate routing rule), then
    the agency with the most distinct matched terms; ties keep the order of the matches."""
    rank: dict[str, tuple[int, int, int]] = {}
    for order, m in enumerate(item.matches):
        for agency in m.agencies:
            topic, terms, first = rank.get(agency, (0, 0, -order))
            rank[agency] = (max(topic, int(m.kind == "topic")), terms + len(set(m.terms)), first)
    return max(rank, key=lambda a: rank[a]) if rank else None


def _get(session: Session, response_id: int) -> Response:
    row = session.get(Response, response_id)
    if row is None:
        raise ResponseError(f"response {response_id}: no such response")
    return row


def _check_agency(settings: Settings, agency: str) -> None:
    known = settings.agency_names()
    if agency not in known:
        raise ResponseError(f"agency {agency!r} is not in the settings' [[agencies]] "
                            f"(known: {', '.join(known)})")


def _still_open(row: Response, expected: str | None = None) -> None:
    if row.status not in OPEN:
        raise ResponseError(f"response {row.id} is already {row.status}")
    if expected is not None and row.status != expected:
        raise ResponseError(f"response {row.id} is now {row.status}, not {expected}: someone changed it meanwhile")


def _save(session: Session, row: Response, expected: str | None, **values: Any) -> Response:
    """Write ``values`` only if the stored row is still in the state this request saw (compare-and-set):
    the dashboard, the CLI, Slack buttons and ``run`` are separate writers."""
    seen = (expected,) if expected else OPEN
    result = session.execute(update(Response).where(Response.id == row.id, Response.status.in_(seen))
                             .values(**values), execution_options={"synchronize_session": False})
    if getattr(result, "rowcount", 1) != 1:
        session.refresh(row)
        raise ResponseError(f"response {row.id} is now {row.status}: someone changed it meanwhile")
    for key, value in values.items():
        setattr(row, key, value)
    return row


def assign(session: Session, settings: Settings, response_id: int, *, agency: str | None = None,
           officer: str | None = None, now: datetime | None = None, expected: str | None = None) -> Response:
    row = _get(session, response_id)
    _still_open(row, expected)
    values: dict[str, Any] = {"status": "assigned", "updated_at": now or utcnow()}
    if agency is not None:
        _check_agency(settings, agency)
        values["agency"] = agency
    if not (officer or "").strip() and agency is None:
        raise ResponseError("assign needs an officer or an agency")
    if officer:
        values["officer"] = officer.strip()
    return _save(session, row, expected, **values)


def respond(session: Session, response_id: int, *, text: str | None = None, link: str | None = None,
            release_id: int | None = None, now: datetime | None = None, expected: str | None = None) -> Response:
    row = _get(session, response_id)
    _still_open(row, expected)
    if not (text or "").strip() and not (link or "").strip() and release_id is None:
        raise ResponseError(f"response {response_id}: give the statement text, a link or a release")
    if release_id is not None and session.get(Release, release_id) is None:
        raise ResponseError(f"release {release_id}: no such press release")
    at = now or utcnow()
    return _save(session, row, expected, text=text or None, link=link or None, release_id=release_id,
                 status="responded", responded_at=at, updated_at=at)


def dismiss(session: Session, response_id: int, reason: str, now: datetime | None = None,
            expected: str | None = None) -> Response:
    row = _get(session, response_id)
    _still_open(row, expected)
    if not reason.strip():
        raise ResponseError(f"response {response_id}: dismissing needs a reason")
    return _save(session, row, expected, reason=reason.strip(), status="dismissed", updated_at=now or utcnow())


def listing(session: Session, *, status: str | None = None, agency: str | None = None,
            overdue: bool = False, now: datetime | None = None) -> list[Response]:
    q = select(Response).order_by(Response.deadline.is_(None), Response.deadline, Response.id)
    if status:
        q = q.where(Response.status == status)
    if agency:
        q = q.where(Response.agency == agency)
    if overdue:
        q = q.where(Response.status.in_(OPEN), Response.deadline < (now or utcnow()))
    return list(session.scalars(q))


def is_overdue(row: Response, now: datetime | None = None) -> bool:
    return row.status in OPEN and row.deadline is not None and row.deadline < (now or utcnow())


@dataclass(frozen=True)
class TallyRow:
    key: tuple[str, ...]
    count: int


def tally(session: Session, start: datetime, end: datetime, by: Sequence[str], zone: str) -> list[TallyRow]:
    """Responded stories with ``start <= responded_at < end``, counted by agency and/or month (local)."""
    rows = session.execute(select(Response.agency, Response.responded_at).where(
        Response.status == "responded", Response.responded_at >= start, Response.responded_at < end))
    return _count(((agency, at) for agency, at in rows), by, zone)


def tally_routed(session: Session, start: datetime, end: datetime, by: Sequence[str],
                 zone: str) -> list[TallyRow]:
    """Items routed to each agency (an item counts once per agency) by the item's time, local."""
    when = func.coalesce(ItemRow.published_at, ItemRow.collected_at)
    rows = session.execute(select(MatchRow.agency, ItemRow.published_at, ItemRow.collected_at)
                           .join(ItemRow, MatchRow.item_id == ItemRow.id)
                           .where(when >= start, when < end)
                           .group_by(MatchRow.agency, ItemRow.id))
    return _count(((agency, pub or seen) for agency, pub, seen in rows), by, zone)


def _count(rows: Iterable[tuple[str | None, datetime | None]], by: Sequence[str],
           zone: str) -> list[TallyRow]:
    for b in by:
        if b not in ("agency", "month"):
            raise ResponseError(f"--by {b!r}: choose from agency, month")
    tz = ZoneInfo(zone)
    counts: Counter[tuple[str, ...]] = Counter()
    for agency, at in rows:
        if at is None:
            continue
        parts = {"agency": agency or "(none)", "month": at.astimezone(tz).strftime("%Y-%m")}
        counts[tuple(parts[b] for b in by)] += 1
    return [TallyRow(k, v) for k, v in sorted(counts.items())]
