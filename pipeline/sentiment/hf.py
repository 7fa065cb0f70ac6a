"""A ``transformers`` sequence classifier as a :class:`~pipeline.sentiment.Scorer`.

Loads from a local folder (or a Hugging Face id when the machine has the model cached/online) with
``AutoTokenizer`` + ``AutoModelForSequenceClassification``. The label mapping comes from the settings
or the model's ``id2label``; ``calibration.json`` in the folder (``{"temperature": T}``) rescales
logits so the probability is calibrated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from pipeline.sentiment import REBUILD_COMMAND, ModelError

_NEG = re.compile(r"neg|負|label_0", re.I)


def _map_labels(id2label: dict[int, str], override: dict[str, str]) -> dict[int, str]:
    if override:
        out = {}
        for i, name in id2label.items():
            if name not in override:
                raise ModelError(f"sentiment.labels has no entry for the model's label {name!r}")
            out[i] = override[name]
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


class TransformersScorer:
    def __init__(self, model: str, labels: dict[str, str] | None = None, *, max_length: int = 128,
                 batch_size: int = 32) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(model)
        local = path.exists() or model.startswith((".", "/"))
        if local and not (path / "config.json").is_file():
            raise ModelError(f"sentiment model folder {path} is missing or has no config.json; "
                             f"rebuild it with `{REBUILD_COMMAND}`")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=local)
            self.model = AutoModelForSequenceClassification.from_pretrained(model, local_files_only=local)
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            where = f"folder {path}" if local else f"model {model!r}"
            raise ModelError(f"cannot load sentiment {where}: {exc}; rebuild it with `{REBUILD_COMMAND}`"
                             ) from None
        self.model.eval()
        torch.set_grad_enabled(False)
        self.labels = _map_labels({int(k): v for k, v in self.model.config.id2label.items()}, labels or {})
        self.neg_ids = [i for i, v in self.labels.items() if v == "negative"]
        cal = path / "calibration.json" if local else None
        self.temperature = 1.0
        if cal is not None and cal.is_file():
            self.temperature = float(json.loads(cal.read_text()).get("temperature", 1.0))
        meta = path / "newsdesk.json" if local else None
        info = json.loads(meta.read_text()) if meta is not None and meta.is_file() else {}
        self.name = str(info.get("name", path.name if local else model))
        self.version = str(info.get("version", getattr(self.model.config, "_commit_hash", None) or "local"))
        self.max_length = max_length
        self.batch_size = batch_size

    def score(self, texts: Sequence[str]) -> list[float]:
        import torch

        out: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = [t if t.strip() else "。" for t in texts[start:start + self.batch_size]]
            enc = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt")
            logits = self.model(**enc).logits / self.temperature
            probs = torch.softmax(logits, dim=-1)
            out.extend(probs[:, self.neg_ids].sum(dim=-1).tolist())
        return out
