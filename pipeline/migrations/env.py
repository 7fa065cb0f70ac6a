"""Alembic environment: runs on the connection newsdesk hands over (see pipeline.db.migrate)."""

from alembic import context

from pipeline.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:  # `alembic` command line: build an engine from the URL in alembic.ini
    from pipeline.db import make_engine

    url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///newsdesk.db"
    with make_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
