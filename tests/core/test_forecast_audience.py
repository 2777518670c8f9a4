"""Where the online count is heading: :func:`core.forecast.audience_ahead`, judged on
rooms whose truth is known — a room computed from arrivals and stays directly, and the
independent generator's streams — beside holding the online count where it is."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.forecast import audience_ahead, features_at
from core.forecast_live import _points, _series
from core.simulate import simulate_stream
from tests.core.stream_generators import StreamTruth, forecast_workspaces


def _room(
    arrivals_per_min: np.ndarray, share: float, stay_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Second by second, the running total of entries and the expected online count of a
    room where ``share`` of arrivals stays for an exponential time of mean ``stay_s`` and
    the rest leave at once."""
    per_s = np.repeat(arrivals_per_min / 60.0, 60)
    keep = math.exp(-1.0 / stay_s)
    online = np.empty(len(per_s))
    level = 0.0
    for i, a in enumerate(per_s):
        level = level * keep + share * a
        online[i] = level
    return np.cumsum(per_s), online


def _pushes(
    entries: np.ndarray, online: np.ndarray, until_s: int, every_s: int = 180
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    t = np.arange(every_s, until_s + 1, every_s)
    at = np.concatenate([[0.0], t.astype(float)])
    return (at, np.concatenate([[0.0], entries[t - 1]])), (
        at,
        np.concatenate([[0.0], online[t - 1]]),
    )


def _ramp(minutes: int, full: float, ramp_min: float) -> np.ndarray:
    t = np.arange(minutes, dtype=float)
    return full * (0.3 + 0.7 * np.minimum(t / ramp_min, 1.0))


def test_a_room_still_filling_is_seen_to_rise_and_its_stay_is_read() -> None:
    minutes, now = 120, 1800
    entries, online = _room(_ramp(minutes, 300.0, 15.0), share=0.4, stay_s=900.0)
    got = audience_ahead(*_pushes(entries, online, now), planned_s=minutes * 60.0)
    assert got is not None
    true_ratio = float(online[now:].mean() / online[now - 1])
    assert true_ratio > 1.15  # held where it is, the online count would be 15 % short
    assert got.ahead_ratio == pytest.approx(true_ratio, rel=0.05)
    assert got.stay_s == pytest.approx(900.0, rel=0.15)
    assert got.stay_share == pytest.approx(0.4, rel=0.1)
    assert got.arrivals_per_s == pytest.approx(300.0 / 60.0, rel=0.02)


def test_after_a_crowd_the_room_is_seen_to_settle() -> None:
    minutes, now = 90, 2100
    arrivals = np.full(minutes, 60.0)
    arrivals[15:25] = 600.0  # a crowd from a promo, over ten minutes ago
    entries, online = _room(arrivals, share=0.5, stay_s=600.0)
    got = audience_ahead(*_pushes(entries, online, now, every_s=120), planned_s=minutes * 60.0)
    assert got is not None
    true_ratio = float(online[now:].mean() / online[now - 1])
    assert true_ratio < 0.8
    assert got.ahead_ratio == pytest.approx(true_ratio, rel=0.1)


@settings(max_examples=40, deadline=None)
@given(k=st.floats(0.01, 100.0), share=st.floats(0.1, 0.9), stay=st.floats(200.0, 2400.0))
def test_the_audience_ahead_does_not_depend_on_the_room_size(
    k: float, share: float, stay: float
) -> None:
    entries, online = _room(_ramp(100, 120.0, 10.0), share=share, stay_s=stay)
    (te, e), (tn, n) = _pushes(entries, online, 1800)
    small = audience_ahead((te, e), (tn, n), 6000.0)
    big = audience_ahead((te, e * k), (tn, n * k), 6000.0)
    assert small is not None and big is not None
    assert big.ahead_ratio == pytest.approx(small.ahead_ratio, rel=1e-6)
    assert big.stay_s == small.stay_s
    assert big.stay_share == pytest.approx(small.stay_share, rel=1e-6)


def test_nothing_is_said_without_the_counts_to_say_it() -> None:
    entries, online = _room(_ramp(60, 100.0, 10.0), share=0.4, stay_s=600.0)
    (te, e), (tn, n) = _pushes(entries, online, 1200)
    assert audience_ahead((te[:2], e[:2]), (tn, n), 3600.0) is None  # one entries figure
    assert audience_ahead((te, e), (tn[:2], n[:2]), 3600.0) is None  # one online count
    assert audience_ahead((te, e), (tn, np.where(tn == tn[-1], 0.0, n)), 3600.0) is None
    assert audience_ahead((te, e), (tn, n), float(tn[-1])) is None  # the stream is over
    assert audience_ahead((te, e * 0.0), (tn, n), 3600.0) is None  # nobody came
    at_start = np.zeros(3)  # every online count stamped at the very start
    assert audience_ahead((te, e), (at_start, n[:3]), 3600.0) is None


def test_on_the_independent_generator_it_beats_holding_the_online_count() -> None:
    ours, held = [], []
    for seed in (5, 12):
        truths: list[StreamTruth] = []
        cases = forecast_workspaces(12, seed=seed, sessions=4, truths=truths)
        for case, truth in zip(cases, truths, strict=True):
            for at in (1200, 1800, 3600):
                if at >= case.planned_s - 300:
                    continue
                pts = _points(case.frame, case.started_at, "snapshots")
                pts = pts[pts["t"] <= at]
                tn, n = _series(pts, "online")
                got = audience_ahead(_series(pts, "entries"), (tn, n), case.planned_s)
                if got is None:
                    continue
                true_ratio = float(truth.engaged[int(tn[-1] // 60) :].mean() / n[-1])
                ours.append(abs(math.log(got.ahead_ratio / true_ratio)))
                held.append(abs(math.log(1.0 / true_ratio)))
    assert len(ours) >= 150
    print(
        f"mean |log error| of the online to come: ours {np.mean(ours):.3f}, held {np.mean(held):.3f}"
    )
    assert np.mean(ours) < 0.75 * np.mean(held)


def test_the_features_carry_the_audience_ahead() -> None:
    s = simulate_stream(seed=7, minutes=120)
    f = features_at(s.snapshots, 1800, 7200, started_at=s.started_at)
    assert f["audience_ahead_ratio"] > 0
    assert 0 < f["stay_share"] <= 1.5
    assert f["stay_s"] > 0
    assert f["exposure_ahead_projection_ratio"] > 0
    early = features_at(s.snapshots, 60, 7200, started_at=s.started_at)
    assert math.isnan(early["audience_ahead_ratio"])
