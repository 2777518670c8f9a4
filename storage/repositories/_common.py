"""Helpers shared by the repositories: dialect-aware inserts and time handling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from storage.errors import InvalidValue

__all__ = ["as_utc", "dialect_name", "insert_ignore", "placeholder", "table_of"]


def table_of(model: type[SQLModel] | SQLModel) -> sa.Table:
    """The table of a SQLModel table class (or of one of its rows)."""
    table: sa.Table = model.__table__  # type: ignore[union-attr]  # SQLModel declares no __table__
    return table


def dialect_name(session: Session) -> str:
    """`sqlite` or `postgresql` (the two backends the schema supports)."""
    return session.get_bind().dialect.name


def placeholder(session: Session) -> str:
    """The DBAPI placeholder of the session's driver (`?` for sqlite3, `%s` for psycopg)."""
    return "?" if dialect_name(session) == "sqlite" else "%s"


def as_utc(value: datetime, name: str = "timestamp") -> datetime:
    """An aware UTC datetime; naive input is taken as UTC."""
    if not isinstance(value, datetime):
        raise InvalidValue(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def insert_ignore(
    session: Session, obj: SQLModel, *, conflict: list[str] | None = None
) -> int | None:
    """Insert `obj`'s row unless a unique rule is hit; the new id, or None when ignored.

    One statement (`INSERT … ON CONFLICT DO NOTHING RETURNING id`), so a conflict never
    aborts the surrounding transaction. `conflict` names the unique columns to watch;
    None watches every unique constraint and index of the table.
    """
    session.flush()
    table = table_of(obj)
    values: dict[str, Any] = {
        column.name: getattr(obj, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(obj, column.name) is None)
    }
    name = dialect_name(session)
    stmt: Any
    if name == "postgresql":
        stmt = postgresql.insert(table).values(**values)
    elif name == "sqlite":
        stmt = sqlite.insert(table).values(**values)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise InvalidValue(f"unsupported database dialect {name!r}")
    stmt = stmt.on_conflict_do_nothing(index_elements=conflict).returning(table.c.id)
    return session.execute(stmt).scalar_one_or_none()
