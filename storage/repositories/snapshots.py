"""Snapshots pushed during a stream, deduplicated by a key stored with the row."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session

from storage.errors import InvalidValue, SessionNotFound, UnknownColumns
from storage.models import SNAPSHOT_COLUMNS, LiveSession, Snapshot, utcnow
from storage.repositories._common import as_utc, dialect_name, insert_ignore, placeholder, table_of
from storage.repositories.frames import SQLITE_TS_FORMAT, snapshots_frame

__all__ = [
    "AnsweredPush",
    "PushRecord",
    "RemovedPush",
    "add_snapshot",
    "note_push_answer",
    "pushes_answered",
    "record_push",
    "remove_push",
    "snapshot_rows",
    "snapshots_frame",
]


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
    table = table_of(Snapshot)
    columns = [table.c.ts, *(table.c[name] for name in SNAPSHOT_COLUMNS)]
    stmt = sa.select(*columns).where(table.c.session_id == session_id)
    stmt = stmt.order_by(table.c.ts, table.c.id)
    return [dict(row._mapping) for row in session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class _PushSql:
    """The statements of `record_push` for one DBAPI placeholder style, built once; the
    values always go as bound parameters."""

    open_session: str
    insert: str
    move_last_push: str
    pushes: str


@functools.cache
def _push_sql(p: str) -> _PushSql:
    names = ("session_id", "ts", "dedupe_key", "created_at", "author_id", *SNAPSHOT_COLUMNS)
    return _PushSql(
        open_session=(
            f"SELECT id, started_at FROM live_session WHERE workspace_id = {p} AND status = 'open'"
        ),
        insert=(
            f"INSERT INTO snapshot ({', '.join(names)}) VALUES ({', '.join([p] * len(names))}) "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
        ),
        move_last_push=(
            f"UPDATE live_session SET last_push_at = {p} "
            f"WHERE id = {p} AND (last_push_at IS NULL OR last_push_at < {p})"
        ),
        pushes=(
            f"SELECT ts, {', '.join(SNAPSHOT_COLUMNS)} FROM snapshot "
            f"WHERE session_id = {p} ORDER BY ts, id"
        ),
    )


@dataclass(slots=True)
class PushRecord:
    """What became of a live push: stored in the open session (with all the session's
    snapshots after it, as from `snapshot_rows`), a duplicate, or no open session."""

    status: Literal["ok", "duplicate", "no_session"]
    session_id: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime | None = None  # the open session's start (UTC)


def record_push(
    session: Session,
    *,
    workspace_id: int,
    ts: datetime,
    values: Mapping[str, Any],
    dedupe_key: str,
    author_id: int | None = None,
) -> PushRecord:
    """Store a push as a snapshot of the workspace's open session — the hot path of the
    bot, so plain SQL on the session's connection instead of ORM objects or compiled
    statements: find the open session, insert unless the key was seen, move
    `last_push_at`, read the session's snapshots (as `snapshot_rows` gives them) and its
    start."""
    unknown = set(values) - set(SNAPSHOT_COLUMNS)
    if unknown:
        raise UnknownColumns("snapshot", unknown)
    sqlite_db = dialect_name(session) == "sqlite"
    sql = _push_sql(placeholder(session))
    connection = session.connection()

    def stamp(moment: datetime) -> Any:  # what UTCDateTime stores
        return moment.replace(tzinfo=None).strftime(SQLITE_TS_FORMAT) if sqlite_db else moment

    found = connection.exec_driver_sql(sql.open_session, (workspace_id,)).one_or_none()
    if found is None:
        return PushRecord("no_session")
    open_id, started_at = found
    started_at = _as_utc_value(started_at)
    moment = as_utc(ts, "ts")
    numbers = {name: _number(name, value) for name, value in values.items()}
    params = (
        open_id,
        stamp(moment),
        dedupe_key,
        stamp(utcnow()),
        author_id,
        *(numbers.get(name) for name in SNAPSHOT_COLUMNS),
    )
    new_id = connection.exec_driver_sql(sql.insert, params).scalar_one_or_none()
    if new_id is None:
        return PushRecord("duplicate", open_id, started_at=started_at)
    connection.exec_driver_sql(sql.move_last_push, (stamp(moment), open_id, stamp(moment)))
    rows = connection.exec_driver_sql(sql.pushes, (open_id,)).all()
    out = []
    for row in rows:
        record = dict(zip(("ts", *SNAPSHOT_COLUMNS), row, strict=True))
        record["ts"] = _as_utc_value(record["ts"])
        out.append(record)
    return PushRecord("ok", open_id, out, started_at=started_at)


@dataclass(frozen=True)
class RemovedPush:
    """What `remove_push` did: removed a push of the open session (its values and time),
    or found no open session, no push in it, or no push stored under the key asked for."""

    status: Literal["removed", "no_session", "nothing", "not_found"]
    session_id: int | None = None
    values: dict[str, float] = field(default_factory=dict)
    ts: datetime | None = None


def remove_push(
    session: Session, *, workspace_id: int, dedupe_key: str | None = None
) -> RemovedPush:
    """Remove one push of the workspace's open session: the one stored under
    `dedupe_key`, or the latest one (by time, then by arrival) when no key is given. The
    session's `last_push_at` moves back to the push now latest (None when none is left)."""
    from storage.repositories.sessions import get_open_session

    live = get_open_session(session, workspace_id=workspace_id)
    if live is None or live.id is None:
        return RemovedPush("no_session")
    table = table_of(Snapshot)
    stmt = sa.select(table.c.id).where(table.c.session_id == live.id)
    if dedupe_key is not None:
        stmt = stmt.where(table.c.dedupe_key == dedupe_key)
    found = session.execute(
        stmt.order_by(table.c.ts.desc(), table.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    snap = session.get(Snapshot, found) if found is not None else None
    if snap is None:
        return RemovedPush("nothing" if dedupe_key is None else "not_found", live.id)
    values = {
        name: float(getattr(snap, name))
        for name in SNAPSHOT_COLUMNS
        if getattr(snap, name) is not None
    }
    ts = as_utc(snap.ts, "ts")
    session.delete(snap)
    session.flush()
    latest = session.execute(
        sa.select(sa.func.max(table.c.ts)).where(table.c.session_id == live.id)
    ).scalar_one_or_none()
    live.last_push_at = latest
    session.add(live)
    session.flush()
    return RemovedPush("removed", live.id, values, ts)


def note_push_answer(session: Session, *, dedupe_keys: Sequence[str], answer_id: int) -> int:
    """Record that the bot's message `answer_id` answered the pushes stored under
    `dedupe_keys` (one, or several in a merged answer); how many pushes it found."""
    if not dedupe_keys:
        return 0
    table = table_of(Snapshot)
    stmt = (
        sa.update(table)
        .where(table.c.dedupe_key.in_(list(dedupe_keys)))
        .values(answer_id=answer_id)
    )
    return int(session.connection().execute(stmt).rowcount or 0)


@dataclass(frozen=True, slots=True)
class AnsweredPush:
    """A push of the open session that one of the bot's messages answered."""

    dedupe_key: str
    author_id: int | None


def pushes_answered(session: Session, *, workspace_id: int, answer_id: int) -> list[AnsweredPush]:
    """The pushes of the workspace's open session the bot's message `answer_id` answered
    (several for a merged answer; none when it answered none of them, or no session is
    open)."""
    from storage.repositories.sessions import get_open_session

    live = get_open_session(session, workspace_id=workspace_id)
    if live is None or live.id is None:
        return []
    table = table_of(Snapshot)
    stmt = (
        sa.select(table.c.dedupe_key, table.c.author_id)
        .where(table.c.session_id == live.id, table.c.answer_id == answer_id)
        .order_by(table.c.ts, table.c.id)
    )
    return [AnsweredPush(key, author) for key, author in session.execute(stmt)]


def _as_utc_value(when: Any) -> datetime:
    """A timestamp column as read by the driver (an SQLite string or a datetime) in UTC."""
    moment: datetime = datetime.fromisoformat(when) if isinstance(when, str) else when
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
