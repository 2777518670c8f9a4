"""Buying power: per-viewer predicted spend.

The baseline is the linear model y = β0 + Σ βi·xi (:class:`LinearBuyingPower`), fitted
once on all rows. :class:`BuyingPowerModel` also fits a stronger model (histogram
gradient boosting) and keeps it only when its cross-validated R² beats the baseline's.
Both follow the scikit-learn estimator contract (``fit`` returns ``self``, fitted
attributes end in ``_``, ``predict`` refuses to run before ``fit``). They use the columns
they are given; :func:`feature_frame` picks the canonical :data:`FEATURES` present in a
viewers frame. Missing feature values are filled with the training median (linear) or
handled natively (boosting).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_validate
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "FEATURES",
    "TARGET",
    "BuyingPowerModel",
    "LinearBuyingPower",
    "feature_frame",
    "metrics",
    "tiers",
]

FEATURES = ["watch_time_s", "likes", "comments", "shares", "purchase_count", "purchase_amount"]
TARGET = "spend"
TIER_SHARES = (("top", 0.10), ("middle", 0.30))
"""Top 10 % of scores, the next 30 %, the rest."""
CV_MAX_ROWS = 50_000
MIN_ROWS = 10
"""Fewer training rows than this: no fit (ValueError)."""
_R2_MARGIN = 0.005
"""The stronger model must beat the baseline's CV R² by this much."""


def feature_frame(viewers: pd.DataFrame) -> pd.DataFrame:
    """The canonical features present (with at least one value) in ``viewers``, as floats."""
    cols = [
        c
        for c in FEATURES
        if c in viewers.columns and pd.to_numeric(viewers[c], errors="coerce").notna().any()
    ]
    return viewers[cols].apply(pd.to_numeric, errors="coerce").astype(float)


def _as_frame(X: Any, names: list[str] | None = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        df = X
    else:
        arr = np.asarray(X, dtype=float)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        cols = (
            names
            if names is not None and len(names) == arr.shape[1]
            else [f"x{i}" for i in range(arr.shape[1])]
        )
        df = pd.DataFrame(arr, columns=cols)
    return df.apply(pd.to_numeric, errors="coerce").astype(float)


def _training_data(X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray]:
    df = _as_frame(X)
    target = pd.to_numeric(pd.Series(np.asarray(y).ravel()), errors="coerce").to_numpy(float)
    if len(target) != len(df):
        raise ValueError(f"X has {len(df)} rows, y {len(target)}")
    if df.shape[1] == 0:
        raise ValueError("no feature columns")
    keep = np.isfinite(target)
    df, target = df.loc[keep].reset_index(drop=True), target[keep]
    if len(df) < MIN_ROWS:
        raise ValueError(f"need at least {MIN_ROWS} rows with a target, got {len(df)}")
    return df, target


class LinearBuyingPower(RegressorMixin, BaseEstimator):
    """The article's y = β0 + Σ βi·xi, fitted once by least squares on all rows."""

    def fit(self, X: Any, y: Any) -> LinearBuyingPower:
        df, target = _training_data(X, y)
        self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        self.n_features_in_ = df.shape[1]
        med = df.median()
        self.fill_values_ = med.fillna(0.0).to_numpy(float)
        lr = LinearRegression().fit(df.fillna(med).fillna(0.0).to_numpy(float), target)
        self.coef_ = lr.coef_
        self.intercept_ = float(lr.intercept_)
        return self

    def _matrix(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        names = [str(c) for c in self.feature_names_in_]
        df = _as_frame(X, names)
        missing = [c for c in names if c not in df.columns]
        if missing:
            raise ValueError(f"missing feature columns: {missing}")
        arr = df[names].to_numpy(float)
        nan = np.isnan(arr)
        if nan.any():
            arr = np.where(nan, self.fill_values_, arr)
        return arr

    def predict(self, X: Any) -> np.ndarray:
        """Predicted spend per row."""
        return self._matrix(X) @ self.coef_ + self.intercept_

    @property
    def coefficients(self) -> dict[str, float]:
        """β per feature name (after fit)."""
        check_is_fitted(self, "coef_")
        return {str(n): float(b) for n, b in zip(self.feature_names_in_, self.coef_, strict=True)}


def _boosting(random_state: int) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        max_iter=150,
        learning_rate=0.1,
        max_leaf_nodes=31,
        early_stopping=False,
        random_state=random_state,
    )


class BuyingPowerModel(RegressorMixin, BaseEstimator):
    """The linear baseline, or a stronger model when cross-validation says it is better.

    ``candidate``: "auto" compares both, "linear" or "boosting" forces one. CV runs on at
    most ``cv_max_rows`` sampled rows; the chosen model is then fitted on all rows.
    Fitted: ``chosen_`` ("linear" | "boosting"), ``cv_scores_`` ({name: {"r2", "mae"}},
    empty when there are too few rows for ``cv`` folds), ``estimator_``,
    ``feature_names_in_``, ``n_features_in_``.
    """

    def __init__(
        self,
        candidate: Literal["auto", "linear", "boosting"] = "auto",
        cv: int = 5,
        random_state: int = 0,
        cv_max_rows: int = CV_MAX_ROWS,
    ) -> None:
        self.candidate = candidate
        self.cv = cv
        self.random_state = random_state
        self.cv_max_rows = cv_max_rows

    def _candidates(self) -> list[str]:
        if self.candidate == "auto":
            return ["linear", "boosting"]
        if self.candidate in ("linear", "boosting"):
            return [self.candidate]
        raise ValueError(f"unknown candidate {self.candidate!r}")

    def _make(self, name: str) -> BaseEstimator:
        return LinearBuyingPower() if name == "linear" else _boosting(self.random_state)

    def fit(self, X: Any, y: Any) -> BuyingPowerModel:
        df, target = _training_data(X, y)
        names = self._candidates()
        scores: dict[str, dict[str, float]] = {}
        if len(df) >= max(2 * self.cv, MIN_ROWS * 2):
            rng = np.random.default_rng(self.random_state)
            idx = np.arange(len(df))
            if len(idx) > self.cv_max_rows:
                idx = np.sort(rng.choice(idx, self.cv_max_rows, replace=False))
            Xs, ys = df.iloc[idx], target[idx]
            folds = KFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
            for name in names:
                res = cross_validate(
                    self._make(name),
                    Xs,
                    ys,
                    cv=folds,
                    scoring=("r2", "neg_mean_absolute_error"),
                )
                scores[name] = {
                    "r2": float(np.mean(res["test_r2"])),
                    "mae": float(-np.mean(res["test_neg_mean_absolute_error"])),
                }
        chosen = names[0]
        if (
            len(names) == 2
            and "boosting" in scores
            and scores["boosting"]["r2"] > scores["linear"]["r2"] + _R2_MARGIN
        ):
            chosen = "boosting"
        self.cv_scores_ = scores
        self.chosen_ = chosen
        self.estimator_ = self._make(chosen).fit(df, target)
        self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        self.n_features_in_ = df.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted spend per row."""
        check_is_fitted(self, "estimator_")
        names = [str(c) for c in self.feature_names_in_]
        df = _as_frame(X, names)
        missing = [c for c in names if c not in df.columns]
        if missing:
            raise ValueError(f"missing feature columns: {missing}")
        return np.asarray(self.estimator_.predict(df[names]), dtype=float)


def tiers(scores: Any) -> np.ndarray:
    """Label each score "top" (highest 10 %), "middle" (next 30 %) or "rest".

    Ties are broken by position; missing scores get None.
    """
    s = np.asarray(scores, dtype=float).ravel()
    out = np.full(len(s), None, dtype=object)
    ok = np.flatnonzero(np.isfinite(s))
    if len(ok) == 0:
        return out
    order = ok[np.argsort(-s[ok], kind="stable")]
    n = len(order)
    n_top = round(TIER_SHARES[0][1] * n)
    n_mid = round((TIER_SHARES[0][1] + TIER_SHARES[1][1]) * n)
    out[order] = "rest"
    out[order[n_top:n_mid]] = "middle"
    out[order[:n_top]] = "top"
    return out


def metrics(y: Any, pred: Any) -> dict[str, float | None]:
    """R² and mean absolute error over the rows where both are known (None when they
    cannot be computed: no rows, or R² of a constant target)."""
    a = np.asarray(y, dtype=float).ravel()
    p = np.asarray(pred, dtype=float).ravel()
    ok = np.isfinite(a) & np.isfinite(p)
    a, p = a[ok], p[ok]
    if len(a) == 0:
        return {"r2": None, "mae": None}
    mae = float(np.abs(a - p).mean())
    ss_tot = float(((a - a.mean()) ** 2).sum())
    r2 = None if len(a) < 2 or ss_tot <= 0 else float(1 - ((a - p) ** 2).sum() / ss_tot)
    return {"r2": r2, "mae": mae}
