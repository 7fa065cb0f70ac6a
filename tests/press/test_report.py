from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from newsdesk.cli import main
from pipeline.models import Post, Release, Response
from pipeline.settings import Settings
from pipeline.tables import as_csv
from press.chart import draw_report
from press.report import build_report, report_markdown
from press.roc import parse_period

TAIPEI = ZoneInfo("Asia/Taipei")
OFFICE = [25, 39, 38, 53, 53, 46]
ALL = [594, 669, 726, 735, 649, 589]
EXPECTED = """| 類別 \\ 期間 | 1 月 | 2 月 | 3 月 | 4 月 | 5 月 | 6 月 | 總計 (則) |
| --- | --- | --- | --- | --- | --- | --- | --- |
| 本處發布新聞稿 | 25 | 39 | 38 | 53 | 53 | 46 | 254 |
| 全府發布新聞稿 | 594 | 669 | 726 | 735 | 649 | 589 | 3,962 |"""


def _seed(session: Session) -> None:
    rows = []
    for m in range(6):
        for i in range(ALL[m]):
            # spread over the month, in Taipei time; the first lands at 00:10 on the 1st (UTC: previous month)
            when = datetime(2024, m + 1, 1, 0, 10, tzinfo=TAIPEI) + timedelta(hours=i % 600)
            rows.append(
                Release(
                    title=f"r{m}-{i}",
                    agency="秘書處" if i < OFFICE[m] else "工務局",
                    status="published",
                    published_at=when,
                    imported=True,
                )
            )
    # outside the period or not published: must not count
    rows.append(
        Release(
            title="x",
            agency="秘書處",
            status="published",
            published_at=datetime(2024, 6, 30, 16, 0, tzinfo=UTC),
        )
    )  # 1 July in Taipei
    rows.append(Release(title="y", agency="秘書處", status="draft"))
    session.add_all(rows)
    session.add_all(
        [
            Post(platform="facebook", status="published", published_at=datetime(2024, 2, 3, tzinfo=UTC)),
            Post(platform="threads", status="published", published_at=datetime(2024, 2, 4, tzinfo=UTC)),
            Post(platform="threads", status="simulated", published_at=datetime(2024, 2, 4, tzinfo=UTC)),
            Response(agency="捷運局", status="responded", responded_at=datetime(2024, 3, 1, tzinfo=UTC)),
            Response(agency="捷運局", status="open"),
        ]
    )
    session.commit()


def test_report_reproduces_the_council_table(session: Session, settings: Settings, tmp_path: Path) -> None:
    _seed(session)
    report = build_report(session, settings, parse_period("113H1"))
    md = report_markdown(report)
    assert EXPECTED in md
    assert "113年上半年本處與全府各發布新聞稿 254 則及 3,962 則" in md
    assert "113年上半年計回應 1 則" in md
    assert "| Facebook | 0 | 1 | 0 | 0 | 0 | 0 | 1 |" in md and "| Threads | 0 | 1 | 0 | 0 | 0 | 0 | 1 |" in md
    assert "| 總計 | 0 | 2 | 0 | 0 | 0 | 0 | 2 |" in md  # posts: a 總計 row under the platforms
    assert "| 捷運局 | 0 | 0 | 1 | 0 | 0 | 0 | 1 |" in md
    releases = as_csv(report.table("新聞稿")).decode("utf-8-sig").splitlines()
    assert releases == ["類別 \\ 期間,1 月,2 月,3 月,4 月,5 月,6 月,總計 (則)",
                        "本處發布新聞稿,25,39,38,53,53,46,254", "全府發布新聞稿,594,669,726,735,649,589,3962"]
    png = tmp_path / "r.png"
    draw_report(report, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_command_writes_all_formats(session: Session, settings: Settings, tmp_path: Path) -> None:
    _seed(session)
    out = tmp_path / "out"
    env = {"DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(main, ["report", "--half", "113H1", "--format", "all", "--output", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert EXPECTED in (out / "report-113H1.md").read_text(encoding="utf-8")
    csvs = sorted(p.name for p in out.glob("*.csv"))
    assert csvs == ["report-113H1-新聞稿.csv", "report-113H1-業務統計.csv", "report-113H1-社群貼文.csv",
                    "report-113H1-記者會.csv", "report-113H1-貼文類型.csv", "report-113H1-輿情回應.csv"]
    for name in csvs:
        data = (out / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and b"\n#" not in data and not data[3:].startswith(b"#")
    from openpyxl import load_workbook

    wb = load_workbook(out / "report-113H1.xlsx")
    assert wb.sheetnames == ["業務統計", "新聞稿", "記者會", "社群貼文", "貼文類型", "輿情回應"]
    assert [c.value for c in wb["新聞稿"][1]][0] == "類別 \\ 期間"
    assert (out / "report-113H1.png").is_file()
    several = CliRunner().invoke(main, ["report", "--half", "113H1", "--format", "csv"], env=env)
    assert several.exit_code == 2 and "one table per file" in several.output
    one = CliRunner().invoke(main, ["report", "--half", "113H1", "--format", "csv", "--table", "新聞稿"], env=env)
    assert one.exit_code == 0 and one.stdout_bytes.decode("utf-8-sig").splitlines()[2].endswith(",3962")
    bad = CliRunner().invoke(main, ["report", "--half", "H1"], env=env)
    assert bad.exit_code == 2 and "'H1' is not a period" in bad.output


def test_report_in_the_gregorian_calendar(session: Session, settings: Settings) -> None:
    _seed(session)
    report = build_report(session, settings, parse_period("113H1"), calendar="gregorian")
    assert report.label == "2024年上半年"
    assert report.figures[0].sentence == "2024年上半年本處與全府各發布新聞稿 254 則及 3,962 則"


def test_chart_without_a_cjk_font_uses_english_labels(
    session: Session, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import press.chart

    _seed(session)
    monkeypatch.setattr(press.chart, "find_cjk_font", lambda: None)
    png = tmp_path / "plain.png"
    assert draw_report(build_report(session, settings, parse_period("113H1")), png) is None
    assert png.read_bytes()[:4] == b"\x89PNG"
