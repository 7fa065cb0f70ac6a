"""The tables of the office's report to the city council, as the report prints them.

| 類別 \\ 期間 | 1 月 | ... | 6 月 | 總計 (則) |, rows 本處發布新聞稿 (the office, from the settings) and
全府發布新聞稿 (all agencies), thousands separators; then posts per platform and responses per agency.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from pipeline.settings import Settings
from press.roc import Period
from press.tally import TallyRow, tally_posts, tally_releases, tally_responses

CORNER = "類別 \\ 期間"
TOTAL = "總計 (則)"
PLATFORM_NAMES = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
    "youtube": "YouTube",
    "x": "X",
    "line": "LINE",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "feed": "市府網站新聞稿",
}


@dataclass
class Table:
    """One report table: a caption, the month columns and one row of counts per category."""

    caption: str
    period: Period
    rows: list[tuple[str, list[int]]] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [CORNER, *[f"{m} 月" for _, m in self.period.months], TOTAL]

    def cells(self) -> list[list[str]]:
        return [[name, *[f"{n:,}" for n in counts], f"{sum(counts):,}"] for name, counts in self.rows]

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.header) + " |", "| " + " | ".join("---" for _ in self.header) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in self.cells()]
        return "\n".join(lines)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.cells())
        return out.getvalue()


def _by_month(rows: list[TallyRow], period: Period) -> dict[str, list[int]]:
    """key[1:] (agency/platform) → counts per month of the period."""
    index = {k: i for i, k in enumerate(period.keys())}
    out: dict[str, list[int]] = defaultdict(lambda: [0] * len(index))
    for row in rows:
        month, name = row.key
        if month in index:
            out[name][index[month]] += row.count
    return out


def releases_table(session: Session, settings: Settings, period: Period) -> Table:
    tz = settings.office.timezone
    rows = tally_releases(session, period.start, period.end, ("month", "agency"), tz=tz)
    per_agency = _by_month(rows, period)
    office = per_agency.get(settings.office.name, [0] * len(period.months))
    everyone = (
        [sum(col) for col in zip(*per_agency.values(), strict=True)] if per_agency else [0] * len(office)
    )
    return Table(
        f"{period.label}新聞稿發布則數",
        period,
        [("本處發布新聞稿", list(office)), ("全府發布新聞稿", everyone)],
    )


def posts_table(session: Session, settings: Settings, period: Period) -> Table:
    rows = tally_posts(session, period.start, period.end, ("month", "platform"), tz=settings.office.timezone)
    per_platform = _by_month(rows, period)
    order = list(PLATFORM_NAMES)
    names = sorted(per_platform, key=lambda p: (order.index(p) if p in order else len(order), p))
    return Table(
        f"{period.label}社群平臺貼文則數",
        period,
        [(PLATFORM_NAMES.get(p, p), per_platform[p]) for p in names],
    )


def responses_table(session: Session, settings: Settings, period: Period) -> Table:
    rows = tally_responses(session, period.start, period.end, tz=settings.office.timezone)
    per_agency = _by_month(rows, period)
    order = settings.agency_names()
    names = sorted(per_agency, key=lambda a: (order.index(a) if a in order else len(order), a))
    return Table(f"{period.label}輿情回應則數（依機關）", period, [(a, per_agency[a]) for a in names])


def build_report(session: Session, settings: Settings, period: Period) -> list[Table]:
    return [
        releases_table(session, settings, period),
        posts_table(session, settings, period),
        responses_table(session, settings, period),
    ]


def report_markdown(tables: list[Table]) -> str:
    parts = []
    for t in tables:
        body = t.markdown() if t.rows else "（本期無資料）"
        parts.append(f"### {t.caption}\n\n{body}\n")
    return "\n".join(parts)


def report_csv(tables: list[Table]) -> str:
    return "\n".join(f"# {t.caption}\n{t.csv()}" for t in tables)
