"""The pieces behind the model: text rule, labelled files, Q4 dequantisation, vocabulary pruning,
metrics, temperature fitting, grouped folds and the baseline."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from pipeline.sentiment import e5, vocab
from pipeline.sentiment.baseline import CharNgramLogReg
from pipeline.sentiment.data import DataError, read_labelled
from pipeline.sentiment.folds import grouped_folds
from pipeline.sentiment.recipe import fit_temperature, metrics
from pipeline.sentiment.text import EMPTY, LEAD_CHARS, prepare


def test_prepare_title_and_lead() -> None:
    title = "北市捷運大停擺"
    body = "今日上午號誌故障，" * 3 + "市府表示將檢討。" + "後續" * 500
    out = prepare(title + "\n" + body)
    assert out.startswith(title) and len(out) <= LEAD_CHARS
    assert out.endswith("。")  # cut at the last sentence end inside the lead


def test_prepare_empty_urls_and_huge() -> None:
    assert prepare("") == EMPTY and prepare("   \n ") == EMPTY
    assert prepare("https://a.example/x www.b.example") == EMPTY
    assert prepare("😡😡") == "😡😡"
    assert len(prepare("字" * 100_000)) == LEAD_CHARS


def test_prepare_reads_tai_one_way() -> None:
    assert prepare("臺北市政府澄清 臺灣燈會延期") == "台北市政府澄清 台灣燈會延期"
    assert prepare("颱風來襲") == "颱風來襲"  # only 臺 is folded


def test_recipe_trains_on_text_as_the_scorer_reads_it(tmp_path: Path) -> None:
    from pipeline.sentiment.recipe import _load_labelled, _read_lines

    csv_file = tmp_path / "dev.csv"
    csv_file.write_text("text,negative\n臺北捷運停駛 https://t.co/x,1\n\"多行,標題\",0\n", encoding="utf-8")
    texts, labels = _load_labelled(csv_file)
    assert texts == [prepare("臺北捷運停駛 https://t.co/x"), "多行,標題"] and labels == [1, 0]
    assert "臺" not in texts[0] and "http" not in texts[0]
    lines = tmp_path / "unlabelled.txt"
    lines.write_text("臺南市政府新聞稿\n\n  \n" + "長" * 5000 + "\n", encoding="utf-8")
    read = _read_lines(lines)
    assert read[0] == "台南市政府新聞稿" and len(read) == 2 and len(read[1]) <= LEAD_CHARS


def test_read_labelled_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("text,negative\n火災,1\n開幕,0\n", encoding="utf-8")
    assert [(e.text, e.label) for e in read_labelled(csv_file)] == [("火災", 1), ("開幕", 0)]
    jl = tmp_path / "a.jsonl"
    jl.write_text('{"text": "火災", "label": "negative"}\n\n{"text": "開幕", "label": "not_negative"}\n')
    assert [e.label for e in read_labelled(jl)] == [1, 0]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("b.csv", b"text,negative\nx,maybe\n", "b.csv:2: label 'maybe'"),
    ("c.csv", b"title,negative\nx,1\n", "needs a 'text' column"),
    ("d.jsonl", b'{"text": "x", "label": "negative"}\n[1]\n', "d.jsonl:2: not a JSON object"),
    ("e.csv", b"text,negative\n\xff,1\n", "e.csv:2: not valid UTF-8"),
])
def test_read_labelled_errors_name_file_and_line(tmp_path: Path, name: str, content: bytes,
                                                 message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message.replace("[", r"\[")):
        read_labelled(path)


def test_dequantise_q4_block() -> None:
    nibbles = list(range(16)) + list(range(15, -1, -1))  # weights 0..15 then 15..0
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    row = np.frombuffer(struct.pack("<e", 0.5) + packed, dtype=np.uint8).reshape(1, -1)
    assert e5.dequantise(row)[0].tolist() == [(q - 8) * 0.5 for q in nibbles]


def _unigram(tmp_path: Path) -> dict[str, object]:
    from tokenizers import Tokenizer, models, pre_tokenizers

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0), ("臺", -3.0),
              ("北", -3.0), ("臺北", -2.5), ("市", -3.0), ("ㅎ", -4.0), ("▁the", -2.0), ("▁cat", -3.0),
              ("火", -3.0), ("災", -3.0)]
    tok = Tokenizer(models.Unigram(pieces, unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    return json.loads(tok.to_str())


def test_prune_keeps_corpus_pieces_and_wanted_characters(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    full = _unigram(tmp_path)
    keep = vocab.keep_ids(full, ["臺北市"], english=1)
    kept = [full["model"]["vocab"][i][0] for i in keep]  # type: ignore[index]
    assert {"臺北", "市", "火", "災", "▁the"} <= set(kept)  # corpus, CJK characters, top English
    assert "ㅎ" not in kept and "▁cat" not in kept  # Hangul, rarer English
    small = Tokenizer.from_str(json.dumps(vocab.prune(full, keep)))
    big = Tokenizer.from_str(json.dumps(full))
    for text in ("臺北市", "火災"):
        assert [keep[i] for i in small.encode(text).ids] == big.encode(text).ids


def test_metrics_on_known_confusion() -> None:
    p = np.array([0.9, 0.8, 0.2, 0.6, 0.1])
    m = metrics(p, [1, 1, 1, 0, 0])
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 1, 1)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3) and m["accuracy"] == pytest.approx(0.6)


def test_fit_temperature_recovers_overconfidence() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-z))).astype(int)  # calibrated at T=1 for logit z
    logits = np.stack([np.zeros_like(z), z * 3], axis=1)  # a model three times overconfident
    assert fit_temperature(logits, list(y)) == pytest.approx(3.0, rel=0.12)


def test_fit_blend_temperature_calibrates_the_average() -> None:
    from pipeline.sentiment.recipe import blend, fit_blend_temperature

    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, size=6000)
    lexical = rng.uniform(0.2, 0.8, size=6000)  # a timid second model
    logits = np.stack([np.zeros_like(z), z * 2], axis=1)
    truth = blend(logits, lexical, 2.0)  # the average is calibrated when the transformer's T is 2
    y = (rng.random(6000) < truth).astype(int)
    assert fit_blend_temperature(logits, lexical, list(y)) == pytest.approx(2.0, rel=0.15)
    assert fit_temperature(logits, list(y)) != pytest.approx(2.0, rel=0.15)  # the lone fit differs


def test_near_duplicates_share_a_fold() -> None:
    texts = ["葡萄牙2比0擊敗烏拉圭　晉級世足16強", "葡萄牙2比0擊敗烏拉圭 晉級世足16強！"]
    rng = np.random.default_rng(1)
    texts += ["".join(chr(0x4E00 + int(c)) for c in rng.integers(0, 20000, 12)) for _ in range(40)]
    folds = grouped_folds(texts, k=5)
    assert folds[0] == folds[1]
    assert sorted(set(folds)) == [0, 1, 2, 3, 4]


def test_baseline_learns_characters() -> None:
    texts = ["火災死傷", "車禍死亡", "弊案起訴", "火警受傷"] * 3
    texts += ["開幕同歡", "得獎喜訊", "通車好評", "豐收喜悅"] * 3
    labels = [1] * 12 + [0] * 12
    model = CharNgramLogReg(min_df=1).fit(texts, labels)
    p = model.predict(["工廠火災", "新館開幕"])
    assert p[0] > 0.5 > p[1]


def test_baseline_tfidf_matches_the_formula() -> None:
    texts = ["火災火災", "火災", "開幕"] * 2
    model = CharNgramLogReg(min_df=1).fit(texts, [1, 1, 0] * 2)
    rows, cols, vals = model._rows(["火災火災"])
    got = {cols[k]: vals[k] for k in range(len(rows))}
    # grams of 火災火災: 火 x2, 災 x2, 火災 x2, 災火 x1, 火災火 x1, 災火災 x1; df over 6 texts
    counts = {"火": 2, "災": 2, "火災": 2, "災火": 1, "火災火": 1, "災火災": 1}
    df = {"火": 4, "災": 4, "火災": 4, "災火": 2, "火災火": 2, "災火災": 2}
    raw = {g: (1 + np.log(n)) * (np.log(7 / (1 + df[g])) + 1) for g, n in counts.items()}
    norm = np.sqrt(sum(v * v for v in raw.values()))
    assert got == pytest.approx({model.index[g]: v / norm for g, v in raw.items()}, rel=1e-5)
    z = model.bias + sum(model.weights[c] * v for c, v in got.items())
    assert model.predict(["火災火災"])[0] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-5)
    assert model.predict(["沒有見過"])[0] == pytest.approx(1 / (1 + np.exp(-model.bias)), rel=1e-6)


def test_baseline_saves_and_loads(tmp_path: Path) -> None:
    texts = ["火災死傷", "車禍死亡", "開幕同歡", "得獎喜訊"] * 3
    model = CharNgramLogReg(min_df=1).fit(texts, [1, 1, 0, 0] * 3)
    model.save(tmp_path / "lexical.json")
    again = CharNgramLogReg.load(tmp_path / "lexical.json")
    probe = ["工廠火災", "新館開幕", "", "English text"]
    assert again.predict(probe) == pytest.approx(model.predict(probe), abs=1e-6)
    data = json.loads((tmp_path / "lexical.json").read_text(encoding="utf-8"))
    data["weights"] = data["weights"][:-1]
    with pytest.raises(ValueError, match="differ in length"):
        CharNgramLogReg.from_dict(data)
    with pytest.raises(ValueError, match="kind"):
        CharNgramLogReg.from_dict({**data, "kind": "svm"})


def test_class_sets_for_heads_with_several_classes() -> None:
    from pipeline.sentiment import ModelError
    from pipeline.sentiment.training import class_sets

    assert class_sets({0: "not_negative", 1: "negative"}, {}) == ((1,), (0,))
    assert class_sets({0: "negative", 1: "neutral", 2: "positive"}, {}) == ((0,), (1, 2))
    emo = {0: "joy", 1: "anger", 2: "fear", 3: "surprise"}
    mapping = {"joy": "not_negative", "anger": "negative", "fear": "negative", "surprise": "not_negative"}
    assert class_sets(emo, mapping) == ((1, 2), (0, 3))
    with pytest.raises(ModelError, match="not-negative"):
        class_sets({0: "negative", 1: "negative"}, {})


def test_set_loss_is_cross_entropy_for_one_class_and_log_of_summed_probability() -> None:
    import torch

    from pipeline.sentiment.recipe import _label_mask, set_nll

    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    one = set_nll(logits, _label_mask([0, 2], 3, "cpu"))
    assert one.tolist() == pytest.approx(torch.nn.functional.cross_entropy(
        logits, torch.tensor([0, 2]), reduction="none").tolist(), abs=1e-6)
    p = logits.softmax(-1)
    both = set_nll(logits, _label_mask([(0, 1), (1, 2)], 3, "cpu"))
    assert both.tolist() == pytest.approx([-math.log(p[0, 0] + p[0, 1]), -math.log(p[1, 1] + p[1, 2])], abs=1e-6)
    assert fit_temperature((logits * 4).numpy(), [(0, 1), (1, 2)]) > 0


def test_emotion_columns_make_the_task(tmp_path: Path) -> None:
    from pipeline.sentiment.recipe import load_emotions, p_negative

    good = tmp_path / "emo.csv"
    good.write_text("emotion,emotion_name,negative,text\n0,happiness,0,開幕\n1,anger,1,怒罵\n2,surprise,0,驚喜\n"
                    "1,anger,1,痛批\n", encoding="utf-8")
    classes, task = load_emotions(good)
    assert classes == [0, 1, 2, 1]
    assert task.id2label == {0: "happiness", 1: "anger", 2: "surprise"} and task.negative == (1,)
    assert task.label_map == {"happiness": "not_negative", "anger": "negative", "surprise": "not_negative"}
    assert task.binary_sets([1, 0]) == [(1,), (0, 2)]
    logits = np.log(np.array([[0.2, 0.5, 0.3]]))
    assert p_negative(logits, negative=(1, 2))[0] == pytest.approx(0.8)
    bad = tmp_path / "bad.csv"
    bad.write_text("emotion,emotion_name,negative,text\n0,happiness,0,a\n0,anger,1,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="called both"):
        load_emotions(bad)
    bad.write_text("emotion,emotion_name,negative,text\n0,happiness,0,a\n0,happiness,1,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="both negative and not"):
        load_emotions(bad)
