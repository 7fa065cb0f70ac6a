"""No secret in any output, log or database file at -vv over crawl, publish and error paths.

The whole check (with the demo too) is ``python -m tests.secrets_check --demo``.
"""

from __future__ import annotations

from pathlib import Path

from tests.secrets_check import check, leaks, secrets


def test_no_secret_reaches_any_output_log_or_database_file(tmp_path: Path) -> None:
    assert check(tmp_path) == []


def test_the_check_finds_what_it_looks_for() -> None:
    values = secrets()
    token = values["META_ACCESS_TOKEN"]
    assert leaks(f"GET /feed?access_token={token}", values) == ["META_ACCESS_TOKEN"]
    assert leaks("https://x.example/?q=" + token.replace("-", "%2D"), values) == []  # (not a form newsdesk writes)
    assert leaks("nothing here", values) == []
