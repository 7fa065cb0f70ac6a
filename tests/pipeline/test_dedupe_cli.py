"""``newsdesk dedupe``: JSON Lines in, one cluster per story out, bad lines reported, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsdesk.cli import main

WIRE = ("臺北市政府交通局今天宣布，明年元旦起YouBike前30分鐘免費政策將調整為前30分鐘5元，"
        "市民可使用悠遊卡或台北通付費，交通局表示調整後的收入將用於增設站點與維護車輛。")
OTHER = ("臺北市立動物園今天迎來一隻新生的小貓熊，園方表示母子均安，預計下個月開放民眾參觀，"
         "動物園也提醒遊客參觀時請勿拍打玻璃，以免驚嚇動物。")


def lines(*rows: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)


def test_stories_share_a_cluster(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(lines(
        {"id": "a", "title": "YouBike收費", "text": WIRE, "url": "https://cna.com.tw/1",
         "published_at": "2024-12-01T10:00:00+08:00"},
        {"id": "b", "title": "北市YouBike不再免費", "text": "【中央社】" + WIRE.replace("臺北", "台北"),
         "published_at": "2024-12-01"},
        {"id": "c", "title": "小貓熊", "text": OTHER},
        {"id": "d", "title": "YouBike收費", "text": WIRE, "url": "https://www.cna.com.tw/1?utm_source=line"},
    ), encoding="utf-8")
    out = CliRunner().invoke(main, ["dedupe", "--input", str(src)])
    assert out.exit_code == 0, out.output
    got = [json.loads(line) for line in out.output.splitlines()]
    assert [g["id"] for g in got] == ["a", "b", "c", "d"]
    cluster = {g["id"]: g["cluster"] for g in got}
    assert cluster["a"] == cluster["b"] == cluster["d"] != cluster["c"]
    assert got[3]["duplicate"] == "duplicate-url"


def test_bad_lines_are_reported_and_the_rest_goes_on() -> None:
    data = lines({"id": 1, "title": "t", "text": WIRE}, "{not json", {"title": "no id"},
                 {"id": 2, "title": "", "text": ""}, {"id": 3, "text": OTHER, "published_at": "yesterday"},
                 {"id": 4, "text": OTHER}, {"id": None, "text": OTHER})
    out = CliRunner().invoke(main, ["dedupe"], input=data.encode() + b"\xff\xfe\n")
    assert out.exit_code == 1
    assert "stdin: line 2: not JSON" in out.output
    assert 'stdin: line 3: no "id"' in out.output
    assert "stdin: line 5: published_at: not an ISO 8601 date or time: 'yesterday'" in out.output
    assert 'line 7: "id" must be a string or a whole number, got null' in out.output
    assert "line 8: not valid UTF-8" in out.output
    records = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r["line"] for r in records] == list(range(1, 9))  # one record per line, in order
    assert [r["id"] for r in records] == [1, None, None, 2, 3, 4, None, None]
    assert [bool(r.get("error")) for r in records] == [False, True, True, True, True, False, True, True]
    assert records[3]["error"] == "line 4: empty title and text"
