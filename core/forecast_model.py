"""The session GMV forecaster — the scikit-learn part of the forecast.

:class:`GmvForecaster` learns the final GMV from the scale-free features of
:func:`core.forecast_live.features_at`; its 80 % interval is conformal, from residuals
of streams held out of the fit by folds grouped by workspace.
:func:`cross_validate_forecaster` scores it beside the run-rate with the same grouping;
:func:`check_on_real` forecasts a shop's real streams with models fitted without them, so
that a model trained mostly on simulated streams is judged, and its interval set, on
streams like the ones it will forecast.
Kept apart so that a live forecast does not load scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from core.forecast_live import MODEL_FEATURES
from core.forecast_training import TrainingSet, error_summary

__all__ = [
    "GmvForecaster",
    "RealCheck",
    "beats_run_rate",
    "check_on_real",
    "cross_validate_forecaster",
    "real_metrics",
]


# ------------------------------------------------------------------------ the estimator


def _frame(X: Any, names: Sequence[str]) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        df = X.copy()
    elif isinstance(X, Mapping):
        df = pd.DataFrame([X])
    else:
        arr = np.asarray(X, dtype=float)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        if arr.shape[1] != len(names):
            raise ValueError(f"expected {len(names)} columns ({', '.join(names)})")
        df = pd.DataFrame(arr, columns=list(names))
    for c in names:
        if c not in df.columns:
            df[c] = np.nan
    numeric: pd.DataFrame = df[list(names)].apply(pd.to_numeric, errors="coerce").astype(float)
    return numeric


_INPUT = (*MODEL_FEATURES, "run_rate", "gmv_so_far")
_BAND_EDGES_S = (750.0, 1350.0, 2700.0, 4200.0)
"""Elapsed-time bands of the interval (the residuals narrow as the stream goes on):
10 min, 15–20 min, 30–40 min, 60 min, later."""
_MIN_CELL = 30


def _cells(df: pd.DataFrame, edges: np.ndarray, cv_edges: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each row's band of elapsed time and of how unevenly its GMV came so far (the
    coefficient of variation of the GMV rate between pushes; unknown counts as the
    middle)."""
    observed = df["observed_s"].fillna(0.0).to_numpy(float)
    band = np.digitize(observed, edges)
    cv = df["gmv_rate_cv"].to_numpy(float)
    cv = np.where(np.isfinite(cv), cv, float(np.mean(cv_edges)) if len(cv_edges) else 0.0)
    return band, np.digitize(cv, cv_edges)


def _conformal(resid: np.ndarray, coverage: float) -> np.ndarray:
    """The (low, high) residual quantiles of a split-conformal interval: the ranks are
    rounded outwards for a finite sample, so the coverage holds on new streams like
    these."""
    n = len(resid)
    alpha = (1.0 - coverage) / 2.0
    r = np.sort(resid)
    k_hi = min(math.ceil((n + 1) * (1.0 - alpha)), n) - 1
    k_lo = max(math.floor((n + 1) * alpha), 1) - 1
    return np.array([r[k_lo], r[k_hi]])


def _interval_table(
    df: pd.DataFrame, resid: np.ndarray, edges: np.ndarray, cv_edges: np.ndarray, coverage: float
) -> np.ndarray:
    """Conformal (low, high) log-residual bounds per band of elapsed time and level of
    unevenness; a cell with fewer than :data:`_MIN_CELL` rows takes its band's, a band
    with fewer takes the bounds of all rows."""
    band, level = _cells(df, edges, cv_edges)
    overall = _conformal(resid, coverage)
    table = np.empty((len(edges) + 1, len(cv_edges) + 1, 2))
    for b in range(len(edges) + 1):
        in_band = band == b
        by_band = _conformal(resid[in_band], coverage) if in_band.sum() >= _MIN_CELL else overall
        for h in range(len(cv_edges) + 1):
            cell = in_band & (level == h)
            table[b, h] = _conformal(resid[cell], coverage) if cell.sum() >= _MIN_CELL else by_band
    return table


class GmvForecaster(RegressorMixin, BaseEstimator):
    """Final session GMV from :func:`features_at` rows (a DataFrame, or arrays with the
    columns of :data:`MODEL_FEATURES` + ``run_rate``, ``gmv_so_far``).

    Learns log(final / run-rate) with histogram gradient boosting (missing features
    handled natively) from features that carry no money, so it is the same at any price
    level and audience size. ``fit(X, y, groups=…)`` takes each row's group (its
    workspace): the out-of-fold residuals that set the interval come from folds that
    hold whole groups out (without groups: contiguous blocks of rows, which keeps a
    stream's rows together when they come stream by stream). Fitted: ``estimator_``,
    ``model_features_``, ``feature_names_in_``, ``n_features_in_``, ``interval_edges_``,
    ``cv_edges_``, ``interval_folds_`` (how the interval's folds were split: ``by``
    "groups", "blocks" or "none", their number, and the number of groups),
    ``interval_`` (conformal residual bounds per band of elapsed time and tercile of how
    unevenly the GMV came so far) and ``interval_by_`` ("folds": from the fit's own folds;
    "held_out_rows": set by :meth:`calibrate_interval`).
    """

    def __init__(
        self,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        coverage: float = 0.8,
        n_splits: int = 5,
        loss: str = "absolute_error",
        offset: str = "history",
        target: str = "ratio",
        random_state: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.coverage = coverage
        self.n_splits = n_splits
        self.loss = loss
        self.offset = offset
        self.target = target
        self.random_state = random_state

    def _booster(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss=self.loss,
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )

    def fit(self, X: Any, y: Any, groups: Any = None) -> GmvForecaster:
        # a few thousand rows: one thread is faster than OpenMP's start-up on every tree
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._fit(X, y, groups)

    def _fit(self, X: Any, y: Any, groups: Any) -> GmvForecaster:
        df = _frame(X, _INPUT)
        target = np.asarray(y, dtype=float).ravel()
        if len(target) != len(df):
            raise ValueError(f"X has {len(df)} rows, y {len(target)}")
        g = None if groups is None else np.asarray(groups).ravel()
        if g is not None and len(g) != len(df):
            raise ValueError(f"X has {len(df)} rows, groups {len(g)}")
        rr = df["run_rate"].to_numpy(float)
        keep = np.isfinite(target) & (target > 0) & np.isfinite(rr) & (rr > 0)
        if keep.sum() < 10:
            raise ValueError(
                f"need at least 10 rows with a run-rate and a final GMV, got {keep.sum()}"
            )
        df, target, rr = df.loc[keep].reset_index(drop=True), target[keep], rr[keep]
        z = np.log(target) - np.log(rr) - self._offset(df)
        feats = df[list(MODEL_FEATURES)]
        folds: list[tuple[np.ndarray, np.ndarray]] = []
        if g is not None:
            g = g[keep]
            splits = min(self.n_splits, len(np.unique(g)))
            if splits >= 2:
                folds = list(GroupKFold(n_splits=splits).split(feats, z, g))
        elif len(df) >= 10 * self.n_splits:
            folds = list(KFold(self.n_splits).split(feats))
        self.estimator_ = self._fit_booster(feats, z)
        oof = self._predict_z(self.estimator_, feats)
        for train, test in folds:
            fold_model = self._fit_booster(feats.iloc[train], z[train])
            oof[test] = self._predict_z(fold_model, feats.iloc[test])
        resid = z - oof
        edges = np.asarray(_BAND_EDGES_S, dtype=float)
        cv_all = df["gmv_rate_cv"].to_numpy(float)
        cv_all = cv_all[np.isfinite(cv_all)]
        cv_edges = (
            np.quantile(cv_all, [1 / 3, 2 / 3]) if len(cv_all) >= 3 * _MIN_CELL else np.array([])
        )
        table = _interval_table(df, resid, edges, cv_edges, self.coverage)
        self.interval_folds_ = {
            "by": "groups" if g is not None else ("blocks" if folds else "none"),
            "folds": len(folds),
            "groups": len(np.unique(g)) if g is not None else None,
        }
        self.cv_edges_ = cv_edges
        self.interval_edges_ = edges
        self.interval_ = table
        self.interval_by_ = "folds"
        self.model_features_ = list(MODEL_FEATURES)
        self.feature_names_in_ = np.asarray(_INPUT, dtype=object)
        self.n_features_in_ = len(_INPUT)
        return self

    def calibrate_interval(self, X: Any, log_resid: Any) -> GmvForecaster:
        """Set the interval from the log residuals (log final GMV − log forecast) of rows
        that models without them forecast — e.g. real streams held out of the fit, when the
        fit's own folds were mostly simulated streams. ``interval_by_`` says which."""
        check_is_fitted(self, "estimator_")
        df = _frame(X, _INPUT)
        resid = np.asarray(log_resid, dtype=float).ravel()
        ok = np.isfinite(resid)
        if ok.sum() < _MIN_CELL:
            raise ValueError(f"need at least {_MIN_CELL} residuals, got {ok.sum()}")
        self.interval_ = _interval_table(
            df.loc[ok].reset_index(drop=True),
            resid[ok],
            self.interval_edges_,
            self.cv_edges_,
            self.coverage,
        )
        self.interval_by_ = "held_out_rows"
        return self

    def _fit_booster(self, feats: pd.DataFrame, z: np.ndarray) -> HistGradientBoostingRegressor:
        """With ``target="ratio"`` the trees learn the ratio u = e^z weighted by 1/u, so
        that the absolute error they minimise is the relative error of the forecast;
        with ``"log"``, z itself."""
        if self.target == "ratio":
            u = np.exp(z)
            return self._booster().fit(feats, u, sample_weight=1.0 / u)
        return self._booster().fit(feats, z)

    def _predict_z(self, booster: HistGradientBoostingRegressor, feats: pd.DataFrame) -> np.ndarray:
        out = np.asarray(booster.predict(feats), dtype=float)
        if getattr(self, "target", "log") == "ratio":
            logged: np.ndarray = np.log(np.clip(out, 1e-3, None))
            return logged
        return out

    def _log_pred(self, X: Any) -> tuple[pd.DataFrame, np.ndarray]:
        check_is_fitted(self, "estimator_")
        df = _frame(X, _INPUT)
        with threadpool_limits(limits=1, user_api="openmp"):
            z = self._predict_z(self.estimator_, df[list(self.model_features_)])
        rr = df["run_rate"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            base = np.where(rr > 0, np.log(rr), np.nan)
        return df, base + self._offset(df) + z

    def _offset(self, df: pd.DataFrame) -> np.ndarray:
        """The starting point the trees correct: with ``offset="history"``, the log of the
        workspace's own final / run-rate ratio at this elapsed time, where known."""
        if getattr(self, "offset", "none") != "history":
            return np.zeros(len(df))
        r = df["hist_rr_ratio"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.where(np.isfinite(r) & (r > 0), np.log(r), 0.0)
        return np.clip(off, -2.0, 2.0)

    @staticmethod
    def _money(df: pd.DataFrame, log_value: np.ndarray) -> np.ndarray:
        value = np.exp(log_value)
        floor = df["gmv_so_far"].to_numpy(float)
        floored: np.ndarray = np.where(np.isfinite(floor), np.fmax(value, floor), value)
        return floored

    def predict(self, X: Any) -> np.ndarray:
        """Forecast final GMV per row (NaN where the run-rate is unknown or zero)."""
        df, lv = self._log_pred(X)
        return self._money(df, lv)

    def predict_interval(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) bounds of the ``coverage`` interval per row."""
        df, lv = self._log_pred(X)
        band, level = _cells(df, self.interval_edges_, self.cv_edges_)
        q = self.interval_[band, level]
        return self._money(df, lv + q[:, 0]), self._money(df, lv + q[:, 1])


def cross_validate_forecaster(
    data: TrainingSet,
    estimator: GmvForecaster | None = None,
    *,
    n_splits: int = 5,
) -> dict[str, Any]:
    """Out-of-fold R², MAE, MAPE and MAPE per horizon of ``estimator`` (default
    :class:`GmvForecaster`), folds grouped by workspace (``data.groups``), beside the
    run-rate's on the same rows: ``{"r2", "mae", "mape", "mape_15m", …, "baseline": {…}}``."""
    est = estimator if estimator is not None else GmvForecaster()
    n_groups = len(np.unique(data.groups))
    splits = min(n_splits, n_groups)
    if splits < 2:
        raise ValueError("need at least two streams to cross-validate")
    pred = np.full(len(data.y), np.nan)
    for train, test in GroupKFold(n_splits=splits).split(data.X, data.y, data.groups):
        model = clone(est).fit(data.X.iloc[train], data.y[train], groups=data.groups[train])
        pred[test] = model.predict(data.X.iloc[test])
    base = data.X["run_rate"].to_numpy(float)
    out: dict[str, Any] = error_summary(data.y, pred, data.horizons)
    out["baseline"] = error_summary(data.y, base, data.horizons)
    out["rows"] = len(data.y)
    out["streams"] = n_groups
    return out


@dataclass(frozen=True)
class RealCheck:
    """Forecasts of the rows of real streams by models that did not learn from them
    (NaN on the other rows), their log residuals, and how the folds held them out:
    ``by`` "workspaces" or "streams"."""

    pred: np.ndarray
    log_resid: np.ndarray
    by: str
    folds: int


def check_on_real(
    data: TrainingSet,
    real: Any,
    estimator: GmvForecaster | None = None,
    *,
    n_splits: int = 5,
) -> RealCheck | None:
    """Forecast each real stream (rows where ``real`` is true) with ``estimator`` (default
    :class:`GmvForecaster`) fitted on every other row — the simulated streams included —
    folds holding out whole workspaces when the real streams come from three or more,
    else whole streams in blocks of time. What a model fitted on simulated streams is
    worth on a shop's own streams: None with fewer than two real streams."""
    est = estimator if estimator is not None else GmvForecaster()
    mask = np.asarray(real, dtype=bool)
    assert data.streams is not None
    streams = np.unique(data.streams[mask])
    if len(streams) < 2:
        return None
    workspaces = np.unique(data.groups[mask])
    if len(workspaces) >= 3:
        by, units, of_row = "workspaces", workspaces, data.groups
    else:
        by, units, of_row = "streams", streams, data.streams
    splits = min(n_splits, len(units))
    pred = np.full(len(data.y), np.nan)
    log_pred = np.full(len(data.y), np.nan)
    for _, test_units in KFold(n_splits=splits).split(units):
        test = mask & np.isin(of_row, units[test_units])
        # forecasts only: the fold's model needs no interval, so no folds of its own
        model = clone(est).set_params(n_splits=1)
        model.fit(data.X[~test], data.y[~test], groups=data.groups[~test])
        df, lv = model._log_pred(data.X[test])
        pred[test] = model._money(df, lv)
        log_pred[test] = lv
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = np.where(mask & (data.y > 0), np.log(data.y) - log_pred, np.nan)
    return RealCheck(pred, resid, by, splits)


def real_metrics(data: TrainingSet, real: Any, check: RealCheck) -> dict[str, Any]:
    """R², MAE, MAPE and MAPE per horizon of the held-out forecasts of the real rows, with
    the run-rate's on the same rows under ``"baseline"``."""
    mask = np.asarray(real, dtype=bool)
    y, h = data.y[mask], data.horizons[mask]
    out: dict[str, Any] = dict(error_summary(y, check.pred[mask], h))
    out["baseline"] = error_summary(y, data.X["run_rate"].to_numpy(float)[mask], h)
    return out


def beats_run_rate(metrics: Mapping[str, Any]) -> bool:
    """Better than the run-rate at 30 minutes (over all rows when none is that long) and
    no worse at 15 or 60 minutes: ``metrics`` as :func:`real_metrics` makes them."""
    base = metrics.get("baseline") or {}
    key = "mape_30m" if metrics.get("mape_30m") is not None else "mape"
    ours, theirs = metrics.get(key), base.get(key)
    if ours is None or theirs is None or not ours < theirs:
        return False
    for other in ("mape_15m", "mape_60m"):
        a, b = metrics.get(other), base.get(other)
        if a is not None and b is not None and a > b:
            return False
    return True
