"""A tiny character-level model the tests train for themselves (no download, a few seconds)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pipeline.sentiment.baseline import CharNgramLogReg

NEGATIVE = ["捷運停擺乘客怒罵", "火災釀三死", "市府弊案遭起訴", "颱風淹水災情慘重", "議員痛批市府失職",
            "公車追撞多人受傷", "食安風暴延燒", "詐騙集團騙走千萬", "Taipei MRT fire kills two",
            "停電民怨四起"]
POSITIVE = ["跨年晚會百萬人同歡", "市府獲國際大獎", "新公園開幕親子同樂", "捷運新線通車好評",
            "市長頒獎表揚志工", "花博人潮創新高", "社宅落成民眾開心入住", "觀光人數成長",
            "Taipei wins city award", "美食節熱鬧登場"]


def add_lexical(folder: Path, weight: object = 0.5, texts: Sequence[str] = (),
                labels: Sequence[int] = ()) -> CharNgramLogReg:
    """Give a model folder a lexical half (fitted on ``texts``, by default the toy headlines) and
    name it in ``newsdesk.json`` with ``weight`` (``None``: no weight key, the default applies)."""
    from pipeline.sentiment.baseline import CharNgramLogReg

    if not texts:
        texts, labels = NEGATIVE + POSITIVE, [1] * len(NEGATIVE) + [0] * len(POSITIVE)
    lexical = CharNgramLogReg(min_df=1).fit(texts, labels)
    lexical.save(folder / "lexical.json")
    meta = json.loads((folder / "newsdesk.json").read_text())
    meta["lexical"] = {"file": "lexical.json"} if weight is None else {"file": "lexical.json", "weight": weight}
    (folder / "newsdesk.json").write_text(json.dumps(meta))
    return lexical


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.sentiment.tiny import train_tiny

    texts = NEGATIVE + POSITIVE
    labels = [1] * len(NEGATIVE) + [0] * len(POSITIVE)
    return train_tiny(texts, labels, tmp_path_factory.mktemp("tiny") / "model", epochs=40, hidden=64,
                      layers=1, name="tiny-test", version="t1")


@pytest.fixture
def model_copy(tiny_model: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model that a test may edit."""
    dst = tmp_path / "model"
    shutil.copytree(tiny_model, dst)
    return dst


@pytest.fixture
def config_file(tmp_path: Path, tiny_model: Path) -> Path:
    path = tmp_path / "newsdesk.toml"
    db = tmp_path / "cli.db"
    path.write_text(f'database_url = "sqlite:///{db}"\n\n[sentiment]\nmodel = "{tiny_model}"\n',
                    encoding="utf-8")
    return path
