"""item_search: the full-text index (SQLite FTS5 / PostgreSQL tsvector + GIN) of pipeline/search.py

Revision ID: pipeline_005
Revises: pipeline_004
"""

from alembic import op

revision = "pipeline_005"
down_revision = "pipeline_004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled by the `index` stage and `pipeline.search.catch_up` (the dashboard runs it on start).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TABLE item_search (item_id integer PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE, "
                   "doc tsvector NOT NULL)")
        op.execute("CREATE INDEX ix_item_search_doc ON item_search USING gin (doc)")
    else:
        # contentless: the tokens are not stored twice; rowid = items.id
        op.execute("CREATE VIRTUAL TABLE item_search USING fts5(doc, content='', "
                   "tokenize='unicode61 remove_diacritics 0')")


def downgrade() -> None:
    op.execute("DROP TABLE item_search")
