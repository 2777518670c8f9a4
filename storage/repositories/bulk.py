"""Bulk inserts of imported rows: minute timelines, viewers, past sessions.

Rows come as a DataFrame (or dicts) with canonical column names; a column the table does
not have raises `UnknownColumns`, a column left out is stored as NULL. No ORM object is
built per row: SQLite gets the driver's `executemany` in chunks, PostgreSQL gets `COPY`,
anything else a Core `insert()` executemany.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice, repeat
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from storage.errors import InvalidValue, SessionNotFound, UnknownColumns, WorkspaceNotFound
from storage.models import LiveSession, MinuteRow, PastSession, ViewerRow, Workspace
from storage.repositories._common import dialect_name
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
    "bulk_insert_minutes",
    "bulk_insert_past_sessions",
    "bulk_insert_viewers",
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
            with cursor.copy(copy_sql) as copy:  # type: ignore[attr-defined]
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
    table: sa.Table = MinuteRow.__table__  # type: ignore[attr-defined]
    constants = {"session_id": session_id, "import_id": import_id}
    return _bulk(session, table, MINUTE_SPEC, constants, rows, required=("ts",))


def bulk_insert_viewers(
    session: Session, *, session_id: int, rows: Rows, import_id: int | None = None
) -> int:
    """Store the viewers of one session (one row each); returns the row count."""
    _require_session(session, session_id)
    table: sa.Table = ViewerRow.__table__  # type: ignore[attr-defined]
    constants = {"session_id": session_id, "import_id": import_id}
    return _bulk(session, table, VIEWER_SPEC, constants, rows)


def bulk_insert_past_sessions(
    session: Session, *, workspace_id: int, rows: Rows, import_id: int | None = None
) -> int:
    """Store past streams from a platform export; returns the row count."""
    if session.get(Workspace, workspace_id) is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    table: sa.Table = PastSession.__table__  # type: ignore[attr-defined]
    constants = {"workspace_id": workspace_id, "import_id": import_id}
    return _bulk(session, table, PAST_SESSION_SPEC, constants, rows)
