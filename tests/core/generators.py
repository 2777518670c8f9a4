"""Audiences with a known truth, written apart from core/simulate: two-phase mixtures,
Kuaishou-like rooms (median stay 5 s, mean 2 min), heavy bounce, plain exponentials.

Arrivals are a Poisson process with a shaped rate (a warm-up, promo bursts, a slow
fade); each entry stays an exponential time drawn from its phase; whoever is still there
at the end is censored. One draw gives both viewer rows (``watch_time_s``, ``censored``)
and minute rows (``ts``, ``online``, ``entries``, ``exits``) of the same stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Shape:
    """S(t) = Σ weightᵢ·e^(−t/meanᵢ): ``weights`` and ``means_s`` (seconds)."""

    name: str
    weights: tuple[float, ...]
    means_s: tuple[float, ...]

    @property
    def bounce_share(self) -> float:
        return self.weights[0] if len(self.weights) == 2 else 0.0

    @property
    def engaged_half_life_s(self) -> float:
        return math.log(2) * self.means_s[-1]

    @property
    def lambda_per_s(self) -> float:
        """The hazard of a one-phase shape."""
        return 1.0 / self.means_s[0]

    def survival(self, t: float) -> float:
        return sum(w * math.exp(-t / m) for w, m in zip(self.weights, self.means_s, strict=True))

    @property
    def median_s(self) -> float:
        lo, hi = 0.0, 10 * max(self.means_s)
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.survival(mid) > 0.5 else (lo, mid)
        return (lo + hi) / 2


TWO_PHASE = Shape("two-phase 60%×45 s + 40%×900 s", (0.6, 0.4), (45.0, 900.0))
KUAISHOU = Shape("Kuaishou-like 78%×5 s + 22%×528 s", (0.78, 0.22), (5.0, 528.0))
HEAVY_BOUNCE = Shape("heavy bounce 85%×20 s + 15%×1200 s", (0.85, 0.15), (20.0, 1200.0))
EXPONENTIAL = Shape("exponential, mean 300 s", (1.0,), (300.0,))
MIXTURES = (TWO_PHASE, KUAISHOU, HEAVY_BOUNCE)


@dataclass(frozen=True)
class Audience:
    shape: Shape
    viewers: pd.DataFrame
    minutes: pd.DataFrame
    duration_s: float


def _rate(minutes: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(minutes, dtype=float)
    base = 1.0 - 0.6 * np.exp(-t / 8.0)  # warm-up
    base *= 1.0 - 0.3 * t / minutes  # slow fade
    for start in rng.choice(np.arange(10, minutes - 5), size=3, replace=False):
        base[start : start + 4] *= 2.5  # promo bursts
    return base


def audience(shape: Shape, viewers: int, seed: int, *, minutes: int = 120) -> Audience:
    """About ``viewers`` entries over ``minutes`` minutes with watch times from ``shape``."""
    rng = np.random.default_rng(seed)
    rate = _rate(minutes, rng)
    per_minute = rng.poisson(rate / rate.sum() * viewers)
    n = int(per_minute.sum())
    arrive = (np.repeat(np.arange(minutes), per_minute) + rng.random(n)) * 60.0
    phase = rng.choice(len(shape.weights), size=n, p=np.asarray(shape.weights))
    stay = rng.exponential(np.asarray(shape.means_s)[phase])
    end = minutes * 60.0
    leave = arrive + stay
    censored = leave >= end
    watch = np.where(censored, end - arrive, stay)
    entries = np.bincount((arrive // 60).astype(int), minlength=minutes)
    exits = np.bincount((leave[~censored] // 60).astype(int), minlength=minutes)[:minutes]
    online = np.cumsum(entries - exits)
    ts = pd.date_range("2026-03-01 12:00", periods=minutes, freq="min", tz="UTC")
    return Audience(
        shape=shape,
        viewers=pd.DataFrame(
            {"user_id": np.arange(n), "watch_time_s": np.round(watch, 1), "censored": censored}
        ),
        minutes=pd.DataFrame({"ts": ts, "online": online, "entries": entries, "exits": exits}),
        duration_s=end,
    )


def shoppers(
    workspaces: int, sessions: int, viewers: int, seed: int, *, currencies: bool = False
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Viewer rows of several workspaces and sessions, with a spend that depends on watch
    time, interactions and history with heavy-tailed noise, each session with its own
    mood; with ``currencies`` each workspace has its own currency scale (USD … JPY).
    Returns (rows with the canonical columns, workspace ids, session ids)."""
    rng = np.random.default_rng(seed)
    frames, ws_ids, ss_ids = [], [], []
    for w in range(workspaces):
        scale = float(rng.choice([0.14, 1.0, 7.2, 150.0])) if currencies else 1.0
        for s in range(sessions):
            mood = rng.lognormal(0.0, 0.1)
            n = viewers
            watch = rng.exponential(rng.choice([200.0, 600.0], size=n))
            rate = rng.gamma(0.8, 1.0, n)
            likes = rng.poisson(rate * watch / 60.0)
            comments = rng.poisson(rate * watch / 500.0)
            shares = rng.poisson(rate * watch / 3000.0)
            history = rng.poisson(rng.gamma(0.6, 2.0, n))
            past = history * rng.lognormal(3.5, 0.8, n) * scale
            intent = -3.2 + 0.5 * np.log1p(watch / 60.0) + 0.3 * np.log1p(likes) + 0.25 * history
            buys = rng.random(n) < 1.0 / (1.0 + np.exp(-intent))
            amount = mood * scale * rng.lognormal(3.8, 0.5, n) * (1.0 + 0.3 * history)
            frames.append(
                pd.DataFrame(
                    {
                        "watch_time_s": watch,
                        "likes": likes,
                        "comments": comments,
                        "shares": shares,
                        "purchase_count": history,
                        "purchase_amount": past,
                        "spend": np.where(buys, amount, 0.0),
                    }
                )
            )
            ws_ids.append(np.full(n, w))
            ss_ids.append(np.full(n, w * 1000 + s))
    return pd.concat(frames, ignore_index=True), np.concatenate(ws_ids), np.concatenate(ss_ids)
