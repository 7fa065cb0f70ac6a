"""The lexical half of the decision: character 1-3-gram TF-IDF with one linear layer per question.

It reads place and agency names, officials and complaint words as they are written, where the
transformer reads meaning; the two make different mistakes and the combiner weighs them
(:mod:`pipeline.decision.combine`). Outputs: P(government) over :data:`~pipeline.decision.GOVERNMENTS`
(softmax), P(needs a response) (sigmoid) and, when fitted, P(answering agency) over the office's
agencies (softmax; learned from the items of the office's government that name one): agency names and
the things each bureau answers for (幼兒園, 行道樹, 公車, 大巨蛋) are words, which this half reads well.
Fitted by L-BFGS on a sparse matrix (torch), stored as ``lexical.safetensors`` (idf in float16,
weights in int8 with a scale per n-gram) with ``lexical.json`` (the n-grams).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.sentiment.baseline import tfidf_matrix, vocabulary


class LexicalModel:
    def __init__(self, classes: Sequence[str], c: float = 8.0, min_df: int = 3) -> None:
        self.classes = tuple(classes)
        self.c = c
        self.min_df = min_df
        self.index: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.weights = np.zeros((0, len(self.classes) + 1), dtype=np.float32)  # last column: response
        self.bias = np.zeros(len(self.classes) + 1, dtype=np.float32)
        self.agencies: tuple[str, ...] = ()  # columns after the response column, when fitted

    def _matrix(self, texts: Sequence[str]) -> Any:
        return tfidf_matrix(texts, self.index, self.idf)

    def fit(self, texts: Sequence[str], governments: Sequence[str], responses: Sequence[int],
            weights: Sequence[float] | None = None) -> LexicalModel:
        import torch

        self.index, self.idf = vocabulary(texts, self.min_df)
        x = self._matrix(texts)
        yg = torch.tensor([self.classes.index(g) for g in governments])
        yr = torch.tensor([float(r) for r in responses])
        sw = torch.tensor(list(weights) if weights is not None else [1.0] * len(texts), dtype=torch.float32)
        k = len(self.classes)
        w = torch.zeros((len(self.index), k + 1), requires_grad=True)
        b = torch.zeros(k + 1, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            z = torch.sparse.mm(x, w) + b
            ce = torch.nn.functional.cross_entropy(z[:, :k], yg, reduction="none")
            bce = torch.nn.functional.binary_cross_entropy_with_logits(z[:, k], yr, reduction="none")
            loss = ((ce + bce) * sw).sum() + 0.5 / self.c * (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        self.weights = w.detach().numpy().astype(np.float32)
        self.bias = b.detach().numpy().astype(np.float32)
        return self

    def fit_agencies(self, texts: Sequence[str], agencies: Sequence[str | None], classes: Sequence[str],
                     c: float | None = None) -> LexicalModel:
        """Add the agency columns, learned from the texts whose agency is one of ``classes`` (others,
        None included, are left out); the government and response columns stay as they are."""
        import torch

        keep = [i for i, a in enumerate(agencies) if a in classes]
        x = self._matrix([texts[i] for i in keep])
        y = torch.tensor([list(classes).index(str(agencies[i])) for i in keep])
        w = torch.zeros((len(self.index), len(classes)), requires_grad=True)
        b = torch.zeros(len(classes), requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")
        reg = 0.5 / (c or self.c)

        def closure() -> torch.Tensor:
            opt.zero_grad()
            z = torch.sparse.mm(x, w) + b
            loss = torch.nn.functional.cross_entropy(z, y, reduction="sum") + reg * (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        k = len(self.classes) + 1
        self.weights = np.concatenate([self.weights[:, :k], w.detach().numpy().astype(np.float32)], axis=1)
        self.bias = np.concatenate([self.bias[:k], b.detach().numpy().astype(np.float32)])
        self.agencies = tuple(classes)
        return self

    def agency(self, texts: Sequence[str]) -> np.ndarray | None:
        """P(answering agency) [n, len(agencies)], or None when the agency columns were not fitted."""
        return self.predict_all(texts)[2] if self.agencies else None

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        # a sparse product: gathering weights[cols] for every n-gram of every text took ~1 GB for 3,000 leads
        import torch

        z = np.tile(self.bias.astype(np.float64), (len(texts), 1))
        if texts:
            w = torch.from_numpy(np.ascontiguousarray(self.weights, dtype=np.float32))
            z += torch.sparse.mm(self._matrix(texts), w).double().numpy()
        return z

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(P(government) [n, classes], P(needs a response) [n])."""
        g, r, _a = self.predict_all(texts)
        return g, r

    def predict_all(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(P(government), P(needs a response), P(agency) or None) from one pass over the n-grams."""
        z = self.logits(texts)
        k = len(self.classes)
        return _softmax(z[:, :k]), 1.0 / (1.0 + np.exp(-z[:, k])), _softmax(z[:, k + 1:]) if self.agencies else None

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        grams = sorted(self.index, key=self.index.__getitem__)
        meta = {"kind": "char-ngram-multi", "n_max": 3, "c": self.c, "min_df": self.min_df,
                "classes": list(self.classes), "agencies": list(self.agencies), "grams": grams}
        (folder / "lexical.json").write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")),
                                             encoding="utf-8")
        # weights as int8 with one scale per n-gram (like the network's word embeddings): half of float16
        scale = np.maximum(np.abs(self.weights).max(axis=1, keepdims=True), 1e-8) / 127
        save_file({"idf": self.idf.astype(np.float16), "weights.int8": np.round(self.weights / scale).astype(np.int8),
                   "weights.scale": scale.astype(np.float16), "bias": self.bias.astype(np.float32)},
                  str(folder / "lexical.safetensors"))

    @classmethod
    def load(cls, folder: Path) -> LexicalModel:
        from safetensors.numpy import load_file

        meta: dict[str, Any] = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        if meta.get("kind") != "char-ngram-multi":
            raise ValueError(f"kind is {meta.get('kind')!r}, expected 'char-ngram-multi'")
        tensors = load_file(str(folder / "lexical.safetensors"))
        model = cls(meta["classes"], c=float(meta["c"]), min_df=int(meta["min_df"]))
        model.index = {str(g): i for i, g in enumerate(meta["grams"])}
        model.idf = tensors["idf"].astype(np.float32)
        if "weights.int8" in tensors:
            model.weights = tensors["weights.int8"].astype(np.float32) * tensors["weights.scale"].astype(np.float32)
        else:
            model.weights = tensors["weights"].astype(np.float32)
        model.bias = tensors["bias"].astype(np.float32)
        model.agencies = tuple(str(a) for a in meta.get("agencies") or ())
        if model.weights.shape[1] != len(model.classes) + 1 + len(model.agencies):
            raise ValueError("the weights' columns do not match the classes and agencies")
        if not (len(model.index) == len(model.idf) == len(model.weights)):
            raise ValueError("n-grams, idf and weights differ in length")
        return model


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
