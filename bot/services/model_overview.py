"""The trained models' overview for /models: per kind the latest versions, the active one
and its drift.

Drift is the live error of the active version on data that came after it was trained,
beside its cross-validated error: for buying power the MAE of predicted vs actual spend
on the viewer rows of sessions created after ``trained_at``; for the forecaster the mean
absolute percentage error at 30 minutes on the closed sessions started after it. A hint to
retrain is given when the live error is more than :data:`DRIFT_RATIO` times the
cross-validated one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope
from storage.models import MODEL_KINDS

if TYPE_CHECKING:  # the models' stack loads only when /models is asked
    from bot.services.trained_models import LoadedModel

__all__ = ["DRIFT_RATIO", "Drift", "KindOverview", "VersionLine", "model_overview"]

DRIFT_RATIO = 1.5
"""Live error above this many times the cross-validated error: retrain."""
FORECAST_DRIFT_HORIZON_S = 1800.0
KINDS: tuple[str, ...] = MODEL_KINDS


@dataclass(frozen=True)
class VersionLine:
    """One stored version: its number, when, rows, headline metrics, active or not."""

    version: int
    trained_at: datetime
    rows_used: int | None
    active: bool
    metrics: dict[str, Any]


@dataclass(frozen=True)
class Drift:
    """The active version's live error on data since it was trained, beside its
    cross-validated error (``metric``: "mae" or "mape_30m"); ``n`` rows or sessions."""

    metric: str
    live: float | None
    cv: float | None
    n: int

    @property
    def ratio(self) -> float | None:
        if self.live is None or self.cv is None or not self.cv > 0:
            return None
        return self.live / self.cv

    @property
    def grew(self) -> bool:
        return self.ratio is not None and self.ratio > DRIFT_RATIO


@dataclass(frozen=True)
class KindOverview:
    """The versions of one kind, newest first, and the drift of the active one."""

    kind: str
    versions: list[VersionLine] = field(default_factory=list)
    active: int | None = None
    drift: Drift | None = None
    refused: int | None = None
    """The active version when its file was refused on loading."""
    unchecked: bool = False
    """The active forecaster's figures were never measured on real streams, so live
    forecasts do not use it (:func:`bot.services.active_model.used_live`)."""


def _buying_power_drift(engine: Engine, loaded: LoadedModel, since: datetime) -> Drift:
    from core.buying_power import feature_frame

    cv = (loaded.metrics or {}).get("mae")
    errors: list[np.ndarray] = []
    with session_scope(engine) as session:
        for sid in repo.session_ids_created_since(session, since=since):
            frame = repo.viewers_frame(session, session_id=sid)
            spend = pd.to_numeric(frame["spend"], errors="coerce")
            frame = frame[spend.notna()]
            if not len(frame):
                continue
            names = [str(c) for c in getattr(loaded.model, "feature_names_in_", [])]
            features = feature_frame(frame)
            if names and not all(c in features.columns for c in names):
                continue
            pred = loaded.model.predict(features[names] if names else features)
            errors.append(np.abs(np.asarray(pred, float) - frame["spend"].to_numpy(float)))
    if not errors:
        return Drift("mae", None, _num(cv), 0)
    err = np.concatenate(errors)
    err = err[np.isfinite(err)]
    live = float(err.mean()) if len(err) else None
    return Drift("mae", live, _num(cv), len(err))


def _forecast_drift(engine: Engine, loaded: LoadedModel, since: datetime) -> Drift:
    from bot.services.trained_models import gather_forecast_cases
    from core.forecast import horizon_errors, make_training_set

    cv = (loaded.metrics or {}).get("mape_30m")
    cases = [c for c in gather_forecast_cases(engine) if c.started_at > since]
    data = make_training_set(cases, (FORECAST_DRIFT_HORIZON_S,))
    if not len(data):
        return Drift("mape_30m", None, _num(cv), 0)
    pred = loaded.model.predict(data.X)
    live = horizon_errors(data.y, pred, data.horizons, at=(FORECAST_DRIFT_HORIZON_S,))
    return Drift("mape_30m", live.get("mape_30m"), _num(cv), len(data))


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _collect(into: list[int]) -> Any:
    def on_refused(version: int, _exc: Exception) -> None:
        into.append(version)

    return on_refused


def model_overview(engine: Engine, *, models_dir: str | Path, limit: int = 5) -> list[KindOverview]:
    """Per kind: the latest ``limit`` versions with their metrics, the active one, and the
    drift of the active one (when its file loads)."""
    from bot.services.active_model import used_live
    from bot.services.trained_models import load_active

    out: list[KindOverview] = []
    for kind in KINDS:
        with session_scope(engine) as session:
            rows = repo.list_model_versions(session, kind=kind)
            lines = [
                VersionLine(r.version, r.trained_at, r.rows_used, r.active, dict(r.metrics or {}))
                for r in rows
            ]
        active_line = next((v for v in lines if v.active), None)
        shown = lines[:limit]
        if active_line is not None and active_line not in shown:
            shown.append(active_line)
        refused: list[int] = []
        loaded = load_active(kind, engine, models_dir=models_dir, on_refused=_collect(refused))
        drift: Drift | None = None
        if loaded is not None and not loaded.fallback and active_line is not None:
            since = active_line.trained_at
            if kind == "buying_power":
                drift = _buying_power_drift(engine, loaded, since)
            else:
                drift = _forecast_drift(engine, loaded, since)
        out.append(
            KindOverview(
                kind,
                shown,
                active_line.version if active_line else None,
                drift,
                refused[0] if refused else None,
                active_line is not None and not used_live(kind, active_line.metrics),
            )
        )
    return out
