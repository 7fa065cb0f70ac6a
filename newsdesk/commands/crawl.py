"""The crawlers' commands: ``newsdesk extract``, ``newsdesk sources status`` and ``sources enable``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from newsdesk.app import App

CONTRACT = ("file", "url", "title", "text", "published_at", "authors", "language")


def register(main: click.Group, **groups: click.Group) -> None:
    """Attach ``extract`` to ``main`` and ``status``/``enable`` to the ``sources`` group."""
    main.add_command(extract_cmd)
    groups["sources"].add_command(status_cmd)
    groups["sources"].add_command(enable_cmd)


def read_page(path: Path) -> bytes:
    """A stored page; ``.gz`` files are decompressed (bounded, a gzip bomb is refused).

    Raises ValueError (or OSError) with a reason fit for the error record: no such file, a folder,
    a binary file such as an image or a PDF.
    """
    from crawlers.page import binary_kind

    if not path.exists():
        raise ValueError("no such file")
    if path.is_dir():
        raise ValueError("is a folder, not a saved page")
    data = read_gz(path)
    kind = binary_kind(data)
    if kind:
        raise ValueError(f"{kind}, not an HTML page")
    return data


def read_gz(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        import zlib

        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out = d.decompress(data, 200 * 1024 * 1024)
        except zlib.error as exc:
            raise ValueError(f"not a readable gzip file: {exc}") from None
        if d.unconsumed_tail:
            raise ValueError("decompresses to more than 200 MB; refused")
        return out
    return data


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--url", help="the page's URL (default: the file's file:// URL)")
@click.option("--warnings", "with_warnings", is_flag=True, help="add confidence and warnings to each line")
def extract_cmd(files: tuple[Path, ...], url: str | None, with_warnings: bool) -> None:
    """Extract article fields from stored pages (.html or .html.gz, any charset): one JSON line per file.

    A file that cannot be read (missing, a folder, binary, broken gzip) gets an ``error`` line in its
    place and the others are still extracted; the exit status is 1 when any failed.
    """
    from crawlers.extract import SiteNames
    from newsdesk.progress import progress

    failed = 0
    memory = SiteNames()  # the site's labels, learned from the titles of the files given together
    with progress("extracting", len(files), noun="items") as bar:
        for path in files:
            failed += _extract_one(path, url, with_warnings, memory)
            bar.update(advance=1)
    if failed:
        sys.exit(1)


def _extract_one(path: Path, url: str | None, with_warnings: bool, memory: Any) -> int:
    """Print one file's record (or its error record in its place); returns 1 when it failed."""
    from crawlers.extract import extract
    from crawlers.page import PageError

    page_url = url or path.resolve().as_uri()
    try:
        ex = extract(read_page(path), page_url, site_names=memory)
    except (OSError, ValueError, PageError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        click.echo(f"newsdesk extract: {path}: {reason}", err=True)
        error = {"file": str(path), "url": page_url, "error": reason}
        click.echo(json.dumps(error, ensure_ascii=False))
        return 1
    line = ex.as_json(str(path))
    out = {k: line[k] for k in CONTRACT}
    if with_warnings:
        out.update(confidence=line["confidence"], warnings=line["warnings"])
    click.echo(json.dumps(out, ensure_ascii=False))
    return 0


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per source")
@click.pass_obj
def status_cmd(app: App, as_json: bool) -> None:
    """Each source: last success, failures, items, next run (Asia/Taipei), and why it is disabled."""
    from pipeline.models import Source

    zone = ZoneInfo(app.settings.office.timezone)
    with app.read_session() as session:
        rows = {r.name: r for r in session.scalars(select(Source))}
        table = []
        for src in app.settings.sources:
            row = rows.pop(src.name, None)
            table.append(_status(src.name, src.type, src.enabled, row, zone))
        for row in rows.values():  # in the database but no longer configured
            table.append(_status(row.name, row.type, False, row, zone) | {"state": "not configured"})
    if as_json:
        for entry in table:
            click.echo(json.dumps(entry, ensure_ascii=False))
        return
    cols = ("name", "type", "state", "last_success", "failures", "items", "next_run", "last_error")
    widths = {c: max(len(c), *(len(str(e[c] or "-")) for e in table)) if table else len(c) for c in cols}
    widths["last_error"] = min(widths["last_error"], 60)
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in cols))
    for e in table:
        click.echo("  ".join(str(e[c] if e[c] is not None else "-")[:widths[c]].ljust(widths[c])
                             for c in cols).rstrip())


def _status(name: str, type_: str, enabled: bool, row: Any, zone: ZoneInfo) -> dict[str, Any]:
    def show(t: datetime | None) -> str | None:
        return t.astimezone(zone).strftime("%Y-%m-%d %H:%M") if t else None

    if row is None:
        return {"name": name, "type": type_, "state": "new" if enabled else "off", "last_success": None,
                "failures": 0, "items": 0, "next_run": None, "last_error": None}
    state = "DISABLED" if row.disabled else ("failing" if row.failures else ("ok" if enabled else "off"))
    return {"name": name, "type": type_, "state": state, "last_success": show(row.last_success_at),
            "failures": row.failures, "items": row.items_count, "next_run": show(row.next_run_at),
            "last_error": row.last_error}


@click.command("enable")
@click.argument("name")
@click.pass_obj
def enable_cmd(app: App, name: str) -> None:
    """Turn a source that was disabled after repeated failures back on."""
    from crawlers.state import enable
    from pipeline.models import Source

    with app.session() as session:
        row = session.scalar(select(Source).where(Source.name == name))
        if row is None:
            raise click.BadParameter(f"no source named {name!r} has run yet", param_hint="NAME")
        enable(row)
    click.echo(f"source {name} enabled")
