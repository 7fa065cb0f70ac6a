"""The redaction layer: what it masks, in log records, error text and config check."""

from __future__ import annotations

import logging
import sys

import pytest

from pipeline.redact import redact, redact_data, redact_record, register
from pipeline.settings import effective, load_settings

TOKEN = "EAAB-page-token-0042"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://newsdesk:pg%40Secret9@db.internal:5432/newsdesk")


@pytest.mark.parametrize(("text", "masked"), [
    (f"GET /v21.0/1/feed?fields=id&access_token={TOKEN} HTTP/1.1", "access_token=****"),
    ("https://www.googleapis.com/youtube/v3/search?part=snippet&key=AIzaSyA-9&q=x", "key=****&q=x"),
    ("source feed: https://h.example/rss?key=k-9: HTTP 500", "?key=****: HTTP 500"),
    ("feed https://reader:hunter22@feeds.example/rss: HTTP 500", "https://reader:****@feeds.example/rss"),
    ("{'Authorization': 'Bearer xoxb-1-2-abcdef', 'User-Agent': 'newsdesk'}", "'Authorization': '****'"),
    ('{"accessJwt": "eyJhbGciOiJIUzI1NiJ9.e30.x", "did": "did:plc:x"}', '"accessJwt": "****"'),
    (f"token {TOKEN} in a sentence", "token **** in a sentence"),
    ("connection to db.internal failed for pg@Secret9", "failed for ****"),  # the DATABASE_URL password
])
def test_what_is_masked(text: str, masked: str) -> None:
    assert masked in redact(text)


def test_what_is_left_alone() -> None:
    for text in ("basic information about 臺北市", "postgresql+psycopg://user@host:5432/db",
                 "postgresql+psycopg://u:***@db/news", "https://www.gov.taipei/News.aspx?n=1&sms=2"):
        assert redact(text) == text


def test_values_registered_at_run_time() -> None:
    register("jwt-session-abcdef")
    assert redact("createRecord with jwt-session-abcdef failed") == "createRecord with **** failed"


def test_log_records_and_their_tracebacks() -> None:
    try:
        raise RuntimeError(f"https://graph.example/me?access_token={TOKEN}")
    except RuntimeError:
        record = logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1,
                                   '%s://%s:%s "%s %s %s" %s %s', ("https", "graph.example", 443, "GET",
                                                                    f"/me?access_token={TOKEN}", "HTTP/1.1",
                                                                    200, 10), sys.exc_info())
    text = logging.Formatter("%(message)s").format(redact_record(record))
    assert TOKEN not in text and text.count("access_token=****") >= 2  # the message and the traceback


def test_config_check_masks_the_database_password(tmp_path: object) -> None:
    data = effective(load_settings(None, None))
    assert "pg%40Secret9" not in str(data) and "pg@Secret9" not in str(data)
    assert data["environment"]["META_ACCESS_TOKEN"] == "****"
    assert data["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://newsdesk:***@db.internal")
    assert redact_data({"a": [f"x?key={TOKEN}"]}) == {"a": ["x?key=****"]}
