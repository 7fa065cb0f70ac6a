"""The office's Atom feed as a feed reader sees it, and editing each platform's post before it goes out."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from newsdesk.cli import main
from pipeline.models import Post, Release
from pipeline.settings import Settings, load_settings
from press.feed import write_feed
from press.posts import edit_post
from press.schedule import schedule_release
from press.workflow import WorkflowError
from tests.press.conftest import approved_release


def _published(session: Session, title: str, url: str | None, body: str) -> Release:
    release = Release(kind="release", title=title, agency="都發局", body=body, status="published",
                      published_at=datetime(2024, 9, 2, 2, 0, tzinfo=UTC))
    release.url = url
    session.add(release)
    session.flush()
    return release


def test_the_feed_is_valid_atom_with_links_summaries_and_html_content(session: Session, tmp_path: Path) -> None:
    settings = load_settings(None, {"database_url": f"sqlite:///{tmp_path / 'f.db'}",
                                    "press": {"feed": {"path": str(tmp_path / "out" / "releases.xml")}}},
                             use_env=False)
    first = _published(session, "社宅<新>進度", "https://www.gov.taipei/News_Content.aspx?n=1",
                       "臺北市今日宣布社宅進度 & 時程。\n第二段。")
    second = _published(session, "沒有網址的新聞稿", None, "內文一。")
    path = write_feed(session, settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # a web server (another user) reads it
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    entries = {e.title: e for e in feed.entries}
    e1, e2 = entries["社宅<新>進度"], entries["沒有網址的新聞稿"]
    assert e1.link == first.url and e2.link == f"{settings.press.feed.url}#release-{second.id}"
    assert e1.summary == "臺北市今日宣布社宅進度 & 時程。"
    html = e1.content[0].value
    assert e1.content[0].type == "text/html"
    assert html.lstrip().startswith('<article class="release">') and "<html" not in html and "DOCTYPE" not in html
    assert "<p>臺北市今日宣布社宅進度 &amp; 時程。</p>" in html and "社宅&lt;新&gt;進度" in html
    assert e1.tags[0].term == "都發局" and e1.id.startswith("tag:www.gov.taipei,2024-09-02:release-")


def test_post_text_is_shown_and_edited_within_the_platform_limits(
    live_settings: Settings, live_sessions: object
) -> None:
    with live_sessions() as session:  # type: ignore[operator]
        release = approved_release(session, live_settings)
        now = datetime.now(UTC)
        posts = schedule_release(session, live_settings, release, now + timedelta(hours=1), "amy", now=now,
                                 platforms=["facebook", "threads"])
        session.commit()
        threads = next(p for p in posts if p.platform == "threads")
        with pytest.raises(WorkflowError, match="threads.*501 characters, the limit is 500"):
            edit_post(session, threads, "字" * 501, "amy")
        with pytest.raises(WorkflowError, match="the text is empty"):
            edit_post(session, threads, "  ", "amy")
        edit_post(session, threads, "改寫過的 Threads 貼文", "amy")
        session.commit()
        ids = [p.id for p in posts]
        threads.status = "published"
        session.commit()
        with pytest.raises(WorkflowError, match="is published: it can no longer be edited"):
            edit_post(session, threads, "再改", "amy")
        threads.status = "scheduled"
        session.commit()
    env = {"DATABASE_URL": live_settings.database_url}
    run = CliRunner().invoke
    assert run(main, ["users", "add", "bob", "--role", "officer", "--no-password"], env=env).exit_code == 0
    shown = run(main, ["press", "post", "show", "--release", str(release.id)], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"post {ids[1]}  threads  scheduled" in shown.output and "edited by amy" in shown.output
    assert "改寫過的 Threads 貼文" in shown.output and "北市社宅新進度" in shown.output  # facebook's text
    edited = run(main, ["press", "post", "edit", str(ids[0]), "--text", "臉書版本", "--as", "bob"], env=env)
    assert edited.exit_code == 0 and "text saved by bob" in edited.output
    one = run(main, ["press", "post", "show", str(ids[0])], env=env)
    assert one.output.splitlines()[1] == "臉書版本"
    nothing = run(main, ["press", "post", "edit", str(ids[0]), "--as", "bob"], env=env)
    assert nothing.exit_code == 2 and "no 貼文內容 given, and there is no terminal" in nothing.output
    missing = run(main, ["press", "post", "show", "999"], env=env)
    assert missing.exit_code == 1 and "no post 999" in missing.output
    with live_sessions() as session:  # type: ignore[operator]
        post = session.get(Post, ids[0])
        assert post is not None and post.meta["edited_by"] == "bob"
