"""dedupe: recent tables merged in bulk into the big ones, and a day on each band for pruning

Revision ID: pipeline_002
Revises: pipeline_001
"""

import sqlalchemy as sa
from alembic import op

import pipeline.models

revision = "pipeline_002"
down_revision = "pipeline_001"
branch_labels = None
depends_on = None


def _day_of(column: str) -> str:
    """SQL for a stored UTC time's day number (days since 1970-01-01)."""
    if op.get_bind().dialect.name == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
    return f"CAST(floor(extract(epoch from {column}) / 86400) AS INTEGER)"


def upgrade() -> None:
    op.add_column("lsh_bands", sa.Column("day", sa.Integer(), server_default="0", nullable=False))
    op.execute(f"UPDATE lsh_bands SET day = (SELECT {_day_of('m.seen_at')} FROM cluster_members m "
               "WHERE m.id = lsh_bands.member_id)")
    op.create_table(
        "lsh_bands_recent",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["cluster_members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", "member_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dedupe_keys_recent",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("created_at", pipeline.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("key"),
    )
    for name in ("pending", "clock_day", "pruned_day"):
        op.add_column("dedupe_lock", sa.Column(name, sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    # nothing is lost: the recent rows go back into the big tables first
    op.execute("INSERT INTO lsh_bands (key, member_id, day) SELECT key, member_id, day FROM lsh_bands_recent")
    op.execute("INSERT INTO dedupe_keys (key, cluster_id, created_at) "
               "SELECT key, cluster_id, created_at FROM dedupe_keys_recent")
    with op.batch_alter_table("dedupe_lock") as batch:
        for name in ("pending", "clock_day", "pruned_day"):
            batch.drop_column(name)
    op.drop_table("dedupe_keys_recent")
    op.drop_table("lsh_bands_recent")
    with op.batch_alter_table("lsh_bands") as batch:
        batch.drop_column("day")
