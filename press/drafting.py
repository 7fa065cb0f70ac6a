"""Drafting: a release, statement, advisory or schedule from a template, in a minute.

A draft stores the officer's text (``title``, ``body``) and the template fields (``--set key=value``,
kept in ``meta["fields"]``); the documents (HTML, text, Markdown) are rendered from them, so the
draft is checked against every template before it is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.items import Item, Match
from pipeline.models import Alert, ItemRow, MatchRow, Release, Response, utcnow
from pipeline.responses import primary_agency
from pipeline.settings import Settings
from press import templating
from press.workflow import record

_ENTRY = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[|｜]\s*([^|｜]+?)\s*(?:[|｜]\s*(.+?))?\s*$")


class DraftError(ValueError):
    """A draft cannot be made; the message says which input is wrong."""


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    """``["place=市府大樓", "story.title=..."]`` → nested fields; the error names the bad pair."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DraftError(f"--set {pair!r}: expected key=value")
        node = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise DraftError(f"--set {pair!r}: {part} is already a value")
        node[parts[-1]] = value
    return out


def schedule_entries(body: str) -> list[dict[str, str]]:
    """The Mayor's schedule body, one ``HH:MM | 行程 | 地點`` per line."""
    entries = []
    for line in body.splitlines():
        m = _ENTRY.match(line)
        if m:
            entries.append({"time": m.group(1), "event": m.group(2), "place": m.group(3) or ""})
    return entries


def context(release: Release, settings: Settings, when: datetime | None = None) -> dict[str, Any]:
    """What every template sees; the fields given with ``--set`` are also top-level names."""
    meta = release.meta or {}
    fields: dict[str, Any] = dict(meta.get("fields", {}))
    paragraphs = [p.strip() for p in (release.body or "").splitlines() if p.strip()]
    ctx: dict[str, Any] = dict(fields)
    tags = fields.get("hashtags", "")
    ctx.update(
        kind=release.kind,
        title=release.title,
        agency=release.agency,
        body=release.body or "",
        paragraphs=paragraphs,
        lead=paragraphs[0] if paragraphs else "",
        office=settings.office,
        # an imported release keeps the contact its own body names; none is added or invented
        contacts=[] if release.imported else settings.contacts_for(release.agency),
        fragment=False,  # True: the HTML templates give the <article> alone (the feed's content)
        fields=fields,
        url=release.url or fields.get("url"),
        date=when or release.published_at or release.scheduled_at or utcnow(),
        hashtags=tags.split() if isinstance(tags, str) else list(tags),
        entries=schedule_entries(release.body or "") if release.kind == "schedule" else [],
    )
    if "story" in meta:
        ctx["story"] = meta["story"]
    return ctx


def render_release(release: Release, settings: Settings, fmt: str = "txt", *, fragment: bool = False) -> str:
    """The release as a document; ``fragment`` (HTML): the ``<article>`` alone, for embedding."""
    if fmt not in templating.FORMATS:
        raise DraftError(f"format {fmt!r}: choose from {', '.join(templating.FORMATS)}")
    env = templating.environment(settings)
    ctx = context(release, settings)
    ctx["fragment"] = fragment
    return templating.render(env, f"{release.kind}.{fmt}.j2", ctx)


def missing_contact(release: Release, settings: Settings) -> str | None:
    """A warning when the release's agency has no press contact configured (none is invented)."""
    if release.imported or settings.contacts_for(release.agency):
        return None
    return (f"no press contact is configured for {release.agency}: the release names none. "
            f"Add one under [[press.contacts]] (agency = \"{release.agency}\", name, title, phone, email).")


def check_templates(release: Release, settings: Settings) -> None:
    """Render every format once, so a missing field is reported now and not at publishing time."""
    env = templating.environment(settings)
    ctx = context(release, settings)
    for fmt in templating.FORMATS:
        templating.render(env, f"{release.kind}.{fmt}.j2", ctx)


def story_from_alert(session: Session, alert_id: int,
                     outlet_name: Callable[[str], str] = str) -> tuple[dict[str, Any], ItemRow]:
    """The story an alert is about; ``outlet_name`` turns an outlet code into its name (中央社 for cna)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise DraftError(f"--from-alert {alert_id}: no such alert")
    item = session.get(ItemRow, alert.item_id) if alert.item_id else None
    if item is None:
        raise DraftError(f"--from-alert {alert_id}: the alert's story is no longer stored")
    story, _ = story_from_item(session, item.id, outlet_name)
    story["alert_id"] = alert.id
    return story, item


def story_from_item(session: Session, item_id: int,
                    outlet_name: Callable[[str], str] = str) -> tuple[dict[str, Any], ItemRow]:
    """The story a statement answers, from a stored item (the dashboard drafts from its inbox card)."""
    item = session.get(ItemRow, item_id)
    if item is None:
        raise DraftError(f"item {item_id}: no such item")
    code = item.outlet or item.source
    story = {
        "title": item.headline,
        "outlet": outlet_name(code),
        "outlet_code": code,
        "url": item.url,
        "published_at": (item.published_at or item.collected_at).isoformat(),
        "item_id": item.id,
        "alert_id": None,
        "cluster_id": item.cluster_id,
    }
    return story, item


def routed_agency(session: Session, item: ItemRow) -> str | None:
    """The agency that answers for a story: the routed bureau (``items.agency``), else the agency its
    response was assigned to, else the best of its matches (a topic first, then the most terms)."""
    if item.agency:
        return item.agency
    conds = [Response.item_id == item.id]
    if item.cluster_id:
        conds.append(Response.cluster_id == item.cluster_id)
    assigned = session.scalar(select(Response.agency).where(or_(*conds), Response.agency.is_not(None))
                              .order_by(Response.id).limit(1))
    if assigned:
        return assigned
    rows = session.scalars(select(MatchRow).where(MatchRow.item_id == item.id).order_by(MatchRow.id))
    probe = Item(url=item.url, title="", text="", source="")
    probe.matches = [Match(m.rule, [m.agency], list(m.terms or []), m.kind) for m in rows]
    return primary_agency(probe)


def draft(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    author: str,
    author_id: int | None = None,
    title: str | None = None,
    agency: str | None = None,
    body: str = "",
    fields: Mapping[str, Any] | None = None,
    from_alert: int | None = None,
    from_item: int | None = None,
    outlet_name: Callable[[str], str] = str,
) -> Release:
    """Create a draft (checked against its templates) and record the first transition."""
    if kind not in templating.KINDS:
        raise DraftError(f"--kind {kind!r}: choose from {', '.join(templating.KINDS)}")
    meta: dict[str, Any] = {"fields": dict(fields or {})}
    if from_alert is not None or from_item is not None:
        story, item = story_from_alert(session, from_alert, outlet_name) if from_alert is not None \
            else story_from_item(session, from_item, outlet_name)  # type: ignore[arg-type]
        meta["story"] = story
        agency = agency or routed_agency(session, item)
        title = title or f"有關「{item.headline}」報導之說明"
    agency = agency or settings.office.name
    if agency not in settings.agency_names():
        raise DraftError(f"agency {agency!r} is not one of the settings' [[agencies]]")
    if kind == "schedule":
        title = title or "市長公開行程"
    if not title:
        raise DraftError("a draft needs a title (--title or --set title=...)")
    release = Release(
        kind=kind,
        title=title,
        agency=agency,
        body=body,
        status="draft",
        author=author,
        author_id=author_id,
        timezone=settings.office.timezone,
        meta=meta,
    )
    check_templates(release, settings)
    session.add(release)
    session.flush()
    record(session, release, "", "draft", author)
    if "story" in meta:
        _link_response(session, release, meta["story"])
    return release


def _link_response(session: Session, release: Release, story: Mapping[str, Any]) -> None:
    """The flagged story's response (if the pipeline opened one) now points at this statement."""
    conds = [Response.item_id == story["item_id"]]
    if story.get("cluster_id"):
        conds.append(Response.cluster_id == story["cluster_id"])
    for response in session.scalars(select(Response).where(or_(*conds), Response.release_id.is_(None))):
        response.release_id = release.id
