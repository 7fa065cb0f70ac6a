"""Press releases: draft from a template with a live preview (HTML and each platform's post with its
length against the limit), the review/approve queue, scheduling, history with diffs, post texts."""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from pipeline.models import Post, Release, User, utcnow
from pipeline.settings import Settings
from press import posts as post_texts
from press import publishers, templating
from press.drafting import DraftError, draft, parse_sets, render_release, story_from_item
from press.schedule import NEEDS_MEDIA, post_text, schedule_release
from press.workflow import approve, edit, history, submit, withdraw
from web import forms
from web.deps import DB, csrf_check, officer, reviewer, settings_of
from web.errors import InputError
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])


def _release(session: Session, release_id: int) -> Release:
    release = session.get(Release, release_id)
    if release is None:
        raise InputError(f"新聞稿 #{release_id} 不存在")
    return release


def _fields(text: str) -> dict[str, Any]:
    """The template fields, one ``key=value`` per line (the CLI's ``--set``)."""
    return parse_sets([line.strip() for line in text.splitlines() if line.strip()])


def previews(release: Release, settings: Settings) -> list[dict[str, Any]]:
    """Each enabled platform's post as it would go out, with its length and limit."""
    out = []
    for name in publishers.build(settings):
        text = post_text(release, settings, name)
        limit = post_texts.limits()[name].text_max
        n = post_texts.length(name, text)
        out.append({"platform": name, "text": text, "length": n, "limit": limit, "over": n > limit})
    return out


@router.get("/press")
def press_home(request: Request, user: User = Depends(officer), session: Session = DB) -> Response:
    def of(*statuses: str, limit: int = 50) -> list[Release]:
        return list(session.scalars(select(Release).where(Release.imported.is_(False), Release.status.in_(statuses))
                                    .order_by(Release.updated_at.desc()).limit(limit)))

    return render(request, "press_list.html", review=of("review"), drafts=of("draft"),
                  ready=of("approved", "scheduled", "failed"), done=of("published", "withdrawn", limit=20))


@router.get("/press/new")
def new_form(request: Request, kind: str = "release", item: int | None = None, user: User = Depends(officer),
             settings: Settings = Depends(settings_of)) -> Response:
    return render(request, "press_new.html", kind=kind if kind in templating.KINDS else "release", item=item,
                  agencies=settings.agency_names())


@router.post("/press/preview")
def preview(request: Request, kind: str = Form("release"), title: str = Form(""), agency: str = Form(""),
            body: str = Form(""), fields: str = Form(""), item: str = Form(""), user: User = Depends(officer),
            session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    """The draft as it stands in the form, rendered; nothing is stored."""
    try:
        meta: dict[str, Any] = {"fields": _fields(fields)}
        if item.strip().isdigit():
            meta["story"], story_item = story_from_item(session, int(item))
            title = title or f"有關「{story_item.headline}」報導之說明"
        release = Release(kind=kind, title=title or "（標題）", agency=agency or settings.office.name, body=body,
                          status="draft", timezone=settings.office.timezone, meta=meta)
        html = render_release(release, settings, "html")
        return render(request, "_preview.html", html=html, posts=previews(release, settings), problem=None)
    except (DraftError, templating.TemplateFieldError, ValueError) as exc:
        return render(request, "_preview.html", html="", posts=[], problem=str(exc))


@router.post("/press/new")
def create(request: Request, kind: str = Form("release"), title: str = Form(""), agency: str = Form(""),
           body: str = Form(""), fields: str = Form(""), item: str = Form(""), user: User = Depends(officer),
           session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    release = draft(session, settings, kind=kind, author=user.name, author_id=user.id, title=title or None,
                    agency=agency or None, body=body, fields=_fields(fields),
                    from_item=int(item) if item.strip().isdigit() else None)
    return RedirectResponse(f"/press/{release.id}", status_code=303)


def diffs(release: Release) -> list[dict[str, Any]]:
    """Each edit as a line diff (old → new) of the title and body, oldest first."""
    versions = list((release.meta or {}).get("versions", []))
    states = versions + [{"title": release.title, "body": release.body or "", "by": None, "at": None}]
    out = []
    for old, new in zip(states, states[1:], strict=False):
        lines = difflib.ndiff(f"{old['title']}\n{old['body']}".splitlines(), f"{new['title']}\n{new['body']}"
                              .splitlines())
        out.append({"by": old.get("by"), "at": old.get("at"),
                    "lines": [(line[0], line[2:]) for line in lines if line[0] in "+- "]})
    return out


@router.get("/press/{release_id}")
def release_page(request: Request, release_id: int, user: User = Depends(officer), session: Session = DB,
                 settings: Settings = Depends(settings_of)) -> Response:
    release = _release(session, release_id)
    posts = list(session.scalars(select(Post).where(Post.release_id == release.id).order_by(Post.id)))
    try:
        html, problem = render_release(release, settings, "html"), None
    except templating.TemplateFieldError as exc:
        html, problem = "", str(exc)
    post_info = [{"post": p, "length": post_texts.length(p.platform, p.text),
                  "limit": post_texts.limits()[p.platform].text_max if p.platform in post_texts.limits() else None,
                  "editable": p.status in post_texts.EDITABLE} for p in posts]
    return render(request, "press_release.html", release=release, html=html, problem=problem, posts=post_info,
                  previews=previews(release, settings) if not posts else [],
                  steps=history(session, release.id), diffs=diffs(release),
                  platforms=list(publishers.build(settings)), needs_media=NEEDS_MEDIA, now=utcnow())


def _back(release_id: int) -> Response:
    return RedirectResponse(f"/press/{release_id}", status_code=303)


@router.post("/press/{release_id}/edit")
def edit_release(release_id: int, title: str = Form(""), body: str = Form(""), user: User = Depends(officer),
                 session: Session = DB) -> Response:
    release = _release(session, release_id)
    changes = {k: v for k, v in (("title", title.strip()), ("body", body)) if v and v != getattr(release, k)}
    if changes:
        edit(session, release, user.name, **changes)
    return _back(release_id)


@router.post("/press/{release_id}/submit")
def submit_release(release_id: int, user: User = Depends(officer), session: Session = DB) -> Response:
    submit(session, _release(session, release_id), user.name)
    return _back(release_id)


@router.post("/press/{release_id}/approve")
def approve_release(release_id: int, user: User = Depends(reviewer), session: Session = DB,
                    settings: Settings = Depends(settings_of)) -> Response:
    approve(session, _release(session, release_id), user.name, settings, actor_id=user.id)
    return _back(release_id)


@router.post("/press/{release_id}/schedule")
def schedule(release_id: int, at: str = Form(...), platforms: list[str] = Form(default=[]),
             user: User = Depends(officer), session: Session = DB,
             settings: Settings = Depends(settings_of)) -> Response:
    tz = settings.office.timezone
    when = forms.local_datetime(at, tz, "發布時間")
    schedule_release(session, settings, _release(session, release_id), when, user.name, now=utcnow(),
                     platforms=platforms or None, tz=tz)
    return _back(release_id)


@router.post("/press/{release_id}/withdraw")
def withdraw_release(release_id: int, note: str = Form(""), user: User = Depends(officer),
                     session: Session = DB, settings: Settings = Depends(settings_of)) -> Response:
    from press.feed import write_feed

    release = _release(session, release_id)
    was_published = release.status == "published"
    withdraw(session, release, user.name, note or None)
    if was_published:
        session.flush()
        write_feed(session, settings)
    return _back(release_id)


@router.post("/press/posts/{post_id}")
def edit_post(post_id: int, text: str = Form(""), user: User = Depends(officer),
              session: Session = DB) -> Response:
    post = session.get(Post, post_id)
    if post is None:
        raise InputError(f"貼文 #{post_id} 不存在")
    post_texts.edit_post(session, post, text, user.name)
    return _back(post.release_id or 0)
