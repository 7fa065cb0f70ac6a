from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from pipeline.models import Release
from pipeline.settings import Settings, load_settings
from press.drafting import draft
from press.schedule import ScheduleError, schedule_release
from press.workflow import WorkflowError, approve, edit, history, submit, withdraw

NOW = datetime(2024, 9, 2, 1, 0, tzinfo=UTC)


def _draft(session: Session, settings: Settings) -> Release:
    return draft(session, settings, kind="release", author="amy", title="標題", agency="工務局", body="內文")


def test_full_workflow_records_every_transition(session: Session, settings: Settings) -> None:
    release = _draft(session, settings)
    submit(session, release, "amy")
    approve(session, release, "boss", settings, at=NOW)
    assert release.approved_by == "boss" and release.approved_at == NOW
    schedule_release(session, settings, release, NOW + timedelta(hours=2), "amy", now=NOW, publishers={})
    session.flush()
    steps = [(t.from_status, t.to_status, t.actor) for t in history(session, release.id)]
    assert steps == [
        ("", "draft", "amy"),
        ("draft", "review", "amy"),
        ("review", "approved", "boss"),
        ("approved", "scheduled", "amy"),
    ]
    assert all(t.at.tzinfo is not None for t in history(session, release.id))


def test_author_cannot_approve_own_release(session: Session, settings: Settings) -> None:
    release = _draft(session, settings)
    submit(session, release, "amy")
    with pytest.raises(WorkflowError, match="amy wrote it and cannot approve it"):
        approve(session, release, "amy", settings)
    relaxed = load_settings(
        None, {"database_url": "sqlite://", "press": {"second_approver": False}}, use_env=False
    )
    approve(session, release, "amy", relaxed)
    assert release.status == "approved"


def test_only_approved_releases_are_scheduled(session: Session, settings: Settings) -> None:
    release = _draft(session, settings)
    with pytest.raises(WorkflowError, match="only approved releases can be scheduled"):
        schedule_release(session, settings, release, NOW + timedelta(hours=1), "amy", now=NOW, publishers={})


def test_editing_an_approved_release_sends_it_back(session: Session, settings: Settings) -> None:
    release = _draft(session, settings)
    submit(session, release, "amy")
    approve(session, release, "boss", settings)
    edit(session, release, "amy", body="新內文")
    assert release.status == "review" and release.approved_by is None and release.body == "新內文"
    with pytest.raises(WorkflowError, match="cannot become scheduled"):
        from press.workflow import move

        move(session, release, "scheduled", "amy")


def test_schedule_in_the_past_is_refused(session: Session, settings: Settings) -> None:
    release = _draft(session, settings)
    submit(session, release, "amy")
    approve(session, release, "boss", settings)
    with pytest.raises(ScheduleError, match=r"113年9月2日（星期一）08:00 is in the past"):
        schedule_release(session, settings, release, NOW - timedelta(hours=1), "amy", now=NOW, publishers={})
    assert release.status == "approved"


def test_withdrawn_is_final(session: Session, settings: Settings) -> None:
    release = _draft(session, settings)
    withdraw(session, release, "boss", "錯誤")
    with pytest.raises(WorkflowError, match="withdrawn: it cannot become review"):
        submit(session, release, "amy")
