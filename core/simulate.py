"""A seeded, simulated live stream for the demo, tests and benchmarks.

:func:`simulate_stream` produces the three canonical frames of one session — minute
rows, viewer rows and live snapshots — from one population of simulated viewers, so
they agree with each other: ``online_t − online_{t−1} = entries_t − exits_t`` in the
minute rows, the viewer rows' spend adds up to the minutes' GMV, and the snapshots are
running totals of the same events. :func:`simulate_viewers` draws viewer rows only,
vectorised, for large benchmarks.

The behaviour model:

* arrivals are Poisson, with a warm-up over the first minutes and a promo spike
  (≈ 3× the base rate for ~3 minutes) roughly every 20 minutes;
* watch times are exponential with λ around 1/300 per second; viewers still present
  when the stream ends are censored;
* likes, comments and shares are Poisson counts proportional to the minutes watched,
  with a per-viewer (gamma-distributed) activity level;
* the chance to buy rises with watch time, activity and purchase history; the amount
  is lognormal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_START", "SimulatedStream", "simulate_stream", "simulate_viewers"]

DEFAULT_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
"""20:00 in Beijing."""

_BASE_ARRIVALS_PER_MIN = 80.0
_LAMBDA = 1.0 / 300.0


@dataclass(frozen=True)
class SimulatedStream:
    """The three frames of one simulated session (canonical columns)."""

    minutes: pd.DataFrame
    viewers: pd.DataFrame
    snapshots: pd.DataFrame
    started_at: datetime
    ended_at: datetime


def _user_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    # distinct 8-digit ids: a random offset plus a stride coprime with 9e7
    offset = int(rng.integers(0, 90_000_000))
    ids = (offset + np.arange(n, dtype=np.int64) * 7_919_993) % 90_000_000 + 10_000_000
    return np.char.add("u", ids.astype(str))


def _behaviour(
    rng: np.random.Generator, arrive_s: np.ndarray, end_s: float, lam: float
) -> dict[str, np.ndarray]:
    """Watch time, censoring, engagement, history and spend for viewers arriving at
    ``arrive_s`` in a stream that ends at ``end_s``."""
    n = len(arrive_s)
    raw_watch = rng.exponential(1.0 / lam, n)
    leave = arrive_s + raw_watch
    censored = leave >= end_s
    leave = np.minimum(leave, end_s)
    watch = leave - arrive_s
    watch_min = watch / 60.0
    activity = rng.gamma(shape=0.8, scale=1.25, size=n)  # mean 1
    likes = rng.poisson(2.0 * activity * watch_min)
    comments = rng.poisson(0.25 * activity * watch_min)
    shares = rng.poisson(0.03 * activity * watch_min)
    purchase_count = rng.negative_binomial(1, 0.45, n)
    per_order = rng.lognormal(np.log(90.0), 0.7, n)
    purchase_amount = np.round(purchase_count * per_order, 2)
    logit = (
        -5.2
        + 0.9 * np.log1p(watch_min)
        + 0.45 * np.log1p(purchase_count)
        + 0.35 * np.log1p(activity * 4)
    )
    buys = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    orders = np.where(buys, 1 + rng.poisson(0.25, n), 0)
    price = rng.lognormal(np.log(60.0) + 0.15 * np.log1p(purchase_count), 0.6, n)
    spend = np.round(np.where(buys, orders * price, 0.0), 2)
    return {
        "leave": leave,
        "watch_time_s": np.round(watch, 1),
        "censored": censored,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "purchase_count": purchase_count,
        "purchase_amount": purchase_amount,
        "spend": spend,
        "orders": orders,
        "activity": activity,
    }


def _viewer_frame(rng: np.random.Generator, b: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(b["spend"])
    return pd.DataFrame(
        {
            "user_id": _user_ids(rng, n),
            "watch_time_s": b["watch_time_s"],
            "likes": b["likes"].astype(np.int64),
            "comments": b["comments"].astype(np.int64),
            "shares": b["shares"].astype(np.int64),
            "purchase_count": b["purchase_count"].astype(np.int64),
            "purchase_amount": b["purchase_amount"],
            "spend": b["spend"],
            "censored": b["censored"],
        }
    )


def simulate_viewers(n: int, seed: int = 7, *, duration_s: float = 7200.0) -> pd.DataFrame:
    """``n`` viewer rows (canonical columns) of a stream lasting ``duration_s``;
    arrivals uniform over the stream. Vectorised: a million rows take about a second."""
    rng = np.random.default_rng(seed)
    arrive = np.sort(rng.uniform(0.0, duration_s, n))
    return _viewer_frame(rng, _behaviour(rng, arrive, duration_s, _LAMBDA))


def _arrival_rates(rng: np.random.Generator, minutes: int, scale: float) -> np.ndarray:
    m = np.arange(minutes, dtype=float)
    rate = _BASE_ARRIVALS_PER_MIN * scale * (0.35 + 0.65 * (1 - np.exp(-m / 8.0)))
    rate *= 1.0 + 0.15 * np.sin(m / 17.0)
    spike = 12 + rng.integers(-3, 4)
    while spike < minutes:
        width = int(rng.integers(2, 5))
        rate[spike : spike + width] *= 3.0
        spike += 20 + int(rng.integers(-3, 4))
    return rate


def simulate_stream(
    *,
    seed: int = 7,
    minutes: int = 120,
    start: datetime | None = None,
    viewers_scale: float = 1.0,
) -> SimulatedStream:
    """A realistic stream of ``minutes`` minutes (about 12,000 viewers per two hours at
    scale 1). Deterministic for a given seed."""
    if minutes < 1:
        raise ValueError("minutes must be at least 1")
    rng = np.random.default_rng(seed)
    start = start or DEFAULT_START
    end_s = minutes * 60.0
    lam = _LAMBDA * rng.uniform(0.9, 1.1)

    counts = rng.poisson(_arrival_rates(rng, minutes, viewers_scale))
    arrive = np.repeat(np.arange(minutes) * 60.0, counts) + rng.uniform(0, 60, counts.sum())
    arrive = np.sort(arrive)
    b = _behaviour(rng, arrive, end_s, lam)
    viewers = _viewer_frame(rng, b)
    n = len(arrive)
    leave = b["leave"]

    def per_minute(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        idx = np.clip((times // 60).astype(np.int64), 0, minutes - 1)
        return np.bincount(idx, weights=weights, minlength=minutes)[:minutes]

    entries = per_minute(arrive).astype(np.int64)
    left = ~b["censored"]
    exits = per_minute(leave[left]).astype(np.int64)
    online = np.cumsum(entries - exits)

    # events spread uniformly over each viewer's time in the room
    def event_times(counts_per_viewer: np.ndarray) -> np.ndarray:
        rep = np.repeat(np.arange(n), counts_per_viewer)
        times: np.ndarray = arrive[rep] + rng.random(len(rep)) * (leave[rep] - arrive[rep])
        return times

    like_t = event_times(b["likes"])
    comment_t = event_times(b["comments"])
    share_t = event_times(b["shares"])
    follows = rng.random(n) < 1 - np.exp(-b["watch_time_s"] / 60.0 * 0.004 * b["activity"])
    follow_t = arrive[follows] + rng.random(follows.sum()) * (leave - arrive)[follows]
    buyer = b["spend"] > 0
    buy_t = arrive[buyer] + rng.random(buyer.sum()) * (leave - arrive)[buyer]
    likes_m = per_minute(like_t).astype(np.int64)
    comments_m = per_minute(comment_t).astype(np.int64)
    followers_m = per_minute(follow_t).astype(np.int64)
    buyers_m = per_minute(buy_t).astype(np.int64)
    orders_m = per_minute(buy_t, b["orders"][buyer].astype(float)).astype(np.int64)
    gmv_m = np.round(per_minute(buy_t, b["spend"][buyer]), 2)
    impressions_m = rng.binomial(entries, 0.55)
    clicks_m = np.maximum(rng.binomial(impressions_m, 0.15), buyers_m)
    impressions_m = np.maximum(impressions_m, clicks_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_watch = np.cumsum(online * 60.0) / np.cumsum(entries)
    ts = pd.date_range(start, periods=minutes, freq="min")
    minutes_df = pd.DataFrame(
        {
            "ts": ts,
            "online": online,
            "entries": entries,
            "exits": exits,
            "avg_watch_s": np.round(avg_watch, 1),
            "impressions": impressions_m,
            "clicks": clicks_m,
            "buyers": buyers_m,
            "orders": orders_m,
            "gmv": gmv_m,
            "followers": followers_m,
            "likes": likes_m,
            "comments": comments_m,
        }
    )

    # snapshots: every ~5 minutes, the operator reads the dashboard
    snap_s = np.arange(300.0, end_s + 1, 300.0) + rng.integers(-40, 41, int(end_s // 300))
    snap_s = np.clip(snap_s, 30.0, end_s - 30.0)
    rows = []
    for s in snap_s:
        present = int(np.count_nonzero((arrive <= s) & (leave > s)))
        row = {
            "ts": start + timedelta(seconds=float(s)),
            "online": present,
            "viewers": int(np.count_nonzero(arrive <= s)),
            "entries": int(np.count_nonzero(arrive <= s)),
            "likes": int(np.count_nonzero(like_t <= s)),
            "comments": int(np.count_nonzero(comment_t <= s)),
            "shares": int(np.count_nonzero(share_t <= s)),
            "followers": int(np.count_nonzero(follow_t <= s)),
            "clicks": float("nan"),
            "orders": int(b["orders"][buyer][buy_t <= s].sum()),
            "buyers": int(np.count_nonzero(buy_t <= s)),
            "gmv": float(np.round(b["spend"][buyer][buy_t <= s].sum(), 0)),
        }
        # the operator does not always type every key
        for key in ("likes", "comments", "shares", "followers", "viewers"):
            if rng.random() < 0.25:
                row[key] = float("nan")
        rows.append(row)
    snapshots = pd.DataFrame(rows)
    return SimulatedStream(
        minutes=minutes_df,
        viewers=viewers,
        snapshots=snapshots,
        started_at=start,
        ended_at=start + timedelta(seconds=end_s),
    )
