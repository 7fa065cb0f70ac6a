from pathlib import Path

import pytest

from pipeline.settings import ConfigError, load_settings


def test_defaults_load_with_taipei_agencies() -> None:
    s = load_settings(None, use_env=False)
    names = s.agency_names()
    for short in ("都發局", "捷運公司", "捷運局", "原民會", "秘書處"):
        assert short in names
    assert s.office.name == "秘書處"
    assert s.sources and all(src.url.startswith("https://") for src in s.sources)


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "newsdesk.toml"
    cfg.write_text('[sentiment]\nthreshhold = 0.7\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, use_env=False)
    assert str(cfg) in str(err.value) and "sentiment.threshhold: unknown key" in str(err.value)


def test_bad_toml_names_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[office\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_settings(cfg, use_env=False)


def test_topic_with_unknown_agency(tmp_path: Path) -> None:
    cfg = tmp_path / "n.toml"
    cfg.write_text('[[topics]]\nname = "x"\nquery = "a"\nagencies = ["火星局"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="topics.0.agencies: unknown agency '火星局'"):
        load_settings(cfg, use_env=False)


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "n.toml"
    cfg.write_text('database_url = "sqlite:///from-file.db"\n', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", str(tmp_path / "env.db"))
    s = load_settings(cfg)
    assert s.database_url == f"sqlite:///{tmp_path / 'env.db'}"


def test_notifier_names_match_what_the_factory_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    from notifications.factory import notifiers_from_settings

    s = load_settings(None, use_env=False)
    assert s.notifier_names() == ["console"] == [n.name for n in notifiers_from_settings(s)]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    # spike alerts go only where a notifier will deliver them: no "console" beside Slack
    assert s.notifier_names() == ["slack"] == [n.name for n in notifiers_from_settings(s)]
    quiet = load_settings(None, {"notifications": {"console": False}}, use_env=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert quiet.notifier_names() == []
