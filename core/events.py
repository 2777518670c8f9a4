"""What an event on the stream's timeline did: the leave hazard and GMV per minute in the
minutes after it, against the minutes before it.

An event (a giveaway 福袋, a coupon, a price drop, a pin, a restock…) is a time and a kind.
For each occurrence with minute rows around it:

* the leave hazard before and after: Σ exits / Σ (online × 60 s) over the ``window`` minutes
  before the event and the ``window`` minutes from it (the estimate of
  :func:`core.attention.from_minutes`, on a slice);
* its log hazard ratio, log(λ_after / λ_before), with half an exit added to each side so that
  a window without exits stays finite;
* GMV per minute before and after, and its log ratio (2 % of their mean added to each side,
  so that a window without sales stays finite): scale-free, so streams in different
  currencies and sizes pool.

Across a kind's occurrences (every stream of a workspace), the effect is the mean of the
per-occurrence log ratios with a Student-t interval at ``level`` on their spread (a
random-effects view: occurrences differ, the interval says how much the mean can be
trusted). The effect is **said** only with at least ``MIN_OCCURRENCES`` occurrences and an
interval that excludes "no change"; otherwise it is measured and kept quiet.

Results are shares: ``hazard_change`` −0.18 means the hazard of leaving fell by 18 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "EVENT_KINDS",
    "MIN_OCCURRENCES",
    "WINDOW_MIN",
    "EventEffect",
    "Occurrence",
    "event_effects",
    "occurrence",
]

EVENT_KINDS = ("giveaway", "coupon", "price_drop", "new_product", "pin", "flash_sale", "restock")
"""Canonical event kinds (the bot maps 福袋, 降价, 上新, coupon, flash sale… onto them)."""
MIN_OCCURRENCES = 5
WINDOW_MIN = 10
_HALF_EXIT = 0.5
_GMV_SMOOTHING = 0.02
"""A window without sales still compares: 2 % of the two windows' mean GMV per minute is
added to each side (a share, so the ratio does not depend on the currency)."""


@dataclass(frozen=True)
class Occurrence:
    """One event's before/after comparison."""

    kind: str
    ts: pd.Timestamp
    hazard_before: float
    hazard_after: float
    log_hazard_ratio: float
    gmv_per_min_before: float | None
    gmv_per_min_after: float | None
    log_gmv_ratio: float | None


@dataclass(frozen=True)
class EventEffect:
    """A kind's effect across its occurrences; ``said`` when it may be told to the host."""

    kind: str
    occurrences: int
    hazard_change: float | None
    """exp(mean log hazard ratio) − 1: −0.18 is 18 % less leaving after the event."""
    hazard_low: float | None
    hazard_high: float | None
    gmv_change: float | None
    """exp(mean log GMV-per-minute ratio) − 1."""
    gmv_low: float | None
    gmv_high: float | None
    hazard_said: bool
    gmv_said: bool

    @property
    def said(self) -> bool:
        return self.hazard_said or self.gmv_said

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "occurrences": self.occurrences,
            "hazard_change": self.hazard_change,
            "hazard_interval": [self.hazard_low, self.hazard_high],
            "gmv_change": self.gmv_change,
            "gmv_interval": [self.gmv_low, self.gmv_high],
            "hazard_said": self.hazard_said,
            "gmv_said": self.gmv_said,
        }


def _window(minutes: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    ts = minutes["ts"]
    return minutes[(ts >= lo) & (ts < hi)]


def _num(df: pd.DataFrame, col: str) -> np.ndarray | None:
    if col not in df.columns:
        return None
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
    return values if np.isfinite(values).any() else None


def _hazard(df: pd.DataFrame) -> tuple[float, float] | None:
    """(exits, exposure seconds) of a slice of minute rows, or None without both columns."""
    exits, online = _num(df, "exits"), _num(df, "online")
    if exits is None or online is None:
        return None
    ok = np.isfinite(exits) & np.isfinite(online)
    exposure = float(online[ok].sum() * 60.0)
    return (float(exits[ok].sum()), exposure) if exposure > 0 else None


def _gmv_per_min(df: pd.DataFrame) -> float | None:
    gmv = _num(df, "gmv")
    if gmv is None:
        return None
    ok = np.isfinite(gmv)
    return float(gmv[ok].mean()) if ok.sum() else None


def occurrence(
    minutes: pd.DataFrame, ts: Any, kind: str, *, window: int = WINDOW_MIN
) -> Occurrence | None:
    """The before/after comparison of one event; None when a side has no minute rows
    (an event in the first or last minutes of a stream, or a stream without exits)."""
    if minutes is None or len(minutes) == 0 or "ts" not in minutes.columns:
        return None
    frame = minutes.assign(ts=pd.to_datetime(minutes["ts"], utc=True))
    at = pd.Timestamp(ts)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    at = at.floor("min")
    span = pd.Timedelta(minutes=window)
    before, after = _window(frame, at - span, at), _window(frame, at, at + span)
    if len(before) < window // 2 or len(after) < window // 2:
        return None
    hb, ha = _hazard(before), _hazard(after)
    if hb is None or ha is None:
        return None
    lam_b = (hb[0] + _HALF_EXIT) / hb[1]
    lam_a = (ha[0] + _HALF_EXIT) / ha[1]
    gb, ga = _gmv_per_min(before), _gmv_per_min(after)
    log_gmv = None
    if gb is not None and ga is not None and gb + ga > 0:
        eps = _GMV_SMOOTHING * (max(gb, 0.0) + max(ga, 0.0)) / 2
        log_gmv = math.log((max(ga, 0.0) + eps) / (max(gb, 0.0) + eps))
    return Occurrence(
        kind=kind,
        ts=at,
        hazard_before=hb[0] / hb[1],
        hazard_after=ha[0] / ha[1],
        log_hazard_ratio=math.log(lam_a / lam_b),
        gmv_per_min_before=gb,
        gmv_per_min_after=ga,
        log_gmv_ratio=log_gmv,
    )


def _mean_interval(values: list[float], level: float) -> tuple[float, float, float] | None:
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return None
    mean = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(len(x)))
    q = float(stats.t.ppf(0.5 + level / 2, df=len(x) - 1))
    return mean, mean - q * se, mean + q * se


def _change(v: float) -> float:
    return math.expm1(v)


def event_effects(
    occurrences: list[Occurrence], *, level: float = 0.95, min_occurrences: int = MIN_OCCURRENCES
) -> list[EventEffect]:
    """Each kind's effect across its occurrences, most occurrences first."""
    by_kind: dict[str, list[Occurrence]] = {}
    for occ in occurrences:
        by_kind.setdefault(occ.kind, []).append(occ)
    out: list[EventEffect] = []
    for kind, occs in sorted(by_kind.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        n = len(occs)
        hz = _mean_interval([o.log_hazard_ratio for o in occs], level)
        gm = _mean_interval([o.log_gmv_ratio for o in occs if o.log_gmv_ratio is not None], level)
        enough = n >= min_occurrences
        out.append(
            EventEffect(
                kind=kind,
                occurrences=n,
                hazard_change=_change(hz[0]) if hz else None,
                hazard_low=_change(hz[1]) if hz else None,
                hazard_high=_change(hz[2]) if hz else None,
                gmv_change=_change(gm[0]) if gm else None,
                gmv_low=_change(gm[1]) if gm else None,
                gmv_high=_change(gm[2]) if gm else None,
                hazard_said=bool(enough and hz and (hz[1] > 0 or hz[2] < 0)),
                gmv_said=bool(enough and gm and (gm[1] > 0 or gm[2] < 0)),
            )
        )
    return out
