"""The inbox: flagged stories, highest priority and newest first; assign, respond, dismiss,
"not negative" (a correction) and draft a statement. New alerts are fetched every few seconds."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from pipeline import corrections, responses
from pipeline.models import User
from pipeline.settings import Settings
from web import forms
from web.deps import DB, csrf_check, officer, settings_of
from web.inbox import InboxFilters, card_for, cards, newest_id, outlet_choices
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])


def _filters(request: Request, settings: Settings) -> InboxFilters:
    p = request.query_params
    tz = settings.office.timezone
    return InboxFilters(
        agency=p.get("agency", ""), priority=p.get("priority", ""), status=p.get("status", "active"),
        outlet=p.get("outlet", ""), government=p.get("government", ""),
        since=forms.day_start(forms.day(p.get("since"), "起日"), tz),
        until=forms.day_end(forms.day(p.get("until"), "迄日"), tz),
        min_score=forms.number(p.get("min_score"), "最低分數"))


def _query_string(request: Request, **extra: str | int) -> str:
    params = {k: v for k, v in request.query_params.items() if k not in ("after", "page") and v}
    params.update({k: str(v) for k, v in extra.items()})
    return urlencode(params)


@router.get("/")
def inbox(request: Request, page: int = 1, user: User = Depends(officer), session: Session = DB,
          settings: Settings = Depends(settings_of)) -> Response:
    f = _filters(request, settings)
    size = settings.web.page_size
    found = cards(session, f, limit=size + 1, offset=(max(page, 1) - 1) * size)
    return render(request, "inbox.html", cards=found[:size], more=len(found) > size, page=max(page, 1),
                  f=f, agencies=settings.agency_names(), outlets=outlet_choices(settings),
                  after=newest_id(session), poll_query=_query_string(request),
                  next_query=_query_string(request, page=max(page, 1) + 1))


@router.get("/inbox/new")
def new_cards(request: Request, after: int = 0, user: User = Depends(officer), session: Session = DB,
              settings: Settings = Depends(settings_of)) -> Response:
    """The poller: cards opened since ``after`` (matching the page's filters) and the next poller."""
    found = cards(session, _filters(request, settings), limit=50, after=after)
    return render(request, "_poller.html", cards=found, after=max([after, newest_id(session)]),
                  poll_query=_query_string(request), agencies=settings.agency_names())


def _card(request: Request, session: Session, settings: Settings, response_id: int, note: str) -> Response:
    return render(request, "_card.html", c=card_for(session, response_id), note=note,
                  agencies=settings.agency_names())


@router.post("/inbox/{response_id}/assign")
def assign(request: Request, response_id: int, agency: str = Form(""), officer_name: str = Form(""),
           expected: str = Form(""), user: User = Depends(officer), session: Session = DB,
           settings: Settings = Depends(settings_of)) -> Response:
    responses.assign(session, settings, response_id, agency=agency or None, officer=officer_name or user.name,
                     expected=expected or None)
    return _card(request, session, settings, response_id, "已分派")


@router.post("/inbox/{response_id}/respond")
def respond(request: Request, response_id: int, text: str = Form(""), link: str = Form(""),
            expected: str = Form(""), user: User = Depends(officer), session: Session = DB,
            settings: Settings = Depends(settings_of)) -> Response:
    responses.respond(session, response_id, text=text, link=link, expected=expected or None)
    return _card(request, session, settings, response_id, "已記錄回應")


@router.post("/inbox/{response_id}/dismiss")
def dismiss(request: Request, response_id: int, reason: str = Form(""), expected: str = Form(""),
            user: User = Depends(officer), session: Session = DB,
            settings: Settings = Depends(settings_of)) -> Response:
    responses.dismiss(session, response_id, reason, expected=expected or None)
    return _card(request, session, settings, response_id, "已標為不需回應")


@router.post("/inbox/{response_id}/not-negative")
def not_negative(request: Request, response_id: int, expected: str = Form(""), user: User = Depends(officer),
                 session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    """A correction for the model (the item is not negative) and the story needs no response."""
    c = card_for(session, response_id)
    if c.item is not None:
        corrections.record(session, c.item.id, "not_negative", user.name)
    responses.dismiss(session, response_id, f"不需回應（{user.name} 更正）", expected=expected or None)
    return _card(request, session, settings, response_id, "已更正為不需回應，模型下次訓練會採用")
