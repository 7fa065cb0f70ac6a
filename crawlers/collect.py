"""One crawl pass over some sources: feeds and listings polled, new article pages crawled, items out.

:func:`collect` is what ``newsdesk run`` / ``crawl --once`` call. It never raises for one bad
source: a feed that is not XML, an unreachable host or a refused URL gives one warning line naming
the URL, is counted on the source's row, and the pass goes on with the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers import state
from crawlers.feeds import FeedEntry, FeedError, poll_feed
from crawlers.net import FetchError, Http, check_host
from crawlers.outlets import REGISTRY, find_outlet
from crawlers.scrapy_run import CrawlError, run_jobs
from crawlers.social import SocialContext, get_collector
from pipeline.db import transaction
from pipeline.items import Item
from pipeline.models import ItemRow, Source
from pipeline.outbound import Hosts
from pipeline.settings import Settings, SourceSettings
from pipeline.urls import canonical_url

log = logging.getLogger(__name__)
MIN_CONFIDENCE = 0.5


@dataclass
class Candidate:
    """An article page to fetch, and what its feed entry said (fallbacks for missing fields)."""

    src: SourceSettings
    url: str
    entry: FeedEntry | None = None


@dataclass
class Pass:
    """What one pass found; ``new`` counts items per source for the rows."""

    items: list[Item] = field(default_factory=list)
    candidates: dict[str, Candidate] = field(default_factory=dict)  # canonical URL → candidate
    listings: list[SourceSettings] = field(default_factory=list)
    new: dict[str, int] = field(default_factory=dict)
    #: source name → the feed validators / cursors this pass saw, saved only once its items are stored
    deferred: dict[str, dict[str, object]] = field(default_factory=dict)


_VALIDATORS = ("etag", "last_modified", "content_hash", "state")


class Collected(list[Item]):
    """The items of one pass, plus the feed validators and cursors to save once they are stored.

    Saving validators before the items are stored would lose those items if the process died in
    between (the next poll would see an unchanged feed), so the caller saves them afterwards with
    :meth:`commit_state`; a pass that is never committed simply reads its feeds again.
    """

    def __init__(self, items: list[Item], deferred: dict[str, dict[str, object]]) -> None:
        super().__init__(items)
        self.deferred = deferred

    def commit_state(self, sessions: sessionmaker[Session]) -> None:
        if not self.deferred:
            return
        with transaction(sessions) as session:
            for row in session.scalars(select(Source).where(Source.name.in_(list(self.deferred)))):
                for key, value in self.deferred[row.name].items():
                    setattr(row, key, value)
        self.deferred = {}


def collect(settings: Settings, sources: Sequence[SourceSettings], sessions: sessionmaker[Session], *,
            http: Http | None = None, refetch: bool = False) -> Collected:
    """Poll ``sources`` once and return the new items (not yet stored: the caller runs the stages,
    then calls ``commit_state`` on the result).

    A page whose canonical URL is already stored is not fetched again unless ``refetch`` is set.
    """
    http = http or Http.from_settings(settings.crawl)
    cache = settings.crawl.http_cache_dir
    run = Pass()
    for src in sources:
        if src.enabled:
            _poll(settings, src, sessions, http, run)
    if run.listings:
        _crawl_listings(settings, run, cache)
    if not refetch:
        _drop_known(sessions, run)
    _crawl_articles(settings, run, cache, force=refetch)
    _count(sessions, run)
    return Collected(run.items, run.deferred)


def _poll(settings: Settings, src: SourceSettings, sessions: sessionmaker[Session], http: Http,
          run: Pass) -> None:
    # Short transactions around the network call, never across it: a slow host must not hold
    # the database's write lock while the pipeline stores items.
    with transaction(sessions) as session:
        row = state.ensure_row(session, src)
    if row.disabled:
        log.info("source %s is disabled (%s); skipped", src.name, row.last_error)
        return
    before = {key: getattr(row, key) for key in _VALIDATORS}
    try:
        found = _poll_one(settings, src, row, http, run)
    except (FetchError, FeedError) as exc:
        log.warning("source %s: %s", src.name, exc)
        state.record_failure(row, str(exc), retry_after=getattr(exc, "retry_after", None))
    except Exception as exc:  # noqa: BLE001 - one broken source (or collector bug) must not stop the pass
        log.warning("source %s: unexpected %s: %s", src.name, type(exc).__name__, exc)
        log.debug("source %s failed", src.name, exc_info=True)
        state.record_failure(row, f"unexpected {type(exc).__name__}: {exc}")
    else:
        state.record_success(row, src, new_entries=found)
        after = {key: getattr(row, key) for key in _VALIDATORS}
        if after != before:  # saved by Collected.commit_state once the items are stored
            run.deferred[src.name] = after
            for key, value in before.items():
                setattr(row, key, value)
    with transaction(sessions) as session:
        session.merge(row)


def _poll_one(settings: Settings, src: SourceSettings, row: Source, http: Http, run: Pass) -> int:
    """Poll one source; returns how many entries it listed that may be new."""
    if src.type == "feed":
        http = http.for_source(source_hosts(src), src.allow_private_hosts)
        result = poll_feed(http, row, src.url)
        for w in result.warnings:
            log.warning("source %s: %s", src.name, w)
        for entry in result.entries:
            _add_entry(settings, src, entry, run)
        return len(result.entries)
    if src.type == "site":
        check_host(src.url, settings.crawl.allow_private_hosts or src.allow_private_hosts)
        run.listings.append(src)
        return 1
    # a collector's requests and their redirects stay on each request's own host (the API's)
    http = http.for_source(None, src.allow_private_hosts)
    ctx = SocialContext(settings=settings, http=http, state=dict(row.state or {}))
    posts = get_collector(src.type)(src, ctx)
    row.state = ctx.state  # cursors the collector advanced
    run.items.extend(posts)
    return len(posts)


def _add_entry(settings: Settings, src: SourceSettings, entry: FeedEntry, run: Pass) -> None:
    if not entry.link.startswith(("http://", "https://")):
        return
    key = canonical_url(entry.link)
    run.candidates.setdefault(key, Candidate(src, entry.link, entry))


def source_hosts(src: SourceSettings) -> Hosts:
    """Where a feed source's requests may go: its URL's host, its outlet's domains, its allowed_hosts."""
    outlet = REGISTRY.get(src.outlet or "") or find_outlet(src.url)
    return Hosts.for_url(src.url, [*(outlet.domains if outlet else ()), *src.allowed_hosts])


def _allowed_hosts(src: SourceSettings, url: str) -> list[str]:
    hosts = {(urlsplit(url).hostname or "").lower(), (urlsplit(src.url).hostname or "").lower()}
    outlet = REGISTRY.get(src.outlet or "") or find_outlet(url)
    if outlet:
        hosts.update(outlet.domains)
    hosts.update(h.lower() for h in src.allowed_hosts)
    return sorted(h for h in hosts if h)


def _job_policy(settings: Settings, src: SourceSettings) -> dict[str, object]:
    """What a crawl job carries of its source's outbound policy (see crawlers.middlewares)."""
    return {"allow_private": settings.crawl.allow_private_hosts or src.allow_private_hosts}


def _crawl_listings(settings: Settings, run: Pass, http_cache_dir: str | None) -> None:
    jobs = [{"id": f"listing:{src.name}", "url": src.url, "kind": "listing",
             "allowed_hosts": _allowed_hosts(src, src.url), "max_pages": int(src.options.get("max_pages", 3)),
             "link_pattern": src.options.get("link_pattern"), **_job_policy(settings, src)}
            for src in run.listings]
    by_name = {src.name: src for src in run.listings}
    try:
        results = run_jobs(jobs, settings.crawl, http_cache_dir=http_cache_dir)
    except CrawlError as exc:
        log.warning("listing crawl failed: %s", exc)
        return
    for res in results:
        src = by_name[res["id"].split(":", 1)[1]]
        if "error" in res:
            log.warning("source %s: %s", src.name, res["error"])
            continue
        for link in res.get("links", [])[: int(src.options.get("max_links", 200))]:
            run.candidates.setdefault(canonical_url(link), Candidate(src, link))


def _drop_known(sessions: sessionmaker[Session], run: Pass) -> None:
    """Entries and posts already stored are dropped (looked up by canonical URL, in chunks).

    A stored post that comes back with engagement counts is kept: it is a revisit, and the
    pipeline's engagement stage updates the stored post and its story's reach.
    """
    keys = list(run.candidates) + [i.canonical_url for i in run.items if i.canonical_url]
    known: set[str] = set()
    with sessions() as session:
        for i in range(0, len(keys), 500):
            query = select(ItemRow.canonical_url).where(ItemRow.canonical_url.in_(keys[i:i + 500]))
            known.update(session.scalars(query))
    for key in known:
        run.candidates.pop(key, None)
    seen: set[str] = set()
    kept = []
    for item in run.items:
        revisit = item.kind == "post" and bool(item.engagement)
        if (revisit or item.canonical_url not in known) and item.canonical_url not in seen:
            kept.append(item)
            seen.add(item.canonical_url or item.url)
    run.items = kept


def _crawl_articles(settings: Settings, run: Pass, http_cache_dir: str | None, *,
                    force: bool = False) -> None:
    fetch: dict[str, Candidate] = {}
    for key, cand in run.candidates.items():
        if cand.src.fetch_articles or cand.entry is None:
            fetch[key] = cand
        else:
            run.items.append(_from_entry(cand))
    jobs = [{"id": key, "url": c.url, "kind": "article", "allowed_hosts": _allowed_hosts(c.src, c.url),
             "force": force, **_job_policy(settings, c.src)} for key, c in fetch.items()]
    try:
        results = run_jobs(jobs, settings.crawl, http_cache_dir=http_cache_dir)
    except CrawlError as exc:
        log.warning("article crawl failed, %d pages not fetched: %s", len(jobs), exc)
        return
    for res in results:
        found = fetch.get(res["id"])
        if found is None:
            continue
        if "error" in res:
            log.warning("source %s: %s", found.src.name, res["error"])
            continue
        item = _from_page(found, res["extracted"])
        if item is not None:
            run.items.append(item)


def _from_entry(cand: Candidate) -> Item:
    """An item built from the feed entry alone (``fetch_articles = false``, e.g. social RSS)."""
    e = cand.entry
    assert e is not None
    src = cand.src
    return Item(url=cand.url, title=e.title, text=e.summary or e.title, source=src.name, kind=_kind(src),
                outlet=src.outlet, published_at=e.published_at, authors=e.authors, language=src.language,
                canonical_url=canonical_url(cand.url), meta={"entry_id": e.id})


def _from_page(cand: Candidate, ex: dict[str, object]) -> Item | None:
    src, entry = cand.src, cand.entry
    warnings = list(ex.get("warnings") or [])  # type: ignore[call-overload]
    confidence = float(ex.get("confidence") or 0)  # type: ignore[arg-type]
    title = str(ex.get("title") or "") or (entry.title if entry else "")
    text = str(ex.get("text") or "")
    if confidence < MIN_CONFIDENCE and entry is not None:
        # Doubtful extraction: keep what the feed said rather than storing garbage.
        log.warning("source %s: %s: low-confidence extraction (%s); using the feed entry",
                    src.name, cand.url, "; ".join(warnings))
        title, text = entry.title or title, entry.summary or text
    if not title and not text:
        log.warning("source %s: %s: nothing extracted (%s); skipped", src.name, cand.url, "; ".join(warnings))
        return None
    published = ex.get("published_at")
    return Item(
        url=cand.url, title=title, text=text or title, source=src.name, kind="article",
        outlet=str(ex.get("outlet") or src.outlet or "") or None,
        published_at=datetime.fromisoformat(published) if isinstance(published, str) else
        (entry.published_at if entry else None),
        authors=list(ex.get("authors") or []) or (entry.authors if entry else []),  # type: ignore[call-overload]
        language=str(ex.get("language") or src.language),
        canonical_url=canonical_url(cand.url),
        meta={"final_url": ex.get("url"), "page_canonical_url": ex.get("canonical_url"),
              "confidence": confidence, "warnings": warnings},
    )


def _kind(src: SourceSettings) -> str:
    """Entries of a feed read without fetching pages: articles for an outlet, else posts (social RSS)."""
    return str(src.options.get("kind", "article" if src.outlet else "post"))


def _count(sessions: sessionmaker[Session], run: Pass) -> None:
    counts: dict[str, int] = {}
    for item in run.items:
        counts[item.source] = counts.get(item.source, 0) + 1
    if not counts:
        return
    with transaction(sessions) as session:
        for row in session.scalars(select(Source).where(Source.name.in_(counts))):
            row.items_count = (row.items_count or 0) + counts[row.name]
