"""Celery tasks: thin wrappers around the same functions ``newsdesk run`` calls in-process.

Each worker process opens the settings (``NEWSDESK_CONFIG`` / ``DATABASE_URL``, set by
``newsdesk worker``) and the database once. Every task may run twice (a worker killed mid-task, a
message redelivered): crawling and processing are made safe by the source lease and dedupe,
delivery and publishing by their leases, digests and spikes by their idempotency keys.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Any

from celery import Task, shared_task
from sqlalchemy.exc import SQLAlchemyError

from newsdesk.app import App
from pipeline.items import Item

log = logging.getLogger("newsdesk.tasks")
RETRY = {"autoretry_for": (SQLAlchemyError, OSError), "retry_backoff": True, "retry_backoff_max": 60,
         "max_retries": 20}


@cache
def app() -> App:
    from newsdesk.celery import config_path

    return App(config=config_path())


@cache
def notifiers() -> dict[str, Any]:
    """The settings' notifiers (Slack paced through Redis, shared by all workers) and the fallback."""
    import redis

    from newsdesk.celery import broker_url
    from notifications.factory import notifiers_from_settings
    from notifications.fallback import fallback_notifier
    from notifications.ratelimit import RedisRateLimiter

    settings = app().settings
    found = {n.name: n for n in notifiers_from_settings(settings)}
    client = redis.Redis.from_url(broker_url(settings))
    for n in found.values():
        if getattr(n, "limiter", None) is not None:
            n.limiter = RedisRateLimiter(client, settings.notifications.slack.per_channel_per_second,  # type: ignore[attr-defined]
                                         settings.engine.rate_limit_prefix + n.name + ":")
    fallback = fallback_notifier(settings, list(found))
    if fallback is not None:
        found[f"fallback:{fallback.name}"] = fallback
    return found


def item_to_json(item: Item) -> dict[str, Any]:
    return {"url": item.url, "title": item.title, "text": item.text, "source": item.source, "kind": item.kind,
            "outlet": item.outlet, "published_at": item.published_at.isoformat() if item.published_at else None,
            "authors": list(item.authors), "language": item.language, "engagement": dict(item.engagement),
            "meta": dict(item.meta)}


def item_from_json(data: dict[str, Any]) -> Item:
    when = data.get("published_at")
    return Item(url=data["url"], title=data["title"], text=data["text"], source=data["source"],
                kind=data.get("kind") or "article", outlet=data.get("outlet"),
                published_at=datetime.fromisoformat(when) if when else None, authors=list(data.get("authors") or []),
                language=data.get("language"), engagement=dict(data.get("engagement") or {}),
                meta=dict(data.get("meta") or {}))


def _scheduler() -> Any:
    from crawlers.schedule import Scheduler

    return Scheduler(app().settings, app().sessions, lambda items: None)


@shared_task(name="newsdesk.crawl", bind=True, **RETRY)
def crawl(self: Task, source: str, owner: str) -> int:
    """Collect one claimed source, then hand its items to the score queue (validators travel along)."""
    from crawlers.collect import collect

    settings = app().settings
    src = next((s for s in settings.sources if s.name == source), None)
    if src is None:
        log.warning("crawl of %s: no such source in the settings; skipped", source)
        return 0
    try:
        items = collect(settings, [src], _scheduler().sessions)
    except Exception:
        log.exception("crawl of %s failed; its feed will be read again", source)
        _scheduler().finish_crawl([source], {source: owner})
        return 0
    process.apply_async(([item_to_json(i) for i in items], items.deferred, source, owner))
    return len(items)


@shared_task(name="newsdesk.process", bind=True, **RETRY)
def process(self: Task, items: list[dict[str, Any]], deferred: dict[str, dict[str, Any]], source: str,
            owner: str) -> dict[str, int]:
    """Run the pipeline over a crawl's items, then save the feed validators and end the source's lease."""
    from crawlers.collect import Collected
    from newsdesk.cli import alert_sink
    from pipeline.runner import process as run_pipeline

    a = app()
    counts = run_pipeline([item_from_json(d) for d in items], a.settings, a.sessions,
                          alert_sink=alert_sink(a.settings, [n for k, n in notifiers().items()
                                                             if not k.startswith("fallback:")]))
    Collected([], deferred).commit_state(_scheduler().sessions)
    _scheduler().finish_crawl([source], {source: owner})
    log.info("processed %d items of %s: %s", len(items), source, dict(counts))
    return dict(counts)


@shared_task(name="newsdesk.deliver")
def deliver(notifier: str) -> tuple[int, int]:
    """One delivery pass for a notifier (leases make parallel passes safe); errors wait for the next."""
    from notifications.base import NotifierUnavailable
    from notifications.outbox import RetryPolicy
    from notifications.worker import deliver_once

    a = app()
    n = notifiers().get(notifier)
    if n is None:
        return 0, 0
    after = float(a.settings.notifications.fallback_after) if notifier.startswith("fallback:") else None
    current: list[int] = []
    try:
        return deliver_once(a.sessions, n, RetryPolicy.from_settings(a.settings), current, after)
    except NotifierUnavailable as exc:
        log.error("%s cannot send (alerts kept): %s", notifier, exc)
    except Exception:  # noqa: BLE001 - the next delivery task tries again
        log.exception("delivery by %s failed on %s", notifier, f"alert {current[0]}" if current else "the outbox")
    return 0, 0


@shared_task(name="newsdesk.publish", **RETRY)
def publish() -> str:
    from pipeline.models import utcnow
    from press.schedule import run_due

    with app().session() as session:
        return run_due(session, app().settings, utcnow()).line()


@shared_task(name="newsdesk.media_notices", **RETRY)
def media_notices() -> str:
    """Media notices that are due (``press notify``); each claimed before it is sent."""
    from newsdesk.cli import deliver_media

    return str(deliver_media(app()))


@shared_task(name="newsdesk.digest", **RETRY)
def digest() -> int:
    from notifications.digest import run_digest_if_due

    with app().session() as session:
        return run_digest_if_due(session, app().settings, notifiers=[k for k in notifiers()
                                                                     if not k.startswith("fallback:")])


@shared_task(name="newsdesk.spikes", **RETRY)
def spikes() -> int:
    from pipeline.spikes import detect, write_alerts

    names = [k for k in notifiers() if not k.startswith("fallback:")]
    with app().session() as session:
        return write_alerts(session, app().settings, detect(session, app().settings), names)


@shared_task(name="newsdesk.pickup", **RETRY)
def pickup() -> object:
    from pipeline.models import utcnow
    from press.pickup import update_pickup

    with app().session() as session:
        return update_pickup(session, app().settings, utcnow())
