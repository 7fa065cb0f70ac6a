"""No secret in any output, log or database file: run newsdesk at ``-vv`` with every secret set to a
distinctive value and search everything it wrote for every one of them.

Paths covered: ``config check`` (text and JSON, ``DATABASE_URL`` with a password), a crawl pass (a feed
whose URL carries a password and a key and fails, a feed that works, Graph/YouTube/Bluesky social
sources whose platforms answer errors), publishing to every platform (stand-ins on 127.0.0.1, with
answers that echo the token back and connections dropped mid-call), and ``newsdesk demo`` alerting to
a Slack stand-in. Everything each command printed (stdout, stderr with the debug log) and every file
under the work folder (SQLite databases with their WAL, the feed) is searched for each secret, raw,
URL-encoded and in ``user:password@`` form.

Run on demand (``python -m tests.secrets_check [--demo] [--keep DIR]``); ``tests/test_secrets.py`` runs
it without the demo.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

ROOT = Path(__file__).resolve().parents[1]
TAG = "Zq81x"
PLATFORM_TOKENS = {
    "graph": "META_ACCESS_TOKEN", "threads": "THREADS_ACCESS_TOKEN", "youtube": "YOUTUBE_ACCESS_TOKEN",
    "x": "X_ACCESS_TOKEN", "line": "LINE_CHANNEL_ACCESS_TOKEN", "bluesky": "BLUESKY_APP_PASSWORD",
    "mastodon": "MASTODON_ACCESS_TOKEN",
}
FEED_PASSWORD, FEED_KEY, DB_PASSWORD = f"feedPw-{TAG}", f"feedKey-{TAG}", f"dbPw-{TAG}"


def secrets() -> dict[str, str]:
    from pipeline.settings import SECRET_ENV

    return {name: f"{name.lower().replace('_', '-')}-{TAG}" for name in SECRET_ENV}


def leaks(text: str, values: dict[str, str]) -> list[str]:
    found = []
    for name, value in values.items():
        for form in {value, quote(value, safe=""), quote_plus(value)}:
            if form in text:
                found.append(name)
                break
    return found


def _run(args: list[str], env: dict[str, str], cwd: Path, log: list[tuple[str, str]]) -> str:
    proc = subprocess.run([sys.executable, "-m", "newsdesk", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    out = proc.stdout + proc.stderr
    log.append((" ".join(args), out))
    return out


@contextmanager
def _feeds() -> Iterator[tuple[str, Any]]:
    """A small news site: one working feed and one that fails (500) for a URL with credentials."""
    import threading
    from http.server import ThreadingHTTPServer

    from tests.crawlers.conftest import Reply, Site, _handler
    from tests.crawlers.pages import rss

    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Site.__new__(Site)))
    site = Site(server)
    server.RequestHandlerClass = _handler(site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # the feed works; its article fails, so the pass goes through Scrapy but stores nothing (no model to
    # load here: `--demo` runs the whole pipeline)
    site.route("/rss.xml", rss([("臺北市捷運延誤", site.url("/news/2024090201?key=" + FEED_KEY))]),
               content_type="application/rss+xml")
    site.route("/private.xml", Reply(500, b"server error", {"Content-Type": "text/plain"}))
    err = b'{"error": {"message": "Invalid OAuth access token.", "code": 190}}'
    site.route("/12345/posts", Reply(400, err, {"Content-Type": "application/json"}))
    quota = (b'{"error": {"code": 403, "message": "quota", "errors": [{"reason": "quotaExceeded"}]}}')
    site.route("/search", Reply(403, quota, {"Content-Type": "application/json"}))
    try:
        yield site.base, site
    finally:
        server.shutdown()
        server.server_close()


def _config(work: Path, feed_base: str, stub_base: str) -> Path:
    host_port = feed_base.removeprefix("http://")
    feed_url = f"http://reader:{FEED_PASSWORD}@{host_port}/private.xml?key={FEED_KEY}"
    platforms = {"facebook": "1000", "instagram": "1780", "threads": "2900", "youtube": "", "x": "", "line": "",
                 "bluesky": "taipei.example", "mastodon": ""}
    lines = [f'database_url = "sqlite:///{work / "newsdesk.db"}"', "",
             "[crawl]", "allow_private_hosts = true", "download_delay = 0.0", "timeout = 10", "",
             "[press]", 'media_base_url = "https://media.example.gov.taipei/"', "",
             "[press.feed]", f'path = "{work / "releases.xml"}"', ""]
    for name, account in platforms.items():
        lines += [f"[press.platforms.{name}]", "enabled = true", "dry_run = false", f'base_url = "{stub_base}"',
                  "allow_private_hosts = true", f'account = "{account}"', "slots = []", "poll_interval = 0.0", ""]
    sources = [("private-feed", "feed", feed_url, {}), ("feed", "feed", f"{feed_base}/rss.xml", {}),
               ("fb", "facebook", "", {"base_url": feed_base, "page_id": "12345"}),
               ("yt", "youtube", "", {"base_url": feed_base, "q": "臺北"})]
    for name, kind, url, options in sources:
        opts = ", ".join(f'{k} = "{v}"' for k, v in options.items())
        lines += ["[[sources]]", f'name = "{name}"', f'type = "{kind}"', f'url = "{url}"', f"options = {{{opts}}}", ""]
    path = work / "newsdesk.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _schedule_everywhere(config: Path, video: Path, env: dict[str, str]) -> datetime:
    """Releases scheduled on every platform, straight through the library (the CLI would do the same)."""
    code = f"""
import os, sys
from datetime import datetime, timedelta, UTC
from pipeline.settings import load_settings
from pipeline.db import open_database
from press.schedule import schedule_release
from tests.press.conftest import approved_release
settings = load_settings({str(config)!r})
now = datetime(2024, 9, 2, tzinfo=UTC)
with open_database(settings.database_url)() as session:
    for i, (platform, media) in enumerate([("facebook", []), ("x", []), ("line", []), ("bluesky", []),
            ("mastodon", []), ("threads", []),
            ("instagram", [{{"url": "https://media.example/a.jpg", "type": "image/jpeg", "bytes": 1000}}]),
            ("youtube", [{{"path": {str(video)!r}, "type": "video/mp4", "bytes": 4096}}]),
            ("x", []), ("mastodon", [])]):
        release = approved_release(session, settings, title=f"第{{i}}則 臺北市新聞稿")
        schedule_release(session, settings, release, now + timedelta(minutes=1), "amy", now=now,
                         platforms=[platform], media=media)
    session.commit()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return datetime(2024, 9, 2, 0, 5, tzinfo=UTC)


def _retries_due(config: Path, env: dict[str, str]) -> None:
    """Posts waiting for a retry become due now (publishing records the real time, never a pretend one)."""
    code = f"""
from pipeline.settings import load_settings
from pipeline.db import open_database
from pipeline.models import Post
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
settings = load_settings({str(config)!r})
with open_database(settings.database_url)() as session:
    for post in session.scalars(select(Post)):
        if (post.meta or {{}}).get("next_attempt_at"):
            post.meta = {{**post.meta, "next_attempt_at": None}}
            flag_modified(post, "meta")
    session.commit()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


def _inject_errors(state: Any, values: dict[str, str]) -> None:
    """Platforms that echo the token back in an error, and connections dropped after the request."""
    from tests.press.stubs import Answer, Drop, Reject

    x_token = values["X_ACCESS_TOKEN"]
    state.fail["x:tweets"] += [Drop(after=True), Reject(400, {"title": "Invalid Request",
                                                             "detail": f"bad token {x_token} in Authorization"})]
    echoed = f"Authorization: Bearer {values['MASTODON_ACCESS_TOKEN']}"
    state.fail["mastodon:statuses"].append(Answer(500, {"error": echoed}))
    state.fail["graph:feed"].append(Reject(400, {"error": {"message": f"access_token={values['META_ACCESS_TOKEN']} "
                                                                      "is malformed", "code": 100}}))


def check(work: Path, demo: bool = False) -> list[str]:
    """Run everything; return the problems (empty: no secret anywhere)."""
    from tests.press.stubs import Platforms, serve

    values = secrets()
    values["feed password"], values["feed key"], values["database password"] = FEED_PASSWORD, FEED_KEY, DB_PASSWORD
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "DATABASE_URL"))}
    env.update({k: v for k, v in values.items() if k.isupper()})
    env["PYTHONPATH"] = str(ROOT)
    env.pop("SLACK_BOT_TOKEN", None)  # alerts go to the console here; the demo checks Slack
    log: list[tuple[str, str]] = []
    video = work / "clip.mp4"
    video.write_bytes(b"\x00" * 4096)
    state = Platforms(tokens={p: values[n] for p, n in PLATFORM_TOKENS.items()})
    with ExitStack() as stack:
        stub_base, _ = stack.enter_context(serve(state))
        feed_base, _ = stack.enter_context(_feeds())
        config = _config(work, feed_base, stub_base)
        pg = dict(env, DATABASE_URL=f"postgresql+psycopg://newsdesk:{DB_PASSWORD}@127.0.0.1:1/newsdesk")
        _run(["-vv", "config", "check"], pg, work, log)
        _run(["-vv", "config", "check", "--json"], pg, work, log)
        _run(["-vv", "--config", str(config), "crawl", "--once"], env, work, log)
        _run(["-vv", "--config", str(config), "sources", "status"], env, work, log)
        _schedule_everywhere(config, video, env)
        _inject_errors(state, values)
        for again in (False, True):  # the tries, then confirmations and retries of unknown outcomes
            if again:
                _retries_due(config, env)  # instead of waiting out the back-off
            state.now = datetime.now(UTC)
            _run(["-vv", "--config", str(config), "press", "publish"], env, work, log)
        _run(["-vv", "--config", str(config), "press", "list"], env, work, log)
        if demo:
            _demo(work, env, values, log)
    problems = [f"`newsdesk {cmd}` printed {', '.join(found)}" for cmd, out in log
                if (found := leaks(out, values))]
    for path in sorted(p for p in work.rglob("*") if p.is_file() and p != config):  # (the input itself)
        text = path.read_bytes().decode("utf-8", "replace")
        if found := leaks(text, values):
            problems.append(f"{path.relative_to(work)} holds {', '.join(found)}")
    if sum(state.created.values()) < 5:
        problems.append(f"publishing did not run as planned: {dict(state.created)}")
    return problems


def _demo(work: Path, env: dict[str, str], values: dict[str, str], log: list[tuple[str, str]]) -> None:
    from tests.notifications.slack_stub import SlackStub

    with SlackStub(token=values["SLACK_BOT_TOKEN"], channels=("press-alerts",)) as slack:
        demo_env = dict(env, SLACK_BOT_TOKEN=values["SLACK_BOT_TOKEN"], SLACK_API_URL=slack.url)
        _run(["-vv", "demo", "--database", str(work / "demo.db")], demo_env, work, log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="store_true", help="also run `newsdesk demo` (about a minute)")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsdesk-secrets-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        problems = check(work, demo=args.demo)
    for line in problems:
        print(f"LEAK: {line}")
    print("no secret found in any output, log or database file" if not problems else f"{len(problems)} leak(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
