"""Character 1-3-gram TF-IDF + logistic regression (torch, L-BFGS, sparse).

Two uses: the comparison baseline (``newsdesk sentiment eval --baseline-cv``), and the lexical half
of the shipped model, whose score is averaged with the transformer's (``lexical.json`` in the model
folder; see :mod:`pipeline.sentiment.hf` and MODEL.md). Needs only numpy and torch.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

KIND = "char-ngram-logreg"


def ngrams(text: str, n_max: int = 3) -> list[str]:
    t = "".join(text.split())
    return [t[i:i + n] for n in range(1, n_max + 1) for i in range(len(t) - n + 1)]


def vocabulary(texts: Sequence[str], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    """The n-grams in at least ``min_df`` texts (column index) and their smoothed idf."""
    df = Counter(g for t in texts for g in set(ngrams(t)))
    grams = sorted(g for g, n in df.items() if n >= min_df)
    idf = np.array([math.log((1 + len(texts)) / (1 + df[g])) + 1 for g in grams], dtype=np.float32)
    return {g: i for i, g in enumerate(grams)}, idf


def tfidf_rows(texts: Sequence[str], index: dict[str, int], idf: np.ndarray
               ) -> tuple[list[int], list[int], list[float]]:
    """Sparse (row, column, value) of the L2-normalised sublinear TF-IDF matrix."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, text in enumerate(texts):
        found = [(index[g], (1.0 + math.log(n)) * float(idf[index[g]]))
                 for g, n in Counter(ngrams(text)).items() if g in index]
        norm = math.sqrt(sum(v * v for _, v in found)) or 1.0
        for col, v in found:
            rows.append(row)
            cols.append(col)
            vals.append(v / norm)
    return rows, cols, vals


def tfidf_matrix(texts: Sequence[str], index: dict[str, int], idf: np.ndarray) -> Any:
    """The same matrix as a torch sparse tensor [len(texts), len(index)]."""
    import torch

    rows, cols, vals = tfidf_rows(texts, index, idf)
    indices = torch.tensor([rows, cols], dtype=torch.long).reshape(2, len(rows))
    return torch.sparse_coo_tensor(indices, torch.tensor(vals, dtype=torch.float32),
                                   (len(texts), len(index)), check_invariants=False).coalesce()


class CharNgramLogReg:
    def __init__(self, c: float = 4.0, min_df: int = 2) -> None:
        self.c = c
        self.min_df = min_df
        self.index: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.weights = np.zeros(0, dtype=np.float32)
        self.bias = 0.0

    def _rows(self, texts: Sequence[str]) -> tuple[list[int], list[int], list[float]]:
        return tfidf_rows(texts, self.index, self.idf)

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> CharNgramLogReg:
        import torch

        self.index, self.idf = vocabulary(texts, self.min_df)
        x = tfidf_matrix(texts, self.index, self.idf)
        y = torch.tensor(list(labels), dtype=torch.float32)
        w = torch.zeros(len(self.index), requires_grad=True)
        b = torch.zeros((), requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=200, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            z = torch.sparse.mm(x, w.unsqueeze(1)).squeeze(1) + b
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum")
            loss = loss + 0.5 / self.c * (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        self.weights = w.detach().numpy()
        self.bias = float(b.detach())
        return self

    def logit(self, texts: Sequence[str]) -> np.ndarray:
        z = np.full(len(texts), self.bias, dtype=np.float64)
        rows, cols, vals = self._rows(texts)
        if rows:
            np.add.at(z, np.asarray(rows), self.weights[np.asarray(cols)] * np.asarray(vals))
        return z

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """P(negative) for each text."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.logit(texts))))

    def to_dict(self) -> dict[str, Any]:
        grams = sorted(self.index, key=self.index.__getitem__)
        return {"kind": KIND, "n_max": 3, "c": self.c, "min_df": self.min_df, "bias": self.bias,
                "grams": grams, "idf": [round(float(v), 6) for v in self.idf],
                "weights": [round(float(v), 6) for v in self.weights]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CharNgramLogReg:
        if data.get("kind") != KIND:
            raise ValueError(f"kind is {data.get('kind')!r}, expected {KIND!r}")
        grams, idf, weights = data["grams"], data["idf"], data["weights"]
        if not (len(grams) == len(idf) == len(weights)):
            raise ValueError(f"grams, idf and weights differ in length ({len(grams)}, {len(idf)}, "
                             f"{len(weights)})")
        model = cls(c=float(data.get("c", 4.0)), min_df=int(data.get("min_df", 2)))
        model.index = {str(g): i for i, g in enumerate(grams)}
        model.idf = np.asarray(idf, dtype=np.float32)
        model.weights = np.asarray(weights, dtype=np.float32)
        model.bias = float(data["bias"])
        return model

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n",
                        encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CharNgramLogReg:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
