"""The simulated stream is deterministic and its three frames agree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import attention as att
from core.simulate import simulate_stream, simulate_viewers


def test_deterministic() -> None:
    a, b = simulate_stream(seed=3), simulate_stream(seed=3)
    pd.testing.assert_frame_equal(a.minutes, b.minutes)
    pd.testing.assert_frame_equal(a.viewers, b.viewers)
    pd.testing.assert_frame_equal(a.snapshots, b.snapshots)
    c = simulate_stream(seed=4)
    assert not a.viewers["watch_time_s"].equals(c.viewers["watch_time_s"])


def test_frames_agree() -> None:
    s = simulate_stream(seed=11, minutes=90)
    m, v, snap = s.minutes, s.viewers, s.snapshots
    assert len(m) == 90
    assert (s.ended_at - s.started_at).total_seconds() == 90 * 60
    # online moves by entries − exits
    assert (np.diff(m["online"]) == (m["entries"] - m["exits"]).to_numpy()[1:]).all()
    assert m["online"].iloc[0] == m["entries"].iloc[0] - m["exits"].iloc[0]
    assert m["entries"].sum() == len(v)
    assert m["exits"].sum() == (~v["censored"]).sum()
    assert m["online"].iloc[-1] == v["censored"].sum()
    assert np.isclose(m["gmv"].sum(), v["spend"].sum())
    assert m["buyers"].sum() == (v["spend"] > 0).sum()
    assert (m["impressions"] >= m["clicks"]).all() and (m["clicks"] >= m["buyers"]).all()
    assert v["user_id"].is_unique
    # snapshots: running totals never go down
    for col in ("entries", "orders", "buyers", "gmv"):
        assert snap[col].is_monotonic_increasing
    assert snap["ts"].is_monotonic_increasing
    assert snap["ts"].iloc[-1] < pd.Timestamp(s.ended_at)


def test_lambda_near_one_over_300_from_every_source() -> None:
    s = simulate_stream(seed=7)
    for est in (
        att.from_watch_times(s.viewers["watch_time_s"], s.viewers["censored"]),
        att.from_minutes(s.minutes),
        att.from_snapshots(s.snapshots),
    ):
        assert est is not None
        assert 1 / 360 < est.lambda_per_s < 1 / 250


def test_promo_spikes_show_in_arrivals() -> None:
    m = simulate_stream(seed=7).minutes
    entries = m["entries"].to_numpy()
    assert entries[20:].max() > 2 * np.median(entries[20:])


def test_simulate_viewers_shape() -> None:
    v = simulate_viewers(5_000, seed=1)
    assert len(v) == 5_000 and v["user_id"].is_unique
    assert list(v.columns) == [
        "user_id",
        "watch_time_s",
        "likes",
        "comments",
        "shares",
        "purchase_count",
        "purchase_amount",
        "spend",
        "censored",
    ]
    assert (v["watch_time_s"] >= 0).all() and (v["spend"] >= 0).all()
    assert 0 < (v["spend"] > 0).mean() < 0.2
    # buying rises with watch time
    long = v["watch_time_s"] > v["watch_time_s"].median()
    assert (v.loc[long, "spend"] > 0).mean() > (v.loc[~long, "spend"] > 0).mean()
