"""dedupe: exact-duplicate keys, cluster members with MinHash signatures, LSH bands, a lock row

Revision ID: pipeline_001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import pipeline.models

revision = "pipeline_001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedupe_keys",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("created_at", pipeline.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "cluster_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", pipeline.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outlet", sa.String(length=100), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cluster_members_cluster_seen", "cluster_members", ["cluster_id", "seen_at"])
    op.create_table(
        "lsh_bands",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["cluster_members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "member_id"),
        sqlite_with_rowid=False,
    )
    lock = op.create_table(
        "dedupe_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(lock, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table("dedupe_lock")
    op.drop_table("lsh_bands")
    op.drop_index("ix_cluster_members_cluster_seen", table_name="cluster_members")
    op.drop_table("cluster_members")
    op.drop_table("dedupe_keys")
