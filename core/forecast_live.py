"""The live GMV forecast: the final GMV of an open stream from its first minutes.

The naive baseline is the run-rate, :func:`run_rate` = GMV so far × planned duration /
elapsed. It is biased whenever GMV is not spread evenly over the stream: an audience
still building up and viewers who buy late in their visit make the first half
back-loaded (the run-rate under-forecasts), an opening flash deal makes it front-loaded
(it over-forecasts), a finale makes the last minutes count most.

:func:`features_at` describes a stream at a moment in its own units only — shares of its
run-rate, of its elapsed time, of its workspace's :class:`History` — never in money, so
the same stream priced ×0.01 or ×100 gets the same features and the same relative
forecast. :class:`core.forecast_model.GmvForecaster` learns the ratio of the final GMV
to the run-rate from them; :func:`forecast_live` is what a push calls: the model when
one is given, else the run-rate, and nothing before :data:`MIN_FORECAST_S` of stream and
:data:`MIN_GMV_PUSHES` pushes with a GMV.

This module imports neither scikit-learn nor the simulator: training material lives in
:mod:`core.forecast_training`, the estimator in :mod:`core.forecast_model`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.figures import without_slips

__all__ = [
    "FEATURE_NAMES",
    "HORIZONS",
    "MIN_FORECAST_S",
    "MIN_GMV_PUSHES",
    "MODEL_FEATURES",
    "STAY_GRID_S",
    "AudienceAhead",
    "Forecast",
    "FrameKind",
    "History",
    "audience_ahead",
    "build_history",
    "cumulative_gmv",
    "features_at",
    "forecast_live",
    "gmv_pushes",
    "run_rate",
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
MIN_FORECAST_S = 600.0
"""No forecast before this much of the stream has run."""
MIN_GMV_PUSHES = 3
"""No forecast before this many pushes carried a GMV figure."""
STAY_GRID_S = np.geomspace(90.0, 3600.0, 40)
"""How long a staying viewer stays, the candidates :func:`audience_ahead` tries."""
_ARRIVAL_STEP_S = 30.0
_ARRIVALS_WINDOW_S = 300.0
_MAX_STEPS = 240
_MAX_COUNTS = 60
"""The fit reads at most this many of the latest online counts, over at most
:data:`_MAX_STEPS` steps of arrivals: a four-hour stream pushed every minute costs a
few milliseconds."""

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
    "orders_per_entry",
    "online_now",
    "online_mean",
    "online_peak",
    "online_trend_10m",
    "online_now_vs_mean",
    "exposure_s",
    "exposure_vs_run_rate",
    "first_half_share",
    "gmv_rate_cv",
    "recent_gmv_ratio",
    "recent_projection_ratio",
    "recent_exposure_projection_ratio",
    "audience_ahead_ratio",
    "stay_s",
    "stay_share",
    "exposure_ahead_projection_ratio",
    "run_rate",
    "log_run_rate",
    "hist_median_final",
    "hist_share",
    "hist_share_ratio",
    "hist_final_ratio",
    "hist_rr_ratio",
)
"""Keys of :func:`features_at` (NaN where the data cannot tell). Those in money
(``gmv_so_far``, ``aov_so_far``, ``gmv_per_entry``, ``run_rate``, ``log_run_rate``,
``hist_median_final``) are there to read, never for the model."""

MODEL_FEATURES: tuple[str, ...] = (
    "frac_elapsed",
    "observed_s",
    "planned_s",
    "orders_per_entry",
    "online_trend_10m",
    "online_now_vs_mean",
    "exposure_vs_run_rate",
    "first_half_share",
    "gmv_rate_cv",
    "recent_gmv_ratio",
    "recent_projection_ratio",
    "recent_exposure_projection_ratio",
    "audience_ahead_ratio",
    "stay_s",
    "stay_share",
    "exposure_ahead_projection_ratio",
    "hist_share_ratio",
    "hist_final_ratio",
    "hist_rr_ratio",
)
"""The features :class:`core.forecast_model.GmvForecaster` learns from: none is in money
(each is a share or a ratio within the stream, or a time), so a change of currency or of
price level changes none of them."""


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


# ----------------------------------------------------------------------------- audience


@dataclass(frozen=True)
class AudienceAhead:
    """The audience to come, from who arrived and how long viewers stayed:
    ``stay_s`` and ``stay_share`` fitted to the online counts, the recent arrivals per
    second, and ``ahead_ratio``, the mean online count over the rest of the stream ÷ the
    online count now."""

    stay_s: float
    stay_share: float
    arrivals_per_s: float
    online_now: float
    ahead_ratio: float


def audience_ahead(
    entries: tuple[np.ndarray, np.ndarray],
    online: tuple[np.ndarray, np.ndarray],
    planned_s: float,
) -> AudienceAhead | None:
    """Where the online count is heading, from the running total of entries and the
    online counts (each as (t, value), the origin first).

    Viewers are counted online while they stay. As in the two-phase attention model of
    DESIGN.md, a share of arrivals stays and leaves at a constant rate, the rest bounce
    within seconds and are seldom counted, so the online count at t is about
    share × Σ arrivals before t × exp(−age / stay). ``stay`` is taken from
    :data:`STAY_GRID_S` and ``share`` by least squares (later counts weigh more) to fit
    the online counts. Ahead, arrivals keep their pace of the last 10 minutes (past the
    last entries figure too) and the online count moves from now towards
    share × arrivals × stay, the level where as many leave as arrive: while the audience
    is still building it rises, after a crowd it settles.

    None without two entries figures and two online counts after the origin, with no
    online viewer now, past the planned end, or when no stay fits.
    """
    te, e = entries
    tn, n = online
    if len(te) < 3 or len(tn) < 3 or not n[-1] > 0:
        return None
    now = float(tn[-1])
    remaining = float(planned_s) - now
    if not now > 0 or not remaining > 0 or not te[-1] > 0:
        return None
    last = float(te[-1])
    # the pace of the last few minutes, over at least the last gap between entries figures
    window = max(_ARRIVALS_WINDOW_S, last - float(te[-2]))
    cut = last - window if last > 2.0 * window else last / 2.0
    rate = max((float(e[-1]) - float(np.interp(cut, te, e))) / (last - cut), 0.0)
    step = max(_ARRIVAL_STEP_S, now / _MAX_STEPS)
    edges = np.arange(0.0, now + step, step)
    arrived = np.where(edges > last, float(e[-1]) + rate * (edges - last), np.interp(edges, te, e))
    step_in = np.diff(arrived)
    mid = (edges[:-1] + edges[1:]) / 2.0
    t_obs, y = tn[1:][-_MAX_COUNTS:], n[1:][-_MAX_COUNTS:]
    weight = t_obs / now
    age = t_obs[:, None] - mid[None, :]
    arrived_before = np.where(age > 0, step_in[None, :], 0.0)
    best: tuple[float, float, float] | None = None
    for stay in STAY_GRID_S:
        x = (arrived_before * np.exp(-np.clip(age, 0.0, None) / stay)).sum(axis=1)
        xx = float(np.dot(weight * x, x))
        if not xx > 0:
            continue
        share = float(np.dot(weight * x, y)) / xx
        sse = float(np.dot(weight, (y - share * x) ** 2))
        if best is None or sse < best[0]:
            best = (sse, float(stay), share)
    if best is None or not best[2] > 0:
        return None
    _, stay, share = best
    level = share * rate * stay
    o = float(n[-1])
    mean_ahead = level + (o - level) * stay / remaining * (1.0 - math.exp(-remaining / stay))
    return AudienceAhead(stay, share, rate, o, max(mean_ahead, 0.0) / o)


# ----------------------------------------------------------------------------- features


def _ratio(a: float, b: float) -> float:
    if not (math.isfinite(a) and math.isfinite(b)) or b == 0:
        return math.nan
    return a / b


def _pushed_by(frame: pd.DataFrame, started_at: datetime | None, elapsed: float) -> pd.DataFrame:
    """The pushes up to ``elapsed`` seconds in, with their slips of the keyboard set aside
    (:func:`core.figures.without_slips`, judged live: on what was pushed by then)."""
    ts = pd.to_datetime(frame["ts"], utc=True, errors="coerce")
    origin = ts.min() if started_at is None else pd.Timestamp(started_at)
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
    upto = frame[((ts - origin).dt.total_seconds() <= elapsed + 1e-9).to_numpy()]
    return without_slips(upto, origin.to_pydatetime(), live=True)[0]


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
    pushes = frame is not None and len(frame) > 0 and "ts" in frame.columns
    if frame is not None and pushes and _detect(frame, kind) == "snapshots":
        frame, kind = _pushed_by(frame, started_at, elapsed), "snapshots"
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
        if gmv > 0:
            out["first_half_share"] = float(np.interp(observed / 2.0, tg, g)) / gmv
        dt, dg = np.diff(tg), np.diff(g)
        ok = dt > 0
        if ok.sum() >= 3 and gmv > 0:
            rate, w = dg[ok] / dt[ok], dt[ok]
            mean = float(np.average(rate, weights=w))
            if mean > 0:
                sd = math.sqrt(float(np.average((rate - mean) ** 2, weights=w)))
                out["gmv_rate_cv"] = sd / mean
    observed = out["observed_s"]
    to, o = _series(pts, "orders")
    if len(to) >= 2:
        out["orders_so_far"] = float(o[-1])
        out["aov_so_far"] = _ratio(out["gmv_so_far"], float(o[-1]))
    te, e = _series(pts, "entries")
    if len(te) >= 2:
        out["entries_so_far"] = float(e[-1])
        out["gmv_per_entry"] = _ratio(out["gmv_so_far"], float(e[-1]))
        out["orders_per_entry"] = _ratio(out["orders_so_far"], float(e[-1]))

    tn, n = _series(pts, "online")
    if len(tn) >= 2:
        t_now = float(tn[-1])
        out["online_now"] = float(n[-1])
        out["online_peak"] = float(np.max(n[1:]))
        exposure = float(np.sum((n[1:] + n[:-1]) / 2.0 * np.diff(tn)))
        out["exposure_s"] = exposure
        out["online_mean"] = _ratio(exposure, t_now)
        out["online_now_vs_mean"] = _ratio(float(n[-1]), out["online_mean"])
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

    ahead = audience_ahead((te, e), (tn, n), planned)
    if ahead is not None:
        out["audience_ahead_ratio"] = ahead.ahead_ratio
        out["stay_s"], out["stay_share"] = ahead.stay_s, ahead.stay_share
        if math.isfinite(observed) and len(tn) >= 2 and out["gmv_so_far"] > 0:
            # GMV per viewer-second so far, times the viewer-seconds the audience ahead gives
            grid = np.union1d(tn[tn <= observed], [observed])
            on = np.interp(grid, tn, n)
            seen = float(np.sum((on[1:] + on[:-1]) / 2.0 * np.diff(grid)))
            per = _ratio(out["gmv_so_far"], seen)
            if math.isfinite(per):
                more = per * ahead.ahead_ratio * ahead.online_now * max(planned - observed, 0.0)
                out["exposure_ahead_projection_ratio"] = _ratio(
                    out["gmv_so_far"] + more, out["run_rate"]
                )

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


# ---------------------------------------------------------------------------------- live


@dataclass(frozen=True)
class Forecast:
    """A forecast of the final GMV: ``value`` and, from a model, the bounds of its 80 %
    interval ``low``/``high`` (None when unknown)."""

    value: float
    low: float | None
    high: float | None
    method: Literal["model", "run_rate"]
    gmv_so_far: float
    elapsed_s: float


def gmv_pushes(frame: pd.DataFrame | None, now: datetime) -> int:
    """How many pushes up to ``now`` carried a GMV figure."""
    if frame is None or len(frame) == 0 or "ts" not in frame.columns or "gmv" not in frame:
        return 0
    ts = pd.to_datetime(frame["ts"], utc=True, errors="coerce")
    stamp = pd.Timestamp(now)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    gmv = pd.to_numeric(frame["gmv"], errors="coerce")
    return int((gmv.notna() & ts.notna() & (ts <= stamp)).sum())


def forecast_live(
    snapshots_frame: pd.DataFrame | None,
    started_at: datetime,
    now: datetime,
    planned_s: float,
    model: Any = None,
    history: History | None = None,
) -> Forecast | None:
    """The final GMV of an open session from its snapshots up to ``now``: the model when
    one is given (with its 80 % interval), else the run-rate (whose low bound is the GMV
    already earned).

    None before :data:`MIN_FORECAST_S` seconds of stream and :data:`MIN_GMV_PUSHES`
    pushes with a GMV, and while no GMV has been earned: a forecast from one push a
    second after the start is noise, not a number to show a host.
    """
    elapsed = (now - started_at).total_seconds()
    if not elapsed >= MIN_FORECAST_S or gmv_pushes(snapshots_frame, now) < MIN_GMV_PUSHES:
        return None
    f = features_at(
        snapshots_frame, elapsed, planned_s, history, started_at=started_at, kind="snapshots"
    )
    gmv, rr = f["gmv_so_far"], f["run_rate"]
    if not (math.isfinite(gmv) and math.isfinite(rr)) or not gmv > 0:
        return None
    # a model trained before the scale-free features (no ``model_features_``) is not used
    if model is not None and getattr(model, "model_features_", None) is not None:
        row = pd.DataFrame([f])
        value = float(model.predict(row)[0])
        lo, hi = model.predict_interval(row)
        low, high = float(lo[0]), float(hi[0])
        if math.isfinite(value) and math.isfinite(low) and math.isfinite(high):
            return Forecast(value, low, high, "model", gmv, elapsed)
    return Forecast(rr, gmv, None, "run_rate", gmv, elapsed)
