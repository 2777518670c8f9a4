"""Live sessions: go live, push the numbers seen on screen, end the stream."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy.engine import Engine

from bot.statparse import parse_stats
from storage import repositories as repo
from storage.engine import session_scope
from storage.errors import SessionAlreadyOpen
from storage.models import row_id

__all__ = [
    "EndLiveResult",
    "GoLiveResult",
    "StatResult",
    "end_live",
    "go_live",
    "push_stat",
]

RECENT_WINDOW_S = 600.0


@dataclass(frozen=True, slots=True)
class GoLiveResult:
    session_id: int
    title: str
    created: bool


@dataclass(frozen=True, slots=True)
class EndLiveResult:
    session_id: int
    title: str
    duration_s: float


StatStatus = Literal["ok", "duplicate", "no_session", "bad_values", "nothing"]


@dataclass(slots=True)
class StatResult:
    status: StatStatus
    values: dict[str, float] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    session_id: int | None = None
    changes: dict[str, float] = field(default_factory=dict)
    since_s: float | None = None
    lambda_per_s: float | None = None
    half_life_s: float | None = None
    recent_lambda_per_s: float | None = None


def go_live(
    engine: Engine,
    *,
    workspace_id: int,
    title: str,
    now: datetime,
    chat_id: int,
    message_id: int,
) -> GoLiveResult:
    """Open a session, or return the one already open (one open per workspace)."""
    with session_scope(engine) as session:
        current = repo.get_open_session(session, workspace_id=workspace_id)
        if current is not None:
            return GoLiveResult(row_id(current), current.title or "", created=False)
        first_time = repo.mark_update_processed(
            session, chat_id=chat_id, message_id=message_id, kind="golive"
        )
        if not first_time:
            last = repo.last_session(session, workspace_id=workspace_id)
            assert last is not None
            return GoLiveResult(row_id(last), last.title or "", created=True)
        try:
            live = repo.open_session(
                session, workspace_id=workspace_id, title=title, started_at=now
            )
        except SessionAlreadyOpen:
            session.rollback()
            current = repo.get_open_session(session, workspace_id=workspace_id)
            assert current is not None
            return GoLiveResult(row_id(current), current.title or "", created=False)
        return GoLiveResult(row_id(live), live.title or "", created=True)


def end_live(engine: Engine, *, workspace_id: int, now: datetime) -> EndLiveResult | None:
    """Close the open session; None when there is none."""
    with session_scope(engine) as session:
        current = repo.get_open_session(session, workspace_id=workspace_id)
        if current is None:
            return None
        closed = repo.close_session(session, session_id=row_id(current), ended_at=now)
        started = _utc(closed.started_at)
        duration = (_utc(now) - started).total_seconds()
        return EndLiveResult(row_id(closed), closed.title or "", max(duration, 0.0))


def push_stat(
    engine: Engine,
    *,
    workspace_id: int,
    text: str,
    now: datetime,
    dedupe_key: str,
) -> StatResult:
    """Parse a push, store it as a snapshot of the open session, and say what it means."""
    parsed = parse_stats(text)
    if parsed.errors:
        return StatResult("bad_values", parsed.values, parsed.unknown, parsed.errors)
    if not parsed.values:
        # "hello there" has no numbers at all: say so rather than list unknown "keys"
        has_digits = any(ch.isdigit() for ch in text)
        return StatResult("nothing", {}, parsed.unknown if has_digits else [])
    with session_scope(engine) as session:
        live = repo.get_open_session(session, workspace_id=workspace_id)
        if live is None:
            return StatResult("no_session", parsed.values, parsed.unknown)
        stored = repo.add_snapshot(
            session, session_id=row_id(live), ts=now, values=parsed.values, dedupe_key=dedupe_key
        )
        if stored is None:
            return StatResult("duplicate", parsed.values, parsed.unknown, session_id=row_id(live))
        frame = repo.snapshots_frame(session, session_id=row_id(live))
    result = StatResult("ok", parsed.values, parsed.unknown, session_id=row_id(live))
    _describe(result, frame)
    return result


def _describe(result: StatResult, frame: object) -> None:
    """Fill the change since the last push and the live attention from the session's pushes."""
    import pandas as pd

    from core import attention

    assert isinstance(frame, pd.DataFrame)
    if len(frame) >= 2:
        last, prev = frame.iloc[-1], frame.iloc[:-1]
        for key in result.values:
            if key not in prev.columns:
                continue
            earlier = prev[key].dropna()
            if len(earlier):
                result.changes[key] = float(last[key] - earlier.iloc[-1])
        result.since_s = float((frame["ts"].iloc[-1] - frame["ts"].iloc[-2]).total_seconds())
    estimate = attention.from_snapshots(frame)
    if estimate is not None and math.isfinite(estimate.lambda_per_s) and estimate.lambda_per_s > 0:
        result.lambda_per_s = estimate.lambda_per_s
        result.half_life_s = estimate.half_life_s
        recent = attention.from_snapshots(frame, window_s=RECENT_WINDOW_S)
        if recent is not None and recent.events > 0 and math.isfinite(recent.lambda_per_s):
            result.recent_lambda_per_s = recent.lambda_per_s


def _utc(ts: datetime) -> datetime:
    from datetime import UTC

    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
