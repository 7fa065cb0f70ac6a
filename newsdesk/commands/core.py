"""The foundation's own commands that need nothing beyond ``pipeline``: config check, alerts list."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from newsdesk.app import App
from pipeline.models import Alert, ItemRow
from pipeline.settings import effective


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="print the effective settings as JSON")
@click.pass_obj
def config_check(app: App, as_json: bool) -> None:
    """Validate the settings and print them (secrets masked)."""
    s = app.settings
    data = effective(s)  # secrets, URL passwords and keys masked (pipeline.redact)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"settings: {s.config_path or 'shipped defaults (pipeline/default.toml)'}: OK")
    click.echo(f"office: {s.office.name} ({s.office.city}, {s.office.timezone})")
    click.echo(f"database: {data['database_url']}")
    click.echo(f"sources: {len(s.sources)} ({sum(x.enabled for x in s.sources)} enabled)")
    click.echo(f"watchlist: {len(s.agencies)} agencies, {len(s.topics)} topics, {len(s.officials)} officials")
    click.echo(f"sentiment: model={s.sentiment.model} threshold={s.sentiment.threshold}")
    click.echo("environment:")
    for key, value in data["environment"].items():
        click.echo(f"  {key}={value}")


@click.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "dead"]), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_obj
def alerts_list(app: App, status: str | None, limit: int) -> None:
    """The latest alerts: alert id, item id, when, status, channel, headline and agencies
    (`alerts mark` takes the alert id)."""
    tz = ZoneInfo(app.settings.office.timezone)
    with app.read_session() as session:
        query = select(Alert, ItemRow).outerjoin(ItemRow, Alert.item_id == ItemRow.id)
        if status:
            query = query.where(Alert.status == status)
        rows = session.execute(query.order_by(Alert.id.desc()).limit(limit)).all()
        if not rows:
            click.echo("no alerts")
        for alert, item in rows:
            when = alert.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            title = item.headline if item is not None else alert.payload.get("title", "")
            agencies = "、".join(sorted({m.agency for m in item.matches})) if item is not None else ""
            story = f"item {item.id}" if item is not None else "no item"
            click.echo(f"{alert.id:>5} ({story}) {when} {alert.status:<7} {alert.notifier}:{alert.channel} "
                       f"{title} [{agencies}]")


def register(main: click.Group, **groups: click.Group) -> None:
    groups["config"].add_command(config_check)
    groups["alerts"].add_command(alerts_list)
