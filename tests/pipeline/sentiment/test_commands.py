"""The CLI: the JSONL batch contract with bad lines, the correction loop, eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from newsdesk.app import App
from newsdesk.cli import main
from pipeline.models import Alert, Correction, ItemRow
from pipeline.sentiment.hf import TransformersScorer

from .conftest import NEGATIVE, POSITIVE, add_lexical


def _run(config: Path, *args: str, input: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args], input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_score_keeps_order_and_marks_bad_lines(config_file: Path) -> None:
    lines = [
        json.dumps({"text": NEGATIVE[0], "id": "a"}).encode(),
        b"\xff\xfe not utf-8",
        json.dumps({"text": ""}).encode(),
        json.dumps({"text": "😡😡😡"}).encode(),
        b"{not json",
        json.dumps({"id": 7}).encode(),
        json.dumps({"text": "https://example.com/x"}).encode(),
        json.dumps({"text": POSITIVE[0] + "。" + "很長的內文" * 20000}).encode(),  # 100 KB+
        b'{"text": "\\ud800 lone", "id": "s"}',
        json.dumps({"text": POSITIVE[1], "id": 1.5}).encode(),
        json.dumps({"text": POSITIVE[0], "id": "z"}).encode(),
    ]
    code, out, err = _run(config_file, "sentiment", "score", input=b"\n".join(lines) + b"\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["line"] for r in rows] == list(range(1, 12))
    assert [r["id"] for r in rows] == ["a", None, None, None, None, 7, None, None, None, None, "z"]  # not invented
    bad = [r["line"] for r in rows if r.get("error")]
    assert bad == [2, 3, 5, 6, 9, 10]
    assert "line 2: not valid UTF-8" in err and "line 5: not JSON" in err and 'line 6: no "text"' in err
    assert 'line 3: "text" is empty' in err and 'line 9: "text" holds a lone surrogate' in err
    assert 'line 10: "id" must be a string or a whole number, got a number' in err
    good = [r for r in rows if not r.get("error")]
    assert all(r["label"] in ("negative", "not_negative") and 0 <= r["score"] <= 1 for r in good)
    assert rows[0]["score"] > rows[-1]["score"]


def test_score_files_and_clean_exit(config_file: Path, tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in POSITIVE[:3]), encoding="utf-8")
    code, _, _ = _run(config_file, "sentiment", "score", "--input", str(src), "--output", str(dst))
    assert code == 0
    assert [json.loads(line)["line"] for line in dst.read_text().splitlines()] == [1, 2, 3]


def test_a_chunk_the_model_rejects_costs_only_the_bad_line(config_file: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.sentiment as sentiment

    real = sentiment.get_scorer

    class Picky:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def score(self, texts: list[str]) -> list[float]:
            if any("壞" in t for t in texts):
                raise RuntimeError("tokenizer cannot take this")
            return self.inner.score(texts)  # type: ignore[attr-defined]

    monkeypatch.setattr(sentiment, "get_scorer", lambda s: Picky(real(s)))
    data = b"".join(json.dumps({"text": t}).encode() + b"\n" for t in [POSITIVE[0], "壞", NEGATIVE[0]])
    code, out, err = _run(config_file, "sentiment", "score", input=data)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r.get("error") is None for r in rows] == [True, False, True]
    assert "line 2: the model could not score it (RuntimeError: tokenizer cannot take this)" in err


def test_score_missing_model_folder_is_one_clear_line(tmp_path: Path) -> None:
    cfg = tmp_path / "n.toml"
    cfg.write_text(f'[sentiment]\nmodel = "{tmp_path / "gone"}"\n')
    code, _, err = _run(cfg, "sentiment", "score", input=b'{"text": "x"}\n')
    assert code == 2 and str(tmp_path / "gone") in err and "make model" in err


def _item(app: App, n: int, text: str) -> int:
    with app.session() as s:
        item = ItemRow(url=f"https://news.example/{n}", canonical_url=f"https://news.example/{n}",
                       content_hash=f"h{n}", source="test", title=text, text="")
        s.add(item)
        s.flush()
        return item.id


def test_correction_loop_mark_then_train(config_file: Path, tiny_model: Path, tmp_path: Path) -> None:
    app = App(config=str(config_file))
    neg_text, pos_text = "市長出席活動致詞", "市長宣布新政策上路"  # unseen, so the model is unsure
    neg_id, pos_id = _item(app, 1, neg_text), _item(app, 2, pos_text)
    with app.session() as s:  # the officer sees the alert (its id first in `alerts list`) and marks it
        alert = Alert(item_id=neg_id, channel="console", notifier="console", idempotency_key="k", status="sent")
        s.add(alert)
        s.flush()
        alert_id = alert.id
    listed = _run(config_file, "alerts", "list")[1]
    assert listed.split()[:3] == [str(alert_id), "(item", f"{neg_id})"]
    code, out, _ = _run(config_file, "alerts", "mark", str(alert_id), "--label", "negative", "--who", "王小明")
    assert code == 0 and f"alert {alert_id}, item {neg_id} marked negative" in out
    assert _run(config_file, "alerts", "mark", "--item", str(pos_id), "--label", "not_negative",
                "--who", "林")[0] == 0
    with app.session() as s:
        rows = s.scalars(select(Correction).order_by(Correction.id)).all()
        assert [(r.item_id, r.label, r.who) for r in rows] == [(neg_id, "negative", "王小明"),
                                                               (pos_id, "not_negative", "林")]
        assert all(r.created_at is not None for r in rows)

    before = TransformersScorer(str(tiny_model)).score([neg_text, pos_text])
    out_dir = tmp_path / "retrained"
    code, out, err = _run(config_file, "sentiment", "finetune", "--out", str(out_dir), "--epochs", "8",
                          "--lr", "2e-3")
    assert code == 0, err
    assert "2 correction(s)" in err
    assert json.loads((out_dir / "newsdesk.json").read_text())["corrections"] == 2
    after = TransformersScorer(str(out_dir)).score([neg_text, pos_text])
    assert after[0] > before[0] and after[1] < before[1]
    assert after[0] > after[1]


def test_mark_unknown_item_and_bad_label(config_file: Path) -> None:
    code, _, err = _run(config_file, "alerts", "mark", "999", "--label", "negative", "--who", "x")
    assert code == 1 and "no alert 999 (see `newsdesk alerts list`)" in err
    code, _, err = _run(config_file, "alerts", "mark", "--item", "999", "--label", "negative", "--who", "x")
    assert code == 1 and "no item with id 999" in err
    code, _, err = _run(config_file, "alerts", "mark", "--label", "negative", "--who", "x")
    assert code == 2 and "give the alert id" in err
    code, _, err = _run(config_file, "alerts", "mark", "1", "--label", "bad", "--who", "x")
    assert code == 2 and "--label" in err


def test_train_with_nothing_is_an_error(config_file: Path, tmp_path: Path) -> None:
    code, _, err = _run(config_file, "sentiment", "finetune", "--out", str(tmp_path / "o"))
    assert code == 2 and "nothing to train on" in err


def test_eval_prints_figures(config_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "gold.csv"
    rows = [f"{t},1" for t in NEGATIVE] + [f"{t},0" for t in POSITIVE]
    data.write_text("text,negative\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, out, _ = _run(config_file, "sentiment", "eval", str(data), "--json")
    assert code == 0
    report = json.loads(out)["model_report"]
    assert report["n"] == 20 and report["negative"] == 10
    assert report["tp"] + report["fn"] == 10 and report["fp"] + report["tn"] == 10
    assert 0 <= report["ece"] <= 1
    code, out, _ = _run(config_file, "sentiment", "eval", str(data))
    assert "negative class: precision" in out and "confusion" in out


def test_eval_bad_file_names_line(config_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "gold.jsonl"
    data.write_text('{"text": "a", "label": "negative"}\n{"text": "b", "label": "meh"}\n')
    code, _, err = _run(config_file, "sentiment", "eval", str(data))
    assert code == 1 and f"{data}:2" in err and "meh" in err



def _base_with_lexical(tiny_model: Path, tmp_path: Path, weight: float) -> Path:
    """A copy of the tiny model with a small lexical half of the given weight."""
    base = tmp_path / "base"
    shutil.copytree(tiny_model, base)
    add_lexical(base, weight, ["火災", "開幕"], [1, 0])
    return base


def _csv(path: Path, rows: list[tuple[str, int]]) -> Path:
    path.write_text("text,negative\n" + "".join(f"{t},{y}\n" for t, y in rows), encoding="utf-8")
    return path


def test_train_refits_the_lexical_model_only_with_enough_examples(config_file: Path, tiny_model: Path,
                                                                  tmp_path: Path) -> None:
    from pipeline.sentiment.baseline import CharNgramLogReg

    base = _base_with_lexical(tiny_model, tmp_path, 0.4)
    small = _csv(tmp_path / "small.csv", [(t, 1) for t in NEGATIVE[:3]] + [(t, 0) for t in POSITIVE[:3]])
    code, _, err = _run(config_file, "sentiment", "finetune", "--base", str(base), "--data", str(small),
                        "--no-corrections", "--out", str(tmp_path / "a"), "--epochs", "1")
    assert code == 0, err
    assert "lexical model copied from the base" in err
    assert (tmp_path / "a" / "lexical.json").read_bytes() == (base / "lexical.json").read_bytes()
    rows = [(f"{n}{t}", 1) for n in range(12) for t in NEGATIVE]
    rows += [(f"{n}{t}", 0) for n in range(12) for t in POSITIVE]
    big = _csv(tmp_path / "big.csv", rows)
    code, _, err = _run(config_file, "sentiment", "finetune", "--base", str(base), "--data", str(big),
                        "--no-corrections", "--out", str(tmp_path / "b"), "--epochs", "1")
    assert code == 0, err
    assert "lexical model refitted on 240 examples" in err
    meta_b = json.loads((tmp_path / "b" / "newsdesk.json").read_text())
    assert meta_b["lexical"] == {"file": "lexical.json", "weight": 0.4, "trained_on": 240}
    refit = CharNgramLogReg.load(tmp_path / "b" / "lexical.json")
    assert "停擺" in refit.index and refit.predict(["停電民怨"])[0] > refit.predict(["美食節"])[0]
    scorer = TransformersScorer(str(tmp_path / "b"))
    assert scorer.lexical is not None and scorer.lexical_weight == 0.4


def test_emotion_head_scores_and_learns_from_binary_corrections(tmp_path: Path) -> None:
    """A head with one class per emotion: the folder maps them; "not negative" may be any of the rest."""
    from pipeline.sentiment.tiny import train_tiny

    emotions = {0: "joy", 1: "anger", 2: "sadness", 3: "surprise"}
    mapping = {"joy": "not_negative", "anger": "negative", "sadness": "negative", "surprise": "not_negative"}
    texts = NEGATIVE[:5] + NEGATIVE[5:] + POSITIVE[:5] + POSITIVE[5:]
    classes = [1] * 5 + [2] * 5 + [0] * 5 + [3] * 5
    folder = train_tiny(texts, classes, tmp_path / "emo", epochs=40, hidden=64, layers=1,
                        id2label=emotions, label_map=mapping)
    scorer = TransformersScorer(str(folder))
    assert sorted(scorer.neg_ids) == [1, 2]
    probs = scorer.logits(NEGATIVE[:2] + POSITIVE[:2]).softmax(-1)
    assert scorer.score(NEGATIVE[:2] + POSITIVE[:2]) == pytest.approx(
        (probs[:, 1] + probs[:, 2]).tolist(), abs=1e-5)
    assert min(scorer.score(NEGATIVE[:2])) > max(scorer.score(POSITIVE[:2]))

    config = tmp_path / "newsdesk.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "e.db"}"\n\n[sentiment]\nmodel = "{folder}"\n',
                      encoding="utf-8")
    app = App(config=str(config))
    unsure = "市長出席活動致詞"
    item = _item(app, 1, unsure)
    assert _run(config, "alerts", "mark", "--item", str(item), "--label", "negative", "--who", "王")[0] == 0
    before = scorer.score([unsure])[0]
    code, _, err = _run(config, "sentiment", "finetune", "--out", str(tmp_path / "re"), "--epochs", "8",
                        "--lr", "2e-3")
    assert code == 0, err
    retrained = TransformersScorer(str(tmp_path / "re"))
    assert json.loads((tmp_path / "re" / "newsdesk.json").read_text())["labels"] == mapping
    assert retrained.score([unsure])[0] > before


def test_train_calibrates_the_average_when_the_folder_has_a_lexical_half(config_file: Path, tiny_model: Path,
                                                                          tmp_path: Path) -> None:
    from pipeline.sentiment.recipe import fit_blend_temperature, fit_temperature

    base = _base_with_lexical(tiny_model, tmp_path, 0.5)
    data = _csv(tmp_path / "d.csv", [(t, 1) for t in NEGATIVE] + [(t, 0) for t in POSITIVE])
    # the model's own training texts, a quarter of them with the other label: an interior temperature
    cal_rows = [(t, int(k % 4 != 0)) for k, t in enumerate(NEGATIVE)] + [(t, int(k % 4 == 0))
                                                                        for k, t in enumerate(POSITIVE)]
    cal = _csv(tmp_path / "cal.csv", cal_rows)
    out = tmp_path / "out"
    code, _, err = _run(config_file, "sentiment", "finetune", "--base", str(base), "--data", str(data),
                        "--no-corrections", "--calibrate", str(cal), "--out", str(out), "--epochs", "1")
    assert code == 0, err
    written = json.loads((out / "calibration.json").read_text())["temperature"]
    scorer = TransformersScorer(str(out))
    texts = [t for t, _ in cal_rows]
    assert scorer.lexical is not None
    expected = fit_blend_temperature(scorer.logits(texts).numpy(), scorer.lexical.predict(texts),
                                     [y for _, y in cal_rows])
    assert written == pytest.approx(expected, rel=1e-6)
    alone = fit_temperature(scorer.logits(texts).numpy(), [1 if y else 0 for _, y in cal_rows])
    assert 0.3 < written < 7.5 and written != pytest.approx(alone, rel=0.05)
