"""Full-text search over the archive, index-backed on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Chinese has no spaces between words, and the words an officer looks for are often two characters
(捷運, 都更). Neither FTS5's trigram tokenizer nor pg_trgm can use an index for a two-character
string, so both backends index the same *bigram* document built here: the folded text
(:func:`pipeline.textnorm.fold`: NFKC, one script so 臺 = 台, lower-case ASCII) becomes overlapping
character pairs for CJK runs (a lone CJK character stays a unigram) and whole words for Latin
letters and digits. A query term becomes the phrase of its tokens, so 捷運局 is the phrase
"捷運 运局" and finds exactly that sequence; a single CJK character is a prefix query on the bigrams.

Queries use the watchlist language (:mod:`pipeline.query`): terms side by side mean AND, ``OR``,
``NOT``, "phrases", parentheses (``NEAR`` is read as AND). Results come newest first by item id
(the order of collection), read from the index in chunks and filtered against ``items``, so a page
costs about the same whatever the archive's size.

Items are indexed by the :func:`index` stage in the transaction that stores them; :func:`catch_up`
indexes any item above the index's highest id (items stored before the index existed, or by another
path), and :func:`rebuild` starts over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from pipeline import query as q
from pipeline.items import Item
from pipeline.models import ItemRow
from pipeline.stages import Context
from pipeline.textnorm import fold

MAX_CHARS = 6000  # of the body; PostgreSQL keeps positions up to 16,383, and a lead is what people search
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff\u3040-\u30ff\uac00-\ud7af"
_RUN = re.compile(rf"([{_CJK}]+)|([0-9a-z\u00c0-\u024f]+)")


class SearchError(ValueError):
    """A query that cannot be searched; the message says why and where."""


def tokens(value: str) -> list[str]:
    """The bigram/word tokens of ``value`` (folded first)."""
    out: list[str] = []
    for m in _RUN.finditer(fold(value)):
        run = m.group(1)
        if run is None:
            out.append(m.group(2))
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def document(title: str, body: str) -> list[str]:
    return tokens(f"{title}\n{(body or '')[:MAX_CHARS]}")


# --- queries: the watchlist syntax to FTS5 MATCH or tsquery ------------------------------------------


def _term(node: q.Term, dialect: str) -> str:
    toks = tokens(node.text)
    if not toks:
        raise SearchError(f"{node.text!r} has no letters, digits or Chinese characters to look for")
    prefix = len(toks) == 1 and len(toks[0]) == 1 and not toks[0].isascii()
    if dialect == "postgresql":
        return f"'{toks[0]}':*" if prefix else "(" + " <-> ".join(f"'{t}'" for t in toks) + ")"
    return f'"{toks[0]}"*' if prefix else '"' + " ".join(toks) + '"'


def _and(parts: Sequence[q.Node], dialect: str) -> str:
    pos = [compile_query(p, dialect) for p in parts if not isinstance(p, q.Not)]
    neg = [compile_query(p.child, dialect) for p in parts if isinstance(p, q.Not)]
    if not pos:
        raise SearchError("a query needs at least one word to look for, not only NOT")
    if dialect == "postgresql":
        return "(" + " & ".join(pos + [f"!{n}" for n in neg]) + ")"
    out = "(" + " AND ".join(pos) + ")"
    return out + "".join(f" NOT {n}" for n in neg)


def compile_query(node: q.Node, dialect: str) -> str:
    """``node`` as an FTS5 MATCH expression (sqlite) or a tsquery (postgresql)."""
    if isinstance(node, q.Term):
        return _term(node, dialect)
    if isinstance(node, q.Not):
        return _and([node], dialect)
    if isinstance(node, q.Near):
        return _and([node.left, node.right], dialect)
    if isinstance(node, q.And):
        return _and(node.children, dialect)
    if any(isinstance(c, q.Not) for c in node.children):
        raise SearchError("NOT cannot be one side of OR; write a NOT b OR c as (a NOT b) OR c")
    joiner = " | " if dialect == "postgresql" else " OR "
    return "(" + joiner.join(compile_query(c, dialect) for c in node.children) + ")"


def parse(text_query: str) -> q.Node:
    try:
        return q.parse(text_query)
    except q.QueryError as exc:
        raise SearchError(f"query {exc}") from None


# --- the index ----------------------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _tsvector(toks: list[str]) -> str:
    """A tsvector literal with positions (phrase queries need them); positions stop at 16,383."""
    where: dict[str, list[int]] = {}
    for pos, tok in enumerate(toks[:16383], 1):
        where.setdefault(tok, []).append(pos)
    return " ".join(f"'{t}':" + ",".join(map(str, ps[:256])) for t, ps in where.items())


def add(session: Session, rows: Iterable[tuple[int, str, str]]) -> int:
    """Index (id, title, text) rows; returns how many."""
    batch = [(ident, document(title, body)) for ident, title, body in rows]
    if not batch:
        return 0
    if _dialect(session) == "postgresql":
        session.execute(text("INSERT INTO item_search (item_id, doc) VALUES (:id, CAST(:doc AS tsvector)) "
                             "ON CONFLICT (item_id) DO UPDATE SET doc = EXCLUDED.doc"),
                        [{"id": i, "doc": _tsvector(t)} for i, t in batch])
    else:
        # contentless FTS5 cannot replace a row: only new ids come here (the stage, catch_up, rebuild)
        session.execute(text("INSERT INTO item_search (rowid, doc) VALUES (:id, :doc)"),
                        [{"id": i, "doc": " ".join(t)} for i, t in batch])
    return len(batch)


def index(item: Item, ctx: Context) -> Item:
    """Stage (after ``store``): make the stored item searchable in the same transaction."""
    if item.id is not None:
        add(ctx.session, [(item.id, item.title or "", item.text or "")])
        ctx.incr("search:indexed")
    return item


def indexed_up_to(session: Session) -> int:
    column = "item_id" if _dialect(session) == "postgresql" else "rowid"
    # ORDER BY ... LIMIT 1, not max(): FTS5 answers it from the end of its index without a scan
    found = session.execute(text(f"SELECT {column} FROM item_search ORDER BY {column} DESC LIMIT 1")).scalar()
    return int(found or 0)


def catch_up(session: Session, limit: int = 5000, chunk: int = 1000) -> int:
    """Index up to ``limit`` items above the highest indexed id; returns how many were added."""
    start, done = indexed_up_to(session), 0
    while done < limit:
        rows = session.execute(select(ItemRow.id, ItemRow.title, func.substr(ItemRow.text, 1, MAX_CHARS))
                               .where(ItemRow.id > start).order_by(ItemRow.id).limit(min(chunk, limit - done))).all()
        if not rows:
            break
        done += add(session, [(r[0], r[1] or "", r[2] or "") for r in rows])
        start = rows[-1][0]
    return done


def rebuild(session: Session, chunk: int = 2000) -> int:
    """Empty the index and index every item again."""
    if _dialect(session) == "postgresql":
        session.execute(text("DELETE FROM item_search"))
    else:
        session.execute(text("INSERT INTO item_search (item_search) VALUES ('delete-all')"))
    total = 0
    while n := catch_up(session, limit=chunk, chunk=chunk):
        total += n
    return total


# --- searching ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    agency: str | None = None
    outlet: str | None = None
    government: str | None = None
    flagged: bool | None = None
    since: datetime | None = None
    until: datetime | None = None


def _candidates(session: Session, compiled: str, chunk: int) -> Iterator[list[int]]:
    """Matching item ids, newest first, ``chunk`` at a time."""
    if _dialect(session) == "postgresql":
        sql = ("SELECT item_id FROM item_search WHERE doc @@ CAST(:q AS tsquery) "
               "AND item_id < :below ORDER BY item_id DESC LIMIT :n")
    else:
        sql = ("SELECT rowid FROM item_search WHERE item_search MATCH :q AND rowid < :below "
               "ORDER BY rowid DESC LIMIT :n")
    below = 2**62
    while True:
        try:
            ids = [r[0] for r in session.execute(text(sql), {"q": compiled, "below": below, "n": chunk})]
        except Exception as exc:  # the engine's own syntax error for an odd query: say it plainly
            if "syntax" in str(exc).lower() or "tsquery" in str(exc).lower():
                raise SearchError(f"cannot search for this query ({type(exc).__name__})") from None
            raise
        if not ids:
            return
        yield ids
        if len(ids) < chunk:
            return
        below = ids[-1]


def _active(f: Filters) -> bool:
    return any(v not in (None, "") for v in (f.agency, f.outlet, f.government, f.flagged, f.since, f.until))


def _keep(session: Session, ids: list[int], f: Filters) -> list[int]:
    """The ids among ``ids`` whose items pass the filters (ids only: the page's rows are loaded once)."""
    stmt = select(ItemRow.id).where(ItemRow.id.in_(ids))
    when = func.coalesce(ItemRow.published_at, ItemRow.collected_at)
    for column, value in ((ItemRow.agency, f.agency), (ItemRow.outlet, f.outlet),
                          (ItemRow.government, f.government), (ItemRow.flagged, f.flagged)):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    if f.since is not None:
        stmt = stmt.where(when >= f.since)
    if f.until is not None:
        stmt = stmt.where(when < f.until)
    return sorted(session.scalars(stmt), reverse=True)


def search(session: Session, query_text: str, filters: Filters = Filters(), *, limit: int = 50,
           offset: int = 0, chunk: int = 2000) -> tuple[list[ItemRow], bool]:
    """One page of matching items, newest first, and whether there are more."""
    compiled = compile_query(parse(query_text), _dialect(session))
    wanted = offset + limit + 1
    found: list[int] = []
    size = chunk if _active(filters) else wanted  # without filters the index alone answers the page
    for ids in _candidates(session, compiled, size):
        found += _keep(session, ids, filters) if _active(filters) else ids
        if len(found) >= wanted:
            break
    page = found[offset:offset + limit]
    rows = {r.id: r for r in session.scalars(select(ItemRow).where(ItemRow.id.in_(page)))} if page else {}
    return [rows[i] for i in page if i in rows], len(found) > offset + limit


def terms_of(query_text: str) -> list[str]:
    """The folded terms of a query, for highlighting (NOT terms excluded)."""
    node = parse(query_text)

    def walk(n: Any) -> list[str]:
        if isinstance(n, q.Term):
            return [n.text]
        if isinstance(n, q.Not):
            return []
        if isinstance(n, q.Near):
            return walk(n.left) + walk(n.right)
        return [t for c in n.children for t in walk(c)]

    return list(dict.fromkeys(walk(node)))
