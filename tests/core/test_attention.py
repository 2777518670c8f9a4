"""Attention: α(t), half-life, λ estimators and the Kaplan–Meier curve."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import attention as att


def test_alpha_article_example_is_e_to_minus_one() -> None:
    a = att.alpha(10, 0.1)
    assert a == pytest.approx(math.exp(-1))
    assert a == pytest.approx(0.368, abs=5e-4)
    assert abs(a - 0.741) > 0.3  # the article's printed value is wrong


def test_alpha_vectorised_and_half_life() -> None:
    t = np.array([0.0, 5.0, 10.0])
    assert np.allclose(att.alpha(t, 0.1), np.exp(-0.1 * t))
    assert att.half_life(0.1) == pytest.approx(math.log(2) / 0.1)
    with pytest.raises(ValueError):
        att.half_life(0.0)


@given(st.floats(min_value=1e-6, max_value=10.0))
def test_alpha_at_half_life_is_one_half(lam: float) -> None:
    assert att.alpha(att.half_life(lam), lam) == pytest.approx(0.5)


def test_censored_mle_recovers_lambda() -> None:
    rng = np.random.default_rng(42)
    lam = 1 / 300
    n = 5_000
    true_t = rng.exponential(1 / lam, n)
    end = rng.uniform(60, 900, n)  # each viewer's remaining stream time
    censored = true_t > end
    watch = np.minimum(true_t, end)
    assert censored.mean() > 0.2  # censoring matters in this test
    est = att.from_watch_times(watch, censored)
    assert est is not None
    assert est.source == "viewers" and est.n == n
    assert est.events == (~censored).sum()
    assert est.lambda_per_s == pytest.approx(lam, rel=0.05)
    # treating the censored as exits would overstate λ
    naive = att.from_watch_times(watch)
    assert naive is not None and naive.lambda_per_s > lam * 1.1


@given(
    st.lists(
        st.tuples(st.floats(0, 1e5, allow_nan=False), st.sampled_from([True, False, None])),
        min_size=1,
        max_size=50,
    )
)
def test_mle_is_exits_over_exposure(rows: list[tuple[float, bool | None]]) -> None:
    watch = [w for w, _ in rows]
    cens = [c for _, c in rows]
    # unknown is never "left": without other clues, an unknown flag on a watch time that
    # reaches the longest one (the session's end) is inferred censored
    longest = max(watch)
    exits = sum(1 for w, c in rows if c is False or (c is None and w < longest))
    est = att.from_watch_times(watch, pd.Series(cens, dtype=object))
    if exits == 0 or sum(watch) <= 0 or not math.isfinite(exits / sum(watch)):
        assert est is None
    else:
        assert est is not None
        assert est.lambda_per_s == pytest.approx(exits / sum(watch))


def test_from_minutes_formula_with_exits_column() -> None:
    df = pd.DataFrame(
        {
            "ts": pd.date_range("2026-01-01", periods=3, freq="min", tz="UTC"),
            "online": [100, 120, 80],
            "exits": [10, 20, 50],
        }
    )
    est = att.from_minutes(df)
    assert est is not None and est.source == "minutes"
    assert est.lambda_per_s == pytest.approx(80 / (300 * 60))
    assert est.exposure_s == 300 * 60


def test_from_minutes_derives_exits_from_entries() -> None:
    df = pd.DataFrame(
        {
            "ts": pd.date_range("2026-01-01", periods=4, freq="min", tz="UTC"),
            "online": [50, 70, 60, 40],
            "entries": [50, 30, 10, 5],
        }
    )
    # exits: row 1: 30-(70-50)=10; row 2: 10-(60-70)=20; row 3: 5-(40-60)=25; row 0 unknown
    est = att.from_minutes(df)
    assert est is not None
    assert est.events == 55
    assert est.lambda_per_s == pytest.approx(55 / ((70 + 60 + 40) * 60))


def test_from_minutes_missing_is_none() -> None:
    assert att.from_minutes(None) is None
    assert att.from_minutes(pd.DataFrame()) is None
    assert att.from_minutes(pd.DataFrame({"online": [1.0, 2.0]})) is None
    assert att.from_minutes(pd.DataFrame({"online": [np.nan], "exits": [np.nan]})) is None
    assert att.from_minutes(pd.DataFrame({"online": [10, 10], "exits": [0, 0]})) is None


def test_from_snapshots_and_window() -> None:
    t0 = pd.Timestamp("2026-01-01 12:00", tz="UTC")
    df = pd.DataFrame(
        {
            "ts": [t0, t0 + pd.Timedelta(minutes=5), t0 + pd.Timedelta(minutes=10)],
            "online": [100, 200, 100],
            "entries": [100, 400, 500],
        }
    )
    est = att.from_snapshots(df)
    # exits: (300-100)=200, (100-(-100))=200; exposure: 150*300 + 150*300
    assert est is not None and est.source == "snapshots"
    assert est.events == 400
    assert est.lambda_per_s == pytest.approx(400 / 90_000)
    recent = att.from_snapshots(df, window_s=120)
    assert recent is not None and recent.n == 1
    assert recent.lambda_per_s == pytest.approx(200 / 45_000)


def test_from_snapshots_uses_viewers_without_entries_and_rejects_thin_data() -> None:
    t0 = pd.Timestamp("2026-01-01 12:00", tz="UTC")
    ts = [t0, t0 + pd.Timedelta(minutes=5)]
    df = pd.DataFrame({"ts": ts, "online": [100, 100], "viewers": [100, 160]})
    est = att.from_snapshots(df)
    assert est is not None and est.events == 60
    assert att.from_snapshots(df.iloc[:1]) is None
    assert att.from_snapshots(df.drop(columns="viewers")) is None
    assert att.from_snapshots(None) is None


def test_arrivals_take_entries_from_two_pushes_else_viewers() -> None:
    nan = math.nan
    assert att.arrivals([10, 20], [5, 6]).tolist() == [10, 20]
    assert att.arrivals([nan, 20], [5, 6]).tolist() == [5, 6]  # one entries figure
    assert att.arrivals(None, [5, 6]).tolist() == [5, 6]
    assert att.arrivals([nan, 20], None)[1] == 20


def test_push_series_agree_with_the_snapshot_frame_and_keep_a_recent_only_with_exits() -> None:
    t = np.array([0.0, 300.0, 600.0])
    online = np.array([100.0, 200.0, 100.0])
    entries = np.array([math.nan, 400.0, math.nan])  # one push typed 进场: viewers count
    viewers = np.array([100.0, 400.0, 500.0])
    whole, recent = att.from_push_series(t, online, entries, viewers, recent_window_s=120)
    t0 = pd.Timestamp("2026-01-01 12:00", tz="UTC")
    df = pd.DataFrame(
        {"ts": [t0 + pd.Timedelta(seconds=s) for s in t], "online": online, "viewers": viewers}
    )
    assert whole == att.from_snapshots(df)
    assert recent == att.from_snapshots(df, window_s=120)
    # nobody left in the last window: no recent estimate
    flat = np.array([100.0, 200.0, 300.0])
    _, none = att.from_push_series(t, flat, None, viewers, recent_window_s=120)
    assert none is None


def test_a_pushed_slip_of_the_online_count_is_read_as_not_pushed() -> None:
    t = np.arange(8) * 120.0
    online = np.array([900.0, 1000, 1100, 1150, 1200, 1180, 1150, 1100])
    viewers = np.array([1000.0, 1300, 1600, 1900, 2200, 2400, 2600, 2800])
    slipped = online.copy()
    slipped[4] = 12_000.0  # 1.2万 for 1200
    blank = online.copy()
    blank[4] = math.nan
    assert att.from_push_series(t, slipped, None, viewers, recent_window_s=600) == (
        att.from_push_series(t, blank, None, viewers, recent_window_s=600)
    )
    assert att.from_push_series(t, slipped, None, viewers, recent_window_s=600) != (
        att.from_push_series(t, online, None, viewers, recent_window_s=600)
    )


def test_kaplan_meier_hand_example() -> None:
    km = att.kaplan_meier([1, 2, 2, 3, 4], [False, True, False, False, True])
    s = dict(zip(km["t"], km["survival"], strict=True))
    assert s[0.0] == 1.0
    assert s[1.0] == pytest.approx(0.8)
    assert s[2.0] == pytest.approx(0.8 * 3 / 4)
    assert s[3.0] == pytest.approx(0.6 * 1 / 2)
    assert 4.0 not in s  # censored only: no step


def test_kaplan_meier_large_is_fast_and_thinned() -> None:
    rng = np.random.default_rng(0)
    w = rng.exponential(300, 1_000_000)
    cens = w > 1200
    w = np.minimum(w, 1200)
    start = time.perf_counter()
    km = att.kaplan_meier(w, cens)
    assert time.perf_counter() - start < 2.0
    assert len(km) <= att.KM_MAX_POINTS
    assert km["survival"].is_monotonic_decreasing
    q = att.fit_quality(km, 1 / 300)
    assert q["r2"] is not None and q["r2"] > 0.99
    assert q["max_gap"] is not None and q["max_gap"] < 0.02
    bad = att.fit_quality(km, 1 / 30)
    assert bad["max_gap"] is not None and bad["max_gap"] > 0.3


def test_kaplan_meier_empty() -> None:
    km = att.kaplan_meier([], None)
    assert list(km.columns) == ["t", "survival"] and len(km) == 0
    assert att.fit_quality(km, 0.1) == {"max_gap": None, "r2": None}
