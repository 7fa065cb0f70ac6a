"""The office's own releases feed (Atom 1.0, RFC 4287), written by newsdesk from the published releases.

Each entry has an id, a title, updated/published times, a link (the release's page, else its place in
the feed), the agency as a category, a plain-text summary (the lead paragraph) and the release as
HTML content: the ``<article>`` alone, not a whole document. The file is replaced atomically and is
readable by others (mode 0644): a web server serves it.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Release, utcnow
from pipeline.settings import Settings
from press.drafting import render_release

ATOM = "http://www.w3.org/2005/Atom"


def entry_id(settings: Settings, release: Release) -> str:
    host = urlsplit(settings.press.feed.url).hostname or "newsdesk.invalid"
    day = (release.published_at or release.created_at or utcnow()).date().isoformat()
    return f"tag:{host},{day}:release-{release.id}"


def entry_link(settings: Settings, release: Release) -> str:
    """The release's own page, else its place in the feed (an entry always has a link)."""
    return release.url or f"{settings.press.feed.url}#release-{release.id}"


def summary(release: Release, limit: int = 200) -> str:
    """The lead paragraph as plain text, clipped to ``limit`` characters."""
    lead = next((p.strip() for p in (release.body or "").splitlines() if p.strip()), release.title)
    return lead if len(lead) <= limit else lead[: limit - 1] + "…"


def build_feed(session: Session, settings: Settings) -> bytes:
    cfg = settings.press.feed
    releases = session.scalars(
        select(Release)
        .where(Release.status == "published", Release.imported.is_(False))
        .order_by(Release.published_at.desc(), Release.id.desc())
        .limit(cfg.entries)
    ).all()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-Hant"})
    ET.SubElement(feed, f"{{{ATOM}}}title").text = cfg.title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = cfg.url
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": cfg.url})
    updated = releases[0].published_at if releases else utcnow()
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = (updated or utcnow()).isoformat()
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = f"{settings.office.city}政府{settings.office.name}"
    for release in releases:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = release.title
        ET.SubElement(entry, f"{{{ATOM}}}id").text = entry_id(settings, release)
        when = (release.published_at or utcnow()).isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = when
        ET.SubElement(entry, f"{{{ATOM}}}published").text = when
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                                 "href": entry_link(settings, release)})
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": release.agency})
        ET.SubElement(entry, f"{{{ATOM}}}summary", {"type": "text"}).text = summary(release)
        content = ET.SubElement(entry, f"{{{ATOM}}}content", {"type": "html"})
        content.text = render_release(release, settings, "html", fragment=True)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def write_feed(session: Session, settings: Settings) -> Path:
    """Write the feed atomically (a reader never sees half a file)."""
    path = Path(settings.press.feed.path)
    data = build_feed(session, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".feed-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the feed is public and a web server reads it
    os.replace(tmp, path)
    return path
