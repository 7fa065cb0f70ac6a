"""The pipeline's settings: documented in default.toml, and bad ones named with their file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.settings import (
    DEFAULT_CONFIG,
    ConfigError,
    DedupeSettings,
    MatchSettings,
    SpikeSettings,
    TriageRule,
    TriageSettings,
    load_settings,
)


@pytest.mark.parametrize("model", [DedupeSettings, MatchSettings, TriageSettings, TriageRule, SpikeSettings])
def test_every_pipeline_setting_is_documented(model: type[BaseModel]) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    missing = [f for f in model.model_fields if not re.search(rf"\b{f}\b", text)]
    assert missing == []


def test_malformed_query_in_a_user_file(tmp_path: Path) -> None:
    cfg = tmp_path / "newsdesk.toml"
    cfg.write_text('[[topics]]\nname = "停水"\nquery = \'停水 AND ("北市" OR\'\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg, use_env=False)
    assert str(exc.value).startswith(f"{cfg}: topics.0.query: position 15: expected a term")


def test_bad_triage_rule_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "newsdesk.toml"
    cfg.write_text('[[triage.rules]]\nname = "x"\npriority = "urgent"\naction = "alert"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"triage\.rules\.0\.priority"):
        load_settings(cfg, use_env=False)
