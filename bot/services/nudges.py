"""Live nudges and the live GMV forecast, on each push while a session is open.

:func:`live_insight` reads the session's pushes once, forecasts the final GMV
(:func:`core.forecast.forecast_live`: the active forecast model when there is one, else
the run-rate; the planned length is the median of the workspace's last streams, two hours
without any) and asks :func:`core.nudges.assess` whether attention slipped, given the last
nudge of the session. A nudge is a ``scheduled_send`` row of kind ``nudge`` due at once,
keyed ``nudge:{session_id}:{10-minute slot}``, so two instances handling two pushes at the
same moment make one; the scheduler sends it like any other row, and its time becomes a
mark on the summary's online chart.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.formatting import fmt_duration, fmt_money, fmt_num
from bot.i18n import t
from bot.services.active_models import active_model
from bot.services.digests import stream_records
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend

if TYPE_CHECKING:
    from core.forecast import Forecast
    from core.nudges import NudgeDecision

__all__ = [
    "DEFAULT_PLANNED_S",
    "NUDGE_GAP_S",
    "LiveInsight",
    "forecast_line",
    "last_nudge_at",
    "live_insight",
    "nudge_text",
    "set_nudges",
]

NUDGE_GAP_S = 600.0
DEFAULT_PLANNED_S = 2 * 3600.0


@dataclass(frozen=True)
class LiveInsight:
    """What a push adds: the forecast (or None) and the nudge row made (key, due) if any."""

    forecast: Forecast | None
    nudge: NudgeDecision | None = None
    nudge_key: str | None = None
    nudge_due: datetime | None = None


def last_nudge_at(session: Session, *, session_id: int) -> datetime | None:
    """The last nudge of the session made (sent or on its way)."""
    stmt = (
        select(ScheduledSend)
        .where(
            ScheduledSend.kind == "nudge",
            col(ScheduledSend.key).startswith(f"nudge:{session_id}:"),
            col(ScheduledSend.status).in_(("pending", "claimed", "sent")),
        )
        .order_by(col(ScheduledSend.due_at).desc())
        .limit(1)
    )
    row = session.exec(stmt).first()
    return row.due_at if row is not None else None


def _planned_s(durations: list[float]) -> float:
    finite = [d for d in durations if math.isfinite(d) and d > 0]
    return float(statistics.median(finite)) if finite else DEFAULT_PLANNED_S


def live_insight(
    engine: Engine,
    *,
    workspace_id: int,
    session_id: int,
    now: datetime,
    models_dir: Path | str | None = None,
) -> LiveInsight:
    """Forecast the session's final GMV and make a nudge row when attention slipped."""
    from core.forecast import build_history, forecast_live
    from core.nudges import assess

    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        live = repo.get_session(session, workspace_id=workspace_id, session_id=session_id)
        if ws is None or live is None or live.status != "open":
            return LiveInsight(None)
        frame = repo.snapshots_frame(session, session_id=session_id)
        past = stream_records(
            session,
            workspace_id=workspace_id,
            since=live.started_at - timedelta(days=90),
            until=live.started_at,
            exclude_session=session_id,
            limit=10,
        )
        last = last_nudge_at(session, session_id=session_id)
        started_at, nudges_on = live.started_at, ws.nudges_enabled
    model = active_model("forecast", engine, models_dir=models_dir)
    elapsed = (now - started_at).total_seconds()
    planned = max(_planned_s([p.duration_s for p in past]), elapsed)
    finals = [p.gmv for p in past if math.isfinite(p.gmv)]
    history = build_history(finals) if finals else None
    forecast = forecast_live(frame, started_at, now, planned, model=model, history=history)
    if not nudges_on:
        return LiveInsight(forecast)
    decision = assess(frame, now, last_nudge_at=last, min_gap_s=NUDGE_GAP_S)
    if decision is None:
        return LiveInsight(forecast)
    slot = int(now.timestamp() // NUDGE_GAP_S)
    key = f"nudge:{session_id}:{slot}"
    with session_scope(engine) as session:
        row = repo.schedule_send(
            session,
            kind="nudge",
            key=key,
            due_at=now,
            workspace_id=workspace_id,
            payload={
                "session_id": session_id,
                "code": decision.code,
                "params": {k: float(v) for k, v in decision.params.items()},
                "due": now.isoformat(),
            },
        )
        if row.status != "pending":
            return LiveInsight(forecast)
        due = row.due_at
    return LiveInsight(forecast, decision, key, due)


def forecast_line(forecast: Forecast | None, lang: str) -> str:
    """The push reply's forecast line ("" when there is no forecast)."""
    if forecast is None or not math.isfinite(forecast.value):
        return ""
    if forecast.low is not None and forecast.high is not None:
        return "\n" + t(
            lang,
            "live_forecast_range",
            value=fmt_money(forecast.value, lang),
            low=fmt_money(forecast.low, lang),
            high=fmt_money(forecast.high, lang),
        )
    return "\n" + t(
        lang,
        "live_forecast",
        value=fmt_money(forecast.value, lang),
        method=t(lang, f"forecast_{forecast.method}"),
    )


def nudge_text(code: str, params: dict[str, Any], lang: str) -> str:
    """The nudge as the host reads it."""
    window = fmt_duration(float(params.get("window_s", 600.0)), lang)
    if code == "online_drop_hook":
        return t(
            lang,
            "nudge_online_drop_hook",
            before=fmt_num(params.get("online_before"), lang),
            now=fmt_num(params.get("online_now"), lang),
            drop=f"{float(params.get('drop_pct', math.nan)):.0f}",
            window=window,
        )
    recent = params.get("recent_half_life_s")
    usual = params.get("half_life_s")
    return t(
        lang,
        "nudge_attention_drop_promo",
        recent=fmt_duration(float(recent) if recent is not None else None, lang),
        usual=fmt_duration(float(usual) if usual is not None else None, lang),
        window=window,
    )


def set_nudges(engine: Engine, *, workspace_id: int, enabled: bool) -> None:
    """Switch the workspace's live nudges on or off."""
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=workspace_id, nudges_enabled=enabled)
