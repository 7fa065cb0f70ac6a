from datetime import UTC, date, datetime

import pytest

from press import roc


def test_roc_dates_in_taipei_time() -> None:
    # 16:30 UTC on 1 Sep 2024 is already 2 Sep in Taipei
    instant = datetime(2024, 9, 1, 16, 30, tzinfo=UTC)
    assert roc.roc_date(instant) == "113年9月2日"
    assert roc.roc_era(instant) == "中華民國113年"
    assert roc.roc_datetime(instant) == "113年9月2日（星期一）00:30"
    assert roc.roc_date(date(2011, 1, 1)) == "100年1月1日"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        roc.roc_date(datetime(2024, 9, 2, 10, 0))


@pytest.mark.parametrize("text", ["113年9月2日", "113/9/2", "113-09-02", "中華民國113年9月2日", "2024-09-02",
                                  "2024/09/02", "2024/9/2", "2024.9.2", "2024年9月2日", " 113.09.02 "])
def test_parse_date_roc_and_iso(text: str) -> None:
    assert roc.parse_date(text) == date(2024, 9, 2)


def test_parse_date_error_names_text() -> None:
    with pytest.raises(ValueError, match="'113年13月2日' is not a date"):
        roc.parse_date("113年13月2日")


def test_periods() -> None:
    h1 = roc.parse_period("113H1")
    assert h1.label == "113年上半年" and h1.keys() == [f"2024-0{m}" for m in range(1, 7)]
    assert h1.start == datetime(2023, 12, 31, 16, tzinfo=UTC) and h1.end == datetime(
        2024, 6, 30, 16, tzinfo=UTC
    )
    assert roc.parse_period("113h2").keys()[0] == "2024-07"
    assert roc.parse_period("112Q4").keys() == ["2023-10", "2023-11", "2023-12"]
    assert roc.parse_period("113-09").label == "113年9月"
    with pytest.raises(ValueError, match="not a period"):
        roc.parse_period("2024H1x")


def test_month_key_uses_local_month() -> None:
    assert roc.month_key(datetime(2024, 6, 30, 16, 30, tzinfo=UTC)) == "2024-07"
    assert roc.month_key(datetime(2024, 6, 30, 15, 59, tzinfo=UTC)) == "2024-06"


def test_parse_local_datetime_keeps_zone() -> None:
    at = roc.parse_local_datetime("113年9月2日 14:30")
    assert at.utcoffset() is not None and at.astimezone(UTC) == datetime(2024, 9, 2, 6, 30, tzinfo=UTC)
    assert roc.parse_local_datetime("2024-09-02T14:30:00+00:00").hour == 14
