"""Telegram updates: the inbox they are processed from, and the state changes applied once
per (chat, message)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import InboxUpdate, ProcessedUpdate, utcnow
from storage.repositories._claim import claim_rows
from storage.repositories._common import as_utc, dialect_name, insert_ignore, table_of

__all__ = [
    "claim_updates",
    "finish_update",
    "forget_done_updates",
    "is_update_processed",
    "mark_update_processed",
    "release_update_claims",
    "renew_update_leases",
    "set_update_running",
    "store_updates",
    "unfinished_updates",
]


def mark_update_processed(session: Session, *, chat_id: int, message_id: int, kind: str) -> bool:
    """Record the update; False when it was recorded before (then do not apply it again).

    Call it in the transaction that applies the change, so both land or neither does.
    """
    candidate = ProcessedUpdate(chat_id=chat_id, message_id=message_id, kind=kind)
    return insert_ignore(session, candidate, conflict=["chat_id", "message_id"]) is not None


def is_update_processed(session: Session, *, chat_id: int, message_id: int) -> bool:
    """Whether the update was recorded."""
    stmt = select(ProcessedUpdate.id).where(
        ProcessedUpdate.chat_id == chat_id, ProcessedUpdate.message_id == message_id
    )
    return session.exec(stmt).first() is not None


# ------------------------------------------------------------------------------ the inbox
#
# An update is stored here before Telegram is told it arrived, then claimed, processed and
# marked done. Per chat, only the oldest unfinished update can be claimed: `claimed` holds
# the chat back until its handlers have run; `running` (the handlers returned, work they
# started in the background goes on) lets the chat's next update through. A claim carries
# a lease: a row whose lease ran out (its process died) is claimable again. PostgreSQL
# picks rows with `FOR UPDATE SKIP LOCKED`, so instances take different ones; SQLite has
# one writer and one process.

_OPEN = ("pending", "claimed")
_UNFINISHED = ("pending", "claimed", "running")


def store_updates(
    session: Session, *, updates: Sequence[tuple[int, int | None, dict[str, Any]]]
) -> list[int]:
    """Store (update_id, chat_id, payload) rows; the update ids that were new (a replay of a
    stored update is ignored). One statement, so a replay never aborts the transaction."""
    if not updates:
        return []
    now = utcnow()
    rows = [
        {
            "update_id": int(update_id),
            "chat_id": chat_id,
            "payload": payload,
            "received_at": now,
            "status": "pending",
            "attempts": 0,
        }
        for update_id, chat_id, payload in updates
    ]
    table = table_of(InboxUpdate)
    insert: Any = (
        postgresql.insert(table) if dialect_name(session) == "postgresql" else sqlite.insert(table)
    )
    stmt = (
        insert.values(rows)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id)
    )
    session.flush()
    return [int(u) for u in session.execute(stmt).scalars()]


def _claimable(now: datetime, worker_id: str) -> sa.ColumnElement[bool]:
    earlier = aliased(InboxUpdate)
    blocked = sa.exists().where(
        col(earlier.chat_id) == col(InboxUpdate.chat_id),
        col(earlier.update_id) < col(InboxUpdate.update_id),
        col(earlier.status).in_(_OPEN),
    )
    ready = sa.or_(
        col(InboxUpdate.status) == "pending",
        sa.and_(
            col(InboxUpdate.status).in_(("claimed", "running")),
            col(InboxUpdate.lease_until) < now,
            # a worker never takes back what it holds: it is alive, only late to renew
            col(InboxUpdate.claimed_by) != worker_id,
        ),
    )
    return sa.and_(ready, ~blocked)


def claim_updates(
    session: Session, *, worker_id: str, now: datetime, lease_s: float, limit: int = 32
) -> list[InboxUpdate]:
    """Claim up to `limit` updates for `worker_id` until `now + lease_s`: for each chat its
    oldest unfinished update (when nothing before it is still pending or claimed), oldest
    first; an update whose lease lapsed is taken over, unless `worker_id` itself holds it.
    Each claim adds one to `attempts` (more than one: an earlier run was cut off)."""
    moment = as_utc(now, "now")
    return claim_rows(
        session,
        InboxUpdate,
        claimable=_claimable(moment, worker_id),
        order_by=[col(InboxUpdate.update_id)],
        worker_id=worker_id,
        until=moment + timedelta(seconds=lease_s),
        limit=limit,
    )


def _move(session: Session, update_id: int, worker_id: str, **values: Any) -> bool:
    stmt = (
        sa.update(InboxUpdate)
        .where(
            col(InboxUpdate.update_id) == update_id,
            col(InboxUpdate.claimed_by) == worker_id,
            col(InboxUpdate.status).in_(("claimed", "running")),
        )
        .values(**values)
        .returning(col(InboxUpdate.id))
    )
    session.flush()
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return result.scalar_one_or_none() is not None


def set_update_running(session: Session, *, update_id: int, worker_id: str) -> bool:
    """The update's handlers returned and left work running: the chat may go on."""
    return _move(session, update_id, worker_id, status="running")


def finish_update(session: Session, *, update_id: int, worker_id: str) -> bool:
    """Mark the update done; False when `worker_id` no longer holds it (its lease ran out
    and another worker took it)."""
    return _move(session, update_id, worker_id, status="done", done_at=utcnow(), lease_until=None)


def renew_update_leases(session: Session, *, worker_id: str, until: datetime) -> int:
    """Extend the leases `worker_id` holds; how many."""
    stmt = (
        sa.update(InboxUpdate)
        .where(
            col(InboxUpdate.claimed_by) == worker_id,
            col(InboxUpdate.status).in_(("claimed", "running")),
        )
        .values(lease_until=as_utc(until, "until"))
    )
    session.flush()
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_update_claims(session: Session) -> int:
    """Every claimed or running update back to pending (at the start of the only process
    that serves the database: whoever held them is gone); how many."""
    stmt = (
        sa.update(InboxUpdate)
        .where(col(InboxUpdate.status).in_(("claimed", "running")))
        .values(status="pending", claimed_by=None, lease_until=None)
    )
    session.flush()
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def unfinished_updates(session: Session) -> int:
    """How many stored updates are not done yet."""
    stmt = sa.select(sa.func.count()).where(col(InboxUpdate.status).in_(_UNFINISHED))
    return int(session.execute(stmt).scalar_one())


def forget_done_updates(session: Session, *, before: datetime) -> int:
    """Delete updates done before `before` (Telegram redelivers for a day at most)."""
    stmt = sa.delete(InboxUpdate).where(
        col(InboxUpdate.status) == "done", col(InboxUpdate.done_at) < as_utc(before, "before")
    )
    session.flush()
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_processed_updates(session: Session, *, chat_id: int) -> int:
    """Delete the processed-update marks of a chat; how many."""
    stmt = sa.delete(ProcessedUpdate).where(col(ProcessedUpdate.chat_id) == chat_id)
    session.flush()
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
