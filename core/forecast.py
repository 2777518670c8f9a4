"""The session GMV forecast, one import away: live forecasting
(:mod:`core.forecast_live`) and training material (:mod:`core.forecast_training`).

The estimator is :class:`core.forecast_model.GmvForecaster`, imported only where it is
trained or loaded; the three modules import one way (live ← training ← model), so there
is no cycle.
"""

from __future__ import annotations

from core.forecast_live import (
    FEATURE_NAMES,
    HORIZONS,
    MIN_FORECAST_S,
    MIN_GMV_PUSHES,
    MODEL_FEATURES,
    AudienceAhead,
    Forecast,
    FrameKind,
    History,
    audience_ahead,
    build_history,
    cumulative_gmv,
    features_at,
    forecast_live,
    gmv_pushes,
    run_rate,
)
from core.forecast_training import (
    StreamCase,
    TrainingSet,
    error_summary,
    horizon_errors,
    make_training_set,
    simulated_cases,
)

__all__ = [
    "FEATURE_NAMES",
    "HORIZONS",
    "MIN_FORECAST_S",
    "MIN_GMV_PUSHES",
    "MODEL_FEATURES",
    "AudienceAhead",
    "Forecast",
    "FrameKind",
    "History",
    "StreamCase",
    "TrainingSet",
    "audience_ahead",
    "build_history",
    "cumulative_gmv",
    "error_summary",
    "features_at",
    "forecast_live",
    "gmv_pushes",
    "horizon_errors",
    "make_training_set",
    "run_rate",
    "simulated_cases",
]
