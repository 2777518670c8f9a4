"""The update inbox on SQLite and PostgreSQL: stored once by update_id, claimed in order per
chat, leases that lapse, and instances that never take the same update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import repositories as repo
from storage.engine import session_scope
from storage.models import InboxUpdate

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def update(update_id: int, chat_id: int | None) -> tuple[int, int | None, dict[str, object]]:
    payload = {"update_id": update_id, "message": {"chat": {"id": chat_id}, "text": "x"}}
    return update_id, chat_id, payload


def claim(
    db: Session, worker: str = "a", *, at: datetime = T0, lease_s: float = 30.0, limit: int = 32
) -> list[int]:
    rows = repo.claim_updates(db, worker_id=worker, now=at, lease_s=lease_s, limit=limit)
    return [row.update_id for row in rows]


def count(db: Session) -> int:
    return int(db.execute(sa.select(sa.func.count()).select_from(InboxUpdate)).scalar_one())


def test_an_update_is_stored_once_whatever_comes_twice(db: Session) -> None:
    assert repo.store_updates(db, updates=[update(1, 10), update(2, 10)]) == [1, 2]
    assert repo.store_updates(db, updates=[update(2, 10), update(3, 11)]) == [3]
    assert repo.store_updates(db, updates=[update(1, 10)]) == []
    assert repo.store_updates(db, updates=[]) == []
    assert count(db) == 3
    assert repo.unfinished_updates(db) == 3


def test_one_chat_in_order_different_chats_at_once(db: Session) -> None:
    repo.store_updates(
        db, updates=[update(1, 10), update(2, 10), update(3, 11), update(4, None), update(5, None)]
    )
    # the oldest of each chat; updates of no chat each on their own
    assert claim(db) == [1, 3, 4, 5]
    assert claim(db) == []  # 2 waits for 1
    assert repo.finish_update(db, update_id=1, worker_id="a")
    assert claim(db) == [2]
    assert not repo.finish_update(db, update_id=2, worker_id="b")  # not b's
    assert repo.finish_update(db, update_id=2, worker_id="a")
    assert not repo.finish_update(db, update_id=2, worker_id="a")  # done already


def test_a_running_update_lets_its_chat_go_on(db: Session) -> None:
    repo.store_updates(db, updates=[update(1, 10), update(2, 10)])
    assert claim(db) == [1]
    assert repo.set_update_running(db, update_id=1, worker_id="a")
    assert claim(db) == [2]
    assert repo.finish_update(db, update_id=2, worker_id="a")
    assert repo.unfinished_updates(db) == 1  # the running one
    assert repo.finish_update(db, update_id=1, worker_id="a")
    assert repo.unfinished_updates(db) == 0


def test_a_lapsed_lease_is_taken_over_and_counts_its_attempts(db: Session) -> None:
    repo.store_updates(db, updates=[update(1, 10), update(2, 10)])
    assert claim(db, "a", lease_s=5) == [1]
    assert claim(db, "b", at=T0 + timedelta(seconds=4)) == []
    assert repo.renew_update_leases(db, worker_id="a", until=T0 + timedelta(seconds=10)) == 1
    assert claim(db, "b", at=T0 + timedelta(seconds=8)) == []
    assert claim(db, "a", at=T0 + timedelta(seconds=11)) == []  # a never takes back its own
    rows = repo.claim_updates(db, worker_id="b", now=T0 + timedelta(seconds=11), lease_s=5)
    assert [(r.update_id, r.attempts, r.claimed_by) for r in rows] == [(1, 2, "b")]
    assert not repo.finish_update(db, update_id=1, worker_id="a")  # a lost it
    assert repo.finish_update(db, update_id=1, worker_id="b")


def test_release_hands_everything_unfinished_back(db: Session) -> None:
    repo.store_updates(db, updates=[update(1, 10), update(2, 11), update(3, 12)])
    assert claim(db) == [1, 2, 3]
    repo.set_update_running(db, update_id=2, worker_id="a")
    repo.finish_update(db, update_id=3, worker_id="a")
    assert repo.release_update_claims(db) == 2
    assert claim(db, "b") == [1, 2]


def test_done_updates_are_forgotten_after_a_while(db: Session) -> None:
    repo.store_updates(db, updates=[update(1, 10), update(2, 11)])
    claim(db)
    repo.finish_update(db, update_id=1, worker_id="a")
    assert repo.forget_done_updates(db, before=datetime.now(UTC) - timedelta(days=1)) == 0
    assert repo.forget_done_updates(db, before=datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert count(db) == 1


def test_two_workers_claiming_at_once_never_share_an_update(engine: Engine) -> None:
    with session_scope(engine) as session:
        repo.store_updates(session, updates=[update(i, 100 + i % 7) for i in range(1, 61)])
    taken: list[int] = []
    for round_ in range(12):
        with session_scope(engine) as first, session_scope(engine) as second:
            a = claim(first, "a", limit=3)
            # on PostgreSQL while the first holds its claim; SQLite has one writer at a time
            concurrent = engine.dialect.name == "postgresql"
            b = claim(second, "b", limit=3) if concurrent else []
        with session_scope(engine) as third:
            b += claim(third, "b", limit=3)
        assert not set(a) & set(b), (round_, a, b)
        taken += a + b
        with session_scope(engine) as session:
            for update_id in a:
                repo.finish_update(session, update_id=update_id, worker_id="a")
            for update_id in b:
                repo.finish_update(session, update_id=update_id, worker_id="b")
    assert len(taken) == len(set(taken)) == 60


def test_forgetting_a_workspace_removes_its_chats_processed_messages(db: Session) -> None:
    workspace = repo.get_or_create_workspace(
        db, chat_id=10, chat_type="private", title=None, language="en", timezone="UTC"
    )
    repo.store_updates(db, updates=[update(1, 10), update(2, 10), update(3, 11)])
    assert claim(db) == [1, 3]
    assert repo.finish_update(db, update_id=1, worker_id="a")
    assert repo.finish_update(db, update_id=3, worker_id="a")
    assert claim(db) == [2]  # the /forget itself, still running
    repo.delete_workspace_data(db, workspace_id=workspace.id)  # type: ignore[arg-type]
    left = set(db.execute(sa.select(InboxUpdate.update_id)).scalars())
    assert left == {2, 3}  # another chat's messages and the one being processed stay
