"""The session GMV forecaster: features, history, the estimator, and the run-rate baseline."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from core.figures import slipped_readings
from core.forecast import (
    FEATURE_NAMES,
    build_history,
    features_at,
    forecast_live,
    horizon_errors,
    make_training_set,
    run_rate,
    simulated_cases,
)
from core.forecast_model import GmvForecaster, cross_validate_forecaster
from core.simulate import simulate_stream

TRAIN_H = (600, 900, 1200, 1800, 2400, 3600, 4800)


@pytest.fixture(scope="module")
def fitted() -> GmvForecaster:
    data = make_training_set(simulated_cases(160, seed=1), TRAIN_H)
    return GmvForecaster().fit(data.X, data.y)


@pytest.fixture(scope="module")
def held_out():
    return make_training_set(simulated_cases(60, seed=99))


# ----------------------------------------------------------------------------- run-rate


def test_run_rate_is_gmv_times_planned_over_elapsed() -> None:
    assert run_rate(1000.0, 1800, 7200) == pytest.approx(4000.0)
    assert run_rate(0.0, 600, 3600) == 0.0
    # past the planned end the stream is simply as long as it has run
    assert run_rate(500.0, 4000, 3600) == pytest.approx(500.0)


@pytest.mark.parametrize(
    "args", [(100.0, 0, 3600), (100.0, 600, 0), (math.nan, 600, 3600), (None, 600, 3600)]
)
def test_run_rate_is_nan_when_it_cannot_be_known(args) -> None:
    assert math.isnan(run_rate(*args))


@given(
    g=st.floats(0, 1e9),
    e=st.floats(1, 1e5),
    p=st.floats(1, 1e5),
    k=st.floats(0.01, 100),
)
def test_run_rate_is_linear_in_gmv(g: float, e: float, p: float, k: float) -> None:
    assert run_rate(g * k, e, p) == pytest.approx(k * run_rate(g, e, p), rel=1e-9)
    assert run_rate(g, e, p) >= g - 1e-6 * max(g, 1)


# ----------------------------------------------------------------------------- features


def test_features_read_snapshots_and_minutes_of_the_same_stream() -> None:
    s = simulate_stream(seed=3, minutes=90)
    f_min = features_at(s.minutes, 1800, 5400, started_at=s.started_at)
    assert f_min["observed_s"] == 1800
    assert f_min["gmv_so_far"] == pytest.approx(s.minutes["gmv"].iloc[:30].sum())
    assert f_min["orders_so_far"] == pytest.approx(s.minutes["orders"].iloc[:30].sum())
    assert f_min["online_now"] == s.minutes["online"].iloc[29]

    f_snap = features_at(s.snapshots, 1800, 5400, started_at=s.started_at)
    before = s.snapshots[s.snapshots["ts"] <= s.started_at + timedelta(seconds=1800)]
    last = before.iloc[-1]
    assert f_snap["gmv_so_far"] == last["gmv"]
    assert f_snap["observed_s"] == (last["ts"] - s.started_at).total_seconds()
    assert f_snap["run_rate"] == pytest.approx(run_rate(last["gmv"], f_snap["observed_s"], 5400))
    assert set(f_snap) == set(FEATURE_NAMES)


def test_features_never_look_past_the_elapsed_time() -> None:
    s = simulate_stream(seed=4, minutes=120)
    cut = s.started_at + timedelta(seconds=1800)
    full = features_at(s.snapshots, 1800, 7200, started_at=s.started_at)
    only_past = features_at(
        s.snapshots[s.snapshots["ts"] <= cut], 1800, 7200, started_at=s.started_at
    )
    for key in FEATURE_NAMES:
        a, b = full[key], only_past[key]
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b), key


def test_a_pushed_slip_of_the_online_count_is_read_as_not_pushed() -> None:
    s = simulate_stream(seed=4, minutes=120)
    snaps = s.snapshots.reset_index(drop=True).astype({"online": float})
    at = 4  # 25 minutes in: 469 between 556 and 433
    slipped = snaps.copy()
    slipped.loc[at, "online"] = snaps.loc[at, "online"] * 10  # a digit too many
    seconds = (slipped["ts"] - s.started_at).dt.total_seconds()
    assert slipped_readings(seconds, slipped["online"]).tolist().index(True) == at
    blank = snaps.copy()
    blank.loc[at, "online"] = math.nan
    for elapsed in (1800, 3600):
        a = features_at(slipped, elapsed, 7200, started_at=s.started_at)
        b = features_at(blank, elapsed, 7200, started_at=s.started_at)
        for key in FEATURE_NAMES:
            assert (math.isnan(a[key]) and math.isnan(b[key])) or a[key] == pytest.approx(b[key])
    # as the latest push, a jump or a fall waits for the push after it, as the reply to it
    # asks: a room that really emptied is read once the next push agrees
    latest = features_at(slipped, seconds[at], 7200, started_at=s.started_at)
    assert latest["online_now"] == snaps.loc[at - 1, "online"]
    fell = snaps.copy()
    fell.loc[at, "online"] = snaps.loc[at, "online"] / 10
    latest = features_at(fell, seconds[at], 7200, started_at=s.started_at)
    assert latest["online_now"] == snaps.loc[at - 1, "online"]
    later = features_at(fell, seconds[at + 1], 7200, started_at=s.started_at)
    blank_later = features_at(blank, seconds[at + 1], 7200, started_at=s.started_at)
    assert later["online_mean"] == pytest.approx(blank_later["online_mean"])
    emptied = snaps.copy()
    emptied.loc[at:, "online"] = snaps.loc[at, "online"] / 10
    later = features_at(emptied, seconds[at + 1], 7200, started_at=s.started_at)
    assert later["online_now"] == emptied.loc[at + 1, "online"]


def test_a_gmv_that_jumped_at_the_latest_push_is_read_as_not_pushed() -> None:
    s = simulate_stream(seed=4, minutes=120)
    snaps = s.snapshots.reset_index(drop=True).astype({"gmv": float})
    at = 6  # 35 minutes in
    jumped = snaps.copy()
    jumped.loc[at, "gmv"] = snaps.loc[at - 1, "gmv"] * 1000  # 万 for 元, and a digit more
    blank = snaps.copy()
    blank.loc[at, "gmv"] = math.nan
    now = (snaps.loc[at, "ts"] - s.started_at).total_seconds()
    a = features_at(jumped, now, 7200, started_at=s.started_at, kind="snapshots")
    b = features_at(blank, now, 7200, started_at=s.started_at, kind="snapshots")
    assert a["gmv_so_far"] == snaps.loc[at - 1, "gmv"]
    for key in FEATURE_NAMES:
        assert (math.isnan(a[key]) and math.isnan(b[key])) or a[key] == pytest.approx(b[key])


def test_features_without_gmv_are_missing_not_zero() -> None:
    s = simulate_stream(seed=5, minutes=60)
    frame = s.snapshots.drop(columns=["gmv"])
    f = features_at(frame, 1800, 3600, started_at=s.started_at)
    assert math.isnan(f["gmv_so_far"]) and math.isnan(f["run_rate"])
    assert f["online_now"] > 0
    assert forecast_live(frame, s.started_at, s.started_at + timedelta(minutes=30), 3600) is None
    assert math.isnan(features_at(None, 600, 3600)["gmv_so_far"])


# ------------------------------------------------------------------------------ history


def _cum_frame(start, values, step_s=300):
    ts = [start + timedelta(seconds=step_s * (i + 1)) for i in range(len(values))]
    return pd.DataFrame({"ts": ts, "gmv": np.asarray(values, float)})


def test_history_shares_and_ratios_follow_the_past_curves() -> None:
    start = simulate_stream(seed=1, minutes=1).started_at
    even = _cum_frame(start, np.arange(1, 13) * 100.0)  # 1 h, even sales
    front = _cum_frame(start, [600, 800, 900, 950, 1000, 1040, 1080, 1110, 1140, 1160, 1180, 1200])
    h_even = build_history(curves=[(even, start)])
    assert h_even.median_final_gmv == 1200
    assert h_even.share_at(0.5) == pytest.approx(0.5)
    assert h_even.ratio_at(1800) == pytest.approx(1.0)
    h_front = build_history(curves=[(front, start)])
    assert h_front.share_at(0.25) == pytest.approx(900 / 1200)
    assert h_front.ratio_at(900) < 0.5  # the run-rate over-forecasts a front-loaded stream
    # beyond what the past streams covered, nothing is claimed
    assert h_even.ratio_at(3600 * 3) is None
    assert h_even.share_at(1.5) is None
    both = build_history([5000.0, None, math.nan, -1.0], [(even, start)])
    assert both.median_final_gmv == pytest.approx(np.median([5000.0, 1200.0]))
    assert both.sessions == 2
    empty = build_history()
    assert empty.median_final_gmv is None and empty.share_at(0.5) is None


def test_history_enters_the_features() -> None:
    s = simulate_stream(seed=6, minutes=60)
    past = [simulate_stream(seed=k, minutes=60) for k in (7, 8)]
    h = build_history(curves=[(p.snapshots, p.started_at) for p in past])
    f = features_at(s.snapshots, 1800, 3600, h, started_at=s.started_at)
    assert f["hist_median_final"] == h.median_final_gmv
    assert f["hist_share"] == pytest.approx(h.share_at(f["frac_elapsed"]))
    assert f["hist_rr_ratio"] == pytest.approx(h.ratio_at(f["observed_s"]))
    without = features_at(s.snapshots, 1800, 3600, started_at=s.started_at)
    assert math.isnan(without["hist_share"]) and math.isnan(without["hist_rr_ratio"])


# ---------------------------------------------------------------------------- estimator


def test_estimator_contract() -> None:
    model = GmvForecaster(max_iter=20)
    with pytest.raises(NotFittedError):
        model.predict(pd.DataFrame([features_at(None, 600, 3600)]))
    data = make_training_set(simulated_cases(12, seed=5))
    assert model.fit(data.X, data.y) is model
    assert hasattr(model, "estimator_") and model.n_features_in_ == len(model.feature_names_in_)
    fresh = clone(model)
    assert fresh.get_params() == model.get_params()
    assert not hasattr(fresh, "estimator_")
    with pytest.raises(ValueError):
        GmvForecaster().fit(data.X.iloc[:3], data.y[:3])


def test_forecaster_beats_run_rate_at_30_minutes_on_held_out_streams(
    fitted: GmvForecaster, held_out
) -> None:
    ours = horizon_errors(held_out.y, fitted.predict(held_out.X), held_out.horizons)
    base = horizon_errors(held_out.y, held_out.X["run_rate"], held_out.horizons)
    assert ours["mape_30m"] is not None and base["mape_30m"] is not None
    assert ours["mape_30m"] < 0.6 * base["mape_30m"], (ours, base)
    assert ours["mape_15m"] < base["mape_15m"]


def test_forecaster_beats_run_rate_on_plain_simulated_streams(fitted: GmvForecaster) -> None:
    plain = make_training_set(simulated_cases(30, seed=7, shaped=False))
    ours = horizon_errors(plain.y, fitted.predict(plain.X), plain.horizons)
    base = horizon_errors(plain.y, plain.X["run_rate"], plain.horizons)
    assert ours["mape_30m"] < base["mape_30m"], (ours, base)


def test_forecasts_never_fall_below_the_gmv_already_earned(fitted: GmvForecaster, held_out):
    pred = fitted.predict(held_out.X)
    low, high = fitted.predict_interval(held_out.X)
    gmv = held_out.X["gmv_so_far"].to_numpy()
    assert np.all(pred >= gmv - 1e-6) and np.all(low >= gmv - 1e-6)
    assert np.all(low <= pred + 1e-6) and np.all(pred <= high + 1e-6)
    inside = np.mean((held_out.y >= low) & (held_out.y <= high))
    assert 0.5 <= inside <= 0.98


def test_cross_validation_reports_each_horizon_beside_the_baseline() -> None:
    data = make_training_set(simulated_cases(40, seed=3), TRAIN_H)
    cv = cross_validate_forecaster(data, GmvForecaster(max_iter=100), n_splits=4)
    for key in ("r2", "mae", "mape", "mape_15m", "mape_30m", "mape_60m"):
        assert key in cv and key in cv["baseline"]
    assert cv["mape_30m"] < cv["baseline"]["mape_30m"]
    assert cv["streams"] == len(np.unique(data.groups))


# ---------------------------------------------------------------------------------- live


def test_forecast_live_falls_back_to_run_rate_without_a_model(fitted: GmvForecaster) -> None:
    s = simulate_stream(seed=11, minutes=120)
    now = s.started_at + timedelta(minutes=32)
    naive = forecast_live(s.snapshots, s.started_at, now, 7200)
    assert naive is not None and naive.method == "run_rate"
    f = features_at(s.snapshots, 32 * 60, 7200, started_at=s.started_at)
    assert naive.value == pytest.approx(f["run_rate"])
    assert naive.low == f["gmv_so_far"] and naive.high is None

    smart = forecast_live(s.snapshots, s.started_at, now, 7200, model=fitted)
    assert smart is not None and smart.method == "model"
    assert smart.low is not None and smart.high is not None
    assert smart.gmv_so_far <= smart.low <= smart.value <= smart.high
    truth = float(s.minutes["gmv"].sum())
    assert abs(smart.value - truth) < abs(naive.value - truth)
    # before the session starts there is nothing to say
    assert forecast_live(s.snapshots, s.started_at, s.started_at, 7200) is None
