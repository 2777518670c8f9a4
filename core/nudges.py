"""The live-nudge rule: when attention slips during a stream, one concrete suggestion.

A drop is judged by the hazard of leaving, not by heads: after a promo spike in arrivals
the online count falls back on its own, and that is no reason to nudge. From the live
pushes (``online`` and a running ``entries`` total) each interval between two pushes
gives exits = Δentries − Δonline and exposure = mean online × Δt. :func:`hazard_test`
compares the recent hazard — over the last 1, 2, 5 and 10 minutes, whichever is
clearest — with the session's before it:

    λ = (exits − b·entries) / exposure,   se = √(φ·exits) / exposure,
    z = (λ_recent − λ_session) / √(se_recent² + se_session²)

where ``b·entries`` are the exits of entries that bounce within their interval or the
next (b₀·entries + b₁·previous entries, fitted on the session's own intervals, 0 unless
the data show it clearly): a spike of arrivals brings a spike of bounces, some of them
after the next push, which is not a rise of the hazard.

:func:`assess` nudges:

``attention_drop_promo`` — the recent hazard is at least :data:`LAMBDA_RISE` × the
    session's and ``z`` ≥ :data:`Z_RISE`, resting on at least :data:`MIN_EXITS` exits on
    each side. Suggestion: a flash deal or a giveaway now. Params: ``recent_lambda_per_s``,
    ``lambda_per_s``, ``lambda_ratio``, ``z``, ``recent_half_life_s``, ``half_life_s``
    (seconds), ``exits`` (in the window), ``window_s``.
``product_low_ctr`` — the product being presented (told from chat) has been on for
    5 minutes and its click rate is under 0.75 × the session's, from the session's product
    list (:func:`core.products.presenting_nudge`). Suggestion: change the product or give
    a perk. Params: ``minutes``, ``ctr``, ``mean``, ``product_no`` when known; the
    product's name as the decision's ``label``.
``online_drop_hook`` — online fell by at least :data:`ONLINE_DROP` (25 %) over the last
    :data:`WINDOW_S` (from at least :data:`MIN_ONLINE` viewers) and the fall is not the
    expected one: the hazard rose (z ≥ :data:`Z_SUPPORT`) or arrivals fell below
    :data:`ARRIVALS_FALL` × the session's usual (median) rate. Suggestion: restate the
    offer and pin the hero product. Params: ``online_now``, ``online_before``,
    ``drop_pct`` (0–100), ``window_s``, and the hazard's when known.

When both hold, the online drop wins (it is what the host sees). At most one nudge per
``min_gap_s``, and the same nudge (for the product nudge: about the same product) at most
once per ``repeat_gap_s`` (30 minutes) unless it worsened (the hazard ratio ×
:data:`WORSENED`, or online down another quarter). No nudge when the data is too thin:
fewer than :data:`MIN_SNAPSHOTS` pushes, less than two windows of stream, or no push within
the last window. The bot phrases the codes in en and zh, each with what the host can do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd

from core.attention import AttentionEstimate, from_snapshots
from core.figures import without_slips

__all__ = [
    "ARRIVALS_FALL",
    "CODES",
    "HAZARD_WINDOWS_S",
    "LAMBDA_RISE",
    "MIN_EXITS",
    "MIN_ONLINE",
    "MIN_SNAPSHOTS",
    "ONLINE_DROP",
    "REPEAT_GAP_S",
    "WINDOW_S",
    "WORSENED",
    "Z_RISE",
    "Z_SUPPORT",
    "HazardTest",
    "LiveSignals",
    "NudgeCode",
    "NudgeDecision",
    "assess",
    "hazard_test",
    "signals",
]

NudgeCode = Literal["attention_drop_promo", "online_drop_hook", "product_low_ctr"]
CODES: tuple[NudgeCode, ...] = ("attention_drop_promo", "online_drop_hook", "product_low_ctr")
WINDOW_S = 600.0
HAZARD_WINDOWS_S: tuple[float, ...] = (60.0, 120.0, 300.0, 600.0)
"""The recent windows the hazard is tested over (the clearest one counts)."""
LAMBDA_RISE = 1.3
Z_RISE = 4.0
"""z of the hazard rise that makes a nudge by itself (several windows on every push:
a strict threshold keeps false nudges rare)."""
Z_SUPPORT = 2.5
"""z of the hazard rise that makes an online drop a real one (the clearest of four
windows: about a one-sided 2.5 % level for each after Bonferroni)."""
ARRIVALS_FALL = 0.75
ONLINE_DROP = 0.25
MIN_EXITS = 20.0
MIN_ONLINE = 20.0
MIN_SNAPSHOTS = 3
REPEAT_GAP_S = 1800.0
WORSENED = 1.25
MAX_BOUNCE = 0.95


@dataclass(frozen=True)
class NudgeDecision:
    """One suggestion: ``code`` (see the module docstring) and its numbers."""

    code: NudgeCode
    params: dict[str, float] = field(default_factory=dict)
    label: str | None = None
    """The words a nudge names (the product being presented), when it names any."""


@dataclass(frozen=True)
class LiveSignals:
    """What the snapshots up to a moment say about attention (None where unknown)."""

    recent: AttentionEstimate | None
    """λ over the last window."""
    baseline: AttentionEstimate | None
    """λ of the session before the window."""
    online_now: float | None
    online_before: float | None
    span_s: float
    """Seconds from the first to the last push used."""
    last_push_age_s: float | None
    pushes: int

    @property
    def lambda_ratio(self) -> float | None:
        if self.recent is None or self.baseline is None:
            return None
        return self.recent.lambda_per_s / self.baseline.lambda_per_s

    @property
    def online_change(self) -> float | None:
        """Relative change of online over the window (−0.3 = down 30 %)."""
        if self.online_now is None or not self.online_before:
            return None
        return self.online_now / self.online_before - 1.0


def _upto(frame: pd.DataFrame | None, now: datetime) -> pd.DataFrame:
    if frame is None or len(frame) == 0 or "ts" not in frame.columns:
        return pd.DataFrame({"ts": pd.Series(dtype="datetime64[ns, UTC]")})
    df = frame.copy()
    df["ts"] = pd.to_datetime(df["ts"], utc=True, errors="coerce")
    stamp = pd.Timestamp(now)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    df = df[df["ts"].notna() & (df["ts"] <= stamp)]
    df = df.sort_values("ts", kind="stable").reset_index(drop=True)
    return without_slips(df, live=True)[0]  # a slip, or a swing the next push will tell


def signals(
    snapshots_frame: pd.DataFrame | None, now: datetime, *, window_s: float = WINDOW_S
) -> LiveSignals:
    """The recent and earlier λ and the online trend from the pushes up to ``now``."""
    df = _upto(snapshots_frame, now)
    if len(df) == 0:
        return LiveSignals(None, None, None, None, 0.0, None, 0)
    stamp = pd.Timestamp(now)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    t = (df["ts"] - df["ts"].iloc[0]).dt.total_seconds().to_numpy(float)
    span = float(t[-1])
    age = float((stamp - df["ts"].iloc[-1]).total_seconds())
    recent = from_snapshots(df, window_s=window_s)
    cut = df["ts"].iloc[-1] - pd.Timedelta(seconds=window_s)
    baseline = from_snapshots(df[df["ts"] <= cut])
    online_now = online_before = None
    if "online" in df.columns:
        on = pd.to_numeric(df["online"], errors="coerce").to_numpy(float)
        ok = np.isfinite(on)
        if ok.sum() >= 2:
            t_on, v_on = t[ok], on[ok]
            target = t_on[-1] - window_s
            if target >= t_on[0]:
                online_now = float(v_on[-1])
                online_before = float(np.interp(target, t_on, v_on))
    return LiveSignals(recent, baseline, online_now, online_before, span, age, len(df))


@dataclass(frozen=True)
class HazardTest:
    """The recent hazard against the session's (see the module docstring)."""

    recent_lambda_per_s: float
    lambda_per_s: float
    z: float
    window_s: float
    exits: float
    """Exits in the window, bounces taken out."""
    baseline_exits: float
    bounce_share: float
    arrivals_ratio: float | None
    """Entries per second over the last :data:`WINDOW_S` ÷ the session's median before it."""

    @property
    def ratio(self) -> float:
        return self.recent_lambda_per_s / self.lambda_per_s if self.lambda_per_s > 0 else math.inf


def _intervals(df: pd.DataFrame) -> tuple[np.ndarray, ...] | None:
    """(end time, Δt, entries, exits, exposure) of each interval between two pushes."""
    if "online" not in df.columns:
        return None
    cum = pd.to_numeric(df["entries"], errors="coerce") if "entries" in df.columns else None
    if cum is None or cum.notna().sum() < 2:
        if "viewers" not in df.columns:
            return None
        cum = pd.to_numeric(df["viewers"], errors="coerce")
    on = pd.to_numeric(df["online"], errors="coerce").to_numpy(float)
    cu = cum.to_numpy(float)
    t = (df["ts"] - df["ts"].iloc[0]).dt.total_seconds().to_numpy(float)
    ok = np.isfinite(on) & np.isfinite(cu)
    t, on, cu = t[ok], on[ok], cu[ok]
    if len(t) < 2:
        return None
    dt, d_cum = np.diff(t), np.diff(cu)
    keep = (dt > 0) & (d_cum >= 0)
    exits = d_cum - np.diff(on)
    exposure = (on[1:] + on[:-1]) / 2.0 * dt
    return t[1:][keep], dt[keep], d_cum[keep], exits[keep], exposure[keep]


def _lagged(entries: np.ndarray) -> np.ndarray:
    """Each interval's entries and the previous interval's: (n, 2)."""
    prev = np.concatenate([[0.0], entries[:-1]])
    return np.column_stack([entries, prev])


def _bounce_share(
    entries: np.ndarray, exits: np.ndarray, exposure: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """The shares ``b`` of an interval's entries that leave within it and within the next
    (a bounce of seconds straddles a push), and their covariance, from
    exits ≈ b₀·entries + b₁·previous entries + λ·exposure over the session's intervals
    (weighted least squares, ``b₀ + b₁`` at most :data:`MAX_BOUNCE`); zeros unless the
    bounce is clearly there (its total two standard errors above 0). Third: the
    overdispersion φ ≥ 1 of the exits around that fit (1 without a bounce) — bounces come in
    bursts, and how a burst splits between two pushes varies."""
    none = np.zeros(2), np.zeros((2, 2)), 1.0
    if len(exits) < 6:
        return none
    lag = _lagged(entries)
    w = 1.0 / np.maximum(exits, 1.0)
    A = np.column_stack([lag, exposure]) * np.sqrt(w)[:, None]
    y = exits * np.sqrt(w)
    try:
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        resid = y - A @ coef
        dof = max(len(y) - 3, 1)
        phi = max(float(resid @ resid) / dof, 1.0)
        cov = np.linalg.inv(A.T @ A) * phi
    except np.linalg.LinAlgError:
        return none
    b, cov_b = np.clip(coef[:2], 0.0, None), cov[:2, :2]
    total, var_total = float(b.sum()), float(cov_b.sum())
    if not (np.isfinite(b).all() and np.isfinite(cov_b).all() and coef[2] > 0):
        return none
    if total <= 0 or total < 2.0 * math.sqrt(max(var_total, 0.0)):  # not clearly there
        return none
    if total > MAX_BOUNCE:
        b = b * (MAX_BOUNCE / total)
    return b, cov_b, phi if math.isfinite(phi) else 1.0


def hazard_test(
    snapshots_frame: pd.DataFrame | None,
    now: datetime,
    *,
    windows_s: tuple[float, ...] = HAZARD_WINDOWS_S,
    baseline_min_s: float = WINDOW_S,
) -> HazardTest | None:
    """The clearest rise of the hazard over ``windows_s`` before the last push up to
    ``now``, against the session's hazard before that window (at least
    ``baseline_min_s`` of it); None when there is too little to compare."""
    df = _upto(snapshots_frame, now)
    if len(df) < MIN_SNAPSHOTS:
        return None
    got = _intervals(df)
    if got is None:
        return None
    end, dt, entries, exits, exposure = got
    if len(end) < 2:
        return None
    t_last = float(end[-1])
    best: HazardTest | None = None
    arrivals: float | None = None
    for w in windows_s:
        recent = end > t_last - w
        base = ~recent
        if not recent.any() or float(dt[base].sum()) < baseline_min_s:
            continue
        lag = _lagged(entries)
        b, cov_b, phi = _bounce_share(entries[base], exits[base], exposure[base])
        x_r, x_s = float(exposure[recent].sum()), float(exposure[base].sum())
        if not (x_r > 0 and x_s > 0):
            continue
        in_r, in_s = lag[recent].sum(axis=0), lag[base].sum(axis=0)
        e_r = float(exits[recent].sum() - b @ in_r)
        e_s = float(exits[base].sum() - b @ in_s)
        if e_s <= 0:
            continue
        lam_r, lam_s = e_r / x_r, e_s / x_s
        # the bounce shares' own uncertainty weighs where the window's arrivals differ
        # from the session's (a promo spike)
        spread = in_r / x_r - in_s / x_s
        se = math.sqrt(
            phi * max(float(exits[recent].sum()), 1.0) / x_r**2
            + phi * max(float(exits[base].sum()), 1.0) / x_s**2
            + max(float(spread @ cov_b @ spread), 0.0)
        )
        z = (lam_r - lam_s) / se
        if w == WINDOW_S or arrivals is None:
            usual = float(np.median(entries[base] / dt[base]))
            now_rate = float(entries[recent].sum() / dt[recent].sum())
            arrivals = now_rate / usual if usual > 0 else None
        test = HazardTest(lam_r, lam_s, z, float(w), e_r, e_s, float(b.sum()), arrivals)
        if best is None or test.z > best.z:
            best = test
    if best is not None and best.arrivals_ratio != arrivals:
        best = HazardTest(
            best.recent_lambda_per_s,
            best.lambda_per_s,
            best.z,
            best.window_s,
            best.exits,
            best.baseline_exits,
            best.bounce_share,
            arrivals,
        )
    return best


def _half_life(lam: float) -> float:
    return math.log(2.0) / lam if lam > 0 else math.inf


def assess(
    snapshots_frame: pd.DataFrame | None,
    now: datetime,
    last_nudge_at: datetime | None = None,
    min_gap_s: float = 600.0,
    *,
    window_s: float = WINDOW_S,
    previous: Mapping[str, tuple[datetime, Mapping[str, float]]] | None = None,
    repeat_gap_s: float = REPEAT_GAP_S,
) -> NudgeDecision | None:
    """A nudge for the open session at ``now``, or None (see the module docstring).

    ``previous`` maps a code to the time and params of the session's last nudge of that
    code, for the 30-minute rule."""
    if last_nudge_at is not None and (now - last_nudge_at).total_seconds() < min_gap_s:
        return None
    sig = signals(snapshots_frame, now, window_s=window_s)
    if sig.pushes < MIN_SNAPSHOTS or sig.span_s < 2 * window_s:
        return None
    if sig.last_push_age_s is None or sig.last_push_age_s > window_s:
        return None
    test = hazard_test(snapshots_frame, now)
    lam_params: dict[str, float] = {}
    if test is not None and test.lambda_per_s > 0:
        lam_params = {
            "recent_lambda_per_s": test.recent_lambda_per_s,
            "lambda_per_s": test.lambda_per_s,
            "lambda_ratio": test.ratio,
            "z": round(test.z, 2),
        }
    decision: NudgeDecision | None = None
    change = sig.online_change
    if (
        change is not None
        and sig.online_before is not None
        and sig.online_now is not None
        and sig.online_before >= MIN_ONLINE
        and change <= -ONLINE_DROP
        and test is not None
        and (
            (test.z >= Z_SUPPORT and test.ratio >= LAMBDA_RISE)
            or (test.arrivals_ratio is not None and test.arrivals_ratio <= ARRIVALS_FALL)
        )
    ):
        decision = NudgeDecision(
            "online_drop_hook",
            {
                "online_now": sig.online_now,
                "online_before": sig.online_before,
                "drop_pct": round(-change * 100.0, 1),
                "window_s": float(window_s),
                **lam_params,
            },
        )
    elif (
        test is not None
        and test.ratio >= LAMBDA_RISE
        and test.z >= Z_RISE
        and test.exits >= MIN_EXITS
        and test.baseline_exits >= MIN_EXITS
        and math.isfinite(test.ratio)
    ):
        decision = NudgeDecision(
            "attention_drop_promo",
            {
                **lam_params,
                "recent_half_life_s": _half_life(test.recent_lambda_per_s),
                "half_life_s": _half_life(test.lambda_per_s),
                "exits": test.exits,
                "window_s": test.window_s,
            },
        )
    if decision is None or previous is None or decision.code not in previous:
        return decision
    when, params = previous[decision.code]
    if (now - when).total_seconds() >= repeat_gap_s or _worsened(decision, params):
        return decision
    return None


def _worsened(decision: NudgeDecision, before: Mapping[str, float]) -> bool:
    """The same nudge again, but clearly worse than when it was last sent."""
    p = decision.params
    if decision.code == "online_drop_hook":
        was = before.get("online_now")
        return was is not None and p["online_now"] <= (1.0 - ONLINE_DROP) * float(was)
    was = before.get("lambda_ratio")
    return was is not None and p.get("lambda_ratio", 0.0) >= WORSENED * float(was)
