"""Press conferences as records and posts by media type, counted by tally and in the office's report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from newsdesk.cli import main
from pipeline.models import Post, PressConference
from pipeline.settings import Settings
from press.conferences import ConferenceError, plan_from_release, set_status
from press.drafting import draft
from press.report import build_report, report_markdown
from press.roc import parse_period
from press.schedule import media_type

TAIPEI = ZoneInfo("Asia/Taipei")


def test_planned_from_an_advisory_and_the_mayors_schedule_once(session: Session, settings: Settings) -> None:
    advisory = draft(session, settings, kind="advisory", author="amy", title="0403地震市府應變說明記者會",
                     fields={"when": "113年4月3日 10:30", "place": "市政大樓1樓中庭", "host": "蔣萬安市長"})
    [conf] = plan_from_release(session, settings, advisory, actor="amy")
    assert (conf.agency, conf.topic, conf.place, conf.mayor, conf.status) == (
        "秘書處", "0403地震市府應變說明記者會", "市政大樓1樓中庭", True, "planned")
    assert conf.starts_at == datetime(2024, 4, 3, 10, 30, tzinfo=TAIPEI)
    assert plan_from_release(session, settings, advisory) == []  # planned once
    deputy = draft(session, settings, kind="advisory", author="amy", title="防汛整備", agency="工務局",
                   fields={"when": "2024-05-01 09:00", "place": "工務局", "host": "李四川副市長"})
    assert not plan_from_release(session, settings, deputy)[0].mayor  # the deputy mayor's is not 府級
    schedule = draft(session, settings, kind="schedule", author="amy",
                     body="09:00 | 市政會議 | 市政大樓\n14:00 | 北投公園啟用記者會 | 北投公園\n")
    with pytest.raises(ConferenceError, match="give the day"):
        plan_from_release(session, settings, schedule)
    [mrt] = plan_from_release(session, settings, schedule, day=date(2024, 5, 2))
    assert (mrt.topic, mrt.place, mrt.mayor, mrt.source) == ("北投公園啟用記者會", "北投公園", True, "schedule")
    assert mrt.starts_at == datetime(2024, 5, 2, 14, 0, tzinfo=TAIPEI)
    set_status(session, conf, "held", "amy")
    with pytest.raises(ConferenceError, match="already held"):
        set_status(session, conf, "cancelled", "amy", "改期")
    with pytest.raises(ConferenceError, match="needs its reason"):
        set_status(session, mrt, "cancelled", "amy")
    release = draft(session, settings, kind="release", author="amy", title="x", body="y")
    with pytest.raises(ConferenceError, match="from an advisory or the Mayor's schedule"):
        plan_from_release(session, settings, release)


def test_posts_carry_their_media_type() -> None:
    assert media_type([{"type": "video/mp4"}, {"type": "image/jpeg"}]) == "video"
    assert media_type([{"type": "image/png"}]) == "image"
    assert media_type([]) == "text"


def _seed(session: Session) -> None:
    start = datetime(2024, 1, 5, 2, 0, tzinfo=UTC)
    for i in range(30):
        status = "cancelled" if i >= 27 else "held"
        session.add(PressConference(agency="秘書處", topic=f"記者會{i}", starts_at=start + timedelta(days=5 * i),
                                    status=status, mayor=True))
    session.add(PressConference(agency="交通局", topic="局長記者會", starts_at=start, status="held", mayor=False))
    session.add(PressConference(agency="秘書處", topic="下半年", starts_at=datetime(2024, 7, 2, tzinfo=UTC),
                                status="held", mayor=True))
    platforms = ["facebook", "instagram", "youtube", "threads"]
    for i in range(290):
        session.add(Post(platform=platforms[i % 4], status="published", media_type="video",
                         published_at=start + timedelta(hours=13 * i)))
    for platform, kind, status in [("x", "video", "published"), ("facebook", "image", "published"),
                                   ("facebook", "video", "failed"), ("threads", "text", "published")]:
        session.add(Post(platform=platform, status=status, media_type=kind, published_at=start))
    session.commit()


def test_the_report_states_every_figure_in_the_offices_wording(session: Session, settings: Settings) -> None:
    _seed(session)
    report = build_report(session, settings, parse_period("113H1"))
    assert [f.sentence for f in report.figures] == [
        "113年上半年本處與全府各發布新聞稿 0 則及 0 則",
        "113年上半年計安排市長主持 27 場府級記者會",
        "113年上半年計回應 0 則",
        "113年上半年計發布 290 則影音貼文",
    ]
    md = report_markdown(report)
    assert "| 市長主持府級記者會 |" in md and "| 其他記者會 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |" in md
    assert "| 影音貼文 |" in md and "| 圖文貼文 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |" in md
    media = report.table("貼文類型").rows
    assert media[0][-1] == 291  # every video post; only the Mayor's four platforms make the figure


def test_tally_conferences_and_posts_by_media(session: Session, settings: Settings) -> None:
    _seed(session)
    env = {"DATABASE_URL": settings.database_url}
    run = CliRunner().invoke
    out = run(main, ["tally", "conferences", "--from", "113/1/1", "--to", "113/6/30", "--by", "host",
                     "--format", "csv"], env=env)
    assert out.exit_code == 0, out.output
    assert out.stdout_bytes.decode("utf-8-sig").splitlines() == ["主持,場次", "其他,1", "市長主持,27", "總計,28"]
    out = run(main, ["tally", "posts", "--from", "2024-01-01", "--to", "2024-06-30", "--by", "media",
                     "--format", "csv"], env=env)
    assert out.stdout_bytes.decode("utf-8-sig").splitlines() == ["媒體類型,則數", "圖文,1", "文字,1", "影音,291",
                                                                 "總計,293"]
    listed = run(main, ["press", "conference", "list", "--status", "cancelled"], env=env)
    assert listed.exit_code == 0 and len(listed.output.splitlines()) == 3


def test_the_conference_commands(settings: Settings) -> None:
    env = {"DATABASE_URL": settings.database_url}
    run = CliRunner().invoke
    assert run(main, ["users", "add", "amy", "--role", "officer", "--no-password"], env=env).exit_code == 0
    added = run(main, ["press", "conference", "add", "--agency", "捷運局", "--topic", "萬大線進度",
                       "--at", "113年9月2日 10:00", "--place", "捷運局", "--host", "局長", "--as", "amy"], env=env)
    assert added.exit_code == 0, added.output
    assert "planned:    1 planned   113年9月2日（星期一）10:00  捷運局  萬大線進度（局長）  @捷運局" in added.output
    assert run(main, ["press", "conference", "held", "1", "--as", "amy"], env=env).exit_code == 0
    again = run(main, ["press", "conference", "cancel", "1", "--reason", "x", "--as", "amy"], env=env)
    assert again.exit_code == 1 and "conference 1 is already held" in again.output
    bad = run(main, ["press", "conference", "add", "--agency", "火星局", "--topic", "t", "--at", "2024-09-02 10:00",
                     "--as", "amy"], env=env)
    assert bad.exit_code == 1 and "'火星局' is not one of the settings' [[agencies]]" in bad.output
