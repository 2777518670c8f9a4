"""The hosts' own data: /export (every row of the workspace as CSV files in one zip) and
/forget (delete all of it).

:func:`export_zip` writes ``sessions.csv``, ``snapshots.csv``, ``minutes.csv``,
``viewers.csv``, ``past_sessions.csv`` and ``figures.csv`` (each session's stored headline
figures, as every message states them) (UTF-8 with a BOM, so that spreadsheets read
Chinese text right). A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote (:func:`neutralise`), so a spreadsheet
shows it instead of running it as a formula; numeric columns are written as numbers, so a
real ``-3.5`` stays ``-3.5``. Missing values are empty cells.

:func:`forget_workspace` deletes the workspace row and, by cascade, its sessions,
snapshots, minute and viewer rows, past sessions, import records (the content hashes: the
same file can be imported again) and scheduled sends, plus the chat's processed-update
marks — in one transaction. The next message of the chat registers a new, empty
workspace. Model versions trained before stay (they hold fitted coefficients, not rows);
the next retrain no longer sees the rows.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from bot.services.figures import stream_history
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import (
    MINUTE_COLUMNS,
    PAST_SESSION_COLUMNS,
    SESSION_FIGURE_COLUMNS,
    SNAPSHOT_COLUMNS,
    VIEWER_COLUMNS,
    row_id,
)

__all__ = [
    "EXPORT_FILES",
    "FORMULA_PREFIXES",
    "ExportResult",
    "export_zip",
    "forget_workspace",
    "neutralise",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A text cell beginning with one of these is read as a formula by spreadsheets."""

SESSION_EXPORT_COLUMNS = ("id", "title", "status", "source", "started_at", "ended_at")
EXPORT_FILES = (
    "sessions.csv",
    "snapshots.csv",
    "minutes.csv",
    "viewers.csv",
    "past_sessions.csv",
    "figures.csv",
)


@dataclass(frozen=True)
class ExportResult:
    """The zip's bytes and how many rows each file holds (header excluded)."""

    data: bytes
    rows: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.rows.values())


def neutralise(value: str) -> str:
    """``value`` with a leading single quote when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell(value: Any) -> Any:
    """One CSV cell: numbers as numbers, times in ISO 8601, text neutralised, missing empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and value != value:  # NaN
            return ""
        return value
    if isinstance(value, pd.Timestamp | datetime):
        return "" if pd.isna(value) else value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return neutralise(str(value))


def _csv(columns: tuple[str, ...] | list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _frame_rows(frame: pd.DataFrame, columns: list[str], session_id: int) -> list[list[Any]]:
    out: list[list[Any]] = []
    present = [c for c in columns if c in frame.columns]
    records = frame[present].astype(object).to_numpy().tolist() if len(frame) else []
    for values in records:
        row = dict(zip(present, values, strict=True))
        out.append([session_id, *(_plain(row.get(c)) for c in columns)])
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # 1200.0 → 1200; -3.5 stays -3.5
    return value


def export_zip(engine: Engine, *, workspace_id: int) -> ExportResult:
    """Every row of the workspace as CSV files in one zip (see the module docstring)."""
    snapshot_cols = ["ts", *SNAPSHOT_COLUMNS]
    minute_cols = ["ts", *MINUTE_COLUMNS]
    viewer_cols = list(VIEWER_COLUMNS)
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {
        "sessions.csv": (list(SESSION_EXPORT_COLUMNS), []),
        "snapshots.csv": (["session_id", *snapshot_cols], []),
        "minutes.csv": (["session_id", *minute_cols], []),
        "viewers.csv": (["session_id", *viewer_cols], []),
        "past_sessions.csv": (list(PAST_SESSION_COLUMNS), []),
        "figures.csv": (["session_id", *SESSION_FIGURE_COLUMNS], []),
    }
    with session_scope(engine) as session:
        for live in repo.all_sessions(session, workspace_id=workspace_id):
            sid = row_id(live)
            tables["sessions.csv"][1].append(
                [sid, live.title, live.status, live.source, live.started_at, live.ended_at]
            )
            tables["snapshots.csv"][1].extend(
                _frame_rows(repo.snapshots_frame(session, session_id=sid), snapshot_cols, sid)
            )
            tables["minutes.csv"][1].extend(
                _frame_rows(repo.minutes_frame(session, session_id=sid), minute_cols, sid)
            )
            tables["viewers.csv"][1].extend(
                _frame_rows(repo.viewers_frame(session, session_id=sid), viewer_cols, sid)
            )
        # each session's figures as every message states them (core.figures, stored)
        for record in stream_history(
            session, workspace_id=workspace_id, include_platform_rows=False
        ):
            values = record.values or {}
            tables["figures.csv"][1].append(
                [record.session_id, *(values.get(c) for c in SESSION_FIGURE_COLUMNS)]
            )
        past = repo.past_sessions_frame(session, workspace_id=workspace_id)
        cols = list(PAST_SESSION_COLUMNS)
        tables["past_sessions.csv"][1].extend(row[1:] for row in _frame_rows(past, cols, 0))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (columns, rows) in tables.items():
            archive.writestr(name, _csv(columns, rows))
    return ExportResult(buffer.getvalue(), {name: len(rows) for name, (_, rows) in tables.items()})


def forget_workspace(engine: Engine, *, workspace_id: int, chat_id: int) -> dict[str, int] | None:
    """Delete the workspace and everything of it (see the module docstring); the rows
    deleted per kind, or None when that workspace is already gone (nothing is done)."""
    with session_scope(engine) as session:
        # first statement: take the workspace, so that the counts are what is deleted
        if not repo.lock_workspace(session, workspace_id=workspace_id, chat_id=chat_id):
            return None
        counts = repo.delete_workspace_data(session, workspace_id=workspace_id)
        counts["processed_updates"] = repo.forget_processed_updates(session, chat_id=chat_id)
        return counts
