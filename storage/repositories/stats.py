"""Counts and sizes for the operators' views (/adminstats) and the database's settings that
another process needs (the search path)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from storage.models import ModelVersion, SendPace, Workspace

__all__ = [
    "count_active_workspaces",
    "count_rows",
    "database_bytes",
    "last_trained_at",
    "probe_write",
    "search_path",
]


def count_rows(session: Session, *, model: type[SQLModel]) -> int:
    """How many rows the table of `model` holds."""
    return int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def count_active_workspaces(session: Session) -> int:
    """How many workspaces are active."""
    stmt = sa.select(sa.func.count()).select_from(Workspace)
    stmt = stmt.where(col(Workspace.active) == sa.true())
    return int(session.execute(stmt).scalar_one())


def last_trained_at(session: Session, *, kind: str) -> datetime | None:
    """When the last model version of `kind` was trained (None when none was)."""
    stmt = sa.select(sa.func.max(col(ModelVersion.trained_at))).where(
        col(ModelVersion.kind) == kind
    )
    value: datetime | None = session.execute(stmt).scalar_one()
    return value


def database_bytes(session: Session) -> int:
    """The size of the PostgreSQL database (SQLite's is its files')."""
    stmt = sa.select(sa.func.pg_database_size(sa.func.current_database()))
    return int(session.execute(stmt).scalar_one())


def search_path(session: Session) -> str:
    """PostgreSQL's search_path for this connection."""
    return str(session.execute(sa.text("SHOW search_path")).scalar_one())


def probe_write(session: Session, *, key: str) -> None:
    """Write one throwaway row (the caller rolls it back): fails when the database cannot
    take writes."""
    session.add(SendPace(key=key, tat=0.0))
    session.flush()
