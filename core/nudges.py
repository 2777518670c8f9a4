"""The live-nudge rule: when attention slips during a stream, one concrete suggestion.

:func:`assess` reads the live snapshots up to ``now`` and compares

* the recent λ — the hazard of leaving over the last ``window_s`` (10 minutes) of pushes,
  :func:`core.attention.from_snapshots` with ``window_s`` — against the session's own λ
  before that window, and
* the online count now against the count ``window_s`` earlier (interpolated between
  pushes).

It nudges when attention dropped clearly and not more than once per ``min_gap_s``:

``online_drop_hook`` — online fell by at least :data:`ONLINE_DROP` (25 %) over the window
    (and there were at least :data:`MIN_ONLINE` viewers to lose). Suggestion: restate the
    offer and pin the hero product, so newcomers know at once why to stay. Params:
    ``online_now``, ``online_before`` (counts), ``drop_pct`` (0–100), ``window_s``; and,
    when both λs are known, ``recent_lambda_per_s``, ``lambda_per_s``, ``lambda_ratio``.
``attention_drop_promo`` — the recent λ is at least :data:`LAMBDA_RISE` (1.5) × the
    session's own, resting on at least :data:`MIN_EXITS` exits in the window and clearing
    the session's λ by two standard errors. Suggestion: run a flash deal or a giveaway
    now. Params: ``recent_lambda_per_s``, ``lambda_per_s``, ``lambda_ratio``,
    ``recent_half_life_s``, ``half_life_s`` (seconds), ``exits`` (in the window),
    ``window_s``.

When both hold, the online drop wins (it is what the host sees). No nudge when the data
is too thin: fewer than :data:`MIN_SNAPSHOTS` pushes, less than two windows of stream,
or no push within the last window. The bot phrases the codes in en and zh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd

from core.attention import AttentionEstimate, from_snapshots

__all__ = [
    "CODES",
    "LAMBDA_RISE",
    "MIN_EXITS",
    "MIN_ONLINE",
    "MIN_SNAPSHOTS",
    "ONLINE_DROP",
    "WINDOW_S",
    "LiveSignals",
    "NudgeCode",
    "NudgeDecision",
    "assess",
    "signals",
]

NudgeCode = Literal["attention_drop_promo", "online_drop_hook"]
CODES: tuple[NudgeCode, ...] = ("attention_drop_promo", "online_drop_hook")
WINDOW_S = 600.0
LAMBDA_RISE = 1.5
ONLINE_DROP = 0.25
MIN_EXITS = 20.0
MIN_ONLINE = 20.0
MIN_SNAPSHOTS = 3


@dataclass(frozen=True)
class NudgeDecision:
    """One suggestion: ``code`` (see the module docstring) and its numbers."""

    code: NudgeCode
    params: dict[str, float] = field(default_factory=dict)


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
    return df.sort_values("ts", kind="stable").reset_index(drop=True)


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


def assess(
    snapshots_frame: pd.DataFrame | None,
    now: datetime,
    last_nudge_at: datetime | None = None,
    min_gap_s: float = 600.0,
    *,
    window_s: float = WINDOW_S,
) -> NudgeDecision | None:
    """A nudge for the open session at ``now``, or None (see the module docstring)."""
    if last_nudge_at is not None and (now - last_nudge_at).total_seconds() < min_gap_s:
        return None
    sig = signals(snapshots_frame, now, window_s=window_s)
    if sig.pushes < MIN_SNAPSHOTS or sig.span_s < 2 * window_s:
        return None
    if sig.last_push_age_s is None or sig.last_push_age_s > window_s:
        return None
    ratio = sig.lambda_ratio
    lam_params: dict[str, float] = {}
    if ratio is not None and sig.recent is not None and sig.baseline is not None:
        lam_params = {
            "recent_lambda_per_s": sig.recent.lambda_per_s,
            "lambda_per_s": sig.baseline.lambda_per_s,
            "lambda_ratio": ratio,
        }
    change = sig.online_change
    if (
        change is not None
        and sig.online_before is not None
        and sig.online_now is not None
        and sig.online_before >= MIN_ONLINE
        and change <= -ONLINE_DROP
    ):
        return NudgeDecision(
            "online_drop_hook",
            {
                "online_now": sig.online_now,
                "online_before": sig.online_before,
                "drop_pct": round(-change * 100.0, 1),
                "window_s": float(window_s),
                **lam_params,
            },
        )
    if ratio is not None and sig.recent is not None and sig.baseline is not None:
        rec, base = sig.recent, sig.baseline
        clear = rec.lambda_per_s - base.lambda_per_s >= 2.0 * rec.stderr
        if (
            ratio >= LAMBDA_RISE
            and rec.events >= MIN_EXITS
            and base.events >= MIN_EXITS
            and clear
            and math.isfinite(ratio)
        ):
            return NudgeDecision(
                "attention_drop_promo",
                {
                    **lam_params,
                    "recent_half_life_s": rec.half_life_s,
                    "half_life_s": base.half_life_s,
                    "exits": rec.events,
                    "window_s": float(window_s),
                },
            )
    return None
