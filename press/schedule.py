"""Scheduling and publishing: posts go out at their (IANA-zoned) time, exactly once.

:func:`schedule_release` turns an approved release into one post per platform at the embargo time
or the platform's next slot. :func:`run_due` is what the single scheduler process calls on an
interval: it publishes the releases and posts that are due. Before a platform is called, the post
is *claimed*: one ``UPDATE`` gives it a lease (owner and expiry, :mod:`pipeline.leases`), only if it
is still in the state we read and nobody holds it, so any number of schedulers and workers publish
each post once; a live ``publishing`` lease is never taken over, and every write after the call is
fenced by the lease (a holder that lost it writes nothing). A ``started`` attempt is committed with
the claim; the platform's id is committed right after. A post whose last try
has an unknown outcome (a process left it ``publishing`` and its lease expired or its process is
gone; the platform's answer was lost) is never
sent again blindly: :func:`settle_uncertain` asks the platform first (``Publisher.confirm``) and
records it as published, sends it again where that cannot make a second post, or holds it for a
person.
"""

from __future__ import annotations

import logging
import mimetypes
import time as clock
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from pipeline import leases
from pipeline.models import Alert, Post, PublishAttempt, Release
from pipeline.redact import redact
from pipeline.settings import Settings
from press import publishers as registry
from press import roc, templating
from press.drafting import context
from press.feed import write_feed
from press.publishers.base import UNKNOWN, Outgoing, Published, Publisher, PublishError
from press.workflow import WorkflowError, move

log = logging.getLogger(__name__)
NEEDS_MEDIA = {"instagram": ("image/", "video/"), "youtube": ("video/",)}
MEDIA_KINDS = {
    "facebook": ("image/",),
    "instagram": ("image/", "video/"),
    "threads": ("image/",),
    "youtube": ("video/",),
}
PENDING = ("scheduled", "retrying", "publishing")  # publishing: only once its lease is free
LEASE_SECONDS = 1800.0  # a publish (an upload, container polling) may take long; renewed on progress


class ScheduleError(ValueError):
    """A release cannot be scheduled as asked; the message says why (every problem, not the first)."""


@dataclass
class RunSummary:
    releases: int = 0
    published: int = 0
    simulated: int = 0
    retrying: int = 0
    waiting: int = 0
    failed: int = 0
    held: int = 0
    deferred: int = 0
    rescheduled: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        counts = {k: v for k, v in self.__dict__.items() if isinstance(v, int) and v}
        return ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing due"


def next_slot(after: datetime, slots: Sequence[str], tz: str) -> datetime:
    """The first slot (``HH:MM`` in ``tz``) at or after ``after``; ``after`` itself without slots."""
    if not slots:
        return after
    zone = ZoneInfo(tz)
    local = after.astimezone(zone)
    for day in range(0, 8):
        d = local.date() + timedelta(days=day)
        for slot in slots:
            candidate = datetime.combine(d, time.fromisoformat(slot), zone)
            if candidate >= local:
                return candidate
    raise ScheduleError(f"no slot found after {after}")  # unreachable with a non-empty slot list


def media_items(paths: Sequence[str], base_url: str) -> list[dict[str, Any]]:
    """Media files given to ``press schedule --media``; a public URL is made from press.media_base_url."""
    items = []
    for raw in paths:
        if raw.startswith(("http://", "https://")):
            items.append({"url": raw, "type": mimetypes.guess_type(raw)[0]})
            continue
        path = Path(raw)
        if not path.is_file():
            raise ScheduleError(f"--media {raw}: no such file")
        item: dict[str, Any] = {
            "path": str(path),
            "type": mimetypes.guess_type(path.name)[0],
            "bytes": path.stat().st_size,
        }
        if base_url:
            item["url"] = f"{base_url.rstrip('/')}/{path.name}"
        items.append(item)
    return items


def media_type(media: Sequence[Mapping[str, Any]]) -> str:
    """``video``, ``image`` or ``text``: what a post carries, as the office's report counts posts."""
    kinds = [str(m.get("type") or "") for m in media]
    if any(k.startswith("video/") for k in kinds):
        return "video"
    return "image" if any(k.startswith("image/") for k in kinds) else "text"


def _media_for(platform: str, media: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kinds = MEDIA_KINDS.get(platform)
    if not kinds:
        return []
    return [m for m in media if str(m.get("type") or "").startswith(kinds)][:1]


def post_text(release: Release, settings: Settings, platform: str) -> str:
    env = templating.environment(settings)
    return templating.render(env, f"post_{platform}.txt.j2", context(release, settings)).strip()


def schedule_release(
    session: Session,
    settings: Settings,
    release: Release,
    at: datetime,
    actor: str,
    *,
    now: datetime,
    platforms: Sequence[str] | None = None,
    tz: str | None = None,
    media: list[dict[str, Any]] | None = None,
    publishers: Mapping[str, Publisher] | None = None,
) -> list[Post]:
    """Schedule an approved release at ``at`` (its embargo) and one post per platform."""
    if release.status not in ("approved", "failed"):
        raise WorkflowError(
            f"release {release.id} is {release.status}: only approved releases can be scheduled"
        )
    if at.tzinfo is None:
        raise ScheduleError("the publication time needs a timezone")
    if at <= now:
        raise ScheduleError(
            f"release {release.id}: {roc.roc_datetime(at, tz or release.timezone)} is in the past "
            f"(now {roc.roc_datetime(now, tz or release.timezone)})"
        )
    tz = tz or release.timezone
    ZoneInfo(tz)  # an unknown zone fails here, before anything is stored
    pubs = dict(publishers) if publishers is not None else registry.build(settings)
    media = media or []
    chosen = (
        list(platforms)
        if platforms is not None
        else [
            p
            for p in pubs
            if p not in NEEDS_MEDIA or any(str(m.get("type") or "").startswith(NEEDS_MEDIA[p]) for m in media)
        ]
    )
    problems, posts = [], []
    for name in chosen:
        pub = pubs.get(name)
        if pub is None:
            problems.append(f"{name}: not enabled in press.platforms")
            continue
        slots = settings.press.platforms[name].slots if name in settings.press.platforms else []
        outgoing = Outgoing(
            0, name, post_text(release, settings, name), release.title, release.url, _media_for(name, media)
        )
        problems += pub.validate(outgoing)
        posts.append(
            Post(
                release_id=release.id,
                platform=name,
                text=outgoing.text,
                media=outgoing.media,
                media_type=media_type(outgoing.media),
                status="scheduled",
                scheduled_at=next_slot(at, slots, tz),
                timezone=tz,
                meta={"attempts": 0, "embargo": at.isoformat()},
            )
        )
    if problems:
        raise ScheduleError(f"release {release.id} cannot be scheduled:\n  " + "\n  ".join(problems))
    release.scheduled_at, release.timezone = at, tz
    for old in session.scalars(select(Post).where(Post.release_id == release.id, Post.status == "draft")):
        session.delete(old)  # posts held when the release went back to review are replaced
    move(session, release, "scheduled", actor, note=f"at {roc.roc_datetime(at, tz)} {tz}", at=now)
    session.add_all(posts)
    session.flush()
    return posts


def plan_due(session: Session, settings: Settings, at: datetime,
             publishers: Mapping[str, Publisher] | None = None) -> list[str]:
    """What :func:`run_due` would do at ``at``, one line each, changing nothing (``publish --dry-run``)."""
    pubs = dict(publishers) if publishers is not None else registry.build(settings)
    tz = settings.office.timezone
    lines: list[str] = []
    out_by_then = set(session.scalars(select(Release.id).where(Release.status == "published")))
    for release in session.scalars(select(Release).where(Release.status == "scheduled", Release.scheduled_at <= at)
                                   .order_by(Release.scheduled_at, Release.id)):
        assert release.scheduled_at is not None
        out_by_then.add(release.id)
        lines.append(f"release {release.id}: would be published "
                     f"(embargo {roc.roc_datetime(release.scheduled_at, tz)}) {release.title}")
    posts = session.scalars(select(Post).where(Post.status.in_(PENDING), Post.scheduled_at <= at)
                            .order_by(Post.scheduled_at, Post.id))
    for post in posts:
        assert post.scheduled_at is not None
        when = roc.roc_datetime(post.scheduled_at, tz)
        pub = pubs.get(post.platform)
        if post.release_id is not None and post.release_id not in out_by_then:
            what = "would wait: its release is not out yet"
        elif pub is None:
            what = f"would be held: {post.platform} is not enabled"
        elif getattr(pub, "dry_run", False):
            what = "would be simulated (dry run: the platform's token is not set)"
        else:
            what = "would be published"
        lines.append(f"post {post.id} ({post.platform}, due {when}): {what}")
    return lines


def run_due(
    session: Session, settings: Settings, now: datetime, publishers: Mapping[str, Publisher] | None = None
) -> RunSummary:
    """Publish every release and post that is due at ``now``; commits after each step."""
    pubs = dict(publishers) if publishers is not None else registry.build(settings)
    summary = RunSummary()
    for release in session.scalars(
        select(Release).where(Release.status == "scheduled", Release.scheduled_at <= now)
    ).all():
        move(session, release, "published", "scheduler", at=now)
        release.published_at = now
        summary.releases += 1
        session.commit()
    if summary.releases:
        write_feed(session, settings)
    session.commit()  # the lease look-ups below use their own connections
    sessions = sessionmaker(session.get_bind(), expire_on_commit=False)
    free = leases.free(Post, now, leases.dead_owners(sessions, Post, now=now))
    posts = session.scalars(
        select(Post)
        .where(Post.status.in_(PENDING), Post.scheduled_at <= now, or_(Post.status != "publishing", free))
        .order_by(Post.scheduled_at, Post.id)
    ).all()
    for post in posts:
        _run_post(session, settings, post, pubs.get(post.platform), now, summary)
        session.commit()
    return summary


def _meta(post: Post, **values: Any) -> None:
    post.meta = {**(post.meta or {}), **values}
    flag_modified(post, "meta")


def _due_at(post: Post) -> datetime | None:
    value = (post.meta or {}).get("next_attempt_at")
    return datetime.fromisoformat(value) if value else post.scheduled_at


def _run_post(
    session: Session,
    settings: Settings,
    post: Post,
    pub: Publisher | None,
    now: datetime,
    summary: RunSummary,
) -> None:
    release = session.get(Release, post.release_id) if post.release_id else None
    if release is not None and release.status != "published":
        return  # embargo not lifted yet (or the release went back to review)
    if pub is None:
        post.status = "held"
        _meta(post, note=f"platform {post.platform} is not enabled")
        summary.held += 1
        return
    outgoing = Outgoing(
        post.id,
        post.platform,
        post.text,
        release.title if release else "",
        release.url if release else None,
        list(post.media or []),
        f"newsdesk-post-{post.id}",
        dict(post.meta or {}),
        now,
    )
    limit = settings.press.max_attempts
    owner = None
    if post.status == "publishing":  # its lease is free: the holder stopped, the outcome is unknown
        owner = _claim(session, post, now)
        if owner is None:
            return  # another scheduler took it first
        if settle_uncertain(session, post, pub, outgoing, now, summary, limit):
            _release(session, post, owner)
            return  # confirmed, held or asked again later
    if not _ready(session, settings, post, pub, outgoing, now, summary, limit):
        if owner is not None:
            _release(session, post, owner)
        return
    if owner is None:
        owner = _claim(session, post, now)
        if owner is None:
            return  # another scheduler process took it (or it changed since we read it)
    post.status = "publishing"
    _publish(session, settings, post, pub, outgoing, owner, now, summary)


def _ready(session: Session, settings: Settings, post: Post, pub: Publisher, outgoing: Outgoing, now: datetime,
           summary: RunSummary, limit: int) -> bool:
    """Whether the post goes out now: due, its last outcome settled, its slot, the daily limit, valid."""
    due = _due_at(post)
    if due is not None and due > now:
        return False
    if (post.meta or {}).get("uncertain") and settle_uncertain(session, post, pub, outgoing, now, summary, limit):
        return False
    if post.status == "scheduled" and post.scheduled_at and _missed(post, settings, now, summary):
        return False
    if pub.daily_limit and _published_last_day(session, post.platform, now) >= pub.daily_limit:
        _meta(post, next_attempt_at=(now + timedelta(hours=1)).isoformat())
        summary.deferred += 1
        return False
    problems = pub.validate(outgoing)
    if problems:
        _fail(session, post, now, summary, "invalid", "; ".join(problems))
        return False
    return True


def _publish(session: Session, settings: Settings, post: Post, pub: Publisher, outgoing: Outgoing, owner: str,
             now: datetime, summary: RunSummary) -> None:
    """Call the platform for a claimed post and record the outcome, fenced by the lease."""
    for stale in session.scalars(
        select(PublishAttempt).where(PublishAttempt.post_id == post.id, PublishAttempt.status == "started")
    ):
        stale.status = "interrupted"  # the process that made it stopped before recording an outcome
    attempt = PublishAttempt(post_id=post.id, platform=post.platform, status="started", at=now)
    session.add(attempt)
    _meta(post, attempts=int((post.meta or {}).get("attempts", 0)) + 1)
    session.commit()  # the try is on record before the platform is called
    started = clock.monotonic()

    def progress(values: dict[str, Any]) -> None:
        _meta(post, **values)
        # Renew the lease: ``now`` moved on by the time this publish has taken so far.
        until = now + timedelta(seconds=clock.monotonic() - started + LEASE_SECONDS)
        leases.fenced(session, Post, post.id, owner, lease_until=until)
        session.commit()

    try:
        result = pub.publish(outgoing, progress)
    except PublishError as exc:
        attempt.status, attempt.error_code, attempt.error = exc.kind, exc.code, exc.message
        _classify(session, settings, post, exc, now, summary)
        _release(session, post, owner)
        return
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the post or post it twice
        error = redact(f"{type(exc).__name__}: {exc}")
        attempt.status, attempt.error_code, attempt.error = "error", type(exc).__name__, error
        post.status = "held" if not pub.idempotent else "retrying"
        _meta(post, next_attempt_at=(now + timedelta(minutes=settings.press.retry_minutes)).isoformat(),
              uncertain=True)
        summary.problems.append(f"post {post.id} ({post.platform}): unexpected {error}")
        summary.held += post.status == "held"
        summary.retrying += post.status == "retrying"
        _release(session, post, owner)
        return
    attempt.status, attempt.external_id = "published", result.external_id
    _record_published(post, pub, result, now, summary)
    _release(session, post, owner)


def _release(session: Session, post: Post, owner: str) -> None:
    """End the lease with the outcome; if the lease was lost meanwhile, keep the new holder's work."""
    if not leases.release(session, Post, post.id, owner, status=post.status):
        log.warning("post %s: lease lost while publishing; another scheduler owns it now", post.id)
        session.rollback()
        return
    session.commit()


def _record_published(post: Post, pub: Publisher, result: Published, now: datetime, summary: RunSummary) -> None:
    post.external_id, post.published_at = result.external_id, now
    dry = bool(getattr(pub, "dry_run", False))
    post.status = "simulated" if dry else "published"
    _meta(post, url=result.url, next_attempt_at=None, uncertain=None)
    if dry:
        summary.simulated += 1
    else:
        summary.published += 1


def settle_uncertain(
    session: Session,
    post: Post,
    pub: Publisher,
    outgoing: Outgoing,
    now: datetime,
    summary: RunSummary,
    max_attempts: int | None = None,
) -> bool:
    """Ask the platform what became of a try whose outcome is unknown (``Publisher.confirm``).

    For a post left ``publishing`` by a process that stopped (a crash, an expired lease) or whose
    last try ended ``unknown``. True when the post is dealt with for now: found on the platform
    (recorded as published), held for a person (the platform cannot tell), or to be asked again
    later (the platform could not be reached), or failed when it is not on the platform and
    ``max_attempts`` tries were made. False: it is not on the platform and sending it again cannot
    make a second post; the caller goes on and publishes.
    """
    for stale in session.scalars(
        select(PublishAttempt).where(PublishAttempt.post_id == post.id, PublishAttempt.status == "started")
    ):
        stale.status = "interrupted"  # the process that made it stopped before recording an outcome
    try:
        verdict = pub.confirm(outgoing)
    except PublishError as exc:
        if exc.kind == "retryable":
            post.status = "retrying"
            _meta(post, uncertain=True, next_attempt_at=(now + timedelta(seconds=exc.retry_after or 300)).isoformat(),
                  error=f"confirming the last try: {exc}")
            summary.retrying += 1
            return True
        verdict = UNKNOWN
    if isinstance(verdict, Published):
        session.add(PublishAttempt(post_id=post.id, platform=post.platform, status="published",
                                   error_code="confirmed", external_id=verdict.external_id, at=now))
        _record_published(post, pub, verdict, now, summary)
        return True
    if verdict is UNKNOWN:
        post.status = "held"
        _meta(post, note="outcome of the last try unknown and the platform cannot tell: check it, then "
              "`newsdesk press retry` (or leave it if it is there)", uncertain=None)
        summary.held += 1
        summary.problems.append(f"post {post.id} ({post.platform}): held, outcome of the last try unknown")
        return True
    _meta(post, uncertain=None)
    if max_attempts and int((post.meta or {}).get("attempts", 0)) >= max_attempts:
        post.status = "failed"
        _meta(post, error=f"not published after {max_attempts} tries (the platform confirms it is not there)")
        summary.failed += 1
        summary.problems.append(f"post {post.id} ({post.platform}): failed, not published after {max_attempts} tries")
        return True
    if post.status == "publishing":
        post.status = "retrying"  # so the claim below sees the status it expects
    return False


def _claim(session: Session, post: Post, now: datetime) -> str | None:
    """Lease the post as ``publishing`` if it is still as we read it; the lease owner, or None.

    Changes made to ``post`` before the claim (meta, a moved slot) are committed first.
    """
    before, attempts = post.status, int((post.meta or {}).get("attempts", 0))
    session.commit()  # the claim runs in its own short transaction
    sessions = sessionmaker(session.get_bind(), expire_on_commit=False)
    owner = leases.claim_key(sessions, Post, post.id, Post.status == before, seconds=LEASE_SECONDS, now=now,
                             values={"status": "publishing"})
    session.refresh(post)
    if owner is None or int((post.meta or {}).get("attempts", 0)) != attempts:
        return None  # taken, or another process tried it in between: leave it to the next tick
    return owner


def _missed(post: Post, settings: Settings, now: datetime, summary: RunSummary) -> bool:
    """Apply ``press.missed_slot`` to a post later than the grace period; True = not now.

    ``publish``: publish it anyway; ``next_slot``: move it to the platform's next slot;
    ``hold``: keep it for a person to decide.
    """
    assert post.scheduled_at is not None
    late = now - post.scheduled_at
    rule = settings.press.missed_slot
    if late <= timedelta(minutes=settings.press.missed_grace_minutes) or rule == "publish":
        return False
    if rule == "hold":
        post.status = "held"
        _meta(post, note=f"missed its time by {late}; press.missed_slot = hold")
        summary.held += 1
        summary.problems.append(f"post {post.id} ({post.platform}): held, missed its time by {late}")
        return True
    slots = settings.press.platforms[post.platform].slots if post.platform in settings.press.platforms else []
    if not slots:
        return False
    _meta(post, missed=post.scheduled_at.isoformat())
    post.scheduled_at = next_slot(now, slots, post.timezone)
    summary.rescheduled += 1
    return post.scheduled_at > now


def _published_last_day(session: Session, platform: str, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count(Post.id)).where(
                Post.platform == platform,
                Post.status == "published",
                Post.published_at > now - timedelta(days=1),
            )
        )
        or 0
    )


def _fail(session: Session, post: Post, now: datetime, summary: RunSummary, code: str, message: str) -> None:
    session.add(
        PublishAttempt(
            post_id=post.id,
            platform=post.platform,
            status="permanent",
            error_code=code,
            error=message,
            at=now,
        )
    )
    post.status = "failed"
    _meta(post, error=f"{code}: {message}")
    summary.failed += 1
    summary.problems.append(f"post {post.id} ({post.platform}): failed: {code}: {message}")


def _classify(
    session: Session, settings: Settings, post: Post, exc: PublishError, now: datetime, summary: RunSummary
) -> None:
    attempts = int((post.meta or {}).get("attempts", 1))
    if exc.kind == "unknown":
        # never resent blindly: the next tick asks the platform first (settle_uncertain), also
        # after the last attempt (a post whose outcome is unknown is confirmed or held, never failed)
        post.status = "retrying"
        _meta(post, uncertain=True, error=str(exc),
              next_attempt_at=(now + timedelta(minutes=settings.press.retry_minutes)).isoformat())
        summary.retrying += 1
        summary.problems.append(f"post {post.id} ({post.platform}): outcome unknown, confirming next: {exc}")
    elif exc.kind == "retryable" and attempts < settings.press.max_attempts:
        delay = exc.retry_after or settings.press.retry_minutes * 60 * 2 ** (attempts - 1)
        post.status = "retrying"
        _meta(post, next_attempt_at=(now + timedelta(seconds=delay)).isoformat(), error=str(exc))
        summary.retrying += 1
        summary.problems.append(f"post {post.id} ({post.platform}): retrying: {exc}")
    elif exc.kind == "reconnect":
        post.status = "waiting"
        _meta(post, error=str(exc))
        summary.waiting += 1
        summary.problems.append(f"post {post.id} ({post.platform}): waiting, reconnect the account: {exc}")
        _alert_reconnect(session, settings, post.platform, str(exc), now)
    else:
        post.status = "failed"
        _meta(post, error=str(exc))
        summary.failed += 1
        summary.problems.append(f"post {post.id} ({post.platform}): failed ({exc.kind}): {exc}")


def _alert_reconnect(session: Session, settings: Settings, platform: str, error: str, now: datetime) -> None:
    """One system alert per platform per day: the office must reconnect the account."""
    notifier = "slack" if settings.secret("SLACK_BOT_TOKEN") else "console"
    channel = settings.notifications.slack.channel
    key = f"{notifier}:{channel}:reconnect:{platform}:{roc.local(now, settings.office.timezone).date()}"
    if session.scalar(select(Alert.id).where(Alert.idempotency_key == key)) is not None:
        return
    text = (
        f"newsdesk cannot publish to {platform}: the token is expired or revoked ({error}). "
        f"Reconnect the account, then run `newsdesk press retry --platform {platform}`."
    )
    session.add(
        Alert(
            kind="system",
            channel=channel,
            notifier=notifier,
            idempotency_key=key,
            status="pending",
            next_attempt_at=now,
            payload={"text": text, "platform": platform},
        )
    )


def retry(session: Session, platform: str | None = None, post_id: int | None = None) -> int:
    """Put waiting, held or failed posts back in the queue (after a reconnect or a check)."""
    stmt = select(Post).where(Post.status.in_(("waiting", "held", "failed")))
    if platform:
        stmt = stmt.where(Post.platform == platform)
    if post_id:
        stmt = stmt.where(Post.id == post_id)
    n = 0
    for post in session.scalars(stmt):
        post.status = "retrying"
        _meta(post, attempts=0, next_attempt_at=None, uncertain=None)
        n += 1
    return n
