"""One table of malformed inputs, fed to every batch command: each must write one record per input line,
in order, with an error record naming each bad line, keep every good line, exit 1 when any line was
bad (0 when none, 2 when the input cannot be opened), and never print a traceback.

Commands: ``sentiment score``, ``dedupe``, ``press import`` (JSON Lines: one record per line), and
``extract`` (saved pages: one record per file, the file named in its record). A new JSON Lines batch
command (``triage``, ...) joins by adding a :class:`Command` to ``COMMANDS``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeline.batch
from newsdesk.cli import main

HUGE = 64 * 1024  # the tests lower the line limit so a "huge" line stays cheap


@dataclass(frozen=True)
class Command:
    name: str
    args: Callable[[Path], list[str]]  # the command line for an input file
    good: Callable[[int], dict[str, Any]]  # a valid input object, numbered
    wrong_types: list[dict[str, Any]]  # objects with fields of the wrong JSON type
    key: str = "line"  # the record's field naming the input line

    def ok(self, record: dict[str, Any]) -> bool:
        return not record.get("error")


def _score_args(path: Path) -> list[str]:
    return ["sentiment", "score", "--input", str(path)]


COMMANDS = [
    Command("sentiment score", _score_args, lambda n: {"id": f"s{n}", "text": f"捷運故障第{n}次"},
            [{"text": 5}, {"text": ["a"]}, {"id": True, "text": "x"}, {"id": None, "text": "x"},
             {"id": 1.5, "text": "x"}, {"text": ""}, {}]),
    Command("dedupe", lambda p: ["dedupe", "--input", str(p)],
            lambda n: {"id": n, "title": f"新聞 {n}", "text": f"臺北市第{n}則不同的新聞內容" * 3},
            [{"id": None, "text": "x"}, {"id": {"a": 1}, "text": "x"}, {"id": 9, "text": 5},
             {"id": 9, "title": ["t"]}, {"id": 9, "text": "x", "published_at": 20240101}, {"text": "no id"}]),
    Command("press import", lambda p: ["press", "import", str(p), "--output", "-"],
            lambda n: {"title": f"新聞稿 {n}", "agency": "工務局", "published_at": f"2024-01-{n % 28 + 1:02d}",
                       "body": f"內文 {n}"},
            [{"title": "x", "published_at": "2024-01-01", "agency": 5},
             {"title": "x", "published_at": "2024-01-01", "url": 123},
             {"title": 7, "published_at": "2024-01-01"}, {"title": "x", "published_at": 20240101},
             {"title": "x", "published_at": "2024-01-01", "body": {"p": 1}},
             {"title": "x", "published_at": "2024-01-01", "agency": "x" * 200}]),
]

#: Bad lines every command must survive: (case name, the raw line).
MALFORMED: list[tuple[str, bytes]] = [
    ("lone surrogate", b'{"id": "u", "title": "t", "text": "\\ud800 x", "published_at": "2024-01-01"}'),
    ("lone surrogate in a key", b'{"\\udc00": 1, "text": "x"}'),
    ("NUL character", b'{"id": "n", "title": "t\\u0000", "text": "x", "published_at": "2024-01-01"}'),
    ("invalid UTF-8", b'{"id": "b", "text": "\xff\xfe\xfd"}'),
    ("Big5 bytes", "{\"text\": \"臺北\"}".encode("big5")),
    ("not JSON", b"{not json"),
    ("JSON array", b"[1, 2, 3]"),
    ("JSON string", b'"just a string"'),
    ("JSON null", b"null"),
    ("empty line", b""),
    ("only spaces", b"   \t "),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
    ("huge line", b'{"text": "' + b"x" * (HUGE + 10) + b'"}'),
]


def _run(args: list[str], env: dict[str, str]) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(main, args, env=env)
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, records, result.stderr


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.sentiment.tiny import train_tiny

    texts = ["捷運故障乘客受困", "火災釀傷亡", "市府獲獎", "新公園開幕"]
    return train_tiny(texts, [1, 1, 0, 0], tmp_path_factory.mktemp("tiny") / "model", epochs=5, hidden=32,
                      layers=1, name="tiny-batch", version="t1")


@pytest.fixture
def env(tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr(pipeline.batch, "MAX_LINE_BYTES", HUGE)
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'batch.db'}", "NEWSDESK_SENTIMENT_MODEL": str(tiny_model)}


def _lines(command: Command, bad: list[bytes]) -> tuple[bytes, list[bool]]:
    """Good lines around every bad one: good, bad, good, bad, ..., good. Returns the bytes and which are good."""
    out, good = [json.dumps(command.good(0), ensure_ascii=False).encode()], [True]
    for i, raw in enumerate(bad, 1):
        out += [raw, json.dumps(command.good(i), ensure_ascii=False).encode()]
        good += [False, True]
    return b"\n".join(out) + b"\n", good


def _check(command: Command, code: int, records: list[dict[str, Any]], good: list[bool]) -> None:
    assert [r[command.key] for r in records] == list(range(1, len(good) + 1)), "one record per line, in order"
    assert [command.ok(r) for r in records] == good
    for r in records:
        if not command.ok(r):
            assert f"line {r[command.key]}" in r["error"], r
    assert code == (0 if all(good) else 1)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_malformed_lines_get_error_records_in_place(command: Command, env: dict[str, str], tmp_path: Path) -> None:
    data, good = _lines(command, [raw for _, raw in MALFORMED])
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    code, records, stderr = _run(command.args(path), env)
    _check(command, code, records, good)
    assert "line 2: " in stderr or command.name == "press import"  # reported as it happens


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_fields_of_the_wrong_type_are_refused_by_line(command: Command, env: dict[str, str],
                                                      tmp_path: Path) -> None:
    bad = [json.dumps(obj, ensure_ascii=False).encode() for obj in command.wrong_types]
    data, good = _lines(command, bad)
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    code, records, _ = _run(command.args(path), env)
    _check(command, code, records, good)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_a_clean_file_and_a_gzip_file_exit_zero(command: Command, env: dict[str, str], tmp_path: Path) -> None:
    data, good = _lines(command, [])
    data += b"".join(json.dumps(command.good(n), ensure_ascii=False).encode() + b"\n" for n in range(50, 53))
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    code, records, _ = _run(command.args(path), env)
    _check(command, code, records, good + [True] * 3)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_a_corrupt_gzip_keeps_the_lines_before_the_damage(command: Command, env: dict[str, str],
                                                          tmp_path: Path) -> None:
    import random

    rng = random.Random(7)  # incompressible text, so half the file holds whole lines
    rows = [{**command.good(n), "pad": "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(200))}
            for n in range(40)]
    packed = gzip.compress(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    code, records, _ = _run(command.args(path), env)
    assert code == 1 and len(records) > 5
    *kept, last = records
    assert all(command.ok(r) for r in kept) and [r[command.key] for r in kept] == list(range(1, len(kept) + 1))
    assert not command.ok(last) and "cannot be read from here on" in last["error"]
    assert f"line {len(kept) + 1}" in last["error"]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
@pytest.mark.parametrize("where", ["missing", "folder", "not gzip"])
def test_an_input_that_cannot_be_opened_is_one_clear_line(command: Command, where: str, env: dict[str, str],
                                                          tmp_path: Path) -> None:
    path = {"missing": tmp_path / "none.jsonl", "folder": tmp_path, "not gzip": tmp_path / "x.gz"}[where]
    if where == "not gzip":
        path.write_bytes(b"\x1f\x8b\x08 not really gzip")
    code, records, stderr = _run(command.args(path), env)
    if where == "not gzip":  # opened, then unreadable from line 1: one error record
        assert code == 1 and len(records) == 1 and "line 1:" in records[0]["error"]
    else:
        assert code == 2 and records == [] and str(path) in stderr


def test_extract_gives_one_record_per_file_in_order(tmp_path: Path) -> None:
    """``extract`` takes files, not lines: each gets its record in place, named by its path."""
    from tests.crawlers.pages import article

    good = tmp_path / "good.html"
    good.write_text(article(title="北市府說明捷運延誤"), encoding="utf-8")
    gz = tmp_path / "good.html.gz"
    gz.write_bytes(gzip.compress(article(title="北市府說明社宅進度").encode("big5", "replace")))
    cut = tmp_path / "cut.html.gz"
    cut.write_bytes(gzip.compress(article().encode())[:40])
    png = tmp_path / "image.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    bad_utf8 = tmp_path / "bad.html"
    bad_utf8.write_bytes(b"<html><body><h1>\xff\xfe</h1><p>\xed\xa0\x80 lone surrogate bytes</p></body></html>")
    files = [good, tmp_path / "missing.html", tmp_path, cut, png, bad_utf8, gz]
    result = CliRunner().invoke(main, ["extract", *map(str, files)])
    assert "Traceback" not in result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(f) for f in files]
    assert [bool(r.get("error")) for r in records] == [False, True, True, True, True, False, False]
    assert records[0]["title"] == "北市府說明捷運延誤" and records[-1]["title"] == "北市府說明社宅進度"
    assert result.exit_code == 1
    for f in (tmp_path / "missing.html", cut, png):
        assert str(f) in result.stderr
