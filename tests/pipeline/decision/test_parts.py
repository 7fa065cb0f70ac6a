"""The decision's parts: what the model reads, the combiner, the router, the lexical model, fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.decision import CITY_WIDE, GOVERNMENTS
from pipeline.decision.combine import FEATURES, Combiner, Router, Signals, matrix
from pipeline.decision.lexical import LexicalModel
from pipeline.decision.text import decision_text, lead
from pipeline.decision.training.fit import best_threshold, cross_validate, fit_combiner, fit_router


def test_text_is_title_and_lead_cut_at_a_sentence_end() -> None:
    body = "（中央社記者王承中台北10日電）颱風巴威逼近，臺北市府決定今天停班停課，引發質疑。" + "後續報導" * 60
    text = decision_text("北市颱風假惹議", body)
    assert text.startswith("北市颱風假惹議。（中央社記者")
    assert text.endswith("引發質疑。")  # cut at the last sentence end inside the lead
    assert "臺" not in text  # read as 台


def test_a_lead_that_repeats_the_title_is_dropped() -> None:
    title = "颱風來襲沈富雄點名台灣有「三大害」青鳥入列- 政治"
    assert decision_text(title, f"{title}  中時新聞網") == title
    # an article page whose text starts with its headline keeps the body after it
    assert decision_text("北捷誤點", "北捷誤點 今晨板南線號誌故障，上班族大排長龍，乘客怒批捷運公司應變太慢") \
        .endswith("應變太慢")


def test_urls_and_empty_text() -> None:
    assert "http" not in decision_text("標題", "詳見 https://example.tw/a?b=1 內文")
    assert decision_text("", "") == "。"


def _signals(t_ours: float, t_resp: float, home: bool = True) -> Signals:
    return Signals(t_ours, t_resp, None, None, home, not home, False, True)


def test_combiner_learns_that_both_ours_and_needing_a_response_matter() -> None:
    rng = np.random.default_rng(1)
    sig, y = [], []
    for _ in range(400):
        ours, resp = rng.uniform(0.01, 0.99, 2)
        sig.append(_signals(ours, resp))
        y.append(int(rng.uniform() < ours * resp))
    comb = fit_combiner(matrix(sig), y)
    hi, lo_ours, lo_resp = comb.score([_signals(0.95, 0.95), _signals(0.05, 0.95), _signals(0.95, 0.05)])
    assert hi > 0.7 and lo_ours < 0.3 and lo_resp < 0.3
    oof = cross_validate(matrix(sig), y)
    assert oof.shape == (400,) and 0.2 < best_threshold(oof, y) < 0.8
    again = Combiner.from_dict(comb.to_dict())
    assert np.allclose(again.score(sig[:5]), comb.score(sig[:5]), atol=1e-5)
    assert len(comb.weights) == len(FEATURES)


def test_router_prefers_the_watchlist_agency_when_the_head_hesitates() -> None:
    head = {"交通局": 0.30, "捷運公司": 0.25, CITY_WIDE: 0.35, "無": 0.10}
    cands = ["交通局", "捷運公司", CITY_WIDE]
    assert Router(bonus=0.0).route(head, {}, cands)[0] == CITY_WIDE
    agency, p, via = Router(bonus=1.0).route(head, {"捷運公司": ["北捷"]}, cands)
    assert (agency, p, via) == ("捷運公司", 0.25, ["北捷"])
    # an office whose agencies the head does not know is routed by its watchlist
    assert Router(bonus=1.0).route(head, {"水利局": ["淹水"]}, ["水利局", "工務處"])[0] == "水利局"


def test_fit_router_picks_the_bonus_that_routes_best() -> None:
    heads = [{"交通局": 0.4, CITY_WIDE: 0.6}] * 10
    matched = [{"交通局": ["公車"]}] * 10
    router, figures = fit_router(heads, matched, ["交通局"] * 10, ["交通局", CITY_WIDE])
    assert router.bonus > 0 and figures["specific_accuracy"] == 1.0


def test_lexical_model_learns_places_and_round_trips(tmp_path: Path) -> None:
    texts = ["北市公車誤點 乘客怒批", "北市府澄清", "高雄捷運故障 市民抱怨", "高雄市長出席活動", "歌手演唱會"] * 8
    govs = ["TPE", "TPE", "KHH", "KHH", "NONE"] * 8
    resp = [1, 0, 1, 0, 0] * 8
    model = LexicalModel(GOVERNMENTS, c=8.0, min_df=1).fit(texts, govs, resp)
    g, r = model.predict(["北市公車又誤點 民眾怒", "高雄市長出席"])
    assert GOVERNMENTS[int(g[0].argmax())] == "TPE" and GOVERNMENTS[int(g[1].argmax())] == "KHH"
    assert r[0] > 0.5 > r[1]
    model.save(tmp_path)
    again = LexicalModel.load(tmp_path)
    g2, r2 = again.predict(["北市公車又誤點 民眾怒"])
    assert np.allclose(g2, g[:1], atol=1e-2) and np.allclose(r2, r[:1], atol=1e-2)


@pytest.mark.parametrize(("title", "text", "expected"), [
    # a headline-only page: its header strip (breadcrumb, headline, byline, share, headline again, promo)
    ("北捷誤點 乘客抱怨", "首頁 > 社會 北捷誤點 乘客抱怨 記者王小明／台北報導 2026/07/01 分享 北捷誤點 乘客抱怨 "
     "更多新聞請上TVBS新聞網", ""),
    # the header strip before a real lead: the lead starts after the headline
    ("北捷誤點 乘客抱怨", "首頁 > 社會 北捷誤點 乘客抱怨 記者王小明／台北報導 北捷誤點 乘客抱怨 "
     "捷運公司表示，今天上午因號誌故障導致列車延誤，已經修復。",
     "捷運公司表示，今天上午因號誌故障導致列車延誤，已經修復。"),
    ("Taipei MRT delays", "(By Lin Hsin) Enditem/ASG", ""),
    ("北捷誤點", "北捷今天上午又誤點，大批乘客在月台上抱怨連連。更多新聞請上TVBS新聞網",
     "北捷今天上午又誤點，大批乘客在月台上抱怨連連。"),
    ("北捷誤點", "首頁 政治 社會 生活 國際 記者王小明 台北報導 2026年7月1日", ""),  # no prose: no lead
    ("北捷誤點", "三立新聞網提醒您：新聞內容請以官方發布為準", ""),  # the outlet's reminder
    ("北捷誤點", "點我下載NOWnews APP，掌握第一手新聞", ""),  # the outlet's app
    ("審計部：防災APP下載率低", "審計部表示，推估民眾下載率僅約2.48%，且此APP與警政服務APP的防災資訊並不同步。",
     "審計部表示，推估民眾下載率僅約2.48%，且此APP與警政服務APP的防災資訊並不同步。"),  # a real sentence stays
])
def test_the_lead_is_prose_after_the_headline(title: str, text: str, expected: str) -> None:
    assert lead(title, text) == expected


def test_the_run_time_encoder_and_tokenizer_match_transformers(shipped_model: Path) -> None:
    """The shipped folder run without transformers (pipeline/decision/encoder.py) gives transformers'
    token ids and the same outputs."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig

    from pipeline.decision import network
    from pipeline.decision.model import LoadedModel, sizes

    model = LoadedModel.from_folder(shipped_model)
    config = BertConfig.from_pretrained(str(shipped_model))
    config._attn_implementation = "eager"
    reference = network.build(config, sizes(model.info))
    state = load_file(str(shipped_model / "model.safetensors"))
    state[network.WORDS] = (state.pop(f"{network.WORDS}.int8").float()
                            * state.pop(f"{network.WORDS}.scale").float())
    reference.load_state_dict(state, strict=False)
    reference = reference.eval().to(next(model.net.parameters()).dtype)
    texts = ["北捷今天又誤點，到底在搞什麼", "臺北市ＡＢＣ１２３ 😀", "Taipei MRT delays anger commuters",
             "", "大巨蛋消防安全堪慮" * 80]
    ours = model.tokenizer(texts, padding=True, truncation=True, max_length=64)
    theirs = AutoTokenizer.from_pretrained(str(shipped_model), local_files_only=True)(
        texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    assert torch.equal(ours["input_ids"], theirs["input_ids"])
    assert torch.equal(ours["attention_mask"], theirs["attention_mask"])
    with torch.inference_mode():
        a = model.net(ours["input_ids"], ours["attention_mask"])
        b = reference(ours["input_ids"], ours["attention_mask"])
    for head in a:
        assert torch.allclose(a[head].float(), b[head].float(), atol=1e-3), head


def test_the_cascade_skips_the_network_for_items_ruled_out(shipped_model: Path) -> None:
    from pipeline.decision import Doc
    from pipeline.decision.model import FolderDecider, LoadedModel
    from pipeline.decision.training.recipe import shipped_settings

    settings = shipped_settings()
    settings = settings.model_copy(update={"decision": settings.decision.model_copy(update={"skip_below": 0.1})})
    decider = FolderDecider(LoadedModel.from_folder(shipped_model), settings)
    docs = [Doc("美股道瓊指數創新高 科技股領漲", "美國股市今天全面上漲，科技股表現最強。"),
            Doc("北捷今天又誤點，到底在搞什麼", "台北捷運今天上午再度發生號誌故障，通勤族怨聲載道。")] * 40
    raw = decider.raw(docs)
    assert raw.skipped is not None and list(raw.skipped) == [True, False] * 40  # more items than a batch
    decisions = decider.decide(docs)
    assert len(decisions) == 80 and not decisions[0].needs_response
    assert decisions[0].score <= float(raw.lex_government[0, decider.gi]) + 1e-9  # type: ignore[index]
    assert decisions[1].needs_response and decisions[1].agency == "捷運公司"


def test_one_routing_order_for_triage_channels_and_the_alert() -> None:
    from pipeline.items import routing_order

    assert routing_order("捷運公司", ["交通局", "捷運公司"]) == ["捷運公司", "交通局"]
    assert routing_order("市府", ["交通局"]) == ["市府", "交通局"]  # the city as a whole answers first
    assert routing_order(None, ["交通局", "工務局"]) == ["交通局", "工務局"]
    assert routing_order(None, []) == []
