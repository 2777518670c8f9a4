"""Live sessions: open (one per workspace), close, look up within a workspace, list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import InvalidValue, SessionAlreadyOpen, SessionNotFound, WorkspaceNotFound
from storage.models import SESSION_SOURCES, LiveSession, Workspace, utcnow
from storage.repositories._common import as_utc, insert_ignore

__all__ = [
    "add_closed_session",
    "all_sessions",
    "close_session",
    "get_open_session",
    "get_session",
    "get_session_any",
    "last_ended_session",
    "last_session",
    "list_sessions",
    "open_session",
    "overlapping_sessions",
    "session_window",
    "widen_session",
]


def _require_workspace(session: Session, workspace_id: int) -> None:
    if session.get(Workspace, workspace_id) is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")


def open_session(
    session: Session,
    *,
    workspace_id: int,
    title: str | None = None,
    started_at: datetime | None = None,
    source: str = "live",
) -> LiveSession:
    """Open a live session; raises `SessionAlreadyOpen` when the workspace has one open.

    The rule is the database's (a partial unique index), so two concurrent openers cannot
    both succeed; the refused one's transaction stays usable.
    """
    if source not in SESSION_SOURCES:
        raise InvalidValue(f"source must be one of {SESSION_SOURCES}, got {source!r}")
    _require_workspace(session, workspace_id)
    candidate = LiveSession(
        workspace_id=workspace_id,
        title=title,
        status="open",
        source=source,
        started_at=as_utc(started_at, "started_at") if started_at is not None else utcnow(),
    )
    new_id = insert_ignore(session, candidate)
    if new_id is None:
        current = get_open_session(session, workspace_id=workspace_id)
        raise SessionAlreadyOpen(workspace_id, current.id if current is not None else None)
    created = session.get(LiveSession, new_id)
    assert created is not None
    return created


def add_closed_session(
    session: Session,
    *,
    workspace_id: int,
    title: str | None,
    started_at: datetime,
    ended_at: datetime | None = None,
    source: str = "import",
) -> LiveSession:
    """Record a session that is already over (e.g. one known only from an imported file)."""
    if source not in SESSION_SOURCES:
        raise InvalidValue(f"source must be one of {SESSION_SOURCES}, got {source!r}")
    _require_workspace(session, workspace_id)
    row = LiveSession(
        workspace_id=workspace_id,
        title=title,
        status="closed",
        source=source,
        started_at=as_utc(started_at, "started_at"),
        ended_at=as_utc(ended_at, "ended_at") if ended_at is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def get_open_session(session: Session, *, workspace_id: int) -> LiveSession | None:
    """The workspace's open session, if any."""
    stmt = select(LiveSession).where(
        LiveSession.workspace_id == workspace_id, LiveSession.status == "open"
    )
    return session.exec(stmt).first()


def get_session(session: Session, *, workspace_id: int, session_id: int) -> LiveSession | None:
    """The session with that id if it belongs to that workspace; None otherwise."""
    stmt = select(LiveSession).where(
        LiveSession.id == session_id, LiveSession.workspace_id == workspace_id
    )
    return session.exec(stmt).first()


def get_session_any(session: Session, *, session_id: int) -> LiveSession | None:
    """The session with that id in whatever workspace (for the CLI and jobs, never a chat)."""
    return session.get(LiveSession, session_id)


def close_session(
    session: Session,
    *,
    session_id: int,
    ended_at: datetime | None = None,
    workspace_id: int | None = None,
) -> LiveSession:
    """Close the session (idempotent: a closed one is returned unchanged).

    With `workspace_id` the session must belong to that workspace.
    """
    row = session.get(LiveSession, session_id)
    if row is None or (workspace_id is not None and row.workspace_id != workspace_id):
        raise SessionNotFound(f"session {session_id}")
    if row.status == "open":
        row.status = "closed"
        row.ended_at = as_utc(ended_at, "ended_at") if ended_at is not None else utcnow()
        session.add(row)
        session.flush()
    return row


def _newest_first() -> tuple[sa.UnaryExpression[datetime], sa.UnaryExpression[int | None]]:
    return (
        col(LiveSession.started_at).desc(),
        col(LiveSession.id).desc(),
    )


def last_session(session: Session, *, workspace_id: int) -> LiveSession | None:
    """The most recently started session of the workspace (open or closed)."""
    stmt = (
        select(LiveSession)
        .where(LiveSession.workspace_id == workspace_id)
        .order_by(*_newest_first())
        .limit(1)
    )
    return session.exec(stmt).first()


def last_ended_session(session: Session, *, workspace_id: int) -> LiveSession | None:
    """The session of the workspace that ended last (closed by /endlive or on its own)."""
    stmt = (
        select(LiveSession)
        .where(LiveSession.workspace_id == workspace_id, col(LiveSession.ended_at).is_not(None))
        .order_by(col(LiveSession.ended_at).desc(), col(LiveSession.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def all_sessions(session: Session, *, workspace_id: int) -> list[LiveSession]:
    """Every session of the workspace, oldest first."""
    stmt = (
        select(LiveSession)
        .where(LiveSession.workspace_id == workspace_id)
        .order_by(col(LiveSession.started_at), col(LiveSession.id))
    )
    return list(session.exec(stmt).all())


def list_sessions(
    session: Session, *, workspace_id: int, limit: int = 20, offset: int = 0
) -> list[LiveSession]:
    """The workspace's sessions, newest first."""
    stmt = (
        select(LiveSession)
        .where(LiveSession.workspace_id == workspace_id)
        .order_by(*_newest_first())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def session_window(row: LiveSession, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The span a session covers: start to end; an open one reaches `now` (or forever), a
    closed one without an end reaches its last push (or its start)."""
    if row.status == "open":
        end = as_utc(now, "now") if now is not None else datetime.max.replace(tzinfo=UTC)
    else:
        end = row.ended_at or row.last_push_at or row.started_at
    return row.started_at, max(end, row.started_at)


def overlapping_sessions(
    session: Session, *, workspace_id: int, start: datetime, end: datetime
) -> list[LiveSession]:
    """The workspace's sessions whose window overlaps `start`..`end`, most overlap first."""
    start, end = as_utc(start, "start"), as_utc(end, "end")
    ends = sa.func.coalesce(LiveSession.ended_at, LiveSession.last_push_at, LiveSession.started_at)
    stmt = select(LiveSession).where(
        LiveSession.workspace_id == workspace_id,
        LiveSession.started_at <= end,
        sa.or_(col(LiveSession.status) == "open", ends >= start),
    )

    def overlap(row: LiveSession) -> timedelta:
        first, last = session_window(row, now=end)
        return min(last, end) - max(first, start)

    rows = [r for r in session.exec(stmt).all() if overlap(r) >= timedelta(0)]
    return sorted(rows, key=lambda r: (overlap(r), r.id or 0), reverse=True)


def widen_session(
    session: Session, *, session_id: int, start: datetime, end: datetime
) -> LiveSession:
    """Stretch an imported session's window to cover `start`..`end` (it grows with the
    files that fill it); a session the host streamed keeps the window they gave it."""
    row = session.get(LiveSession, session_id)
    if row is None:
        raise SessionNotFound(f"session {session_id}")
    if row.status == "closed" and row.source == "import":
        start, end = as_utc(start, "start"), as_utc(end, "end")
        if start < row.started_at:
            row.started_at = start
        if row.ended_at is None or end > row.ended_at:
            row.ended_at = end
        session.add(row)
        session.flush()
    return row


def open_sessions(session: Session) -> list[LiveSession]:
    """Every open session, of every workspace."""
    stmt = (
        select(LiveSession).where(col(LiveSession.status) == "open").order_by(col(LiveSession.id))
    )
    return list(session.exec(stmt).all())


def session_ids_created_since(session: Session, *, since: datetime) -> list[int]:
    """The ids of the sessions created after `since`, oldest first."""
    stmt = (
        select(col(LiveSession.id))
        .where(col(LiveSession.created_at) > as_utc(since, "since"))
        .order_by(col(LiveSession.id))
    )
    return [int(i) for i in session.exec(stmt).all() if i is not None]
