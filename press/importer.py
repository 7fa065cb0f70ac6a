"""``newsdesk press import FILE``: past releases from JSON Lines, so an office starts with its history.

Each line: ``title``, ``agency``, ``published_at``, ``body``, optional ``url`` (the names used by
other offices' exports are accepted too: ``published``, ``department``, ``content``). The agency is
``agency`` or ``department``, else the body's ``發稿單位：`` line. The batch contract holds
(:mod:`pipeline.batch`): every line gets one :class:`LineResult` in order (imported with its release
id, already present, or rejected with the line number and the reason); a bad line never stops the
import of the good ones. Importing the same file twice adds nothing (a content hash per release).
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pipeline.batch import FieldError, Line, open_input, read_jsonl, string_field
from pipeline.models import Release, utcnow
from press import roc
from press.agencies import AgencyNames, issuer_from_body

ALIASES = {
    "title": ("title",),
    "agency": ("agency", "department"),
    "published_at": ("published_at", "published"),
    "body": ("body", "content"),
    "url": ("url", "link"),
}
BATCH = 2000
AGENCY_CHARS = 100  # the releases.agency column
_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})")


@dataclass(frozen=True)
class LineResult:
    """What became of one input line: ``imported`` (with the release id), ``duplicate`` or ``rejected``."""

    line: int
    status: str
    id: int | None = None
    title: str | None = None
    error: str | None = None

    def record(self) -> dict[str, Any]:
        return {"status": self.status, "id": self.id, "title": self.title}


@dataclass
class ImportSummary:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    def add(self, result: LineResult) -> None:
        self.read += 1
        if result.status == "imported":
            self.imported += 1
        elif result.status == "duplicate":
            self.duplicates += 1
        else:
            self.rejected.append((result.line, (result.error or "").removeprefix(f"line {result.line}: ")))

    def describe(self, source: str) -> str:
        text = (
            f"{source}: {self.read:,} lines read, {self.imported:,} imported, "
            f"{self.duplicates:,} already present, {len(self.rejected):,} rejected"
        )
        shown = [f"  line {n}: {why}" for n, why in self.rejected[:10]]
        more = len(self.rejected) - len(shown)
        return "\n".join([text, *shown] + ([f"  ... and {more} more"] if more > 0 else []))


def open_lines(path: Path) -> IO[str]:
    """A text stream over a ``.jsonl`` or ``.jsonl.gz`` file (benchmarks); the error names the file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(2)
        if head == b"\x1f\x8b":
            return gzip.open(path, "rt", encoding="utf-8")
        return path.open("r", encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot open: {exc.strerror}") from None


def _field(row: dict[str, Any], name: str) -> str | None:
    """The first of the field's names that holds a non-empty string; a value of another type is an error."""
    for key in ALIASES[name]:
        value = string_field(row, key)
        if value not in (None, ""):
            return value
    return None


def parse_published(value: Any, tz: ZoneInfo) -> datetime:
    """A date (midnight in the office's zone) or an ISO datetime (naive ones read in that zone)."""
    if not isinstance(value, str):
        raise ValueError(f"published_at {value!r} is not a date string")
    text = _SLASHED.sub(
        lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", value.strip().replace("Z", "+00:00")
    )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:  # ROC dates: 113/9/2, 113年9月2日
            parsed = datetime.combine(roc.parse_date(text), datetime.min.time())
        except ValueError:
            raise ValueError(f"published_at {value!r} is not an ISO or ROC date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def content_hash(title: str, agency: str, published: datetime, url: str | None, body: str) -> str:
    key = "\x1f".join((title, agency, published.isoformat(), url or "", body))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def release_row(row: dict[str, Any], names: AgencyNames, tz: ZoneInfo) -> dict[str, Any]:
    """A row for the ``releases`` table from one input object; ValueError says what is wrong."""
    title, published = _field(row, "title"), _field(row, "published_at")
    if not title or not title.strip() or not published:
        missing = [k for k, v in (("title", (title or "").strip()), ("published_at", published)) if not v]
        raise FieldError(f"missing {', '.join(missing)}")
    when = parse_published(published, tz)
    body = _field(row, "body") or ""
    unit = _field(row, "agency") or issuer_from_body(body)
    agency = names.short(unit)
    if len(agency) > AGENCY_CHARS:
        raise FieldError(f"agency is longer than {AGENCY_CHARS} characters")
    url = _field(row, "url")
    return {
        "kind": "release",
        "title": title.strip(),
        "agency": agency,
        "body": body,
        "status": "published",
        "published_at": when,
        "url": url,
        "imported": True,
        "content_hash": content_hash(title, agency, when, url, body),
        "meta": {"unit": unit} if unit and unit != agency else {},
    }


def read_releases(lines: Iterable[Line], names: AgencyNames,
                  tz: ZoneInfo) -> Iterable[tuple[int, dict[str, Any] | str]]:
    """(line number, release row | error text) per input line, in order."""
    for line in lines:
        if line.value is None:
            yield line.number, line.error or f"line {line.number}: unreadable"
            continue
        try:
            yield line.number, release_row(line.value, names, tz)
        except ValueError as exc:
            yield line.number, f"line {line.number}: {exc}"


def import_releases(
    session: Session,
    path: Path,
    names: AgencyNames,
    tz: str = "Asia/Taipei",
    *,
    on_line: Callable[[LineResult], None] | None = None,
    progress: Callable[[int | None], None] | None = None,
) -> ImportSummary:
    """Import a JSON Lines file of past releases in batches; ``on_line`` gets each line's result in
    order (after its batch is stored, so imported lines carry their release id). ``progress`` gets
    the bytes of the file read so far. :class:`pipeline.batch.InputError` when the file cannot be opened."""
    summary = ImportSummary()
    known = set(session.scalars(select(Release.content_hash).where(Release.imported.is_(True))))
    now = utcnow()
    pending: list[tuple[LineResult, dict[str, Any] | None]] = []  # this batch, in order; rows to insert

    def store() -> None:
        rows = [row for _, row in pending if row is not None]
        ids = iter(session.scalars(insert(Release).returning(Release.id, sort_by_parameter_order=True), rows)
                   if rows else [])
        for result, row in pending:
            done = LineResult(result.line, "imported", next(ids), result.title) if row is not None else result
            summary.add(done)
            if on_line is not None:
                on_line(done)
        pending.clear()

    with open_input(path) as src:
        for number, row in read_releases(read_jsonl(src.stream, src.name), names, ZoneInfo(tz)):
            if isinstance(row, str):
                pending.append((LineResult(number, "rejected", error=row), None))
            elif row["content_hash"] in known:
                pending.append((LineResult(number, "duplicate", title=row["title"]), None))
            else:
                known.add(row["content_hash"])
                row.update(created_at=now, updated_at=now, timezone=tz)
                pending.append((LineResult(number, "imported", title=row["title"]), row))
            if len(pending) >= BATCH:
                store()
                if progress is not None:
                    progress(src.position())
        store()
    return summary
