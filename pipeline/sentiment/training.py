"""``newsdesk sentiment train``: fine-tune a model folder on labelled files and officers' corrections.

Continues training the base model (by default the configured one) and writes a new folder; point
``sentiment.model`` at it to use it. The calibration temperature is refitted on ``calibrate``
examples when given (for the average with the lexical model when the folder has one), else carried
over from the base.

When the base folder has a lexical model (``lexical.json``, averaged with the transformer's score),
it is refitted on the same examples if there are at least ``LEXICAL_MIN_EXAMPLES`` of them, and
copied unchanged otherwise (a few dozen corrections alone would make a poor n-gram model).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.sentiment import REBUILD_COMMAND, ModelError
from pipeline.sentiment.baseline import CharNgramLogReg
from pipeline.sentiment.data import Example
from pipeline.sentiment.hf import folder_labels, load_lexical, map_labels, read_json
from pipeline.sentiment.text import prepare

LEXICAL_MIN_EXAMPLES = 200


def class_sets(id2label: dict[int, str], labels: dict[str, str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(classes that mean negative, classes that do not) in the model's head.

    A correction "negative" trains toward the first set, "not negative" toward the second (any of
    its classes: a neutral or a surprised headline is not negative)."""
    mapped = map_labels(id2label, labels)
    neg = tuple(sorted(i for i, v in mapped.items() if v == "negative"))
    rest = tuple(sorted(i for i, v in mapped.items() if v != "negative"))
    if not neg or not rest:
        raise ModelError(f"training needs a negative and a not-negative label, got {mapped}")
    return neg, rest


def train_model(base: str, examples: Sequence[Example], out: Path, *, labels: dict[str, str] | None = None,
                epochs: int = 3, lr: float = 3e-5, batch_size: int = 16,
                calibrate: Sequence[Example] = (), seed: int = 13,
                log: Callable[[str], None] = print,
                progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Fine-tune ``base`` on ``examples`` into ``out``; ``progress`` gets the texts done after each batch
    (``epochs * len(examples)`` in all)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from pipeline.sentiment import recipe

    hf_logging.disable_progress_bar()

    if not examples:
        raise ModelError("nothing to train on: give --data FILE or mark some alerts first")
    base_path = Path(base)
    local = base_path.exists()
    try:
        tok = AutoTokenizer.from_pretrained(base, local_files_only=local)
        model = AutoModelForSequenceClassification.from_pretrained(base, local_files_only=local,
                                                                   dtype=torch.float32)
    except Exception as exc:  # noqa: BLE001 - any failure to load is reported the same way
        raise ModelError(f"cannot load base model {base}: {type(exc).__name__}: {exc}; "
                         f"rebuild it with `{REBUILD_COMMAND}`") from None
    stored_dtype = _stored_dtype(base_path) if local else torch.float32
    base_info = _base_info(base_path) if local else {}
    labels = labels or folder_labels(base_info)
    neg, other = class_sets({int(k): v for k, v in model.config.id2label.items()}, labels)
    texts = [prepare(e.text) for e in examples]
    ids = [neg if e.label else other for e in examples]
    recipe._seed(seed)
    log(f"training {base} on {len(texts)} examples ({sum(e.label for e in examples)} negative), "
        f"{epochs} epochs")
    recipe.fine_tune(model, tok, texts, ids, epochs=epochs, lr=lr, batch_size=batch_size, log=log,
                     progress=progress)
    temperature = _base_temperature(base_path) if local else 1.0
    out.mkdir(parents=True, exist_ok=True)
    model.to(stored_dtype).save_pretrained(out)
    tok.save_pretrained(out)
    info: dict[str, Any] = {k: base_info[k] for k in ("name", "attn_implementation", "labels")
                            if k in base_info}
    info.update({"name": info.get("name", base_path.name), "base": str(base),
                 "version": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
                 "trained_on": len(examples),
                 "corrections": sum(e.origin.startswith("correction:") for e in examples)})
    spec = base_info.get("lexical") if local else None
    if isinstance(spec, dict) and isinstance(spec.get("file"), str):
        info["lexical"] = _lexical(base_path, spec, texts, [int(e.label) for e in examples], out, log)
    (out / "newsdesk.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    if calibrate:
        cal_texts = [prepare(e.text) for e in calibrate]
        logits = recipe.logits_of(model, tok, cal_texts)
        lexical, weight = load_lexical(out, info)
        if lexical is not None:  # the folder's score is the average: calibrate that
            temperature = recipe.fit_blend_temperature(logits, lexical.predict(cal_texts),
                                                       [int(e.label) for e in calibrate], weight, neg)
        else:
            temperature = recipe.fit_temperature(logits, [neg if e.label else other for e in calibrate])
    (out / "calibration.json").write_text(json.dumps({"temperature": temperature}), encoding="utf-8")
    if local and (base_path / "MODEL.md").is_file():
        shutil.copy(base_path / "MODEL.md", out / "MODEL.md")
    return info


def _lexical(base: Path, spec: dict[str, Any], texts: Sequence[str], labels: Sequence[int], out: Path,
             log: Callable[[str], None]) -> dict[str, Any]:
    """Refit (or copy) the base's lexical model into ``out``; its ``newsdesk.json`` entry."""
    name = Path(spec["file"]).name
    if len(texts) >= LEXICAL_MIN_EXAMPLES and 0 < sum(labels) < len(labels):
        CharNgramLogReg().fit(texts, labels).save(out / name)
        log(f"lexical model refitted on {len(texts)} examples")
        return {**spec, "file": name, "trained_on": len(texts)}
    source = base / spec["file"]
    if not source.is_file():
        raise ModelError(f"lexical model {source} is missing; rebuild the folder with `{REBUILD_COMMAND}`")
    shutil.copy(source, out / name)
    log(f"lexical model copied from the base (fewer than {LEXICAL_MIN_EXAMPLES} examples, "
        "or only one class, to refit it on)")
    return {**spec, "file": name}


def _stored_dtype(path: Path) -> Any:
    import torch

    name = str(read_json(path / "config.json").get("dtype") or "float32")
    value = getattr(torch, name, torch.float32)
    return value if isinstance(value, torch.dtype) else torch.float32


def _base_temperature(path: Path) -> float:
    cal = path / "calibration.json"
    return float(read_json(cal).get("temperature", 1.0)) if cal.is_file() else 1.0


def _base_info(path: Path) -> dict[str, Any]:
    meta = path / "newsdesk.json"
    return read_json(meta) if meta.is_file() else {}
