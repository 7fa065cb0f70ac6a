import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsdesk.cli import main
from pipeline.models import Release
from pipeline.settings import Settings
from press.agencies import AgencyNames
from press.importer import LineResult, import_releases
from press.tally import tally_releases

ROWS = [
    {
        "title": "A",
        "agency": "臺北市政府都市發展局",
        "published_at": "2024-01-31T23:30:00+08:00",
        "body": "x",
    },
    {"title": "B", "department": "臺北市政府工務局新建工程處", "published": "2024-02-01", "content": "y"},
    {"title": "C", "published_at": "2024-02-03", "body": "內文\n發稿單位：秘書處媒體事務組"},
    {"title": "D", "published_at": "2024-02-29T17:00:00Z", "agency": "秘書處"},  # 1 Mar in Taipei
    {"title": None, "published_at": "2024-02-03"},
    {"title": "F", "published_at": "someday"},
    {"title": "G", "published": "113/3/5", "content": "發布單位：臺北市政府工務局"},
    {"title": "H", "published": "2024/03/06 09:00", "department": "社會局"},
]


def _write(tmp_path: Path, gz: bool = False) -> Path:
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n{not json\n"
    path = tmp_path / ("r.jsonl.gz" if gz else "r.jsonl")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def _names(settings: Settings) -> AgencyNames:
    return AgencyNames((a.short, a.name) for a in settings.agencies)


def test_import_maps_agencies_rejects_bad_lines_and_is_idempotent(
    tmp_path: Path, session: Session, settings: Settings
) -> None:
    results: list[LineResult] = []
    summary = import_releases(session, _write(tmp_path, gz=True), _names(settings), on_line=results.append)
    assert (summary.read, summary.imported) == (9, 6)
    assert [n for n, _ in summary.rejected] == [5, 6, 9]
    assert [r.line for r in results] == list(range(1, 10))
    assert [r.status for r in results].count("imported") == 6 and all(
        r.id for r in results if r.status == "imported")
    assert "line 6: published_at 'someday' is not an ISO or ROC date" in summary.describe("r")
    agencies = dict(session.execute(select(Release.title, Release.agency)).all())
    assert agencies == {
        "A": "都發局",
        "B": "工務局",
        "C": "秘書處",
        "D": "秘書處",
        "G": "工務局",
        "H": "社會局",
    }
    again = import_releases(session, _write(tmp_path), _names(settings))
    assert (again.imported, again.duplicates) == (0, 6)
    assert session.scalar(select(func.count(Release.id))) == 6


def test_tally_months_are_taipei_months(tmp_path: Path, session: Session, settings: Settings) -> None:
    import_releases(session, _write(tmp_path), _names(settings))
    rows = tally_releases(
        session, datetime(2023, 12, 31, 16, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC), ("month",)
    )
    assert {r.key[0]: r.count for r in rows} == {"2024-01": 1, "2024-02": 2, "2024-03": 3}


def test_tally_cli_csv(tmp_path: Path, settings: Settings) -> None:
    env = {"DATABASE_URL": settings.database_url}
    runner = CliRunner()
    result = runner.invoke(main, ["press", "import", str(_write(tmp_path))], env=env)
    assert result.exit_code == 1, result.output  # three bad lines, reported; the six good ones are in
    args = ["tally", "releases", "--from", "113年1月1日", "--to", "2024/02/29", "--by", "month,agency"]
    result = runner.invoke(main, [*args, "--format", "csv"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel on Windows reads the Chinese
    assert result.stdout_bytes.decode("utf-8-sig").splitlines() == [
        "月份,機關,則數",
        "113年1月,都發局,1",
        "113年2月,工務局,1",
        "113年2月,秘書處,1",
        "總計,,3",
    ]
    result = runner.invoke(main, [*args, "--format", "csv", "--calendar", "gregorian"], env=env)
    assert result.stdout_bytes.decode("utf-8-sig").splitlines()[1] == "2024-01,都發局,1"
    result = runner.invoke(main, [*args, "--format", "table"], env=env)
    assert result.output.splitlines()[-1].split() == ["總計", "3"]
    out = tmp_path / "t.xlsx"
    result = runner.invoke(main, ["tally", "releases", "--format", "xlsx", "--output", str(out)], env=env)
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert wb.sheetnames == ["新聞稿"]
    rows = [[c.value for c in row] for row in wb["新聞稿"].iter_rows()]
    assert rows[0] == ["月份", "機關", "則數"] and rows[-1] == ["總計", None, 6]
    bad = runner.invoke(main, ["tally", "releases", "--by", "color"], env=env)
    assert bad.exit_code == 2 and "color: choose from month, agency, kind" in bad.output


def test_import_missing_file_names_it(tmp_path: Path, settings: Settings) -> None:
    result = CliRunner().invoke(
        main, ["press", "import", str(tmp_path / "none.jsonl")], env={"DATABASE_URL": settings.database_url}
    )
    assert result.exit_code == 2 and "none.jsonl: cannot open" in result.output


def test_tainan_releases_match_an_independent_count(
    shared_data: Path, session: Session, settings: Settings
) -> None:
    path = shared_data / "press" / "tainan-releases-2024.jsonl.gz"
    names = _names(settings)
    summary = import_releases(session, path, names)
    # Independent count: straight from the file, month from the date string, agency from the raw unit.
    months: Counter[str] = Counter()
    per_agency: Counter[str] = Counter()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("title") and row.get("published"):
                months[row["published"][:7]] += 1
                per_agency[names.short(row.get("department"))] += 1
    assert summary.imported == sum(months.values()) and summary.imported > 7000
    assert len(summary.rejected) == summary.read - summary.imported
    start, end = datetime(2023, 12, 31, 16, tzinfo=UTC), datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert {r.key[0]: r.count for r in tally_releases(session, start, end, ("month",))} == dict(months)
    assert {r.key[0]: r.count for r in tally_releases(session, start, end, ("agency",))} == dict(per_agency)
