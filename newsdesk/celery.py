"""The Celery app for ``newsdesk worker`` and ``newsdesk run --engine celery`` (broker: Redis).

Tasks are acknowledged late (after they ran) and rejected when their worker is lost, so a task
whose worker was killed runs again on another worker; every task is idempotent (leases, dedupe,
idempotency keys), so running again loses nothing and doubles nothing. With the Redis broker a task
taken by a worker that died (``kill -9`` of the whole worker) goes back to the queue after
``engine.visibility_timeout`` seconds.
"""

from __future__ import annotations

import os

from celery import Celery

from pipeline.settings import Settings

#: queue -> the tasks it carries (``newsdesk worker --queues``)
QUEUES = {
    "crawl": ("newsdesk.crawl",),
    "score": ("newsdesk.process",),
    "deliver": ("newsdesk.deliver", "newsdesk.digest", "newsdesk.spikes"),
    "publish": ("newsdesk.publish", "newsdesk.pickup", "newsdesk.media_notices"),
}


def broker_url(settings: Settings) -> str:
    secret = settings.secret("CELERY_BROKER_URL")
    if secret is None:
        from pipeline.settings import ConfigError

        raise ConfigError("CELERY_BROKER_URL is not set: the celery engine needs a broker "
                          "(e.g. redis://127.0.0.1:6379/0)")
    return secret.get_secret_value()


def make_app(settings: Settings) -> Celery:
    app = Celery("newsdesk", broker=broker_url(settings), include=["newsdesk.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        # A dead worker's unacknowledged task is put back once it is older than the visibility timeout;
        # the sweep for such tasks runs every few seconds (kombu's default is about 100 s).
        broker_transport_options={"visibility_timeout": settings.engine.visibility_timeout,
                                  "unacked_restore_interval": max(1, min(10, settings.engine.visibility_timeout // 5)),
                                  "unacked_restore_throttle": 1},
        task_routes={task: {"queue": queue} for queue, tasks in QUEUES.items() for task in tasks},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def config_path() -> str | None:
    return os.environ.get("NEWSDESK_CONFIG")
