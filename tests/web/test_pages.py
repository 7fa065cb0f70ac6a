"""The press flow over HTTP (draft with preview, review, approve by someone else, schedule, post edit,
history with diffs) and the calendar, reports (CSV/XLSX), coverage and sources pages."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from pipeline.models import Post, Release
from pipeline.settings import Settings
from tests.web.conftest import login

App = tuple[Settings, sessionmaker[Session], TestClient]


def test_draft_preview_review_approve_schedule_and_edit_a_post(web_app: App) -> None:
    _, sessions, client = web_app
    token = login(client, "officer")
    form = {"kind": "release", "title": "新社宅啟用", "body": "臺北市今日啟用新社宅。", "fields": "hashtags=臺北 社宅",
            "csrf_token": token}
    preview = client.post("/press/preview", data=form)
    assert "srcdoc=" in preview.text and "Threads" in preview.text and "/ 500 字" in preview.text
    r = client.post("/press/new", data={"kind": "statement", "item": "1", "body": "市府已要求改善。",
                                        "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/press/1"
    page = client.get("/press/1")
    assert "有關「北捷板南線號誌故障 列車延誤」報導之說明" in page.text and "草稿" in page.text
    assert client.post("/press/1/edit", data={"title": "北捷號誌故障說明", "body": "市府已要求北捷改善。",
                                              "csrf_token": token}).status_code == 200
    assert client.post("/press/1/submit", data={"csrf_token": token}).status_code == 200
    assert client.post("/press/1/approve", data={"csrf_token": token}).status_code == 403  # an officer cannot
    client.cookies.clear()
    token = login(client, "reviewer")
    assert client.post("/press/1/approve", data={"csrf_token": token}).status_code == 200
    at = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Taipei")).strftime("%Y-%m-%dT%H:%M")
    r = client.post("/press/1/schedule", data={"at": at, "platforms": ["facebook", "threads"], "csrf_token": token})
    assert r.status_code == 200, r.text
    with sessions() as s:
        release = s.get(Release, 1)
        assert release is not None and release.status == "scheduled" and release.approved_by == "reviewer"
        posts = {p.platform: p.id for p in s.query(Post)}
    assert set(posts) == {"facebook", "threads"}
    r = client.post(f"/press/posts/{posts['threads']}", data={"text": "長" * 501, "csrf_token": token})
    assert r.status_code == 409 and "the limit is 500" in r.text
    fixed = "北捷號誌故障，市府已要求改善。"
    client.post(f"/press/posts/{posts['threads']}", data={"text": fixed, "csrf_token": token})
    page = client.get("/press/1")
    assert "北捷號誌故障，市府已要求改善。" in page.text and "<del>- 有關「北捷板南線號誌故障" in page.text
    assert "<ins>+ 北捷號誌故障說明</ins>" in page.text and "officer：草稿 → 待審核" in page.text
    cal = client.get("/calendar", params={"view": "week", "day": at[:10]})
    assert "北捷號誌故障說明" in cal.text and "Threads 貼文" in cal.text


def test_an_author_who_is_a_reviewer_cannot_approve_their_own(web_app: App) -> None:
    _, _, client = web_app
    token = login(client, "reviewer")
    client.post("/press/new", data={"title": "自己寫的", "body": "內文", "csrf_token": token})
    client.post("/press/1/submit", data={"csrf_token": token})
    r = client.post("/press/1/approve", data={"csrf_token": token})
    assert r.status_code == 409 and "reviewer wrote it and cannot approve it" in r.text


def test_reports_exports_coverage_and_sources(web_app: App) -> None:
    _, sessions, client = web_app
    login(client, "admin")
    page = client.get("/reports", params={"period": "113H1"})
    assert "113年上半年新聞稿發布則數" in page.text and "本處發布新聞稿" in page.text and "全府發布新聞稿" in page.text
    assert "data-chart='" in page.text
    assert client.get("/reports", params={"period": "junk"}).status_code == 409
    csv = client.get("/reports.csv", params={"period": "113H1"})
    assert csv.content.startswith("\ufeff類別 \\ 期間,1 月".encode())
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/reports.xlsx", params={"period": "113H1"}).content))
    assert book["新聞稿"]["A2"].value == "本處發布新聞稿" and "輿情分派" in book.sheetnames
    from pipeline.models import Alert

    with sessions() as s:
        s.add(Alert(kind="spike", channel="#press", notifier="console", idempotency_key="spike-1",
                    payload={"scope": "agency", "name": "捷運公司", "window_end": datetime.now(UTC).isoformat()}))
        s.commit()
    cover = client.get("/coverage")
    assert "捷運公司" in cover.text and "100%" in cover.text and cover.text.count('title="激增"') == 1
    sources = client.get("/sources")
    assert sources.status_code == 200 and "停用" in sources.text
