

def test_default_sources_name_known_outlets() -> None:
    from crawlers.outlets import REGISTRY
    from pipeline.settings import load_settings

    settings = load_settings(None, use_env=False)
    unknown = [s.name for s in settings.sources if s.type in ("feed", "site") and s.outlet not in REGISTRY]
    assert not unknown, f"default sources with an outlet missing from the registry: {unknown}"
    covered = {s.outlet for s in settings.sources if s.outlet}
    assert covered == set(REGISTRY), f"registry outlets without a default source: {set(REGISTRY) - covered}"
