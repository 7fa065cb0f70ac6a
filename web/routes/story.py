"""A story: every copy (outlet, time, link), the text with highlights, scores, routing reasons and
the response timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response as HttpResponse

from pipeline.models import Correction, ItemRow, MatchRow, Release, Response, SentimentScore, Transition, User
from web.deps import DB, csrf_check, officer
from web.errors import InputError
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])
MAX_COPIES = 200


def timeline(session: Session, response: Response | None) -> list[tuple[Any, str]]:
    """(when, what) steps: opened, assigned, responded or dismissed, and the statement's workflow."""
    if response is None:
        return []
    steps: list[tuple[Any, str]] = [(response.created_at, "開案（待處理）")]
    if response.status != "open" and response.updated_at and response.status == "assigned":
        steps.append((response.updated_at, f"分派給 {response.agency or ''} {response.officer or ''}".rstrip()))
    if response.status == "responded":
        steps.append((response.responded_at or response.updated_at, f"已回應：{response.text or response.link or ''}"))
    if response.status == "dismissed":
        steps.append((response.updated_at, f"不需回應：{response.reason or ''}"))
    if response.release_id:
        for t in session.scalars(select(Transition).where(Transition.release_id == response.release_id)
                                 .order_by(Transition.id)):
            steps.append((t.at, f"聲明稿 #{response.release_id}：{t.from_status or '—'} → {t.to_status}（{t.actor}）"))
    return sorted(steps, key=lambda s: s[0])


@router.get("/stories/{item_id}")
def story(request: Request, item_id: int, user: User = Depends(officer),
          session: Session = DB) -> HttpResponse:
    item = session.get(ItemRow, item_id)
    if item is None:
        raise InputError(f"報導 #{item_id} 不存在")
    copies = [item]
    if item.cluster_id is not None:
        copies = list(session.scalars(select(ItemRow).where(ItemRow.cluster_id == item.cluster_id)
                                      .order_by(ItemRow.published_at, ItemRow.id).limit(MAX_COPIES)))
    conds: list[Any] = [Response.item_id.in_([c.id for c in copies])]
    if item.cluster_id is not None:
        conds.append(Response.cluster_id == item.cluster_id)
    from sqlalchemy import or_

    response = session.scalar(select(Response).where(or_(*conds)).order_by(Response.id).limit(1))
    release = session.get(Release, response.release_id) if response and response.release_id else None
    matches = list(session.scalars(select(MatchRow).where(MatchRow.item_id == item.id)))
    return render(request, "story.html", item=item, copies=copies, response=response, release=release,
                  matches=matches, terms=[t for m in matches for t in (m.terms or [])],
                  scores=list(session.scalars(select(SentimentScore).where(SentimentScore.item_id == item.id)
                                              .order_by(SentimentScore.id))),
                  corrections=list(session.scalars(select(Correction).where(Correction.item_id == item.id))),
                  decision=dict((item.meta or {}).get("decision") or {}),
                  highlights=(item.meta or {}).get("highlights") or {}, steps=timeline(session, response))
