"""A ``transformers`` sequence classifier as a :class:`~pipeline.sentiment.Scorer`.

Loads from a local folder (or a Hugging Face id when the machine has the model cached/online) with
``AutoTokenizer`` + ``AutoModelForSequenceClassification``, in the dtype the folder stores (the
shipped model is bfloat16, which 2 CPU cores run about twice as fast as float32). The label mapping
comes from the settings, else from ``"labels"`` in the folder's ``newsdesk.json`` (a model with
one class per emotion maps each to negative / not_negative there), else the model's ``id2label``.
``calibration.json`` in the folder (``{"temperature": T}``) rescales logits so the probability is calibrated.

A folder may also carry a lexical model (``newsdesk.json``: ``"lexical": {"file": "lexical.json",
"weight": w}``, a character n-gram logistic regression, :mod:`pipeline.sentiment.baseline`): the
score is then ``(1 - w) * P_transformer + w * P_lexical``. The shipped model does this (MODEL.md).

Texts are prepared by :func:`pipeline.sentiment.text.prepare` (URLs dropped, long texts cut to
title + lead) and batched by length, so padding costs little; scores come back in input order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.sentiment import REBUILD_COMMAND, ModelError, recipe
from pipeline.sentiment.baseline import CharNgramLogReg
from pipeline.sentiment.text import prepare


def map_labels(id2label: dict[int, str], override: dict[str, str]) -> dict[int, str]:
    if override:
        out = {}
        for i, name in id2label.items():
            if name not in override:
                raise ModelError(f"sentiment.labels has no entry for the model's label {name!r} "
                                 f"(the model's labels are {sorted(id2label.values())})")
            out[i] = override[name]
        if "negative" not in out.values():
            raise ModelError(f"sentiment.labels maps none of {sorted(id2label.values())} to 'negative'")
        return out
    mapped = {}
    for i, name in id2label.items():
        low = name.lower()
        if low in ("negative", "not_negative", "neutral"):
            mapped[i] = low
        elif low in ("positive", "pos"):
            mapped[i] = "not_negative"
        else:
            raise ModelError(
                f"cannot tell which of the model's labels {sorted(id2label.values())} is negative: "
                "set sentiment.labels in the settings")
    if "negative" not in mapped.values():
        raise ModelError(f"no label of {sorted(id2label.values())} maps to 'negative': set sentiment.labels")
    return mapped


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is unreadable ({exc}); rebuild the folder with `{REBUILD_COMMAND}`"
                         ) from None
    if not isinstance(data, dict):
        raise ModelError(f"{path} is not a JSON object; rebuild the folder with `{REBUILD_COMMAND}`")
    return data


class TransformersScorer:
    def __init__(self, model: str, labels: dict[str, str] | None = None, *, max_length: int = 128,
                 batch_size: int = 32) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # stderr belongs to newsdesk's own messages
        path = Path(model)
        local = path.exists() or model.startswith((".", "/"))
        if local and not (path / "config.json").is_file():
            raise ModelError(f"sentiment model folder {path} is missing or has no config.json; "
                             f"rebuild it with `{REBUILD_COMMAND}`")
        info: dict[str, Any] = {}
        if local and (path / "newsdesk.json").is_file():
            info = read_json(path / "newsdesk.json")
        extra = {"attn_implementation": info["attn_implementation"]} if "attn_implementation" in info else {}
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=local)
            self.model = AutoModelForSequenceClassification.from_pretrained(
                model, local_files_only=local, dtype="auto", **extra)
        except Exception as exc:  # noqa: BLE001 - transformers raises many kinds for a broken folder
            where = f"folder {path}" if local else f"model {model!r}"
            raise ModelError(f"cannot load sentiment {where}: {type(exc).__name__}: {exc}; "
                             f"rebuild it with `{REBUILD_COMMAND}`") from None
        self.model.eval()
        self.labels = map_labels({int(k): v for k, v in self.model.config.id2label.items()},
                                 labels or folder_labels(info))
        self.neg_ids = [i for i, v in self.labels.items() if v == "negative"]
        self.temperature = 1.0
        if local:
            if (path / "calibration.json").is_file():
                self.temperature = float(read_json(path / "calibration.json").get("temperature", 1.0))
                if not math.isfinite(self.temperature) or self.temperature <= 0:
                    raise ModelError(f"{path / 'calibration.json'}: temperature must be > 0, "
                                     f"got {self.temperature}")
        self.lexical: CharNgramLogReg | None = None
        self.lexical_weight = 0.0
        if local:
            self.lexical, self.lexical_weight = load_lexical(path, info)
        self.name = str(info.get("name", path.name if local else model))
        self.version = str(info.get("version", getattr(self.model.config, "_commit_hash", None) or "local"))
        self.max_length = max_length
        self.batch_size = batch_size

    def logits(self, texts: Sequence[str]) -> Any:
        """Raw logits (float32 tensor, input order), before calibration."""
        import torch

        prepared = [prepare(t) for t in texts]
        order = sorted(range(len(prepared)), key=lambda i: len(prepared[i]))
        out = torch.zeros((len(prepared), len(self.labels)))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                enc = self.tokenizer([prepared[i] for i in idx], padding=True, truncation=True,
                                     max_length=self.max_length, return_tensors="pt")
                enc = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
                out[idx] = self.model(**enc).logits.float()
        return out

    def score(self, texts: Sequence[str]) -> list[float]:
        """Calibrated P(negative); with a lexical half, the same ``recipe.blend`` that calibration fits."""
        if not texts:
            return []
        logits = self.logits(texts).numpy().astype(np.float64)
        if self.lexical is None:
            p = recipe.p_negative(logits, self.temperature, self.neg_ids)
        else:
            lex = self.lexical.predict([prepare(t) for t in texts])
            p = recipe.blend(logits, lex, self.temperature, self.lexical_weight, self.neg_ids)
        return [float(v) for v in p]


def folder_labels(info: dict[str, Any]) -> dict[str, str]:
    """The class mapping a folder's ``newsdesk.json`` carries (``"labels"``), or none."""
    labels = info.get("labels")
    return labels if isinstance(labels, dict) else {}


def load_lexical(path: Path, info: dict[str, Any]) -> tuple[CharNgramLogReg | None, float]:
    """The folder's lexical model and its weight, or (None, 0.0) when it has none."""
    spec = info.get("lexical")
    if not spec:
        return None, 0.0
    where = path / "newsdesk.json"
    if not isinstance(spec, dict) or not isinstance(spec.get("file"), str):
        raise ModelError(f"{where}: \"lexical\" must be {{\"file\": ..., \"weight\": ...}}; "
                         f"rebuild the folder with `{REBUILD_COMMAND}`")
    weight = spec.get("weight", 0.5)
    if not isinstance(weight, int | float) or not 0.0 <= weight <= 1.0:
        raise ModelError(f"{where}: lexical weight must be a number from 0 to 1, got {weight!r}")
    file = path / spec["file"]
    try:
        model = CharNgramLogReg.load(file)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"lexical model {file} is unreadable ({type(exc).__name__}: {exc}); "
                         f"rebuild the folder with `{REBUILD_COMMAND}`") from None
    return model, float(weight)
