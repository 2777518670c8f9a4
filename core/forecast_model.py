"""The session GMV forecaster — the scikit-learn part of :mod:`core.forecast`.

:class:`GmvForecaster` learns the final GMV from the features of
:func:`core.forecast.features_at`; :func:`cross_validate_forecaster` scores it beside the
run-rate with folds grouped by stream. Kept apart so that a live forecast does not load
scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from core.forecast import MODEL_FEATURES, TrainingSet, _summary

__all__ = ["GmvForecaster", "cross_validate_forecaster"]


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
    return df[list(names)].apply(pd.to_numeric, errors="coerce").astype(float)


_INPUT = (*MODEL_FEATURES, "run_rate", "gmv_so_far")


class GmvForecaster(RegressorMixin, BaseEstimator):
    """Final session GMV from :func:`features_at` rows (a DataFrame, or arrays with the
    columns of :data:`MODEL_FEATURES` + ``run_rate``, ``gmv_so_far``).

    Learns log(1 + final) − log(1 + run-rate) with histogram gradient boosting (missing
    features handled natively). Fitted: ``estimator_``, ``feature_names_in_``,
    ``n_features_in_``, ``interval_edges_`` and ``interval_`` (out-of-fold residual
    quantiles per band of ``frac_elapsed``).
    """

    def __init__(
        self,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        coverage: float = 0.8,
        random_state: int = 0,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.coverage = coverage
        self.random_state = random_state

    def _booster(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )

    def fit(self, X: Any, y: Any) -> GmvForecaster:
        # a few thousand rows: one thread is faster than OpenMP's start-up on every tree
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._fit(X, y)

    def _fit(self, X: Any, y: Any) -> GmvForecaster:
        df = _frame(X, _INPUT)
        target = np.asarray(y, dtype=float).ravel()
        if len(target) != len(df):
            raise ValueError(f"X has {len(df)} rows, y {len(target)}")
        rr = df["run_rate"].to_numpy(float)
        keep = np.isfinite(target) & (target >= 0) & np.isfinite(rr) & (rr >= 0)
        if keep.sum() < 10:
            raise ValueError(
                f"need at least 10 rows with a run-rate and a final GMV, got {keep.sum()}"
            )
        df, target, rr = df.loc[keep].reset_index(drop=True), target[keep], rr[keep]
        z = np.log1p(target) - np.log1p(rr)
        feats = df[list(MODEL_FEATURES)]
        n_splits = 5 if len(df) >= 100 else 0
        if n_splits:
            folds = KFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
            oof = cross_val_predict(self._booster(), feats, z, cv=folds)
        else:
            oof = None
        self.estimator_ = self._booster().fit(feats, z)
        if oof is None:
            oof = self.estimator_.predict(feats)
        resid = z - oof
        edges = np.array([0.2, 0.5])
        band = np.digitize(df["frac_elapsed"].fillna(1.0).to_numpy(float), edges)
        lo_q, hi_q = (1 - self.coverage) / 2, 1 - (1 - self.coverage) / 2
        overall = np.quantile(resid, [lo_q, hi_q])
        rows = []
        for b in range(len(edges) + 1):
            r = resid[band == b]
            rows.append(np.quantile(r, [lo_q, hi_q]) if len(r) >= 20 else overall)
        self.interval_edges_ = edges
        self.interval_ = np.vstack(rows)
        self.feature_names_in_ = np.asarray(_INPUT, dtype=object)
        self.n_features_in_ = len(_INPUT)
        return self

    def _log_pred(self, X: Any) -> tuple[pd.DataFrame, np.ndarray]:
        check_is_fitted(self, "estimator_")
        df = _frame(X, _INPUT)
        with threadpool_limits(limits=1, user_api="openmp"):
            z = self.estimator_.predict(df[list(MODEL_FEATURES)])
        return df, np.log1p(df["run_rate"].to_numpy(float)) + z

    @staticmethod
    def _money(df: pd.DataFrame, log_value: np.ndarray) -> np.ndarray:
        value = np.expm1(log_value)
        floor = df["gmv_so_far"].to_numpy(float)
        return np.where(np.isfinite(floor), np.fmax(value, floor), value)

    def predict(self, X: Any) -> np.ndarray:
        """Forecast final GMV per row (NaN where the run-rate is unknown)."""
        df, lv = self._log_pred(X)
        return self._money(df, lv)

    def predict_interval(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) bounds of the ``coverage`` interval per row."""
        df, lv = self._log_pred(X)
        band = np.digitize(df["frac_elapsed"].fillna(1.0).to_numpy(float), self.interval_edges_)
        q = self.interval_[band]
        return self._money(df, lv + q[:, 0]), self._money(df, lv + q[:, 1])




def cross_validate_forecaster(
    data: TrainingSet,
    estimator: GmvForecaster | None = None,
    *,
    n_splits: int = 5,
) -> dict[str, Any]:
    """Out-of-fold R², MAE, MAPE and MAPE per horizon of ``estimator`` (default
    :class:`GmvForecaster`), folds grouped by stream, beside the run-rate's on the same
    rows: ``{"r2", "mae", "mape", "mape_15m", …, "baseline": {…}}``."""
    est = estimator if estimator is not None else GmvForecaster()
    n_groups = len(np.unique(data.groups))
    splits = min(n_splits, n_groups)
    if splits < 2:
        raise ValueError("need at least two streams to cross-validate")
    pred = np.full(len(data.y), np.nan)
    for train, test in GroupKFold(n_splits=splits).split(data.X, data.y, data.groups):
        model = clone(est).fit(data.X.iloc[train], data.y[train])
        pred[test] = model.predict(data.X.iloc[test])
    base = data.X["run_rate"].to_numpy(float)
    out: dict[str, Any] = _summary(data.y, pred, data.horizons)
    out["baseline"] = _summary(data.y, base, data.horizons)
    out["rows"] = len(data.y)
    out["streams"] = n_groups
    return out


