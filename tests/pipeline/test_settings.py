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


@pytest.mark.parametrize(("toml", "message"), [
    ('[office]\nname = "秘書處"\ntimezone = "Asia/Taipe"\n', "office.timezone: 'Asia/Taipe' is not"),
    ('[schedule]\ndigest_time = "25:00"\n', "schedule.digest_time: '25:00' is not a time of day"),
    ('[notifications]\nquiet_hours = "23:00-24:30"\n', "quiet_hours: '24:30' is not a time of day"),
    ('[crawl]\nallow_private_hosts = "yes"\n', "crawl.allow_private_hosts: Input should be a valid boolean"),
    ('[crawl]\ntimeout = "30"\n', "crawl.timeout: Input should be a valid integer"),
    ('[press.platforms.facebook]\nbase_url = "graph.facebook.com"\n', "is not an http(s) URL with a host"),
    ('[press.feed]\nurl = "https://x.tw:port/feed"\n', "is not a URL"),
    ('[notifications.email]\nrecipients = ["press office"]\n', "'press office' is not an e-mail address"),
    ('[press]\ntemplate_dir = "/no/such/folder"\n', "press.template_dir: /no/such/folder is not a folder"),
    ('[notifications.slack]\nchannels = { "捷運" = "#mrt" }\n', "'捷運' is not an agency, a topic, a priority"),
    ('database_url = "sqlite://me:secret@host/x.db"\n', "database_url: sqlite://me:***@host/x.db: a SQLite URL"),
])
def test_settings_are_checked_at_load(tmp_path: Path, toml: str, message: str) -> None:
    """What a command would trip on later is reported now, with the file and the key."""
    cfg = tmp_path / "n.toml"
    cfg.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, use_env=False)
    assert message in str(err.value) and str(cfg) in str(err.value)
    assert "secret" not in str(err.value)


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql+psycopg://u:pw@db:notaport/news", "postgresql+psycopg://u:***@db:notaport/news is not a database URL"),
    ("postgresql+psycopg://u@db:70000/news", "port 70000 is not 1-65535"),
    ("sqlite://u:pw@/x.db", "a SQLite URL names a file and takes no user, password, host or port"),
    ("oracle+nodriver://u@db/news", "unknown database 'oracle+nodriver'"),
    ("mysql://u@db/news", "the driver for 'mysql' is not installed"),
])
def test_a_malformed_database_url_is_a_clear_error(tmp_path: Path, url: str, message: str) -> None:
    from click.testing import CliRunner

    from newsdesk.cli import main

    for args in (["config", "check"], ["alerts", "list"]):
        result = CliRunner().invoke(main, args, env={"DATABASE_URL": url})
        assert result.exit_code == 2, result.output
        assert result.output.startswith("newsdesk: DATABASE_URL: ") and message in result.output, result.output
        assert "Traceback" not in result.output and ":pw@" not in result.output
