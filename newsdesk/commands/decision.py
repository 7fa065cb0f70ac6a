"""Commands of the alert decision: ``newsdesk triage`` (the batch contract), and retraining.

``newsdesk triage`` reads JSON Lines ``{id, title, text?, outlet?, url?, published_at?}`` and writes,
one line per input line in the same order, ``{id, line, government, needs_response, score, agency,
priority, alert, reasons}``: the decision ``crawl``/``run`` make for the same item. A line that cannot
be read (not UTF-8, not JSON, wrong types) gets ``{id, line, error}`` in its place, a message on
stderr, and the exit status is 1; the other lines are still decided.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import click

from newsdesk.app import App

CHUNK = 256
MAX_TEXT = 200_000  # characters of a text kept (the model reads the lead; matching scans the rest)


def clean(value: str) -> str:
    """Lone surrogates (``"\\ud800"`` in JSON) become U+FFFD: nothing downstream can encode them."""
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def parse_line(raw: bytes, number: int) -> tuple[Any, dict[str, Any] | None, str | None]:
    """(id, fields, error) of one input line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, None, f"line {number}: not valid UTF-8 (byte {raw[exc.start]:#04x} at {exc.start})"
    if not line.strip():
        return None, None, f"line {number}: empty line"
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return None, None, f"line {number}: not JSON ({exc})"
    if not isinstance(obj, dict):
        return None, None, f"line {number}: not a JSON object"
    ident = obj.get("id")
    if isinstance(ident, str):
        ident = clean(ident)
    elif not (ident is None or isinstance(ident, int | float)) or isinstance(ident, bool):
        return None, None, f"line {number}: \"id\" must be a string or a number"
    fields: dict[str, Any] = {}
    for key, required in (("title", True), ("text", False), ("outlet", False), ("url", False),
                          ("published_at", False)):
        value = obj.get(key)
        if value is None and not required:
            continue
        if not isinstance(value, str):
            what = "is missing" if value is None else f"must be a string, got {type(value).__name__}"
            return ident, None, f"line {number}: \"{key}\" {what}"
        fields[key] = clean(value)[:MAX_TEXT]
    if not fields["title"].strip() and not fields.get("text", "").strip():
        return ident, None, f"line {number}: \"title\" and \"text\" are both empty"
    if "published_at" in fields:
        try:
            fields["published_at"] = datetime.fromisoformat(fields["published_at"].replace("Z", "+00:00"))
        except ValueError:
            return ident, None, f"line {number}: \"published_at\" is not an ISO 8601 time"
    return ident, fields, None


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    for raw in stream:
        yield raw.rstrip(b"\r\n")


@click.command("triage")
@click.option("--input", "input_", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="JSONL of {id, title, text?, outlet?, url?, published_at?}; default stdin")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="JSONL of decisions, one per input line; default stdout")
@click.pass_obj
def triage_cmd(app: App, input_: str, output: str) -> None:
    """Decide items from a file as a crawl would: government, needs a response, bureau, priority."""
    from pipeline.decision import get_decider
    from pipeline.decision.batch import decide_items
    from pipeline.items import Item

    settings = app.settings
    try:
        src = click.open_file(input_, "rb")
    except OSError as exc:
        raise click.ClickException(f"cannot read {input_}: {exc.strerror}") from None
    decider = get_decider(settings)
    name = "stdin" if input_ == "-" else input_
    bad = 0
    with src, click.open_file(output, "w", encoding="utf-8") as dst:
        chunk: list[tuple[int, Any, dict[str, Any] | None, str | None]] = []

        def flush() -> None:
            items = [Item(url=f.get("url", ""), title=f["title"], text=f.get("text", ""), source="triage",
                          outlet=f.get("outlet"), published_at=f.get("published_at"))
                     for _, _, f, _ in chunk if f is not None]
            done = iter(decide_items(items, settings, lambda: decider))
            for number, ident, fields, error in chunk:
                item = next(done) if fields is not None else None
                if fields is not None and item is None:
                    error = f"line {number}: nothing to decide (empty after normalising)"
                dst.write(json.dumps(_record(ident, number, item, error), ensure_ascii=False) + "\n")
            chunk.clear()

        for number, raw in enumerate(_lines(src), 1):
            ident, fields, error = parse_line(raw, number)
            if error is not None:
                bad += 1
                click.echo(f"newsdesk: {name}: {error}", err=True)
            chunk.append((number, ident, fields, error))
            if len(chunk) >= CHUNK:
                flush()
        flush()
    if bad:
        click.echo(f"newsdesk: {bad} line(s) could not be decided (marked with \"error\")", err=True)
        sys.exit(1)


def _record(ident: Any, number: int, item: Any, error: str | None) -> dict[str, Any]:
    if item is None or item.decision is None:
        return {"id": ident, "line": number, "error": error or f"line {number}: not decided"}
    d = item.decision
    return {"id": ident, "line": number, "government": d.government, "needs_response": d.needs_response,
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
