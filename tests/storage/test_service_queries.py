# mypy: disable-error-code="arg-type, union-attr"
"""The queries the services and the scheduler ask of the repositories, on SQLite and
PostgreSQL: a session's nudges, sends due in a window, open and recent sessions, a chat's
processed updates, the operators' counts."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from storage import repositories as repo
from storage.models import ProcessedUpdate, SendPace, Workspace
from tests.utils.factories import T0, make_send, make_session, make_workspace


def _nudge(db: Session, session_id: int, slot: int, *, code: str = "c", minutes: int = 0):
    return make_send(
        db,
        kind="nudge",
        key=f"nudge:{session_id}:{slot}",
        due_at=T0 + timedelta(minutes=minutes),
        session_id=session_id,
        payload={"session_id": session_id, "code": code, "params": {}},
    )


def test_session_nudges_are_found_by_their_session_not_by_a_key_prefix(db: Session) -> None:
    live = make_session(db)
    other = make_session(db)
    first = _nudge(db, live.id, 1, minutes=1)
    second = _nudge(db, live.id, 2, minutes=5)
    _nudge(db, other.id, 1, minutes=3)
    # a key that merely starts like this session's belongs to another one
    _nudge(db, int(f"{live.id}0"), 1, minutes=4)
    assert [r.id for r in repo.session_nudges(db, session_id=live.id)] == [first.id, second.id]
    [newest] = repo.session_nudges(db, session_id=live.id, newest_first=True, limit=1)
    assert newest.id == second.id
    repo.mark_sent(db, send_id=first.id)
    sent = repo.session_nudges(db, session_id=live.id, statuses=("sent",))
    assert [r.id for r in sent] == [first.id]
    repo.mark_failed(db, send_id=second.id, error="x")
    assert [r.id for r in repo.session_nudges(db, session_id=live.id)] == [first.id]


def test_sends_due_between_takes_pending_ones_of_the_kind_in_the_window(db: Session) -> None:
    inside = make_send(db, kind="digest", due_at=T0 + timedelta(minutes=30))
    make_send(db, kind="digest", due_at=T0)  # due now: not after `after`
    make_send(db, kind="digest", due_at=T0 + timedelta(hours=2))
    make_send(db, kind="summary", due_at=T0 + timedelta(minutes=20))
    edge = make_send(db, kind="digest", due_at=T0 + timedelta(hours=1))
    rows = repo.sends_due_between(db, kind="digest", after=T0, until=T0 + timedelta(hours=1))
    assert [r.id for r in rows] == [inside.id, edge.id]
    kinds = {r.kind for r in repo.pending_sends(db, kinds=["summary"])}
    assert kinds == {"summary"}


def test_open_sessions_and_sessions_created_since(db: Session) -> None:
    open_one = make_session(db)
    make_session(db, closed=True)
    assert [s.id for s in repo.open_sessions(db)] == [open_one.id]
    ids = repo.session_ids_created_since(db, since=open_one.created_at - timedelta(seconds=1))
    assert open_one.id in ids and len(ids) == 2
    later = repo.session_ids_created_since(db, since=open_one.created_at + timedelta(days=1))
    assert later == []


def test_forgetting_a_chats_processed_updates_leaves_other_chats(db: Session) -> None:
    for chat, message in ((1, 1), (1, 2), (2, 1)):
        repo.mark_update_processed(db, chat_id=chat, message_id=message, kind="push")
    assert repo.forget_processed_updates(db, chat_id=1) == 2
    assert repo.count_rows(db, model=ProcessedUpdate) == 1
    assert repo.forget_processed_updates(db, chat_id=1) == 0


def test_counts_for_the_operators(db: Session, backend: str) -> None:
    make_workspace(db)
    make_workspace(db, active=False)
    assert repo.count_rows(db, model=Workspace) == 2
    assert repo.count_active_workspaces(db) == 1
    assert repo.last_trained_at(db, kind="forecast") is None
    repo.add_model_version(db, kind="forecast", trained_at=T0, sha256="0" * 64, path="m.skops")
    repo.add_model_version(
        db, kind="forecast", trained_at=T0 + timedelta(days=1), sha256="1" * 64, path="n.skops"
    )
    assert repo.last_trained_at(db, kind="forecast") == T0 + timedelta(days=1)
    if backend == "postgresql":
        assert repo.database_bytes(db) > 0
        assert repo.search_path(db)


def test_a_write_probe_rolls_back_to_nothing(db: Session) -> None:
    before = repo.count_rows(db, model=SendPace)
    nested = db.begin_nested()
    repo.probe_write(db, key="healthz:x")
    assert repo.count_rows(db, model=SendPace) == before + 1
    nested.rollback()
    assert repo.count_rows(db, model=SendPace) == before
