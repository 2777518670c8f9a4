"""The session GMV forecaster: the final GMV of a stream from its first minutes.

The naive baseline is the run-rate, :func:`run_rate` = GMV so far × planned duration /
elapsed. It is biased whenever GMV is not spread evenly over the stream: an audience
still building up and viewers who buy late in their visit make the first half
back-loaded (the run-rate under-forecasts), an opening flash deal makes it front-loaded
(it over-forecasts), a finale makes the last minutes count most.

:class:`GmvForecaster` learns that shape. From :func:`features_at` — GMV, orders, online,
entries up to the elapsed time, read from live snapshots (running totals) or minute rows
(per-minute counts), plus the workspace's :class:`History` (median final GMV and the
median share of the final GMV earned by that point of past streams) — it predicts the
log ratio of the final GMV to the run-rate with gradient-boosted trees, so it works at
any audience size. The prediction never falls below the GMV already earned; an 80 %
interval comes from out-of-fold residuals.

:func:`make_training_set` turns streams with a known final GMV into rows at several
horizons; :func:`simulated_cases` makes such streams (varied seeds, audience sizes,
durations, opening/finale/promo timing, and a history built from each simulated
workspace's earlier streams). :func:`cross_validate_forecaster` reports R², MAE and the
mean absolute percentage error at each horizon beside the run-rate's, with folds split by
stream. :func:`forecast_live` is what the live nudges call: the model when one is given,
else the run-rate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.simulate import SimulatedStream, simulate_stream

__all__ = [
    "FEATURE_NAMES",
    "HORIZONS",
    "MODEL_FEATURES",
    "Forecast",
    "FrameKind",
    "History",
    "StreamCase",
    "TrainingSet",
    "build_history",
    "cumulative_gmv",
    "features_at",
    "forecast_live",
    "horizon_errors",
    "make_training_set",
    "run_rate",
    "simulated_cases",
]

HORIZONS: tuple[int, ...] = (900, 1800, 3600)
"""Elapsed seconds at which the forecaster is judged: 15, 30 and 60 minutes."""
RECENT_S = 600.0
"""Window of the "recent" rates and of the online trend."""
SHARE_GRID = np.round(np.linspace(0.0, 1.0, 41), 4)
"""Fractions of the duration at which :class:`History` keeps the median GMV share."""
RATIO_GRID_S = np.arange(300.0, 4 * 3600.0 + 1, 300.0)
"""Elapsed seconds at which :class:`History` keeps the median final / run-rate ratio."""
MIN_SHARE = 0.01

FrameKind = Literal["auto", "snapshots", "minutes"]
_MINUTE_ONLY = ("exits", "avg_watch_s", "impressions")

FEATURE_NAMES: tuple[str, ...] = (
    "elapsed_s",
    "planned_s",
    "observed_s",
    "frac_elapsed",
    "gmv_so_far",
    "orders_so_far",
    "aov_so_far",
    "entries_so_far",
    "gmv_per_entry",
    "online_now",
    "online_mean",
    "online_peak",
    "online_trend_10m",
    "exposure_s",
    "exposure_vs_run_rate",
    "recent_gmv_ratio",
    "recent_projection_ratio",
    "recent_exposure_projection_ratio",
    "run_rate",
    "log_run_rate",
    "hist_median_final",
    "hist_share",
    "hist_share_ratio",
    "hist_final_ratio",
    "hist_rr_ratio",
)
"""Keys of :func:`features_at` (NaN where the data cannot tell)."""

MODEL_FEATURES: tuple[str, ...] = (
    "frac_elapsed",
    "observed_s",
    "planned_s",
    "log_run_rate",
    "gmv_per_entry",
    "online_trend_10m",
    "exposure_vs_run_rate",
    "recent_gmv_ratio",
    "recent_projection_ratio",
    "recent_exposure_projection_ratio",
    "hist_share_ratio",
    "hist_final_ratio",
    "hist_rr_ratio",
)
"""The scale-free features :class:`GmvForecaster` uses (besides ``run_rate`` and
``gmv_so_far``, which it needs to turn its ratio back into money)."""


# ----------------------------------------------------------------------------- baseline


def run_rate(gmv_so_far: float, elapsed_s: float, planned_s: float) -> float:
    """The naive forecast: GMV so far × planned duration / elapsed (NaN when unknown)."""
    try:
        g, e, p = float(gmv_so_far), float(elapsed_s), float(planned_s)
    except (TypeError, ValueError):
        return math.nan
    if not (math.isfinite(g) and math.isfinite(e) and math.isfinite(p)) or e <= 0 or p <= 0:
        return math.nan
    return g * max(p, e) / e


# ------------------------------------------------------------------------- frame → points


def _num(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _detect(frame: pd.DataFrame, kind: FrameKind) -> Literal["snapshots", "minutes"]:
    if kind != "auto":
        return kind
    if any(c in frame.columns for c in _MINUTE_ONLY):
        return "minutes"
    gmv = _num(frame, "gmv")
    gmv = gmv[np.isfinite(gmv)]
    if len(gmv) > 2 and np.any(np.diff(gmv) < 0):
        return "minutes"
    return "snapshots"


def _points(
    frame: pd.DataFrame | None, started_at: datetime | None, kind: FrameKind
) -> pd.DataFrame:
    """Time points (seconds since the start) with running totals ``gmv``, ``orders``,
    ``entries`` and the ``online`` count, led by the origin (all zero at t = 0)."""
    cols = ("t", "gmv", "orders", "entries", "online")
    if frame is None or len(frame) == 0 or "ts" not in frame.columns:
        return pd.DataFrame({c: [0.0] for c in cols})
    which = _detect(frame, kind)
    ts = pd.to_datetime(frame["ts"], utc=True, errors="coerce")
    ok = ts.notna().to_numpy()
    df = frame.loc[ok]
    ts = ts[ok]
    order = np.argsort(ts.to_numpy(), kind="stable")
    df, ts = df.iloc[order], ts.iloc[order]
    if len(df) == 0:
        return pd.DataFrame({c: [0.0] for c in cols})
    if started_at is None:
        start = ts.iloc[0]
    else:
        st = pd.Timestamp(started_at)
        start = st.tz_localize("UTC") if st.tzinfo is None else st.tz_convert("UTC")
    t = (ts - start).dt.total_seconds().to_numpy(float)
    if which == "minutes":
        t = t + 60.0

        def running(name: str) -> np.ndarray:
            v = _num(df, name)
            if not np.isfinite(v).any():
                return v
            out = np.nancumsum(v)
            out[~np.isfinite(v)] = np.nan
            return out

        gmv, orders, entries = running("gmv"), running("orders"), running("entries")
    else:
        gmv, orders = _num(df, "gmv"), _num(df, "orders")
        entries = _num(df, "entries")
        if np.isfinite(entries).sum() < 1:
            entries = _num(df, "viewers")
    pts = pd.DataFrame(
        {"t": t, "gmv": gmv, "orders": orders, "entries": entries, "online": _num(df, "online")}
    )
    pts = pts[pts["t"] >= 0]
    if (pts["t"] == 0).any():  # a push at the very start stands in for the origin
        return pts.reset_index(drop=True)
    origin = pd.DataFrame({c: [0.0] for c in cols})
    return pd.concat([origin, pts], ignore_index=True)


def _series(pts: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(t, value) of the points where ``name`` is known, origin included."""
    v = pts[name].to_numpy(float)
    ok = np.isfinite(v)
    return pts["t"].to_numpy(float)[ok], v[ok]


def cumulative_gmv(
    frame: pd.DataFrame | None, started_at: datetime | None = None, kind: FrameKind = "auto"
) -> pd.DataFrame:
    """DataFrame[t_s, gmv]: the running GMV total of a stream, from (0, 0)."""
    t, g = _series(_points(frame, started_at, kind), "gmv")
    return pd.DataFrame({"t_s": t, "gmv": g})


# ------------------------------------------------------------------------------ history


@dataclass(frozen=True)
class History:
    """What a workspace's past streams say: the median final GMV; per fraction of the
    duration (:data:`SHARE_GRID`), the median share of the final GMV earned by then; and
    per elapsed time (:data:`RATIO_GRID_S`), the median ratio of the final GMV to the
    run-rate at that time."""

    median_final_gmv: float | None = None
    shares: tuple[tuple[float, float], ...] = ()
    sessions: int = 0
    ratios: tuple[tuple[float, float], ...] = ()

    def ratio_at(self, elapsed_s: float) -> float | None:
        """Median final / run-rate of past streams at ``elapsed_s`` (None past the grid
        their durations cover)."""
        if not self.ratios or not math.isfinite(elapsed_s) or elapsed_s < 0:
            return None
        t = np.array([p[0] for p in self.ratios], dtype=float)
        r = np.array([p[1] for p in self.ratios], dtype=float)
        if elapsed_s > t[-1]:
            return None
        return float(np.interp(elapsed_s, t, r))

    def share_at(self, frac: float) -> float | None:
        """Median share of the final GMV earned by fraction ``frac`` of a stream."""
        if not self.shares or not math.isfinite(frac) or frac < 0:
            return None
        f = np.array([p[0] for p in self.shares], dtype=float)
        s = np.array([p[1] for p in self.shares], dtype=float)
        if frac > f[-1]:
            return None
        return float(np.interp(frac, f, s))


def build_history(
    finals: Iterable[float] = (),
    curves: Iterable[tuple[Any, ...]] = (),
    *,
    kind: FrameKind = "auto",
) -> History:
    """A :class:`History` from past final GMVs (e.g. the sessions file's ``gmv``) and past
    streams' frames ``(frame, started_at)`` or ``(frame, started_at, kind)``, whose last
    running total is their final GMV.

    Missing or non-positive GMVs are left out; with nothing usable the fields stay None /
    empty.
    """
    totals = [float(v) for v in finals if v is not None and math.isfinite(float(v)) and v > 0]
    rows: list[np.ndarray] = []
    ratio_rows: list[np.ndarray] = []
    for item in curves:
        frame, started = item[0], item[1]
        cum = cumulative_gmv(frame, started, item[2] if len(item) > 2 else kind)
        if len(cum) < 2:
            continue
        final = float(cum["gmv"].iloc[-1])
        end = float(cum["t_s"].iloc[-1])
        if not final > 0 or not end > 0:
            continue
        totals.append(final)
        share = np.interp(SHARE_GRID * end, cum["t_s"], cum["gmv"]) / final
        rows.append(np.clip(share, 0.0, 1.0))
        cum_t = np.interp(RATIO_GRID_S, cum["t_s"], cum["gmv"])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = final / (cum_t * end / RATIO_GRID_S)
        ratio[(end <= RATIO_GRID_S) | ~(cum_t > 0)] = np.nan
        ratio_rows.append(ratio)
    median = float(np.median(totals)) if totals else None
    shares: tuple[tuple[float, float], ...] = ()
    if rows:
        med = np.median(np.vstack(rows), axis=0)
        shares = tuple((float(f), float(s)) for f, s in zip(SHARE_GRID, med, strict=True))
    ratios: tuple[tuple[float, float], ...] = ()
    if ratio_rows:
        stack = np.vstack(ratio_rows)
        known = np.isfinite(stack).any(axis=0)
        if known.any():
            last = int(np.flatnonzero(known)[-1])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med_r = np.nanmedian(stack[:, : last + 1], axis=0)
            ratios = tuple(
                (float(t), float(r))
                for t, r in zip(RATIO_GRID_S[: last + 1], med_r, strict=True)
                if math.isfinite(r)
            )
    return History(median, shares, len(totals), ratios)


# ----------------------------------------------------------------------------- features


def _ratio(a: float, b: float) -> float:
    if not (math.isfinite(a) and math.isfinite(b)) or b == 0:
        return math.nan
    return a / b


def features_at(
    frame: pd.DataFrame | None,
    elapsed_s: float,
    planned_s: float,
    history: History | None = None,
    *,
    started_at: datetime | None = None,
    kind: FrameKind = "auto",
) -> dict[str, float]:
    """The forecaster's inputs :data:`FEATURE_NAMES` at ``elapsed_s`` into a stream
    planned to last ``planned_s``; only rows up to ``elapsed_s`` are read.

    ``frame`` is either live snapshots (running totals) or minute rows (per-minute
    counts; a row stamped ``ts`` covers the minute after it); ``kind="auto"`` tells them
    apart by the minute-only columns. ``started_at`` defaults to the first row's time.
    ``observed_s`` is the time of the last GMV figure, and the run-rate uses it.
    """
    elapsed = float(elapsed_s)
    planned = float(planned_s)
    pts = _points(frame, started_at, kind)
    pts = pts[pts["t"] <= elapsed + 1e-9]
    nan = math.nan
    out = dict.fromkeys(FEATURE_NAMES, nan)
    out["elapsed_s"], out["planned_s"] = elapsed, planned

    tg, g = _series(pts, "gmv")
    if len(tg) >= 2:
        observed, gmv = float(tg[-1]), float(g[-1])
        out["observed_s"], out["gmv_so_far"] = observed, gmv
        out["frac_elapsed"] = _ratio(observed, planned)
        rr = run_rate(gmv, observed, planned)
        out["run_rate"] = rr
        out["log_run_rate"] = math.log1p(rr) if math.isfinite(rr) and rr >= 0 else nan
        if observed >= 2 * RECENT_S:
            recent_rate = (gmv - float(np.interp(observed - RECENT_S, tg, g))) / RECENT_S
            out["recent_gmv_ratio"] = _ratio(recent_rate, gmv / observed)
            remaining = max(planned - observed, 0.0)
            out["recent_projection_ratio"] = _ratio(gmv + recent_rate * remaining, rr)
    observed = out["observed_s"]
    to, o = _series(pts, "orders")
    if len(to) >= 2:
        out["orders_so_far"] = float(o[-1])
        out["aov_so_far"] = _ratio(out["gmv_so_far"], float(o[-1]))
    te, e = _series(pts, "entries")
    if len(te) >= 2:
        out["entries_so_far"] = float(e[-1])
        out["gmv_per_entry"] = _ratio(out["gmv_so_far"], float(e[-1]))

    tn, n = _series(pts, "online")
    if len(tn) >= 2:
        t_now = float(tn[-1])
        out["online_now"] = float(n[-1])
        out["online_peak"] = float(np.max(n[1:]))
        exposure = float(np.sum((n[1:] + n[:-1]) / 2.0 * np.diff(tn)))
        out["exposure_s"] = exposure
        out["online_mean"] = _ratio(exposure, t_now)
        if t_now - RECENT_S >= tn[1]:
            before = float(np.interp(t_now - RECENT_S, tn, n))
            out["online_trend_10m"] = _ratio(float(n[-1]), before) - 1.0
        if math.isfinite(observed) and exposure > 0:
            total = exposure + float(n[-1]) * max(planned - t_now, 0.0)
            span = max(planned, observed) / observed
            out["exposure_vs_run_rate"] = _ratio(total / exposure, span)
            if t_now >= 2 * RECENT_S and len(tg) >= 2:
                # GMV per viewer-second over the last window, times the viewer-seconds to come
                cut = t_now - RECENT_S
                grid = np.concatenate([[cut], tn[tn > cut]])
                on = np.interp(grid, tn, n)
                d_expo = float(np.sum((on[1:] + on[:-1]) / 2.0 * np.diff(grid)))
                g_now = float(np.interp(t_now, tg, g))
                d_gmv = g_now - float(np.interp(cut, tg, g))
                per = _ratio(d_gmv, d_expo)
                if math.isfinite(per):
                    proj = g_now + per * float(n[-1]) * max(planned - t_now, 0.0)
                    out["recent_exposure_projection_ratio"] = _ratio(proj, out["run_rate"])

    if history is not None:
        if history.median_final_gmv is not None:
            out["hist_median_final"] = float(history.median_final_gmv)
            out["hist_final_ratio"] = _ratio(out["hist_median_final"], out["run_rate"])
        share = history.share_at(out["frac_elapsed"])
        if share is not None:
            out["hist_share"] = share
            if math.isfinite(observed):
                s = max(share, MIN_SHARE)
                out["hist_share_ratio"] = _ratio(observed, max(planned, observed) * s)
        if math.isfinite(observed):
            r = history.ratio_at(observed)
            if r is not None:
                out["hist_rr_ratio"] = r
    return out


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


@dataclass(frozen=True)
class TrainingSet:
    """Rows of :func:`features_at`, the final GMVs, each row's horizon (seconds) and the
    index of the stream it came from (for grouped cross-validation)."""

    X: pd.DataFrame
    y: np.ndarray
    horizons: np.ndarray
    groups: np.ndarray

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
    for i, stream in enumerate(streams):
        case = _as_case(stream)
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
            gs.append(i)
    X = pd.DataFrame(rows, columns=list(FEATURE_NAMES)).astype(float)
    return TrainingSet(X, np.asarray(ys, float), np.asarray(hs, float), np.asarray(gs, int))


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
            case = StreamCase(snaps, stream.started_at, minutes * 60.0, final, history, "snapshots")
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


def _summary(y: np.ndarray, pred: np.ndarray, horizons: np.ndarray) -> dict[str, float | None]:
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


# ---------------------------------------------------------------------------------- live


@dataclass(frozen=True)
class Forecast:
    """A forecast of the final GMV; ``low``/``high`` are None when unknown."""

    value: float
    low: float | None
    high: float | None
    method: Literal["model", "run_rate"]
    gmv_so_far: float
    elapsed_s: float


def forecast_live(
    snapshots_frame: pd.DataFrame | None,
    started_at: datetime,
    now: datetime,
    planned_s: float,
    model: Any = None,
    history: History | None = None,
) -> Forecast | None:
    """The final GMV of an open session from its snapshots up to ``now``: the model when
    one is given, else the run-rate (whose low bound is the GMV already earned). None when
    no GMV has been pushed yet."""
    elapsed = (now - started_at).total_seconds()
    if not elapsed > 0:
        return None
    f = features_at(
        snapshots_frame, elapsed, planned_s, history, started_at=started_at, kind="snapshots"
    )
    gmv, rr = f["gmv_so_far"], f["run_rate"]
    if not (math.isfinite(gmv) and math.isfinite(rr)):
        return None
    if model is not None:
        row = pd.DataFrame([f])
        value = float(model.predict(row)[0])
        lo, hi = model.predict_interval(row)
        if math.isfinite(value):
            return Forecast(value, float(lo[0]), float(hi[0]), "model", gmv, elapsed)
    return Forecast(rr, gmv, None, "run_rate", gmv, elapsed)


def __getattr__(name: str) -> Any:
    """The estimator lives in :mod:`core.forecast_model` so that live forecasts (run-rate,
    or a model already loaded) do not import scikit-learn; its names resolve from here."""
    if name in ("GmvForecaster", "cross_validate_forecaster"):
        from core import forecast_model

        return getattr(forecast_model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
