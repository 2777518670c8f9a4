"""Factories of rows and frames for tests, built through the real repositories."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from storage import repositories as repo
from storage.models import (
    MINUTE_COLUMNS,
    ImportRecord,
    LiveSession,
    ScheduledSend,
    Snapshot,
    Workspace,
)

__all__ = [
    "T0",
    "make_import",
    "make_minutes_frame",
    "make_past_sessions_frame",
    "make_send",
    "make_session",
    "make_snapshot",
    "make_viewers_frame",
    "make_workspace",
    "next_id",
]

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
_ids = itertools.count(1_000_001)


def next_id() -> int:
    """A number not handed out before in this test run (chat ids, message ids…)."""
    return next(_ids)


def make_workspace(
    session: Session,
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
    title: str | None = "Test host",
    language: str = "en",
    timezone: str = "UTC",
    **fields: Any,
) -> Workspace:
    """A workspace (extra `fields` are applied with `update_workspace`)."""
    workspace = repo.get_or_create_workspace(
        session,
        chat_id=chat_id if chat_id is not None else next_id(),
        chat_type=chat_type,
        title=title,
        language=language,
        timezone=timezone,
    )
    if fields:
        assert workspace.id is not None
        workspace = repo.update_workspace(session, workspace_id=workspace.id, **fields)
    return workspace


def make_session(
    session: Session,
    *,
    workspace: Workspace | None = None,
    title: str | None = "Evening stream",
    started_at: datetime = T0,
    closed: bool = False,
    ended_at: datetime | None = None,
    source: str = "live",
) -> LiveSession:
    """A live session (open unless `closed`), in a new workspace unless one is given."""
    workspace = workspace or make_workspace(session)
    assert workspace.id is not None
    if closed:
        return repo.add_closed_session(
            session,
            workspace_id=workspace.id,
            title=title,
            started_at=started_at,
            ended_at=ended_at or started_at + timedelta(hours=2),
            source=source,
        )
    return repo.open_session(
        session, workspace_id=workspace.id, title=title, started_at=started_at, source=source
    )


def make_snapshot(
    session: Session,
    *,
    live: LiveSession,
    ts: datetime = T0,
    values: dict[str, float | None] | None = None,
    dedupe_key: str | None = None,
) -> Snapshot | None:
    """A snapshot of `live` (a unique dedupe key unless one is given)."""
    assert live.id is not None
    return repo.add_snapshot(
        session,
        session_id=live.id,
        ts=ts,
        values=values if values is not None else {"online": 1200.0, "gmv": 3400.0},
        dedupe_key=dedupe_key or f"test:{next_id()}",
    )


def make_import(
    session: Session,
    *,
    workspace: Workspace,
    kind: str = "viewers",
    live: LiveSession | None = None,
    rows: int = 0,
    content_hash: str | None = None,
    filename: str = "export.csv",
) -> ImportRecord:
    """An import record (a unique content hash unless one is given)."""
    assert workspace.id is not None
    return repo.create_import(
        session,
        workspace_id=workspace.id,
        kind=kind,
        content_hash=content_hash or f"{next_id():064x}",
        rows=rows,
        filename=filename,
        session_id=live.id if live is not None else None,
    )


def make_send(
    session: Session,
    *,
    kind: str = "summary",
    key: str | None = None,
    due_at: datetime = T0,
    workspace: Workspace | None = None,
    payload: dict[str, Any] | None = None,
    session_id: int | None = None,
) -> ScheduledSend:
    """A pending scheduled send (a unique key unless one is given)."""
    return repo.schedule_send(
        session,
        kind=kind,
        key=key or f"{kind}:{next_id()}",
        due_at=due_at,
        workspace_id=workspace.id if workspace is not None else None,
        payload=payload,
        session_id=session_id,
    )


def _holes(frame: pd.DataFrame, columns: list[str], rng: np.random.Generator, frac: float) -> None:
    for name in columns:
        mask = rng.random(len(frame)) < frac
        frame.loc[mask, name] = np.nan


def make_minutes_frame(
    n: int = 60, *, start: datetime = T0, seed: int = 0, missing: float = 0.1
) -> pd.DataFrame:
    """A minute timeline with canonical columns; a share `missing` of values is NaN."""
    rng = np.random.default_rng(seed)
    online = np.maximum(0, 800 + np.cumsum(rng.normal(0, 30, n))).round()
    frame = pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=n, freq="min"),
            "online": online,
            "entries": rng.poisson(60, n).astype(float),
            "exits": rng.poisson(55, n).astype(float),
            "avg_watch_s": rng.gamma(4, 30, n).round(1),
            "impressions": rng.poisson(300, n).astype(float),
            "clicks": rng.poisson(40, n).astype(float),
            "buyers": rng.poisson(5, n).astype(float),
            "orders": rng.poisson(6, n).astype(float),
            "gmv": rng.gamma(2, 150, n).round(2),
            "followers": rng.poisson(3, n).astype(float),
            "likes": rng.poisson(500, n).astype(float),
            "comments": rng.poisson(20, n).astype(float),
        }
    )
    _holes(frame, [c for c in MINUTE_COLUMNS if c != "online"], rng, missing)
    return frame


def make_viewers_frame(
    n: int = 500, *, seed: int = 0, missing: float = 0.1, censored: bool = True
) -> pd.DataFrame:
    """Viewers with canonical columns; a share `missing` of values is NaN/None."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i:08d}" for i in rng.permutation(10 * n)[:n]],
            "watch_time_s": rng.exponential(240, n).round(1),
            "likes": rng.poisson(8, n).astype(float),
            "comments": rng.poisson(2, n).astype(float),
            "shares": rng.poisson(0.3, n).astype(float),
            "purchase_count": rng.poisson(1, n).astype(float),
            "purchase_amount": rng.gamma(1.5, 80, n).round(2),
            "spend": np.where(rng.random(n) < 0.2, rng.gamma(2, 60, n).round(2), 0.0),
        }
    )
    _holes(frame, ["watch_time_s", "likes", "comments", "shares", "spend"], rng, missing)
    if censored:
        flags = pd.Series(rng.random(n) < 0.1, dtype=object)
        flags[rng.random(n) < missing] = None
        frame["censored"] = flags
    return frame


def make_past_sessions_frame(
    n: int = 14, *, start: datetime = T0, seed: int = 0, missing: float = 0.1
) -> pd.DataFrame:
    """Past streams, one a day before `start`, with canonical columns."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "started_at": pd.date_range(end=start, periods=n, freq="D"),
            "duration_s": rng.integers(3600, 4 * 3600, n).astype(float),
            "gmv": rng.gamma(3, 4000, n).round(2),
            "views": rng.integers(5_000, 50_000, n).astype(float),
            "impressions": rng.integers(2_000, 20_000, n).astype(float),
            "clicks": rng.integers(200, 3_000, n).astype(float),
            "orders": rng.integers(20, 400, n).astype(float),
            "buyers": rng.integers(20, 350, n).astype(float),
            "followers": rng.integers(0, 500, n).astype(float),
            "peak_online": rng.integers(300, 3_000, n).astype(float),
            "avg_watch_s": rng.gamma(4, 25, n).round(1),
            "title": [f"Stream {i}" for i in range(n)],
            "room_id": [str(7_300_000_000 + i) for i in range(n)],
        }
    )
    _holes(frame, ["gmv", "impressions", "followers", "avg_watch_s"], rng, missing)
    # the platform's own figures, drawn apart so the columns above stay as they were
    extra = np.random.default_rng(seed + 1_000)
    frame["items"] = frame["orders"] + extra.integers(0, 50, n)
    frame["ctr"] = (frame["clicks"] / frame["impressions"]).clip(upper=1).round(4)
    frame["ctor"] = (frame["orders"] / frame["clicks"]).clip(upper=1).round(4)
    frame["gpm"] = (frame["gmv"] / frame["views"] * 1000).round(2)
    return frame


def tiktok_products_for(start: datetime, end: datetime, *, tag: str = "") -> bytes:
    """The TikTok Shop product list of tests/data with the stream window of its title line
    set to ``start`` ~ ``end`` (UTC, written with its zone): the same six products, exported
    for another stream (``tag`` after each product's name makes the rows another list's)."""
    import io
    from pathlib import Path

    import openpyxl

    book = openpyxl.load_workbook(
        Path(__file__).resolve().parents[1] / "data" / "tiktok_live_products.xlsx"
    )
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = f"{start.astimezone(UTC):%Y-%m-%d %H:%M}Z ~ {end.astimezone(UTC):%Y-%m-%d %H:%M}Z"
    for row in range(4, sheet.max_row + 1):
        if tag and sheet.cell(row, 1).value:
            sheet.cell(row, 1).value = f"{sheet.cell(row, 1).value} {tag}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
