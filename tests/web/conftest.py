"""Dashboard fixtures: an app on a temporary SQLite file with one user per role and a flagged story."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import open_database
from pipeline.models import Cluster, ItemRow, MatchRow, SentimentScore
from pipeline.responses import open_response
from pipeline.settings import Settings, load_settings
from pipeline.users import add_user
from web.app import create_app

PASSWORD = "correct-horse-battery"
ROLES = ("officer", "reviewer", "admin")


def web_settings(tmp_path: Path, **web: Any) -> Settings:
    return load_settings(None, {"database_url": f"sqlite:///{tmp_path / 'web.db'}",
                                "web": {"secret_file": str(tmp_path / "secret.key"), **web}}, use_env=False)


def add_story(session: Session, settings: Settings, title: str, *, n: int = 0, decision: bool = True,
              agency: str = "捷運公司", outlets: tuple[str, ...] = ("cna", "udn")) -> ItemRow:
    """A flagged story as the pipeline stores it: cluster, copies, matches, score and an open response."""
    now = datetime.now(UTC) - timedelta(minutes=30 - n)
    cluster = Cluster(title=title, item_count=len(outlets), outlets=list(outlets), priority="high")
    session.add(cluster)
    session.flush()
    first = None
    for i, outlet in enumerate(outlets):
        item = ItemRow(url=f"https://news.example.tw/{n}/{i}", canonical_url=f"https://news.example.tw/{n}/{i}",
                       content_hash=f"{n}-{i}", source=outlet, outlet=outlet, title=title,
                       text=f"臺北捷運板南線今晨號誌故障，{title}，通勤族抱怨。", published_at=now,
                       cluster_id=cluster.id,
                       priority="high", flagged=True,
                       meta={"highlights": {"捷運事故": [f"臺北【捷運】板南線今晨號誌【故障】，{title}"]}})
        if decision:
            item.government, item.response_score, item.agency = "TPE", 0.91, agency
            item.meta["decision"] = {"government": "TPE", "score": 0.91, "needs_response": True, "agency": agency,
                                     "reasons": ["批評市府", "捷運營運中斷"], "model": "test", "version": "1"}
        item.matches.append(MatchRow(agency=agency, rule="捷運事故", kind="topic", terms=["捷運", "故障"]))
        item.scores.append(SentimentScore(label="negative", score=0.88, model="test", version="1"))
        session.add(item)
        session.flush()
        first = first or item
    assert first is not None
    open_response(session, settings, cluster_id=cluster.id, item_id=first.id, agency=agency, priority="high",
                  now=now)
    return first


@pytest.fixture
def web_app(tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session], TestClient]]:
    settings = web_settings(tmp_path)
    sessions = open_database(settings.database_url)
    with sessions() as s:
        for role in ROLES:
            add_user(s, role, role, PASSWORD)
        add_story(s, settings, "北捷板南線號誌故障 列車延誤")
        s.commit()
    app = create_app(settings, sessions)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield settings, sessions, client
    sessions.kw["bind"].dispose()


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in; returns the session's CSRF token (from the page, as a browser would see it)."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1), "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    home = client.get("/")
    found = re.search(r'X-CSRF-Token&#34;: &#34;([^&]+)&#34;|"X-CSRF-Token": "([^"]+)"', home.text)
    assert found, home.text[:500]
    return found.group(1) or found.group(2)
