"""The dashboard on PostgreSQL: the inbox, an action, search through the tsvector index, approval."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.db import open_database
from pipeline.settings import load_settings
from pipeline.users import add_user
from tests.pipeline.test_storage import db_url  # noqa: F401 - the two-backend fixture
from tests.web.conftest import PASSWORD, add_story, login
from web.app import create_app


@pytest.mark.postgres
def test_inbox_search_and_approval(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite is covered by the other dashboard tests")
    settings = load_settings(None, {"database_url": db_url, "web": {"secret_file": str(tmp_path / "k")}},
                             use_env=False)
    sessions = open_database(db_url)
    with sessions() as s:
        add_user(s, "amy", "officer", PASSWORD)
        add_user(s, "boss", "reviewer", PASSWORD)
        add_story(s, settings, "北捷板南線號誌故障 列車延誤")
        s.commit()
    with TestClient(create_app(settings, sessions), base_url="http://127.0.0.1") as client:
        token = login(client, "amy")
        assert "中央社、聯合新聞網" in client.get("/", params={"agency": "捷運公司", "min_score": "0.5"}).text
        h = {"X-CSRF-Token": token}
        assert "已分派" in client.post("/inbox/1/assign", data={"agency": "捷運局", "expected": "open"}, headers=h).text
        found = client.get("/search", params={"q": "捷運 NOT 都更", "since": "113年1月1日"})
        assert found.text.count("<li><a href=\"/stories/") == 2
        client.post("/press/new", data={"title": "說明", "body": "內文", "csrf_token": token})
        client.post("/press/1/submit", data={"csrf_token": token})
        client.cookies.clear()
        token = login(client, "boss")
        assert client.post("/press/1/approve", data={"csrf_token": token}).status_code == 200
        assert "已核准" in client.get("/press/1").text
        for page in ("/stories/1", "/calendar", "/reports?period=113H1", "/coverage", "/sources",
                     "/search.csv?q=捷運"):
            assert client.get(page).status_code == 200, page
    sessions.kw["bind"].dispose()
