"""``newsdesk dedupe``: JSON Lines of items in, ``{"id", "cluster", "line"}`` out, through the real stages.

Each input line is ``{"id", "title", "text", "url"?, "published_at"?, "outlet"?}``; ``published_at``
is ISO 8601 (a date or a naive time is read in the office's zone). Items of one story share
``cluster``; an exact copy gets the cluster of the item it copies and ``"duplicate"``. The batch
contract holds (:mod:`pipeline.batch`): one record per input line, in order; a line that cannot be
read gets ``{"id": null, "cluster": null, "line", "error"}`` in its place and the rest goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline.batch import FieldError, Line, id_field, parse_text, string_field
from pipeline.items import Item
from pipeline.settings import Settings
from pipeline.stages import Context
from pipeline.stages.dedupe import assign, take_lock
from pipeline.stages.normalize import normalize


@dataclass
class Outcome:
    id: Any
    cluster: int | None
    duplicate: str | None = None
    error: str | None = None
    line: int = 0

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "cluster": self.cluster}
        if self.duplicate:
            out["duplicate"] = self.duplicate
        return out

    def json(self) -> str:
        out = {**self.record(), "line": self.line}
        if self.error:
            out["error"] = self.error
        return json.dumps(out, ensure_ascii=False)


def parse_item(data: dict[str, Any]) -> Item:
    """An item from one input object; :class:`FieldError` names the field that is wrong."""
    ident = id_field(data, required=True)
    for key in ("title", "text", "url", "source", "outlet"):
        string_field(data, key)
    published = string_field(data, "published_at")
    when = None
    if published:
        try:
            when = datetime.fromisoformat(published)
        except ValueError:
            raise FieldError(f"published_at: not an ISO 8601 date or time: {published!r}") from None
    url = data.get("url") or f"urn:newsdesk:item:{ident}"
    return Item(url=url, title=data.get("title") or "", text=data.get("text") or "",
                source=str(data.get("source") or "input"), outlet=data.get("outlet"), published_at=when,
                meta={"input_id": ident})


def cluster_lines(lines: Iterable[Line] | Iterable[str], settings: Settings, sessions: sessionmaker[Session],
                  name: str = "<stdin>", commit_every: int = 500) -> Iterator[Outcome]:
    """Cluster the items of ``lines`` into stories, committing every ``commit_every`` items; one
    :class:`Outcome` per line, in order (``lines``: :func:`pipeline.batch.read_jsonl` output, or text)."""
    session = sessions()
    ctx = Context(settings=settings, session=session)
    try:
        for line in _as_lines(lines):
            if line.value is None:
                yield Outcome(None, None, error=line.error, line=line.number)
                continue
            try:
                item = parse_item(line.value)
            except FieldError as exc:
                yield Outcome(line.value.get("id") if _plain(line.value.get("id")) else None, None,
                              error=f"line {line.number}: {exc}", line=line.number)
                continue
            outcome = _one(item, ctx)
            outcome.line = line.number
            if outcome.error:
                outcome.error = f"line {line.number}: {outcome.error}"
            yield outcome
            if line.number % commit_every == 0:
                session.commit()
        session.commit()
    finally:
        session.close()


def _plain(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _as_lines(lines: Iterable[Line] | Iterable[str]) -> Iterator[Line]:
    for number, line in enumerate(lines, 1):
        yield line if isinstance(line, Line) else parse_text(str(line), number)


def _one(item: Item, ctx: Context) -> Outcome:
    ident = item.meta["input_id"]
    if not (item.title or "").strip() and not (item.text or "").strip():
        return Outcome(ident, None, duplicate=None, error="empty title and text")
    normalize(item, ctx)
    take_lock(ctx.session, ctx.settings.dedupe.window_days)
    decision = assign(ctx.session, item, ctx)
    return Outcome(ident, decision.cluster_id, decision.duplicate)
