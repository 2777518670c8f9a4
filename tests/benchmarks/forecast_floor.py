"""How well the final GMV of a stream of :func:`tests.core.stream_generators.forecast_workspaces`
can be told at a given minute at all: forecasters that know what the pushes do not show.

* ``knows_all`` knows every parameter of the stream and its state at that minute (the
  engaged audience, the drift so far, the promos and flash sales already run); only what is
  still to come is random: the arrivals and sales of the minutes left, and the promos and
  flash sales not yet begun, drawn as the generator draws them. Its forecast is the value
  with the least expected relative error over those futures.
* ``knows_dynamics`` knows the same, but not the stream's level of spending (level × average
  order): it reads it from the stream's own GMV so far, as any forecaster must.

Neither can be built from pushes: they show roughly how close to the truth a forecaster of
these streams can come at all (on a few dozen streams, and with the futures drawn a few
hundred times, each is itself a little noisy), and the benchmark prints ours and the
run-rate beside them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import poisson

from tests.core.stream_generators import ORDERS_PER_ENGAGED_MINUTE, StreamTruth

__all__ = ["futures", "knows_all", "knows_dynamics"]


def _burst_weights(
    truth: StreamTruth, known: int, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """The shape's weights of the minutes from ``known`` on, per sampled future: the
    promos and flash sales begun before ``known`` as they were, the others drawn anew."""
    minutes, left = truth.minutes, truth.minutes - known
    w = np.ones((samples, left))
    if truth.shape == "front_loaded":
        t = np.arange(known, minutes, dtype=float)
        w *= 1.0 + truth.rush * np.exp(-t / truth.fade_min)
    elif truth.shape == "late_promo":
        started = [b for b in truth.bursts if b[0] < known]
        for m in range(samples):
            if started:
                at, width, lift = started[0]
            else:  # the promo block lies ahead, somewhere in the last third or so
                at = max(int(minutes * rng.uniform(0.6, 0.8)), known)
                width, lift = int(rng.integers(10, 21)), float(rng.uniform(2.5, 5.0))
            lo, hi = max(at, known), at + width
            if hi > lo:
                w[m, lo - known : min(hi, minutes) - known] *= lift
    elif truth.shape == "spiky":
        seen = [b for b in truth.bursts if b[0] < known]
        base = np.ones(minutes)
        for at, width, lift in seen:
            base[at : at + width] *= lift
        # how many more: the count is 1 + Poisson(minutes / 15), each at a uniform minute
        ahead, k = left / minutes, len(seen)
        totals = np.arange(max(k, 1), k + 80)
        p = poisson.pmf(totals - 1, minutes / 15.0) * (1 - ahead) ** k * ahead ** (totals - k)
        p /= p.sum()
        for m in range(samples):
            row = base.copy()
            for _ in range(int(rng.choice(totals, p=p)) - k):
                at = int(rng.integers(known, minutes))
                row[at : at + int(rng.integers(2, 5))] *= rng.uniform(4.0, 10.0)
            w[m] = row[known:]
    return w * np.exp(rng.normal(0.0, 0.1, (samples, left)))


def futures(truth: StreamTruth, known: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """``samples`` final GMVs of the stream given everything up to minute ``known``,
    drawn by the generator's own process (arrivals, drift, engaged audience, sales)."""
    left = truth.minutes - known
    if left <= 0:
        return np.full(samples, float(truth.cum_gmv[-1]))
    t = np.arange(known, truth.minutes, dtype=float)
    drift = truth.drift[known - 1] + np.cumsum(rng.normal(0.0, 0.015, (samples, left)), axis=1)
    arrivals = truth.audience * (0.3 + 0.7 * np.minimum(t / truth.ramp_min, 1.0)) * np.exp(drift)
    engaged_in = rng.binomial(rng.poisson(arrivals), 1.0 - truth.bounce)
    keep = math.exp(-1.0 / truth.stay_min)
    e = np.full(samples, truth.engaged[known - 1])
    engaged = np.empty((samples, left))
    for i in range(left):
        e = e * keep + engaged_in[:, i]
        engaged[:, i] = e
    w = _burst_weights(truth, known, samples, rng)
    orders = rng.poisson(engaged * ORDERS_PER_ENGAGED_MINUTE * truth.level * w).sum(axis=1)
    # a sum of k gamma(4) order values is one gamma(4k)
    more = np.array([rng.gamma(4.0 * k, truth.aov / 4.0) if k else 0.0 for k in orders])
    return float(truth.cum_gmv[known - 1]) + more


def _least_relative_error(values: np.ndarray) -> float:
    """The point with the least mean |point − v| / v: the median weighted by 1 / v."""
    order = np.argsort(values)
    v = values[order]
    cum = np.cumsum(1.0 / np.maximum(v, 1e-9))
    return float(v[np.searchsorted(cum, cum[-1] / 2.0)])


def knows_all(
    truth: StreamTruth, known: int, rng: np.random.Generator, samples: int = 300
) -> float:
    """The forecast at minute ``known`` of a forecaster that knows every parameter."""
    return _least_relative_error(futures(truth, known, samples, rng))


def knows_dynamics(
    truth: StreamTruth, known: int, rng: np.random.Generator, samples: int = 300
) -> float:
    """The forecast of one that knows all but the level of spending, which it reads from
    the stream's own GMV so far (its GMV over what that level would have given)."""
    so_far = float(truth.cum_gmv[known - 1])
    expected = float(
        np.sum(truth.engaged[:known] * truth.weights[:known])
        * ORDERS_PER_ENGAGED_MINUTE
        * truth.level
        * truth.aov
    )
    scale = so_far / expected if expected > 0 else 1.0
    more = futures(truth, known, samples, rng) - so_far
    return so_far + scale * float(np.mean(more))
