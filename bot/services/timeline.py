"""Products presented and events marked from chat while live, stored on the open session's
timeline at the message's own time, once per message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.engine import Engine

from bot.timeline_text import EventCue, ProductCue
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import row_id

__all__ = ["MarkResult", "mark_timeline"]

MarkStatus = Literal["ok", "duplicate", "no_session"]


@dataclass(frozen=True, slots=True)
class MarkResult:
    status: MarkStatus
    kind: str | None = None
    """"product", "product_end" or an event kind."""
    label: str | None = None
    product_no: int | None = None
    session_id: int | None = None
    live_s: float | None = None
    """From the session's start to the mark."""


def _kind(cue: ProductCue | EventCue) -> str:
    if isinstance(cue, EventCue):
        return cue.kind
    return "product_end" if cue.ends else "product"


def mark_timeline(
    engine: Engine,
    *,
    workspace_id: int,
    cue: ProductCue | EventCue,
    now: datetime,
    chat_id: int,
    message_id: int,
) -> MarkResult:
    """Store the cue on the open session's timeline; a second delivery of the same message
    changes nothing (`duplicate`)."""
    kind = _kind(cue)
    label = cue.label
    product_no = cue.product_no if isinstance(cue, ProductCue) else None
    with session_scope(engine) as session:
        live = repo.get_open_session(session, workspace_id=workspace_id)
        if live is None:
            return MarkResult("no_session", kind, label, product_no)
        mark = repo.add_mark(
            session,
            session_id=row_id(live),
            ts=now,
            kind=kind,
            label=label,
            product_no=product_no,
            dedupe_key=f"mark:{chat_id}:{message_id}",
        )
        started = live.started_at.astimezone(UTC)
        live_s = max((now.astimezone(UTC) - started).total_seconds(), 0.0)
        status: MarkStatus = "ok" if mark is not None else "duplicate"
        return MarkResult(status, kind, label, product_no, row_id(live), live_s)
