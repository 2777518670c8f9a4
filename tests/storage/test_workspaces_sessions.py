# mypy: disable-error-code="arg-type, union-attr"
"""Workspaces and live sessions: settings, one open session, isolation, cascade delete."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage import repositories as repo
from storage.engine import session_scope
from storage.errors import (
    InvalidValue,
    SessionAlreadyOpen,
    SessionNotFound,
    StorageError,
    WorkspaceNotFound,
)
from storage.models import LiveSession
from tests.utils.factories import (
    T0,
    make_import,
    make_minutes_frame,
    make_past_sessions_frame,
    make_send,
    make_session,
    make_snapshot,
    make_viewers_frame,
    make_workspace,
    next_id,
)

ALL_TABLES = (
    "workspace",
    "live_session",
    "snapshot",
    "minute_row",
    "viewer_row",
    "past_session",
    "import_record",
    "scheduled_send",
)


def test_get_or_create_workspace_is_idempotent(db: Session) -> None:
    chat = next_id()
    first = repo.get_or_create_workspace(
        db, chat_id=chat, chat_type="group", title="Team", language="zh", timezone="Asia/Shanghai"
    )
    second = repo.get_or_create_workspace(
        db, chat_id=chat, chat_type="group", title="Other", language="en", timezone="UTC"
    )
    assert first.id == second.id
    assert (second.language, second.timezone, second.title) == ("zh", "Asia/Shanghai", "Team")
    assert (second.digest_time, second.digest_enabled, second.nudges_enabled) == (
        "09:00",
        True,
        True,
    )
    assert repo.get_workspace(db, chat_id=chat).id == first.id
    assert repo.get_workspace(db, workspace_id=first.id).chat_id == chat


def test_chat_ids_beyond_32_bits_are_kept(db: Session) -> None:
    big = -1_002_233_445_566  # a supergroup id
    ws = make_workspace(db, chat_id=big, chat_type="supergroup")
    db.commit()
    db.expire_all()
    assert repo.get_workspace(db, workspace_id=ws.id).chat_id == big


def test_update_workspace_validates_and_bumps_updated_at(db: Session) -> None:
    ws = make_workspace(db)
    before = ws.updated_at
    updated = repo.update_workspace(
        db, workspace_id=ws.id, language="zh", timezone="Asia/Shanghai", digest_time="08:30"
    )
    assert (updated.language, updated.timezone, updated.digest_time) == (
        "zh",
        "Asia/Shanghai",
        "08:30",
    )
    assert updated.updated_at >= before
    for bad in (
        {"language": "fr"},
        {"timezone": "Mars/Olympus"},
        {"timezone": "Asia"},  # a folder of the tz database, not a zone
        {"currency": "yuan"},
        {"tz_confirmed": "yes"},
        {"digest_time": "25:00"},
        {"digest_enabled": "yes"},
        {"chat_id": 1},
    ):
        with pytest.raises(InvalidValue):
            repo.update_workspace(db, workspace_id=ws.id, **bad)
    with pytest.raises(WorkspaceNotFound):
        repo.update_workspace(db, workspace_id=10**9, language="en")


def test_list_workspaces_skips_inactive(db: Session) -> None:
    active = make_workspace(db)
    inactive = make_workspace(db, active=False)
    ids = {w.id for w in repo.list_workspaces(db)}
    assert active.id in ids and inactive.id not in ids
    assert inactive.id in {w.id for w in repo.list_workspaces(db, active_only=False)}


def test_second_open_session_is_refused(db: Session) -> None:
    ws = make_workspace(db)
    first = repo.open_session(db, workspace_id=ws.id, title="one", started_at=T0)
    with pytest.raises(SessionAlreadyOpen) as caught:
        repo.open_session(db, workspace_id=ws.id, title="two", started_at=T0)
    assert caught.value.open_session_id == first.id
    assert isinstance(caught.value, StorageError)
    # the transaction is still usable, and another workspace may open its own
    other = make_workspace(db)
    assert repo.open_session(db, workspace_id=other.id, title="x").status == "open"
    repo.close_session(db, session_id=first.id, ended_at=T0 + timedelta(hours=1))
    again = repo.open_session(db, workspace_id=ws.id, title="three", started_at=T0)
    assert repo.get_open_session(db, workspace_id=ws.id).id == again.id
    db.commit()


def test_partial_unique_index_is_enforced_by_the_database(db: Session) -> None:
    """Bypassing the repository, the database itself refuses a second open session."""
    ws = make_workspace(db)
    make_session(db, workspace=ws)
    make_session(db, workspace=ws, closed=True)  # closed ones are not limited
    make_session(db, workspace=ws, closed=True)
    db.commit()
    db.add(LiveSession(workspace_id=ws.id, title="sneaky", status="open", started_at=T0))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_concurrent_openers_get_one_session(make_test_engine) -> None:
    engines = [make_test_engine() for _ in range(2)]
    from storage.engine import upgrade

    upgrade(engines[0])
    with session_scope(engines[0]) as session:
        ws_id = make_workspace(session).id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def opener(engine) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                repo.open_session(session, workspace_id=ws_id, title="race")
            outcomes.append("opened")
        except SessionAlreadyOpen:
            outcomes.append("refused")

    threads = [threading.Thread(target=opener, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["opened", "refused"]


def test_open_session_needs_an_existing_workspace(db: Session) -> None:
    with pytest.raises(WorkspaceNotFound):
        repo.open_session(db, workspace_id=10**9, title="x")
    with pytest.raises(InvalidValue):
        repo.open_session(db, workspace_id=make_workspace(db).id, source="radio")


def test_get_session_of_another_workspace_is_none(db: Session) -> None:
    mine, theirs = make_workspace(db), make_workspace(db)
    live = make_session(db, workspace=theirs)
    assert repo.get_session(db, workspace_id=theirs.id, session_id=live.id).id == live.id
    assert repo.get_session(db, workspace_id=mine.id, session_id=live.id) is None
    assert repo.get_session_any(db, session_id=live.id).id == live.id
    assert repo.get_session_any(db, session_id=10**9) is None
    with pytest.raises(SessionNotFound):
        repo.close_session(db, session_id=live.id, workspace_id=mine.id)
    assert repo.last_session(db, workspace_id=mine.id) is None
    assert repo.list_sessions(db, workspace_id=mine.id, limit=10) == []


def test_close_is_idempotent_and_lists_are_newest_first(db: Session) -> None:
    ws = make_workspace(db)
    old = make_session(db, workspace=ws, closed=True, started_at=T0 - timedelta(days=2))
    mid = make_session(db, workspace=ws, closed=True, started_at=T0 - timedelta(days=1))
    live = make_session(db, workspace=ws, started_at=T0)
    closed = repo.close_session(db, session_id=live.id, ended_at=T0 + timedelta(hours=2))
    assert (closed.status, closed.ended_at) == ("closed", T0 + timedelta(hours=2))
    again = repo.close_session(db, session_id=live.id, ended_at=T0 + timedelta(hours=5))
    assert again.ended_at == T0 + timedelta(hours=2)
    assert [s.id for s in repo.list_sessions(db, workspace_id=ws.id, limit=10)] == [
        live.id,
        mid.id,
        old.id,
    ]
    assert [s.id for s in repo.list_sessions(db, workspace_id=ws.id, limit=2)] == [live.id, mid.id]
    assert repo.last_session(db, workspace_id=ws.id).id == live.id
    assert repo.get_open_session(db, workspace_id=ws.id) is None


def _fill_workspace(db: Session):
    ws = make_workspace(db)
    live = make_session(db, workspace=ws)
    make_snapshot(db, live=live)
    viewers = make_import(db, workspace=ws, live=live, kind="viewers")
    repo.bulk_insert_viewers(
        db, session_id=live.id, import_id=viewers.id, rows=make_viewers_frame(50)
    )
    minutes = make_import(db, workspace=ws, live=live, kind="minutes")
    repo.bulk_insert_minutes(
        db, session_id=live.id, import_id=minutes.id, rows=make_minutes_frame(30)
    )
    past = make_import(db, workspace=ws, kind="sessions")
    repo.bulk_insert_past_sessions(
        db, workspace_id=ws.id, import_id=past.id, rows=make_past_sessions_frame(7)
    )
    make_send(db, workspace=ws, key=f"summary:{live.id}")
    return ws, live


def _count_rows(db: Session) -> dict[str, int]:
    return {
        table: db.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
        for table in ALL_TABLES
    }


def test_delete_workspace_cascades_to_every_row(db: Session) -> None:
    gone, _ = _fill_workspace(db)
    _, kept_live = _fill_workspace(db)
    db.commit()
    before = _count_rows(db)
    counts = repo.delete_workspace_data(db, workspace_id=gone.id)
    db.commit()
    assert counts == {
        "workspaces": 1,
        "sessions": 1,
        "snapshots": 1,
        "minute_rows": 30,
        "viewer_rows": 50,
        "past_sessions": 7,
        "imports": 3,
        "scheduled_sends": 1,
    }
    after = _count_rows(db)
    # exactly the other workspace's rows remain: half of everything
    assert after == {table: before[table] // 2 for table in ALL_TABLES}
    assert repo.get_workspace(db, workspace_id=gone.id) is None
    assert len(repo.viewers_frame(db, session_id=kept_live.id)) == 50
    assert repo.delete_workspace_data(db, workspace_id=gone.id)["workspaces"] == 0
