"""Training material for the GMV forecaster: finished streams, rows at several horizons,
simulated workspaces, and the error figures it is judged by.

:func:`make_training_set` turns streams with a known final GMV (:class:`StreamCase`) into
rows of :func:`core.forecast_live.features_at` at several horizons, each row tagged with
its group — the stream's workspace when known, else the stream — so that folds keep a
workspace's streams together. :func:`simulated_cases` makes such streams from
:mod:`core.simulate` (varied seeds, audience sizes, durations, opening/finale/promo
timing, and a history built from each simulated workspace's earlier streams).
:func:`horizon_errors` is the mean absolute percentage error at 15, 30 and 60 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from core.forecast_live import (
    FEATURE_NAMES,
    HORIZONS,
    FrameKind,
    History,
    build_history,
    features_at,
)
from core.simulate import SimulatedStream, simulate_stream

__all__ = [
    "StreamCase",
    "TrainingSet",
    "error_summary",
    "horizon_errors",
    "make_training_set",
    "simulated_cases",
]


# ------------------------------------------------------------------------ training data


@dataclass(frozen=True)
class StreamCase:
    """One finished stream as training material: its frame, when it started, its
    duration, its final GMV and the workspace history known before it."""

    frame: pd.DataFrame
    started_at: datetime
    planned_s: float
    final_gmv: float
    history: History | None = None
    kind: FrameKind = "auto"
    group: Hashable | None = None
    """The workspace it belongs to (None: a group of its own)."""


@dataclass(frozen=True)
class TrainingSet:
    """Rows of :func:`features_at`, the final GMVs, each row's horizon (seconds), the
    group it belongs to (its stream's workspace, or the stream when that is unknown) and
    the index of the stream it came from. Folds split by ``groups`` never put one
    workspace's streams on both sides."""

    X: pd.DataFrame
    y: np.ndarray
    horizons: np.ndarray
    groups: np.ndarray
    streams: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.y)


def _as_case(stream: StreamCase | SimulatedStream) -> StreamCase:
    if isinstance(stream, StreamCase):
        return stream
    planned = (stream.ended_at - stream.started_at).total_seconds()
    final = float(pd.to_numeric(stream.minutes["gmv"], errors="coerce").sum())
    return StreamCase(stream.snapshots, stream.started_at, planned, final, None, "snapshots")


def make_training_set(
    streams: Iterable[StreamCase | SimulatedStream], horizons: Sequence[float] = HORIZONS
) -> TrainingSet:
    """One row per stream and horizon (horizons past a stream's duration are skipped, and
    so are rows without any GMV figure yet)."""
    rows: list[dict[str, float]] = []
    ys: list[float] = []
    hs: list[float] = []
    gs: list[int] = []
    ss: list[int] = []
    labels: dict[Hashable, int] = {}
    for i, stream in enumerate(streams):
        case = _as_case(stream)
        label = labels.setdefault(("stream", i) if case.group is None else case.group, len(labels))
        if not math.isfinite(case.final_gmv):
            continue
        for h in horizons:
            if h >= case.planned_s:
                continue
            f = features_at(
                case.frame,
                h,
                case.planned_s,
                case.history,
                started_at=case.started_at,
                kind=case.kind,
            )
            if not math.isfinite(f["run_rate"]):
                continue
            rows.append(f)
            ys.append(case.final_gmv)
            hs.append(float(h))
            gs.append(label)
            ss.append(i)
    X = pd.DataFrame(rows, columns=list(FEATURE_NAMES)).astype(float)
    return TrainingSet(
        X, np.asarray(ys, float), np.asarray(hs, float), np.asarray(gs, int), np.asarray(ss, int)
    )


# --------------------------------------------------------------------- simulated streams

_SIM_START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _shape_weights(rng: np.random.Generator, minutes: int, style: str) -> np.ndarray:
    w = np.ones(minutes)
    if style == "opening":
        k = int(rng.integers(8, 21))
        w[:k] *= rng.uniform(2.0, 4.0)
    elif style == "finale":
        k = int(rng.integers(15, 31))
        w[max(minutes - k, 0) :] *= rng.uniform(2.0, 4.0)
    if minutes > 30 and rng.random() < 0.5:
        start = int(rng.integers(10, minutes - 10))
        width = int(rng.integers(5, 13))
        w[start : start + width] *= rng.uniform(1.5, 3.0)
    return w


def _reshaped(stream: SimulatedStream, weights: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Snapshots whose GMV and orders follow the minute rows reweighted by ``weights``."""
    m = stream.minutes
    edges = np.arange(len(m) + 1) * 60.0
    cum_g = np.concatenate([[0.0], np.cumsum(m["gmv"].to_numpy(float) * weights)])
    cum_o = np.concatenate([[0.0], np.cumsum(m["orders"].to_numpy(float) * weights)])
    snaps = stream.snapshots.copy()
    t = (pd.to_datetime(snaps["ts"], utc=True) - pd.Timestamp(stream.started_at)).dt.total_seconds()
    snaps["gmv"] = np.round(np.interp(t, edges, cum_g))
    snaps["orders"] = np.round(np.interp(t, edges, cum_o))
    return snaps, float(cum_g[-1])


def simulated_cases(
    n: int,
    *,
    seed: int = 0,
    sessions_per_workspace: int = 6,
    shaped: bool = True,
    history_sessions: int = 5,
) -> list[StreamCase]:
    """``n`` simulated finished streams grouped into workspaces.

    Each workspace has its own audience size (0.3–3× the simulator's), usual duration
    (60–180 min) and, with ``shaped``, a style: flat, an opening flash deal, or a finale
    — plus a mid-stream promo at a random time in half of the streams. Each stream's
    :class:`History` is built from up to ``history_sessions`` earlier streams of its
    workspace (the first has none).
    """
    rng = np.random.default_rng(seed)
    cases: list[StreamCase] = []
    durations = np.array([60, 90, 120, 150, 180])
    while len(cases) < n:
        scale = float(np.exp(rng.uniform(math.log(0.3), math.log(3.0))))
        style: str = str(rng.choice(["flat", "opening", "finale"], p=[0.4, 0.3, 0.3]))
        if not shaped:
            style = "flat"
        usual = int(rng.choice(durations))
        past: list[StreamCase] = []
        group = f"sim-{seed}-{len(cases)}"
        day = timedelta(days=int(rng.integers(0, 365)))
        for j in range(sessions_per_workspace):
            if len(cases) >= n:
                break
            minutes = usual if rng.random() < 0.7 else int(rng.choice(durations))
            stream = simulate_stream(
                seed=int(rng.integers(0, 2**31 - 1)),
                minutes=minutes,
                viewers_scale=scale * float(rng.uniform(0.75, 1.33)),
                start=_SIM_START + day + timedelta(days=j),
            )
            if shaped:
                snaps, final = _reshaped(stream, _shape_weights(rng, minutes, style))
            else:
                snaps = stream.snapshots
                final = float(stream.minutes["gmv"].sum())
            recent = past[-history_sessions:] if history_sessions > 0 else []
            history = (
                build_history(curves=[(c.frame, c.started_at) for c in recent], kind="snapshots")
                if recent
                else None
            )
            case = StreamCase(
                snaps, stream.started_at, minutes * 60.0, final, history, "snapshots", group
            )
            past.append(case)
            cases.append(case)
    return cases


# ---------------------------------------------------------------------------- evaluation


def horizon_errors(
    y_true: Any, y_pred: Any, horizons: Any, at: Sequence[float] = HORIZONS
) -> dict[str, float | None]:
    """Mean absolute percentage error (as a fraction) at each horizon: ``mape_15m``…
    (None where no row has that horizon)."""
    a = np.asarray(y_true, float)
    p = np.asarray(y_pred, float)
    h = np.asarray(horizons, float)
    out: dict[str, float | None] = {}
    for hz in at:
        ok = (h == hz) & np.isfinite(a) & np.isfinite(p) & (a > 0)
        key = f"mape_{int(hz) // 60}m"
        out[key] = float(np.mean(np.abs(p[ok] - a[ok]) / a[ok])) if ok.any() else None
    return out


def error_summary(y: np.ndarray, pred: np.ndarray, horizons: np.ndarray) -> dict[str, float | None]:
    """R², MAE, MAPE over all rows and MAPE per horizon (:func:`horizon_errors`)."""
    ok = np.isfinite(y) & np.isfinite(pred)
    a, p = y[ok], pred[ok]
    ss_tot = float(((a - a.mean()) ** 2).sum()) if len(a) else 0.0
    out: dict[str, float | None] = {
        "r2": float(1 - ((a - p) ** 2).sum() / ss_tot) if ss_tot > 0 else None,
        "mae": float(np.abs(a - p).mean()) if len(a) else None,
    }
    pos = ok & (y > 0)
    out["mape"] = float(np.mean(np.abs(pred[pos] - y[pos]) / y[pos])) if pos.any() else None
    out.update(horizon_errors(y, pred, horizons))
    return out
