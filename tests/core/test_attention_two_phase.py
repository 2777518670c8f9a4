"""The two-phase attention curve against truth from tests/core/generators.py (written
apart from core/simulate): bounce share, engaged half-life and the model choice, from
viewer rows and from minute rows, over 20 seeds per audience shape."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core import attention as att
from tests.core.generators import EXPONENTIAL, KUAISHOU, MIXTURES, TWO_PHASE, audience

SEEDS = range(20)
VIEWERS = 10_000
"""Viewer rows per stream for the mixture targets."""
MINUTE_ENTRIES = 200_000
"""Entries per stream for the minute-row targets (minute counts carry less than rows)."""


@pytest.mark.parametrize("shape", MIXTURES, ids=lambda s: s.name)
def test_two_phase_from_viewer_rows(shape) -> None:  # type: ignore[no-untyped-def]
    for seed in SEEDS:
        a = audience(shape, VIEWERS, seed)
        est = att.from_watch_times(a.viewers["watch_time_s"], a.viewers["censored"])
        assert est is not None and est.supported, seed
        assert est.model == "two_phase", seed
        assert est.bounce_share == pytest.approx(shape.bounce_share, abs=0.03), seed
        assert est.engaged_half_life_s == pytest.approx(shape.engaged_half_life_s, rel=0.10)
        assert est.median_stay_s == pytest.approx(shape.median_s, rel=0.10), seed
        assert est.ks is not None and est.ks < 0.03, seed
        # the single exponential describes it badly: its half-life is far from the median
        assert abs(est.half_life_s / shape.median_s - 1) > 0.3


@pytest.mark.parametrize("shape", MIXTURES, ids=lambda s: s.name)
def test_two_phase_from_minute_rows(shape) -> None:  # type: ignore[no-untyped-def]
    for seed in SEEDS:
        a = audience(shape, MINUTE_ENTRIES, 1_000 + seed)
        est = att.from_minutes(a.minutes)
        assert est is not None and est.supported and est.source == "minutes", seed
        assert est.model == "two_phase", seed
        assert est.bounce_share == pytest.approx(shape.bounce_share, abs=0.03), seed
        assert est.engaged_half_life_s == pytest.approx(shape.engaged_half_life_s, rel=0.10)
        assert est.ks is None  # no Kaplan–Meier without viewer rows


def test_minute_rows_without_exits_column_derive_them() -> None:
    a = audience(TWO_PHASE, MINUTE_ENTRIES, 5)
    with_exits = att.from_minutes(a.minutes)
    without = att.from_minutes(a.minutes.drop(columns="exits"))
    assert with_exits is not None and without is not None
    assert without.model == "two_phase"
    assert without.bounce_share == pytest.approx(with_exits.bounce_share, abs=0.01)


def test_exponential_audiences_keep_the_single_model_and_lambda_without_censoring() -> None:
    single, lam_v, lam_m, naive = [], [], [], []
    for seed in SEEDS:
        a = audience(EXPONENTIAL, 40_000, seed)
        last_online = float(a.minutes["online"].iloc[-1])
        est = att.from_watch_times(
            a.viewers["watch_time_s"], None, last_online=last_online, duration_s=a.duration_s
        )
        assert est is not None and est.censoring == "inferred"
        single.append(est.model == "single")
        lam_v.append(est.lambda_per_s / EXPONENTIAL.lambda_per_s - 1)
        # the naive estimate: everyone counted as having left
        every = np.zeros(len(a.viewers), dtype=bool)
        n = att.from_watch_times(a.viewers["watch_time_s"], every, two_phase=False)
        assert n is not None
        naive.append(n.lambda_per_s / EXPONENTIAL.lambda_per_s - 1)
        m = att.from_minutes(audience(EXPONENTIAL, MINUTE_ENTRIES, 1_000 + seed).minutes)
        assert m is not None
        single.append(m.model == "single")
        lam_m.append(m.lambda_per_s / EXPONENTIAL.lambda_per_s - 1)
    assert np.mean(single) >= 0.95
    assert max(abs(x) for x in lam_v) <= 0.02
    assert max(abs(x) for x in lam_m) <= 0.02
    assert np.mean(naive) > 0.02  # the bias the inference removes


def test_inferred_censoring_matches_the_known_flags_for_lambda() -> None:
    a = audience(KUAISHOU, 5_000, 3)
    v = a.viewers
    known = att.from_watch_times(v["watch_time_s"], v["censored"])
    blank = pd.Series([None] * len(v), dtype=object)
    inferred = att.from_watch_times(
        v["watch_time_s"], blank, last_online=float(a.minutes["online"].iloc[-1])
    )
    assert known is not None and inferred is not None
    # the same number of exits over the same seconds: the same λ
    assert inferred.events == known.events
    assert inferred.lambda_per_s == pytest.approx(known.lambda_per_s)
    assert inferred.model == "two_phase"
    assert inferred.bounce_share == pytest.approx(KUAISHOU.bounce_share, abs=0.03)


def test_infer_censoring_rules() -> None:
    w = [10.0, 500.0, 30.0, 7200.0, 7150.0, 40.0]
    flags = pd.Series([None, None, False, None, None, True], dtype=object)
    by_count = att.infer_censoring(w, flags, last_online=3)
    # one known censored + the two longest unknown watchers
    assert list(by_count) == [False, False, False, True, True, True]
    by_end = att.infer_censoring(w, flags, duration_s=7200)
    assert list(by_end) == [False, False, False, True, True, True]
    nothing = att.infer_censoring(w, None)
    assert list(nothing) == [False, False, False, True, False, False]
    # a known "left" stays left even if the count asks for more
    assert not att.infer_censoring(w, flags, last_online=6)[2]


def test_not_enough_data_says_why() -> None:
    rng = np.random.default_rng(1)
    few = att.from_watch_times(rng.exponential(300, 15))
    assert few is not None and few.reason == "few_exits" and not few.supported
    t = np.array([0.0, 120.0, 240.0, 360.0])
    short = att.from_pushes(t, [100, 110, 120, 115], [100, 160, 230, 280])
    assert short is not None and short.reason == "short_span"
    t = np.arange(0, 1800, 300.0)
    thin = att.from_pushes(t, [10, 10, 10, 10, 10, 10], [10, 10, 10, 31, 31, 31])
    assert thin is not None and thin.events == 21 and thin.reason == "wide_interval"
    long = att.from_pushes(t, [500, 520, 530, 510, 500, 490], [500, 700, 900, 1080, 1270, 1450])
    assert long is not None and long.reason is None and long.supported
    assert long.to_dict()["reason"] is None


def test_fit_is_fast_on_10k_viewers() -> None:
    a = audience(TWO_PHASE, 10_000, 0)
    w, c = a.viewers["watch_time_s"].to_numpy(), a.viewers["censored"].to_numpy()
    fit = att.fit_two_phase_viewers(w, c)  # warm the imports
    assert fit is not None and fit.preferred
    assert fit.n_obs == len(w) and math.isfinite(fit.loglik)
    assert fit.bic_two < fit.bic_single


def test_ks_distance_hand_example() -> None:
    d = att.ks_distance([0.0, 10.0], [1.0, 0.5], lambda t: np.exp(-np.asarray(t) / 10))
    # at t=10 the curve is e^-1 ≈ 0.368: below the step (0.5) and below its left limit (1)
    assert d == pytest.approx(1 - math.exp(-1))
    assert att.ks_distance([], [], lambda t: t) is None


def test_two_phase_json_keys() -> None:
    a = audience(TWO_PHASE, 5_000, 2)
    est = att.from_watch_times(a.viewers["watch_time_s"], a.viewers["censored"])
    assert est is not None
    d = est.to_dict()
    for key in (
        "model",
        "bounce_share",
        "engaged_half_life_s",
        "median_stay_s",
        "ks",
        "lambda_per_s",
        "half_life_s",
        "reason",
    ):
        assert key in d
    assert d["model"] == "two_phase"
    assert est.survival(0.0) == pytest.approx(1.0)
    assert est.survival(est.median_stay_s) == pytest.approx(0.5, abs=1e-6)
