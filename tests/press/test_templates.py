from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from pipeline.models import Alert, ItemRow, MatchRow, Response
from pipeline.settings import ConfigError, Settings, load_settings
from press.drafting import DraftError, draft, missing_contact, parse_sets, render_release
from press.templating import TemplateFieldError


def test_release_in_three_formats_with_roc_date(session: Session, settings: Settings) -> None:
    release = draft(
        session,
        settings,
        kind="release",
        author="amy",
        title="社宅<新>進度",
        agency="都發局",
        body="第一段 <script>x</script>\n第二段",
    )
    from datetime import UTC, datetime

    release.published_at = datetime(2024, 9, 2, 2, 0, tzinfo=UTC)
    html = render_release(release, settings, "html")
    assert "&lt;script&gt;" in html and "<script>" not in html and "社宅&lt;新&gt;進度" in html
    text = render_release(release, settings, "txt")
    assert (
        "發布日期：113年9月2日" in text
        and "臺北市政府都市發展局新聞稿" in text
        and "<script>x</script>" in text
    )
    md = render_release(release, settings, "md")
    assert md.startswith("# 社宅<新>進度") and "聯絡人" not in md  # none configured: none invented
    assert "no press contact is configured for 都發局" in (missing_contact(release, settings) or "")


def test_contacts_are_per_agency(session: Session, tmp_path: Path) -> None:
    cfg = tmp_path / "n.toml"
    cfg.write_text(f'database_url = "sqlite:///{tmp_path / "c.db"}"\n'
                   '[[press.contacts]]\nagency = "都發局"\nname = "林小姐"\ntitle = "專員"\nphone = "02-1111-2222"\n'
                   '[[press.contacts]]\nagency = "捷運局"\nname = "陳先生"\nphone = "02-3333-4444"\n',
                   encoding="utf-8")
    custom = load_settings(cfg, use_env=False)
    mine = draft(session, custom, kind="release", author="amy", title="社宅", agency="都發局", body="內文")
    text = render_release(mine, custom, "txt")
    assert "新聞聯絡人：專員 林小姐 02-1111-2222" in text and "陳先生" not in text
    assert missing_contact(mine, custom) is None
    other = draft(session, custom, kind="release", author="amy", title="公車", agency="交通局", body="內文")
    assert "聯絡人" not in render_release(other, custom, "txt") and missing_contact(other, custom)
    mine.imported = True  # an imported release keeps what its own body says: nothing is added
    assert "林小姐" not in render_release(mine, custom, "txt") and missing_contact(mine, custom) is None
    cfg.write_text('[[press.contacts]]\nagency = "火星局"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="press.contacts.0.agency: unknown agency '火星局'"):
        load_settings(cfg, use_env=False)


def test_missing_field_names_template_line_and_field(session: Session, settings: Settings) -> None:
    with pytest.raises(TemplateFieldError) as err:
        draft(session, settings, kind="advisory", author="amy", title="記者會", fields={"place": "市府"})
    assert err.value.field == "when" and err.value.template == "advisory.html.j2" and err.value.line == 4
    assert "advisory.html.j2, line 4: missing field 'when'" in str(err.value)


def test_statement_needs_a_story(session: Session, settings: Settings) -> None:
    with pytest.raises(TemplateFieldError, match="missing field 'story'"):
        draft(session, settings, kind="statement", author="amy", title="說明")


def test_statement_from_alert_links_the_response(session: Session, settings: Settings) -> None:
    from datetime import UTC, datetime

    item = ItemRow(
        url="https://news.example/a",
        canonical_url="https://news.example/a",
        content_hash="h",
        source="ltn",
        outlet="ltn",
        title="社宅漏水 住戶抱怨",
        text="...",
        published_at=datetime(2024, 9, 1, 23, 0, tzinfo=UTC),
    )
    session.add(item)
    session.flush()
    session.add(MatchRow(item_id=item.id, agency="都發局", rule="社宅"))
    alert = Alert(item_id=item.id, channel="#c", notifier="console", idempotency_key="k")
    response = Response(item_id=item.id, agency="都發局", status="assigned")
    session.add_all([alert, response])
    session.flush()
    release = draft(
        session, settings, kind="statement", author="amy", body="已派員修繕。", from_alert=alert.id,
        outlet_name={"ltn": "自由時報"}.__getitem__,
    )
    assert release.agency == "都發局" and release.title == "有關「社宅漏水 住戶抱怨」報導之說明"
    text = render_release(release, settings, "txt")
    assert "針對自由時報於113年9月2日報導「社宅漏水 住戶抱怨」，都市發展局說明如下：" in text
    assert response.release_id == release.id
    with pytest.raises(DraftError, match="--from-alert 999: no such alert"):
        draft(session, settings, kind="statement", author="amy", from_alert=999)


def test_schedule_and_advisory(session: Session, settings: Settings) -> None:
    sched = draft(
        session, settings, kind="schedule", author="amy", body="09:00 | 市政會議 | 市府\n14:30｜視察｜信義區"
    )
    md = render_release(sched, settings, "md")
    assert "| 09:00 | 市政會議 | 市府 |" in md and "| 14:30 | 視察 | 信義區 |" in md
    adv = draft(
        session,
        settings,
        kind="advisory",
        author="amy",
        title="記者會",
        fields=parse_sets(["when=113年9月2日 14:30", "place=市府大樓", "host=市長"]),
    )
    assert "時間：113年9月2日（星期一）14:30" in render_release(adv, settings, "txt")


def test_office_override_folder(tmp_path: Path, session: Session) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "release.txt.j2").write_text(
        "自訂 {{ title }} {{ date|roc_era }}\n", encoding="utf-8"
    )
    settings = load_settings(
        None, {"database_url": "sqlite://", "press": {"template_dir": str(tmp_path / "tpl")}}, use_env=False
    )
    release = draft(session, settings, kind="release", author="amy", title="標題", agency="秘書處")
    assert render_release(release, settings, "txt").startswith("自訂 標題 中華民國")


def test_bad_set_pair() -> None:
    with pytest.raises(DraftError, match="expected key=value"):
        parse_sets(["place"])


def test_statement_names_the_outlet_and_the_routed_agency(session: Session, settings: Settings) -> None:
    """The routed bureau (items.agency) answers, not the first agency the matches happen to name."""
    from datetime import UTC, datetime

    from newsdesk.output import outlet_name

    item = ItemRow(url="https://www.cna.com.tw/news/1", canonical_url="https://www.cna.com.tw/news/1",
                   content_hash="h2", source="demo-cna", outlet="cna", title="北捷列車故障 乘客受困",
                   text="...", published_at=datetime(2024, 9, 2, 1, 0, tzinfo=UTC), agency="捷運公司")
    session.add(item)
    session.flush()
    session.add_all([MatchRow(item_id=item.id, agency="交通局", rule="交通", terms=["交通"]),
                     MatchRow(item_id=item.id, agency="捷運公司", rule="北捷", terms=["北捷"])])
    alert = Alert(item_id=item.id, channel="#c", notifier="console", idempotency_key="k2")
    session.add(alert)
    session.flush()
    release = draft(session, settings, kind="statement", author="amy", body="已恢復營運。", from_alert=alert.id,
                    outlet_name=outlet_name)
    text = render_release(release, settings, "txt")
    assert release.agency == "捷運公司"
    assert "針對中央社於113年9月2日報導「北捷列車故障 乘客受困」，臺北大眾捷運股份有限公司說明如下：" in text
    item.agency = None  # not routed yet: the match with the most terms (a tie keeps the first)
    second = draft(session, settings, kind="statement", author="amy", body="x", from_alert=alert.id,
                   outlet_name=outlet_name)
    assert second.agency == "交通局" and release.meta["story"]["outlet_code"] == "cna"
