"""What every tally and report command shares: the period options, ``--format``, ``--output``,
``--calendar``, and writing a :class:`~pipeline.tables.Table` (see :mod:`pipeline.tables`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from pipeline import tables
from pipeline.models import utcnow
from pipeline.roc import CALENDARS, day_label, month_label, parse_date

F = TypeVar("F", bound=Callable[..., Any])

#: Column titles of the keys tallies group by (the office's words).
TITLES = {
    "month": "月份", "agency": "機關", "kind": "類別", "platform": "平臺", "media": "媒體類型",
    "status": "狀態", "outlet": "媒體", "release": "新聞稿編號", "date": "日期", "title": "標題",
    "outlets": "刊登媒體", "place": "地點", "topic": "主題", "channel": "管道", "host": "主持",
}
KINDS = {"release": "新聞稿", "statement": "澄清稿", "advisory": "採訪通知", "schedule": "市長行程"}
MEDIA = {"video": "影音", "image": "圖文", "text": "文字"}

DATE_HELP = "2024-01-01, 2024/1/1 or 113年1月1日"


def day_option(value: str | None, option: str) -> date | None:
    """A ``--from``/``--to`` value in any of the office's spellings; a clear error names the option."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def period(start: str | None, end: str | None, zone: str, *, first: date | None = None) -> tuple[datetime, datetime]:
    """[--from, --to] as inclusive local days → [lo, hi) instants in the office's zone."""
    tz = ZoneInfo(zone)
    lo_day = day_option(start, "--from") or first or date(1912, 1, 1)
    hi_day = day_option(end, "--to") or utcnow().astimezone(tz).date()
    if hi_day < lo_day:
        raise click.BadParameter(f"{end} is before --from {start}", param_hint="--to")
    return (datetime.combine(lo_day, time(), tz), datetime.combine(hi_day + timedelta(days=1), time(), tz))


def table_options(*, required_period: bool = False) -> Callable[[F], F]:
    """``--from --to --format --output --calendar`` for a tally command."""
    options = [
        click.option("--from", "start", required=required_period, help=f"first day ({DATE_HELP})"),
        click.option("--to", "end", required=required_period, help="last day, included"),
        click.option("--format", "fmt", type=click.Choice(tables.FORMATS), default="table", show_default=True),
        click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                     help="write to this file (xlsx needs one unless standard output is a pipe)"),
        click.option("--calendar", type=click.Choice(CALENDARS), default="roc", show_default=True,
                     help="months and days as 113年1月 (roc) or 2024-01 (gregorian)"),
    ]

    def deco(fn: F) -> F:
        for opt in reversed(options):
            fn = opt(fn)
        return fn

    return deco


def label(key: str, value: str, calendar: str) -> str:
    """A grouped value as the office reads it: months in the chosen calendar, kinds in Chinese."""
    if key == "month":
        return month_label(value, calendar)
    if key == "kind":
        return KINDS.get(value, value)
    if key == "media":
        return MEDIA.get(value, value)
    return value


def grouped_table(name: str, keys: Sequence[str], rows: Sequence[Any], calendar: str, *,
                  count_title: str = "則數", title: str = "") -> tables.Table:
    """A table of counts grouped by ``keys`` (rows have ``.key`` and ``.count``)."""
    columns = [tables.Column(k, TITLES.get(k, k)) for k in keys]
    columns.append(tables.Column("count", count_title, numeric=True))
    body = [[*(label(k, v, calendar) for k, v in zip(keys, r.key, strict=True)), r.count] for r in rows]
    return tables.Table(name, columns, body, title=title)


def outlet_name(code: str) -> str:
    """An outlet's own name from the registry (中央社 for ``cna``); an unknown code stays as it is."""
    from crawlers.outlets import REGISTRY

    outlet = REGISTRY.get(code)
    return outlet.title if outlet else code


def date_cell(when: datetime | None, zone: str, calendar: str) -> str:
    return day_label(when.astimezone(ZoneInfo(zone)).date(), calendar) if when else ""


def emit(table: tables.Table, fmt: str, output: Path | None) -> None:
    """Print the table, or write it to ``--output``; binary xlsx never goes to a terminal."""
    data = tables.render(table, fmt)
    if output is not None:
        write_file(output, data)
        click.echo(f"wrote {output}", err=True)
        return
    emit_bytes(data, fmt)


def emit_bytes(data: bytes, fmt: str) -> None:
    """To standard output; a binary workbook is refused on a terminal."""
    if fmt == "xlsx" and sys.stdout.isatty():
        raise click.UsageError("--format xlsx writes a workbook: give --output (or redirect to a file)")
    with click.open_file("-", "wb") as stream:
        stream.write(data)
        stream.flush()


def write_file(path: Path, data: bytes) -> None:
    """Write a file others may read (0644 under the usual umask), creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
