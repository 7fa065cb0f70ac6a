"""Progress on long work: a bar with counts and time left on a terminal, nothing extra when piped."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import newsdesk.progress as progress_module
from newsdesk.cli import main
from newsdesk.progress import progress


def test_on_a_terminal_the_bar_shows_counts_and_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr("rich.console.Console", lambda **kw: Console(file=screen, force_terminal=True, width=100))
    with progress("importing", 1000, noun="releases", show=True) as bar:
        bar.update(done=500, count=4000)
        bar._progress.refresh()  # type: ignore[union-attr]  # draw now instead of on the next tick
        drawn = screen.getvalue()
    assert "importing" in drawn and "4,000 releases" in drawn and "left" in drawn and "elapsed" in drawn


def test_piped_output_gets_nothing_extra(tmp_path: Path) -> None:
    assert not progress_module.enabled()  # pytest's stderr is not a terminal
    src = tmp_path / "r.jsonl"
    src.write_text("".join(json.dumps({"title": f"t{n}", "published_at": "2024-01-02", "agency": "工務局"}) + "\n"
                           for n in range(3)), encoding="utf-8")
    result = CliRunner().invoke(main, ["press", "import", str(src)],
                                env={"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()] == ["imported"] * 3
    assert result.stderr.splitlines() == [f"{src}: 3 lines read, 3 imported, 0 already present, 0 rejected"]
