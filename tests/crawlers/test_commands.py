"""``newsdesk extract`` (the batch contract) and ``sources status/enable``, through the CLI runner."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from crawlers import state
from newsdesk.cli import main
from pipeline.db import open_database, transaction
from pipeline.settings import SourceSettings
from tests.conftest import ROOT
from tests.crawlers.pages import BODY, article

CONTRACT = {"file", "url", "title", "text", "published_at", "authors", "language"}


def test_extract_html_gz_and_big5(tmp_path: Path) -> None:
    plain = tmp_path / "a.html"
    plain.write_bytes(article(title="北市新聞").encode("utf-8"))
    big5 = tmp_path / "b.html.gz"
    big5.write_bytes(gzip.compress(article(title="舊系統新聞", charset="big5").encode("cp950")))
    result = CliRunner().invoke(main, ["extract", str(plain), str(big5), "--url", "https://example.org/n/1"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [set(line) for line in lines] == [CONTRACT, CONTRACT]
    assert [line["title"] for line in lines] == ["北市新聞", "舊系統新聞"]
    assert all(BODY[:20] in line["text"] for line in lines)
    assert lines[0]["published_at"] == "2024-10-16T10:20:00+08:00" and lines[0]["url"] == "https://example.org/n/1"


def test_extract_bad_file_is_reported_and_others_still_come_out(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_bytes(article().encode())
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(b"\x1f\x8bnot really gzip")
    result = CliRunner().invoke(main, ["extract", str(broken), str(good)])
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["file"] == str(broken) and "error" in out[0]
    assert out[1]["title"] == "臺北捷運環狀線進度" and out[1]["url"] == good.resolve().as_uri()
    assert str(broken) in result.stderr


def test_extract_missing_folder_and_binary_files_get_error_lines_in_place(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_bytes(article().encode())
    png = tmp_path / "photo.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    pdf = tmp_path / "release.html.gz"
    pdf.write_bytes(gzip.compress(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"))
    folder = tmp_path / "pages"
    folder.mkdir()
    missing = tmp_path / "gone.html"
    odd = tmp_path / "odd.html"
    odd.write_bytes(b"<html></html>")  # trafilatura logs an ERROR line for such a tree
    args = ["extract", str(missing), str(good), str(folder), str(png), str(pdf), str(odd), str(good)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["file"] for o in out] == args[1:]  # one line per file, in order
    errors = {o["file"]: o["error"] for o in out if "error" in o}
    assert errors == {str(missing): "no such file", str(folder): "is a folder, not a saved page",
                      str(png): "a PNG image, not an HTML page", str(pdf): "a PDF document, not an HTML page"}
    assert out[1]["title"] == out[6]["title"] == "臺北捷運環狀線進度"
    assert "text" in out[5] and "error" not in out[5]  # an empty page is a page: empty fields, no error
    assert len(result.stderr.splitlines()) == 4, result.stderr  # one line per failed file, nothing else
    assert all(name in result.stderr for name in (str(missing), str(folder), str(png), str(pdf)))


def test_extract_does_not_import_torch(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_bytes(article().encode())
    odd = tmp_path / "odd.html"
    odd.write_bytes(b"<html></html>")  # trafilatura logs "discarding data" for it, once per try
    code = (f"import sys, runpy; sys.argv = ['newsdesk', 'extract', {str(page)!r}, {str(odd)!r}]\n"
            "try:\n    runpy.run_module('newsdesk', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'model imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["title"] == "臺北捷運環狀線進度"
    assert "trafilatura" not in proc.stderr  # its own log lines do not flood the output


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "newsdesk.toml"
    cfg.write_text(f'database_url = "sqlite:///{tmp_path / "nd.db"}"\n'
                   '[[sources]]\nname = "cna-politics"\nurl = "https://feeds.example/cna"\n'
                   '[[sources]]\nname = "ptt-taipei"\ntype = "ptt"\noptions = { board = "Taipei" }\n',
                   encoding="utf-8")
    return cfg


def test_sources_status_and_enable(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    sessions: sessionmaker[Session] = open_database(f"sqlite:///{tmp_path / 'nd.db'}")
    src = SourceSettings(name="cna-politics", url="https://feeds.example/cna")
    with transaction(sessions) as s:
        row = state.ensure_row(s, src)
        for _ in range(state.MAX_FAILURES):
            state.record_failure(row, "https://feeds.example/cna: HTTP 500")
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(cfg), "sources", "status", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows["cna-politics"]["state"] == "DISABLED"
    assert rows["cna-politics"]["failures"] == state.MAX_FAILURES
    assert "HTTP 500" in rows["cna-politics"]["last_error"]
    assert rows["ptt-taipei"]["state"] == "new"
    table = runner.invoke(main, ["--config", str(cfg), "sources", "status"]).output
    assert table.splitlines()[0].split()[:4] == ["NAME", "TYPE", "STATE", "LAST_SUCCESS"]
    assert "DISABLED" in table
    assert runner.invoke(main, ["--config", str(cfg), "sources", "enable", "cna-politics"]).exit_code == 0
    rows = {r["name"]: r for r in map(json.loads, runner.invoke(
        main, ["--config", str(cfg), "sources", "status", "--json"]).output.splitlines())}
    assert rows["cna-politics"]["state"] == "ok" and rows["cna-politics"]["failures"] == 0
    bad = runner.invoke(main, ["--config", str(cfg), "sources", "enable", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.output
