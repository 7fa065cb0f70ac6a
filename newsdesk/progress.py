"""Progress for long work on a terminal: a bar with counts and the time left (rich), shown on
standard error only when it is a terminal, so piped output and logs get nothing extra.

    with progress("scoring", total=size, unit="bytes") as bar:
        for ...:
            bar.update(done=input.position(), count=lines)

``total`` may be None (a pipe): the bar then shows the count and the time taken.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Bar:
    """What a command moves forward; does nothing when the bar is off."""

    def __init__(self, progress: Any = None, task: Any = None, noun: str = "lines") -> None:
        self._progress, self._task, self.noun = progress, task, noun

    def update(self, *, done: float | None = None, advance: float = 0, count: int | None = None) -> None:
        """``done``: absolute position (bytes read, items done); ``advance``: add to it; ``count``: the
        number shown beside the bar (lines or items so far)."""
        if self._progress is None:
            return
        fields: dict[str, Any] = {}
        if count is not None:
            fields["count"] = f"{count:,} {self.noun}"
        if done is not None:
            self._progress.update(self._task, completed=done, **fields)
        else:
            self._progress.update(self._task, advance=advance, **fields)

    def total(self, total: float | None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)


def enabled() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress(label: str, total: float | None = None, *, noun: str = "lines",
             show: bool | None = None) -> Iterator[Bar]:
    """A progress bar on standard error when it is a terminal (``show`` forces it on or off)."""
    if not (enabled() if show is None else show):
        yield Bar(noun=noun)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    count = TextColumn("{task.fields[count]}") if noun != "items" else MofNCompleteColumn()
    columns = [TextColumn("{task.description}"), BarColumn(), count, TextColumn("elapsed"),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total, count=f"0 {noun}")
        yield Bar(bar, task, noun)
