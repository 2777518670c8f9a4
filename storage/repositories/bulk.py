"""Bulk writes of imported rows: minute timelines, viewers, past sessions.

Rows come as a DataFrame (or dicts) with canonical column names; a column the table does
not have raises `UnknownColumns`, a column left out is stored as NULL. No ORM object is
built per row.

`bulk_insert_*` add rows (SQLite: the driver's `executemany` in chunks; PostgreSQL: `COPY`).
`upsert_*` add or update them by their natural key — a minute row by (session, minute), a
viewer row by (session, viewer id), a past session by (workspace, room id) or, without a
room id, (workspace, start time) — with one `INSERT … ON CONFLICT DO UPDATE` per chunk on
both backends; a cell the new rows leave missing keeps the stored value. They return how
many rows were new and how many updated (`Upserted`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlmodel import Session

from storage.errors import InvalidValue, SessionNotFound, UnknownColumns, WorkspaceNotFound
from storage.models import LiveSession, MinuteRow, PastSession, ViewerRow, Workspace
from storage.repositories._common import dialect_name, table_of
from storage.repositories.frames import (
    MINUTE_SPEC,
    PAST_SESSION_SPEC,
    SQLITE_TS_FORMAT,
    VIEWER_SPEC,
    ColumnKind,
    Spec,
)

__all__ = [
    "CHUNK_ROWS",
    "Rows",
    "Upserted",
    "bulk_insert_minutes",
    "bulk_insert_past_sessions",
    "bulk_insert_viewers",
    "upsert_minutes",
    "upsert_past_sessions",
    "upsert_viewers",
]

CHUNK_ROWS = 50_000
Rows = pd.DataFrame | Iterable[Mapping[str, Any]]


def _as_frame(rows: Rows, table: str, spec: Spec) -> pd.DataFrame:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(list(rows))
    allowed = {name for name, _ in spec}
    unknown = {str(c) for c in frame.columns} - allowed
    if unknown:
        raise UnknownColumns(table, unknown)
    return frame


def _float_values(series: pd.Series, name: str, keep_nan: bool) -> list[Any]:
    if series.dtype == bool or str(series.dtype) == "boolean":
        raise InvalidValue(f"{name}: expected numbers, got booleans")
    try:
        numbers = pd.to_numeric(series, errors="raise").to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{name}: not a number ({exc})") from exc
    if keep_nan:  # SQLite stores a NaN as NULL by itself
        return numbers.tolist()
    values = numbers.astype(object)
    values[np.isnan(numbers)] = None
    return values.tolist()


def _text_values(series: pd.Series) -> list[Any]:
    missing = series.isna().to_numpy()
    if pd.api.types.is_float_dtype(series.dtype):
        present = series[~missing]
        if bool((present == np.floor(present)).all()):
            series = series.astype("Int64")
    values = series.astype(str).to_numpy(dtype=object)
    values[missing] = None
    return values.tolist()


def _bool_values(series: pd.Series, name: str) -> list[Any]:
    missing = series.isna().to_numpy()
    present = series[~missing]
    for value in present.unique():
        if not isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
            raise InvalidValue(f"{name}: expected true/false, got {value!r}")
    values = np.full(len(series), None, dtype=object)
    values[~missing] = present.astype(bool).to_numpy().tolist()
    return values.tolist()


def _ts_values(series: pd.Series, name: str, sqlite: bool, required: bool) -> list[Any]:
    try:
        stamps = pd.to_datetime(series, utc=True)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{name}: not a date/time ({exc})") from exc
    missing = stamps.isna().to_numpy()
    if required and missing.any():
        raise InvalidValue(f"{name}: missing in {int(missing.sum())} rows")
    if sqlite:  # the text SQLAlchemy writes for a naive UTC DateTime
        values = stamps.dt.tz_convert(None).dt.strftime(SQLITE_TS_FORMAT).to_numpy(dtype=object)
    else:
        values = np.array(stamps.dt.to_pydatetime(), dtype=object)
    values[missing] = None
    return values.tolist()


def _columns(
    frame: pd.DataFrame, spec: Spec, sqlite: bool, required: Sequence[str]
) -> tuple[list[str], list[list[Any]]]:
    names: list[str] = []
    columns: list[list[Any]] = []
    for name in required:
        if name not in frame.columns:
            raise InvalidValue(f"column {name} is required")
    kinds: dict[str, ColumnKind] = dict(spec)
    for name, kind in kinds.items():
        if name not in frame.columns:
            continue
        series = frame[name]
        if kind == "float":
            values = _float_values(series, name, keep_nan=sqlite)
        elif kind == "text":
            values = _text_values(series)
        elif kind == "bool":
            values = _bool_values(series, name)
        else:
            values = _ts_values(series, name, sqlite, required=name in required)
        names.append(name)
        columns.append(values)
    return names, columns


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _insert(
    session: Session,
    table: sa.Table,
    constants: Mapping[str, Any],
    names: list[str],
    columns: list[list[Any]],
    count: int,
) -> int:
    session.flush()
    if count == 0:
        return 0
    all_names = [*constants, *names]
    rows = zip(*(repeat(value, count) for value in constants.values()), *columns, strict=False)
    connection = session.connection()
    dialect = dialect_name(session)
    if dialect == "sqlite":
        sql = (
            f"INSERT INTO {table.name} ({', '.join(all_names)}) "
            f"VALUES ({', '.join('?' for _ in all_names)})"
        )
        for chunk in _chunks(rows, CHUNK_ROWS):
            connection.exec_driver_sql(sql, chunk)
    elif dialect == "postgresql":
        cursor = connection.connection.cursor()
        try:
            copy_sql = f"COPY {table.name} ({', '.join(all_names)}) FROM STDIN"
            with cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        for chunk in _chunks(rows, CHUNK_ROWS):
            connection.execute(
                sa.insert(table), [dict(zip(all_names, r, strict=False)) for r in chunk]
            )
    return count


def _bulk(
    session: Session,
    table: sa.Table,
    spec: Spec,
    constants: Mapping[str, Any],
    rows: Rows,
    required: Sequence[str] = (),
) -> int:
    frame = _as_frame(rows, table.name, spec)
    sqlite = dialect_name(session) == "sqlite"
    names, columns = _columns(frame, spec, sqlite, required)
    return _insert(session, table, constants, names, columns, len(frame))


def _require_session(session: Session, session_id: int) -> None:
    if session.get(LiveSession, session_id) is None:
        raise SessionNotFound(f"session {session_id}")


def bulk_insert_minutes(
    session: Session, *, session_id: int, rows: Rows, import_id: int | None = None
) -> int:
    """Store a minute timeline (`ts` required, UTC) of one session; returns the row count."""
    _require_session(session, session_id)
    table = table_of(MinuteRow)
    constants = {"session_id": session_id, "import_id": import_id}
    return _bulk(session, table, MINUTE_SPEC, constants, rows, required=("ts",))


def bulk_insert_viewers(
    session: Session, *, session_id: int, rows: Rows, import_id: int | None = None
) -> int:
    """Store the viewers of one session (one row each); returns the row count."""
    _require_session(session, session_id)
    table = table_of(ViewerRow)
    constants = {"session_id": session_id, "import_id": import_id}
    return _bulk(session, table, VIEWER_SPEC, constants, rows)


def bulk_insert_past_sessions(
    session: Session, *, workspace_id: int, rows: Rows, import_id: int | None = None
) -> int:
    """Store past streams from a platform export; returns the row count."""
    if session.get(Workspace, workspace_id) is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    table = table_of(PastSession)
    constants = {"workspace_id": workspace_id, "import_id": import_id}
    return _bulk(session, table, PAST_SESSION_SPEC, constants, rows)


# ------------------------------------------------------------------------------- upserts


@dataclass(frozen=True, slots=True)
class Upserted:
    """Rows written by an upsert: how many were new, how many replaced stored ones."""

    new: int = 0
    updated: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated

    def __add__(self, other: Upserted) -> Upserted:
        return Upserted(self.new + other.new, self.updated + other.updated)


def _count(session: Session, table: sa.Table, scope: Mapping[str, Any]) -> int:
    stmt = sa.select(sa.func.count()).select_from(table)
    for name, value in scope.items():
        stmt = stmt.where(table.c[name] == value)
    return int(session.execute(stmt).scalar_one())


def _upsert_sql(
    session: Session,
    table: sa.Table,
    names: Sequence[str],
    keys: Sequence[str],
    where: sa.ColumnElement[bool] | None,
    source: sa.TableClause | None = None,
) -> tuple[str, list[str]]:
    """The dialect's `INSERT … ON CONFLICT (keys) DO UPDATE` for these columns, built with
    SQLAlchemy's construct and compiled once: (SQL text, parameter names in order). With
    `source` the rows come from that table (`INSERT … SELECT`), else from parameters."""
    dialect = dialect_name(session)
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite_dialect.insert(table)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise InvalidValue(f"unsupported database dialect {dialect!r}")
    if source is not None:
        # ORDER BY keeps the rows in the order they were copied (the file's order)
        stmt = stmt.from_select(
            list(names),
            sa.select(*(source.c[name] for name in names)).order_by(source.c["_pos"]),
        )
    else:
        stmt = stmt.values({name: sa.bindparam(name) for name in names})
    updates = {
        name: sa.func.coalesce(stmt.excluded[name], table.c[name])
        for name in names
        if name not in keys and name != "import_id"
    }
    updates["import_id"] = stmt.excluded["import_id"]
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), index_where=where, set_=updates)
    compiled = stmt.compile(dialect=session.get_bind().dialect)
    order = list(compiled.positiontup or []) if compiled.positional else list(names)
    return str(compiled), order


def _upsert(
    session: Session,
    table: sa.Table,
    spec: Spec,
    constants: Mapping[str, Any],
    rows: Rows,
    *,
    keys: Sequence[str],
    scope: Mapping[str, Any],
    required: Sequence[str] = (),
    where: sa.ColumnElement[bool] | None = None,
) -> Upserted:
    frame = _as_frame(rows, table.name, spec)
    own_keys = [k for k in keys if k not in constants]
    if len(frame) and all(k in frame.columns for k in own_keys):
        # one statement may not touch a row twice: the last of equal keys wins
        frame = frame.drop_duplicates(subset=own_keys, keep="last")
    sqlite = dialect_name(session) == "sqlite"
    names, columns = _columns(frame, spec, sqlite=sqlite, required=required)
    count = len(frame)
    session.flush()
    if count == 0:
        return Upserted()
    before = _count(session, table, scope)
    all_names = [*constants, *names]
    values: dict[str, Any] = {name: repeat(value, count) for name, value in constants.items()}
    values.update(zip(names, columns, strict=True))
    connection = session.connection()
    if sqlite:  # qmark: positional tuples in the compiled order, the driver's executemany
        sql, order = _upsert_sql(session, table, all_names, keys, where)
        records = zip(*(values[name] for name in order), strict=False)
        for chunk in _chunks(records, CHUNK_ROWS):
            connection.exec_driver_sql(sql, chunk)
    else:  # PostgreSQL: COPY into a scratch table, then one INSERT … SELECT … ON CONFLICT
        scratch = f"_upsert_{table.name}"
        listed = ", ".join(all_names)
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {scratch}")
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE {scratch} ON COMMIT DROP AS "
            f"SELECT {listed}, 0::bigint AS _pos FROM {table.name} WITH NO DATA"
        )
        cursor = connection.connection.cursor()
        try:
            with cursor.copy(f"COPY {scratch} ({listed}, _pos) FROM STDIN") as copy:
                rows_in = zip(*(values[name] for name in all_names), strict=False)
                for position, row in enumerate(rows_in):
                    copy.write_row((*row, position))
        finally:
            cursor.close()
        source = sa.table(scratch, *(sa.column(n) for n in [*all_names, "_pos"]))
        sql, _ = _upsert_sql(session, table, all_names, keys, where, source=source)
        connection.exec_driver_sql(sql)
        connection.exec_driver_sql(f"DROP TABLE {scratch}")
    new = _count(session, table, scope) - before
    return Upserted(new=new, updated=count - new)


def upsert_minutes(
    session: Session, *, session_id: int, rows: Rows, import_id: int | None = None
) -> Upserted:
    """Add or update a session's minute rows, one per (session, minute): `ts` is floored
    to its minute."""
    _require_session(session, session_id)
    table = table_of(MinuteRow)
    frame = _as_frame(rows, table.name, MINUTE_SPEC).copy()
    if "ts" in frame.columns:
        try:
            frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.floor("min")
        except (TypeError, ValueError) as exc:
            raise InvalidValue(f"ts: not a date/time ({exc})") from exc
    constants = {"session_id": session_id, "import_id": import_id}
    return _upsert(
        session,
        table,
        MINUTE_SPEC,
        constants,
        frame,
        keys=("session_id", "ts"),
        scope={"session_id": session_id},
        required=("ts",),
    )


def upsert_viewers(
    session: Session, *, session_id: int, rows: Rows, import_id: int | None = None
) -> Upserted:
    """Add or update a session's viewers, one row per (session, viewer id)."""
    _require_session(session, session_id)
    table = table_of(ViewerRow)
    constants = {"session_id": session_id, "import_id": import_id}
    return _upsert(
        session,
        table,
        VIEWER_SPEC,
        constants,
        rows,
        keys=("session_id", "user_id"),
        scope={"session_id": session_id},
        required=("user_id",),
    )


def upsert_past_sessions(
    session: Session, *, workspace_id: int, rows: Rows, import_id: int | None = None
) -> Upserted:
    """Add or update past streams: by (workspace, room id), else (workspace, start time)."""
    if session.get(Workspace, workspace_id) is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    table = table_of(PastSession)
    frame = _as_frame(rows, table.name, PAST_SESSION_SPEC)
    constants = {"workspace_id": workspace_id, "import_id": import_id}
    scope = {"workspace_id": workspace_id}
    if "room_id" in frame.columns:
        has_room = frame["room_id"].notna().to_numpy()
        with_room, without_room = frame[has_room], frame[~has_room].drop(columns="room_id")
    else:
        with_room, without_room = frame.iloc[0:0], frame
    done = Upserted()
    if len(with_room):
        done += _upsert(
            session,
            table,
            PAST_SESSION_SPEC,
            constants,
            with_room,
            keys=("workspace_id", "room_id"),
            scope=scope,
            where=table.c.room_id.isnot(None),
        )
    if len(without_room):
        done += _upsert(
            session,
            table,
            PAST_SESSION_SPEC,
            constants,
            without_room,
            keys=("workspace_id", "started_at"),
            scope=scope,
            where=table.c.room_id.is_(None),
        )
    return done
