"""Commands: ``sentiment score|train|eval`` and ``alerts mark``.

``sentiment score`` is the batch contract: JSONL in (``{"text": ..., "id": ...}``, id optional),
JSONL out (``{"id", "label", "score"}``), one output line per input line, same order. A line that
cannot be scored (not UTF-8, not JSON, no text) gives ``{"id", "label": null, "score": null,
"error": ...}`` in its place and a message on stderr, and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from newsdesk.app import App

CHUNK = 256


def _parse(raw: bytes, number: int) -> tuple[Any, str | None, str | None]:
    """(id, text, error) for one input line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return number, None, f"line {number}: not valid UTF-8 (byte {raw[exc.start]:#04x} at {exc.start})"
    if not line.strip():
        return number, None, f"line {number}: empty line"
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return number, None, f"line {number}: not JSON ({exc})"
    if not isinstance(obj, dict):
        return number, None, f"line {number}: not a JSON object"
    ident = obj.get("id", number)
    text = obj.get("text")
    if not isinstance(text, str):
        return ident, None, f"line {number}: no \"text\" string"
    return ident, text, None


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    for raw in stream:
        yield raw.rstrip(b"\r\n")


@click.command("score")
@click.option("--input", "input_", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="JSONL file of {\"text\", \"id\"?}; default stdin")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="JSONL file of {\"id\", \"label\", \"score\"}; default stdout")
@click.pass_obj
def score_cmd(app: App, input_: str, output: str) -> None:
    """Score texts (JSONL in, JSONL out, same order)."""
    from pipeline.sentiment import get_scorer, label_for

    settings = app.settings.sentiment
    bad = 0
    try:
        src = click.open_file(input_, "rb")
    except OSError as exc:
        raise click.ClickException(f"cannot read {input_}: {exc.strerror}") from None
    scorer = get_scorer(settings)
    with src, click.open_file(output, "w", encoding="utf-8") as dst:
        chunk: list[tuple[Any, str | None, str | None]] = []

        def flush() -> None:
            texts = [t for _, t, _ in chunk if t is not None]
            scores = iter(scorer.score(texts))
            for ident, text, error in chunk:
                if text is None:
                    row = {"id": ident, "label": None, "score": None, "error": error}
                else:
                    s = next(scores)
                    row = {"id": ident, "label": label_for(s, settings.threshold), "score": round(s, 6)}
                dst.write(json.dumps(row, ensure_ascii=False) + "\n")
            chunk.clear()

        for number, raw in enumerate(_lines(src), 1):
            parsed = _parse(raw, number)
            if parsed[2] is not None:
                bad += 1
                click.echo(f"newsdesk: {input_ if input_ != '-' else 'stdin'}: {parsed[2]}", err=True)
            chunk.append(parsed)
            if len(chunk) >= CHUNK:
                flush()
        flush()
    if bad:
        click.echo(f"newsdesk: {bad} line(s) could not be scored (marked with \"error\")", err=True)
        sys.exit(1)


@click.command("eval")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--threshold", type=float, help="default: sentiment.threshold")
@click.option("--baseline-cv", type=int, default=0, metavar="K",
              help="also report the char n-gram logistic regression, K-fold CV on FILE "
                   "(near-duplicates grouped)")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.pass_obj
def eval_cmd(app: App, file: Path, threshold: float | None, baseline_cv: int, as_json: bool) -> None:
    """Evaluate the configured model on a labelled CSV/JSONL file."""
    from pipeline.sentiment import get_scorer
    from pipeline.sentiment.data import DataError, read_labelled, texts_labels
    from pipeline.sentiment.evaluation import baseline_cv as run_baseline
    from pipeline.sentiment.evaluation import evaluate, format_report

    settings = app.settings.sentiment
    th = settings.threshold if threshold is None else threshold
    try:
        texts, labels = texts_labels(read_labelled(file))
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    scorer = get_scorer(settings)
    out = {"model": {"name": scorer.name, "version": scorer.version},
           "model_report": evaluate(scorer.score(texts), labels, th)}
    if baseline_cv:
        out["baseline_cv"] = run_baseline(texts, labels, baseline_cv, th)
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    click.echo(format_report(out["model_report"], f"{scorer.name} {scorer.version} on {file}"))
    if baseline_cv:
        click.echo(format_report(out["baseline_cv"], f"baseline: char 1-3-gram logistic regression, "
                                                     f"{baseline_cv}-fold grouped CV on {file}"))


@click.command("train")
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="labelled CSV/JSONL (text + negative 1/0 or label); repeatable")
@click.option("--corrections/--no-corrections", default=True, help="add the officers' corrections")
@click.option("--base", help="model to start from (default: sentiment.model)")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for the new model; then set sentiment.model to it")
@click.option("--calibrate", type=click.Path(dir_okay=False, path_type=Path),
              help="labelled file to refit the calibration temperature on (default: keep the base's)")
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--lr", type=float, default=3e-5, show_default=True)
@click.pass_obj
def train_cmd(app: App, data: tuple[Path, ...], corrections: bool, base: str | None, out: Path,
              calibrate: Path | None, epochs: int, lr: float) -> None:
    """Fine-tune a model on labelled files and/or the officers' corrections."""
    from pipeline.db import MissingDatabase
    from pipeline.sentiment import resolve_model
    from pipeline.sentiment.data import DataError, Example, read_labelled
    from pipeline.sentiment.data import corrections as stored
    from pipeline.sentiment.training import train_model

    settings = app.settings.sentiment
    examples: list[Example] = []
    try:
        for path in data:
            examples.extend(read_labelled(path))
        cal = read_labelled(calibrate) if calibrate else []
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    if corrections:
        try:
            with app.read_session() as session:
                found = stored(session)
        except MissingDatabase as exc:
            found = []
            click.echo(f"no corrections: {str(exc).split(' (')[0]}", err=True)
        click.echo(f"{len(found)} correction(s) from the database", err=True)
        examples.extend(found)
    info = train_model(resolve_model(base or settings.model), examples, out, labels=settings.labels,
                       epochs=epochs, lr=lr, calibrate=cal, log=lambda m: click.echo(m, err=True))
    click.echo(f"wrote {out} ({info['trained_on']} examples, {info['corrections']} corrections); "
               f"use it with sentiment.model = \"{out}\"")


@click.command("mark")
@click.argument("item_id", type=int)
@click.option("--label", required=True, type=click.Choice(["negative", "not_negative"]))
@click.option("--who", required=True, help="the officer's name")
@click.pass_obj
def mark_cmd(app: App, item_id: int, label: str, who: str) -> None:
    """Record an officer's verdict on an item's sentiment (feeds `sentiment train`)."""
    from pipeline.models import Correction, ItemRow

    if not who.strip():
        raise click.BadParameter("must not be empty", param_hint="--who")
    with app.session() as session:
        item = session.get(ItemRow, item_id)
        if item is None:
            raise click.ClickException(f"no item with id {item_id}")
        corr = Correction(item_id=item_id, label=label, who=who.strip())
        session.add(corr)
        session.flush()
        click.echo(f"item {item_id} marked {label} by {corr.who} (correction {corr.id})")


def register(main: click.Group, **groups: click.Group) -> None:
    """Attach ``sentiment score|train|eval`` and ``alerts mark``."""
    for cmd in (score_cmd, train_cmd, eval_cmd):
        groups["sentiment"].add_command(cmd)
    groups["alerts"].add_command(mark_cmd)
