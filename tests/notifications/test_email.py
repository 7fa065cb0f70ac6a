from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from notifications.base import NotifierUnavailable, PermanentError, TransientError
from notifications.email import EmailNotifier, message_id
from pipeline.settings import EmailSettings, load_settings
from tests.notifications.conftest import make_message
from tests.notifications.smtp_stub import SMTPStub


@pytest.fixture
def smtp() -> Iterator[SMTPStub]:
    with SMTPStub(refuse={"nobody@city.gov.tw"}) as s:
        yield s


def _notifier(smtp: SMTPStub, **kw: object) -> EmailNotifier:
    config = {"host": "127.0.0.1", "port": smtp.port, "starttls": False, "sender": "newsdesk@city.gov.tw",
              "recipients": ["press@city.gov.tw"], "timeout": 5, **kw}
    return EmailNotifier(EmailSettings.model_validate(config), SecretStr("pw"))


def test_alert_as_text_and_autoescaped_html(smtp: SMTPStub) -> None:
    title = "<script>alert(1)</script> 北捷 & 乘客\r\nBcc: evil@x"
    msg = make_message(title=title, outlets_count=2, reach=3000)
    delivery = _notifier(smtp).send(msg, "email")
    [got] = smtp.received
    mail = got.message
    assert got.recipients == ["press@city.gov.tw"] and got.sender == "newsdesk@city.gov.tw"
    assert "\n" not in mail["Subject"] and "Bcc" not in mail.keys()
    assert mail["Message-ID"] == delivery.external_id == message_id("slack:#press-alerts:item:1")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>alert(1)</script> 北捷 & 乘客" in text and "2024-09-02 09:30" in text and "3,000" in text
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; 乘客" in html
    assert 'href="https://news.example.tw/a/1"' in html


def test_channel_can_name_addresses(smtp: SMTPStub) -> None:
    _notifier(smtp).send(make_message(), "a@city.gov.tw, b@city.gov.tw")
    assert smtp.received[0].recipients == ["a@city.gov.tw", "b@city.gov.tw"]


def test_refused_recipient_is_permanent(smtp: SMTPStub) -> None:
    with pytest.raises(PermanentError, match="refused the recipients"):
        _notifier(smtp).send(make_message(), "nobody@city.gov.tw")


def test_failed_login_keeps_alerts(smtp: SMTPStub) -> None:
    smtp.auth_fails = True
    with pytest.raises(NotifierUnavailable, match="SMTP_PASSWORD") as err:
        _notifier(smtp, username="press").send(make_message(), "email")
    assert "pw" not in str(err.value).replace("SMTP_PASSWORD", "")


def test_server_down_is_transient(smtp: SMTPStub) -> None:
    smtp.server.server_close()
    with pytest.raises(TransientError, match="unreachable"):
        _notifier(smtp).send(make_message(), "email")


def test_starttls_missing_is_a_clear_error(smtp: SMTPStub) -> None:
    with pytest.raises(NotifierUnavailable, match="starttls"):
        _notifier(smtp, starttls=True).send(make_message(), "email")


def test_digest_mail_has_the_chart_inline(smtp: SMTPStub) -> None:
    page = '<h2>每日輿情摘要</h2><a href="https://x.tw/a?b=1&amp;c=2">北捷 &amp; 乘客</a><img src="cid:chart">'
    _notifier(smtp).send_digest("每日輿情摘要\n   - 北捷 & 乘客｜https://x.tw/a?b=1&c=2", b"\x89PNG fake", html=page)
    mail = smtp.received[0].message
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "北捷 & 乘客｜https://x.tw/a?b=1&c=2" in text
    assert mail.get_body(("html",)).get_content().strip() == page  # type: ignore[union-attr]
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0].get_payload(decode=True) == b"\x89PNG fake"


def test_from_settings_needs_a_host(tmp_path: Path) -> None:
    settings = load_settings(None, {"database_url": f"sqlite:///{tmp_path / 'e.db'}"}, use_env=False)
    with pytest.raises(NotifierUnavailable, match="notifications.email.host"):
        EmailNotifier.from_settings(settings)
