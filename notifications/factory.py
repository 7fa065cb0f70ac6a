"""The notifiers the settings ask for: Slack when ``SLACK_BOT_TOKEN`` is set, e-mail when an SMTP host
is configured, else the console (``notifications.console``)."""

from __future__ import annotations

from notifications.base import ConsoleNotifier, Notifier
from pipeline.settings import Settings


def notifiers_from_settings(settings: Settings) -> list[Notifier]:
    out: list[Notifier] = []
    if settings.secret("SLACK_BOT_TOKEN") is not None:
        from notifications.slack import SlackNotifier

        out.append(SlackNotifier.from_settings(settings))
    if settings.notifications.email.host:
        from notifications.email import EmailNotifier

        out.append(EmailNotifier.from_settings(settings))
    if not out and settings.notifications.console:
        out.append(ConsoleNotifier())
    return out
