"""A stronger teacher from a local transformers folder, distilled into a student with another vocabulary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.sentiment.recipe import BINARY, Hyper, Task, distil, logits_of, teacher_from_folder
from pipeline.sentiment.tiny import SPECIAL
from tests.pipeline.sentiment.conftest import NEGATIVE, POSITIVE

TEXTS = NEGATIVE + POSITIVE
LABELS = [1] * len(NEGATIVE) + [0] * len(POSITIVE)


def _weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(folder / "model.safetensors"))


def test_teacher_from_folder_keeps_the_encoder_and_gives_a_fresh_head(tiny_model: Path) -> None:
    saved = _weights(tiny_model)
    model, tok = teacher_from_folder(tiny_model, BINARY)
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    assert np.array_equal(state["bert.embeddings.word_embeddings.weight"],
                          saved["bert.embeddings.word_embeddings.weight"])
    assert state["classifier.weight"].shape == saved["classifier.weight"].shape
    assert not np.allclose(state["classifier.weight"], saved["classifier.weight"])  # not the folder's head
    assert model.config.id2label == {0: "not_negative", 1: "negative"}
    ids = tok("捷運停擺 MRT")["input_ids"]
    assert tok.unk_token_id not in ids and len(set(ids)) == len(ids)  # the folder's own vocabulary, per character

    seven = Task({i: f"e{i}" for i in range(7)}, (1, 2, 3, 4))
    model7, _ = teacher_from_folder(tiny_model, seven)
    assert model7.config.num_labels == 7 and model7.classifier.weight.shape[0] == 7


def test_teacher_from_folder_names_a_bad_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"{tmp_path}: not a transformers model folder"):
        teacher_from_folder(tmp_path)
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{tmp_path}: cannot load it as a teacher"):
        teacher_from_folder(tmp_path)


def _student_with_another_vocabulary() -> tuple[object, object]:
    """A fresh tiny BERT whose token ids for the test texts lie beyond the teacher's vocabulary."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    filler = [chr(c) for c in range(0x9000, 0x9000 + 3000)]
    chars = sorted({ch for t in TEXTS for ch in t if not ch.isspace()} - set(filler))
    vocab = SPECIAL + filler + chars + [chr(c) for c in range(33, 127) if chr(c) not in chars]
    tok = BertTokenizer(vocab={piece: i for i, piece in enumerate(vocab)}, do_lower_case=False)
    config = BertConfig(vocab_size=len(vocab), hidden_size=64, num_hidden_layers=1, num_attention_heads=1,
                        intermediate_size=128, max_position_embeddings=128)
    return BertForSequenceClassification(config), tok


def test_distil_reads_each_model_through_its_own_tokenizer(tiny_model: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    teacher = AutoModelForSequenceClassification.from_pretrained(tiny_model)
    teacher_tok = AutoTokenizer.from_pretrained(tiny_model)
    student, tok = _student_with_another_vocabulary()
    assert max(tok("市府獲國際大獎")["input_ids"]) >= teacher.config.vocab_size  # the vocabularies differ
    teacher_pred = logits_of(teacher, teacher_tok, TEXTS).argmax(1)
    assert list(teacher_pred) == LABELS  # the tiny teacher has learnt its toy task
    before = logits_of(student, tok, TEXTS).argmax(1)

    # soft labels only (label_weight 0), and the hard labels given are the wrong ones: whatever the
    # student learns must come from the teacher, read through the teacher's own tokenizer
    hp = Hyper(student_epochs=40, student_lr=2e-3, batch_size=8, label_weight=0.0)
    wrong = [1 - y for y in LABELS]
    distil(student, tok, teacher, teacher_tok, TEXTS, wrong, ["市府又獲大獎", "捷運火災"], hp, log=lambda _: None)
    after = logits_of(student, tok, TEXTS).argmax(1)
    assert (before == teacher_pred).mean() < 0.9  # a fresh student does not agree by chance
    assert (after == teacher_pred).mean() >= 0.9
