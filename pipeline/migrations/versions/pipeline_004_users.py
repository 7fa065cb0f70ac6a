"""users (dashboard accounts, the CLI's --as) and releases.author_id/approved_by_id

Revision ID: pipeline_004
Revises: pipeline_003
"""

import sqlalchemy as sa
from alembic import op

revision = "pipeline_004"
down_revision = "pipeline_003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False, unique=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_releases_author"),
                                   nullable=True))
        batch.add_column(sa.Column("approved_by_id", sa.Integer(),
                                   sa.ForeignKey("users.id", name="fk_releases_approver"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("approved_by_id")
        batch.drop_column("author_id")
    op.drop_table("users")
