"""The CLI's --as names an existing user; self-approval is refused by user id, whatever the spelling."""

from __future__ import annotations

from click.testing import CliRunner

from newsdesk.cli import main
from pipeline.settings import Settings
from pipeline.users import authenticate, normalize_name


def _run(settings: Settings, *args: str, stdin: str | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args), env={"DATABASE_URL": settings.database_url}, input=stdin)
    return r.exit_code, r.output


def test_names_fold_width_and_spaces() -> None:
    assert normalize_name("  ａｍｙ\u3000 chen ") == "amy chen"


def test_the_author_cannot_approve_under_another_spelling(settings: Settings) -> None:
    assert _run(settings, "users", "add", "amy", "--role", "reviewer", "--password-stdin",
                stdin="correct horse\n")[0] == 0
    assert _run(settings, "users", "add", "boss", "--role", "reviewer", "--no-password")[0] == 0
    code, out = _run(settings, "press", "draft", "--title", "新社宅", "--body", "-", "--as", "amy", stdin="內文")
    assert code == 0, out
    assert _run(settings, "press", "review", "1", "--as", "amy")[0] == 0
    for spelling in ("amy ", "ａｍｙ", " amy\t"):
        code, out = _run(settings, "press", "approve", "1", "--as", spelling)
        assert code == 1 and "amy wrote it and cannot approve it" in out, out
    code, out = _run(settings, "press", "approve", "1", "--as", "nobody")
    assert code == 1 and "--as 'nobody': no such user" in out
    assert _run(settings, "users", "disable", "boss")[0] == 0
    code, out = _run(settings, "press", "approve", "1", "--as", "boss")
    assert code == 1 and "disabled" in out
    assert _run(settings, "users", "enable", "boss")[0] == 0
    code, out = _run(settings, "press", "approve", "1", "--as", "boss ")
    assert code == 0 and "approved by boss" in out


def test_users_add_list_and_the_password_is_hashed(settings: Settings, sessions) -> None:  # type: ignore[no-untyped-def]
    code, out = _run(settings, "users", "add", "王小明", "--role", "officer", "--password-stdin",
                     stdin="s3cret-pass\n")
    assert code == 0 and "王小明 (officer)" in out and "s3cret" not in out
    assert _run(settings, "users", "add", "王小明 ", "--role", "officer", "--no-password")[1].endswith(
        "already exists\n")
    code, out = _run(settings, "users", "add", "x", "--role", "chief", "--no-password")
    assert code == 2 and "chief" in out
    code, out = _run(settings, "users", "add", "y", "--role", "officer", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 8" in out
    code, out = _run(settings, "users", "list")
    assert "王小明  officer  active" in out
    with sessions() as s:
        assert authenticate(s, "王小明", "s3cret-pass") is not None
        assert authenticate(s, "王小明", "wrong-pass") is None
        assert authenticate(s, "nobody", "s3cret-pass") is None
        from pipeline.models import User

        stored = s.query(User).one()
        assert stored.password_hash and stored.password_hash.startswith("$argon2id$")
