"""The media list and `press notify`: one delivery per journalist and channel, recorded, sent once, by
LINE push (stub from LINE's docs), SMS (a Mitake gateway stub) and e-mail (the SMTP stub)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newsdesk.cli import main
from newsdesk.commands.media import registry_outlet
from pipeline.db import open_database
from pipeline.models import MediaDelivery, Release, utcnow
from pipeline.settings import ConfigError, Settings, load_settings
from press import media
from press.drafting import draft
from press.notify import NotifyError, Policy, deliver_due, plan, queue, schedule_for, senders_from_settings
from press.workflow import approve, submit
from tests.notifications.smtp_stub import SMTPStub
from tests.press.stubs import TOKEN, Drop, Platforms, Reject, serve
from tests.press.stubs.mitake import USERNAME

LINE_A, LINE_B = "U" + "a" * 32, "U" + "b" * 32


@pytest.fixture
def platforms() -> Iterator[tuple[str, Platforms]]:
    with serve() as running:
        yield running


@pytest.fixture
def smtp() -> Iterator[SMTPStub]:
    with SMTPStub(refuse={"gone@udn.com"}) as s:
        yield s


def overrides(db: str, base: str, smtp_port: int) -> dict[str, Any]:
    return {
        "database_url": db,
        "notifications": {"email": {"host": "127.0.0.1", "port": smtp_port, "starttls": False,
                                    "sender": "press@gov.taipei", "timeout": 5}},
        "press": {"notify": {"line_base_url": base, "timeout": 5, "retry_minutes": 1, "max_attempts": 3,
                             "sms": {"base_url": base, "username": USERNAME, "max_chars": 120}}},
    }


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("SMS_PASSWORD", TOKEN)


@pytest.fixture
def notify_settings(tmp_path: Path, platforms: tuple[str, Platforms], smtp: SMTPStub, secrets: None) -> Settings:
    return load_settings(None, overrides(f"sqlite:///{tmp_path / 'n.db'}", platforms[0], smtp.port), use_env=False)


@pytest.fixture
def factory(notify_settings: Settings) -> Iterator[sessionmaker[Session]]:
    made = open_database(notify_settings.database_url)
    yield made
    made.kw["bind"].dispose()


def advisory(session: Session, settings: Settings, approved: bool = True) -> Release:
    release = draft(session, settings, kind="advisory", author="amy", title="北投公園啟用記者會", agency="工務局",
                    fields={"when": "113年9月2日 14:00", "place": "北投公園", "host": "蔣萬安市長"},
                    body="市長將出席北投公園啟用典禮，歡迎媒體採訪。")
    if approved:
        submit(session, release, "amy")
        approve(session, release, "boss", settings)
    session.flush()
    return release


def contacts(session: Session) -> tuple[media.MediaContact, ...]:
    a = media.add(session, outlet="cna", reporter="王小明", beat="市政", line=LINE_A, mail="wang@cna.com.tw",
                  mobile="0912-345-678", outlet_name=registry_outlet)
    b = media.add(session, outlet="聯合報", reporter="李大華", beat="交通", mail="lee@udn.com",
                  outlet_name=registry_outlet)
    c = media.add(session, outlet="自由時報", reporter="陳美", beat="市政", mobile="+886 987 654 321")
    media.opt_out(session, c)
    return a, b, c


def rows(session: Session) -> list[MediaDelivery]:
    return list(session.scalars(select(MediaDelivery).order_by(MediaDelivery.id).execution_options(
        populate_existing=True)))


def test_media_list_checks_what_it_keeps(session: Session) -> None:
    a, b, c = contacts(session)
    assert (a.outlet, a.phone, c.phone, b.outlet) == ("中央社", "0912345678", "0987654321", "聯合新聞網")
    assert media.channels(a) == ["line", "email", "sms"] and media.channels(b) == ["email"]
    for kwargs, message in [({"line": "wang123"}, "U and 32 hex digits"), ({"mobile": "02-2720-8889"}, "mobile"),
                            ({"mail": "wang at cna"}, "not an e-mail"), ({}, "at least one channel")]:
        with pytest.raises(media.MediaError, match=message):
            media.add(session, outlet="中央社", reporter="新人", **kwargs)
    with pytest.raises(media.MediaError, match="already contact 1"):
        media.add(session, outlet="中央社", reporter="王小明", mail="x@cna.com.tw", outlet_name=registry_outlet)
    media.edit(session, a, mobile="")  # an empty value drops the channel
    assert media.channels(a) == ["line", "email"]
    assert [x.reporter for x in media.recipients(session, beats=["市政"])] == ["王小明"]  # 陳美 opted out


def test_notify_records_and_sends_each_notice_once(session: Session, notify_settings: Settings,
                                                    factory: sessionmaker[Session], platforms: tuple[str, Platforms],
                                                    smtp: SMTPStub) -> None:
    with factory() as s:
        a, _, _ = contacts(s)
        release = advisory(s, notify_settings)
        result = queue(s, notify_settings, release, beats=["市政"])
        s.commit()
        assert sorted(ch for _, ch in result.new) == ["email", "line", "sms"]
        rid = release.id
    senders, missing = senders_from_settings(notify_settings)
    assert missing == {}
    summary = deliver_due(factory, senders, policy=Policy.from_settings(notify_settings))
    assert (summary.sent, summary.failed, summary.dead) == (3, 0, 0)
    state = platforms[1]
    [(to, text)] = state.line["pushed"]
    assert to == LINE_A and "北投公園啟用記者會" in text and "地點：北投公園" in text
    [(number, sms)] = state.mitake["sent"]
    assert number == "0912345678" and len(sms) <= 120 and sms.startswith("臺北市政府")
    [mail] = smtp.received
    assert mail.recipients == ["wang@cna.com.tw"] and "北投公園啟用記者會" in mail.message["Subject"]
    assert mail.message.get_body(("html",)) is not None
    with factory() as s:
        done = rows(s)
        assert {(d.channel, d.status, d.attempts) for d in done} == {("line", "sent", 1), ("sms", "sent", 1),
                                                                    ("email", "sent", 1)}
        assert all(d.external_id and d.sent_at and d.payload for d in done)
        again = queue(s, notify_settings, s.get(Release, rid), beats=["市政"])  # notifying again adds nothing
        assert (len(again.new), len(again.already)) == (0, 3)
    assert deliver_due(factory, senders).sent == 0
    assert (len(state.line["pushed"]), len(state.mitake["sent"]), len(smtp.received)) == (1, 1, 1)


def test_two_senders_at_once_send_each_notice_once(backend_url: str, platforms: tuple[str, Platforms],
                                                   smtp: SMTPStub, secrets: None) -> None:
    settings = load_settings(None, overrides(backend_url, platforms[0], smtp.port), use_env=False)
    made = open_database(settings.database_url)
    try:
        with made() as s:
            for n in range(12):
                media.add(s, outlet="中央社", reporter=f"記者{n}", beat="市政", line=f"U{n:032x}")
            release = advisory(s, settings)
            queue(s, settings, release, channels=["line"])
            s.commit()
        senders, _ = senders_from_settings(settings, ["line"])
        results: list[int] = []
        start = threading.Barrier(2)

        def sender() -> None:
            factory = open_database(settings.database_url)  # a process of its own: own engine and pool
            start.wait()
            results.append(deliver_due(factory, senders).sent)
            factory.kw["bind"].dispose()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        pushed = platforms[1].line["pushed"]
        assert sum(results) == 12 and len(pushed) == 12 and len({to for to, _ in pushed}) == 12
        with made() as s:
            assert {d.status for d in rows(s)} == {"sent"}
    finally:
        made.kw["bind"].dispose()


def test_failures_back_off_then_give_up_and_a_lost_answer_is_not_sent_twice(
        notify_settings: Settings, factory: sessionmaker[Session], platforms: tuple[str, Platforms]) -> None:
    state = platforms[1]
    with factory() as s:
        media.add(s, outlet="中央社", reporter="王小明", line=LINE_A)
        media.add(s, outlet="聯合報", reporter="李大華", line=LINE_B, mobile="0911111111")
        release = advisory(s, notify_settings)
        queue(s, notify_settings, release)
        s.commit()
    state.line["blocked"] = {LINE_B}  # LINE refuses this user: retrying cannot help
    state.fail["line:push"] = [Reject(500, {"message": "internal"}), Drop(after=True)]
    state.fail["mitake:send"] = [Reject(503, "busy"), Reject(503, "busy"), Reject(503, "busy")]
    senders, _ = senders_from_settings(notify_settings)
    policy = Policy.from_settings(notify_settings)  # 60 s doubled, 3 tries
    now = utcnow()
    first = deliver_due(factory, senders, policy=policy, now=now)
    assert (first.sent, first.failed, first.dead) == (0, 2, 1)
    with factory() as s:
        line_a, line_b, sms = rows(s)
        assert (line_a.status, line_a.attempts, line_a.next_attempt_at) == ("failed", 1, now + timedelta(seconds=60))
        assert line_b.status == "dead" and "'to'" in (line_b.last_error or "")
        assert sms.status == "failed" and "503" in (sms.last_error or "")
    assert deliver_due(factory, senders, policy=policy, now=now + timedelta(seconds=30)).failed == 0  # not yet
    second = deliver_due(factory, senders, policy=policy, now=now + timedelta(seconds=61))
    assert (second.sent, second.failed) == (0, 2)  # LINE accepted it but the answer was lost
    third = deliver_due(factory, senders, policy=policy, now=now + timedelta(seconds=200))
    assert (third.sent, third.dead) == (1, 1)  # the same retry key: 409, already accepted → sent
    assert state.created["line-push"] == 1 and not state.mitake.get("sent")
    with factory() as s:
        line_a, _, sms = rows(s)
        assert (line_a.status, line_a.attempts, sms.status, sms.attempts) == ("sent", 3, "dead", 3)


def test_opt_out_after_queueing_and_channels_that_cannot_send(
        notify_settings: Settings, factory: sessionmaker[Session], platforms: tuple[str, Platforms],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with factory() as s:
        media.add(s, outlet="中央社", reporter="王小明", line=LINE_A, mobile="0912345678")
        b = media.add(s, outlet="聯合報", reporter="李大華", mail="lee@udn.com")
        release = advisory(s, notify_settings)
        queue(s, notify_settings, release)
        media.opt_out(s, b)
        s.commit()
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN")
    monkeypatch.setenv("SMS_PASSWORD", "wrong-password-xyz")
    senders, missing = senders_from_settings(notify_settings)
    assert "LINE_CHANNEL_ACCESS_TOKEN" in missing["line"]
    summary = deliver_due(factory, senders, missing=missing)
    assert (summary.sent, summary.cancelled, summary.failed, summary.dead) == (0, 1, 0, 0)
    assert "帳號、密碼錯誤" in summary.waiting["sms"] and "line" in summary.waiting
    with factory() as s:
        by = {d.channel: d for d in rows(s)}
        assert (by["email"].status, by["sms"].status, by["sms"].attempts, by["line"].status) == (
            "cancelled", "pending", 0, "pending")
    text = caplog.text + str(summary.waiting) + str(by["sms"].last_error)
    assert "wrong-password-xyz" not in text
    assert not platforms[1].mitake.get("sent")


def test_schedule_of_a_day_and_what_may_be_sent(session: Session, settings: Settings) -> None:
    day = date(2024, 9, 2)
    with pytest.raises(NotifyError, match="no approved Mayor's schedule for 2024-09-02"):
        schedule_for(session, settings, day)
    schedule = draft(session, settings, kind="schedule", author="amy", fields={"date": "113/9/2"},
                     body="09:00 | 市政會議 | 市政大樓\n14:00 | 北投公園啟用記者會 | 北投公園\n")
    media.add(session, outlet="中央社", reporter="王小明", mail="wang@cna.com.tw")
    with pytest.raises(NotifyError, match="is draft"):
        queue(session, settings, schedule)
    submit(session, schedule, "amy")
    approve(session, schedule, "boss", settings)
    assert schedule_for(session, settings, day).id == schedule.id
    preview = plan(session, settings, schedule, day=day)
    assert preview.message["subject"].startswith("臺北市長113年9月2日（星期一）公開行程")
    assert "14:00　北投公園啟用記者會（北投公園）" in preview.message["text"]
    assert session.scalar(select(MediaDelivery.id)) is None  # a plan writes nothing


def test_bad_notify_settings_are_refused_at_load(tmp_path: Path) -> None:
    for notify, key in [({"channels": ["fax"]}, "channels"), ({"sms": {"max_chars": 10}}, "max_chars"),
                        ({"line_base_url": "ftp://api.line.me"}, "line_base_url"),
                        ({"sms": {"provider": "twilio"}}, "provider"), ({"max_attempts": 0}, "max_attempts")]:
        with pytest.raises(ConfigError, match=key):
            load_settings(None, {"database_url": f"sqlite:///{tmp_path / 'x.db'}", "press": {"notify": notify}},
                          use_env=False)


def test_the_media_and_notify_commands(tmp_path: Path, platforms: tuple[str, Platforms], smtp: SMTPStub,
                                       secrets: None) -> None:
    config = tmp_path / "newsdesk.toml"
    base = platforms[0]
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "cli.db"}"\n'
        f'[notifications.email]\nhost = "127.0.0.1"\nport = {smtp.port}\nstarttls = false\n'
        f'[press.notify]\nline_base_url = "{base}"\ntimeout = 5\n'
        f'[press.notify.sms]\nbase_url = "{base}"\nusername = "{USERNAME}"\n', encoding="utf-8")
    env = {"NEWSDESK_CONFIG": str(config), "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "SMS_PASSWORD": TOKEN}
    run = CliRunner().invoke
    added = run(main, ["press", "media", "add", "--outlet", "CNA", "--reporter", "王小明", "--beat", "市政",
                       "--line", LINE_A, "--email", "wang@cna.com.tw"], env=env)
    assert added.exit_code == 0 and "中央社  王小明  [市政]  line:" in added.output, added.output
    bad = run(main, ["press", "media", "add", "--outlet", "x", "--reporter", "y", "--phone", "123"], env=env)
    assert bad.exit_code == 1 and "Taiwanese mobile" in bad.output and "Traceback" not in bad.output
    settings = load_settings(str(config), None, use_env=False)
    made = open_database(settings.database_url)
    with made() as s:
        rid = advisory(s, settings).id
        s.commit()
    made.kw["bind"].dispose()
    dry = run(main, ["press", "notify", str(rid), "--dry-run"], env=env)
    assert dry.exit_code == 0 and "would queue 2 notice(s)" in dry.output and "nothing is queued" in dry.output
    assert not platforms[1].line.get("pushed")
    sent = run(main, ["press", "notify", str(rid), "--beat", "市政"], env=env)
    assert sent.exit_code == 0 and "queued 2 notice(s)" in sent.output and "sent 2" in sent.output, sent.output
    listed = run(main, ["press", "deliveries", "--format", "csv"], env=env)
    assert listed.stdout_bytes.decode("utf-8-sig").splitlines()[0].startswith("編號,新聞稿,媒體,記者,管道")
    assert listed.output.count("已送達平台") == 2
    assert run(main, ["press", "media", "remove", "1"], env=env).exit_code == 1  # it has records: opt out
    assert "opted out" in run(main, ["press", "media", "opt-out", "1"], env=env).output
    none = run(main, ["press", "notify"], env=env)
    assert none.exit_code == 2 and "release id or --schedule" in none.output
