"""leases: owner and expiry on alerts, posts and sources; scheduled jobs and process heartbeats

Revision ID: pipeline_006
Revises: pipeline_005
"""

import sqlalchemy as sa
from alembic import op

import pipeline.models

revision = "pipeline_006"
down_revision = "pipeline_005"
branch_labels = None
depends_on = None

LEASED = ("alerts", "posts", "sources")


def upgrade() -> None:
    for table in LEASED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lease_owner", sa.String(length=120), nullable=True))
            batch.add_column(sa.Column("lease_until", pipeline.models.UTCDateTime(), nullable=True))
    op.create_index("ix_alerts_due", "alerts", ["notifier", "status", "next_attempt_at"])
    op.create_table(
        "jobs",
        sa.Column("name", sa.String(length=120), primary_key=True),
        sa.Column("next_run_at", pipeline.models.UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=120), nullable=True),
        sa.Column("lease_until", pipeline.models.UTCDateTime(), nullable=True),
        sa.Column("last_started_at", pipeline.models.UTCDateTime(), nullable=True),
        sa.Column("last_finished_at", pipeline.models.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=120), primary_key=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", pipeline.models.UTCDateTime(), nullable=False),
        sa.Column("seen_at", pipeline.models.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=40), server_default="running", nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("errors", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", pipeline.models.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_table("jobs")
    op.drop_index("ix_alerts_due", table_name="alerts")
    for table in LEASED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("lease_until")
            batch.drop_column("lease_owner")
