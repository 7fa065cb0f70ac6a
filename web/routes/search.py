"""Search over the whole archive (the index of :mod:`pipeline.search`), with filters and CSV export."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from pipeline.models import ItemRow, User
from pipeline.search import Filters, catch_up, search, terms_of
from pipeline.settings import Settings
from pipeline.textnorm import Highlighter
from press import roc
from web import forms
from web.deps import DB, csrf_check, officer, settings_of
from web.render import outlet_name, render

router = APIRouter(dependencies=[Depends(csrf_check)])
CSV_ROWS = 10_000


def _filters(request: Request, settings: Settings) -> Filters:
    p, tz = request.query_params, settings.office.timezone
    return Filters(agency=p.get("agency") or None, outlet=p.get("outlet") or None,
                   government=p.get("government") or None,
                   flagged=True if p.get("flagged") == "1" else None,
                   since=forms.day_start(forms.day(p.get("since"), "起日"), tz),
                   until=forms.day_end(forms.day(p.get("until"), "迄日"), tz))


def snippet(item: ItemRow, terms: list[str]) -> list[str]:
    return Highlighter(f"{item.title}\n{item.text}").snippets(terms, width=40)[:2]


@router.get("/search")
def search_page(request: Request, q: str = "", page: int = 1, user: User = Depends(officer),
                session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    rows: list[ItemRow] = []
    more, terms = False, []
    page = max(page, 1)
    if q.strip():
        catch_up(session)  # items stored by a path without the index stage (nothing, usually)
        size = settings.web.page_size
        rows, more = search(session, q, _filters(request, settings), limit=size, offset=(page - 1) * size)
        terms = terms_of(q)
    params = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"])
    return render(request, "search.html", q=q, rows=rows, more=more, page=page, params=params,
                  snippets={r.id: snippet(r, terms) for r in rows}, agencies=settings.agency_names())


@router.get("/search.csv")
def search_csv(request: Request, q: str, user: User = Depends(officer), session: Session = DB,
               settings: Settings = Depends(settings_of)) -> Response:
    """Every match up to 10,000 rows; UTF-8 with a BOM so Excel reads the Chinese."""
    catch_up(session)
    rows, _ = search(session, q, _filters(request, settings), limit=CSV_ROWS)
    tz = settings.office.timezone
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["編號", "時間", "媒體", "標題", "連結", "分派機關", "政府", "需回應機率", "優先"])
    for r in rows:
        when = r.published_at or r.collected_at
        writer.writerow([r.id, roc.roc_datetime(when, tz) if when else "", outlet_name(r.outlet), r.headline, r.url,
                         r.agency or "", r.government or "",
                         "" if r.response_score is None else f"{r.response_score:.3f}", r.priority or ""])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=\"newsdesk-search.csv\""})
