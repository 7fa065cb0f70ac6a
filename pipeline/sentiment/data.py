"""Labelled examples: from CSV/JSONL files and from the officers' corrections in the database.

A labelled file is CSV with a ``text`` column and either ``negative`` (1/0) or ``label``
(``negative`` / ``not_negative``), or JSONL with the same keys. A bad row raises
:class:`DataError` naming the file and the line; nothing is skipped silently.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Correction, ItemRow

LABELS = {"negative": 1, "not_negative": 0, "1": 1, "0": 0}


class DataError(ValueError):
    """A labelled file or row is unusable; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 1 = negative
    origin: str  # "file:line" or "correction:<id>"


def _label(value: object, where: str) -> int:
    key = str(value).strip().lower()
    if key not in LABELS:
        raise DataError(f"{where}: label {value!r} is not negative/not_negative (or 1/0)")
    return LABELS[key]


def _row(row: dict[str, object], where: str) -> Example:
    text = row.get("text")
    if not isinstance(text, str):
        raise DataError(f"{where}: no text")
    if "negative" in row and row["negative"] not in (None, ""):
        return Example(text, _label(row["negative"], where), where)
    if "label" in row:
        return Example(text, _label(row["label"], where), where)
    raise DataError(f"{where}: no 'negative' or 'label' column")


def read_labelled(path: Path) -> list[Example]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{where}: not valid UTF-8") from None
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        out = []
        for n, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{n}: not a JSON object")
            out.append(_row(row, f"{path}:{n}"))
        return out
    reader = csv.DictReader(content.splitlines())
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise DataError(f"{path}: CSV needs a 'text' column (has {reader.fieldnames})")
    return [_row(dict(row), f"{path}:{reader.line_num}") for row in reader]


def item_text(item: ItemRow) -> str:
    """What the model reads of a stored item: title, then the body (cut to title + lead later)."""
    return "\n".join(part for part in (item.title, item.text) if part)


def corrections(session: Session) -> list[Example]:
    """The officers' verdicts, latest per item winning."""
    rows = session.execute(select(Correction, ItemRow).join(ItemRow, Correction.item_id == ItemRow.id)
                           .order_by(Correction.created_at, Correction.id)).all()
    latest: dict[int, Example] = {}
    for corr, item in rows:
        latest[item.id] = Example(item_text(item), _label(corr.label, f"correction {corr.id}"),
                                  f"correction:{corr.id}")
    return list(latest.values())


def texts_labels(examples: Iterable[Example]) -> tuple[list[str], list[int]]:
    items = list(examples)
    return [e.text for e in items], [e.label for e in items]
