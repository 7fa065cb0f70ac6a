"""press office: conferences, media contacts and their deliveries, posts' media type

Revision ID: pipeline_008
Revises: pipeline_007
"""

import json

import sqlalchemy as sa
from alembic import op

import pipeline.models

revision = "pipeline_008"
down_revision = "pipeline_007"
branch_labels = None
depends_on = None


def _media_type(media: object) -> str:
    if isinstance(media, str):
        try:
            media = json.loads(media)
        except ValueError:
            return "text"
    items = media if isinstance(media, list) else []
    kinds = [str(m.get("type") or "") for m in items if isinstance(m, dict)]
    if any(k.startswith("video/") for k in kinds):
        return "video"
    return "image" if any(k.startswith("image/") for k in kinds) else "text"


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("media_type", sa.String(length=10), server_default="text", nullable=False))
    posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("media", sa.JSON),
                     sa.column("media_type", sa.String))
    conn = op.get_bind()
    for post_id, media in conn.execute(sa.select(posts.c.id, posts.c.media)).all():
        kind = _media_type(media)
        if kind != "text":
            conn.execute(posts.update().where(posts.c.id == post_id).values(media_type=kind))
    op.create_table(
        "press_conferences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agency", sa.String(length=100), nullable=False, index=True),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("starts_at", pipeline.models.UTCDateTime(), nullable=False, index=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("mayor", sa.Boolean(), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("release_id", sa.Integer(), sa.ForeignKey("releases.id"), nullable=True, index=True),
        sa.Column("source_key", sa.String(length=200), nullable=True, unique=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", pipeline.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pipeline.models.UTCDateTime(), nullable=False),
        sa.Column("closed_at", pipeline.models.UTCDateTime(), nullable=True),
    )
    op.create_table(
        "media_contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outlet", sa.String(length=100), nullable=False, index=True),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("beat", sa.String(length=100), nullable=False),
        sa.Column("line_id", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("opted_out_at", pipeline.models.UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", pipeline.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pipeline.models.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "media_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), sa.ForeignKey("releases.id"), nullable=False, index=True),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("media_contacts.id"), nullable=False, index=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", pipeline.models.UTCDateTime(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("lease_owner", sa.String(length=120), nullable=True),
        sa.Column("lease_until", pipeline.models.UTCDateTime(), nullable=True),
        sa.Column("created_at", pipeline.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", pipeline.models.UTCDateTime(), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_media_deliveries_key"),
    )
    op.create_index("ix_media_deliveries_due", "media_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_media_deliveries_due", table_name="media_deliveries")
    op.drop_table("media_deliveries")
    op.drop_table("media_contacts")
    op.drop_table("press_conferences")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("media_type")
