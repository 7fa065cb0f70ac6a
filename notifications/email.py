"""E-mail alerts through SMTP (stdlib ``smtplib``), for offices without Slack.

Each alert is one message with a plain-text part and an HTML part rendered by autoescaped Jinja2
templates (``notifications/templates``); the Message-ID is derived from the alert's idempotency key so
mail systems can drop a repeat. The password comes from ``SMTP_PASSWORD`` only.
"""

from __future__ import annotations

import hashlib
import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import SecretStr

from notifications.base import (
    AlertMessage,
    Delivery,
    NotifierError,
    NotifierUnavailable,
    PermanentError,
    TransientError,
)
from notifications.blocks import LABELS, safe_url
from pipeline.settings import EmailSettings, Settings

TEMPLATES = Path(__file__).with_name("templates")
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "html.j2"]),
                   keep_trailing_newline=True)
# The text part is plain text: nothing there is interpreted, so it needs no escaping.
_text_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True)


def _header(text: str, limit: int = 150) -> str:
    """One line, no control characters (no header injection), clipped."""
    line = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@newsdesk>"


def render(message: AlertMessage) -> tuple[str, str]:
    """The text and HTML bodies of an alert."""
    label = LABELS.get(message.label, message.label)
    url = safe_url(message.url)
    text = _text_env.get_template("alert.txt.j2").render(m=message, label=label)
    link = html.unescape(url) if url else None  # Jinja escapes it again for the href
    body = _env.get_template("alert.html.j2").render(m=message, label=label, url=link)
    return text, body


class EmailNotifier:
    """Implements :class:`~notifications.base.Notifier` over SMTP. ``channel`` is ``email`` (the
    configured recipients) or a comma-separated list of addresses."""

    name = "email"

    def __init__(self, config: EmailSettings, password: SecretStr | None = None) -> None:
        if not config.host:
            raise NotifierUnavailable("notifications.email.host is empty: e-mail alerts are off")
        self.config = config
        self.password = password

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailNotifier:
        return cls(settings.notifications.email, settings.secret("SMTP_PASSWORD"))

    def recipients(self, channel: str) -> list[str]:
        found = [a.strip() for a in channel.split(",") if "@" in a]
        if not found and not self.config.recipients:
            raise PermanentError(f"no e-mail recipients for {channel!r}: set notifications.email.recipients")
        return found or list(self.config.recipients)

    def send(self, message: AlertMessage, channel: str) -> Delivery:
        text, body = render(message)
        mail = self._envelope(f"[newsdesk] 負面新聞：{message.title}", channel)
        mail["Message-ID"] = message_id(message.idempotency_key or f"alert:{message.alert_id}")
        mail.set_content(text)
        mail.add_alternative(body, subtype="html")
        self._deliver(mail)
        return Delivery(channel=channel, external_id=mail["Message-ID"])

    def send_digest(self, text: str, chart: bytes, html: str | None = None) -> None:
        """The daily digest: a plain-text part and an HTML part (``html``, else the text in a page), with
        the chart inline (``cid:chart``)."""
        mail = self._envelope("[newsdesk] 每日輿情摘要", "email")
        mail.set_content(text)
        page = html if html is not None else _env.get_template("digest.html.j2").render(text=text, chart_cid="chart")
        mail.add_alternative(page, subtype="html")
        html_part = mail.get_body(("html",))
        if not isinstance(html_part, EmailMessage):
            raise TypeError("the digest mail lost its HTML part")
        html_part.add_related(chart, maintype="image", subtype="png", cid="<chart>", filename="digest.png")
        self._deliver(mail)

    def send_mail(self, to: str, message: dict[str, str], key: str) -> str:
        """One notice to one address (``press notify``): a text part and an HTML part; the Message-ID is
        derived from ``key``, so a mail system can drop a repeat. Returns the Message-ID."""
        mail = self._envelope(message["subject"], to)
        mail["Message-ID"] = message_id(key)
        mail.set_content(message["text"])
        if message.get("html"):
            mail.add_alternative(message["html"], subtype="html")
        self._deliver(mail)
        return str(mail["Message-ID"])

    def _envelope(self, subject: str, channel: str) -> EmailMessage:
        mail = EmailMessage()
        mail["Subject"] = _header(subject)
        mail["From"] = self.config.sender
        mail["To"] = ", ".join(self.recipients(channel))
        return mail

    def _deliver(self, mail: EmailMessage) -> None:
        c = self.config
        where = f"SMTP {c.host}:{c.port}"
        try:
            with smtplib.SMTP(c.host, c.port, timeout=c.timeout) as smtp:
                if c.starttls:
                    smtp.starttls(context=ssl.create_default_context())  # verifies the certificate
                if c.username:
                    smtp.login(c.username, self.password.get_secret_value() if self.password else "")
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise NotifierUnavailable(f"{where} refused the login of {c.username!r} ({exc.smtp_code}); "
                                      "check SMTP_PASSWORD; alerts are kept") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"{where} refused the recipients {sorted(exc.recipients)}") from None
        except smtplib.SMTPResponseException as exc:
            kind: type[NotifierError] = PermanentError if exc.smtp_code >= 500 else TransientError
            raise kind(f"{where} answered {exc.smtp_code}: {exc.smtp_error!r}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise NotifierUnavailable(f"{where}: {exc} (set notifications.email.starttls = false?)") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"{where} unreachable: {type(exc).__name__}: {exc}",
                                 maybe_sent=isinstance(exc, TimeoutError)) from None
