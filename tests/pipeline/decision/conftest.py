"""Fixtures for the decision: the shipped model folder (real weights), skipping where it was not built."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.decision.model import BUILTIN_DIR


@pytest.fixture(scope="session")
def shipped_model() -> Path:
    if not (BUILTIN_DIR / "decision.json").is_file():
        pytest.fail(f"{BUILTIN_DIR} has no decision.json: the shipped model is missing (make model)")
    return BUILTIN_DIR
