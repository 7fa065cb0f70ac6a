from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from notifications.routing import channels_for, notify, quiet_until
from pipeline.items import Item, Match
from pipeline.settings import ConfigError, Settings, load_settings
from tests.notifications.factories import stored_item


def _settings(tmp_path: Path, **notifications: object) -> Settings:
    overrides = {"database_url": f"sqlite:///{tmp_path / 'r.db'}", "notifications": notifications}
    return load_settings(None, overrides, use_env=False)


def _item(agencies: list[str], priority: str | None = None) -> Item:
    return Item(url="u", title="t", text="", source="s", priority=priority,
                matches=[Match(rule="r", agencies=agencies, terms=[])])


def test_channels_per_agency_and_priority(tmp_path: Path) -> None:
    s = _settings(tmp_path, slack={"channels": {"捷運公司": "#mrt", "critical": "#crit", "警察局": "#mrt"}})
    assert channels_for(s, _item(["捷運公司", "警察局"], "critical")) == ["#mrt", "#crit"]
    assert channels_for(s, _item(["文化局"])) == ["#press-alerts"]


@pytest.mark.parametrize(("utc_hour", "priority", "held_until_utc_hour"), [
    (15, "high", 23),     # 23:00 Taipei: quiet, until 07:00 Taipei = 23:00 UTC
    (20, "high", 23),     # 04:00 Taipei, after midnight
    (23, "high", None),   # 07:00 Taipei: quiet hours are over
    (5, "high", None),    # 13:00 Taipei
    (15, "critical", None),  # critical breaks through
])
def test_quiet_hours(tmp_path: Path, utc_hour: int, priority: str, held_until_utc_hour: int | None) -> None:
    s = _settings(tmp_path, quiet_hours="23:00-07:00")
    until = quiet_until(s, priority, datetime(2024, 9, 2, utc_hour, 0, tzinfo=UTC))
    assert (until.hour if until else None) == held_until_utc_hour
    if until:
        assert until.tzinfo is not None and until > datetime(2024, 9, 2, utc_hour, tzinfo=UTC)


def test_bad_quiet_hours_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="notifications.quiet_hours"):
        _settings(tmp_path, quiet_hours="late")


def test_notify_enqueues_per_channel_with_hold(tmp_path: Path, session: Session) -> None:
    routes = {"捷運公司": "#mrt", "high": "#high"}
    s = _settings(tmp_path, quiet_hours="23:00-07:00", slack={"channels": routes})
    item = stored_item(session, priority="high")
    item.matches = [Match(rule="r", agencies=["捷運公司"], terms=[])]
    alerts = notify(session, item, s, "slack", now=datetime(2024, 9, 2, 15, tzinfo=UTC))
    assert [a.channel for a in alerts] == ["#mrt", "#high"]
    assert all(a.next_attempt_at == datetime(2024, 9, 2, 23, tzinfo=UTC) for a in alerts)
    assert notify(session, item, s, "slack") == []
