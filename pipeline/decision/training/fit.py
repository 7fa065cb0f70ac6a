"""Fit the decision's last layer on held-out labelled items: the combiner, the router, the threshold.

The network and the lexical model are trained on our labels; the office's own labelled July items
(``needs-response-dev.csv``) are kept out of that and serve here, where few parameters are fitted:
the combiner's 11 weights (an L2-regularised logistic regression), the router's bonus (a grid) and
the threshold (the F1-best on cross-validated scores). ``cross_validate`` gives the figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.decision import CITY_WIDE, NO_AGENCY
from pipeline.decision.combine import FEATURES, Combiner, Router

BONUSES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def fit_combiner(rows: np.ndarray, y: Sequence[int], *, l2: float = 1.0,
                 weights: Sequence[float] | None = None) -> Combiner:
    """Logistic regression on the combiner's input rows (:func:`~pipeline.decision.combine.matrix`), by
    Newton's method (a few features: it converges in a handful of steps)."""
    x = np.hstack([np.asarray(rows, dtype=np.float64), np.ones((len(rows), 1))])
    t = np.asarray(y, dtype=np.float64)
    sw = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=np.float64)
    reg = np.full(x.shape[1], l2)
    reg[-1] = 0.0  # no penalty on the bias
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (sw * (p - t)) + reg * w
        hess = (x * (sw * p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Combiner(tuple(float(v) for v in w[:-1]), float(w[-1]))


def best_threshold(scores: np.ndarray, y: Sequence[int], grid: Sequence[float] | None = None) -> float:
    """The threshold with the highest F1 (ties: the higher threshold, fewer alerts)."""
    grid = grid or [round(v, 2) for v in np.arange(0.1, 0.91, 0.01)]
    t = np.asarray(y, dtype=bool)
    best = (-1.0, 0.5)
    for th in grid:
        f = prf(scores >= th, t)[2]
        if f >= best[0]:
            best = (f, th)
    return best[1]


def prf(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(pred & gold))
    p = tp / max(1.0, float(np.sum(pred)))
    r = tp / max(1.0, float(np.sum(gold)))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def folds(n: int, k: int = 5, seed: int = 13) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    return [order[i::k] for i in range(k)]


def cross_validate(rows: np.ndarray, y: Sequence[int], k: int = 5, seed: int = 13) -> np.ndarray:
    """Out-of-fold combiner scores (each fold scored by a combiner fitted on the others)."""
    out = np.zeros(len(y))
    ys = np.asarray(y)
    for test in folds(len(y), k, seed):
        train = np.setdiff1d(np.arange(len(y)), test)
        out[test] = fit_combiner(rows[train], ys[train].tolist()).score_matrix(rows[test])
    return out


def fit_router(heads: Sequence[dict[str, float]], matched: Sequence[dict[str, list[str]]],
               gold: Sequence[str], candidates: Sequence[str]) -> tuple[Router, dict[str, float]]:
    """The bonus that routes best: mean of accuracy on all items and on items with a specific bureau."""
    specific = [g not in (CITY_WIDE, NO_AGENCY) for g in gold]
    best: tuple[float, Router, dict[str, float]] | None = None
    for bonus in BONUSES:
        router = Router(bonus=bonus)
        got = [router.route(h, m, candidates)[0] or NO_AGENCY for h, m in zip(heads, matched, strict=True)]
        hits = [a == g for a, g in zip(got, gold, strict=True)]
        acc = float(np.mean(hits)) if hits else 0.0
        spec = [h for h, s in zip(hits, specific, strict=True) if s]
        acc_spec = float(np.mean(spec)) if spec else 0.0
        value = (acc + acc_spec) / 2
        if best is None or value > best[0]:
            best = (value, router, {"accuracy": acc, "specific_accuracy": acc_spec, "bonus": bonus})
    assert best is not None
    return best[1], best[2]


__all__ = ["FEATURES", "best_threshold", "cross_validate", "fit_combiner", "fit_router", "folds", "prf"]
