"""Live nudges and the live GMV forecast, on each push while a session is open.

:func:`live_insight` reads the session's pushes once, forecasts the final GMV
(:func:`core.forecast_live.forecast_live`: the active forecast model with its 80 % range
when there is one, else the run-rate; nothing before 10 minutes and 3 pushes with a GMV;
the planned length is the median of the workspace's last streams, two hours without any;
the workspace's history from its last streams' curves and its imported past sessions)
and asks :func:`core.nudges.assess` whether attention slipped, given the session's last
nudge of each kind. :func:`replay_forecast` is the same forecast for a stored session at
a chosen minute, beside its final GMV (``livehost forecast``). A nudge is a
``scheduled_send`` row of kind ``nudge`` due at once, keyed
``nudge:{session_id}:{10-minute slot}``, so two instances handling two pushes at the same
moment make one; the scheduler sends it like any other row, and its time becomes a
mark on the summary's online chart.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.formatting import fmt_duration, fmt_money, fmt_num
from bot.i18n import t
from bot.services.active_model import active_model
from bot.services.digests import stream_records
from bot.services.figures import StreamRecord, session_values
from storage import repositories as repo
from storage.engine import session_scope

if TYPE_CHECKING:
    import pandas as pd

    from core.forecast_live import Forecast, History
    from core.nudges import NudgeDecision

__all__ = [
    "DEFAULT_PLANNED_S",
    "HISTORY_SESSIONS",
    "NUDGE_GAP_S",
    "LiveInsight",
    "ReplayedForecast",
    "forecast_line",
    "last_nudge_at",
    "last_nudges",
    "live_insight",
    "nudge_text",
    "replay_forecast",
    "set_nudges",
]

NUDGE_GAP_S = 600.0
DEFAULT_PLANNED_S = 2 * 3600.0
HISTORY_SESSIONS = 5
"""The workspace's last streams whose GMV curves make the forecast's history."""
PLANNED_FROM = 10
"""The workspace's last streams whose median length is a session's planned length."""
HISTORY_CACHE = 1024
"""Workspaces whose forecast history is kept between pushes (built again when one of
their past streams' stored figures changes, or a stream is added)."""

_HISTORIES: OrderedDict[tuple[int, str, int], tuple[str, History | None]] = OrderedDict()
_HISTORIES_LOCK = threading.Lock()


@dataclass(frozen=True)
class LiveInsight:
    """What a push adds: the forecast (or None) and the nudge row made (key, due) if any."""

    forecast: Forecast | None
    nudge: NudgeDecision | None = None
    nudge_key: str | None = None
    nudge_due: datetime | None = None


def last_nudge_at(session: Session, *, session_id: int) -> datetime | None:
    """The last nudge of the session made (sent or on its way)."""
    rows = repo.session_nudges(session, session_id=session_id, newest_first=True, limit=1)
    return rows[0].due_at if rows else None


def last_nudges(session: Session, *, session_id: int) -> dict[str, tuple[datetime, dict[str, Any]]]:
    """The session's last nudge of each code (sent or on its way): code → (due, params);
    the params of a nudge that names something hold it as ``label``."""
    out: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for row in repo.session_nudges(session, session_id=session_id):
        payload = row.payload if isinstance(row.payload, dict) else {}
        code = payload.get("code")
        if isinstance(code, str):
            params = dict(payload.get("params") or {})
            if isinstance(payload.get("label"), str):
                params["label"] = payload["label"]
            out[code] = (_utc(row.due_at), params)
    return out


def _utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _planned_s(durations: list[float]) -> float:
    from core.figures import usual

    planned = usual([d for d in durations if d > 0])
    return DEFAULT_PLANNED_S if planned is None else planned


@dataclass(frozen=True)
class _Context:
    """What a forecast of one session needs from the database."""

    frame: pd.DataFrame
    started_at: datetime
    planned_s: float
    history: History | None


def _history(session: Session, past: list[StreamRecord]) -> History | None:
    """The forecast's history from the past streams: the GMV curves of the last
    :data:`HISTORY_SESSIONS` (their pushes, else their minutes) and the other finals."""
    from core.forecast_live import build_history

    finals = [p.gmv for p in past if p.session_id is None and math.isfinite(p.gmv)]
    curves: list[tuple[Any, ...]] = []
    for p in [p for p in past if p.session_id is not None][-HISTORY_SESSIONS:]:
        assert p.session_id is not None
        snaps = repo.snapshots_frame(session, session_id=p.session_id)
        if "gmv" in snaps.columns and snaps["gmv"].notna().sum() >= 2:
            curves.append((snaps, p.started_at, "snapshots"))
            continue
        minutes = repo.minutes_frame(session, session_id=p.session_id)
        if "gmv" in minutes.columns and minutes["gmv"].notna().sum() >= 2:
            curves.append((minutes, p.started_at, "minutes"))
        elif math.isfinite(p.gmv):
            finals.append(p.gmv)
    return build_history(finals, curves) if finals or curves else None


def _context(session: Session, *, workspace_id: int, session_id: int) -> _Context | None:
    """The session's pushes, its planned length (the median of the workspace's last ten
    streams) and its workspace's history: the GMV curves of its last
    :data:`HISTORY_SESSIONS` streams and the imported past sessions' totals."""
    live = repo.get_session(session, workspace_id=workspace_id, session_id=session_id)
    if live is None:
        return None
    frame = repo.snapshots_frame(session, session_id=session_id)
    past = stream_records(
        session,
        workspace_id=workspace_id,
        since=live.started_at - timedelta(days=90),
        until=live.started_at,
        exclude_session=session_id,
        limit=PLANNED_FROM,
    )
    planned = _planned_s([p.duration_s for p in past])
    # the history is built again when a past stream or its stored figures change
    bind = session.get_bind()
    where = (id(bind), str(getattr(bind, "url", "")), workspace_id)
    key = repr([(p.session_id, p.started_at, sorted((p.values or {}).items())) for p in past])
    with _HISTORIES_LOCK:
        cached = _HISTORIES.get(where)
    if cached is not None and cached[0] == key:
        history = cached[1]
    else:
        history = _history(session, past)
        with _HISTORIES_LOCK:
            _HISTORIES[where] = (key, history)
            _HISTORIES.move_to_end(where)
            while len(_HISTORIES) > HISTORY_CACHE:
                _HISTORIES.popitem(last=False)
    return _Context(frame, _utc(live.started_at), planned, history)


def live_insight(
    engine: Engine,
    *,
    workspace_id: int,
    session_id: int,
    now: datetime,
    models_dir: Path | str | None = None,
) -> LiveInsight:
    """Forecast the session's final GMV and make a nudge row when attention slipped."""
    from core.forecast_live import forecast_live
    from core.nudges import assess
    from core.products import presenting_nudge

    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        live = repo.get_session(session, workspace_id=workspace_id, session_id=session_id)
        if ws is None or live is None or live.status != "open":
            return LiveInsight(None)
        ctx = _context(session, workspace_id=workspace_id, session_id=session_id)
        previous = last_nudges(session, session_id=session_id)
        nudges_on = ws.nudges_enabled
        marks = repo.marks_frame(session, session_id=session_id) if nudges_on else None
        products = repo.products_frame(session, session_id=session_id) if nudges_on else None
    assert ctx is not None
    model = active_model("forecast", engine, models_dir=models_dir)
    elapsed = (now - ctx.started_at).total_seconds()
    planned = max(ctx.planned_s, elapsed)
    forecast = forecast_live(
        ctx.frame, ctx.started_at, now, planned, model=model, history=ctx.history
    )
    if not nudges_on:
        return LiveInsight(forecast)
    last = max((when for when, _ in previous.values()), default=None)
    decision = assess(ctx.frame, now, last_nudge_at=last, min_gap_s=NUDGE_GAP_S, previous=previous)
    if decision is None:  # attention holds: is the product on air drawing clicks?
        decision = presenting_nudge(
            marks, products, now, last_nudge_at=last, min_gap_s=NUDGE_GAP_S, previous=previous
        )
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
            session_id=session_id,
            payload={
                "session_id": session_id,
                "code": decision.code,
                "params": {k: float(v) for k, v in decision.params.items()},
                "label": decision.label,
                "due": now.isoformat(),
            },
        )
        if row.status != "pending":
            return LiveInsight(forecast)
        due = row.due_at
    return LiveInsight(forecast, decision, key, due)


@dataclass(frozen=True)
class ReplayedForecast:
    """A stored session's forecast as it would have been made at ``at_s`` seconds into it,
    beside its final GMV (NaN when unknown)."""

    session_id: int
    at_s: float
    planned_s: float
    forecast: Forecast | None
    actual_gmv: float
    pushes: int
    """Pushes with a GMV up to ``at_s``."""
    run_rate: float | None = None
    """The naive forecast at the same moment (None when there is no forecast)."""
    currency: str | None = None
    """The workspace's currency, for the money figures."""


def replay_forecast(
    engine: Engine,
    *,
    session_id: int,
    at_s: float,
    planned_s: float | None = None,
    models_dir: Path | str | None = None,
) -> ReplayedForecast | None:
    """Replay a stored session up to ``at_s`` seconds: the forecast the bot would have
    shown then (the active model, else the run-rate; the planned length as live, unless
    ``planned_s`` is given) and the final GMV. None when there is no such session."""
    from core.forecast_live import features_at, forecast_live, gmv_pushes

    with session_scope(engine) as session:
        live = repo.get_session_any(session, session_id=session_id)
        if live is None:
            return None
        ctx = _context(session, workspace_id=live.workspace_id, session_id=session_id)
        minutes = repo.minutes_frame(session, session_id=session_id)
        final = session_values(session, session_id=session_id).get("gmv")  # as shown
        ws = repo.get_workspace(session, workspace_id=live.workspace_id)
        currency = ws.currency if ws is not None else None
    assert ctx is not None
    actual = math.nan if final is None else final
    frame = ctx.frame
    if gmv_pushes(frame, ctx.started_at + timedelta(days=365)) < 2 and len(minutes):
        frame = _minutes_as_pushes(minutes)
    now = ctx.started_at + timedelta(seconds=float(at_s))
    planned = max(float(planned_s) if planned_s else ctx.planned_s, float(at_s))
    model = active_model("forecast", engine, models_dir=models_dir)
    forecast = forecast_live(frame, ctx.started_at, now, planned, model=model, history=ctx.history)
    naive = None
    if forecast is not None:
        f = features_at(frame, float(at_s), planned, started_at=ctx.started_at, kind="snapshots")
        naive = f["run_rate"] if math.isfinite(f["run_rate"]) else None
    return ReplayedForecast(
        session_id, float(at_s), planned, forecast, actual, gmv_pushes(frame, now), naive, currency
    )


def _minutes_as_pushes(minutes: pd.DataFrame) -> pd.DataFrame:
    """Minute rows (per-minute counts) as the pushes an operator would have typed at the
    end of each minute (running totals), for a session that has no pushes."""
    import pandas as pd

    df = minutes.sort_values("ts").reset_index(drop=True)
    out = pd.DataFrame({"ts": pd.to_datetime(df["ts"], utc=True) + pd.Timedelta(minutes=1)})
    for name in ("gmv", "orders", "entries"):
        if name in df.columns:
            out[name] = pd.to_numeric(df[name], errors="coerce").cumsum()
    if "online" in df.columns:
        out["online"] = pd.to_numeric(df["online"], errors="coerce")
    return out


def forecast_line(forecast: Forecast | None, lang: str, currency: str | None = None) -> str:
    """The push reply's forecast line ("" when there is no forecast): the model's 80 %
    range, or the run-rate said as such."""
    if forecast is None or not math.isfinite(forecast.value):
        return ""
    if forecast.low is not None and forecast.high is not None:
        return "\n" + t(
            lang,
            "live_forecast_interval",
            low=fmt_money(forecast.low, lang, currency),
            high=fmt_money(forecast.high, lang, currency),
            value=fmt_money(forecast.value, lang, currency),
        )
    return "\n" + t(
        lang,
        "live_forecast",
        value=fmt_money(forecast.value, lang, currency),
        method=t(lang, f"forecast_{forecast.method}"),
    )


def nudge_text(code: str, params: dict[str, Any], lang: str, label: str | None = None) -> str:
    """The nudge as the host reads it (``label``: what it names, the product on air)."""
    if code == "product_low_ctr":
        from bot.presenters_timeline import product_nudge_text

        no = params.get("product_no")
        return product_nudge_text(
            product_no=int(no) if no is not None else None,
            label=label,
            minutes=float(params.get("minutes", 0.0)),
            ctr=float(params.get("ctr", math.nan)),
            mean=float(params.get("mean", math.nan)),
            lang=lang,
        )
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
