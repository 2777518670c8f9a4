"""What an event did, against streams whose event effects are planted (tests/core/event_streams)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.events import MIN_OCCURRENCES, event_effects, occurrence
from tests.core.event_streams import Planted, event_stream

SEEDS = range(40)


def _workspace(seed: int, streams: int, **effect: float) -> tuple[list, list[tuple[float, float]]]:
    """Occurrences of one kind over a workspace's streams, and each one's truth."""
    rng = np.random.default_rng(10_000 + seed)
    occs, truths = [], []
    for k in range(streams):
        at = int(rng.integers(30, 120))
        planted = Planted(at, "giveaway", **effect)
        stream = event_stream(seed * 100 + k, [planted])
        occ = occurrence(stream.minutes, stream.start() + pd.Timedelta(minutes=at), "giveaway")
        assert occ is not None
        occs.append(occ)
        truths.append(stream.true_log_ratios(planted))
    return occs, truths


def test_a_giveaway_that_halves_the_hazard_is_recovered_within_its_interval() -> None:
    covered_hazard = covered_gmv = said = 0
    for seed in SEEDS:
        occs, truths = _workspace(seed, 6, hazard_mult=0.5, gmv_mult=1.6)
        (effect,) = event_effects(occs)
        true_hz = math.expm1(float(np.mean([t[0] for t in truths])))
        true_gmv = math.expm1(float(np.mean([t[1] for t in truths])))
        assert effect.hazard_low is not None and effect.hazard_high is not None
        assert effect.gmv_low is not None and effect.gmv_high is not None
        covered_hazard += effect.hazard_low <= true_hz <= effect.hazard_high
        covered_gmv += effect.gmv_low <= true_gmv <= effect.gmv_high
        said += effect.hazard_said
        # the planted effect: half the hazard for 5 of the 10 minutes, about −25 % overall
        assert -0.45 < effect.hazard_change < -0.05  # type: ignore[operator]
    n = len(SEEDS)
    print(f"\ncoverage: hazard {covered_hazard}/{n}, GMV {covered_gmv}/{n}; said {said}/{n}")
    assert covered_hazard >= 0.9 * n
    assert covered_gmv >= 0.9 * n
    assert said >= 0.9 * n


def test_a_placebo_event_is_rarely_called_an_effect() -> None:
    said = 0
    for seed in range(60):
        occs, _ = _workspace(500 + seed, 6)
        (effect,) = event_effects(occs)
        said += effect.hazard_said or effect.gmv_said
    print(f"\nplacebo said: {said}/60")
    assert said <= 0.05 * 60


def test_fewer_than_five_occurrences_are_measured_but_not_said() -> None:
    occs, _ = _workspace(3, MIN_OCCURRENCES - 1, hazard_mult=0.3)
    (effect,) = event_effects(occs)
    assert effect.occurrences == MIN_OCCURRENCES - 1
    assert effect.hazard_change is not None and effect.hazard_change < 0
    assert not effect.said


def test_events_at_the_edges_or_without_exits_have_no_comparison() -> None:
    stream = event_stream(1, [])
    start = stream.start()
    assert occurrence(stream.minutes, start + pd.Timedelta(minutes=2), "coupon") is None
    assert occurrence(stream.minutes, start + pd.Timedelta(minutes=149), "coupon") is None
    no_exits = stream.minutes.drop(columns="exits")
    assert occurrence(no_exits, start + pd.Timedelta(minutes=60), "coupon") is None


def test_effects_do_not_depend_on_the_currency() -> None:
    planted = [Planted(60, "coupon", gmv_mult=1.5)]
    at = pd.Timedelta(minutes=60)
    effects = []
    for price in (60.0, 0.6, 6000.0):  # the same streams, prices ×0.01 and ×100
        occs = []
        for k in range(6):
            stream = event_stream(900 + k, planted, price=price)
            occ = occurrence(stream.minutes, stream.start() + at, "coupon")
            assert occ is not None
            occs.append(occ)
        effects.append(event_effects(occs)[0])
    for other in effects[1:]:
        assert other.gmv_change == pytest.approx(effects[0].gmv_change, rel=1e-6)
        assert other.hazard_change == pytest.approx(effects[0].hazard_change, rel=1e-9)
