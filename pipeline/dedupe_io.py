"""``newsdesk dedupe``: JSON Lines of items in, ``{"id", "cluster"}`` out, through the real stages.

Each input line is ``{"id", "title", "text", "url"?, "published_at"?}``; ``published_at`` is ISO 8601
(a date or a naive time is read in the office's zone). Items of one story share ``cluster``; an
exact copy gets the cluster of the item it copies and ``"duplicate"``; a line that cannot be read is
reported on standard error with its line number and the rest goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy.orm import Session, sessionmaker

from pipeline.items import Item
from pipeline.settings import Settings
from pipeline.stages import Context
from pipeline.stages.dedupe import assign, take_lock
from pipeline.stages.normalize import normalize


class InputError(ValueError):
    pass


@dataclass
class Outcome:
    id: Any
    cluster: int | None
    duplicate: str | None = None
    error: str | None = None

    def json(self) -> str:
        out: dict[str, Any] = {"id": self.id, "cluster": self.cluster}
        if self.duplicate:
            out["duplicate"] = self.duplicate
        if self.error:
            out["error"] = self.error
        return json.dumps(out, ensure_ascii=False)


def parse_line(line: str, where: str) -> Item:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict) or "id" not in data:
        raise InputError(f"{where}: expected an object with an 'id'")
    for key in ("title", "text", "url"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise InputError(f"{where}: {key}: expected a string")
    published = data.get("published_at")
    when = None
    if published:
        try:
            when = datetime.fromisoformat(str(published))
        except ValueError:
            raise InputError(f"{where}: published_at: not an ISO 8601 date or time: {published!r}") from None
    url = data.get("url") or f"urn:newsdesk:item:{data['id']}"
    return Item(url=url, title=data.get("title") or "", text=data.get("text") or "",
                source=str(data.get("source") or "input"), outlet=data.get("outlet"), published_at=when,
                meta={"input_id": data["id"]})


def cluster_lines(lines: Iterable[str], settings: Settings, sessions: sessionmaker[Session],
                  name: str = "<stdin>", commit_every: int = 500) -> Iterator[Outcome]:
    """Cluster the items of ``lines`` into stories, committing every ``commit_every`` items."""
    session = sessions()
    ctx = Context(settings=settings, session=session)
    try:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = parse_line(line, f"{name}:{n}")
            except InputError as exc:
                yield Outcome(None, None, error=str(exc))
                continue
            yield _one(item, ctx)
            if n % commit_every == 0:
                session.commit()
        session.commit()
    finally:
        session.close()


def _one(item: Item, ctx: Context) -> Outcome:
    ident = item.meta["input_id"]
    if not (item.title or "").strip() and not (item.text or "").strip():
        return Outcome(ident, None, duplicate=None, error="empty title and text")
    normalize(item, ctx)
    take_lock(ctx.session, ctx.settings.dedupe.window_days)
    decision = assign(ctx.session, item, ctx)
    return Outcome(ident, decision.cluster_id, decision.duplicate)


def write(outcomes: Iterable[Outcome], out: TextIO, err: TextIO) -> int:
    """Write results; problems go to ``err``. Returns the number of problems."""
    problems = 0
    for o in outcomes:
        if o.id is None:
            problems += 1
            err.write(f"newsdesk dedupe: {o.error}\n")
            continue
        out.write(o.json() + "\n")
    return problems
