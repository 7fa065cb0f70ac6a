"""``newsdesk press import FILE``: past releases from JSON Lines, so an office starts with its history.

Each line: ``title``, ``agency``, ``published_at``, ``body``, optional ``url`` (the names used by
other offices' exports are accepted too: ``published``, ``department``, ``content``). The agency is
``agency`` or ``department``, else the body's ``發稿單位：`` line. A line that cannot be a release
(no title or no date, bad JSON) is rejected with its line number and reason; nothing else is lost.
Importing the same file twice adds nothing (a content hash per release).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

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
_SLASHED = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})")


@dataclass
class ImportSummary:
    read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    def describe(self, source: str) -> str:
        text = (
            f"{source}: {self.read:,} lines read, {self.imported:,} imported, "
            f"{self.duplicates:,} already present, {len(self.rejected):,} rejected"
        )
        shown = [f"  line {n}: {why}" for n, why in self.rejected[:10]]
        more = len(self.rejected) - len(shown)
        return "\n".join([text, *shown] + ([f"  ... and {more} more"] if more > 0 else []))


def open_lines(path: Path) -> IO[str]:
    """A text stream over a ``.jsonl`` or ``.jsonl.gz`` file; the error names the file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(2)
        if head == b"\x1f\x8b":
            return gzip.open(path, "rt", encoding="utf-8")
        return path.open("r", encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot open: {exc.strerror}") from None


def _field(row: dict[str, Any], name: str) -> Any:
    for key in ALIASES[name]:
        value = row.get(key)
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


def read_releases(
    lines: IO[str], names: AgencyNames, tz: ZoneInfo, summary: ImportSummary
) -> Iterator[dict[str, Any]]:
    """Rows ready for the ``releases`` table; bad lines go to ``summary.rejected``."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        summary.read += 1
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            summary.rejected.append((number, f"not JSON: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            summary.rejected.append((number, "not a JSON object"))
            continue
        title, published = _field(row, "title"), _field(row, "published_at")
        if not title or not published:
            missing = [k for k, v in (("title", title), ("published_at", published)) if not v]
            summary.rejected.append((number, f"missing {', '.join(missing)}"))
            continue
        try:
            when = parse_published(published, tz)
        except ValueError as exc:
            summary.rejected.append((number, str(exc)))
            continue
        body = str(_field(row, "body") or "")
        unit = _field(row, "agency") or issuer_from_body(body)
        agency = names.short(unit)
        url = _field(row, "url")
        yield {
            "kind": "release",
            "title": str(title).strip(),
            "agency": agency,
            "body": body,
            "status": "published",
            "published_at": when,
            "url": url,
            "imported": True,
            "content_hash": content_hash(str(title), agency, when, url, body),
            "meta": {"unit": unit} if unit and unit != agency else {},
        }


def import_releases(
    session: Session, path: Path, names: AgencyNames, tz: str = "Asia/Taipei"
) -> ImportSummary:
    """Import a JSON Lines file of past releases in batches; returns what happened to each line."""
    summary = ImportSummary()
    known = set(session.scalars(select(Release.content_hash).where(Release.imported.is_(True))))
    now = utcnow()
    batch: list[dict[str, Any]] = []
    with open_lines(path) as lines:
        for row in read_releases(lines, names, ZoneInfo(tz), summary):
            if row["content_hash"] in known:
                summary.duplicates += 1
                continue
            known.add(row["content_hash"])
            row.update(created_at=now, updated_at=now, timezone=tz)
            batch.append(row)
            if len(batch) >= BATCH:
                session.execute(insert(Release), batch)
                summary.imported += len(batch)
                batch = []
    if batch:
        session.execute(insert(Release), batch)
        summary.imported += len(batch)
    return summary
