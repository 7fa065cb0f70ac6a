"""Commands that only read never create a database: in an empty folder they say where they looked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main

READERS = [
    ["alerts", "list"],
    ["alerts", "failed"],
    ["digest"],
    ["spikes", "--dry-run"],
    ["responses", "list"],
    ["sources", "status"],
    ["press", "list"],
    ["press", "show", "1"],
    ["press", "history", "1"],
    ["tally", "releases"],
    ["tally", "posts"],
    ["tally", "responses"],
    ["tally", "routed"],
    ["tally", "pickup"],
    ["tally", "conferences"],
    ["press", "conference", "list"],
    ["press", "post", "show", "1"],
    ["report", "--half", "113H1"],
]


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a))
def test_a_read_command_in_an_empty_folder_creates_nothing(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"no newsdesk database at {tmp_path / 'newsdesk.db'}" in result.output
    assert "database_url from the shipped defaults" in result.output
    assert "newsdesk crawl --once" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_message_names_where_the_url_came_from(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere.db"
    result = CliRunner().invoke(main, ["alerts", "list"], env={"DATABASE_URL": str(missing)})
    assert result.exit_code == 2 and f"no newsdesk database at {missing}" in result.output
    assert "(database_url from DATABASE_URL)" in result.output and not missing.exists()


def test_spikes_reads_office_times_and_says_when_there_are_none(tmp_path: Path) -> None:
    from pipeline.db import open_database

    url = f"sqlite:///{tmp_path / 'n.db'}"
    open_database(url).kw["bind"].dispose()
    run = CliRunner().invoke
    result = run(main, ["spikes", "--dry-run", "--at", "113年9月2日 14:00"], env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no spikes in the 60 minutes to 2024-09-02 14:00 (at least 5 items and p < 0.001)"
    bad = run(main, ["spikes", "--at", "yesterday"], env={"DATABASE_URL": url})
    assert bad.exit_code == 2 and "Invalid value for --at: 'yesterday' is not a date and time" in bad.output
