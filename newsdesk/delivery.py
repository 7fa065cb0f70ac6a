"""Alert delivery for the entry points: one supervised outbox worker thread per notifier, the
fallback beside Slack, and the Slack scope check at start."""

from __future__ import annotations

import logging
import threading
from typing import Any

import click

from newsdesk.app import App
from notifications.base import NotifierUnavailable
from notifications.fallback import fallback_notifier
from notifications.outbox import RetryPolicy
from notifications.worker import run_worker

log = logging.getLogger("newsdesk")


def check_scopes(notifiers: list[Any], app: App) -> list[str]:
    """Ask Slack which scopes the token has; the problems, each naming the missing scope."""
    problems = []
    private = any(c.startswith("G") for c in app.settings.notifications.slack.channels.values())
    for n in notifiers:
        check = getattr(n, "check_scopes", None)
        if check is None:
            continue
        try:
            check(private=private)
        except NotifierUnavailable as exc:
            problems.append(str(exc))
    return problems


def start_workers(app: App, notifiers: list[Any], stop: threading.Event) -> list[threading.Thread]:
    """Start one delivery thread per notifier, plus the fallback's when Slack is among them."""
    for problem in check_scopes(notifiers, app):
        click.echo(f"newsdesk: {problem}", err=True)
    policy = RetryPolicy.from_settings(app.settings)
    threads = [threading.Thread(target=run_worker, args=(app.sessions, n, stop), kwargs={"policy": policy},
                                name=f"outbox-{n.name}", daemon=True) for n in notifiers]
    fallback = fallback_notifier(app.settings, [n.name for n in notifiers])
    if fallback is not None:
        threads.append(threading.Thread(
            target=run_worker, args=(app.sessions, fallback, stop), name=f"outbox-fallback-{fallback.name}",
            kwargs={"policy": policy, "fallback_after": float(app.settings.notifications.fallback_after)},
            daemon=True))
    for thread in threads:
        thread.start()
    return threads
