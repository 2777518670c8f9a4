"""Products and the stream's timeline of one session, for the summary, `livehost report
--json` and the charts: per-product figures, per-segment figures, and what each kind of
event did across the workspace's streams."""

from __future__ import annotations

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

__all__ = ["TimelineReport", "timeline_charts", "timeline_json", "timeline_report"]


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


def _occurrences(session: Any, *, workspace_id: int) -> list[Occurrence]:
    """Every event of the workspace's streams that has minute rows around it."""
    marks = repo.workspace_marks_frame(session, workspace_id=workspace_id, kinds=EVENT_KINDS)
    out: list[Occurrence] = []
    for sid in sorted(set(marks["session_id"].tolist())):
        group = marks[marks["session_id"] == sid]
        minutes = repo.minutes_frame(session, session_id=int(sid))
        if len(minutes) == 0:
            continue
        for ts, kind in zip(group["ts"], group["kind"], strict=True):
            occ = occurrence(minutes, ts, str(kind))
            if occ is not None:
                out.append(occ)
    return out


def timeline_report(
    engine: Engine, *, session_id: int, workspace_id: int | None = None
) -> TimelineReport | None:
    """The products, segments and event effects of a stored session (of that workspace when
    given); None when there is no such session. Blocking: run it in a worker."""
    with session_scope(engine) as session:
        live = repo.get_session_any(session, session_id=session_id)
        if live is None or (workspace_id is not None and live.workspace_id != workspace_id):
            return None
        ws_id = int(live.workspace_id)
        minutes = repo.minutes_frame(session, session_id=session_id)
        marks = repo.marks_frame(session, session_id=session_id)
        products = repo.products_frame(session, session_id=session_id)
        occurrences = _occurrences(session, workspace_id=ws_id)
        ended_at = live.ended_at
        session_gmv = session_values(session, session_id=session_id).get("gmv")
    end = _end(ended_at, minutes)
    figures = product_figures(products, session_gmv=session_gmv, marks=marks, session_end=end)
    marked = highlights(figures)
    product_segs = segments(marks, end=end, kind="product")
    between = segments(marks, end=end, kind="between_events")
    events = marks[~marks["kind"].isin(["product", "product_end"])]
    return TimelineReport(
        session_id=session_id,
        workspace_id=ws_id,
        products=figures,
        top=list(marked["top"]),
        exposed_not_converting=marked["exposed_not_converting"],
        product_segments=product_segs,
        segments=segment_figures(minutes, product_segs + between),
        events=event_effects(occurrences),
        event_marks=[
            (pd.Timestamp(ts).to_pydatetime(), str(kind))
            for ts, kind in zip(events["ts"], events["kind"], strict=True)
        ],
        minutes=minutes,
    )


def timeline_json(engine: Engine, *, session_id: int) -> dict[str, Any]:
    """`products`, `segments`, `events` of a session for `livehost report --json` (empty
    when the session is unknown)."""
    report = timeline_report(engine, session_id=session_id)
    if report is None:
        return {}
    return report.to_dict()


def timeline_charts(
    report: TimelineReport, lang: str, tz: str | None = None
) -> list[tuple[str, bytes]]:
    """The timeline chart (online, GMV per minute, product bands, event marks) and the
    per-product chart as (name, PNG), each only when there is something to draw."""
    from core.charts import products_chart, timeline_chart

    out: list[tuple[str, bytes]] = []
    has_timeline = report.product_segments or report.event_marks
    if report.minutes is not None and len(report.minutes) and has_timeline:
        png = timeline_chart(report.minutes, report.product_segments, report.event_marks, lang, tz)
        out.append(("timeline", png))
    if any(p.gmv is not None for p in report.products):
        out.append(("products", products_chart(report.products, lang)))
    return out
