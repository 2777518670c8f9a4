"""Minute rows of streams with events whose effect is known, written apart from core/simulate.

Each minute: arrivals are Poisson around a slow trend, spread over the minute; each viewer
present leaves with the minute's hazard h(m) (binomially, in five-second steps); buyers are Poisson with a rate per viewer present, and each
buys at a lognormal price. An event multiplies the hazard and the buying rate for a few minutes.
The truth of an event over a window is the exposure-weighted hazard (and expected GMV per
minute) after it against before it, from the simulator's own rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

T0 = pd.Timestamp("2026-10-01 12:00", tz="UTC")


@dataclass(frozen=True)
class Planted:
    minute: int
    kind: str
    hazard_mult: float = 1.0
    gmv_mult: float = 1.0
    lasts_min: int = 5


@dataclass(frozen=True)
class EventStream:
    minutes: pd.DataFrame
    events: list[Planted]
    hazard: np.ndarray
    """The simulator's hazard per second, per minute."""
    expected_gmv: np.ndarray
    """The simulator's expected GMV per minute."""

    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.minutes["ts"].iloc[0])

    def true_log_ratios(self, event: Planted, window: int = 10) -> tuple[float, float]:
        """(log hazard ratio, log expected-GMV-per-minute ratio) of one event, over the
        window after it against the window before it."""
        online = self.minutes["online"].to_numpy(float)
        b = slice(event.minute - window, event.minute)
        a = slice(event.minute, event.minute + window)
        hb = float((self.hazard[b] * online[b]).sum() / online[b].sum())
        ha = float((self.hazard[a] * online[a]).sum() / online[a].sum())
        gb = float(self.expected_gmv[b].mean())
        ga = float(self.expected_gmv[a].mean())
        return math.log(ha / hb), math.log(ga / gb)


def event_stream(
    seed: int,
    events: list[Planted],
    *,
    minutes: int = 150,
    base_hazard: float = 1 / 420,
    arrivals: float = 120.0,
    buy_rate: float = 0.0015,
    price: float = 60.0,
    start: pd.Timestamp = T0,
) -> EventStream:
    rng = np.random.default_rng(seed)
    m = np.arange(minutes)
    trend = arrivals * (0.6 + 0.5 * np.sin(m / minutes * math.pi) + rng.normal(0, 0.05, minutes))
    hazard = np.full(minutes, base_hazard)
    buy_mult = np.ones(minutes)
    for e in events:
        span = slice(e.minute, min(minutes, e.minute + e.lasts_min))
        hazard[span] *= e.hazard_mult
        buy_mult[span] *= e.gmv_mult
    steps = 12  # five-second steps: online is the minute's average, as platforms report it
    dt = 60.0 / steps
    online = np.zeros(minutes)
    entries = rng.poisson(np.clip(trend, 1, None)).astype(float)
    exits = np.zeros(minutes)
    buyers = np.zeros(minutes)
    present = 0
    for i in range(minutes):
        leave_p = 1 - math.exp(-hazard[i] * dt)
        arrive = rng.multinomial(int(entries[i]), np.full(steps, 1 / steps))
        seen = 0.0
        for k in range(steps):
            present += int(arrive[k])
            gone = rng.binomial(present, leave_p) if present > 0 else 0
            present -= gone
            exits[i] += gone
            seen += present
        online[i] = seen / steps
        buyers[i] = rng.poisson(online[i] * buy_rate * buy_mult[i])
    gmv = np.array([rng.lognormal(math.log(price), 0.4, int(b)).sum() for b in buyers])
    expected_gmv = online * buy_rate * buy_mult * price * math.exp(0.4**2 / 2)
    frame = pd.DataFrame(
        {
            "ts": start + pd.to_timedelta(m, unit="min"),
            "online": online,
            "entries": entries,
            "exits": exits,
            "buyers": buyers,
            "gmv": gmv,
        }
    )
    return EventStream(frame, list(events), hazard, expected_gmv)
