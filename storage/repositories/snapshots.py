"""Snapshots pushed during a stream, deduplicated by a key stored with the row."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.errors import InvalidValue, SessionNotFound, UnknownColumns
from storage.models import SNAPSHOT_COLUMNS, LiveSession, Snapshot
from storage.repositories._common import as_utc, insert_ignore
from storage.repositories.frames import snapshots_frame

__all__ = ["add_snapshot", "snapshots_frame"]


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidValue(f"{name}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{name}: expected a number, got {value!r}") from exc
    return None if math.isnan(number) else number


def add_snapshot(
    session: Session,
    *,
    session_id: int,
    ts: datetime,
    values: Mapping[str, Any],
    dedupe_key: str,
) -> Snapshot | None:
    """Store a snapshot; None when `dedupe_key` was seen before (nothing changes then).

    `values` maps snapshot columns (`online`, `gmv`, …) to numbers; a column left out or
    None/NaN is missing. The session's `last_push_at` moves forward to `ts`.
    """
    unknown = set(values) - set(SNAPSHOT_COLUMNS)
    if unknown:
        raise UnknownColumns("snapshot", unknown)
    live = session.get(LiveSession, session_id)
    if live is None:
        raise SessionNotFound(f"session {session_id}")
    moment = as_utc(ts, "ts")
    numbers = {name: _number(name, value) for name, value in values.items()}
    candidate = Snapshot(session_id=session_id, ts=moment, dedupe_key=dedupe_key)
    for name, number in numbers.items():
        setattr(candidate, name, number)
    new_id = insert_ignore(session, candidate, conflict=["dedupe_key"])
    if new_id is None:
        return None
    if live.last_push_at is None or live.last_push_at < moment:
        live.last_push_at = moment
        session.add(live)
        session.flush()
    return session.get(Snapshot, new_id)
