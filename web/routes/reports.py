"""Reports: the council report's tables (本處/全府 releases, posts per platform, responses per agency)
and items routed per agency, as tables and charts, with CSV (UTF-8 BOM) and XLSX export."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from pipeline.models import User
from pipeline.responses import tally_routed
from pipeline.settings import Settings
from pipeline.tables import Table, as_csv, as_xlsx
from press.report import build_report, month_table
from press.roc import Period, parse_period
from web.deps import DB, csrf_check, officer, settings_of
from web.errors import InputError
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])


def _period(text: str | None, tz: str) -> tuple[str, Period]:
    if not text:
        now = datetime.now(ZoneInfo(tz))
        text = f"{now.year - 1911}H{1 if now.month <= 6 else 2}"
    try:
        return text, parse_period(text)
    except ValueError as exc:
        raise InputError(f"期間：{exc}") from None


def routed_table(session: Session, settings: Settings, period: Period) -> Table:
    """Items routed to each agency per month (``pipeline.responses.tally_routed``), as a report table."""
    rows = tally_routed(session, period.start, period.end, ["month", "agency"], settings.office.timezone)
    index = {k: i for i, k in enumerate(period.keys())}
    per: dict[str, list[int]] = {}
    for row in rows:
        month, agency = row.key
        if month in index:
            per.setdefault(agency, [0] * len(index))[index[month]] += row.count
    order = settings.agency_names()
    names = sorted(per, key=lambda a: (order.index(a) if a in order else len(order), a))
    return month_table("輿情分派", f"{period.label}輿情分派則數（依機關）", period, [(a, per[a]) for a in names],
                       total_row=True)


def _tables(session: Session, settings: Settings, period: Period) -> list[Table]:
    return [*build_report(session, settings, period).tables, routed_table(session, settings, period)]


def chart(t: Table, top: int = 12) -> dict[str, Any]:
    """Chart.js data for one month table: a bar series per row (the biggest ``top`` rows)."""
    rows = sorted(t.rows, key=lambda r: -int(r[-1]))[:top]
    return {"labels": [c.title for c in t.columns[1:-1]],
            "series": [{"label": row[0], "data": row[1:-1]} for row in rows]}


@router.get("/reports")
def reports(request: Request, period: str | None = None, user: User = Depends(officer),
            session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    text, p = _period(period, settings.office.timezone)
    report = build_report(session, settings, p)
    tables = [*report.tables, routed_table(session, settings, p)]
    return render(request, "reports.html", period=text, label=p.label, tables=tables, figures=report.figures,
                  charts=[chart(t) for t in tables])


@router.get("/reports.csv")
def reports_csv(period: str | None = None, table: str | None = None, user: User = Depends(officer),
                session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    """One table per CSV file (UTF-8 with a BOM, the 總計 row last), as the CLI writes them."""
    text, p = _period(period, settings.office.timezone)
    tables = _tables(session, settings, p)
    chosen = next((t for t in tables if t.name == table), None) if table else tables[0]
    if chosen is None:
        raise InputError(f"沒有「{table}」這張表（{'、'.join(t.name for t in tables)}）")
    filename = quote(f"report-{text}-{chosen.name}.csv")
    return Response(as_csv(chosen), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})


@router.get("/reports.xlsx")
def reports_xlsx(period: str | None = None, user: User = Depends(officer), session: Session = DB,
                 settings: Settings = Depends(settings_of)) -> Response:
    text, p = _period(period, settings.office.timezone)
    return Response(as_xlsx(_tables(session, settings, p)),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="report-{text}.xlsx"'})
