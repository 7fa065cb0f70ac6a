"""The comparison baseline: character 1-3-gram TF-IDF + logistic regression (torch, L-BFGS).

Not used for scoring; ``newsdesk sentiment eval --cv`` reports it beside the model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np


def ngrams(text: str, n_max: int = 3) -> list[str]:
    t = "".join(text.split())
    return [t[i:i + n] for n in range(1, n_max + 1) for i in range(len(t) - n + 1)]


class CharNgramLogReg:
    def __init__(self, c: float = 4.0, min_df: int = 2) -> None:
        self.c = c
        self.min_df = min_df
        self.index: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.weights = np.zeros(0, dtype=np.float32)
        self.bias = 0.0

    def _matrix(self, texts: Sequence[str]) -> np.ndarray:
        x = np.zeros((len(texts), len(self.index)), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram, count in Counter(ngrams(text)).items():
                col = self.index.get(gram)
                if col is not None:
                    x[row, col] = 1.0 + math.log(count)
        x *= self.idf
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return x / np.maximum(norms, 1e-9)

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> CharNgramLogReg:
        import torch

        df = Counter(g for t in texts for g in set(ngrams(t)))
        grams = sorted(g for g, n in df.items() if n >= self.min_df)
        self.index = {g: i for i, g in enumerate(grams)}
        self.idf = np.array([math.log((1 + len(texts)) / (1 + df[g])) + 1 for g in grams], dtype=np.float32)
        x = torch.from_numpy(self._matrix(texts))
        y = torch.tensor(labels, dtype=torch.float32)
        w = torch.zeros(x.shape[1], requires_grad=True)
        b = torch.zeros((), requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=200, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y, reduction="sum")
            loss = loss + 0.5 / self.c * (w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        self.weights = w.detach().numpy()
        self.bias = float(b.detach())
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """P(negative) for each text."""
        z = self._matrix(texts) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)))
