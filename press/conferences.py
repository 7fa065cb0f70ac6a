"""Press conferences as records: planned from a media advisory or the Mayor's schedule (or by hand),
then held or cancelled. Each has an agency, a topic, a place and a time; ``mayor`` marks a city-level
(府級) conference the Mayor hosts, which the office's report counts (計安排市長主持 N 場府級記者會).

Planning from the same release twice adds nothing (a key per release entry).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import PressConference, Release, utcnow
from pipeline.settings import Settings
from press.drafting import schedule_entries
from press.roc import month_key, parse_local_datetime
from press.tally import TallyRow

STATUSES = ("planned", "held", "cancelled")
CONFERENCE_WORDS = ("記者會", "記者說明會", "聯合採訪")


class ConferenceError(ValueError):
    """A conference cannot be recorded or changed as asked; the message says why."""


def mayor_names(settings: Settings) -> list[str]:
    """How the Mayor is named: officials with an alias like 蔣市長 or 臺北市長 (not 副市長), and 市長."""
    names = ["市長"]
    for off in settings.officials:
        forms = [off.name, *off.aliases]
        if any("市長" in f and "副市長" not in f for f in forms):
            names += forms
    return names


def hosted_by_mayor(settings: Settings, host: str | None) -> bool:
    text = (host or "").replace("副市長", "")
    return any(name in text for name in mayor_names(settings))


def _check_agency(settings: Settings, agency: str) -> None:
    if agency not in settings.agency_names():
        raise ConferenceError(f"agency {agency!r} is not one of the settings' [[agencies]]")


def add(session: Session, settings: Settings, *, agency: str, topic: str, starts_at: datetime, place: str = "",
        mayor: bool | None = None, host: str | None = None, source: str = "manual",
        release_id: int | None = None, source_key: str | None = None, actor: str | None = None) -> PressConference:
    """Record a planned conference (``mayor`` defaults to whether ``host`` names the Mayor)."""
    _check_agency(settings, agency)
    if not topic.strip():
        raise ConferenceError("a conference needs a topic")
    if starts_at.tzinfo is None:
        raise ConferenceError("the conference time needs a time zone")
    now = utcnow()
    conf = PressConference(agency=agency, topic=topic.strip(), place=place.strip(), starts_at=starts_at,
                           timezone=settings.office.timezone, status="planned",
                           mayor=hosted_by_mayor(settings, host) if mayor is None else mayor, host=host,
                           source=source, release_id=release_id, source_key=source_key, created_by=actor,
                           created_at=now, updated_at=now)
    session.add(conf)
    session.flush()
    return conf


def _key(release: Release, when: datetime, topic: str) -> str:
    digest = hashlib.sha256(topic.encode()).hexdigest()[:16]
    return f"release:{release.id}:{when.isoformat()}:{digest}"


def release_day(release: Release, settings: Settings, day: date | None = None) -> date:
    """The day a schedule is for: given, else its publication or embargo day (office time)."""
    if day is not None:
        return day
    when = release.published_at or release.scheduled_at
    if when is None:
        raise ConferenceError(f"release {release.id} is not scheduled or published yet: give the day (--date)")
    return when.astimezone(ZoneInfo(settings.office.timezone)).date()


def plan_from_release(session: Session, settings: Settings, release: Release, *, actor: str | None = None,
                      day: date | None = None) -> list[PressConference]:
    """Conferences a media advisory announces (its when/place/host fields) or the Mayor's schedule lists
    (its entries that are press conferences); those already planned from it are not added again."""
    if release.kind == "advisory":
        wanted = _from_advisory(release, settings)
    elif release.kind == "schedule":
        wanted = _from_schedule(release, settings, release_day(release, settings, day))
    else:
        raise ConferenceError(f"release {release.id} is a {release.kind}: conferences are planned from an "
                              "advisory or the Mayor's schedule")
    made = []
    for when, topic, place, host, mayor in wanted:
        key = _key(release, when, topic)
        if session.scalar(select(PressConference.id).where(PressConference.source_key == key)) is not None:
            continue
        made.append(add(session, settings, agency=release.agency, topic=topic, starts_at=when, place=place,
                        mayor=mayor, host=host, source=release.kind, release_id=release.id, source_key=key,
                        actor=actor))
    return made


def _from_advisory(release: Release, settings: Settings) -> list[tuple[datetime, str, str, str | None, bool]]:
    fields = (release.meta or {}).get("fields", {})
    if not fields.get("when"):
        raise ConferenceError(f"advisory {release.id} has no time (--set when=...)")
    when = parse_local_datetime(str(fields["when"]), settings.office.timezone)
    host = str(fields.get("host") or "") or None
    return [(when, release.title, str(fields.get("place") or ""), host, hosted_by_mayor(settings, host))]


def _from_schedule(release: Release, settings: Settings,
                   day: date) -> list[tuple[datetime, str, str, str | None, bool]]:
    zone = ZoneInfo(settings.office.timezone)
    out: list[tuple[datetime, str, str, str | None, bool]] = []
    for entry in schedule_entries(release.body or ""):
        if any(word in entry["event"] for word in CONFERENCE_WORDS):
            when = datetime.combine(day, time.fromisoformat(entry["time"]), zone)
            out.append((when, entry["event"], entry["place"], "市長", True))  # the Mayor's own schedule
    return out


def set_status(session: Session, conf: PressConference, status: str, actor: str | None = None,
               note: str | None = None, now: datetime | None = None) -> PressConference:
    """Mark a planned conference held or cancelled (a cancellation needs its reason)."""
    if status not in ("held", "cancelled"):
        raise ConferenceError(f"status {status!r}: held or cancelled")
    if conf.status != "planned":
        raise ConferenceError(f"conference {conf.id} is already {conf.status}")
    if status == "cancelled" and not (note or "").strip():
        raise ConferenceError("a cancellation needs its reason (--reason)")
    conf.status, conf.closed_at = status, now or utcnow()
    conf.updated_at = conf.closed_at
    if note:
        conf.note = note.strip()
    return conf


def tally_conferences(session: Session, start: datetime, end: datetime, by: Sequence[str], *,
                      tz: str = "Asia/Taipei", status: str = "held", mayor_only: bool = False) -> list[TallyRow]:
    """Conferences (held by default) with ``start <= starts_at < end``, by month, agency and/or host."""
    bad = [b for b in by if b not in ("month", "agency", "host")]
    if bad or not by:
        raise ConferenceError(f"--by {','.join(by) or '(empty)'}: choose from month, agency, host")
    stmt = select(PressConference).where(PressConference.starts_at >= start, PressConference.starts_at < end)
    if status != "all":
        stmt = stmt.where(PressConference.status == status)
    if mayor_only:
        stmt = stmt.where(PressConference.mayor.is_(True))
    counter: Counter[tuple[str, ...]] = Counter()
    for conf in session.scalars(stmt):
        values = {"month": month_key(conf.starts_at, tz), "agency": conf.agency,
                  "host": "市長主持" if conf.mayor else "其他"}
        counter[tuple(values[b] for b in by)] += 1
    return [TallyRow(k, n) for k, n in sorted(counter.items())]
