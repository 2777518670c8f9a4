"""Frames for `core`: rows read straight through the DBAPI cursor into pandas.

No ORM objects are built, so a million viewer rows load in about a second. Columns follow
docs/architecture.md; missing values are NaN (NaT for times), never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlmodel import Session

from storage.models import (
    MINUTE_COLUMNS,
    PAST_SESSION_COLUMNS,
    SNAPSHOT_COLUMNS,
    VIEWER_COLUMNS,
)
from storage.repositories._common import as_utc, dialect_name, placeholder

__all__ = [
    "MINUTE_SPEC",
    "PAST_SESSION_SPEC",
    "SNAPSHOT_SPEC",
    "SQLITE_TS_FORMAT",
    "VIEWER_SPEC",
    "ColumnKind",
    "Spec",
    "minutes_frame",
    "past_sessions_frame",
    "read_frame",
    "snapshots_frame",
    "viewers_frame",
]

ColumnKind = Literal["float", "ts", "text", "bool"]
Spec = Sequence[tuple[str, ColumnKind]]

SQLITE_TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

SNAPSHOT_SPEC: Spec = (("ts", "ts"), *((name, "float") for name in SNAPSHOT_COLUMNS))
MINUTE_SPEC: Spec = (("ts", "ts"), *((name, "float") for name in MINUTE_COLUMNS))
VIEWER_SPEC: Spec = (
    ("user_id", "text"),
    *((name, "float") for name in VIEWER_COLUMNS if name not in ("user_id", "censored")),
    ("censored", "bool"),
)
_PAST_KINDS: dict[str, ColumnKind] = {"started_at": "ts", "title": "text", "room_id": "text"}
PAST_SESSION_SPEC: Spec = tuple(
    (name, _PAST_KINDS.get(name, "float")) for name in PAST_SESSION_COLUMNS
)


def _column(values: np.ndarray, kind: ColumnKind, sqlite: bool) -> Any:
    if kind == "float":
        return values.astype("float64")
    if kind == "ts":
        series = pd.Series(values, dtype=object)
        if sqlite:
            return pd.to_datetime(series, utc=True, format=SQLITE_TS_FORMAT)
        return pd.to_datetime(series, utc=True)
    if kind == "text":
        return pd.Series(values, dtype="str")
    flags = np.full(len(values), np.nan, dtype=object)
    present = ~pd.isna(values)
    flags[present] = values[present].astype(bool).tolist()
    return flags


def read_frame(session: Session, sql: str, params: Sequence[Any], spec: Spec) -> pd.DataFrame:
    """Run `sql` (DBAPI placeholders) on the session's connection; typed frame per `spec`."""
    session.flush()
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    sqlite = dialect_name(session) == "sqlite"
    table = np.empty((len(rows), len(spec)), dtype=object)
    if rows:
        table[:] = rows
    data = {name: _column(table[:, i], kind, sqlite) for i, (name, kind) in enumerate(spec)}
    return pd.DataFrame(data, columns=[name for name, _ in spec])


def _select(table: str, spec: Spec, where: str, order: str) -> str:
    return (
        f"SELECT {', '.join(name for name, _ in spec)} FROM {table} WHERE {where} ORDER BY {order}"
    )


def snapshots_frame(session: Session, *, session_id: int) -> pd.DataFrame:
    """The session's snapshots in time order: `ts` + the snapshot columns."""
    ph = placeholder(session)
    sql = _select("snapshot", SNAPSHOT_SPEC, f"session_id = {ph}", "ts, id")
    return read_frame(session, sql, (session_id,), SNAPSHOT_SPEC)


def minutes_frame(session: Session, *, session_id: int) -> pd.DataFrame:
    """The session's minute timeline in time order (all its imports together)."""
    ph = placeholder(session)
    sql = _select("minute_row", MINUTE_SPEC, f"session_id = {ph}", "ts, id")
    return read_frame(session, sql, (session_id,), MINUTE_SPEC)


def viewers_frame(session: Session, *, session_id: int) -> pd.DataFrame:
    """The session's viewers, one row each, in the order they were imported."""
    ph = placeholder(session)
    sql = _select("viewer_row", VIEWER_SPEC, f"session_id = {ph}", "id")
    return read_frame(session, sql, (session_id,), VIEWER_SPEC)


def past_sessions_frame(
    session: Session, *, workspace_id: int, since: datetime | None = None
) -> pd.DataFrame:
    """The workspace's imported past sessions, oldest first; `since` keeps later starts only."""
    ph = placeholder(session)
    where = f"workspace_id = {ph}"
    params: list[Any] = [workspace_id]
    if since is not None:
        where += f" AND started_at >= {ph}"
        moment = as_utc(since, "since")
        if dialect_name(session) == "sqlite":
            params.append(moment.replace(tzinfo=None).strftime(SQLITE_TS_FORMAT))
        else:
            params.append(moment)
    sql = _select("past_session", PAST_SESSION_SPEC, where, "started_at IS NULL, started_at, id")
    return read_frame(session, sql, params, PAST_SESSION_SPEC)
