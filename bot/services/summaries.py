"""Post-stream summaries: scheduled after /endlive (or after a stream left silent for two
hours), built from the session's report, compared with the median of the workspace's last
streams, with the nudge times marked on the online chart.

The summary of session N is the ``scheduled_send`` row ``summary:N``; /summary gives the
same content at once without touching it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.formatting import fmt_change_pct, fmt_duration, fmt_money, fmt_num
from bot.i18n import t
from bot.services.digests import stream_records
from bot.services.figures import StreamRecord, refresh_session_figures, stream_history
from bot.services.reports import is_too_short, session_report
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend, row_id

if TYPE_CHECKING:
    from bot.services.products import TimelineReport
    from core.report import SessionReport

__all__ = [
    "COMPARE_LAST",
    "IDLE_CLOSE_S",
    "SessionLine",
    "SummaryContent",
    "build_summary",
    "close_idle_sessions",
    "last_session_id",
    "list_session_lines",
    "nudge_times",
    "render_summary_charts",
    "schedule_summary",
    "summary_key",
]

COMPARE_LAST = 5
"""Streams the summary is compared with (their median)."""
IDLE_CLOSE_S = 2 * 3600.0
"""An open session with no push for this long is closed by the bot."""
_LOOKBACK = timedelta(days=365)


def summary_key(session_id: int) -> str:
    return f"summary:{session_id}"


def schedule_summary(
    session: Session,
    *,
    session_id: int,
    workspace_id: int,
    due_at: datetime,
    auto_closed: bool = False,
) -> ScheduledSend:
    """The summary row of a session (idempotent), inside the caller's transaction."""
    return repo.schedule_send(
        session,
        kind="summary",
        key=summary_key(session_id),
        due_at=due_at,
        workspace_id=workspace_id,
        session_id=session_id,
        payload={
            "session_id": session_id,
            "auto_closed": auto_closed,
            "due": due_at.isoformat(),
        },
    )


def nudge_times(session: Session, *, session_id: int) -> list[datetime]:
    """When the session's nudges went out (marks on the online chart)."""
    rows = repo.session_nudges(session, session_id=session_id, statuses=("sent",))
    return [row.sent_at or row.due_at for row in rows]


@dataclass
class SummaryContent:
    """A summary ready to send; the charts are rendered from ``report`` separately."""

    session_id: int
    workspace_id: int
    chat_id: int
    lang: str
    timezone: str
    text: str
    report: SessionReport
    marks: list[datetime] = field(default_factory=list)
    timeline: TimelineReport | None = None
    """Products, segments and event effects: the summary's section and its two charts."""
    currency: str | None = None
    """The workspace's (ISO code): the charts' money axes are in it."""


_COMPARE_NAMES: dict[str, tuple[str, Callable[[float | None, str], str]]] = {
    "gmv": ("gmv", fmt_money),  # with the workspace's currency: see `_comparison`
    "half_life_s": ("half_life", fmt_duration),
    "peak_online": ("peak", fmt_num),
    "duration_s": ("duration", fmt_duration),
}


COMPARE_MIN = 3
"""Past streams needed before a summary compares with the usual."""


def _comparison(
    report: SessionReport, lang: str, streams: list[StreamRecord], currency: str | None = None
) -> list[str]:
    from core.figures import compare_with_usual

    if len(streams) < COMPARE_MIN or is_too_short(report):
        return []  # a median of one or two streams is no "usual"
    history = [s.values or {} for s in streams]
    items = []
    for c in compare_with_usual(report.figures, history):
        name, shown = _COMPARE_NAMES[c.figure]
        if c.figure == "gmv":
            shown = partial(fmt_money, currency=currency)
        change = (
            t(lang, "compare_change", change=fmt_change_pct(c.change, digits=0))
            if c.change is not None
            else ""
        )
        items.append(
            t(
                lang,
                "compare_item",
                name=t(lang, f"compare_{name}"),
                value=shown(c.value, lang),
                median=shown(c.usual, lang),
                change=change,
            )
        )
    if not items:
        return []
    return [t(lang, "compare_header", n=len(streams)), *items]


def build_summary(
    engine: Engine,
    *,
    session_id: int,
    workspace_id: int | None = None,
    model: Any = None,
    auto_closed: bool = False,
) -> SummaryContent | None:
    """The summary of a stored session (of that workspace when given); None when absent."""
    bundle = session_report(
        engine,
        session_id=session_id,
        workspace_id=workspace_id,
        charts=False,
        model=model,
        timeline=True,
    )
    if bundle is None:
        return None
    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=bundle.workspace_id)
        live = repo.get_session_any(session, session_id=session_id)
        assert ws is not None and live is not None
        streams = stream_records(
            session,
            workspace_id=bundle.workspace_id,
            since=live.started_at - _LOOKBACK,
            until=live.started_at,
            exclude_session=session_id,
            limit=COMPARE_LAST,
        )
        marks = nudge_times(session, session_id=session_id)
        chat_id, tz, currency = ws.chat_id, ws.timezone, ws.currency
    lang = bundle.lang
    head, _, tail = bundle.text.partition("\n\n")
    lines = [head]
    if auto_closed:
        lines.append(t(lang, "summary_auto_closed", hours=int(IDLE_CLOSE_S // 3600)))
    lines.extend(_comparison(bundle.report, lang, streams, currency))
    text = "\n".join(lines) + (f"\n\n{tail}" if tail else "")
    text += _products_section(bundle.timeline, lang, currency)
    return SummaryContent(
        session_id,
        bundle.workspace_id,
        chat_id,
        lang,
        tz,
        text,
        bundle.report,
        marks,
        bundle.timeline,
        currency,
    )


def _products_section(
    timeline: TimelineReport | None, lang: str, currency: str | None = None
) -> str:
    """Top products, the most-exposed least-converting one and the event effects told."""
    from bot.presenters_timeline import timeline_summary_section

    section = timeline_summary_section(timeline, lang, currency)
    return f"\n\n{section}" if section else ""


ALBUM_MAX = 10
"""Photos in one Telegram album."""


def render_summary_charts(
    report: SessionReport,
    lang: str,
    marks: list[datetime],
    tz: str,
    timeline: TimelineReport | None = None,
    currency: str | None = None,
) -> list[tuple[str, bytes]]:
    """The summary's charts as (name, PNG) in album order (runs in a process pool): the
    report's, then the timeline and the products when they carry something; money in the
    workspace's ``currency``."""
    from bot.services.products import timeline_charts
    from core.charts import summary_charts

    out = list(summary_charts(report, lang, marks=marks, tz=tz, currency=currency).items())
    if timeline is not None:
        out.extend(timeline_charts(timeline, lang, tz, currency))
    return out[:ALBUM_MAX]


def close_idle_sessions(
    engine: Engine, *, now: datetime, idle_s: float = IDLE_CLOSE_S
) -> list[tuple[str, datetime]]:
    """Close every open session with no push for ``idle_s`` (ended at its last push) and
    schedule its summary now; the (key, due) of the summaries."""
    cutoff = now - timedelta(seconds=idle_s)
    out: list[tuple[str, datetime]] = []
    with session_scope(engine) as session:
        for live in repo.open_sessions(session):
            last = live.last_push_at or live.started_at
            if last >= cutoff:
                continue
            sid = row_id(live)
            repo.close_session(session, session_id=sid, ended_at=last)
            refresh_session_figures(session, sid)
            row = schedule_summary(
                session,
                session_id=sid,
                workspace_id=live.workspace_id,
                due_at=now,
                auto_closed=True,
            )
            out.append((row.key, row.due_at))
    return out


@dataclass(frozen=True)
class SessionLine:
    session_id: int | None
    """None for a stream known only from a platform's session list (no summary of its own)."""
    title: str
    started_at: datetime
    duration_s: float | None
    status: str
    gmv: float | None


def last_session_id(engine: Engine, *, workspace_id: int) -> int | None:
    """The id of the workspace's latest session, or None when it has none."""
    with session_scope(engine) as session:
        last = repo.last_session(session, workspace_id=workspace_id)
        return row_id(last) if last is not None else None


def list_session_lines(engine: Engine, *, workspace_id: int, limit: int = 15) -> list[SessionLine]:
    """The workspace's latest streams, newest first, with duration and GMV (their stored
    figures, read in one query): its sessions, and the rows of platforms' session lists
    that match none of them (without an id)."""
    with session_scope(engine) as session:
        records = stream_history(session, workspace_id=workspace_id, limit=limit)
    return [
        SessionLine(
            r.session_id,
            r.title or "",
            r.started_at,
            r.duration_s if math.isfinite(r.duration_s) else None,
            r.status,
            r.gmv if math.isfinite(r.gmv) else None,
        )
        for r in reversed(records)
    ]
