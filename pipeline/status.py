"""What ``newsdesk status`` reports: each worker and notifier, the jobs, and anything stuck.

Read from the database only, so it works from any machine against the shared database and shows
every process, wherever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.heartbeat import STALE_AFTER
from pipeline.leases import owner_alive
from pipeline.models import Alert, Job, Post, Source, Worker, utcnow

WAITING = ("pending", "sending", "failed")
LATE = timedelta(minutes=10)  # an alert due this long and not sent is stuck


@dataclass
class Status:
    now: datetime
    workers: list[dict[str, Any]] = field(default_factory=list)
    notifiers: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)
    stuck: list[str] = field(default_factory=list)


def _lease_dead(owner: str | None, until: datetime | None, now: datetime) -> bool:
    return bool(owner) and ((until is not None and until < now) or not owner_alive(owner))


def workers(session: Session, now: datetime, out: Status) -> None:
    for w in session.scalars(select(Worker).order_by(Worker.kind, Worker.name, Worker.started_at)):
        stale = w.state != "stopped" and now - w.seen_at > STALE_AFTER
        out.workers.append({"kind": w.kind, "name": w.name, "where": f"{w.host}:{w.pid}", "state":
                            "stale" if stale else w.state, "seen": w.seen_at, "done": w.done, "errors": w.errors,
                            "last_error": w.last_error, "last_error_at": w.last_error_at})
        if stale and now - w.seen_at < timedelta(days=1):
            out.stuck.append(f"{w.kind} worker {w.name} on {w.host}:{w.pid} silent since "
                             f"{w.seen_at:%Y-%m-%d %H:%M} UTC")


def notifiers(session: Session, now: datetime, out: Status) -> None:
    rows = session.execute(select(Alert.notifier, Alert.status, func.count(), func.min(Alert.next_attempt_at))
                           .group_by(Alert.notifier, Alert.status)).all()
    per: dict[str, dict[str, Any]] = {}
    for name, status, count, oldest in rows:
        entry = per.setdefault(name, {"name": name, "counts": {}, "oldest_due": None, "last_sent": None})
        entry["counts"][status] = count
        if status in WAITING and oldest is not None and (entry["oldest_due"] is None or oldest < entry["oldest_due"]):
            entry["oldest_due"] = oldest
    for name, entry in per.items():
        entry["last_sent"] = session.scalar(select(func.max(Alert.sent_at)).where(Alert.notifier == name))
        late = session.scalar(select(func.count()).select_from(Alert).where(
            Alert.notifier == name, Alert.status.in_(WAITING), Alert.next_attempt_at < now - LATE))
        if late:
            out.stuck.append(f"{late} {name} alert(s) due for more than {int(LATE.total_seconds() // 60)} min")
        if entry["counts"].get("dead"):
            out.stuck.append(f"{entry['counts']['dead']} {name} alert(s) dead: `newsdesk alerts failed`")
    out.notifiers = sorted(per.values(), key=lambda e: e["name"])
    for a in session.scalars(select(Alert).where(Alert.status == "sending")):
        if _lease_dead(a.lease_owner, a.lease_until, now):
            out.stuck.append(f"alert {a.id} left sending by a stopped worker (the next pass looks it up)")


def jobs(session: Session, now: datetime, out: Status) -> None:
    for j in session.scalars(select(Job).order_by(Job.name)):
        out.jobs.append({"name": j.name, "next_run": j.next_run_at, "last_finished": j.last_finished_at,
                         "runs": j.runs, "failures": j.failures, "last_error": j.last_error,
                         "running": j.lease_owner is not None and not _lease_dead(j.lease_owner, j.lease_until, now)})
        if j.last_error:
            out.stuck.append(f"job {j.name} failed last time: {j.last_error[:200]}")


def sources_and_posts(session: Session, now: datetime, out: Status) -> None:
    rows = list(session.scalars(select(Source)))
    out.sources = {"total": len(rows), "disabled": sum(r.disabled for r in rows),
                   "failing": sum(1 for r in rows if r.failures and not r.disabled),
                   "crawling": sum(1 for r in rows if r.lease_owner and not _lease_dead(r.lease_owner,
                                                                                         r.lease_until, now))}
    if out.sources["disabled"]:
        out.stuck.append(f"{out.sources['disabled']} source(s) disabled: `newsdesk sources status`")
    for p in session.scalars(select(Post).where(Post.status.in_(("publishing", "held")))):
        if p.status == "held":
            out.stuck.append(f"post {p.id} ({p.platform}) held for a person: {(p.meta or {}).get('note', '')}")
        elif _lease_dead(p.lease_owner, p.lease_until, now):
            out.stuck.append(f"post {p.id} ({p.platform}) left publishing by a stopped process (it will be checked)")


def collect(session: Session, now: datetime | None = None) -> Status:
    out = Status(now or utcnow())
    for part in (workers, notifiers, jobs, sources_and_posts):
        part(session, out.now, out)
    return out
