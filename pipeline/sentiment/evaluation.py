"""``newsdesk sentiment eval``: accuracy, negative-class precision/recall/F1, confusion, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.sentiment.recipe import metrics


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 5) -> list[dict[str, float]]:
    """Per probability bin: how many texts, mean predicted P(negative), observed share negative."""
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if sel.any():
            rows.append({"from": float(lo), "to": float(hi), "n": int(sel.sum()),
                         "predicted": float(p[sel].mean()), "observed": float(y[sel].mean())})
    return rows


def evaluate(scores: Sequence[float], labels: Sequence[int], threshold: float) -> dict[str, Any]:
    p = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    report: dict[str, Any] = {"n": len(y), "negative": int(y.sum()), "threshold": threshold}
    report.update(metrics(p, list(y), threshold))
    report["brier"] = float(((p - y) ** 2).mean()) if len(y) else 0.0
    report["reliability"] = reliability(p, y)
    return report


def format_report(report: dict[str, Any], title: str) -> str:
    r = report
    lines = [
        title,
        f"  texts {r['n']} (negative {r['negative']}), threshold {r['threshold']:.2f}",
        f"  accuracy {r['accuracy']:.3f}",
        f"  negative class: precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}",
        "  confusion (rows: true, columns: predicted)",
        "                   negative  not_negative",
        f"    negative       {r['tp']:8d}  {r['fn']:12d}",
        f"    not_negative   {r['fp']:8d}  {r['tn']:12d}",
        f"  calibration: ECE {r['ece']:.3f}  Brier {r['brier']:.3f}",
        "    P(negative) bin   texts  predicted  observed",
    ]
    for b in r["reliability"]:
        lines.append(f"    {b['from']:.1f}-{b['to']:.1f}        {b['n']:6d}  "
                     f"{b['predicted']:9.3f}  {b['observed']:8.3f}")
    return "\n".join(lines)


def baseline_cv(texts: Sequence[str], labels: Sequence[int], k: int, threshold: float) -> dict[str, Any]:
    """The char n-gram logistic regression, cross-validated with near-duplicates grouped."""
    from pipeline.sentiment.baseline import CharNgramLogReg
    from pipeline.sentiment.folds import grouped_folds

    folds = np.asarray(grouped_folds(texts, k))
    y = np.asarray(labels)
    p = np.zeros(len(texts))
    for f in range(k):
        tr, te = np.where(folds != f)[0], np.where(folds == f)[0]
        model = CharNgramLogReg().fit([texts[i] for i in tr], list(y[tr]))
        p[te] = model.predict([texts[i] for i in te])
    return evaluate(list(p), labels, threshold)
