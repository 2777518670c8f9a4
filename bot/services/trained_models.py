"""Trained (machine-learning) models — not the tables of ``storage.models``: train,
compare, promote, roll back and load; the model registry's use cases.

Two kinds (``storage.models.MODEL_KINDS``):

``buying_power``
    :class:`core.buying_power.BuyingPowerModel` on every viewer row with a known spend, of
    every workspace. Its baseline is the article's linear regression; both are
    cross-validated on folds grouped by workspace (by session with fewer workspaces than
    folds) — R², MAE and the bias of Σ predicted, all held out — and the candidate keeps
    the linear model unless it beats it.
``forecast``
    :class:`core.forecast.GmvForecaster` on every closed session with snapshots or minute
    rows (with each workspace's history of the sessions before), made up to
    :data:`MIN_STREAMS` streams with simulated ones when there are too few. Its baseline
    is the run-rate; metrics: R², MAE and the mean absolute percentage error at 15, 30
    and 60 minutes on the real streams only, each forecast by a model fitted without its
    workspace (or, with fewer than three workspaces, without that stream) but with the
    simulated streams (:func:`core.forecast_model.check_on_real`). A forecaster trained
    mostly on simulated streams can be worse than the run-rate on a shop's own, so it is
    promoted only once :data:`MIN_REAL_STREAMS` real streams show it better at 30 minutes
    and no worse at 15 or 60, and its 80 % interval is set on those streams' residuals.

:func:`train` writes the fitted model with skops to ``models_dir/{kind}-v{N}.skops`` and
records version N (inactive) with its SHA-256, metrics and rows used. It is a top-level
function of picklable arguments (a database URL, a folder) returning a picklable
:class:`TrainResult`, so it runs in a separate process: see :func:`training_executor`.
:func:`promote_if_better` activates it when it beats the baseline and the active version
(or when forced); :func:`rollback` activates an older version; :func:`load_active` loads
the active version after :func:`core.model_io.load_model`'s checks (hash, skops format,
type allow-list). A refused file is logged and the last good model loaded in this
process stays in use (or None when there is none); the registry is not changed by a load.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_limits

from core.buying_power import (
    FEATURES,
    TARGET,
    BuyingPowerModel,
    LinearBuyingPower,
    cv_groups,
    how_sure,
    workspace_scales,
)
from core.forecast import (
    FrameKind,
    History,
    StreamCase,
    build_history,
    make_training_set,
    simulated_cases,
)
from core.forecast_model import GmvForecaster, beats_run_rate, check_on_real, real_metrics
from core.model_io import ALLOWED_TYPES, ModelRefused, dump_model, load_model, sha256_file
from storage import repositories as repo
from storage.engine import make_engine, session_scope
from storage.errors import ModelVersionNotFound
from storage.models import MODEL_KINDS

__all__ = [
    "ALLOWED_TYPES",
    "KINDS",
    "MIN_REAL_STREAMS",
    "MIN_STREAMS",
    "MIN_VIEWER_ROWS",
    "TRAIN_HORIZONS",
    "LoadedModel",
    "NotEnoughData",
    "PromoteResult",
    "TrainResult",
    "gather_forecast_cases",
    "gather_viewers",
    "load_active",
    "model_path",
    "promote_if_better",
    "rollback",
    "train",
    "training_executor",
]

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = MODEL_KINDS
MIN_VIEWER_ROWS = 50
"""Fewer viewer rows with a spend than this: no buying-power training."""
MIN_STREAMS = 120
"""Real sessions are made up to this many streams with simulated ones."""
MIN_REAL_STREAMS = 10
"""A forecaster is promoted only once it beats the run-rate on at least this many real
streams it did not learn from: simulated streams alone vouch for nothing."""
REAL_INTERVAL_ROWS = 40
"""From this many held-out rows of real streams the forecaster's interval is set on them."""
TRAIN_HORIZONS: tuple[int, ...] = (600, 900, 1200, 1800, 2400, 3600, 4800, 6000)
"""Elapsed seconds at which training rows are taken (the metrics report 15/30/60 min)."""
HISTORY_SESSIONS = 5
SIMULATION_SEED = 20_261_120
_EXPECTED: dict[str, type] = {"buying_power": BuyingPowerModel, "forecast": GmvForecaster}


class NotEnoughData(ValueError):
    """Too little data to train that kind of model."""


@dataclass(frozen=True)
class TrainResult:
    """A trained, registered (inactive) model version. ``metrics`` holds the candidate's
    cross-validated metrics and, under ``"baseline"``, the baseline's."""

    kind: str
    version: int
    path: str
    """File name inside ``models_dir``."""
    sha256: str
    rows_used: int
    metrics: dict[str, Any]
    trained_at: datetime
    beats_baseline: bool
    seconds: float


@dataclass(frozen=True)
class PromoteResult:
    """What :func:`promote_if_better` did. ``reason``: "first" (no active version),
    "better", "forced", "not_better", "baseline" (does not beat the baseline),
    "few_real" (a forecaster with fewer than :data:`MIN_REAL_STREAMS` real streams to be
    judged on), "unchecked" (it replaces a forecaster whose figures were never measured on
    real streams), "active" (already active)."""

    kind: str
    version: int
    promoted: bool
    reason: str
    active_version: int | None
    active_metrics: dict[str, Any] | None = None


@dataclass(frozen=True)
class LoadedModel:
    """A model in use. ``fallback`` is true when the active version was refused and this
    is the last good one loaded before (``refused`` names the refused version)."""

    kind: str
    version: int
    model: Any
    sha256: str
    fallback: bool = False
    refused: int | None = None
    metrics: dict[str, Any] | None = field(default=None, compare=False)


# --------------------------------------------------------------------------- training data


def _engine(db: Engine | str) -> tuple[Engine, bool]:
    if isinstance(db, Engine):
        return db, False
    return make_engine(db), True


def gather_viewers(engine: Engine) -> pd.DataFrame:
    """Every viewer row with a known spend, of every workspace (canonical columns, and
    ``workspace_id`` and ``session_id`` for the folds)."""
    frames: list[pd.DataFrame] = []
    with session_scope(engine) as session:
        for ws in repo.list_workspaces(session, active_only=False):
            assert ws.id is not None
            for s in repo.all_sessions(session, workspace_id=ws.id):
                assert s.id is not None
                v = repo.viewers_frame(session, session_id=s.id)
                v = v[pd.to_numeric(v[TARGET], errors="coerce").notna()]
                if len(v):
                    frames.append(v.assign(workspace_id=ws.id, session_id=s.id))
    if not frames:
        return pd.DataFrame(columns=[*FEATURES, TARGET, "workspace_id", "session_id"])
    return pd.concat(frames, ignore_index=True)


def _final_and_frame(
    snaps: pd.DataFrame, minutes: pd.DataFrame
) -> tuple[pd.DataFrame, FrameKind, float] | None:
    def gmv(frame: pd.DataFrame) -> pd.Series:
        if len(frame) == 0 or "gmv" not in frame.columns:
            return pd.Series(dtype=float)
        return pd.Series(pd.to_numeric(frame["gmv"], errors="coerce"), dtype=float).dropna()

    snap_gmv, min_gmv = gmv(snaps), gmv(minutes)
    if len(min_gmv) >= 2:
        final = float(min_gmv.sum())
    elif len(snap_gmv) >= 2:
        final = float(snap_gmv.iloc[-1])
    else:
        return None
    if len(snap_gmv) >= 2:
        return snaps, "snapshots", final
    return minutes, "minutes", final


def gather_forecast_cases(engine: Engine) -> list[StreamCase]:
    """Every closed session with a GMV timeline (snapshots preferred as the live view,
    minute rows otherwise; the final GMV from the minute rows when there are any), with
    its workspace's history from the sessions before it and the imported past sessions
    that started before it."""
    cases: list[StreamCase] = []
    with session_scope(engine) as session:
        for ws in repo.list_workspaces(session, active_only=False):
            assert ws.id is not None
            past = repo.past_sessions_frame(session, workspace_id=ws.id)
            earlier: list[tuple[pd.DataFrame, datetime, FrameKind]] = []
            for s in repo.all_sessions(session, workspace_id=ws.id):
                if s.status != "closed" or s.id is None:
                    continue
                got = _final_and_frame(
                    repo.snapshots_frame(session, session_id=s.id),
                    repo.minutes_frame(session, session_id=s.id),
                )
                if got is None:
                    continue
                frame, kind, final = got
                end = s.ended_at
                if end is None:
                    end = pd.Timestamp(frame["ts"].max()).to_pydatetime()
                planned = (end - s.started_at).total_seconds()
                if not (planned > 0 and math.isfinite(final)):
                    continue
                history = _history(past, earlier[-HISTORY_SESSIONS:], s.started_at)
                cases.append(
                    StreamCase(
                        frame, s.started_at, planned, final, history, kind, f"workspace-{ws.id}"
                    )
                )
                earlier.append((frame, s.started_at, kind))
    return cases


def _history(
    past: pd.DataFrame, earlier: list[tuple[pd.DataFrame, datetime, FrameKind]], before: datetime
) -> History | None:
    finals: list[float] = []
    if len(past):
        started = pd.to_datetime(past["started_at"], utc=True)
        mask = started.notna() & (started < pd.Timestamp(before))
        finals = [float(v) for v in pd.to_numeric(past.loc[mask, "gmv"], errors="coerce")]
    if not finals and not earlier:
        return None
    return build_history(finals, earlier)


# --------------------------------------------------------------------------------- train


def model_path(models_dir: str | Path, kind: str, version: int) -> Path:
    """Where version N of a kind lives: ``models_dir/{kind}-v{N}.skops``."""
    return Path(models_dir) / f"{kind}-v{version}.skops"


def _clean(obj: Any) -> Any:
    """JSON-safe metrics: NaN and infinities become None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _train_buying_power(engine: Engine) -> tuple[Any, dict[str, Any], int, bool]:
    viewers = gather_viewers(engine)
    if len(viewers) < MIN_VIEWER_ROWS:
        raise NotEnoughData(f"{len(viewers)} viewer rows with a spend; need {MIN_VIEWER_ROWS}")
    cols = [
        c
        for c in FEATURES
        if c in viewers.columns and pd.to_numeric(viewers[c], errors="coerce").notna().any()
    ]
    X = viewers[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    y = pd.to_numeric(viewers[TARGET], errors="coerce").to_numpy(float)
    model = BuyingPowerModel(candidate="auto")
    groups = cv_groups(viewers["workspace_id"], viewers["session_id"], model.cv)
    scale: np.ndarray | None = workspace_scales(viewers, viewers["workspace_id"])
    if scale is not None and np.isfinite(scale).sum() < MIN_VIEWER_ROWS:
        scale = None  # no money level to put the workspaces' currencies on one footing
    model.fit(X, y, groups=groups, scale=scale)
    scores = model.cv_scores_
    chosen = scores.get(model.chosen_, {})
    base = scores.get("linear", {})
    by_workspace = len(np.unique(viewers["workspace_id"])) >= model.cv
    metrics: dict[str, Any] = {
        "r2": chosen.get("r2"),
        "mae": chosen.get("mae"),
        "bias": chosen.get("bias"),
        "model": model.chosen_,
        "features": cols,
        "scaled": model.scaled_,
        "held_out": ("workspaces" if by_workspace else "sessions") if scores else None,
        "how_sure": how_sure(chosen.get("r2")),
        "baseline": {
            "name": "linear",
            "r2": base.get("r2"),
            "mae": base.get("mae"),
            "bias": base.get("bias"),
        },
    }
    if isinstance(model.estimator_, LinearBuyingPower):
        metrics["coefficients"] = model.estimator_.coefficients
    r2, b_r2 = metrics["r2"], metrics["baseline"]["r2"]
    beats = r2 is None or b_r2 is None or r2 >= b_r2
    return model, metrics, len(X), beats


def _train_forecast(
    engine: Engine, min_streams: int, seed: int
) -> tuple[Any, dict[str, Any], int, bool]:
    real = gather_forecast_cases(engine)
    simulated: list[StreamCase] = []
    if len(real) < min_streams:
        simulated = simulated_cases(min_streams - len(real), seed=seed)
    data = make_training_set([*real, *simulated], TRAIN_HORIZONS)
    if len(np.unique(data.groups)) < 2 or len(data) < 10:
        raise NotEnoughData(f"{len(data)} training rows from {len(real)} sessions")
    model = GmvForecaster().fit(data.X, data.y, groups=data.groups)
    assert data.streams is not None
    is_real = data.streams < len(real)
    n_real = len(np.unique(data.streams[is_real]))
    check = check_on_real(data, is_real)
    metrics: dict[str, Any] = {"held_out": "real_streams", "baseline": {"name": "run_rate"}}
    if check is not None:
        scores = real_metrics(data, is_real, check)
        metrics["baseline"].update(scores.pop("baseline"))
        metrics.update(scores)
        metrics["real_folds"] = {"by": check.by, "folds": check.folds}
        resid = check.log_resid[is_real]
        if np.isfinite(resid).sum() >= REAL_INTERVAL_ROWS:
            model.calibrate_interval(data.X[is_real], resid)
    metrics["streams"] = len(np.unique(data.streams))
    metrics["real_streams"] = n_real
    metrics["min_real_streams"] = MIN_REAL_STREAMS
    metrics["simulated_streams"] = len(simulated)
    metrics["interval_folds"] = model.interval_folds_
    metrics["interval_by"] = model.interval_by_
    beats = n_real >= MIN_REAL_STREAMS and beats_run_rate(metrics)
    return model, metrics, len(data), beats


def train(
    kind: str,
    db: Engine | str,
    *,
    models_dir: str | Path,
    now: datetime | None = None,
    min_streams: int = MIN_STREAMS,
    seed: int = SIMULATION_SEED,
) -> TrainResult:
    """Train a ``kind`` model on all workspaces' data, write it and register it inactive.

    ``db`` is an engine, or a database URL (what a separate process gets). Raises
    :class:`NotEnoughData` when there is too little to learn from.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    engine, owned = _engine(db)
    started = datetime.now(UTC)
    try:
        # One OpenMP thread: the bot keeps the other core, and on a busy machine spinning
        # OpenMP workers make gradient boosting several times slower, not faster.
        with threadpool_limits(limits=1, user_api="openmp"):
            if kind == "buying_power":
                model, metrics, rows, beats = _train_buying_power(engine)
            else:
                model, metrics, rows, beats = _train_forecast(engine, min_streams, seed)
        metrics = _clean(metrics)
        folder = Path(models_dir)
        folder.mkdir(parents=True, exist_ok=True)
        trained_at = now or datetime.now(UTC)
        with session_scope(engine) as session:
            versions = repo.list_model_versions(session, kind=kind)
            guess = (versions[0].version + 1) if versions else 1
        target = model_path(folder, kind, guess)
        digest = dump_model(model, target)
        with session_scope(engine) as session:
            row = repo.add_model_version(
                session,
                kind=kind,
                trained_at=trained_at,
                sha256=digest,
                path=target.name,
                rows_used=rows,
                metrics=metrics,
                activate=False,
            )
            if row.version != guess:  # another trainer took that number meanwhile
                final = model_path(folder, kind, row.version)
                os.replace(target, final)
                row.path = final.name
                session.add(row)
            version, name = row.version, row.path
        seconds = (datetime.now(UTC) - started).total_seconds()
        log.info("trained %s v%s on %s rows in %.1f s: %s", kind, version, rows, seconds, metrics)
        return TrainResult(kind, version, name, digest, rows, metrics, trained_at, beats, seconds)
    finally:
        if owned:
            engine.dispose()


def training_executor(max_workers: int = 1) -> ProcessPoolExecutor:
    """A process pool for :func:`train` (forkserver where available, else spawn: never a
    fork of the running bot)."""
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    return ProcessPoolExecutor(
        max_workers=max_workers, mp_context=multiprocessing.get_context(method)
    )


# ------------------------------------------------------------------------ promote, rollback

_HIGHER_IS_BETTER = {"buying_power": ("r2", True), "forecast": ("mape_30m", False)}


def _better(kind: str, new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    key, higher = _HIGHER_IS_BETTER[kind]
    a = new.get(key)
    b = (old or {}).get(key)
    if a is None:
        return False
    if b is None:
        return True
    return bool(a > b) if higher else bool(a < b)


def _resolve(models_dir: str | Path, name: str) -> Path:
    root = Path(models_dir).resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ModelRefused("path", f"{name!r} is outside the models folder")
    return path


def _verify(kind: str, models_dir: str | Path, name: str, sha256: str) -> Any:
    return load_model(
        _resolve(models_dir, name),
        sha256=sha256,
        allowed=ALLOWED_TYPES,
        expected=_EXPECTED[kind],
    )


def promote_if_better(
    result: TrainResult, engine: Engine, *, models_dir: str | Path, force: bool = False
) -> PromoteResult:
    """Activate the trained version when it beats its baseline and the active version's
    metric (buying power: CV R², higher; forecast: MAPE at 30 minutes on real streams held
    out, lower, and only with :data:`MIN_REAL_STREAMS` of them), or when ``force``. Its
    file is verified first (:class:`ModelRefused` if it fails)."""
    kind = result.kind
    with session_scope(engine) as session:
        active = repo.active_model_version(session, kind=kind)
        active_version = active.version if active is not None else None
        active_metrics = dict(active.metrics or {}) if active is not None else None
    if active_version == result.version:
        return PromoteResult(kind, result.version, False, "active", active_version, active_metrics)
    few_real = kind == "forecast" and int(result.metrics.get("real_streams") or 0) < int(
        result.metrics.get("min_real_streams") or 0
    )
    if force:
        reason = "forced"
    elif few_real:
        reason = "few_real"
    elif not result.beats_baseline:
        reason = "baseline"
    elif active_version is None:
        reason = "first"
    elif kind == "forecast" and (active_metrics or {}).get("held_out") != "real_streams":
        reason = "unchecked"  # its figures came from folds of mostly simulated streams
    elif _better(kind, result.metrics, active_metrics):
        reason = "better"
    else:
        reason = "not_better"
    if reason in ("baseline", "few_real", "not_better"):
        return PromoteResult(kind, result.version, False, reason, active_version, active_metrics)
    _verify(kind, models_dir, result.path, result.sha256)
    with session_scope(engine) as session:
        repo.activate_model_version(session, kind=kind, version=result.version, chosen=force)
    log.info("%s v%s promoted (%s)", kind, result.version, reason)
    return PromoteResult(kind, result.version, True, reason, active_version, active_metrics)


def rollback(kind: str, version: int, engine: Engine, *, models_dir: str | Path) -> int | None:
    """Make ``version`` the active one again after verifying its file; returns the version
    that was active before. Raises ``ModelVersionNotFound`` or :class:`ModelRefused`."""
    with session_scope(engine) as session:
        rows = [v for v in repo.list_model_versions(session, kind=kind) if v.version == version]
        if not rows:
            raise ModelVersionNotFound(f"{kind} model version {version}")
        row = rows[0]
        active = repo.active_model_version(session, kind=kind)
        before = active.version if active is not None else None
        name, digest = row.path, row.sha256
    _verify(kind, models_dir, name, digest)
    with session_scope(engine) as session:
        repo.activate_model_version(session, kind=kind, version=version, chosen=True)
    log.info("%s rolled back to v%s (was v%s)", kind, version, before)
    return before


# --------------------------------------------------------------------------------- load

_lock = threading.Lock()
_last_good: dict[tuple[str, str], LoadedModel] = {}


def load_active(
    kind: str,
    engine: Engine,
    *,
    models_dir: str | Path,
    on_refused: Callable[[int, ModelRefused], None] | None = None,
) -> LoadedModel | None:
    """The active ``kind`` model, verified and loaded (cached while its hash holds).

    When the active file is refused (wrong hash, not skops — a pickle, say —, a type
    outside :data:`ALLOWED_TYPES`, missing), the error is logged, ``on_refused`` is
    called, and the last good model of that kind loaded in this process is returned with
    ``fallback=True`` — or None when there is none. None also when no version is active.
    """
    with session_scope(engine) as session:
        active = repo.active_model_version(session, kind=kind)
        if active is None:
            return None
        version, name, digest = active.version, active.path, active.sha256
        metrics = dict(active.metrics or {})
    key = (kind, str(Path(models_dir).resolve()))
    with _lock:
        previous = _last_good.get(key)
    try:
        if previous is not None and previous.version == version and previous.sha256 == digest:
            # cached object; the file must still be the one recorded
            path = _resolve(models_dir, name)
            if not path.is_file() or sha256_file(path) != digest:
                raise ModelRefused("hash", f"{path} changed since it was loaded")
            return previous
        model = _verify(kind, models_dir, name, digest)
    except ModelRefused as exc:
        log.error("%s model v%s refused (%s): %s", kind, version, exc.reason, exc.detail)
        if on_refused is not None:
            on_refused(version, exc)
        if previous is None:
            return None
        log.error("%s: keeping v%s in use", kind, previous.version)
        return LoadedModel(
            kind,
            previous.version,
            previous.model,
            previous.sha256,
            fallback=True,
            refused=version,
            metrics=previous.metrics,
        )
    loaded = LoadedModel(kind, version, model, digest, metrics=metrics)
    with _lock:
        _last_good[key] = loaded
    return loaded
