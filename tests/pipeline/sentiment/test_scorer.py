"""Loading, label mapping, calibration and broken model folders, on the tiny model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pipeline.sentiment import ModelError, get_scorer, label_for
from pipeline.sentiment.hf import TransformersScorer
from pipeline.settings import SentimentSettings

from .conftest import NEGATIVE, POSITIVE, add_lexical


def test_loads_once_and_scores_in_order(tiny_model: Path) -> None:
    settings = SentimentSettings(model=str(tiny_model))
    scorer = get_scorer(settings)
    assert get_scorer(settings) is scorer
    assert (scorer.name, scorer.version) == ("tiny-test", "t1")
    neg, pos = scorer.score(NEGATIVE[:3]), scorer.score(POSITIVE[:3])
    assert all(0.0 <= s <= 1.0 for s in neg + pos)
    assert sum(neg) / 3 > sum(pos) / 3 + 0.2  # it learnt its toy task
    mixed = scorer.score([POSITIVE[0], NEGATIVE[0], POSITIVE[1]])
    assert mixed == pytest.approx([pos[0], neg[0], pos[1]], abs=1e-5)
    assert scorer.score([]) == []


def test_label_for_threshold() -> None:
    assert label_for(0.5, 0.5) == "negative"
    assert label_for(0.49, 0.5) == "not_negative"


def _relabel(folder: Path, id2label: dict[str, str]) -> None:
    cfg = json.loads((folder / "config.json").read_text())
    cfg["id2label"] = id2label
    cfg["label2id"] = {v: int(k) for k, v in id2label.items()}
    (folder / "config.json").write_text(json.dumps(cfg))


def test_other_labels_need_the_mapping(tiny_model: Path, model_copy: Path) -> None:
    _relabel(model_copy, {"0": "LABEL_0", "1": "LABEL_1"})
    with pytest.raises(ModelError, match="set sentiment.labels"):
        TransformersScorer(str(model_copy))
    texts = NEGATIVE[:2] + POSITIVE[:2]
    original = TransformersScorer(str(tiny_model)).score(texts)
    mapped = TransformersScorer(str(model_copy), {"LABEL_1": "negative", "LABEL_0": "not_negative"})
    assert mapped.score(texts) == pytest.approx(original, abs=1e-5)
    swapped = TransformersScorer(str(model_copy), {"LABEL_0": "negative", "LABEL_1": "not_negative"})
    assert swapped.score(texts) == pytest.approx([1 - s for s in original], abs=1e-5)
    with pytest.raises(ModelError, match="no entry for the model's label 'LABEL_1'"):
        TransformersScorer(str(model_copy), {"LABEL_0": "negative"})


def test_positive_label_counts_as_not_negative(tiny_model: Path, model_copy: Path) -> None:
    _relabel(model_copy, {"0": "positive", "1": "negative"})
    texts = NEGATIVE[:2]
    assert TransformersScorer(str(model_copy)).score(texts) == pytest.approx(
        TransformersScorer(str(tiny_model)).score(texts), abs=1e-5)


def test_calibration_temperature_rescales_logits(tiny_model: Path, model_copy: Path) -> None:
    (model_copy / "calibration.json").write_text(json.dumps({"temperature": 2.5}))
    scorer = TransformersScorer(str(model_copy))
    logits = TransformersScorer(str(tiny_model)).logits(NEGATIVE[:3])
    expected = [1 / (1 + math.exp(-(float(b) - float(a)) / 2.5)) for a, b in logits.tolist()]
    assert scorer.score(NEGATIVE[:3]) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("content", ['{"temperature": 0}', "not json", '{"temperature": -1}'])
def test_bad_calibration_file_is_named(model_copy: Path, content: str) -> None:
    (model_copy / "calibration.json").write_text(content)
    with pytest.raises(ModelError, match="calibration.json"):
        TransformersScorer(str(model_copy))


def test_missing_model_folder_names_folder_and_rebuild(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelError) as err:
        TransformersScorer(str(missing))
    assert str(missing) in str(err.value) and "make model" in str(err.value)


@pytest.mark.parametrize("victim", ["model.safetensors", "config.json", "tokenizer.json"])
def test_corrupt_model_folder_names_folder_and_rebuild(model_copy: Path, victim: str) -> None:
    target = model_copy / victim
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(ModelError) as err:
        TransformersScorer(str(model_copy))
    assert str(model_copy) in str(err.value) and "make model" in str(err.value)


def test_lexical_model_is_averaged_in(tiny_model: Path, model_copy: Path) -> None:
    lexical = add_lexical(model_copy, 0.25)
    texts = ["捷運停擺乘客怒罵 https://x.example/a", POSITIVE[0], "完全沒見過的句子"]
    alone = TransformersScorer(str(tiny_model)).score(texts)
    lex = lexical.predict(["捷運停擺乘客怒罵", POSITIVE[0], "完全沒見過的句子"])  # URLs are dropped first
    blended = TransformersScorer(str(model_copy)).score(texts)
    assert blended == pytest.approx([0.75 * a + 0.25 * b for a, b in zip(alone, lex, strict=True)], abs=1e-5)
    assert blended != pytest.approx(alone, abs=1e-3)


@pytest.mark.parametrize("weight", [1.5, -0.1, "half"])
def test_bad_lexical_weight_is_named(model_copy: Path, weight: object) -> None:
    add_lexical(model_copy, weight)
    with pytest.raises(ModelError, match="newsdesk.json: lexical weight"):
        TransformersScorer(str(model_copy))


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_broken_lexical_file_names_file_and_rebuild(model_copy: Path, damage: str) -> None:
    add_lexical(model_copy)
    target = model_copy / "lexical.json"
    if damage == "missing":
        target.unlink()
    else:
        target.write_text(target.read_text()[:50])
    with pytest.raises(ModelError) as err:
        TransformersScorer(str(model_copy))
    assert str(target) in str(err.value) and "make model" in str(err.value)


def test_shipped_folder_loads_with_its_lexical_half() -> None:
    from pipeline.sentiment import BUILTIN_DIR

    scorer = TransformersScorer(str(BUILTIN_DIR))
    assert scorer.lexical is not None and scorer.lexical_weight == 0.5
    assert len(scorer.lexical.index) > 10_000
    texts = ["捷運列車出軌釀多人死傷 家屬悲痛", "跨年晚會百萬人同歡 市長祝福新年快樂"]
    scores = scorer.score(texts)
    assert scores[0] > 0.5 > scores[1]
    alone = TransformersScorer.__new__(TransformersScorer)
    alone.__dict__.update({**scorer.__dict__, "lexical": None, "lexical_weight": 0.0})
    lex = scorer.lexical.predict(texts)
    assert scores == pytest.approx([0.5 * a + 0.5 * b for a, b in zip(alone.score(texts), lex, strict=True)],
                                   abs=1e-6)


def test_score_does_not_depend_on_tai_spelling(model_copy: Path) -> None:
    lexical = add_lexical(model_copy, None, ["台北火災", "台北停電", "台灣開幕", "台灣得獎"] * 3, [1, 1, 0, 0] * 3)
    assert lexical.predict(["臺北"])[0] != pytest.approx(lexical.predict(["台北"])[0], abs=1e-3)
    scorer = TransformersScorer(str(model_copy))
    assert scorer.score(["臺北捷運停擺乘客怒罵", "臺灣美食節熱鬧登場"]) == pytest.approx(
        scorer.score(["台北捷運停擺乘客怒罵", "台灣美食節熱鬧登場"]), abs=1e-7)
