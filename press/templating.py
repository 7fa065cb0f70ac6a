"""Jinja2 templates for releases and posts: strict (a missing field is an error that names the
template, the line and the field), HTML autoescaped, ROC-date filters, office overrides.

The office may override any template by putting a file of the same name in
``press.template_dir``; the shipped ones in ``press/templates`` are used otherwise.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from pipeline.settings import ContactSettings, Settings
from press import roc

SHIPPED = Path(__file__).with_name("templates")
FORMATS = ("html", "txt", "md")
KINDS = ("release", "statement", "advisory", "schedule")
_MISSING = re.compile(r"(?:'([^']+)' is undefined|has no attribute '([^']+)')")


class TemplateFieldError(Exception):
    """A template refers to a field the draft does not have."""

    def __init__(self, template: str, line: int | None, field: str, detail: str) -> None:
        where = f"{template}, line {line}" if line else template
        super().__init__(f"{where}: missing field {field!r} ({detail})")
        self.template, self.line, self.field = template, line, field


def _when(value: Any) -> datetime | date:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing field
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        return roc.parse_local_datetime(value) if (":" in value or "T" in value) else roc.parse_date(value)
    raise TypeError(f"{value!r} is not a date")


def _contact(c: ContactSettings | Mapping[str, str]) -> str:
    get = c.get if isinstance(c, Mapping) else (lambda k, d="": getattr(c, k, d))
    parts = [get("title", ""), get("name", ""), get("phone", ""), get("email", "")]
    return " ".join(p for p in parts if p)


def _truncate_chars(text: str, limit: int) -> str:
    """Cut at ``limit`` characters, ending with an ellipsis (platform limits count characters)."""
    text = str(text)
    limit = max(int(limit), 1)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _hashtag(tag: str) -> str:
    tag = re.sub(r"\s+", "", str(tag)).lstrip("#")
    return f"#{tag}" if tag else ""


def environment(settings: Settings) -> jinja2.Environment:
    folders = [str(SHIPPED)]
    if settings.press.template_dir:
        override = Path(settings.press.template_dir)
        if not override.is_dir():
            raise ValueError(f"press.template_dir: {override} is not a folder")
        folders.insert(0, str(override))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: bool(name) and ".html" in str(name),
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    full: dict[str, str] = {a.short: a.name or a.short for a in settings.agencies}
    tz = settings.office.timezone
    city_hall = settings.office.city + "政府"
    env.filters.update(
        {
            "roc_date": lambda v: roc.roc_date(_when(v), tz),
            "roc_era": lambda v: roc.roc_era(_when(v), tz),
            "roc_weekday": lambda v: roc.roc_weekday(_when(v), tz),
            "roc_datetime": lambda v: roc.roc_datetime(_as_datetime(_when(v)), tz),
            "taipei_time": lambda v: roc.taipei_time(_as_datetime(_when(v)), tz),
            "agency_name": lambda short: str(full.get(short, short)).removeprefix(city_hall),
            "agency_full": lambda short: full.get(short, short),
            "contact": _contact,
            "truncate_chars": _truncate_chars,
            "hashtag": _hashtag,
        }
    )
    return env


def _as_datetime(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    raise TypeError(f"{value!r} is a date without a time")


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line where rendering failed (Jinja2 rewrites tracebacks to templates)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return Path(frame.filename).name, frame.lineno
    return None, None


def render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render one template; a missing field raises :class:`TemplateFieldError`."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateFieldError(name, None, str(exc), "template not found") from None
    except jinja2.UndefinedError as exc:
        template, line = _template_frame(exc)
        m = _MISSING.search(str(exc))
        field = (m.group(1) or m.group(2)) if m else str(exc)
        raise TemplateFieldError(template or name, line, field, str(exc)) from None
    except (ValueError, TypeError) as exc:
        template, line = _template_frame(exc)
        raise TemplateFieldError(template or name, line, "(value)", str(exc)) from None
