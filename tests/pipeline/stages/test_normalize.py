from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.items import Drop, Item
from pipeline.stages import Context
from pipeline.stages.normalize import detect_language, normalize
from pipeline.textnorm import fold, highlight


def test_taiwan_variants_width_and_scripts_fold_to_one_key() -> None:
    assert fold("臺北市") == fold("台北市") == fold("台北市")
    assert fold("臺北捷運發生故障") == fold("台北捷运发生故障")
    assert fold("ＹｏｕＢｉｋｅ　２．０") == fold("youbike 2.0")
    assert fold("  新北市 \n\t 板橋區 ") == fold("新北市 板橋區")
    assert fold("新北市") != fold("臺北市")


def test_normalize_fills_keys_time_and_language(ctx: Context) -> None:
    item = Item(url="https://m.ltn.com.tw/news/life/breakingnews/4650000?utm_source=fb&fbclid=x",
                title="北市ＹｏｕＢｉｋｅ２．０新站啟用", text="臺北市交通局今（１）日宣布新增５０站。",
                source="ltn-life", published_at=datetime(2024, 5, 1, 10, 30))  # naive: Taipei time
    out = normalize(item, ctx)
    assert out.canonical_url == "https://ltn.com.tw/news/life/breakingnews/4650000"
    assert out.published_at == datetime(2024, 5, 1, 2, 30, tzinfo=UTC)
    assert out.norm_title == "北市youbike2.0新站启用"
    assert out.language == "zh-Hant"
    assert out.content_hash and len(out.content_hash) == 64
    again = normalize(Item(url="https://ltn.com.tw/x", title="北市YouBike2.0新站啟用",
                           text="台北市交通局今(1)日宣布新增50站。", source="ltn"), ctx)
    assert again.content_hash == out.content_hash  # width and 臺/台 do not make a different copy


def test_empty_item_is_dropped_and_counted(ctx: Context) -> None:
    with pytest.raises(Drop) as exc:
        normalize(Item(url="https://a.tw/1", title="  ", text="", source="s"), ctx)
    assert exc.value.reason == "empty"
    assert ctx.counts["normalize:empty"] == 1


@pytest.mark.parametrize(("text", "lang"), [
    ("臺北市政府今日召開記者會說明颱風應變", "zh-Hant"),
    ("台北市政府今日召开记者会说明台风应变", "zh-Hans"),
    ("台北の地下鉄で故障が発生しました", "ja"),
    ("타이베이 지하철 고장", "ko"),
    ("Taipei MRT suspends service after signal failure", "en"),
    ("🎉🎉🎉 !!!", None),
])
def test_language_guess(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


def test_mixed_scripts_emoji_and_a_megabyte_body(ctx: Context) -> None:
    body = ("北市🚇捷運 MRT 故障😡，台北捷运公司致歉。" * 40000)[:1_000_000]
    out = normalize(Item(url="https://ptt.cc/bbs/Gossiping/M.1.html", title="捷運又故障😡", text=body,
                         source="ptt"), ctx)
    assert out.norm_text and "台北捷运公司" in out.norm_text
    assert out.language == "zh-Hant"


def test_highlight_marks_the_original_spelling() -> None:
    snippets = highlight("昨天臺北捷運板南線發生故障", [fold("台北捷运")], width=4)
    assert snippets == ["昨天【臺北捷運】板南線發"]


def test_a_broken_url_is_dropped_with_its_name(ctx: Context) -> None:
    with pytest.raises(Drop) as exc:
        normalize(Item(url="http://[::1/news", title="標題", text="內文", source="s"), ctx)
    assert exc.value.reason == "bad-url" and "http://[::1/news" in exc.value.detail
