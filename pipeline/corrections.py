"""Officers' verdicts on an item's sentiment ("not negative"): they feed ``newsdesk sentiment train``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipeline.models import Correction, ItemRow

LABELS = ("negative", "not_negative")


def record(session: Session, item_id: int, label: str, who: str) -> Correction:
    if label not in LABELS:
        raise ValueError(f"label {label!r}: choose from {', '.join(LABELS)}")
    if session.get(ItemRow, item_id) is None:
        raise ValueError(f"no item with id {item_id}")
    if not who.strip():
        raise ValueError("a correction needs the officer's name")
    row = Correction(item_id=item_id, label=label, who=who.strip())
    session.add(row)
    session.flush()
    return row
