"""Every setting is documented in the shipped default file (like datasette's tests/test_docs.py)."""

from __future__ import annotations

import re
import typing

from pydantic import BaseModel

from pipeline.settings import DEFAULT_CONFIG, ENVIRONMENT, Settings

INTERNAL = {"config_path"}


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        if name in INTERNAL:
            continue
        out.append(prefix + name)
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out.extend(_fields(arg, f"{prefix}{name}."))
    return out


def test_every_setting_appears_in_the_default_file() -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    missing = []
    for path in _fields(Settings):
        leaf = path.rsplit(".", 1)[-1]
        # a key, a table name or a mention in a comment: the name must be there for a reader to find
        if not re.search(rf"(?<![\w]){re.escape(leaf)}(?![\w])", text):
            missing.append(path)
    assert not missing, f"settings not documented in {DEFAULT_CONFIG.name}: {missing}"


def test_every_environment_variable_is_in_the_readme() -> None:
    readme = (DEFAULT_CONFIG.parents[1] / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    assert not set(ENVIRONMENT) - documented, "environment variables missing from README.md"
