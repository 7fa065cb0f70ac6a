"""Officers' corrections retrain the decision: a minimum, a held-back check, versions and rollback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsdesk.cli import main
from pipeline.db import open_database
from pipeline.decision import Doc, get_decider
from pipeline.decision.model import BUILTIN_DIR, resolve
from pipeline.decision.training.corrections import should_promote
from pipeline.models import Correction, ItemRow
from pipeline.settings import Settings, load_settings

NEEDS = ["北捷{}線號誌故障停駛 通勤族怒批捷運公司", "北市國小營養午餐驗出農藥殘留 家長痛批教育局把關不力",
         "北市公車司機{}開車滑手機 市民投訴交通局督導不周", "大巨蛋漏水又停賽 議員轟北市府驗收草率{}"]
NO = ["{}區美食節週末登場 歡迎民眾參加", "藝人新歌MV破百萬點閱 粉絲暴動{}", "{}地區明天午後雷陣雨 氣象署提醒",
      "股市收盤上漲百點 電子股領軍{}"]


def _config(tmp_path: Path, min_corrections: int = 30) -> tuple[Path, Settings]:
    path = tmp_path / "newsdesk.toml"
    path.write_text(f'database_url = "sqlite:///{tmp_path / "c.db"}"\n[decision]\n'
                    f'models_dir = "{tmp_path / "models"}"\nmin_corrections = {min_corrections}\n', encoding="utf-8")
    return path, load_settings(path, use_env=False)


def _mark(settings: Settings, n: int) -> None:
    with open_database(settings.database_url).begin() as s:
        for i in range(n):
            needs = i % 2 == 0
            title = (NEEDS if needs else NO)[i // 2 % 4].format(f"第{i}")
            row = ItemRow(url=f"https://news.example.tw/{i}", canonical_url=f"https://news.example.tw/{i}",
                          content_hash=f"h{i}", source="t", outlet="cna", title=title, text="")
            s.add(row)
            s.flush()
            s.add(Correction(item_id=row.id, label="negative" if needs else "not_negative", who="王科長"))


def _cli(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.output + result.stderr


def test_a_single_correction_is_refused_with_a_clear_message(tmp_path: Path, shipped_model: Path) -> None:
    config, settings = _config(tmp_path)
    _mark(settings, 1)
    code, text = _cli(config, "sentiment", "train")
    assert code == 1 and "1 correction(s) recorded; retraining needs at least 30" in text
    assert "Traceback" not in text and not (tmp_path / "models").exists()


def test_corrections_make_a_checked_version_and_rollback_restores(tmp_path: Path, shipped_model: Path) -> None:
    config, settings = _config(tmp_path, min_corrections=12)
    _mark(settings, 48)
    code, text = _cli(config, "sentiment", "train", "--force")
    assert code == 0, text
    assert "48 correction(s); held back" in text and "promoted decision-" in text
    version = resolve(settings)
    assert version.parent == tmp_path / "models" and (version / "decision.json").is_file()
    # the network is shared with its parent (a hard link), not copied
    assert (version / "model.safetensors").stat().st_ino == (BUILTIN_DIR / "model.safetensors").stat().st_ino
    decider = get_decider(settings)
    assert "+c" in decider.version  # the running decision now uses the retrained version
    assert decider.decide([Doc(NEEDS[1])])[0].needs_response  # corrections that agree keep the flag
    code, text = _cli(config, "sentiment", "models")
    assert code == 0 and f"* {version.name}" in text
    code, text = _cli(config, "sentiment", "rollback")
    assert code == 0 and "shipped model" in text and resolve(settings) == BUILTIN_DIR
    code, text = _cli(config, "sentiment", "rollback")
    assert code == 1 and "nothing to roll back" in text


def test_promotion_needs_held_back_figures_at_least_as_good() -> None:
    cur = {"f1": 0.80, "log_loss": 0.30}
    assert should_promote(cur, {"f1": 0.80, "log_loss": 0.305})
    assert not should_promote(cur, {"f1": 0.79, "log_loss": 0.20})
    assert not should_promote(cur, {"f1": 0.85, "log_loss": 0.40})
