"""Products and the stream's timeline of one session, for the summary, `livehost report
--json` and the charts: per-product figures, per-segment figures, and what each kind of
event did across the workspace's streams."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from bot.services.figures import session_values
from core.events import EVENT_KINDS, EventEffect, Occurrence, event_effects, occurrence
from core.products import (
    ProductFigures,
    Segment,
    SegmentFigures,
    highlights,
    product_figures,
    segment_figures,
    segments,
)
from storage import repositories as repo
from storage.engine import session_scope

__all__ = [
    "TimelineFrames",
    "TimelineReport",
    "build_timeline",
    "period_event_effects",
    "read_timeline",
    "timeline_charts",
    "timeline_json",
    "timeline_report",
]


@dataclass(slots=True)
class TimelineReport:
    session_id: int
    workspace_id: int
    products: list[ProductFigures] = field(default_factory=list)
    top: list[ProductFigures] = field(default_factory=list)
    exposed_not_converting: ProductFigures | None = None
    product_segments: list[Segment] = field(default_factory=list)
    segments: list[SegmentFigures] = field(default_factory=list)
    events: list[EventEffect] = field(default_factory=list)
    event_marks: list[tuple[datetime, str]] = field(default_factory=list)
    """This session's events as (time, kind), for the timeline chart."""
    minutes: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: `products`, `segments`, `events`."""
        worst = self.exposed_not_converting
        return {
            "products": {
                "items": [p.to_dict() for p in self.products],
                "top": [p.to_dict() for p in self.top],
                "exposed_not_converting": worst.to_dict() if worst is not None else None,
            },
            "segments": [s.to_dict() for s in self.segments],
            "events": [e.to_dict() for e in self.events],
        }


def _end(ended_at: datetime | None, minutes: pd.DataFrame) -> pd.Timestamp | None:
    if ended_at is not None:
        return pd.Timestamp(ended_at)
    if len(minutes):
        return pd.Timestamp(minutes["ts"].max()) + pd.Timedelta(minutes=1)
    return None


def _occurrences(
    session: Any, *, workspace_id: int, session_ids: Collection[int] | None = None
) -> list[Occurrence]:
    """Every event of the workspace's streams (of those sessions when given) that has minute
    rows around it."""
    marks = repo.workspace_marks_frame(session, workspace_id=workspace_id, kinds=EVENT_KINDS)
    out: list[Occurrence] = []
    wanted = set(marks["session_id"].tolist())
    if session_ids is not None:
        wanted &= {int(s) for s in session_ids}
    for sid in sorted(wanted):
        group = marks[marks["session_id"] == sid]
        minutes = repo.minutes_frame(session, session_id=int(sid))
        if len(minutes) == 0:
            continue
        for ts, kind in zip(group["ts"], group["kind"], strict=True):
            occ = occurrence(minutes, ts, str(kind))
            if occ is not None:
                out.append(occ)
    return out


@dataclass(slots=True)
class TimelineFrames:
    """What the products, segments and event effects of one session are computed from."""

    session_id: int
    workspace_id: int
    ended_at: datetime | None
    minutes: pd.DataFrame
    marks: pd.DataFrame
    products: pd.DataFrame
    occurrences: list[Occurrence]


def read_timeline(
    session: Any,
    *,
    live: Any,
    minutes: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
) -> TimelineFrames:
    """Read a stored session's timeline inside the caller's unit of work; ``minutes`` and
    ``products`` when the caller has read them already."""
    session_id = int(live.id)
    if minutes is None:
        minutes = repo.minutes_frame(session, session_id=session_id)
    if products is None:
        products = repo.products_frame(session, session_id=session_id)
    return TimelineFrames(
        session_id=session_id,
        workspace_id=int(live.workspace_id),
        ended_at=live.ended_at,
        minutes=minutes,
        marks=repo.marks_frame(session, session_id=session_id),
        products=products,
        occurrences=_occurrences(session, workspace_id=int(live.workspace_id)),
    )


def build_timeline(frames: TimelineFrames, *, session_gmv: float | None) -> TimelineReport:
    """The products, segments and event effects of the frames (pure computation); product
    shares are of ``session_gmv``, the session's own GMV (core/figures)."""
    minutes, marks = frames.minutes, frames.marks
    end = _end(frames.ended_at, minutes)
    figures = product_figures(
        frames.products, session_gmv=session_gmv, marks=marks, session_end=end
    )
    marked = highlights(figures)
    product_segs = segments(marks, end=end, kind="product")
    between = segments(marks, end=end, kind="between_events")
    events = marks[~marks["kind"].isin(["product", "product_end"])]
    return TimelineReport(
        session_id=frames.session_id,
        workspace_id=frames.workspace_id,
        products=figures,
        top=list(marked["top"]),
        exposed_not_converting=marked["exposed_not_converting"],
        product_segments=product_segs,
        segments=segment_figures(minutes, product_segs + between),
        events=event_effects(frames.occurrences),
        event_marks=[
            (pd.Timestamp(ts).to_pydatetime(), str(kind))
            for ts, kind in zip(events["ts"], events["kind"], strict=True)
        ],
        minutes=minutes,
    )


def timeline_report(
    engine: Engine, *, session_id: int, workspace_id: int | None = None
) -> TimelineReport | None:
    """The products, segments and event effects of a stored session (of that workspace when
    given); None when there is no such session. Blocking: run it in a worker."""
    with session_scope(engine) as session:
        live = repo.get_session_any(session, session_id=session_id)
        if live is None or (workspace_id is not None and live.workspace_id != workspace_id):
            return None
        frames = read_timeline(session, live=live)
        session_gmv = session_values(session, session_id=session_id).get("gmv")
    return build_timeline(frames, session_gmv=session_gmv)


def period_event_effects(
    session: Any, *, workspace_id: int, session_ids: Collection[int]
) -> list[EventEffect]:
    """What each kind of event did across the given streams of a workspace (the digest's
    period), inside the caller's unit of work."""
    if not session_ids:
        return []
    return event_effects(_occurrences(session, workspace_id=workspace_id, session_ids=session_ids))


def timeline_json(engine: Engine, *, session_id: int) -> dict[str, Any]:
    """`products`, `segments`, `events` of a session for `livehost report --json` (empty
    when the session is unknown)."""
    report = timeline_report(engine, session_id=session_id)
    if report is None:
        return {}
    return report.to_dict()


def timeline_charts(
    report: TimelineReport, lang: str, tz: str | None = None, currency: str | None = None
) -> list[tuple[str, bytes]]:
    """The timeline chart (online, GMV per minute, product bands, event marks) and the
    per-product chart as (name, PNG), each only when there is something to draw; money in
    the workspace's ``currency``."""
    from core.charts import products_chart, timeline_chart

    out: list[tuple[str, bytes]] = []
    has_timeline = report.product_segments or report.event_marks
    if report.minutes is not None and len(report.minutes) and has_timeline:
        png = timeline_chart(
            report.minutes, report.product_segments, report.event_marks, lang, tz, currency
        )
        out.append(("timeline", png))
    if any(p.gmv is not None for p in report.products):
        out.append(("products", products_chart(report.products, lang, currency)))
    return out
