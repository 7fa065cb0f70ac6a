"""Commands of the alert decision: ``newsdesk triage`` (the batch contract), and retraining.

``newsdesk triage`` reads JSON Lines ``{id, title, text?, outlet?, url?, published_at?}`` and writes,
one line per input line in the same order, ``{id, line, government, needs_response, score, agency,
priority, alert, reasons}``: the decision ``crawl``/``run`` make for the same item. A line that cannot
be read (not UTF-8, not JSON, wrong types) gets ``{id, line, error}`` in its place, a message on
stderr, and the exit status is 1; the other lines are still decided.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from newsdesk.app import App
from newsdesk.progress import progress

CHUNK = 256
MAX_TEXT = 200_000  # characters of a text kept (the model reads the lead; matching scans the rest)


def parse(line: Any) -> tuple[int, Any, dict[str, Any] | None, str | None]:
    """(line number, id, fields, error) of one input line (:mod:`pipeline.batch`)."""
    from pipeline.batch import FieldError, id_field, string_field

    if line.error:
        return line.number, None, None, line.error
    obj, ident = line.value, None
    try:
        ident = id_field(obj)
        fields: dict[str, Any] = {"title": string_field(obj, "title", required=True)}
        for key in ("text", "outlet", "url", "published_at"):
            value = string_field(obj, key)
            if value is not None:
                fields[key] = value
    except FieldError as exc:
        return line.number, ident, None, f"line {line.number}: {exc}"
    if not fields["title"].strip() and not fields.get("text", "").strip():
        return line.number, ident, None, f"line {line.number}: \"title\" and \"text\" are both empty"
    fields["text"] = fields.get("text", "")[:MAX_TEXT]
    if "published_at" in fields:
        try:
            fields["published_at"] = datetime.fromisoformat(fields["published_at"].replace("Z", "+00:00"))
        except ValueError:
            return line.number, ident, None, f"line {line.number}: \"published_at\" is not an ISO 8601 time"
    return line.number, ident, fields, None


@click.command("triage")
@click.option("--input", "input_", type=click.Path(dir_okay=True, allow_dash=True), default="-",
              help="JSONL of {id, title, text?, outlet?, url?, published_at?} (.gz read as such); default stdin")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="JSONL of decisions, one per input line; default stdout")
@click.pass_obj
def triage_cmd(app: App, input_: str, output: str) -> None:
    """Decide items from a file as a crawl would: government, needs a response, bureau, priority."""
    from pipeline.batch import InputError, Records, chunks, open_input, read_jsonl
    from pipeline.decision import get_decider
    from pipeline.decision.batch import decide_items
    from pipeline.items import Item

    settings = app.settings
    try:
        src = open_input(input_)
    except InputError as exc:
        click.echo(f"newsdesk: {exc}", err=True)
        sys.exit(2)
    decider = get_decider(settings)
    with src, click.open_file(output, "w", encoding="utf-8") as dst, \
            progress("deciding", src.size, noun="lines") as bar:
        records = Records(dst, sys.stderr, src.name, "triage")

        def flush(chunk: list[tuple[int, Any, dict[str, Any] | None, str | None]]) -> None:
            items = [Item(url=f.get("url", ""), title=f["title"], text=f["text"], source="triage",
                          outlet=f.get("outlet"), published_at=f.get("published_at"))
                     for _, _, f, _ in chunk if f is not None]
            done = iter(decide_items(items, settings, lambda: decider))
            for number, ident, fields, error in chunk:
                item = next(done) if fields is not None else None
                if item is not None and item.decision is not None:
                    records.ok(number, _record(ident, item))
                else:
                    records.error(number, error or f"line {number}: nothing to decide (empty after normalising)",
                                  id=ident)
            bar.update(done=src.position(), count=records.written)

        for chunk in chunks(map(parse, read_jsonl(src.stream, src.name)), CHUNK):
            flush(chunk)
    if records.bad:
        click.echo(f"newsdesk: {records.bad} line(s) could not be decided (marked with \"error\")", err=True)
        sys.exit(1)


def _record(ident: Any, item: Any) -> dict[str, Any]:
    d = item.decision
    return {"id": ident, "government": d.government, "needs_response": d.needs_response,
            "score": round(d.score, 4), "agency": d.agency, "priority": item.priority, "alert": item.flagged,
            "reasons": d.reasons}


@click.command("train")
@click.option("--force", is_flag=True, help="promote the new version even if it is worse on held-back data")
@click.pass_obj
def train_cmd(app: App, force: bool) -> None:
    """Retrain the alert decision with the officers' corrections (checked before it replaces the model)."""
    from pipeline.decision.training.corrections import RetrainError, retrain

    try:
        with app.session() as session:
            outcome = retrain(app.settings, session, force=force)
    except RetrainError as exc:
        raise click.ClickException(str(exc)) from None
    cur, new = outcome.held_back["current"], outcome.held_back["new"]
    click.echo(f"{outcome.corrections} correction(s); held back {new['items']} items "
               f"({new['corrections']} corrections): F1 {cur['f1']} -> {new['f1']}, "
               f"log-loss {cur['log_loss']} -> {new['log_loss']}")
    click.echo(f"version {outcome.folder}")
    click.echo(outcome.message)
    if not outcome.promoted:
        sys.exit(1)


@click.command("rollback")
@click.pass_obj
def rollback_cmd(app: App) -> None:
    """Go back to the previously promoted decision model (the shipped one when there is none)."""
    from pipeline.decision.training.corrections import RetrainError, rollback

    try:
        name = rollback(app.settings)
    except RetrainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"active decision model: {name}")


@click.command("models")
@click.pass_obj
def models_cmd(app: App) -> None:
    """List the decision model's versions (retrained by `sentiment train`), the active one marked."""
    from pipeline.decision.model import resolve
    from pipeline.decision.training.corrections import versions

    found = versions(app.settings)
    for name, active, info in found:
        held = info.get("held_back", {}).get("new", {})
        click.echo(f"{'*' if active else ' '} {name}  {info.get('corrections', 0)} corrections  "
                   f"held-back F1 {held.get('f1', '-')}")
    if not any(active for _, active, _ in found):
        click.echo(f"* {resolve(app.settings)} (shipped)")


def register(main: click.Group, **groups: click.Group) -> None:
    main.add_command(triage_cmd)
    for cmd in (train_cmd, rollback_cmd, models_cmd):
        groups["sentiment"].add_command(cmd)
