"""The active trained model of a kind, for the places that use one (summaries, live
forecasts, `livehost report`): None when none is trained or its file is refused, so the
linear baseline or the run-rate stands in. scikit-learn is imported only when a trained
version exists."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope

__all__ = ["active_model"]

log = logging.getLogger("livehost.models")


def active_model(kind: str, engine: Engine, *, models_dir: Path | str | None) -> Any:
    """The fitted active model of `kind` ("buying_power" or "forecast"), or None."""
    if models_dir is None:
        return None
    with session_scope(engine) as session:
        if repo.active_model_version(session, kind=kind) is None:
            return None
    from bot.services.trained_models import load_active

    try:
        loaded = load_active(kind, engine, models_dir=models_dir)
    except Exception:  # a broken registry must not stop a summary or a push
        log.exception("%s model not loaded; the baseline stands in", kind)
        return None
    return loaded.model if loaded is not None else None
