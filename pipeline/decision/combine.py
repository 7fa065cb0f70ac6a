"""From the model's outputs and the office's settings to the decision: score, government, bureau, reasons.

**Score.** A logistic regression over a few features, all relative to ``[office] government`` (so
another city's office changes that setting and its watchlist, not the model):

======================  ====================================================================
``t_ours``, ``l_ours``   logit P(the item concerns our government): transformer, lexical model
``t_resp``, ``l_resp``   logit P(negative coverage that needs a response from its government)
``t_both``, ``l_both``   logit of the product of the two (ours *and* needs a response)
``home``                 the item names the office's city (``[match] home_terms``, ``office.city``)
``other_only``           it names another place (``[match] other_places``) and not the city
``official``             it names one of ``[[officials]]``
``watchlist``            a keyword or topic of ``[[agencies]]`` / ``[[topics]]`` matched
======================  ====================================================================

The weights are fitted on held-out labelled items (``pipeline.decision.training``) and stored in the
model folder; ``score`` ≥ ``[decision] threshold`` means the item needs a response from the office.

**Routing.** Among the office's agencies plus :data:`~pipeline.decision.CITY_WIDE`, the bureau with
the highest ``log P(agency head) + watchlist bonus`` (the bonus for an agency whose keywords, topic or
official matched is fitted with the score's weights). The agency head knows the bureaus it was trained
on; an office whose agencies it does not know is routed by the watchlist alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.decision import CITY_WIDE, NO_AGENCY

FEATURES = ("t_ours", "t_resp", "t_both", "l_ours", "l_resp", "l_both", "home", "other_only", "official",
            "watchlist")
_EPS = 1e-4


def logit(p: float) -> float:
    p = min(max(float(p), _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class Signals:
    """What the combiner reads of one item (probabilities already taken for *our* government)."""

    t_ours: float
    t_resp: float
    l_ours: float | None
    l_resp: float | None
    home: bool
    other_only: bool
    official: bool
    watchlist: bool

    def vector(self) -> list[float]:
        l_ours = self.t_ours if self.l_ours is None else self.l_ours
        l_resp = self.t_resp if self.l_resp is None else self.l_resp
        return [logit(self.t_ours), logit(self.t_resp), logit(self.t_ours * self.t_resp),
                logit(l_ours), logit(l_resp), logit(l_ours * l_resp),
                float(self.home), float(self.other_only), float(self.official), float(self.watchlist)]


def matrix(signals: Sequence[Signals]) -> np.ndarray:
    """The combiner's input rows."""
    return np.asarray([s.vector() for s in signals], dtype=np.float64).reshape(len(signals), len(FEATURES))


@dataclass(frozen=True)
class Combiner:
    weights: tuple[float, ...]
    bias: float

    def score(self, signals: Sequence[Signals]) -> np.ndarray:
        return self.score_matrix(matrix(signals))

    def score_matrix(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        z = np.asarray(x, dtype=np.float64) @ np.asarray(self.weights, dtype=np.float64) + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def to_dict(self) -> dict[str, object]:
        return {"features": list(FEATURES), "weights": [round(w, 6) for w in self.weights],
                "bias": round(self.bias, 6)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Combiner:
        features = data.get("features")
        weights = data.get("weights")
        if features != list(FEATURES) or not isinstance(weights, list) or len(weights) != len(FEATURES):
            raise ValueError(f"combiner features must be {list(FEATURES)}, got {features}")
        bias = data.get("bias", 0.0)
        if not isinstance(bias, int | float):
            raise ValueError(f"combiner bias must be a number, got {bias!r}")
        return cls(tuple(float(w) for w in weights), float(bias))


@dataclass(frozen=True)
class Router:
    """``log P(head) + bonus x [watchlist matched that agency]``; ``floor`` stands in for agencies the
    head does not know."""

    bonus: float = 1.0
    floor: float = 1e-3

    def route(self, head: dict[str, float], matched: dict[str, list[str]],
              candidates: Sequence[str]) -> tuple[str | None, float, list[str]]:
        """(agency or None for 無, its head probability, the watchlist terms that pointed to it)."""
        if not any(a in head for a in candidates if a != CITY_WIDE):  # another office's bureaus
            hits = [a for a in candidates if matched.get(a)]
            if not hits:
                return None, 0.0, []
            top = max(hits, key=lambda a: len(matched[a]))
            return top, 0.0, matched[top]
        best: tuple[float, str] | None = None
        for agency in (*candidates, NO_AGENCY):
            if agency == NO_AGENCY and NO_AGENCY not in head:
                continue
            value = math.log(max(head.get(agency, 0.0), self.floor)) + (self.bonus if matched.get(agency) else 0.0)
            if best is None or value > best[0]:
                best = (value, agency)
        if best is None:
            return None, 0.0, []
        agency = best[1]
        return (None if agency == NO_AGENCY else agency), head.get(agency, 0.0), matched.get(agency, [])

    def to_dict(self) -> dict[str, float]:
        return {"bonus": self.bonus, "floor": self.floor}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Router:
        bonus, floor = data.get("bonus", 1.0), data.get("floor", 1e-3)
        if not isinstance(bonus, int | float) or not isinstance(floor, int | float) or not 0 < floor < 1:
            raise ValueError(f"router needs a numeric bonus and 0 < floor < 1, got {data}")
        return cls(float(bonus), float(floor))


def candidates(agencies: Sequence[str]) -> list[str]:
    """The answers routing may give: the office's agencies and the city as a whole."""
    return [*agencies, CITY_WIDE] if CITY_WIDE not in agencies else list(agencies)
