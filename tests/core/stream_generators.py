"""Streams made without core/simulate, to judge the forecast and the nudges against truth.

The forecaster and the nudge rule were shaped on :mod:`core.simulate`'s streams (one
exponential audience, sales that follow the audience). These generators are written from
other assumptions, so that a method cannot pass by having learnt its own simulator:

* :func:`forecast_workspaces` — workspaces with their own currency (price levels from
  ×0.02 to ×150 of a yuan), audience size, usual duration, push cadence and one of four
  sales shapes: ``front_loaded`` (an opening rush that fades), ``late_promo`` (a promo
  block in the last third), ``flat`` and ``spiky`` (short flash sales at random times).
  The audience is a mixture (most entries bounce within seconds, the rest stay for
  minutes); sales come from the engaged viewers times the shape, with a per-stream
  random level. Each stream is a :class:`core.forecast.StreamCase` of pushes (running
  totals typed by an operator, some keys missing), tagged with its workspace and with
  the history of the workspace's earlier streams.
* :func:`attention_pushes` — one push a minute of ``online`` and ``entries`` from a room
  whose arrivals have promo spikes and whose viewers leave at a hazard that can rise by
  a factor at a given moment; it returns the true online count every 5 s beside the
  pushes, so a test can tell when online had fallen by a quarter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from core.forecast import StreamCase, build_history

SHAPES = ("front_loaded", "late_promo", "flat", "spiky")
START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
CURRENCIES = {"CNY": 1.0, "USD": 0.14, "JPY": 21.0, "IDR": 2200.0, "KWD": 0.043}


# ------------------------------------------------------------------------------- forecast


def _sales_shape(
    rng: np.random.Generator, shape: str, minutes: int, truth: StreamTruth | None = None
) -> np.ndarray:
    t = np.arange(minutes, dtype=float)
    w = np.ones(minutes)
    if shape == "front_loaded":
        rush, fade = rng.uniform(2.0, 5.0), rng.uniform(8.0, 25.0)
        w = 1.0 + rush * np.exp(-t / fade)
        if truth is not None:
            truth.rush, truth.fade_min = float(rush), float(fade)
    elif shape == "late_promo":
        start = int(minutes * rng.uniform(0.6, 0.8))
        width = int(rng.integers(10, 21))
        lift = rng.uniform(2.5, 5.0)
        w[start : start + width] *= lift
        if truth is not None:
            truth.bursts = [(start, width, float(lift))]
    elif shape == "spiky":
        for _ in range(rng.poisson(minutes / 15.0) + 1):
            at = int(rng.integers(0, minutes))
            width = int(rng.integers(2, 5))
            lift = rng.uniform(4.0, 10.0)
            w[at : at + width] *= lift
            if truth is not None:
                truth.bursts.append((at, width, float(lift)))
    return w * np.exp(rng.normal(0.0, 0.1, minutes))


@dataclass
class StreamTruth:
    """What made one stream of :func:`forecast_workspaces`: every parameter and the
    minute-by-minute state, so that a forecaster that knows them all can be run beside the
    ones that see only the pushes (``bursts``: (minute, minutes, lift) of each promo or
    flash sale; ``rush``/``fade_min``: the opening rush of a front-loaded stream)."""

    shape: str
    minutes: int
    audience: float
    level: float
    ramp_min: float = 0.0
    bounce: float = 0.0
    stay_min: float = 0.0
    aov: float = 0.0
    drift: np.ndarray = field(default_factory=lambda: np.zeros(0))
    engaged: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cum_gmv: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rush: float = 0.0
    fade_min: float = 1.0
    bursts: list[tuple[int, int, float]] = field(default_factory=list)


ORDERS_PER_ENGAGED_MINUTE = 0.004
"""Orders an engaged viewer places a minute, before the stream's level and shape."""


def _one_stream(
    rng: np.random.Generator,
    *,
    shape: str,
    minutes: int,
    audience: float,
    price: float,
    level: float,
    cadence_s: float,
    started_at: datetime,
    truth: StreamTruth | None = None,
) -> tuple[pd.DataFrame, float]:
    """Pushes (running totals) of one stream and its final GMV (and, given ``truth``,
    what made them)."""
    t = np.arange(minutes, dtype=float)
    ramp = rng.uniform(5.0, 20.0)
    arrivals = audience * (0.3 + 0.7 * np.minimum(t / ramp, 1.0))
    drift = np.cumsum(rng.normal(0.0, 0.015, minutes))  # a slow random drift
    arrivals *= np.exp(drift)
    entries = rng.poisson(arrivals)
    bounce = rng.uniform(0.4, 0.7)
    engaged_in = rng.binomial(entries, 1.0 - bounce)
    stay_min = rng.uniform(6.0, 20.0)
    engaged = np.zeros(minutes)
    e = 0.0
    for i in range(minutes):
        e = e * np.exp(-1.0 / stay_min) + engaged_in[i]
        engaged[i] = e
    online = rng.poisson(engaged + entries * bounce * 0.05)
    weights = _sales_shape(rng, shape, minutes, truth)
    orders = rng.poisson(engaged * ORDERS_PER_ENGAGED_MINUTE * level * weights)
    aov = 120.0 * price * rng.lognormal(0.0, 0.25)
    gmv = np.array([rng.gamma(4.0, aov / 4.0, k).sum() if k else 0.0 for k in orders])
    cum_entries, cum_orders, cum_gmv = np.cumsum(entries), np.cumsum(orders), np.cumsum(gmv)
    if truth is not None:
        truth.ramp_min, truth.bounce, truth.stay_min, truth.aov = ramp, bounce, stay_min, aov
        truth.drift, truth.engaged, truth.weights, truth.cum_gmv = drift, engaged, weights, cum_gmv
    rows = []
    s = cadence_s * rng.uniform(0.3, 1.0)
    while s < minutes * 60.0 - 30.0:
        i = min(int(s // 60.0), minutes - 1)
        row = {
            "ts": started_at + timedelta(seconds=float(s)),
            "online": float(online[i]),
            "entries": float(cum_entries[i]),
            "orders": float(cum_orders[i]),
            "gmv": float(np.round(cum_gmv[i], 2)),
        }
        for key in ("entries", "orders"):  # the operator does not always type every key
            if rng.random() < 0.2:
                row[key] = np.nan
        if rng.random() < 0.1:
            row["gmv"] = np.nan
        rows.append(row)
        s += cadence_s * rng.uniform(0.7, 1.3)
    return pd.DataFrame(rows), float(cum_gmv[-1])


def forecast_workspaces(
    n_workspaces: int,
    *,
    seed: int,
    sessions: int = 6,
    shapes: tuple[str, ...] = SHAPES,
    history_sessions: int = 5,
    truths: list[StreamTruth] | None = None,
) -> list[StreamCase]:
    """``n_workspaces`` × ``sessions`` finished streams, the shapes taken in turn (and,
    into ``truths``, what made each of them, in the same order)."""
    rng = np.random.default_rng(seed)
    cases: list[StreamCase] = []
    for w in range(n_workspaces):
        shape = shapes[w % len(shapes)]
        currency = str(rng.choice(list(CURRENCIES)))
        price = CURRENCIES[currency] * rng.lognormal(0.0, 0.5)
        audience = float(np.exp(rng.uniform(np.log(40.0), np.log(1500.0))))
        usual = int(rng.choice([60, 90, 120, 180, 240]))
        cadence = float(rng.uniform(120.0, 480.0))
        level = float(rng.lognormal(0.0, 0.4))
        past: list[StreamCase] = []
        for j in range(sessions):
            minutes = usual if rng.random() < 0.75 else int(rng.choice([60, 90, 120, 180]))
            started = START + timedelta(days=7 * w + j, minutes=int(rng.integers(0, 300)))
            own_audience = audience * rng.lognormal(0.0, 0.2)
            own_level = level * rng.lognormal(0.0, 0.3)
            truth = None
            if truths is not None:
                truth = StreamTruth(shape, minutes, own_audience, own_level)
                truths.append(truth)
            frame, final = _one_stream(
                rng,
                shape=shape,
                minutes=minutes,
                audience=own_audience,
                price=price,
                level=own_level,
                cadence_s=cadence,
                started_at=started,
                truth=truth,
            )
            recent = past[-history_sessions:]
            history = (
                build_history(curves=[(c.frame, c.started_at) for c in recent], kind="snapshots")
                if recent
                else None
            )
            case = StreamCase(
                frame, started, minutes * 60.0, final, history, "snapshots", f"{shape}-{seed}-{w}"
            )
            past.append(case)
            cases.append(case)
    return cases


# -------------------------------------------------------------------------------- nudges


@dataclass(frozen=True)
class AttentionStream:
    """Pushes (``ts``, ``online``, ``entries``) and the true online count every 5 s."""

    pushes: pd.DataFrame
    online_t_s: np.ndarray
    online: np.ndarray
    started_at: datetime
    rise_at_s: float | None


def attention_pushes(
    seed: int,
    *,
    minutes: int = 120,
    push_every_s: float = 60.0,
    arrivals_per_min: float = 150.0,
    engaged_stay_s: float = 300.0,
    bounce: float = 0.0,
    bounce_stay_s: float = 20.0,
    spikes: bool = True,
    rise_at_s: float | None = None,
    rise: float = 2.0,
) -> AttentionStream:
    """A room in 5-second steps: Poisson arrivals (a warm-up, a slow drift and, with
    ``spikes``, a ×3–4 promo spike of 2–4 min every 15–25 min); a share ``bounce`` of
    them leaves at a hazard of 1/``bounce_stay_s``, the rest at 1/``engaged_stay_s``,
    multiplied by ``rise`` from ``rise_at_s`` on. Pushes come every ``push_every_s``
    (± 10 s)."""
    rng = np.random.default_rng(seed)
    dt = 5.0
    steps = int(minutes * 60 / dt)
    t = np.arange(steps) * dt
    rate = arrivals_per_min / 60.0 * (0.4 + 0.6 * np.minimum(t / 600.0, 1.0))
    rate *= np.exp(np.cumsum(rng.normal(0.0, 0.004, steps)))
    if spikes:
        at = rng.uniform(8.0, 15.0) * 60.0
        while at < t[-1]:
            width = rng.uniform(120.0, 240.0)
            rate[(t >= at) & (t < at + width)] *= rng.uniform(3.0, 4.0)
            at += rng.uniform(15.0, 25.0) * 60.0
    b = e = 0
    online = np.zeros(steps)
    cum_entries = np.zeros(steps)
    total = 0
    for i in range(steps):
        arrived = int(rng.poisson(rate[i] * dt))
        bounced = int(rng.binomial(arrived, bounce))
        factor = rise if rise_at_s is not None and t[i] >= rise_at_s else 1.0
        b = b - int(rng.binomial(b, 1.0 - np.exp(-dt / bounce_stay_s))) + bounced
        e = e - int(rng.binomial(e, 1.0 - np.exp(-dt * factor / engaged_stay_s)))
        e += arrived - bounced
        total += arrived
        online[i], cum_entries[i] = b + e, total
    rows = []
    s = push_every_s
    while s < t[-1]:
        when = s + rng.uniform(-10.0, 10.0)
        i = int(min(max(when // dt, 0), steps - 1))
        rows.append(
            {
                "ts": START + timedelta(seconds=float(t[i])),
                "online": float(online[i]),
                "entries": float(cum_entries[i]),
            }
        )
        s += push_every_s
    return AttentionStream(pd.DataFrame(rows), t, online, START, rise_at_s)
