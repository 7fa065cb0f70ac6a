"""The dashboard in a real browser (Debian's chromium through Playwright): an officer logs in and acts
on an alert, a new alert arrives without a reload, a statement goes draft → review, a reviewer approves
and schedules it, search and the report render. Screenshots go to var/test-artifacts/web/."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import open_database
from pipeline.settings import Settings
from pipeline.users import add_user
from tests.web.conftest import PASSWORD, add_story, web_settings

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "web"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/browser.sh installs it as root)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Settings, sessionmaker[Session]]]:
    import uvicorn

    from web.app import create_app

    settings = web_settings(tmp_path, poll_seconds=1)
    sessions = open_database(settings.database_url)
    with sessions() as s:
        add_user(s, "amy", "officer", PASSWORD)
        add_user(s, "boss", "reviewer", PASSWORD)
        add_story(s, settings, "北捷板南線號誌故障 列車延誤")
        add_story(s, settings, "大巨蛋消防安檢遭議員質疑", n=1, agency="消防局", outlets=("ltn", "chinatimes", "tvbs"))
        s.commit()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, sessions), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not srv.started:
        thread.join(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", settings, sessions
    srv.should_exit = True
    thread.join(10)
    sessions.kw["bind"].dispose()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_officer_and_reviewer_work_through_the_dashboard(browser: Any, server: Any) -> None:
    base, settings, sessions = server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-TW",
                                  timezone_id="Asia/Taipei")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")
    log_in(page, base, "amy")
    card = page.locator("article.card").filter(has_text="大巨蛋消防安檢")
    assert card.locator("mark").first.inner_text() == "捷運"
    assert "自由時報、中時新聞網、TVBS新聞網" in card.inner_text()
    shot(page, "01-inbox")

    # act on an alert: assign it, the card is replaced in place
    card.locator("form[hx-post$='/assign'] select").select_option("消防局")
    card.locator("form[hx-post$='/assign'] button").click()
    page.locator("#card-2 .badge.note", has_text="已分派").wait_for()
    assert "消防局（amy）" in page.locator("#card-2").inner_text()

    # a new alert arrives while the page is open
    with sessions() as s:
        add_story(s, settings, "北市都更案居民抗議", n=2, decision=False, agency="都發局", outlets=("udn",))
        s.commit()
    page.locator("article.card", has_text="北市都更案居民抗議").wait_for(timeout=10_000)
    shot(page, "02-inbox-new-alert")

    # draft a statement from the first story, with the live preview
    page.locator("#card-1 a", has_text="草擬聲明").click()
    page.wait_for_url("**/press/new**")
    page.fill("textarea[name=body]", "市府已要求臺北捷運公司全面檢查號誌系統。")
    page.locator("#preview iframe.doc").wait_for(timeout=10_000) if not problems else None
    assert not problems, problems
    page.locator("#preview .count").first.wait_for()
    shot(page, "03-draft-preview")
    page.click("form#draft button[type=submit]")
    page.wait_for_url(f"{base}/press/1")
    page.click("text=送審")
    page.locator("h1 .badge", has_text="待審核").wait_for()
    assert page.locator("button", has_text="核准").is_disabled()

    # the reviewer approves and schedules
    page.click("header .who button")
    log_in(page, base, "boss")
    page.goto(f"{base}/press/1")
    page.click("text=核准")
    page.locator("h1 .badge", has_text="已核准").wait_for()
    at = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Taipei"))
    page.fill("input[name=at]", at.strftime("%Y-%m-%dT%H:%M"))
    page.click("text=排程發布")
    page.locator("h1 .badge", has_text="已排程").wait_for()
    shot(page, "04-release-scheduled")

    page.goto(f"{base}/search?q=捷運")
    assert page.locator("ol.results li").count() >= 2 and page.locator("ol.results mark").count() >= 2
    shot(page, "05-search")

    page.goto(f"{base}/reports?period={at.year - 1911}H{1 if at.month <= 6 else 2}")
    page.wait_for_function("() => [...document.querySelectorAll('canvas[data-chart]')]"
                           ".every(c => c.dataset.drawn === '1')")
    shot(page, "06-report")
    page.goto(f"{base}/calendar?view=week&day={at.date().isoformat()}")
    assert "Facebook 貼文" in page.inner_text(".calendar")
    shot(page, "07-calendar-week")
    page.goto(f"{base}/coverage")
    shot(page, "08-coverage")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
    mobile = phone.new_page()
    log_in(mobile, base, "amy")
    shot(mobile, "09-phone-inbox")
    mobile.goto(f"{base}/press/1")
    shot(mobile, "10-phone-release")
    width = mobile.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page scrolls sideways ({width}px)"
    phone.close()
    context.close()
    assert not problems, problems  # no script errors and no Content-Security-Policy violations
