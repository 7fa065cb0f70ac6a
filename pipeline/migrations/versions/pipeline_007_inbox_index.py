"""items: a small partial index over the flagged items, for the dashboard's inbox filters

Revision ID: pipeline_007
Revises: pipeline_006
"""

import sqlalchemy as sa
from alembic import op

revision = "pipeline_007"
down_revision = "pipeline_006"
branch_labels = None
depends_on = None

COLUMNS = ["outlet", "government", "response_score", "published_at", "collected_at", "id"]


def upgrade() -> None:
    # Only the few percent flagged items are in it, with every column the inbox filters on, so a
    # filter reads this index instead of looking up thousands of whole item rows (web/inbox.py).
    op.create_index("ix_items_flagged_inbox", "items", COLUMNS, sqlite_where=sa.text("flagged = 1"),
                    postgresql_where=sa.text("flagged"))


def downgrade() -> None:
    op.drop_index("ix_items_flagged_inbox", table_name="items")
