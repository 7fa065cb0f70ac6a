"""The notifiers the settings ask for: Slack when ``SLACK_BOT_TOKEN`` is set, e-mail when an SMTP host
is configured, else the console (``notifications.console``)."""

from __future__ import annotations

from notifications.base import ConsoleNotifier, Notifier
from pipeline.settings import Settings


def notifiers_from_settings(settings: Settings) -> list[Notifier]:
    out: list[Notifier] = []
    for name in settings.notifier_names():
        if name == "slack":
            from notifications.slack import SlackNotifier

            out.append(SlackNotifier.from_settings(settings))
        elif name == "email":
            from notifications.email import EmailNotifier

            out.append(EmailNotifier.from_settings(settings))
        else:
            out.append(ConsoleNotifier())
    return out
