"""Commands: ``sentiment score|finetune|eval`` (the emotion model) and ``alerts mark``.

``sentiment score`` follows the batch contract (:mod:`pipeline.batch`): JSONL in (``{"text": ...,
"id": ...}``, id optional), JSONL out (``{"id", "label", "score", "line"}``), one output line per input
line, same order. A line that cannot be scored (not UTF-8, not JSON, no text or empty text, a lone
surrogate, an id that is not a string or a number) gives ``{"id", "label": null, "score": null,
"line", "error"}`` in its place and a message on stderr, and the exit status is 1. An id is echoed
as given, or null when the line had none (never invented).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from newsdesk.app import App
from newsdesk.progress import progress

CHUNK = 256


def _item(line: Any) -> tuple[int, Any, str | None, str | None]:
    """(line number, id, text, error) for one input line."""
    from pipeline.batch import FieldError, id_field, string_field

    if line.error:
        return line.number, None, None, line.error
    try:
        ident = id_field(line.value)
    except FieldError as exc:
        return line.number, None, None, f"line {line.number}: {exc}"
    try:
        text = string_field(line.value, "text", required=True, blank=False)
    except FieldError as exc:
        return line.number, ident, None, f"line {line.number}: {exc}"
    return line.number, ident, text, None


def _scores(scorer: Any, texts: list[str]) -> list[float | Exception]:
    """Scores for ``texts``; if the model fails on the chunk, each text alone, so one text the model
    cannot take costs only its own line."""
    try:
        return list(scorer.score(texts))
    except Exception:  # noqa: BLE001 - retried one by one below, each failure reported on its line
        out: list[float | Exception] = []
        for text in texts:
            try:
                out.append(scorer.score([text])[0])
            except Exception as exc:  # noqa: BLE001 - becomes this line's error record
                out.append(exc)
        return out


def fail(message: str) -> None:
    """The input cannot be read at all: one line on stderr, exit status 2, no records."""
    click.echo(f"newsdesk: {message}", err=True)
    sys.exit(2)


@click.command("score")
@click.option("--input", "input_", type=click.Path(dir_okay=True, allow_dash=True), default="-",
              help="JSONL file of {\"text\", \"id\"?} (.gz read as such); default stdin")
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="JSONL file of {\"id\", \"label\", \"score\", \"line\"}; default stdout")
@click.pass_obj
def score_cmd(app: App, input_: str, output: str) -> None:
    """Score texts (JSONL in, JSONL out, one record per line, same order)."""
    from pipeline.batch import InputError, Records, chunks, open_input, read_jsonl
    from pipeline.sentiment import get_scorer, label_for

    settings = app.settings.sentiment
    try:
        src = open_input(input_)
    except InputError as exc:
        fail(str(exc))
        return
    scorer = get_scorer(settings)
    with src, click.open_file(output, "w", encoding="utf-8") as dst, \
            progress("scoring", src.size, noun="lines") as bar:
        records = Records(dst, sys.stderr, src.name, "sentiment score")

        def flush(chunk: list[tuple[int, Any, str | None, str | None]]) -> None:
            scores = iter(_scores(scorer, [t for _, _, t, _ in chunk if t is not None]))
            for number, ident, text, error in chunk:
                result = next(scores) if text is not None else None
                if result is not None and not isinstance(result, Exception):
                    value = float(result)
                    records.ok(number, {"id": ident, "label": label_for(value, settings.threshold),
                                        "score": round(value, 6)})
                    continue
                why = error or f"line {number}: the model could not score it ({type(result).__name__}: {result})"
                records.error(number, why, id=ident, label=None, score=None)
            bar.update(done=src.position(), count=records.written)

        for chunk in chunks(map(_item, read_jsonl(src.stream, src.name)), CHUNK):
            flush(chunk)
    if records.bad:
        click.echo(f"newsdesk: {records.bad} line(s) could not be scored (marked with \"error\")", err=True)
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
    scores: list[float] = []
    with progress("scoring", len(texts), noun="items") as bar:
        for start in range(0, len(texts), CHUNK):
            scores.extend(scorer.score(texts[start:start + CHUNK]))
            bar.update(done=len(scores))
    out = {"model": {"name": scorer.name, "version": scorer.version},
           "model_report": evaluate(scores, labels, th)}
    if baseline_cv:
        out["baseline_cv"] = run_baseline(texts, labels, baseline_cv, th)
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    click.echo(format_report(out["model_report"], f"{scorer.name} {scorer.version} on {file}"))
    if baseline_cv:
        click.echo(format_report(out["baseline_cv"], f"baseline: char 1-3-gram logistic regression, "
                                                     f"{baseline_cv}-fold grouped CV on {file}"))


@click.command("finetune")
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
def finetune_cmd(app: App, data: tuple[Path, ...], corrections: bool, base: str | None, out: Path,
              calibrate: Path | None, epochs: int, lr: float) -> None:
    """Fine-tune the emotion model (`sentiment score`) on labelled files and/or corrections."""
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
    with progress("training", epochs * len(examples), noun="items") as bar:
        info = train_model(resolve_model(base or settings.model), examples, out, labels=settings.labels,
                           epochs=epochs, lr=lr, calibrate=cal, log=lambda m: click.echo(m, err=True),
                           progress=lambda n: bar.update(advance=n))
    click.echo(f"wrote {out} ({info['trained_on']} examples, {info['corrections']} corrections); "
               f"use it with sentiment.model = \"{out}\"")


@click.command("mark")
@click.argument("alert_id", type=int, required=False)
@click.option("--item", "item_id", type=int, help="mark this item instead (the id in parentheses in `alerts list`)")
@click.option("--label", required=True, type=click.Choice(["negative", "not_negative"]))
@click.option("--who", required=True, help="the officer's name")
@click.pass_obj
def mark_cmd(app: App, alert_id: int | None, item_id: int | None, label: str, who: str) -> None:
    """Record an officer's verdict on an alert's story (the alert id `alerts list` shows first, or
    --item ID); negative = needs a response,
    not_negative = does not; it feeds `sentiment train`."""
    from pipeline.models import Alert, Correction, ItemRow

    if (alert_id is None) == (item_id is None):
        raise click.UsageError("give the alert id (as `newsdesk alerts list` shows it) or --item ID")
    if not who.strip():
        raise click.BadParameter("must not be empty", param_hint="--who")
    with app.session() as session:
        if alert_id is not None:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise click.ClickException(f"no alert {alert_id} (see `newsdesk alerts list`)")
            if alert.item_id is None:
                raise click.ClickException(f"alert {alert_id} is a {alert.kind} alert about no single item")
            item_id = alert.item_id
        item = session.get(ItemRow, item_id)
        if item is None:
            raise click.ClickException(f"no item with id {item_id}")
        corr = Correction(item_id=item.id, label=label, who=who.strip())
        session.add(corr)
        session.flush()
        via = f"alert {alert_id}, " if alert_id is not None else ""
        click.echo(f"{via}item {item.id} marked {label} by {corr.who} (correction {corr.id})")


def register(main: click.Group, **groups: click.Group) -> None:
    """Attach ``sentiment score|finetune|eval`` and ``alerts mark``."""
    for cmd in (score_cmd, finetune_cmd, eval_cmd):
        groups["sentiment"].add_command(cmd)
    groups["alerts"].add_command(mark_cmd)
