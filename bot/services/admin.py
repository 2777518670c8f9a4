"""Admin use cases: who is an admin, the model overview with drift, the figures of
/adminstats, and the weekly retrain's schedule.

Admins are the numeric Telegram user ids of ``LIVEHOST_ADMIN_IDS``; nothing else (a
username, a chat id, a title) ever counts.

Drift is the live error of the active version on data that came after it was trained,
beside its cross-validated error: for buying power the MAE of predicted vs actual spend
on the viewer rows of sessions created after ``trained_at``; for the forecaster the mean
absolute percentage error at 30 minutes on the closed sessions started after it. A hint to
retrain is given when the live error is more than :data:`DRIFT_RATIO` times the
cross-validated one.

The weekly retrain is a ``scheduled_send`` of kind ``retrain`` keyed by its ISO week
(``retrain:2026-W48``), due every Monday at 03:00 UTC: :func:`plan_weekly_retrain`
schedules the next one (idempotent on the key).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope
from storage.models import (
    MODEL_KINDS,
    LiveSession,
    MinuteRow,
    PastSession,
    Snapshot,
    ViewerRow,
    Workspace,
)

if TYPE_CHECKING:  # the models' stack loads only when /models is asked
    from bot.services.trained_models import LoadedModel

__all__ = [
    "DRIFT_RATIO",
    "WEEKLY_HOUR_UTC",
    "AdminStats",
    "Drift",
    "KindOverview",
    "VersionLine",
    "admin_stats",
    "is_admin",
    "model_overview",
    "next_weekly_retrain",
    "parse_retrain_args",
    "parse_rollback_args",
    "plan_weekly_retrain",
    "weekly_key",
    "worker_db_url",
]

DRIFT_RATIO = 1.5
"""Live error above this many times the cross-validated error: retrain."""
WEEKLY_WEEKDAY = 0  # Monday
WEEKLY_HOUR_UTC = 3
FORECAST_DRIFT_HORIZON_S = 1800.0
KINDS: tuple[str, ...] = MODEL_KINDS
_ALIASES = {"bp": "buying_power", "buying": "buying_power", "buyingpower": "buying_power"}


def is_admin(admin_ids: Sequence[int], user_id: int | None) -> bool:
    """True only for a numeric user id listed in the settings."""
    return user_id is not None and isinstance(user_id, int) and user_id in set(admin_ids)


def _kind(word: str) -> str | None:
    word = word.lower().replace("-", "_")
    word = _ALIASES.get(word.replace("_", ""), word)
    return word if word in KINDS else None


def parse_retrain_args(args: Sequence[str]) -> tuple[tuple[str, ...], bool] | None:
    """``[buying_power|forecast|all] [force]`` → (kinds, force); None when unreadable.
    No kind means all."""
    kinds: tuple[str, ...] | None = None
    force = False
    for raw in args:
        word = raw.lower()
        if word in ("force", "--force", "-f"):
            force = True
        elif word == "all" and kinds is None:
            kinds = KINDS
        elif (kind := _kind(word)) is not None and kinds is None:
            kinds = (kind,)
        else:
            return None
    return (kinds or KINDS), force


def parse_rollback_args(args: Sequence[str]) -> tuple[str, int] | None:
    """``N``, ``KIND N`` or ``N KIND`` (``#N`` and ``vN`` too) → (kind, N); the kind
    defaults to buying power. None when unreadable."""
    kind: str | None = None
    version: int | None = None
    for raw in args:
        digits = raw.lower().lstrip("#").removeprefix("v")
        if digits.isdigit() and version is None:
            version = int(digits)
        elif (found := _kind(raw)) is not None and kind is None:
            kind = found
        else:
            return None
    if version is None or version <= 0:
        return None
    return kind or "buying_power", version


def worker_db_url(engine: Engine) -> str:
    """A URL another process can open to reach the same database as ``engine``: the
    password kept, and on PostgreSQL the session's ``search_path`` carried along."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory"):
            raise ValueError("an in-memory SQLite database cannot be shared with a process")
        return url.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)
    with session_scope(engine) as session:
        path = repo.search_path(session)
    if path and path.replace(" ", "") != '"$user",public':
        query = dict(url.query)
        query["options"] = f"-c search_path={path.replace(' ', '')}"
        url = url.set(query=query)
    return url.render_as_string(hide_password=False)


# ------------------------------------------------------------------------------ /adminstats


@dataclass(frozen=True)
class AdminStats:
    """The figures of /adminstats (``db_bytes`` None when unknown)."""

    workspaces_active: int
    workspaces_inactive: int
    sessions: int
    snapshots: int
    minute_rows: int
    viewer_rows: int
    past_sessions: int
    db_bytes: int | None
    last_retrain: dict[str, datetime | None]


def _db_bytes(engine: Engine) -> int | None:
    if engine.dialect.name == "sqlite":
        database = engine.url.database or ""
        if not database or database == ":memory:":
            return None
        total = 0
        for suffix in ("", "-wal"):
            path = Path(database + suffix)
            if path.is_file():
                total += path.stat().st_size
        return total
    with session_scope(engine) as session:
        return repo.database_bytes(session)


def admin_stats(engine: Engine) -> AdminStats:
    """Workspaces (active, inactive), sessions, rows, database size, last retrain."""
    with session_scope(engine) as session:
        active = repo.count_active_workspaces(session)
        inactive = repo.count_rows(session, model=Workspace) - active
        last = {kind: repo.last_trained_at(session, kind=kind) for kind in KINDS}
        stats = AdminStats(
            workspaces_active=active,
            workspaces_inactive=inactive,
            sessions=repo.count_rows(session, model=LiveSession),
            snapshots=repo.count_rows(session, model=Snapshot),
            minute_rows=repo.count_rows(session, model=MinuteRow),
            viewer_rows=repo.count_rows(session, model=ViewerRow),
            past_sessions=repo.count_rows(session, model=PastSession),
            db_bytes=None,
            last_retrain={k: _aware(v) for k, v in last.items()},
        )
    try:
        size = _db_bytes(engine)
    except Exception:
        size = None
    return AdminStats(**{**stats.__dict__, "db_bytes": size})


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -------------------------------------------------------------------------------- /models


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
            )
        )
    return out


# --------------------------------------------------------------------------- weekly retrain


def weekly_key(due: datetime) -> str:
    """``retrain:YYYY-Www`` of the ISO week of ``due``."""
    year, week, _ = due.astimezone(UTC).isocalendar()
    return f"retrain:{year}-W{week:02d}"


def next_weekly_retrain(now: datetime) -> datetime:
    """The first Monday 03:00 UTC strictly after ``now``."""
    moment = now.astimezone(UTC)
    monday = (moment - timedelta(days=moment.weekday())).replace(
        hour=WEEKLY_HOUR_UTC, minute=0, second=0, microsecond=0
    )
    monday += timedelta(days=WEEKLY_WEEKDAY)
    while monday <= moment:
        monday += timedelta(days=7)
    return monday


def plan_weekly_retrain(engine: Engine, *, now: datetime) -> tuple[str, datetime]:
    """Make sure the next weekly retrain is scheduled; its (key, due)."""
    due = next_weekly_retrain(now)
    key = weekly_key(due)
    with session_scope(engine) as session:
        row = repo.schedule_send(
            session, kind="retrain", key=key, due_at=due, payload={"due": due.isoformat()}
        )
        return row.key, row.due_at
