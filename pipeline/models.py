"""SQLAlchemy 2.0 tables. Times are stored in UTC and come back timezone-aware.

The schema is created and upgraded by Alembic (``pipeline/migrations``) when newsdesk starts; a
change here needs a new migration (``alembic revision --autogenerate``, see docs/DEVELOPING.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: newsdesk stores only timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """An account of the dashboard and the CLI's ``--as``: a name (NFKC, single spaces), a role, an argon2 hash.

    Actions are attributed by ``id``, so two spellings of one name are one person and a rename keeps
    the history (see :mod:`pipeline.users`).
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="officer")  # officer | reviewer | admin
    password_hash: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class Source(Base):
    """A feed, site or social account newsdesk polls, with its crawl state."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_run_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None]
    interval: Mapped[int] = mapped_column(Integer, default=900)
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who holds the row now (pipeline/leases.py): a live lease is never taken over.
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]


class Cluster(Base):
    """One story: the items that are copies or light edits of each other."""

    __tablename__ = "clusters"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    outlets: Mapped[list[Any]] = mapped_column(default=list)
    reach: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[str | None] = mapped_column(String(20))
    minhash: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ItemRow(Base):
    """An article or a social post as stored."""

    __tablename__ = "items"
    __table_args__ = (Index("ix_items_content_hash", "content_hash"), Index("ix_items_published", "published_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(700), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    outlet: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="article")
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    collected_at: Mapped[datetime] = mapped_column(default=utcnow)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(20))
    engagement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    priority: Mapped[str | None] = mapped_column(String(20))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # The alert decision (pipeline/stages/decide.py); its reasons are in meta["decision"].
    government: Mapped[str | None] = mapped_column(String(20), index=True)  # TPE, NTPC, ..., CENTRAL, NONE
    response_score: Mapped[float | None] = mapped_column(Float)  # P(needs a response from that government)
    agency: Mapped[str | None] = mapped_column(String(100), index=True)  # the routed bureau (short name)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @property
    def headline(self) -> str:
        """The title, or for a post (which has none) its first words: what lists and alerts show."""
        if self.title:
            return self.title
        flat = " ".join((self.text or "").split())
        return flat if len(flat) <= 80 else flat[:79] + "…"

    matches: Mapped[list[MatchRow]] = relationship(back_populates="item", cascade="all, delete-orphan")
    scores: Mapped[list[SentimentScore]] = relationship(back_populates="item", cascade="all, delete-orphan")


class SentimentScore(Base):
    __tablename__ = "sentiment_scores"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    item: Mapped[ItemRow] = relationship(back_populates="scores")


class MatchRow(Base):
    """A watchlist match: the item is routed to ``agency`` because of ``terms``."""

    __tablename__ = "matches"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(100), index=True)
    rule: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="keyword")
    terms: Mapped[list[Any]] = mapped_column(default=list)
    item: Mapped[ItemRow] = relationship(back_populates="matches")


class Correction(Base):
    """An officer's verdict on an item's sentiment; feeds ``newsdesk sentiment train``."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(20))
    who: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """A notification in the outbox: written first, delivered by a worker, never sent twice."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_alerts_idempotency_key"),
                      Index("ix_alerts_due", "notifier", "status", "next_attempt_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="item")  # item | spike | digest | system
    channel: Mapped[str] = mapped_column(String(200))
    notifier: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sending|sent|failed|dead
    idempotency_key: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(String(100))  # e.g. Slack message ts
    thread_id: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # Who holds the row now (pipeline/leases.py): a live lease is never taken over.
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]


class Response(Base):
    """How the city answered a flagged story: assigned, responded or dismissed."""

    __tablename__ = "responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    agency: Mapped[str | None] = mapped_column(String(100), index=True)
    officer: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|assigned|responded|dismissed
    priority: Mapped[str | None] = mapped_column(String(20))
    deadline: Mapped[datetime | None]
    text: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]


class Release(Base):
    """A press release, statement, advisory or schedule, through draft → approval → publication."""

    __tablename__ = "releases"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="release")
    title: Mapped[str] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(String(100), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    author: Mapped[str | None] = mapped_column(String(200))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who drafted it (self-approval check)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Taipei")
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    url: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Transition(Base):
    """One workflow step of a release: who moved it from which state to which, and when."""

    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Post(Base):
    """A platform-sized variant of a release (or a standalone post) for one platform."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    platform: Mapped[str] = mapped_column(String(40), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[Any]] = mapped_column(default=list)
    # video | image | text: what the office's report counts (影音貼文 are the video ones)
    media_type: Mapped[str] = mapped_column(String(10), default="text", server_default="text")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    scheduled_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Taipei")
    published_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(String(200))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who holds the row now (pipeline/leases.py): a live lease is never taken over.
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]


class PressConference(Base):
    """A press conference: planned (from an advisory, the Mayor's schedule or by hand), then held or
    cancelled. ``mayor``: the Mayor hosts it, a city-level (府級) conference the office's report counts."""

    __tablename__ = "press_conferences"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(100), index=True)
    topic: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Taipei")
    status: Mapped[str] = mapped_column(String(20), default="planned")  # planned | held | cancelled
    mayor: Mapped[bool] = mapped_column(Boolean, default=False)
    host: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # advisory | schedule | manual
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    # one conference per release entry, so planning from the same release twice adds nothing
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]  # when it was marked held or cancelled


class MediaContact(Base):
    """A journalist the office notifies: outlet, reporter, beat, the channels they take, opt-out."""

    __tablename__ = "media_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    reporter: Mapped[str] = mapped_column(String(200))
    beat: Mapped[str] = mapped_column(String(100), default="")
    line_id: Mapped[str | None] = mapped_column(String(100))  # LINE user id of the office's account's friend
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaDelivery(Base):
    """One notice to one journalist on one channel: written first, delivered under a lease, once."""

    __tablename__ = "media_deliveries"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_media_deliveries_key"),
                      Index("ix_media_deliveries_due", "status", "next_attempt_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("media_contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # line | email | sms
    address: Mapped[str] = mapped_column(String(320))
    # the notice as rendered when it was queued (subject, text, html, short), so a later retry sends the same
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sending|sent|failed|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class PublishAttempt(Base):
    """One try at publishing a post; the platform's id is kept so a retry never posts twice."""

    __tablename__ = "publish_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # started|published|retryable|permanent
    external_id: Mapped[str | None] = mapped_column(String(200))
    error_code: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# --- dedupe (pipeline/stages/dedupe.py): exact keys, MinHash signatures and LSH bands ----------------


class _KeyColumns:
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DedupeKey(_KeyColumns, Base):
    """An exact-duplicate claim: ``u:<canonical URL hash>`` or ``c:<outlet>:<content hash>``.

    The primary key makes the claim atomic: of two writers with the same copy, one wins. New claims go
    into :class:`RecentDedupeKey` and are merged in here in bulk; both are pruned to the dedupe window
    (older items are still exact duplicates through ``items``), see :mod:`pipeline.stages.dedupe`.
    """

    __tablename__ = "dedupe_keys"


class RecentDedupeKey(_KeyColumns, Base):
    """Claims made since the last merge: a small table, so new random keys touch few pages."""

    __tablename__ = "dedupe_keys_recent"


class ClusterMember(Base):
    """One copy of a story: when it was seen (for velocity) and, if it adds wording, its signature."""

    __tablename__ = "cluster_members"
    __table_args__ = (Index("ix_cluster_members_cluster_seen", "cluster_id", "seen_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    outlet: Mapped[str | None] = mapped_column(String(100))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class _BandColumns:
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("cluster_members.id", ondelete="CASCADE"),
                                           primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(Integer, server_default="0")


class LshBand(_BandColumns, Base):
    """One LSH band bucket of a member's MinHash signature; looked up by ``key``.

    ``day`` is the member's ``seen_at`` in days since 1970-01-01 (UTC), for pruning to the window.
    """

    __tablename__ = "lsh_bands"
    __table_args__ = ({"sqlite_with_rowid": False},)


class RecentLshBand(_BandColumns, Base):
    """Bands written since the last merge into :class:`LshBand` (same columns, a small table)."""

    __tablename__ = "lsh_bands_recent"
    __table_args__ = ({"sqlite_with_rowid": False},)


class DedupeLock(Base):
    """One row; dedupe updates it first so that clustering decisions are taken one writer at a time.

    It also keeps the merge state: items recorded since the last merge (``pending``), the dedupe
    clock (``clock_day``: the median day of the items last merged, never moving backwards) and the
    day before which the big tables were last pruned (``pruned_day``).
    """

    __tablename__ = "dedupe_lock"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, server_default="0")
    clock_day: Mapped[int] = mapped_column(Integer, server_default="0")
    pruned_day: Mapped[int] = mapped_column(Integer, server_default="0")


# --- several processes, one truth (pipeline/leases.py) -----------------------------------------------


class Job(Base):
    """A periodic job (digest, spikes, publishing, pickup): its next run and who is running it now."""

    __tablename__ = "jobs"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    next_run_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    failures: Mapped[int] = mapped_column(Integer, server_default="0", default=0)


class Worker(Base):
    """A running process (scheduler, outbox worker, Celery worker) and its heartbeat, for ``newsdesk status``."""

    __tablename__ = "workers"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # the lease owner id it uses
    kind: Mapped[str] = mapped_column(String(40))  # scheduler | outbox | celery
    name: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(40), server_default="running", default="running")
    done: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    errors: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
