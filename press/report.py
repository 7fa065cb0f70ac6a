"""The office's half-year report to the city council: its figures in its own wording, and its tables.

The release table is reproduced exactly as the report prints it::

    | 類別 \\ 期間 | 1 月 | ... | 6 月 | 總計 (則) |
    | 本處發布新聞稿 | 25 | ... | 254 |      (本處: the office, ``office.name``)
    | 全府發布新聞稿 | 594 | ... | 3,962 |    (全府: every agency)

then press conferences, posts per platform and per media type, and responses per agency. The figures
are the sentences of the report's §五 in its own wording, each with its count: releases (本處與全府各
發布新聞稿 N 則及 N 則), conferences the Mayor hosted (計安排市長主持 N 場府級記者會), responses (計回應 N 則)
and video posts on the Mayor's platforms (計發布 N 則影音貼文).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from pipeline.settings import Settings
from pipeline.tables import Column, Table, as_markdown
from press.conferences import tally_conferences
from press.roc import ROC_OFFSET, Period
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


@dataclass(frozen=True)
class Figure:
    """One number of the report and the sentence the report states it in."""

    key: str
    label: str
    value: int
    sentence: str


@dataclass
class Report:
    period: Period
    label: str  # 113年上半年 (roc) or 2024年上半年 (gregorian)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"no table {name!r} in the report (tables: {', '.join(t.name for t in self.tables)})")

    def figures_table(self) -> Table:
        columns = [Column("key", "項目代碼"), Column("label", "項目"), Column("value", "數量", numeric=True),
                   Column("sentence", "報告文字")]
        rows = [[f.key, f.label, f.value, f.sentence] for f in self.figures]
        return Table("業務統計", columns, rows, title=f"{self.label}業務統計", total_row=False)


def period_label(period: Period, calendar: str = "roc") -> str:
    """``113年上半年`` (roc) or ``2024年上半年`` (gregorian)."""
    if calendar == "roc":
        return period.label
    year = period.months[0][0]
    return period.label.replace(f"{year - ROC_OFFSET}年", f"{year}年", 1)


def month_table(name: str, title: str, period: Period, rows: Sequence[tuple[str, list[int]]],
                *, total_row: bool) -> Table:
    """Categories down, the period's months across, a 總計 (則) column (and row, if asked)."""
    columns = [Column("category", CORNER)]
    columns += [Column(f"{y:04d}-{m:02d}", f"{m} 月", numeric=True) for y, m in period.months]
    columns.append(Column("total", TOTAL, numeric=True))
    body = [[label, *counts, sum(counts)] for label, counts in rows]
    return Table(name, columns, body, title=title, total_row=total_row)


def by_month(rows: list[TallyRow], period: Period) -> dict[str, list[int]]:
    """key[1] (agency, platform, ...) → counts per month of the period (key[0] is the month)."""
    index = {k: i for i, k in enumerate(period.keys())}
    out: dict[str, list[int]] = defaultdict(lambda: [0] * len(index))
    for row in rows:
        month, name = row.key
        if month in index:
            out[name][index[month]] += row.count
    return out


def releases_rows(session: Session, settings: Settings, period: Period) -> list[tuple[str, list[int]]]:
    rows = tally_releases(session, period.start, period.end, ("month", "agency"), tz=settings.office.timezone)
    per_agency = by_month(rows, period)
    office = per_agency.get(settings.office.name, [0] * len(period.months))
    everyone = [sum(col) for col in zip(*per_agency.values(), strict=True)] if per_agency else [0] * len(office)
    return [("本處發布新聞稿", list(office)), ("全府發布新聞稿", everyone)]


#: Where the report counts video posts: the Mayor's Facebook, Instagram, YouTube and Threads.
MAYOR_PLATFORMS = ("facebook", "instagram", "youtube", "threads")
MEDIA_ROWS = {"video": "影音貼文", "image": "圖文貼文", "text": "文字貼文"}


def conference_rows(session: Session, settings: Settings, period: Period) -> list[tuple[str, list[int]]]:
    rows = tally_conferences(session, period.start, period.end, ("month", "host"), tz=settings.office.timezone)
    per_host = by_month(rows, period)
    zero = [0] * len(period.months)
    return [("市長主持府級記者會", per_host.get("市長主持", zero)), ("其他記者會", per_host.get("其他", zero))]


def media_rows(session: Session, settings: Settings, period: Period,
               platforms: tuple[str, ...] = ()) -> list[tuple[str, list[int]]]:
    rows = tally_posts(session, period.start, period.end, ("month", "media"), tz=settings.office.timezone,
                       platforms=platforms)
    per_media = by_month(rows, period)
    return [(name, per_media.get(kind, [0] * len(period.months))) for kind, name in MEDIA_ROWS.items()]


def posts_rows(session: Session, settings: Settings, period: Period) -> list[tuple[str, list[int]]]:
    rows = tally_posts(session, period.start, period.end, ("month", "platform"), tz=settings.office.timezone)
    per_platform = by_month(rows, period)
    order = list(PLATFORM_NAMES)
    names = sorted(per_platform, key=lambda p: (order.index(p) if p in order else len(order), p))
    return [(PLATFORM_NAMES.get(p, p), per_platform[p]) for p in names]


def responses_rows(session: Session, settings: Settings, period: Period) -> list[tuple[str, list[int]]]:
    rows = tally_responses(session, period.start, period.end, tz=settings.office.timezone)
    per_agency = by_month(rows, period)
    order = settings.agency_names()
    names = sorted(per_agency, key=lambda a: (order.index(a) if a in order else len(order), a))
    return [(a, per_agency[a]) for a in names]


def _sum(rows: Sequence[tuple[str, list[int]]]) -> int:
    return sum(sum(counts) for _, counts in rows)


def build_report(session: Session, settings: Settings, period: Period, calendar: str = "roc") -> Report:
    """Every figure and table of the office's report for ``period``."""
    label = period_label(period, calendar)
    releases = releases_rows(session, settings, period)
    conferences = conference_rows(session, settings, period)
    posts = posts_rows(session, settings, period)
    media = media_rows(session, settings, period)
    responses = responses_rows(session, settings, period)
    office, everyone = (sum(c) for _, c in releases)
    mayor = sum(conferences[0][1])
    videos = sum(media_rows(session, settings, period, MAYOR_PLATFORMS)[0][1])
    report = Report(period, label)
    report.figures = [
        Figure("releases", "本處與全府發布新聞稿", everyone,
               f"{label}本處與全府各發布新聞稿 {office:,} 則及 {everyone:,} 則"),
        Figure("conferences", "市長主持府級記者會", mayor, f"{label}計安排市長主持 {mayor:,} 場府級記者會"),
        Figure("responses", "回應輿情", _sum(responses), f"{label}計回應 {_sum(responses):,} 則"),
        Figure("video_posts", "市長社群平臺影音貼文", videos, f"{label}計發布 {videos:,} 則影音貼文"),
    ]
    report.tables = [
        month_table("新聞稿", f"{label}新聞稿發布則數", period, releases, total_row=False),
        month_table("記者會", f"{label}記者會場次", period, conferences, total_row=True),
        month_table("社群貼文", f"{label}社群平臺貼文則數", period, posts, total_row=True),
        month_table("貼文類型", f"{label}社群貼文則數（依類型）", period, media, total_row=True),
        month_table("輿情回應", f"{label}輿情回應則數（依機關）", period, responses, total_row=True),
    ]
    return report


def report_markdown(report: Report) -> str:
    """The figures as the report's sentences, then each table (a table with no rows says so)."""
    parts = [f"## {report.label}工作報告數據\n"]
    parts += [f"- {f.sentence}。" for f in report.figures]
    parts.append("")
    for t in report.tables:
        parts.append(f"### {t.title}\n")
        parts.append((as_markdown(t) if t.rows else "（本期無資料）") + "\n")
    return "\n".join(parts)
