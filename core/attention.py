"""Attention decay: α(t) = e^(−λt), λ estimated as the hazard of leaving.

λ̂ is the maximum-likelihood estimate under right-censoring: the number of viewers who
left divided by the total seconds watched (viewers still present at the end contribute
their seconds but are not counted as having left). From minute rows the same estimate
reads λ̂ = Σ exits / Σ (online × 60 s); from live snapshots it is built from the change
of the cumulative entries and of the online count between pushes.

Every estimator returns ``None`` when the data cannot support an estimate (no rows, no
exposure, nobody left).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "KM_MAX_POINTS",
    "AttentionEstimate",
    "alpha",
    "fit_quality",
    "from_minutes",
    "from_pushes",
    "from_snapshots",
    "from_watch_times",
    "half_life",
    "kaplan_meier",
]

KM_MAX_POINTS = 500
"""Largest number of points :func:`kaplan_meier` returns."""

Source = Literal["viewers", "minutes", "snapshots"]


def alpha(t: Any, lam: float) -> Any:
    """Share of the audience still watching after ``t`` seconds: e^(−λt).

    ``t`` may be a number or an array; the result has the same shape.
    """
    if isinstance(t, int | float):
        return math.exp(-lam * t)
    return np.exp(-lam * np.asarray(t, dtype=float))


def half_life(lam: float) -> float:
    """Seconds until half the audience has left: ln 2 / λ (λ must be positive)."""
    if not lam > 0 or not math.isfinite(lam):
        raise ValueError(f"half-life needs a positive, finite λ, got {lam!r}")
    return math.log(2) / lam


@dataclass(frozen=True)
class AttentionEstimate:
    """A λ estimate with the counts it rests on."""

    lambda_per_s: float
    half_life_s: float
    events: float
    """Viewers who left (exits)."""
    exposure_s: float
    """Total seconds watched."""
    n: int
    """Viewers (source "viewers"), minute rows or snapshot intervals used."""
    source: Source

    @property
    def stderr(self) -> float:
        """Standard error of λ̂ (λ̂ / √events)."""
        return self.lambda_per_s / math.sqrt(self.events)

    def alpha(self, t: Any) -> Any:
        """α(t) with this estimate's λ."""
        return alpha(t, self.lambda_per_s)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict."""
        d = asdict(self)
        d["events"] = float(self.events)
        d["exposure_s"] = float(self.exposure_s)
        d["n"] = int(self.n)
        d["stderr"] = float(self.stderr)
        return d


def _make(events: float, exposure: float, n: int, source: Source) -> AttentionEstimate | None:
    if not (math.isfinite(events) and math.isfinite(exposure)):
        return None
    if events <= 0 or exposure <= 0 or n <= 0:
        return None
    lam = events / exposure
    if not math.isfinite(lam):  # exposure too small to carry a rate
        return None
    return AttentionEstimate(
        lambda_per_s=float(lam),
        half_life_s=half_life(lam),
        events=float(events),
        exposure_s=float(exposure),
        n=int(n),
        source=source,
    )


def _censor_mask(censored: Any, size: int) -> np.ndarray:
    """Boolean array: True = still watching at the end. NaN/None count as left."""
    if censored is None:
        return np.zeros(size, dtype=bool)
    s = censored if isinstance(censored, pd.Series) else pd.Series(np.asarray(censored).ravel())
    if len(s) != size:
        raise ValueError(f"censored has {len(s)} values, watch times {size}")
    if s.dtype == bool:
        return s.to_numpy(dtype=bool)
    if s.dtype.kind in "iuf" or str(s.dtype) in ("boolean", "Int64", "Float64"):
        return pd.to_numeric(s, errors="coerce").fillna(0).to_numpy(dtype=float) != 0
    return s.map(lambda v: False if pd.isna(v) else bool(v)).to_numpy(dtype=bool)


def _watch_arrays(watch_s: Any, censored: Any) -> tuple[np.ndarray, np.ndarray]:
    raw = watch_s if isinstance(watch_s, pd.Series) else pd.Series(np.asarray(watch_s).ravel())
    w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    cens = _censor_mask(censored, len(w))
    ok = np.isfinite(w) & (w >= 0)
    return w[ok], cens[ok]


def from_watch_times(watch_s: Any, censored: Any = None) -> AttentionEstimate | None:
    """Censored MLE of λ from per-viewer watch times (seconds).

    ``censored[i]`` true means viewer *i* was still watching at the end: their seconds
    count as exposure, not as an exit. Missing or negative watch times are ignored;
    missing censoring flags count as "left".
    """
    w, cens = _watch_arrays(watch_s, censored)
    if len(w) == 0:
        return None
    events = float(np.count_nonzero(~cens))
    return _make(events, float(w.sum()), len(w), "viewers")


def _col(df: pd.DataFrame, name: str) -> pd.Series | None:
    if name not in df.columns:
        return None
    s = pd.to_numeric(df[name], errors="coerce").astype(float)
    return None if s.notna().sum() == 0 else s


def from_minutes(minutes_df: pd.DataFrame | None) -> AttentionEstimate | None:
    """λ̂ = Σ exits / Σ (online × 60 s) over the minute rows where both are known.

    Without an ``exits`` column, exits are derived from ``entries`` and ``online``:
    exits_t = entries_t − (online_t − online_{t−1}); the first row has no previous
    count and is left out.
    """
    if minutes_df is None or len(minutes_df) == 0:
        return None
    df = minutes_df.sort_values("ts") if "ts" in minutes_df.columns else minutes_df
    online = _col(df, "online")
    if online is None:
        return None
    exits = _col(df, "exits")
    if exits is None:
        entries = _col(df, "entries")
        if entries is None:
            return None
        exits = entries - online.diff()
    ok = exits.notna() & online.notna() & (online >= 0)
    if not ok.any():
        return None
    return _make(float(exits[ok].sum()), float(online[ok].sum() * 60.0), int(ok.sum()), "minutes")


def from_snapshots(
    snapshots_df: pd.DataFrame | None, window_s: float | None = None
) -> AttentionEstimate | None:
    """λ̂ from successive live pushes of ``online`` and a cumulative ``entries``
    (or, without it, ``viewers``).

    Between two pushes: exits = Δentries − Δonline, exposure = (online₀ + online₁)/2 × Δt.
    With ``window_s``, only the intervals that reach into the last ``window_s`` seconds
    before the latest push are used (the "recent λ").
    """
    if snapshots_df is None or len(snapshots_df) < 2 or "ts" not in snapshots_df.columns:
        return None
    online = _col(snapshots_df, "online")
    cum = _col(snapshots_df, "entries")
    if cum is None or cum.notna().sum() < 2:
        cum = _col(snapshots_df, "viewers")
    if online is None or cum is None:
        return None
    ts = pd.to_datetime(snapshots_df["ts"], utc=True, errors="coerce")
    seconds = (ts - ts.min()).dt.total_seconds()
    return from_pushes(seconds.to_numpy(float), online.to_numpy(float), cum.to_numpy(float),
                       window_s=window_s)


def from_pushes(
    t_s: Any, online: Any, cumulative: Any, window_s: float | None = None
) -> AttentionEstimate | None:
    """λ̂ from push arrays (seconds, online, cumulative entries or viewers) — the numpy core
    of :func:`from_snapshots`, cheap enough to run on every live push. NaN rows are skipped.
    """
    t = np.asarray(t_s, dtype=float)
    on = np.asarray(online, dtype=float)
    cu = np.asarray(cumulative, dtype=float)
    keep = np.isfinite(t) & np.isfinite(on) & np.isfinite(cu)
    t, on, cu = t[keep], on[keep], cu[keep]
    if len(t) < 2:
        return None
    order = np.argsort(t, kind="stable")
    t, on, cu = t[order], on[order], cu[order]
    dt = np.diff(t)
    d_cum = np.diff(cu)
    exits = d_cum - np.diff(on)
    exposure = (on[1:] + on[:-1]) / 2.0 * dt
    ok = (dt > 0) & (d_cum >= 0)
    if window_s is not None:
        ok &= t[1:] > t[-1] - float(window_s)
    if not ok.any():
        return None
    return _make(float(exits[ok].sum()), float(exposure[ok].sum()), int(ok.sum()), "snapshots")


def kaplan_meier(watch_s: Any, censored: Any = None) -> pd.DataFrame:
    """Kaplan–Meier retention curve: DataFrame[t, survival], starting at (0, 1).

    Vectorised (sort + group by distinct exit time); the output is thinned to at most
    :data:`KM_MAX_POINTS` points, first and last kept.
    """
    w, cens = _watch_arrays(watch_s, censored)
    if len(w) == 0:
        return pd.DataFrame({"t": pd.Series(dtype=float), "survival": pd.Series(dtype=float)})
    order = np.argsort(w, kind="stable")
    t = w[order]
    ev = (~cens[order]).astype(np.int64)
    uniq, first = np.unique(t, return_index=True)
    at_risk = len(t) - first
    deaths = np.add.reduceat(ev, first)
    keep = deaths > 0
    times = uniq[keep]
    surv = np.cumprod(1.0 - deaths[keep] / at_risk[keep])
    if len(times) == 0 or times[0] > 0:
        times = np.concatenate([[0.0], times])
        surv = np.concatenate([[1.0], surv])
    if len(times) > KM_MAX_POINTS:
        idx = np.unique(np.linspace(0, len(times) - 1, KM_MAX_POINTS).round().astype(int))
        times, surv = times[idx], surv[idx]
    return pd.DataFrame({"t": times, "survival": surv})


def fit_quality(km: pd.DataFrame, lam: float) -> dict[str, float | None]:
    """How well e^(−λt) follows the KM curve: ``max_gap`` (largest absolute difference)
    and ``r2`` (1 − SS_res/SS_tot of the KM survival; None when it is flat or empty).
    """
    if km is None or len(km) == 0:
        return {"max_gap": None, "r2": None}
    s = km["survival"].to_numpy(float)
    fit = np.exp(-lam * km["t"].to_numpy(float))
    resid = s - fit
    ss_tot = float(((s - s.mean()) ** 2).sum())
    r2 = None if ss_tot <= 0 else float(1.0 - (resid**2).sum() / ss_tot)
    return {"max_gap": float(np.abs(resid).max()), "r2": r2}
