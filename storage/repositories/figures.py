"""Stored per-session figures: write one session's row, read a workspace's history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.models import SESSION_FIGURE_COLUMNS, LiveSession, SessionFigures, utcnow
from storage.repositories._common import as_utc

__all__ = [
    "SessionHistoryRow",
    "drop_session_figures",
    "get_session_figures",
    "session_history",
    "store_session_figures",
]


def store_session_figures(
    session: Session,
    *,
    session_id: int,
    version: int,
    values: Mapping[str, float | None],
    figures: dict[str, Any] | None = None,
    computed_at: datetime | None = None,
) -> SessionFigures:
    """Insert or replace the session's figures (the headline ones from ``values``)."""
    row = session.get(SessionFigures, session_id)
    if row is None:
        row = SessionFigures(
            session_id=session_id, definitions_version=version, computed_at=utcnow()
        )
    row.definitions_version = version
    row.computed_at = as_utc(computed_at, "computed_at") if computed_at else utcnow()
    for name in SESSION_FIGURE_COLUMNS:
        value = values.get(name)
        setattr(row, name, None if value is None else float(value))
    row.figures = figures
    session.add(row)
    session.flush()
    return row


def get_session_figures(session: Session, *, session_id: int) -> SessionFigures | None:
    """The session's stored figures, if any."""
    return session.get(SessionFigures, session_id)


def drop_session_figures(
    session: Session, *, session_id: int | None = None, workspace_id: int | None = None
) -> None:
    """Forget the stored figures of a session, or of every session of a workspace (they
    are computed again when next read)."""
    stmt = sa.delete(SessionFigures)
    if session_id is not None:
        stmt = stmt.where(col(SessionFigures.session_id) == session_id)
    elif workspace_id is not None:
        ids = sa.select(col(LiveSession.id)).where(col(LiveSession.workspace_id) == workspace_id)
        stmt = stmt.where(col(SessionFigures.session_id).in_(ids))
    else:
        raise ValueError("a session_id or a workspace_id is needed")
    session.execute(stmt, execution_options={"synchronize_session": False})
    session.expire_all()


@dataclass(frozen=True)
class SessionHistoryRow:
    """A session of the workspace with its stored figures (``version`` None: none stored)."""

    session_id: int
    title: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    last_push_at: datetime | None
    version: int | None
    values: dict[str, float | None]


def session_history(
    session: Session,
    *,
    workspace_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    exclude_session: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[SessionHistoryRow]:
    """The workspace's sessions started in [since, until) with their stored figures, in one
    query (sessions without a row come with ``version=None``). ``limit`` keeps the latest;
    the result is oldest first unless ``newest_first``."""
    figure_cols = [getattr(SessionFigures, name) for name in SESSION_FIGURE_COLUMNS]
    stmt = (
        sa.select(
            col(LiveSession.id),
            col(LiveSession.title),
            col(LiveSession.status),
            col(LiveSession.started_at),
            col(LiveSession.ended_at),
            col(LiveSession.last_push_at),
            col(SessionFigures.definitions_version),
            *figure_cols,
        )
        .select_from(LiveSession)
        .outerjoin(SessionFigures, col(SessionFigures.session_id) == col(LiveSession.id))
        .where(col(LiveSession.workspace_id) == workspace_id)
    )
    if since is not None:
        stmt = stmt.where(col(LiveSession.started_at) >= as_utc(since, "since"))
    if until is not None:
        stmt = stmt.where(col(LiveSession.started_at) < as_utc(until, "until"))
    if exclude_session is not None:
        stmt = stmt.where(col(LiveSession.id) != exclude_session)
    stmt = stmt.order_by(col(LiveSession.started_at).desc(), col(LiveSession.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    out = []
    for r in session.execute(stmt).all():
        sid, title, status, started, ended, last_push, version, *vals = r
        out.append(
            SessionHistoryRow(
                int(sid),
                title,
                status,
                started,
                ended,
                last_push,
                None if version is None else int(version),
                dict(zip(SESSION_FIGURE_COLUMNS, vals, strict=True)),
            )
        )
    if not newest_first:
        out.reverse()
    return out
