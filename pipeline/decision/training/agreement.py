"""How far our labels can be trusted: agreement with the office's labels, and between our annotators.

    python -m pipeline.decision.training.agreement

1. **Against the office** (``role = gold-check``): 15 of the office's labelled July items were hidden
   in each batch, labelled blind, and compared with the office's labels here.
2. **Between annotators** (``role = overlap``): four batches were labelled a second time, blind, by
   another annotator; Cohen's κ per question.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.decision import CITY_WIDE, NO_AGENCY
from pipeline.decision.training.data import label_files, read_dev


def kappa(pairs: Sequence[tuple[Any, Any]]) -> tuple[float, float]:
    """(observed agreement, Cohen's κ)."""
    n = len(pairs)
    if not n:
        return 0.0, 0.0
    po = sum(a == b for a, b in pairs) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / n / n
    return po, (po - pe) / (1 - pe) if pe < 1 else 1.0


def _f1(pairs: Sequence[tuple[bool, bool]]) -> float:
    tp = sum(a and b for a, b in pairs)
    return 2 * tp / max(1, sum(a for a, _ in pairs) + sum(b for _, b in pairs))


def _questions(pairs: Sequence[tuple[dict[str, str], dict[str, str]]]) -> dict[str, Any]:
    def alert(r: dict[str, str]) -> bool:
        return r["government"] == "TPE" and str(r["needs_response"]) == "1"

    out: dict[str, Any] = {"items": len(pairs)}
    for name, get in (("government", lambda r: r["government"]),
                      ("needs_response", lambda r: str(r["needs_response"])),
                      ("taipei_needs_response", alert)):
        po, k = kappa([(get(a), get(b)) for a, b in pairs])
        out[name] = {"agreement": round(po, 3), "kappa": round(k, 3)}
    out["taipei_needs_response"]["f1"] = round(_f1([(alert(a), alert(b)) for a, b in pairs]), 3)
    both = [(a["agency"], b["agency"]) for a, b in pairs if a["government"] == b["government"] == "TPE"]
    po, k = kappa(both)
    out["agency_when_both_taipei"] = {"items": len(both), "agreement": round(po, 3), "kappa": round(k, 3)}
    specific = [(a, b) for a, b in both if a not in (CITY_WIDE, NO_AGENCY, "")]
    out["agency_specific_bureau"] = {"items": len(specific),
                                     "agreement": round(sum(a == b for a, b in specific) / max(1, len(specific)), 3)}
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def report() -> dict[str, Any]:
    labelled = [r for f in label_files() for r in rows(f)]
    office = {d.key: {"government": d.government, "needs_response": str(d.response), "agency": d.agency}
              for d in read_dev()}
    gold = [(office[r["key"]], r) for r in labelled if r["role"] == "gold-check"]
    primary = {r["key"]: r for r in labelled if r["role"] == "primary"}
    overlap = [(primary[r["key"]], r) for r in labelled if r["role"] == "overlap" and r["key"] in primary]
    per_annotator = {}
    for name in sorted({r["annotator"] for _, r in gold}, key=lambda s: int(s[1:]) if s[1:].isdigit() else 0):
        per_annotator[name] = _questions([(a, b) for a, b in gold if b["annotator"] == name])
    return {"labelled_items": len(primary),
            "annotators": sorted({r["annotator"] for r in labelled}),
            "against_office": _questions(gold), "against_office_by_annotator": per_annotator,
            "between_annotators": _questions(overlap)}


if __name__ == "__main__":
    print(json.dumps(report(), ensure_ascii=False, indent=1))
