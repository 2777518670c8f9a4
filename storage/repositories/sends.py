"""Scheduled sends: due messages and jobs, claimed in the database so each runs once.

A worker claims due rows with a lease; a row whose lease ran out (its worker died) is due
again. PostgreSQL claims with `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent workers take
different rows without waiting; SQLite has one writer at a time, and the claim is one
conditional UPDATE, so it is atomic there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import InvalidValue
from storage.models import SEND_KINDS, ScheduledSend, utcnow
from storage.repositories._claim import claim_rows
from storage.repositories._common import as_utc, insert_ignore

__all__ = [
    "claim_due_sends",
    "drop_send",
    "get_send",
    "mark_failed",
    "mark_sent",
    "pending_sends",
    "record_send_parts",
    "schedule_send",
]


def schedule_send(
    session: Session,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    workspace_id: int | None = None,
    payload: dict[str, Any] | None = None,
    session_id: int | None = None,
) -> ScheduledSend:
    """Schedule a send (about live session `session_id`, when given); idempotent on `key`
    (an existing row is returned unchanged)."""
    if kind not in SEND_KINDS:
        raise InvalidValue(f"kind must be one of {SEND_KINDS}, got {kind!r}")
    candidate = ScheduledSend(
        kind=kind,
        key=key,
        due_at=as_utc(due_at, "due_at"),
        workspace_id=workspace_id,
        payload=payload,
        session_id=session_id,
    )
    insert_ignore(session, candidate, conflict=["key"])
    row = get_send(session, key=key)
    assert row is not None
    return row


def get_send(session: Session, *, key: str) -> ScheduledSend | None:
    """The scheduled send with that key."""
    return session.exec(select(ScheduledSend).where(ScheduledSend.key == key)).first()


def _claimable(now: datetime, kinds: Sequence[str] | None = None) -> sa.ColumnElement[bool]:
    pending_due = sa.and_(col(ScheduledSend.status) == "pending", col(ScheduledSend.due_at) <= now)
    lease_over = sa.and_(
        col(ScheduledSend.status) == "claimed", col(ScheduledSend.lease_until) < now
    )
    due = sa.or_(pending_due, lease_over)
    if kinds is not None:
        return sa.and_(col(ScheduledSend.kind).in_(tuple(kinds)), due)
    return due


def claim_due_sends(
    session: Session,
    *,
    now: datetime,
    worker_id: str,
    lease_s: float,
    limit: int = 10,
    kinds: Sequence[str] | None = None,
) -> list[ScheduledSend]:
    """Claim up to `limit` due sends for `worker_id` until `now + lease_s`, oldest due first.

    Due means pending with `due_at <= now`, or claimed with a lease that ran out. Each
    claim adds one to `attempts`. Commit soon after, so other workers see the claim.
    With `kinds`, only sends of those kinds are claimed.
    """
    moment = as_utc(now, "now")
    return claim_rows(
        session,
        ScheduledSend,
        claimable=_claimable(moment, kinds),
        order_by=[col(ScheduledSend.due_at), col(ScheduledSend.id)],
        worker_id=worker_id,
        until=moment + timedelta(seconds=lease_s),
        limit=limit,
    )


def _finish(session: Session, send_id: int, worker_id: str | None, **values: Any) -> bool:
    stmt = sa.update(ScheduledSend).where(
        col(ScheduledSend.id) == send_id,
        col(ScheduledSend.status).in_(("pending", "claimed")),
    )
    if worker_id is not None:
        stmt = stmt.where(col(ScheduledSend.claimed_by) == worker_id)
    session.flush()
    result = session.execute(
        stmt.values(**values).returning(col(ScheduledSend.id)),
        execution_options={"synchronize_session": False},
    )
    done = result.scalar_one_or_none() is not None
    if done:
        row = session.get(ScheduledSend, send_id)
        if row is not None:
            session.refresh(row)
    return done


def mark_sent(
    session: Session,
    *,
    send_id: int,
    worker_id: str | None = None,
    sent_at: datetime | None = None,
) -> bool:
    """Mark the send done; False when it was not pending/claimed (or not by `worker_id`)."""
    moment = as_utc(sent_at, "sent_at") if sent_at is not None else utcnow()
    return _finish(session, send_id, worker_id, status="sent", sent_at=moment, lease_until=None)


def mark_failed(
    session: Session,
    *,
    send_id: int,
    error: str,
    retry_at: datetime | None = None,
    worker_id: str | None = None,
) -> bool:
    """Record a failure: pending again at `retry_at` when given, else `failed` for good."""
    if retry_at is not None:
        return _finish(
            session,
            send_id,
            worker_id,
            status="pending",
            due_at=as_utc(retry_at, "retry_at"),
            claimed_by=None,
            lease_until=None,
            last_error=error,
        )
    return _finish(session, send_id, worker_id, status="failed", lease_until=None, last_error=error)


def record_send_parts(session: Session, *, send_id: int, parts: int, key: str) -> bool:
    """Store in the send's payload under `key` that `parts` of it were delivered; False
    when the send is gone or no longer pending/claimed."""
    row = session.get(ScheduledSend, send_id)
    if row is None or row.status not in ("pending", "claimed"):
        return False
    payload = dict(row.payload or {})
    payload[key] = int(parts)
    row.payload = payload  # a new dict: the JSON column sees the change
    session.add(row)
    session.flush()
    return True


def drop_send(session: Session, *, key: str) -> bool:
    """Cancel a send that has not gone out; False when there is none to cancel."""
    row = get_send(session, key=key)
    if row is None or row.id is None:
        return False
    return _finish(session, row.id, None, status="dropped", lease_until=None)


def pending_sends(
    session: Session,
    *,
    kind: str | None = None,
    workspace_id: int | None = None,
    kinds: Sequence[str] | None = None,
) -> list[ScheduledSend]:
    """Sends not yet done (pending or claimed), soonest due first; of `kind` or of one of
    `kinds` when given."""
    stmt = select(ScheduledSend).where(col(ScheduledSend.status).in_(("pending", "claimed")))
    if kind is not None:
        stmt = stmt.where(ScheduledSend.kind == kind)
    if kinds is not None:
        stmt = stmt.where(col(ScheduledSend.kind).in_(tuple(kinds)))
    if workspace_id is not None:
        stmt = stmt.where(ScheduledSend.workspace_id == workspace_id)
    stmt = stmt.order_by(col(ScheduledSend.due_at), col(ScheduledSend.id))
    return list(session.exec(stmt).all())


def sends_due_between(
    session: Session, *, kind: str, after: datetime, until: datetime
) -> list[ScheduledSend]:
    """Pending sends of `kind` due after `after` and no later than `until`, soonest first."""
    stmt = (
        select(ScheduledSend)
        .where(
            col(ScheduledSend.kind) == kind,
            col(ScheduledSend.status) == "pending",
            col(ScheduledSend.due_at) > as_utc(after, "after"),
            col(ScheduledSend.due_at) <= as_utc(until, "until"),
        )
        .order_by(col(ScheduledSend.due_at), col(ScheduledSend.id))
    )
    return list(session.exec(stmt).all())


NUDGE_MADE = ("pending", "claimed", "sent")
"""A nudge in one of these states was made (sent or on its way)."""


def session_nudges(
    session: Session,
    *,
    session_id: int,
    statuses: Sequence[str] = NUDGE_MADE,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[ScheduledSend]:
    """The nudges of a live session in `statuses`, by due time."""
    due = col(ScheduledSend.due_at)
    stmt = (
        select(ScheduledSend)
        .where(
            col(ScheduledSend.kind) == "nudge",
            col(ScheduledSend.session_id) == session_id,
            col(ScheduledSend.status).in_(tuple(statuses)),
        )
        .order_by(due.desc() if newest_first else due, col(ScheduledSend.id))
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt).all())
