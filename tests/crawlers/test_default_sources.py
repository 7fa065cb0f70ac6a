"""The token-free social sources shipped for Taipei: each polls without a secret, each can be turned off."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.net import Http
from crawlers.social import SocialContext, get_collector
from pipeline.settings import ConfigError, Settings, load_settings
from tests.conftest import ROOT
from tests.crawlers.conftest import Reply, Site

SOCIAL = ("ptt", "dcard", "mastodon", "bluesky")


def _defaults() -> Settings:
    return load_settings(None, {}, use_env=False)


def test_shipped_social_sources_cover_the_boards_and_searches() -> None:
    social = [s for s in _defaults().sources if s.type in SOCIAL]
    assert {s.options["board"] for s in social if s.type == "ptt"} == {"Gossiping", "Taipei", "MRT", "HatePolitics"}
    assert any(s.type == "dcard" for s in social)
    tags = [{s.options["tag"], *s.options.get("any", [])} for s in social if s.type == "mastodon"]
    assert tags and {"台北", "臺北", "蔣萬安"} <= set.union(*tags)
    assert {s.options["q"] for s in social if s.type == "bluesky"} == {"台北", "臺北", "蔣萬安"}
    assert all(s.enabled for s in social)


def test_each_shipped_social_source_polls_without_a_token(crawl_settings: Settings, site: Site,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MASTODON_ACCESS_TOKEN", "BLUESKY_APP_PASSWORD", "META_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    empty = {"ptt": b'<html><body><div class="r-list-container"></div></body></html>', "dcard": b"[]",
             "mastodon": b"[]", "bluesky": b'{"posts": []}'}
    for src in (s for s in _defaults().sources if s.type in SOCIAL):
        site.routes.clear()
        site.requests.clear()
        body = empty[src.type]
        reply = Reply(200, body, {"Content-Type": "text/html" if src.type == "ptt" else "application/json"})
        site.routes.update({p: reply for p in _paths(src.type, src.options)})
        local = src.model_copy(update={"url": site.base, "options": {**src.options, "base_url": site.base}})
        assert get_collector(src.type)(local, SocialContext(crawl_settings, Http(crawl_settings.crawl))) == []
        assert site.requests and all("Authorization" not in r.headers for r in site.requests), src.name


def _paths(kind: str, options: dict[str, object]) -> list[str]:
    from urllib.parse import quote

    if kind == "ptt":
        return [f"/bbs/{options['board']}/index.html"]
    if kind == "dcard":
        return [f"/service/api/v2/forums/{options['forum']}/posts"]
    if kind == "mastodon":
        return [f"/api/v1/timelines/tag/{quote(str(options['tag']))}"]
    return ["/xrpc/app.bsky.feed.searchPosts"]


def test_disable_sources_turns_shipped_ones_off(tmp_path: Path) -> None:
    cfg = tmp_path / "newsdesk.toml"
    cfg.write_text('disable_sources = ["ptt-gossiping", "bluesky-mayor"]\n', encoding="utf-8")
    settings = load_settings(cfg, use_env=False)
    off = {s.name for s in settings.sources if not s.enabled}
    assert off == {"ptt-gossiping", "bluesky-mayor"}
    cfg.write_text('disable_sources = ["ptt-gosiping"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="ptt-gosiping"):
        load_settings(cfg, use_env=False)


def test_readme_lists_each_shipped_social_source_and_how_to_disable_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = [s.name for s in _defaults().sources if s.type in SOCIAL]
    assert [n for n in names if f"`{n}`" not in readme] == []
    assert "disable_sources" in readme
