"""Viewer segments."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from core.segments import SEGMENT_NAMES, segment_viewers
from core.simulate import simulate_viewers


def test_segments_named_and_ordered() -> None:
    v = simulate_viewers(20_000, seed=1)
    r = segment_viewers(v)
    assert r is not None
    t = r.table
    assert len(t) == 4
    assert t["size"].sum() == len(v) and np.isclose(t["share"].sum(), 1.0)
    assert len(r.labels) == len(v) and set(np.unique(r.labels)) == set(range(len(t)))
    assert t["key"].is_unique
    assert set(t["key"]) <= set(SEGMENT_NAMES)
    assert {"watchers", "buyers"} <= set(t["key"]) or {"watchers", "big_spenders"} <= set(t["key"])
    for _, row in t.iterrows():
        assert (row["name_en"], row["name_zh"]) == SEGMENT_NAMES[row["key"]]
    # sizes agree with the labels, spending segments really spend
    assert list(np.bincount(r.labels)) == list(t["size"])
    spenders = t[t["buyer_share"] >= 0.5]
    others = t[t["buyer_share"] < 0.5]
    assert len(spenders) >= 1
    assert spenders["avg_spend"].min() > others["avg_spend"].max()
    # the label order is by value: the spending segments come last
    assert list(t.index[t["buyer_share"] >= 0.5]) == list(range(len(others), len(t)))


def test_segment_stats_match_the_rows() -> None:
    v = simulate_viewers(5_000, seed=4)
    r = segment_viewers(v)
    assert r is not None
    for i, row in r.table.iterrows():
        members = v[r.labels == i]
        assert row["avg_watch_s"] == np.float64(members["watch_time_s"].mean())
        assert np.isclose(row["avg_spend"], members["spend"].mean())


def test_deterministic() -> None:
    v = simulate_viewers(3_000, seed=9)
    a, b = segment_viewers(v, random_state=3), segment_viewers(v, random_state=3)
    assert a is not None and b is not None
    assert (a.labels == b.labels).all()
    pd.testing.assert_frame_equal(a.table, b.table)


def test_little_data_gives_fewer_segments() -> None:
    v = simulate_viewers(60, seed=2)
    r = segment_viewers(v)
    assert r is not None and len(r.table) == 2
    r1 = segment_viewers(v.head(10))
    assert r1 is not None and len(r1.table) == 1 and (r1.labels == 0).all()


def test_without_spend_or_engagement() -> None:
    v = simulate_viewers(2_000, seed=3).drop(columns=["spend", "purchase_amount"])
    r = segment_viewers(v)
    assert r is not None
    assert r.table["avg_spend"].isna().all()
    assert not r.table["key"].isin(["buyers", "big_spenders"]).any()
    only_watch = segment_viewers(v[["watch_time_s"]])
    assert only_watch is not None and only_watch.table["avg_engagement_per_min"].isna().all()


def test_none_without_watch_times() -> None:
    assert segment_viewers(None) is None
    assert segment_viewers(pd.DataFrame()) is None
    assert segment_viewers(pd.DataFrame({"likes": [1, 2]})) is None


def test_fast_on_100k() -> None:
    v = simulate_viewers(100_000, seed=1)
    segment_viewers(v.head(1_000))  # warm the imports
    start = time.perf_counter()
    r = segment_viewers(v)
    assert time.perf_counter() - start < 1.5
    assert r is not None and r.table["size"].sum() == 100_000


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=60, max_value=600),
    seed=st.integers(0, 10_000),
    k=st.integers(2, 6),
    spend=st.booleans(),
    talk=st.floats(0.0, 5.0),
)
def test_segment_names_follow_their_centres(
    n: int, seed: int, k: int, spend: bool, talk: float
) -> None:
    rng = np.random.default_rng(seed)
    watch = rng.lognormal(4.0, 1.5, n)
    # interaction and watch time drawn apart: a long watcher need not talk
    rate = rng.gamma(0.5, talk + 1e-3, n)
    v = pd.DataFrame(
        {
            "watch_time_s": watch,
            "likes": rng.poisson(rate * watch / 60.0),
            "comments": rng.poisson(rate * watch / 600.0),
        }
    )
    if spend:
        v["spend"] = np.where(rng.random(n) < 0.1, rng.lognormal(4, 1, n), 0.0)
    r = segment_viewers(v, k=k, random_state=seed % 7)
    assert r is not None
    t = r.table.set_index("key")
    assert t.index.is_unique
    if {"engaged", "watchers"} <= set(t.index):
        assert (
            t.loc["engaged", "avg_engagement_per_min"] > t.loc["watchers", "avg_engagement_per_min"]
        )
    if {"drop_ins", "watchers"} <= set(t.index):
        assert t.loc["drop_ins", "avg_watch_s"] <= t.loc["watchers", "avg_watch_s"]
    if {"small_buyers", "big_spenders"} <= set(t.index):
        assert t.loc["small_buyers", "avg_spend"] < t.loc["big_spenders", "avg_spend"]
    assert list(np.bincount(r.labels, minlength=len(t))) == list(r.table["size"])


def test_engaged_talk_more_than_watchers_on_the_simulated_audience() -> None:
    r = segment_viewers(simulate_viewers(20_000, seed=5))
    assert r is not None
    t = r.table.set_index("key")
    assert t.loc["engaged", "avg_engagement_per_min"] > t.loc["watchers", "avg_engagement_per_min"]
