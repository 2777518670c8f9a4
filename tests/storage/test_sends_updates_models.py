# mypy: disable-error-code="arg-type, union-attr"
"""Scheduled sends (claims with leases), processed updates and model versions."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session

from storage import repositories as repo
from storage.engine import session_scope, upgrade
from storage.errors import InvalidValue, ModelVersionNotFound
from tests.utils.factories import T0, make_send, make_workspace, next_id


def test_schedule_send_is_idempotent_on_key(db: Session) -> None:
    ws = make_workspace(db)
    first = repo.schedule_send(
        db, kind="digest", key="digest:7:2026-11-27", due_at=T0, workspace_id=ws.id,
        payload={"day": "2026-11-27"},
    )  # fmt: skip
    again = repo.schedule_send(
        db, kind="digest", key="digest:7:2026-11-27", due_at=T0 + timedelta(hours=1)
    )
    assert again.id == first.id
    assert again.due_at == T0 and again.payload == {"day": "2026-11-27"}
    assert (again.status, again.attempts) == ("pending", 0)
    with pytest.raises(InvalidValue):
        repo.schedule_send(db, kind="telegram", key="x", due_at=T0)


def test_claim_takes_due_rows_once_oldest_first(db: Session) -> None:
    late = make_send(db, due_at=T0 + timedelta(minutes=10))
    second = make_send(db, due_at=T0 - timedelta(minutes=1))
    first = make_send(db, due_at=T0 - timedelta(minutes=5))
    [one] = repo.claim_due_sends(db, now=T0, worker_id="w1", lease_s=60, limit=1)
    rest = repo.claim_due_sends(db, now=T0, worker_id="w1", lease_s=60, limit=10)
    claimed = [one, *rest]
    assert [s.id for s in claimed] == [first.id, second.id]
    assert all(s.status == "claimed" and s.claimed_by == "w1" for s in claimed)
    assert all(s.lease_until == T0 + timedelta(seconds=60) and s.attempts == 1 for s in claimed)
    assert repo.claim_due_sends(db, now=T0, worker_id="w2", lease_s=60, limit=10) == []
    later = repo.claim_due_sends(
        db, now=T0 + timedelta(seconds=30), worker_id="w2", lease_s=60, limit=10
    )
    assert later == []  # leases still running, `late` not due yet
    assert late.status == "pending"


def test_expired_lease_is_reclaimed(db: Session) -> None:
    send = make_send(db, due_at=T0)
    [claimed] = repo.claim_due_sends(db, now=T0, worker_id="dead", lease_s=30, limit=5)
    assert claimed.id == send.id
    assert (
        repo.claim_due_sends(db, now=T0 + timedelta(seconds=29), worker_id="w2", lease_s=30) == []
    )
    [again] = repo.claim_due_sends(db, now=T0 + timedelta(seconds=31), worker_id="w2", lease_s=30)
    assert (again.id, again.claimed_by, again.attempts) == (send.id, "w2", 2)
    # the dead worker can no longer finish it; the new one can
    assert not repo.mark_sent(db, send_id=send.id, worker_id="dead")
    assert repo.mark_sent(db, send_id=send.id, worker_id="w2", sent_at=T0 + timedelta(minutes=1))
    assert repo.get_send(db, key=send.key).status == "sent"
    assert repo.get_send(db, key=send.key).sent_at == T0 + timedelta(minutes=1)
    assert repo.claim_due_sends(db, now=T0 + timedelta(days=1), worker_id="w3", lease_s=30) == []


def test_failed_sends_retry_or_stop(db: Session) -> None:
    retry, fatal = make_send(db, due_at=T0), make_send(db, due_at=T0)
    repo.claim_due_sends(db, now=T0, worker_id="w", lease_s=60)
    assert repo.mark_failed(
        db, send_id=retry.id, error="retry_after 5", retry_at=T0 + timedelta(seconds=5)
    )
    assert repo.mark_failed(db, send_id=fatal.id, error="Forbidden: bot was blocked")
    assert repo.get_send(db, key=fatal.key).status == "failed"
    again = repo.claim_due_sends(db, now=T0 + timedelta(seconds=5), worker_id="w", lease_s=60)
    assert [s.id for s in again] == [retry.id]
    assert again[0].attempts == 2 and again[0].last_error == "retry_after 5"


def test_drop_and_pending_sends(db: Session) -> None:
    ws = make_workspace(db)
    keep = make_send(db, workspace=ws, kind="summary", due_at=T0 + timedelta(minutes=1))
    drop = make_send(db, workspace=ws, kind="summary", due_at=T0)
    other = make_send(db, kind="retrain", due_at=T0)
    assert repo.drop_send(db, key=drop.key)
    assert not repo.drop_send(db, key=drop.key)
    assert not repo.drop_send(db, key="missing")
    assert [s.id for s in repo.pending_sends(db, workspace_id=ws.id)] == [keep.id]
    assert [s.id for s in repo.pending_sends(db, kind="retrain")] == [other.id]
    claimed = repo.claim_due_sends(db, now=T0 + timedelta(hours=1), worker_id="w", lease_s=60)
    assert {s.id for s in claimed} == {keep.id, other.id}


def test_two_claimers_never_get_the_same_row(make_test_engine) -> None:
    """Two workers on their own connections claim concurrently until nothing is left."""
    engines = [make_test_engine(), make_test_engine()]
    upgrade(engines[0])
    total = 120
    with session_scope(engines[0]) as session:
        for i in range(total):
            make_send(session, key=f"summary:{i}", due_at=T0 - timedelta(seconds=i))
    barrier = threading.Barrier(2)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def worker(name: str, engine) -> None:
        try:
            barrier.wait()
            while True:
                with session_scope(engine) as session:
                    got = repo.claim_due_sends(
                        session, now=T0, worker_id=name, lease_s=300, limit=7
                    )
                    ids = [s.id for s in got]
                assert len(ids) <= 7
                if not ids:
                    return
                claimed[name].extend(ids)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(name, engine))
        for name, engine in zip(("a", "b"), engines, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    together = claimed["a"] + claimed["b"]
    assert len(together) == len(set(together)) == total
    with session_scope(engines[0]) as session:
        rows = repo.pending_sends(session)
        assert len(rows) == total
        assert {s.claimed_by for s in rows} <= {"a", "b"}
        assert all(s.attempts == 1 for s in rows)
        by_worker = {s.id: s.claimed_by for s in rows}
    assert all(by_worker[i] == "a" for i in claimed["a"])


def test_open_claim_does_not_block_or_share_rows_on_postgres(make_test_engine, backend) -> None:
    """With a claim still uncommitted, a second worker skips the locked rows."""
    if backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has a single writer")
    first_engine, second_engine = make_test_engine(), make_test_engine()
    upgrade(first_engine)
    with session_scope(first_engine) as session:
        for i in range(6):
            make_send(session, key=f"digest:{i}", kind="digest", due_at=T0)
    holder = Session(first_engine)
    try:
        held = repo.claim_due_sends(holder, now=T0, worker_id="a", lease_s=60, limit=3)
        with session_scope(second_engine) as session:
            session.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            other = repo.claim_due_sends(session, now=T0, worker_id="b", lease_s=60, limit=10)
        assert len(held) == 3
        assert {s.id for s in held}.isdisjoint({s.id for s in other})
        assert len(other) == 3
        holder.commit()
    finally:
        holder.close()


# --------------------------------------------------------------------- processed updates


def test_update_is_processed_once(db: Session) -> None:
    chat, message = next_id(), next_id()
    assert not repo.is_update_processed(db, chat_id=chat, message_id=message)
    assert repo.mark_update_processed(db, chat_id=chat, message_id=message, kind="golive")
    assert not repo.mark_update_processed(db, chat_id=chat, message_id=message, kind="golive")
    assert repo.is_update_processed(db, chat_id=chat, message_id=message)
    assert repo.mark_update_processed(db, chat_id=chat, message_id=message + 1, kind="golive")
    assert repo.mark_update_processed(db, chat_id=chat + 1, message_id=message, kind="golive")


def test_processed_update_rolls_back_with_the_change(engine) -> None:
    chat = next_id()
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        make_workspace(session, chat_id=chat)
        repo.mark_update_processed(session, chat_id=chat, message_id=1, kind="start")
        raise RuntimeError("crash before commit")
    with session_scope(engine) as session:
        assert not repo.is_update_processed(session, chat_id=chat, message_id=1)
        assert repo.get_workspace(session, chat_id=chat) is None


# ------------------------------------------------------------------------ model versions


def test_model_versions_number_activate_and_roll_back(db: Session) -> None:
    def add(kind: str = "buying_power", **kw):
        return repo.add_model_version(
            db, kind=kind, trained_at=T0, sha256="0" * 64, path=f"models/{next_id()}.skops", **kw
        )

    v1 = add(rows_used=100, metrics={"r2": 0.41, "model": "linear"})
    v2 = add(rows_used=200)
    f1 = add(kind="forecast")
    assert (v1.version, v2.version, f1.version) == (1, 2, 1)
    assert repo.active_model_version(db, kind="buying_power").version == 2
    assert repo.active_model_version(db, kind="forecast").version == 1
    rolled = repo.activate_model_version(db, kind="buying_power", version=1)
    assert rolled.active and rolled.metrics == {"r2": 0.41, "model": "linear"}
    versions = repo.list_model_versions(db, kind="buying_power")
    assert [(v.version, v.active) for v in versions] == [(2, False), (1, True)]
    v3 = add(activate=False)
    assert v3.version == 3 and repo.active_model_version(db, kind="buying_power").version == 1
    with pytest.raises(ModelVersionNotFound):
        repo.activate_model_version(db, kind="buying_power", version=9)
    # an admin's choice is recorded beside the figures, which stay as they were
    chosen = repo.activate_model_version(db, kind="buying_power", version=2, chosen=True)
    db.flush()
    db.expire_all()
    again = repo.active_model_version(db, kind="buying_power")
    assert chosen.version == again.version == 2
    assert again.metrics == {repo.CHOSEN: True}
    assert repo.activate_model_version(db, kind="buying_power", version=1).metrics == {
        "r2": 0.41,
        "model": "linear",
    }
    with pytest.raises(InvalidValue):
        repo.active_model_version(db, kind="astrology")
