"""Sentiment scoring behind the :class:`Scorer` protocol.

The model is loaded lazily, once per process and model (``get_scorer``), and scores batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the training recipe runs where pydantic is absent (a GPU box)
    from pipeline.settings import SentimentSettings

BUILTIN_DIR = Path(__file__).with_name("model")
REBUILD_COMMAND = "make model"


class ModelError(Exception):
    """The model folder is missing or corrupt; the message names it and the rebuild command."""


class Scorer(Protocol):
    """Scores texts: calibrated probability that each is negative (about the city), in order."""

    name: str
    version: str

    def score(self, texts: Sequence[str]) -> list[float]: ...


def label_for(score: float, threshold: float) -> str:
    return "negative" if score >= threshold else "not_negative"


def resolve_model(model: str) -> str:
    """``builtin`` means the model shipped in ``pipeline/sentiment/model``."""
    return str(BUILTIN_DIR) if model == "builtin" else model


@lru_cache(maxsize=4)
def _cached(model: str, labels: tuple[tuple[str, str], ...], max_length: int, batch_size: int) -> Scorer:
    from pipeline.sentiment.hf import TransformersScorer

    return TransformersScorer(resolve_model(model), dict(labels), max_length=max_length,
                              batch_size=batch_size)


def get_scorer(settings: SentimentSettings) -> Scorer:
    """The scorer for these settings, loaded on first use and reused by the process."""
    return _cached(settings.model, tuple(sorted(settings.labels.items())), settings.max_length,
                   settings.batch_size)
