"""items: the alert decision (government concerned, P(needs a response), routed agency)

Revision ID: pipeline_003
Revises: pipeline_002
"""

import sqlalchemy as sa
from alembic import op

revision = "pipeline_003"
down_revision = "pipeline_002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("government", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("response_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("agency", sa.String(length=100), nullable=True))
    op.create_index("ix_items_government", "items", ["government"])
    op.create_index("ix_items_agency", "items", ["agency"])


def downgrade() -> None:
    op.drop_index("ix_items_agency", table_name="items")
    op.drop_index("ix_items_government", table_name="items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("agency")
        batch.drop_column("response_score")
        batch.drop_column("government")
