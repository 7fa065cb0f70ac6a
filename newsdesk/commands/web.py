"""``newsdesk web``: serve the dashboard (uvicorn, one process; the scheduler stays in ``run``)."""

from __future__ import annotations

import click

from newsdesk.app import App


@click.command("web")
@click.option("--host", help="address to listen on (default web.host, 127.0.0.1)")
@click.option("--port", type=int, help="port (default web.port, 8000)")
@click.pass_obj
def web_cmd(app: App, host: str | None, port: int | None) -> None:
    """Serve the dashboard: inbox, stories, search, press, calendar, reports, coverage, sources."""
    import uvicorn

    from web.app import create_app

    settings = app.settings
    host, port = host or settings.web.host, port or settings.web.port
    asgi = create_app(settings, app.sessions)
    click.echo(f"newsdesk: dashboard at http://{host}:{port}/ (database {app.database_label()}); Ctrl-C stops.")
    uvicorn.run(asgi, host=host, port=port, log_level="warning", proxy_headers=False)


def register(main: click.Group, **groups: click.Group) -> None:
    main.add_command(web_cmd)
