"""The claim-with-lease helper behind scheduled sends and stored updates, on SQLite and
PostgreSQL: order and limit, leases that hold until they lapse, workers that never share."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col

from storage import repositories as repo
from storage.engine import session_scope, upgrade
from storage.models import InboxUpdate, ScheduledSend
from storage.repositories._claim import claim_rows
from tests.utils.factories import T0, make_send


def _pending_or_lapsed(now: object) -> sa.ColumnElement[bool]:
    return sa.or_(
        col(ScheduledSend.status) == "pending",
        sa.and_(col(ScheduledSend.status) == "claimed", col(ScheduledSend.lease_until) < now),
    )


def _claim(db: Session, worker: str, *, at=T0, limit: int = 10) -> list[ScheduledSend]:
    return claim_rows(
        db,
        ScheduledSend,
        claimable=_pending_or_lapsed(at),
        order_by=[col(ScheduledSend.key).desc()],
        worker_id=worker,
        until=at + timedelta(seconds=60),
        limit=limit,
    )


def test_rows_are_claimed_in_the_given_order_up_to_the_limit(db: Session) -> None:
    for key in ("b", "d", "a", "c"):
        make_send(db, key=key)
    first = _claim(db, "w1", limit=3)
    assert [s.key for s in first] == ["d", "c", "b"]
    assert all(
        (s.status, s.claimed_by, s.lease_until, s.attempts)
        == ("claimed", "w1", T0 + timedelta(seconds=60), 1)
        for s in first
    )
    assert [s.key for s in _claim(db, "w2")] == ["a"]
    assert _claim(db, "w3") == []
    assert _claim(db, "w3", limit=0) == []


def test_a_lease_holds_until_it_lapses_then_counts_another_attempt(db: Session) -> None:
    make_send(db, key="only")
    [held] = _claim(db, "dead")
    assert _claim(db, "w2", at=T0 + timedelta(seconds=60)) == []
    [again] = _claim(db, "w2", at=T0 + timedelta(seconds=61))
    assert (again.id, again.claimed_by, again.attempts) == (held.id, "w2", 2)


def test_the_same_helper_claims_stored_updates(db: Session) -> None:
    """The inbox's claim goes through the helper: its own condition, its own order."""
    payload = {"message": {"text": "x"}}
    repo.store_updates(db, updates=[(12, 1, payload), (11, 2, payload), (13, 1, payload)])
    rows = repo.claim_updates(db, worker_id="a", now=T0, lease_s=30)
    assert [r.update_id for r in rows] == [11, 12]  # chat 1's second update waits
    assert all(r.status == "claimed" and r.attempts == 1 for r in rows)
    assert db.get(InboxUpdate, rows[0].id) is rows[0]


def test_two_workers_claiming_at_once_never_share_a_row(make_test_engine) -> None:
    engines = [make_test_engine(), make_test_engine()]
    upgrade(engines[0])
    total = 90
    with session_scope(engines[0]) as session:
        for i in range(total):
            make_send(session, key=f"k{i:03d}")
    barrier = threading.Barrier(2)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def worker(name: str, engine: sa.Engine) -> None:
        try:
            barrier.wait()
            while True:
                with session_scope(engine) as session:
                    ids = [s.id for s in _claim(session, name, limit=5)]
                assert len(ids) <= 5
                if not ids:
                    return
                claimed[name].extend(i for i in ids if i is not None)
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


def test_an_uncommitted_claim_is_skipped_not_waited_for_on_postgres(
    make_test_engine, backend
) -> None:
    if backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has a single writer")
    first_engine, second_engine = make_test_engine(), make_test_engine()
    upgrade(first_engine)
    with session_scope(first_engine) as session:
        for i in range(4):
            make_send(session, key=f"k{i}")
    holder = Session(first_engine)
    try:
        held = _claim(holder, "a", limit=2)
        with session_scope(second_engine) as session:
            session.connection().exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            other = _claim(session, "b")
        assert [s.key for s in held] == ["k3", "k2"]
        assert [s.key for s in other] == ["k1", "k0"]
        holder.commit()
    finally:
        holder.close()
