"""The release workflow: draft → review → approved → scheduled → published | failed | withdrawn.

Every move is a stored :class:`Transition` (who, when, from, to). Only approved releases can be
scheduled and published; editing an approved or scheduled release sends it back to review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.models import Post, Release, Transition, utcnow
from pipeline.settings import Settings
from pipeline.users import normalize_name

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
    if release.id is not None and not _compare_and_set(session, release, old, new):
        raise WorkflowError(f"release {release.id} was changed by someone else meanwhile (it is no longer {old}); "
                            "reload and try again")
    release.status = new
    release.updated_at = at or utcnow()
    record(session, release, old, new, actor, note, at)


def _compare_and_set(session: Session, release: Release, old: str, new: str) -> bool:
    """Move the stored row only if it is still ``old``: the web server and ``run`` are separate writers."""
    session.flush()
    result = session.execute(
        update(Release).where(Release.id == release.id, Release.status == old).values(status=new),
        execution_options={"synchronize_session": False},
    )
    return getattr(result, "rowcount", 1) == 1


def is_author(release: Release, actor: str, actor_id: int | None) -> bool:
    """Whether ``actor`` wrote ``release``: by user id when both are known, else by normalised name
    (releases drafted before accounts existed)."""
    if actor_id is not None and release.author_id is not None:
        return actor_id == release.author_id
    return normalize_name(actor) == normalize_name(release.author or "")


#: Kinds whose document is the body: an empty one cannot go to review (an advisory's facts are fields).
NEEDS_BODY = ("release", "statement", "schedule")


def submit(session: Session, release: Release, actor: str) -> None:
    """Send a draft for review; a release, statement or schedule with an empty body is refused."""
    if release.kind in NEEDS_BODY and not (release.body or "").strip():
        raise WorkflowError(f"release {release.id} has an empty body: write it first "
                            f"(`newsdesk press edit {release.id} --body FILE`)")
    move(session, release, "review", actor)


def approve(
    session: Session,
    release: Release,
    actor: str,
    settings: Settings,
    at: datetime | None = None,
    *,
    actor_id: int | None = None,
) -> None:
    """Approve a release in review; with ``press.second_approver`` the author cannot approve it."""
    if release.status != "review":
        raise WorkflowError(
            f"release {release.id} is {release.status}: only a release in review can be approved"
        )
    if settings.press.second_approver and is_author(release, actor, actor_id):
        raise WorkflowError(
            f"release {release.id}: {actor} wrote it and cannot approve it "
            "(press.second_approver requires a second person)"
        )
    at = at or utcnow()
    move(session, release, "approved", actor, at=at)
    release.approved_by, release.approved_at, release.approved_by_id = actor, at, actor_id


def edit(session: Session, release: Release, actor: str, **changes: str) -> None:
    """Change the text; an approved or scheduled release goes back to review (its posts are held)."""
    bad = sorted(set(changes) - set(EDITABLE))
    if bad:
        raise WorkflowError(f"cannot edit {', '.join(bad)} (editable: {', '.join(EDITABLE)})")
    if release.status in ("published", "withdrawn"):
        raise WorkflowError(f"release {release.id} is {release.status}: it can no longer be edited")
    _keep_version(release, actor)
    for key, value in changes.items():
        setattr(release, key, value)
    if release.status in ("approved", "scheduled", "failed"):
        move(session, release, "review", actor, note="edited after approval")
        release.approved_by = release.approved_at = release.approved_by_id = None
        _hold_posts(session, release)


def _keep_version(release: Release, actor: str) -> None:
    """The text before an edit goes to ``meta["versions"]``, so the history can show what changed."""
    meta = dict(release.meta or {})
    versions = list(meta.get("versions", []))
    versions.append({"title": release.title, "body": release.body or "", "by": actor, "at": utcnow().isoformat(),
                     "author": release.author})
    meta["versions"] = versions[-50:]
    release.meta = meta  # a new dict, so SQLAlchemy sees the JSON column change


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
