"""``newsdesk tally releases|posts|pickup|responses|routed`` and ``newsdesk report``: every table goes
through the one writer (:mod:`pipeline.tables`), so each takes ``--format table|csv|json|xlsx``,
``--output``, ``--calendar roc|gregorian`` and the same ``--from``/``--to`` spellings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from newsdesk.app import App
from newsdesk.output import (
    date_cell,
    emit,
    emit_bytes,
    grouped_table,
    outlet_name,
    period,
    table_options,
    write_file,
)
from newsdesk.progress import progress
from pipeline import tables

GROUPS = {
    "releases": ("month", "agency", "kind"),
    "posts": ("month", "platform", "media"),
    "responses": ("agency", "month"),
    "routed": ("agency", "month"),
}


def register(main: click.Group, **groups: click.Group) -> None:
    tally = groups["tally"]
    for cmd in (releases_cmd, posts_cmd, pickup_cmd, responses_cmd, routed_cmd):
        tally.add_command(cmd)
    main.add_command(report_cmd)


def parse_by(by: str, what: str) -> list[str]:
    keys = [b.strip() for b in by.split(",") if b.strip()]
    allowed = GROUPS[what]
    bad = [k for k in keys if k not in allowed]
    if bad or not keys:
        raise click.BadParameter(f"{by or '(empty)'}: choose from {', '.join(allowed)}", param_hint="--by")
    return keys


def by_option(default: str, what: str) -> Callable[[Any], Any]:
    return click.option("--by", default=default, show_default=True,
                        help=f"group by {', '.join(GROUPS[what])} (comma-separated)")


@click.command("releases")
@table_options()
@by_option("month,agency", "releases")
@click.option("--agency", help="only this agency")
@click.pass_obj
def releases_cmd(app: App, start: str | None, end: str | None, fmt: str, output: Path | None, calendar: str,
                 by: str, agency: str | None) -> None:
    """Published releases per month and agency (months in the office's zone)."""
    from press.tally import tally_releases

    keys = parse_by(by, "releases")
    zone = app.settings.office.timezone
    lo, hi = period(start, end, zone)
    with app.read_session() as session:
        rows = tally_releases(session, lo, hi, keys, agency=agency, tz=zone)
    emit(grouped_table("新聞稿", keys, rows, calendar, title="新聞稿發布則數"), fmt, output)


@click.command("posts")
@table_options()
@by_option("month,platform", "posts")
@click.pass_obj
def posts_cmd(app: App, start: str | None, end: str | None, fmt: str, output: Path | None, calendar: str,
              by: str) -> None:
    """Published posts per month, platform and media type (video, image, text)."""
    from press.tally import tally_posts

    keys = parse_by(by, "posts")
    zone = app.settings.office.timezone
    lo, hi = period(start, end, zone)
    with app.read_session() as session:
        rows = tally_posts(session, lo, hi, keys, tz=zone)
    emit(grouped_table("社群貼文", keys, rows, calendar, title="社群平臺貼文則數"), fmt, output)


@click.command("responses")
@table_options()
@by_option("agency,month", "responses")
@click.pass_obj
def responses_cmd(app: App, start: str | None, end: str | None, fmt: str, output: Path | None, calendar: str,
                  by: str) -> None:
    """Responses given in a period, by agency and month."""
    from pipeline.responses import tally

    _tally_pipeline(app, start, end, fmt, output, calendar, parse_by(by, "responses"), tally,
                    name="輿情回應", title="輿情回應則數", count_title="回應則數")


@click.command("routed")
@table_options()
@by_option("agency,month", "routed")
@click.pass_obj
def routed_cmd(app: App, start: str | None, end: str | None, fmt: str, output: Path | None, calendar: str,
               by: str) -> None:
    """Items routed to each agency in a period (item time, local), by agency and month."""
    from pipeline.responses import tally_routed

    _tally_pipeline(app, start, end, fmt, output, calendar, parse_by(by, "routed"), tally_routed,
                    name="分辦", title="分辦各機關則數", count_title="則數")


def _tally_pipeline(app: App, start: str | None, end: str | None, fmt: str, output: Path | None,
                    calendar: str, keys: list[str], count: Callable[..., Any], *, name: str, title: str,
                    count_title: str) -> None:
    from pipeline.responses import ResponseError

    zone = app.settings.office.timezone
    lo, hi = period(start, end, zone)
    try:
        with app.read_session() as session:
            rows = count(session, lo, hi, keys, zone)
    except ResponseError as exc:
        raise click.ClickException(str(exc)) from None
    emit(grouped_table(name, keys, rows, calendar, title=title, count_title=count_title), fmt, output)


@click.command("pickup")
@table_options()
@click.pass_obj
def pickup_cmd(app: App, start: str | None, end: str | None, fmt: str, output: Path | None,
               calendar: str) -> None:
    """Per published release: which outlets picked it up (see ``press pickup``)."""
    from pipeline.models import Release
    from press.pickup import outlets_of

    zone = app.settings.office.timezone
    lo, hi = period(start, end, zone)
    with app.read_session() as session:
        releases = session.scalars(
            select(Release).where(Release.status == "published", Release.imported.is_(False))
            .where(Release.published_at >= lo, Release.published_at < hi).order_by(Release.published_at)).all()
        rows = [[r.id, date_cell(r.published_at, zone, calendar), r.agency, r.title,
                 "、".join(outlet_name(o) for o in outlets_of(r)), len(outlets_of(r))] for r in releases]
    columns = [tables.Column("release", "新聞稿編號", numeric=True, total=False),
               tables.Column("date", "發布日期"), tables.Column("agency", "機關"), tables.Column("title", "標題"),
               tables.Column("outlets", "刊登媒體"), tables.Column("count", "媒體家數", numeric=True)]
    emit(tables.Table("見報", columns, rows, title="新聞稿見報情形"), fmt, output)


REPORT_FORMATS = ("md", *tables.FORMATS, "png", "all")


@click.command("report")
@click.option("--half", "period_text", required=True,
              help="ROC period: 113H1, 113H2 (also 113Q3, 113-09, 113)")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="md", show_default=True)
@click.option("--table", "only", help="only this table (新聞稿, 社群貼文, 輿情回應, 業務統計, ...)")
@click.option("--calendar", type=click.Choice(["roc", "gregorian"]), default="roc", show_default=True)
@click.option("--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="folder for report-<period>.* (csv: one file per table)")
@click.pass_obj
def report_cmd(app: App, period_text: str, fmt: str, only: str | None, calendar: str,
               out_dir: Path | None) -> None:
    """The office's report: every figure in its own wording, beside the release table and the rest."""
    from press.report import build_report
    from press.roc import parse_period

    try:
        half = parse_period(period_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--half") from None
    kinds = ("md", "csv", "xlsx", "png") if fmt == "all" else (fmt,)
    with progress("report", 1 + len(kinds), noun="items") as bar:
        with app.read_session() as session:
            report = build_report(session, app.settings, half, calendar)
        bar.update(advance=1)
        chosen = [report.figures_table(), *report.tables]
        if only:
            chosen = [t for t in chosen if t.name == only]
            if not chosen:
                names = ", ".join(t.name for t in [report.figures_table(), *report.tables])
                raise click.BadParameter(f"{only!r}: choose from {names}", param_hint="--table")
        for kind in kinds:
            _write_report(kind, report, chosen, period_text, out_dir)
            bar.update(advance=1)


def _write_report(kind: str, report: Any, chosen: list[tables.Table], stem: str, out_dir: Path | None) -> None:
    if kind == "png":
        from press.chart import draw_report

        path = (out_dir or Path(".")) / f"report-{stem}.png"
        font = draw_report(report, path)
        click.echo(f"wrote {path}" + ("" if font else " (no CJK font: English labels; install fonts-noto-cjk)"),
                   err=True)
        return
    if kind == "csv" and out_dir is None and len(chosen) > 1:
        raise click.UsageError("CSV holds one table per file: give --output FOLDER (one file per table) "
                               "or --table NAME")
    for name, data in _report_files(kind, report, chosen, stem):
        if out_dir is None:
            emit_bytes(data, kind)
            continue
        write_file(out_dir / name, data)
        click.echo(f"wrote {out_dir / name}", err=True)


def _report_files(kind: str, report: Any, chosen: list[tables.Table], stem: str) -> list[tuple[str, bytes]]:
    """(file name, contents) for one format: CSV one file per table, the others one file."""
    from press.report import report_markdown

    if kind == "md":
        text = report_markdown(report) if len(chosen) > 1 else tables.as_markdown(chosen[0]) + "\n"
        return [(f"report-{stem}.md", text.encode())]
    if kind == "xlsx":
        return [(f"report-{stem}.xlsx", tables.as_xlsx(chosen))]
    if kind == "csv":
        return [(f"report-{stem}-{t.name}.csv", tables.as_csv(t)) for t in chosen]
    parts = [tables.render(t, kind).decode() for t in chosen]
    if kind == "json":  # several tables in one JSON document
        return [(f"report-{stem}.json", ("[" + ",\n".join(p.rstrip() for p in parts) + "]\n").encode())]
    return [(f"report-{stem}.txt", "\n".join(parts).encode())]
