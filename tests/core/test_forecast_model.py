"""When a forecaster is better than the run-rate: the rule retraining promotes by."""

from __future__ import annotations

from core.forecast_model import beats_run_rate


def test_beats_the_run_rate_only_when_better_at_30_and_no_worse_at_15_or_60() -> None:
    base = {"mape_15m": 0.5, "mape_30m": 0.4, "mape_60m": 0.3, "mape": 0.4}
    assert beats_run_rate({"mape_15m": 0.4, "mape_30m": 0.3, "mape_60m": 0.2, "baseline": base})
    # better at 30 minutes, worse at 60: a shop would see it worse later in its streams
    assert not beats_run_rate(
        {"mape_15m": 0.4, "mape_30m": 0.3, "mape_60m": 0.31, "baseline": base}
    )
    assert not beats_run_rate({"mape_15m": 0.51, "mape_30m": 0.3, "baseline": base})
    assert not beats_run_rate({"mape_30m": 0.4, "baseline": base})  # a tie is no win
    # streams shorter than 30 minutes: over all rows
    short = {"mape": 0.4, "mape_15m": 0.5}
    assert beats_run_rate({"mape": 0.3, "mape_15m": 0.45, "baseline": short})
    assert not beats_run_rate({"mape": 0.3, "baseline": {}})
    assert not beats_run_rate({})
