"""``newsdesk triage``: the batch contract, with the shipped model; bad lines never shift the others."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsdesk.cli import main

GOOD = {"id": "a", "title": "北捷板南線號誌故障停駛一小時 通勤族怒批捷運公司應變慢",
        "text": "台北捷運板南線今天上午號誌系統故障，列車停駛近一小時，大批通勤族受困月台，乘客痛批北捷應變太慢。",
        "outlet": "ltn", "url": "https://news.ltn.com.tw/1", "published_at": "2026-08-03T08:10:00+08:00"}
OTHER = {"id": 7, "title": "高雄市區淹水 議員批高市府抽水站失靈",
         "text": "高雄市昨晚暴雨，多處淹水，市議員質疑高雄市政府抽水站未發揮功能。"}


def _run(tmp_path: Path, lines: list[bytes], *args: str) -> tuple[int, list[dict], str]:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    result = CliRunner().invoke(main, ["triage", "--input", str(src), *args])
    return result.exit_code, [json.loads(x) for x in result.stdout.splitlines()], result.stderr


def test_decides_each_line_in_order(tmp_path: Path, shipped_model: Path) -> None:
    code, out, _ = _run(tmp_path, [json.dumps(GOOD, ensure_ascii=False).encode(),
                                   json.dumps(OTHER, ensure_ascii=False).encode()])
    assert code == 0 and [r["id"] for r in out] == ["a", 7] and [r["line"] for r in out] == [1, 2]
    mrt, khh = out
    assert mrt["government"] == "TPE" and mrt["needs_response"] and mrt["alert"]
    assert mrt["agency"] in ("捷運公司", "交通局") and mrt["priority"] in ("high", "critical")
    assert mrt["score"] >= 0.4 and any("分辦" in r for r in mrt["reasons"])
    assert khh["government"] == "KHH" and not khh["alert"] and khh["agency"] is None
    assert set(mrt) == {"id", "line", "government", "needs_response", "score", "agency", "priority", "alert",
                        "reasons"}


def test_bad_lines_get_an_error_record_in_their_place(tmp_path: Path, shipped_model: Path) -> None:
    good = json.dumps(GOOD, ensure_ascii=False).encode()
    lines = [b"\xff\xfe not utf-8", b"{not json", b"[1, 2]", json.dumps({"id": "t", "title": 5}).encode(),
             json.dumps({"id": "x"}).encode(), json.dumps({"id": {"a": 1}, "title": "x"}).encode(),
             json.dumps({"id": "d", "title": "t", "published_at": "yesterday"}).encode(),
             json.dumps({"id": "s", "title": "\ud800北市公車誤點"}).encode(),  # a lone surrogate
             json.dumps({"id": "e", "title": "", "text": " "}).encode(), b"", good]
    code, out, err = _run(tmp_path, lines)
    assert code == 1 and len(out) == len(lines) and [r["line"] for r in out] == list(range(1, len(lines) + 1))
    errors = [r.get("error", "") for r in out]
    assert "not valid UTF-8" in errors[0] and "not JSON" in errors[1] and "expected a JSON object" in errors[2]
    assert '"title" must be a string' in errors[3] and 'no "title"' in errors[4]
    assert '"id" must be' in errors[5] and '"published_at"' in errors[6]
    assert "lone surrogate" in errors[7]
    assert "both empty" in errors[8] and "empty line" in errors[9]
    assert "error" not in out[10] and out[10]["alert"]
    assert all(f"line {i}" in e for i, e in enumerate(errors, 1) if e)
    assert out[3]["id"] == "t" and out[5].get("id") is None  # ids echoed where they could be read
    assert "Traceback" not in err and "line 2: not JSON" in err


def test_another_city_changes_one_setting(tmp_path: Path, shipped_model: Path) -> None:
    config = tmp_path / "khh.toml"
    config.write_text('[office]\nname = "秘書處"\ncity = "高雄市"\ngovernment = "KHH"\n', encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in (GOOD, OTHER)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "triage", "--input", str(src)])
    mrt, khh = [json.loads(x) for x in result.stdout.splitlines()]
    assert not mrt["alert"]  # Taipei's news is not Kaohsiung's to answer
    assert khh["alert"] and khh["government"] == "KHH"
