"""The press office's dashboard: server-rendered pages (FastAPI + Jinja2 + HTMX) over the core.

An entry point like the CLI: it builds settings and a session factory and calls the same functions
(``pipeline.responses``, ``press.workflow``, ``press.schedule``, ``pipeline.search``, ...). Routes read
what they show and hand every change to the core, which checks it (compare-and-set on status, the
second approver by user id). ``newsdesk web`` serves it; see :func:`web.app.create_app`.
"""
