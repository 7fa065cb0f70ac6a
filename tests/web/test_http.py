"""The dashboard over HTTP: logged-out redirects, CSRF, roles on every route, hostile text, the inbox
actions going through the core, search and exports."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from pipeline.models import Correction, Response
from pipeline.settings import Settings
from tests.web.conftest import PASSWORD, ROLES, add_story, login
from web.routes import ROUTERS

App = tuple[Settings, sessionmaker[Session], TestClient]
RANK = {None: -1, "officer": 0, "reviewer": 1, "admin": 2}


def routes() -> list[tuple[str, str, str | None]]:
    """(method, path, role needed) of every route; the role is read from the route's dependencies."""
    out = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            needed = None
            for dep in route.dependant.dependencies:
                needed = getattr(dep.call, "role", needed)
            for method in route.methods:
                out.append((method, route.path, needed))
    return out


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "sina" if m.group(1) == "name" else "1", path)


def test_every_route_checks_the_role(web_app: App) -> None:
    _, _, client = web_app
    table = routes()
    public = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
    assert {(m, p) for m, p, role in table if role is None} == public, "a route without a role check"
    for method, path, _ in table:  # logged out: pages send to the login, other requests are refused
        if (method, path) in public:
            continue
        r = client.request(method, concrete(path), follow_redirects=False)
        assert r.status_code in ((303,) if method == "GET" else (401, 403)), (method, path, r.status_code)
        if method == "GET":
            assert r.headers["location"].startswith("/login?next=")
    for role in ROLES:
        client.cookies.clear()
        token = login(client, role)
        for method, path, needed in table:
            if (method, path) in public:
                continue
            r = client.request(method, concrete(path), headers={"X-CSRF-Token": token}, follow_redirects=False)
            allowed = RANK[role] >= RANK[needed]
            assert (r.status_code != 403) == allowed, (role, method, path, r.status_code, r.text[:200])
            assert r.status_code < 500, (role, method, path, r.text[:300])


def test_state_changes_need_the_csrf_token(web_app: App) -> None:
    _, sessions, client = web_app
    token = login(client, "officer")
    r = client.post("/inbox/1/dismiss", data={"reason": "重複"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/inbox/1/dismiss", data={"reason": "重複"}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    with sessions() as s:
        assert s.get(Response, 1).status == "open"  # type: ignore[union-attr]
    r = client.post("/inbox/1/dismiss", data={"reason": "重複", "csrf_token": token})
    assert r.status_code == 200 and "不需回應：重複" in r.text


def test_login_is_rate_limited_and_logout_ends_the_session(tmp_path: Any) -> None:
    from pipeline.db import open_database
    from pipeline.users import add_user
    from tests.web.conftest import web_settings
    from web.app import create_app

    settings = web_settings(tmp_path, login_attempts=3)
    sessions = open_database(settings.database_url)
    with sessions() as s:
        add_user(s, "amy", "officer", PASSWORD)
        s.commit()
    with TestClient(create_app(settings, sessions), base_url="http://127.0.0.1") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        codes = [client.post("/login", data={"name": "amy", "password": "wrong", "csrf_token": token}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        r = client.post("/login", data={"name": "amy", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 429, "the right password does not lift the limit early"
        assert "HttpOnly" not in client.cookies.get("newsdesk_session", "")  # sanity: cookie exists
    sessions.kw["bind"].dispose()


def test_session_cookie_flags_and_headers(web_app: App) -> None:
    _, _, client = web_app
    page = client.get("/login")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in page.text  # no inline script at all
    r = client.post("/login", data={"name": "officer", "password": PASSWORD, "csrf_token": "x", "next": "/"})
    assert r.status_code == 403, "the login form has a CSRF token too"


def test_logged_in_user_disabled_is_logged_out(web_app: App) -> None:
    _, sessions, client = web_app
    login(client, "officer")
    assert client.get("/", follow_redirects=False).status_code == 200
    with sessions() as s:
        from pipeline.users import set_disabled

        set_disabled(s, "officer")
        s.commit()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_hostile_text_is_escaped_everywhere(web_app: App) -> None:
    settings, sessions, client = web_app
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"\''
    with sessions() as s:
        item = add_story(s, settings, evil, n=5)
        item.url = "javascript:alert(3)"
        s.commit()
        item_id = item.id
    token = login(client, "officer")
    story = client.get(f"/stories/{item_id}")
    assert "臺北<mark>捷運</mark>板南線今晨號誌<mark>故障</mark>" in story.text  # the text, terms marked
    pages = [client.get("/"), story, client.get("/search", params={"q": "號誌"})]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert 'href="javascript:' not in page.text
    r = client.post("/press/preview", data={"title": evil, "body": evil, "csrf_token": token})
    assert "<script>alert" not in r.text


def test_inbox_actions_go_through_the_core(web_app: App) -> None:
    settings, sessions, client = web_app
    token = login(client, "officer")
    page = client.get("/")
    assert "中央社、聯合新聞網" in page.text  # outlet names, not codes
    assert "<mark>捷運</mark>" in page.text and "批評市府" in page.text and "0.91" in page.text
    h = {"X-CSRF-Token": token, "HX-Request": "true"}
    r = client.post("/inbox/1/assign", data={"agency": "捷運局", "expected": "open"}, headers=h)
    assert r.status_code == 200 and "已分派" in r.text and "捷運局（officer）" in r.text
    stale = client.post("/inbox/1/dismiss", data={"reason": "x", "expected": "open"}, headers=h)
    assert stale.status_code == 409 and "someone changed it" in stale.text and stale.headers["HX-Retarget"] == "#flash"
    r = client.post("/inbox/1/not-negative", data={"expected": "assigned"}, headers=h)
    assert r.status_code == 200 and "不需回應" in r.text
    with sessions() as s:
        row = s.get(Response, 1)
        assert row is not None and row.status == "dismissed" and row.officer == "officer"
        assert [c.label for c in s.query(Correction)] == ["not_negative"]


def test_new_alerts_come_to_the_poller_and_old_items_degrade(web_app: App) -> None:
    settings, sessions, client = web_app
    login(client, "officer")
    after = re.search(r'data-after="(\d+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
    assert client.get(f"/inbox/new?after={after}").text.count("<article") == 0
    with sessions() as s:
        add_story(s, settings, "都更案居民抗議", n=7, decision=False, agency="都發局", outlets=("ltn",))
        s.commit()
    r = client.get(f"/inbox/new?after={after}")
    assert r.text.count("<article") == 1 and "都更案居民抗議" in r.text and "負面機率" in r.text
    assert "新進" in r.text and f'data-after="{int(after) + 1}"' in r.text
    assert client.get(f"/inbox/new?after={after}&agency=捷運公司").text.count("<article") == 0


def test_search_finds_two_character_words_and_exports_csv_with_bom(web_app: App) -> None:
    _, _, client = web_app
    login(client, "officer")
    page = client.get("/search", params={"q": "捷運"})
    assert "北捷板南線號誌故障" in page.text and "<mark>" in page.text
    assert "找不到" in client.get("/search", params={"q": "都更"}).text
    bad = client.get("/search", params={"q": "(捷運"})
    assert bad.status_code == 409 and "is never closed" in bad.text
    csv = client.get("/search.csv", params={"q": "捷運"})
    assert csv.content.startswith("\ufeff編號".encode()) and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.count("\n") == 3  # header + two copies


def test_secrets_are_never_rendered(web_app: App, monkeypatch: Any) -> None:
    _, _, client = web_app
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    login(client, "admin")
    page = client.get("/admin/settings")
    assert page.status_code == 200 and "xoxb-very-secret" not in page.text and "****" in page.text
    assert "argon2" not in client.get("/admin/users").text
