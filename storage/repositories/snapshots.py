"""Snapshots pushed during a stream, deduplicated by a key stored with the row."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.errors import InvalidValue, SessionNotFound, UnknownColumns
from storage.models import SNAPSHOT_COLUMNS, LiveSession, Snapshot, utcnow
from storage.repositories._common import as_utc, dialect_name, insert_ignore
from storage.repositories.frames import snapshots_frame

__all__ = ["PushRecord", "add_snapshot", "record_push", "snapshot_rows", "snapshots_frame"]


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidValue(f"{name}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{name}: expected a number, got {value!r}") from exc
    return None if math.isnan(number) else number


def add_snapshot(
    session: Session,
    *,
    session_id: int,
    ts: datetime,
    values: Mapping[str, Any],
    dedupe_key: str,
) -> Snapshot | None:
    """Store a snapshot; None when `dedupe_key` was seen before (nothing changes then).

    `values` maps snapshot columns (`online`, `gmv`, …) to numbers; a column left out or
    None/NaN is missing. The session's `last_push_at` moves forward to `ts`.
    """
    unknown = set(values) - set(SNAPSHOT_COLUMNS)
    if unknown:
        raise UnknownColumns("snapshot", unknown)
    live = session.get(LiveSession, session_id)
    if live is None:
        raise SessionNotFound(f"session {session_id}")
    moment = as_utc(ts, "ts")
    numbers = {name: _number(name, value) for name, value in values.items()}
    candidate = Snapshot(session_id=session_id, ts=moment, dedupe_key=dedupe_key)
    for name, number in numbers.items():
        setattr(candidate, name, number)
    new_id = insert_ignore(session, candidate, conflict=["dedupe_key"])
    if new_id is None:
        return None
    if live.last_push_at is None or live.last_push_at < moment:
        live.last_push_at = moment
        session.add(live)
        session.flush()
    return session.get(Snapshot, new_id)


def snapshot_rows(session: Session, *, session_id: int) -> list[dict[str, Any]]:
    """The session's snapshots, oldest first, as plain dicts (`ts` and the value columns;
    None where missing) — the light read for every live push; `snapshots_frame` is the
    pandas one for reports."""
    table = Snapshot.__table__  # type: ignore[attr-defined]
    columns = [table.c.ts, *(table.c[name] for name in SNAPSHOT_COLUMNS)]
    stmt = sa.select(*columns).where(table.c.session_id == session_id)
    stmt = stmt.order_by(table.c.ts, table.c.id)
    return [dict(row._mapping) for row in session.execute(stmt)]


@dataclass(slots=True)
class PushRecord:
    """What became of a live push: stored in the open session (with all the session's
    snapshots after it, as from `snapshot_rows`), a duplicate, or no open session."""

    status: Literal["ok", "duplicate", "no_session"]
    session_id: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


def record_push(
    session: Session,
    *,
    workspace_id: int,
    ts: datetime,
    values: Mapping[str, Any],
    dedupe_key: str,
) -> PushRecord:
    """Store a push as a snapshot of the workspace's open session — the hot path of the
    bot, so four Core statements instead of ORM objects: find the open session, insert
    unless the key was seen, move `last_push_at`, read the session's snapshots."""
    unknown = set(values) - set(SNAPSHOT_COLUMNS)
    if unknown:
        raise UnknownColumns("snapshot", unknown)
    sessions = LiveSession.__table__  # type: ignore[attr-defined]
    snapshots = Snapshot.__table__  # type: ignore[attr-defined]
    open_id = session.execute(
        sa.select(sessions.c.id).where(
            sessions.c.workspace_id == workspace_id, sessions.c.status == "open"
        )
    ).scalar_one_or_none()
    if open_id is None:
        return PushRecord("no_session")
    moment = as_utc(ts, "ts")
    row: dict[str, Any] = {name: _number(name, value) for name, value in values.items()}
    row.update(session_id=open_id, ts=moment, dedupe_key=dedupe_key, created_at=utcnow())
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    stmt = insert(snapshots).values(**row).on_conflict_do_nothing(index_elements=["dedupe_key"])
    new_id = session.execute(stmt.returning(snapshots.c.id)).scalar_one_or_none()
    if new_id is None:
        return PushRecord("duplicate", open_id)
    session.execute(
        sa.update(sessions)
        .where(sessions.c.id == open_id)
        .where(sa.or_(sessions.c.last_push_at.is_(None), sessions.c.last_push_at < moment))
        .values(last_push_at=moment)
    )
    return PushRecord("ok", open_id, snapshot_rows(session, session_id=open_id))
