"""The active trained model of a kind, for the places that use one (summaries, live
forecasts, `livehost report`): None when none is trained or its file is refused, so the
linear baseline or the run-rate stands in — and, for the forecaster, when its figures were
never measured on the shop's own streams (a version trained before retraining checked it
on them) unless an admin chose it by hand. scikit-learn is imported only when a trained
version exists."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope

__all__ = ["active_model", "used_live"]

log = logging.getLogger("livehost.models")


_warned: set[int] = set()


def used_live(kind: str, metrics: dict[str, Any] | None) -> bool:
    """Whether an active version with these metrics may be used: a forecaster only when
    its figures are those of real streams held out (so it was promoted for beating the
    run-rate on them) or an admin chose it; any other kind always."""
    m = metrics or {}
    return kind != "forecast" or m.get("held_out") == "real_streams" or bool(m.get(repo.CHOSEN))


def active_model(kind: str, engine: Engine, *, models_dir: Path | str | None) -> Any:
    """The fitted active model of `kind` ("buying_power" or "forecast"), or None."""
    if models_dir is None:
        return None
    with session_scope(engine) as session:
        active = repo.active_model_version(session, kind=kind)
        if active is None:
            return None
        version, usable = active.version, used_live(kind, active.metrics)
    if not usable:
        if version not in _warned:
            _warned.add(version)
            log.warning(
                "%s v%s was never checked on real streams; the run-rate stands in", kind, version
            )
        return None
    from bot.services.trained_models import load_active

    try:
        loaded = load_active(kind, engine, models_dir=models_dir)
    except Exception:  # a broken registry must not stop a summary or a push
        log.exception("%s model not loaded; the baseline stands in", kind)
        return None
    return loaded.model if loaded is not None else None
