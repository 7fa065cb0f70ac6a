"""The decision's figures on labelled items: alerts, governments, routing (the issue's measures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.decision import CITY_WIDE, GOVERNMENTS, NO_AGENCY, Decision
from pipeline.decision.training.data import Labelled
from pipeline.decision.training.fit import prf
from pipeline.settings import Settings


def report(rows: Sequence[Labelled], decisions: Sequence[Decision], settings: Settings,
           scores: np.ndarray | None = None) -> dict[str, Any]:
    """Alert P/R/F1 (alert = our government and needs a response), other governments' alert rate,
    the government confusion and routing accuracy. ``scores`` replaces the decisions' own scores
    (out-of-fold scores for cross-validated figures)."""
    ours = settings.office.government
    s = np.asarray([d.score for d in decisions]) if scores is None else np.asarray(scores)
    alert = s >= settings.decision.threshold
    gold = np.asarray([r.government == ours and r.response == 1 for r in rows])
    p, r, f = prf(alert, gold)
    others = [i for i, x in enumerate(rows) if x.government not in (ours, "NONE")]
    none = [i for i, x in enumerate(rows) if x.government == "NONE"]
    confusion = {g: {h: 0 for h in GOVERNMENTS} for g in GOVERNMENTS}
    for x, d in zip(rows, decisions, strict=True):
        confusion[x.government][d.government] += 1
    routed = [(x.agency, d.agency or NO_AGENCY) for x, d, a in zip(rows, decisions, alert, strict=True)
              if a and x.government == ours and x.response == 1 and x.agency]
    specific = [(g, a) for g, a in routed if g not in (CITY_WIDE, NO_AGENCY)]
    return {
        "items": len(rows), "threshold": settings.decision.threshold,
        "alert": {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
                  "alerts": int(alert.sum()), "gold": int(gold.sum()), "true_positives": int((alert & gold).sum())},
        "other_governments": {"items": len(others), "alerted": int(alert[others].sum()) if others else 0,
                              "rate": round(float(alert[others].mean()), 3) if others else 0.0},
        "no_government": {"items": len(none), "alerted": int(alert[none].sum()) if none else 0},
        "government_accuracy": round(float(np.mean([x.government == d.government
                                                    for x, d in zip(rows, decisions, strict=True)])), 3),
        "alert_rate_by_government": {g: f"{int(alert[[i for i, x in enumerate(rows) if x.government == g]].sum())}"
                                        f"/{sum(x.government == g for x in rows)}" for g in GOVERNMENTS
                                     if any(x.government == g for x in rows)},
        "confusion": {g: {h: n for h, n in row.items() if n} for g, row in confusion.items() if any(row.values())},
        "routing": {"alerted_with_bureau": len(routed),
                    "accuracy": round(float(np.mean([g == a for g, a in routed])), 3) if routed else None,
                    "specific_items": len(specific),
                    "specific_accuracy": round(float(np.mean([g == a for g, a in specific])), 3)
                    if specific else None},
    }
