"""The core's "you cannot do that" errors: shown to the officer as a message, never as a traceback."""

from __future__ import annotations

from pipeline.responses import ResponseError
from pipeline.search import SearchError
from pipeline.users import UserError
from press.drafting import DraftError
from press.schedule import ScheduleError
from press.templating import TemplateFieldError
from press.workflow import WorkflowError


class InputError(ValueError):
    """A form field the dashboard itself cannot read (a bad date, an unknown id)."""


USER_ERRORS: tuple[type[Exception], ...] = (ResponseError, SearchError, UserError, DraftError, ScheduleError,
                                            TemplateFieldError, WorkflowError, InputError)
