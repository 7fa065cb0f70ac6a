"""The release workflow: draft → review → approved → scheduled → published | failed | withdrawn.

Every move is a stored :class:`Transition` (who, when, from, to). Only approved releases can be
scheduled and published; editing an approved or scheduled release sends it back to review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Post, Release, Transition, utcnow
from pipeline.settings import Settings

#: Allowed moves, as data: state → the states it may go to.
MOVES: dict[str, frozenset[str]] = {
    "": frozenset({"draft"}),
    "draft": frozenset({"review", "withdrawn"}),
    "review": frozenset({"approved", "draft", "withdrawn"}),
    "approved": frozenset({"scheduled", "review", "withdrawn"}),
    "scheduled": frozenset({"published", "failed", "review", "withdrawn"}),
    "failed": frozenset({"scheduled", "review", "withdrawn"}),
    "published": frozenset({"withdrawn"}),
    "withdrawn": frozenset(),
}
EDITABLE = ("title", "body", "agency", "url")


class WorkflowError(ValueError):
    """A move the workflow does not allow; the message says why."""


def record(
    session: Session,
    release: Release,
    old: str,
    new: str,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> Transition:
    step = Transition(
        release_id=release.id, from_status=old, to_status=new, actor=actor, note=note, at=at or utcnow()
    )
    session.add(step)
    return step


def move(
    session: Session,
    release: Release,
    new: str,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    old = release.status
    if new not in MOVES.get(old, frozenset()):
        allowed = ", ".join(sorted(MOVES.get(old, frozenset()))) or "nothing"
        raise WorkflowError(f"release {release.id} is {old}: it cannot become {new} (allowed: {allowed})")
    release.status = new
    release.updated_at = at or utcnow()
    record(session, release, old, new, actor, note, at)


def submit(session: Session, release: Release, actor: str) -> None:
    move(session, release, "review", actor)


def approve(
    session: Session, release: Release, actor: str, settings: Settings, at: datetime | None = None
) -> None:
    """Approve a release in review; with ``press.second_approver`` the author cannot approve it."""
    if release.status != "review":
        raise WorkflowError(
            f"release {release.id} is {release.status}: only a release in review can be approved"
        )
    if settings.press.second_approver and actor == release.author:
        raise WorkflowError(
            f"release {release.id}: {actor} wrote it and cannot approve it "
            "(press.second_approver requires a second person)"
        )
    at = at or utcnow()
    move(session, release, "approved", actor, at=at)
    release.approved_by, release.approved_at = actor, at


def edit(session: Session, release: Release, actor: str, **changes: str) -> None:
    """Change the text; an approved or scheduled release goes back to review (its posts are held)."""
    bad = sorted(set(changes) - set(EDITABLE))
    if bad:
        raise WorkflowError(f"cannot edit {', '.join(bad)} (editable: {', '.join(EDITABLE)})")
    if release.status in ("published", "withdrawn"):
        raise WorkflowError(f"release {release.id} is {release.status}: it can no longer be edited")
    for key, value in changes.items():
        setattr(release, key, value)
    if release.status in ("approved", "scheduled", "failed"):
        move(session, release, "review", actor, note="edited after approval")
        release.approved_by = release.approved_at = None
        _hold_posts(session, release)


def withdraw(session: Session, release: Release, actor: str, note: str | None = None) -> None:
    move(session, release, "withdrawn", actor, note)
    _hold_posts(session, release, to="withdrawn")


def _hold_posts(session: Session, release: Release, to: str = "draft") -> None:
    """Posts not yet out stop waiting (``draft``: rescheduled on the next approval)."""
    pending = ("draft", "scheduled", "retrying", "waiting", "held")
    for post in session.scalars(select(Post).where(Post.release_id == release.id, Post.status.in_(pending))):
        post.status = to


def history(session: Session, release_id: int) -> list[Transition]:
    return list(
        session.scalars(
            select(Transition)
            .where(Transition.release_id == release_id)
            .order_by(Transition.id)
        )
    )
