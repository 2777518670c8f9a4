"""Stored per-session figures and the history read from them.

A closed session's figures (:func:`core.figures.compute_figures`) are stored in
``session_figures`` when it closes, when an import changes its data
(:func:`refresh_session_figures`, called by the import path) and when its report is built.
History — comparisons in summaries, digests, the live forecast's past streams, /sessions
— reads the stored rows of the last N sessions in one query (``repo.session_history``);
a closed session without a row, or with a row of an older definitions version (a
migrated database, a changed definition), is computed then and stored, once. An open
session's figures are computed when asked and never stored: its data is still changing.

A platform's session row (a sessions export) is the session's own totals when it started
within :data:`SAME_STREAM_S` of the session; rows matching no session are streams of their
own in the history, their figures computed from the row alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from storage import repositories as repo
from storage.models import SESSION_FIGURE_COLUMNS, LiveSession

if TYPE_CHECKING:
    from core.figures import Figures

__all__ = [
    "SAME_STREAM_S",
    "StreamRecord",
    "compute_session_figures",
    "platform_row",
    "refresh_session_figures",
    "session_values",
    "store_figures",
    "stream_history",
]

SAME_STREAM_S = 1800.0
"""A platform's session row starting this close to a session is that session."""


@dataclass(frozen=True)
class StreamRecord:
    """One stream as history sees it (NaN where a figure is unknown)."""

    started_at: datetime
    gmv: float
    half_life_s: float
    peak_online: float
    duration_s: float
    title: str | None
    session_id: int | None
    """The live session's id; None for a row known only from a sessions file."""
    status: str = "closed"
    values: dict[str, float | None] | None = None


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _platform_rows(session: Session, *, workspace_id: int, since: datetime | None) -> pd.DataFrame:
    return repo.past_sessions_frame(session, workspace_id=workspace_id, since=since)


def _match(past: pd.DataFrame, started_at: datetime) -> dict[str, Any] | None:
    if len(past) == 0:
        return None
    starts = past["started_at"]
    ok = starts.notna()
    if not ok.any():
        return None
    at = pd.Timestamp(started_at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    gap = (starts[ok] - at).abs().dt.total_seconds()
    gap = gap[gap <= SAME_STREAM_S]
    if len(gap) == 0:
        return None
    row = past.loc[[gap.idxmin()]].iloc[0].to_dict()
    return {str(k): v for k, v in row.items()}


def platform_row(
    session: Session, *, workspace_id: int, started_at: datetime
) -> dict[str, Any] | None:
    """The platform's session row of the stream that started at ``started_at``, if any."""
    since = started_at - timedelta(seconds=SAME_STREAM_S)
    return _match(_platform_rows(session, workspace_id=workspace_id, since=since), started_at)


def platform_title(row: Mapping[str, Any] | None) -> str | None:
    """The stream's name in the platform's session row (None without one)."""
    title = None if row is None else row.get("title")
    return title.strip() or None if isinstance(title, str) else None


def compute_session_figures(session: Session, *, live: LiveSession) -> Figures:
    """The figures of a stored session from everything it has."""
    from core.figures import compute_figures

    sid = live.id
    assert sid is not None
    frames = {
        "snapshots": repo.snapshots_frame(session, session_id=sid),
        "minutes": repo.minutes_frame(session, session_id=sid),
        "viewers": repo.viewers_frame(session, session_id=sid),
        "products": repo.products_frame(session, session_id=sid),
    }
    return compute_figures(
        **{k: (v if len(v) else None) for k, v in frames.items()},
        platform=platform_row(session, workspace_id=live.workspace_id, started_at=live.started_at),
        started_at=live.started_at,
        ended_at=live.ended_at,
    )


def store_figures(session: Session, *, session_id: int, figures: Figures) -> None:
    """Store the session's figures (as computed elsewhere, e.g. by its report)."""
    repo.store_session_figures(
        session,
        session_id=session_id,
        version=figures.version,
        values=figures.values_dict(),
        figures={
            "values": figures.to_dict(),
            "reconciliation": figures.reconciliation_dicts(),
            "contradictions": figures.contradiction_dicts(),
            "slips": figures.slip_dicts(),
        },
    )


def refresh_session_figures(
    session: Session, session_id: int | None, *, workspace_id: int | None = None
) -> Figures | None:
    """Compute the session's figures again and store them (not for an open session:
    its stored row is dropped instead). None when the session does not exist.

    Without a session (a sessions file imported into the workspace's history), the stored
    figures of the workspace's sessions are dropped: a platform row may now belong to one
    of them, and history computes them again when it next reads them."""
    if session_id is None:
        if workspace_id is not None:
            repo.drop_session_figures(session, workspace_id=workspace_id)
        return None
    live = repo.get_session_any(session, session_id=session_id)
    if live is None:
        return None
    figures = compute_session_figures(session, live=live)
    if live.status == "open":
        repo.drop_session_figures(session, session_id=session_id)
    else:
        store_figures(session, session_id=session_id, figures=figures)
    return figures


def session_values(session: Session, *, session_id: int) -> dict[str, float | None]:
    """Every figure of the session as every surface shows it: a closed session's stored
    figures (computed and stored first when none of this definitions version are), an open
    session's computed now. Empty when the session does not exist."""
    from core.figures import DEFINITIONS_VERSION

    row = repo.get_session_figures(session, session_id=session_id)
    stored = (row.figures or {}).get("values") if row is not None else None
    if row is not None and row.definitions_version == DEFINITIONS_VERSION and stored:
        return {str(name): (item or {}).get("value") for name, item in stored.items()}
    figures = refresh_session_figures(session, session_id)
    return {} if figures is None else figures.values_dict()


def _headline(values: dict[str, float | None]) -> dict[str, float | None]:
    return {name: values.get(name) for name in SESSION_FIGURE_COLUMNS}


def _record(row: repo.SessionHistoryRow, values: dict[str, float | None]) -> StreamRecord:
    values = _headline(values)
    return StreamRecord(
        row.started_at,
        _nan(values.get("gmv")),
        _nan(values.get("half_life_s")),
        _nan(values.get("peak_online")),
        _nan(values.get("duration_s")),
        row.title,
        row.session_id,
        row.status,
        values,
    )


def stream_history(
    session: Session,
    *,
    workspace_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    exclude_session: int | None = None,
    limit: int | None = None,
    include_platform_rows: bool = True,
) -> list[StreamRecord]:
    """The workspace's streams started in [since, until), oldest first (the latest
    ``limit`` of them): its sessions with their stored figures, read in one query, and the
    platform's session rows that match no session."""
    from core.figures import DEFINITIONS_VERSION, compute_figures

    rows = repo.session_history(
        session,
        workspace_id=workspace_id,
        since=since,
        until=until,
        exclude_session=exclude_session,
        limit=limit,
    )
    records: list[StreamRecord] = []
    for row in rows:
        values = row.values
        if row.version != DEFINITIONS_VERSION or row.status == "open":
            live = repo.get_session_any(session, session_id=row.session_id)
            assert live is not None
            figures = compute_session_figures(session, live=live)
            values = figures.values_dict()
            if row.status != "open":
                store_figures(session, session_id=row.session_id, figures=figures)
        records.append(_record(row, values))
    untitled = any(r.title is None for r in records)
    if not include_platform_rows and not untitled:
        return records
    earliest = since if since is None else since - timedelta(seconds=SAME_STREAM_S)
    past = _platform_rows(session, workspace_id=workspace_id, since=earliest)
    # a session made from files, or opened without a title, goes by the platform's name
    records = [
        replace(r, title=platform_title(_match(past, r.started_at))) if r.title is None else r
        for r in records
    ]
    if not include_platform_rows:
        return records
    if since is not None and len(past):
        past = past[past["started_at"] >= pd.Timestamp(since)]
    if len(past):
        past = past[past["started_at"].notna()]
        if until is not None:
            past = past[past["started_at"] < pd.Timestamp(until)]
    if len(past):
        # every session of the window, also the excluded one: its row is not another stream
        own = repo.session_history(session, workspace_id=workspace_id, since=since, until=until)
        starts = np.array([r.started_at.timestamp() for r in own], dtype=float)
        for item in past.to_dict("records"):
            start = pd.Timestamp(item["started_at"]).to_pydatetime()
            if len(starts) and np.min(np.abs(starts - start.timestamp())) <= SAME_STREAM_S:
                continue
            figures = compute_figures(platform={str(k): v for k, v in item.items()})
            values = _headline(figures.values_dict())
            records.append(
                StreamRecord(
                    start,
                    _nan(values.get("gmv")),
                    _nan(values.get("half_life_s")),
                    _nan(values.get("peak_online")),
                    _nan(values.get("duration_s")),
                    title if isinstance(title := item.get("title"), str) and title else None,
                    None,
                    "closed",
                    values,
                )
            )
        records.sort(key=lambda r: r.started_at)
        if limit is not None:
            records = records[-limit:]
    return records
