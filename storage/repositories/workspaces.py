"""Workspaces: one per Telegram chat; settings, listing and deleting all of a workspace's data."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import InvalidValue, WorkspaceNotFound
from storage.models import (
    LANGUAGES,
    ImportRecord,
    InboxUpdate,
    LiveSession,
    MinuteRow,
    PastSession,
    ScheduledSend,
    Snapshot,
    ViewerRow,
    Workspace,
    utcnow,
)
from storage.repositories._common import dialect_name, insert_ignore

__all__ = [
    "UPDATABLE_WORKSPACE_FIELDS",
    "adopt_currency",
    "delete_workspace_data",
    "get_or_create_workspace",
    "get_workspace",
    "list_workspaces",
    "lock_workspace",
    "update_workspace",
]

UPDATABLE_WORKSPACE_FIELDS = frozenset(
    {
        "chat_type",
        "title",
        "language",
        "timezone",
        "digest_time",
        "digest_enabled",
        "nudges_enabled",
        "active",
        "owner_user_id",
        "currency",
        "tz_confirmed",
    }
)
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_BOOL_FIELDS = ("digest_enabled", "nudges_enabled", "active", "tz_confirmed")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _validate(fields: dict[str, Any]) -> None:
    if "language" in fields and fields["language"] not in LANGUAGES:
        raise InvalidValue(f"language must be one of {LANGUAGES}, got {fields['language']!r}")
    if "timezone" in fields:
        zone = fields["timezone"]
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Asia" is a folder
            raise InvalidValue(f"unknown IANA time zone {zone!r}") from exc
    if "digest_time" in fields and not _HHMM.match(str(fields["digest_time"])):
        raise InvalidValue(f"digest_time must be HH:MM, got {fields['digest_time']!r}")
    currency = fields.get("currency")
    if currency is not None and not _CURRENCY.match(str(currency)):
        raise InvalidValue(f"currency must be an ISO 4217 code such as CNY, got {currency!r}")
    for name in _BOOL_FIELDS:
        if name in fields and not isinstance(fields[name], bool):
            raise InvalidValue(f"{name} must be a bool, got {fields[name]!r}")


def get_or_create_workspace(
    session: Session,
    *,
    chat_id: int,
    chat_type: str,
    title: str | None,
    language: str,
    timezone: str,
) -> Workspace:
    """The chat's workspace; created with these settings on first contact, else unchanged."""
    _validate({"language": language, "timezone": timezone})
    candidate = Workspace(
        chat_id=chat_id, chat_type=chat_type, title=title, language=language, timezone=timezone
    )
    insert_ignore(session, candidate, conflict=["chat_id"])
    return session.exec(select(Workspace).where(Workspace.chat_id == chat_id)).one()


def get_workspace(
    session: Session, *, workspace_id: int | None = None, chat_id: int | None = None
) -> Workspace | None:
    """The workspace with that id or chat id (exactly one of them), or None."""
    if (workspace_id is None) == (chat_id is None):
        raise InvalidValue("give exactly one of workspace_id and chat_id")
    if workspace_id is not None:
        return session.get(Workspace, workspace_id)
    return session.exec(select(Workspace).where(Workspace.chat_id == chat_id)).first()


def update_workspace(session: Session, *, workspace_id: int, **fields: Any) -> Workspace:
    """Change settings (see `UPDATABLE_WORKSPACE_FIELDS`); bumps `updated_at`."""
    unknown = set(fields) - UPDATABLE_WORKSPACE_FIELDS
    if unknown:
        raise InvalidValue(f"workspace fields not updatable: {', '.join(sorted(unknown))}")
    _validate(fields)
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    for name, value in fields.items():
        setattr(workspace, name, value)
    workspace.updated_at = utcnow()
    session.add(workspace)
    session.flush()
    return workspace


def adopt_currency(session: Session, *, workspace_id: int, currency: str) -> str | None:
    """Give the workspace `currency` (ISO code) when it has none yet, in one statement: of
    two transactions doing it at once the first one's is kept (on PostgreSQL the second
    waits for it, then finds the currency set). The workspace's currency afterwards (None
    when there is no such workspace)."""
    _validate({"currency": currency})
    session.flush()
    session.execute(
        sa.update(Workspace)
        .where(col(Workspace.id) == workspace_id, col(Workspace.currency).is_(None))
        .values(currency=currency, updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        return None
    session.refresh(workspace)
    return workspace.currency


def list_workspaces(session: Session, *, active_only: bool = True) -> list[Workspace]:
    """All workspaces (only active ones by default), oldest first."""
    stmt = select(Workspace).order_by(col(Workspace.id))
    if active_only:
        stmt = stmt.where(Workspace.active == sa.true())
    return list(session.exec(stmt).all())


def lock_workspace(session: Session, *, workspace_id: int, chat_id: int | None = None) -> bool:
    """Take the workspace for a change of all its rows, as the first statement of the
    transaction: SQLite's one write lock (waiting for a writer in flight, e.g. an import);
    on PostgreSQL the workspace's row and its sessions' rows FOR UPDATE, which waits for
    the transactions inserting rows under them and holds back new ones until the end.
    False when there is no such workspace (of that chat)."""
    cond = col(Workspace.id) == workspace_id
    if chat_id is not None:
        cond = sa.and_(cond, col(Workspace.chat_id) == chat_id)
    touched = session.execute(
        sa.update(Workspace).where(cond).values(updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if not int(getattr(touched, "rowcount", 0) or 0):
        return False
    if dialect_name(session) == "postgresql":
        session.execute(sa.select(col(Workspace.id)).where(cond).with_for_update())
        session.execute(
            sa.select(col(LiveSession.id))
            .where(col(LiveSession.workspace_id) == workspace_id)
            .with_for_update()
        )
    return True


def _deleted(session: Session, stmt: Any) -> int:
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


def delete_workspace_data(session: Session, *, workspace_id: int) -> dict[str, int]:
    """Delete the workspace and everything that belongs to it, and the chat's processed
    updates (their message texts) from the inbox.

    Returns how many rows of each kind went, counted by the deletes themselves (all zero
    when the workspace did not exist): after `lock_workspace` nothing can be added under
    the workspace meanwhile, so the counts are what was there. Objects loaded in
    `session` before the call are detached from it afterwards.
    """
    session.flush()
    sessions_q = sa.select(col(LiveSession.id)).where(col(LiveSession.workspace_id) == workspace_id)
    chat_id = session.execute(
        sa.select(col(Workspace.chat_id)).where(col(Workspace.id) == workspace_id)
    ).scalar_one_or_none()
    counts: dict[str, int] = {}
    if chat_id is not None:
        # the chat's messages already processed go too (those still to process stay: the
        # one asking to forget among them)
        _deleted(
            session,
            sa.delete(InboxUpdate).where(
                col(InboxUpdate.chat_id) == chat_id, col(InboxUpdate.status) == "done"
            ),
        )
    for name, model, column in (
        ("snapshots", Snapshot, col(Snapshot.session_id)),
        ("minute_rows", MinuteRow, col(MinuteRow.session_id)),
        ("viewer_rows", ViewerRow, col(ViewerRow.session_id)),
    ):
        counts[name] = _deleted(session, sa.delete(model).where(column.in_(sessions_q)))
    counts["past_sessions"] = _deleted(
        session, sa.delete(PastSession).where(col(PastSession.workspace_id) == workspace_id)
    )
    counts["imports"] = _deleted(
        session, sa.delete(ImportRecord).where(col(ImportRecord.workspace_id) == workspace_id)
    )
    counts["scheduled_sends"] = _deleted(
        session, sa.delete(ScheduledSend).where(col(ScheduledSend.workspace_id) == workspace_id)
    )
    counts["sessions"] = _deleted(
        session, sa.delete(LiveSession).where(col(LiveSession.workspace_id) == workspace_id)
    )
    # whatever else hangs on the workspace goes by cascade
    counts["workspaces"] = _deleted(
        session, sa.delete(Workspace).where(col(Workspace.id) == workspace_id)
    )
    session.expunge_all()
    return counts
