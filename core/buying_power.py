"""Buying power: per-viewer predicted spend.

Money does not mix across currencies: fitted with ``scale=`` (each row's workspace money
scale, :func:`money_scale`), the model learns spend in units of that scale from money
features in the same units, and multiplies back when it predicts — the estimate of a
workspace pricing in cents or in yen is the same, relative to its own prices.

The baseline is the linear model y = β0 + Σ βi·xi (:class:`LinearBuyingPower`), fitted
once on all rows. :class:`BuyingPowerModel` also fits a stronger model (histogram
gradient boosting, regularised: shallow trees, large leaves, L2 penalty, a small learning
rate) and keeps it only when its held-out R² beats the baseline's. Held out means folds
grouped by ``groups`` (the session, or the workspace, of each row: no session sits in
both the training and the test part of a fold); without groups the rows are one
session's and the folds are shuffled rows. Both follow the scikit-learn estimator
contract (``check_estimator`` passes). Missing feature values are filled with the
training median (linear) or handled natively (boosting). Predictions are not clipped:
summed over viewers they are unbiased (only a per-viewer score shown to a host is
clipped at 0).

:func:`how_sure` turns a held-out R² into the words hosts read ("high", "medium",
"low"); :func:`cv_groups` makes the fold groups from workspace and session ids.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "FEATURES",
    "MONEY_FEATURES",
    "TARGET",
    "BuyingPowerModel",
    "LinearBuyingPower",
    "cv_groups",
    "feature_frame",
    "held_out_predictions",
    "how_sure",
    "metrics",
    "money_scale",
    "tiers",
    "workspace_scales",
]

FEATURES = ["watch_time_s", "likes", "comments", "shares", "purchase_count", "purchase_amount"]
TARGET = "spend"
MONEY_FEATURES = ("purchase_amount",)
"""Features in the workspace's currency (divided by its money scale when scaled)."""
TIER_SHARES = (("top", 0.10), ("middle", 0.30))
"""Top 10 % of scores, the next 30 %, the rest."""
CV_MAX_ROWS = 50_000
MIN_ROWS = 10
"""Fewer training rows than this: no fit (ValueError)."""
_R2_MARGIN = 0.005
"""The stronger model must beat the baseline's held-out R² by this much."""
SURE_HIGH = 0.5
SURE_MEDIUM = 0.2
"""Held-out R² from which the model is "high" / "medium" sure; below: "low"."""


def how_sure(r2: float | None) -> Literal["high", "medium", "low"]:
    """ "high" (held-out R² ≥ 0.5), "medium" (≥ 0.2) or "low" (below, or unknown)."""
    if r2 is None or not np.isfinite(r2):
        return "low"
    return "high" if r2 >= SURE_HIGH else "medium" if r2 >= SURE_MEDIUM else "low"


def cv_groups(workspace_ids: Any, session_ids: Any, n_splits: int) -> np.ndarray:
    """Fold groups: the workspace when there are at least ``n_splits`` workspaces (a
    workspace's sessions stay together), else the session."""
    ws = np.asarray(workspace_ids)
    ss = np.asarray(session_ids)
    if len(np.unique(ws)) >= n_splits:
        return ws
    return np.array([f"{w}/{s}" for w, s in zip(ws, ss, strict=True)], dtype=object)


def money_scale(viewers: pd.DataFrame) -> float:
    """The money level of these viewers in their own currency: the median of the positive
    past purchase amounts (NaN when there are none). Prices ×k make it ×k."""
    if "purchase_amount" not in viewers.columns:
        return float("nan")
    amount = pd.to_numeric(viewers["purchase_amount"], errors="coerce").to_numpy(float)
    amount = amount[np.isfinite(amount) & (amount > 0)]
    return float(np.median(amount)) if len(amount) else float("nan")


def workspace_scales(viewers: pd.DataFrame, workspace_ids: Any) -> np.ndarray:
    """Each row's :func:`money_scale` over all the rows of its workspace."""
    ws = pd.Series(np.asarray(workspace_ids), index=viewers.index)
    out = np.full(len(viewers), np.nan)
    for _, idx in ws.groupby(ws).groups.items():
        pos = viewers.index.get_indexer(idx)
        out[pos] = money_scale(viewers.loc[idx])
    return out


def feature_frame(viewers: pd.DataFrame) -> pd.DataFrame:
    """The canonical features present (with at least one value) in ``viewers``, as floats."""
    cols = [
        c
        for c in FEATURES
        if c in viewers.columns and pd.to_numeric(viewers[c], errors="coerce").notna().any()
    ]
    numeric: pd.DataFrame = viewers[cols].apply(pd.to_numeric, errors="coerce").astype(float)
    return numeric


def _drop_unknown_target(X: Any, y: Any) -> tuple[Any, Any]:
    """Rows whose target is missing are left out (a missing spend is not 0)."""
    if y is None:
        return X, y
    target = np.asarray(y)
    if target.dtype.kind not in "fiub":
        target = pd.to_numeric(pd.Series(target.ravel()), errors="coerce").to_numpy(float)
    if target.ndim != 1 or target.dtype.kind != "f":
        return X, y
    keep = np.isfinite(target)
    if keep.all() or len(keep) != len(X):
        return X, target
    rows = X.iloc[keep] if isinstance(X, pd.DataFrame) else np.asarray(X)[keep]
    return rows, target[keep]


class LinearBuyingPower(RegressorMixin, BaseEstimator):
    """The article's y = β0 + Σ βi·xi, fitted once by least squares on all rows."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any) -> LinearBuyingPower:
        X, y = _drop_unknown_target(X, y)
        arr, target = validate_data(
            self,
            X,
            y,
            ensure_all_finite="allow-nan",
            y_numeric=True,
            ensure_min_samples=MIN_ROWS,
            dtype=np.float64,
        )
        med = np.nanmedian(np.where(np.isnan(arr).all(axis=0), 0.0, arr), axis=0)
        self.fill_values_ = np.where(np.isfinite(med), med, 0.0)
        filled = np.where(np.isnan(arr), self.fill_values_, arr)
        lr = LinearRegression().fit(filled, target)
        self.coef_ = lr.coef_
        self.intercept_ = float(lr.intercept_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted spend per row."""
        check_is_fitted(self, "coef_")
        arr = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        nan = np.isnan(arr)
        if nan.any():
            arr = np.where(nan, self.fill_values_, arr)
        return np.asarray(arr @ self.coef_ + self.intercept_, dtype=float)

    @property
    def coefficients(self) -> dict[str, float]:
        """β per feature name (after fit)."""
        check_is_fitted(self, "coef_")
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{i}" for i in range(len(self.coef_))]
        return {str(n): float(b) for n, b in zip(names, self.coef_, strict=True)}


def _boosting(random_state: int) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        max_depth=4,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=random_state,
    )


class BuyingPowerModel(RegressorMixin, BaseEstimator):
    """The linear baseline, or a stronger model when held-out folds say it is better.

    ``candidate``: "auto" compares both, "linear" or "boosting" forces one. The folds run
    on at most ``cv_max_rows`` sampled rows (whole groups when ``groups`` are given); the
    chosen model is then fitted on all rows. Fitted: ``chosen_`` ("linear" |
    "boosting"), ``cv_scores_`` ({name: {"r2", "mae", "bias"}} on the held-out rows, bias
    = Σ predicted / Σ actual − 1; empty when there are too few rows or groups for the
    folds), ``held_out_`` ("groups" | "rows" | None), ``estimator_``,
    ``n_features_in_`` and, fitted on a DataFrame, ``feature_names_in_``.

    ``fit(X, y, groups=…, scale=…)``: with ``scale`` (each row's workspace money scale,
    :func:`workspace_scales`), the money columns (:data:`MONEY_FEATURES`, found by name)
    and the spend are divided by it, so workspaces in different currencies teach the same
    thing (``scaled_`` is True; rows without a scale are left out; the held-out R² is in
    those units, the MAE and bias in money). ``predict(X, scale=…)`` then multiplies back
    — by the given scale, else by :func:`money_scale` of the rows given (one session's
    viewers).
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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _candidates(self) -> list[str]:
        if self.candidate == "auto":
            return ["linear", "boosting"]
        if self.candidate in ("linear", "boosting"):
            return [self.candidate]
        raise ValueError(f"unknown candidate {self.candidate!r}")

    def _make(self, name: str) -> Any:
        return LinearBuyingPower() if name == "linear" else _boosting(self.random_state)

    def _folds(self, n: int, groups: np.ndarray | None) -> tuple[np.ndarray, list[Any]] | None:
        rng = np.random.default_rng(self.random_state)
        idx = np.arange(n)
        if groups is None:
            if n < max(2 * self.cv, MIN_ROWS * 2):
                return None
            if n > self.cv_max_rows:
                idx = np.sort(rng.choice(idx, self.cv_max_rows, replace=False))
            kf = KFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
            return idx, list(kf.split(idx))
        uniq = np.unique(groups)
        splits = min(self.cv, len(uniq))
        if splits < 2 or n < MIN_ROWS * 2:
            return None
        if n > self.cv_max_rows:  # whole groups, until the rows are enough
            chosen: list[Any] = []
            total = 0
            counts = pd.Series(groups).value_counts()
            for g in rng.permutation(uniq):
                chosen.append(g)
                total += int(counts[g])
                if total >= self.cv_max_rows and len(chosen) >= splits:
                    break
            idx = np.flatnonzero(np.isin(groups, chosen))
        gkf = GroupKFold(n_splits=splits)
        return idx, list(gkf.split(idx, groups=groups[idx]))

    def fit(self, X: Any, y: Any, groups: Any = None, scale: Any = None) -> BuyingPowerModel:
        self.scaled_ = False
        self.money_columns_: list[int] = []
        row_scale: np.ndarray | None = None
        if scale is not None:
            X, y, groups, row_scale = self._scaled_rows(X, y, groups, scale)
        X, y = _drop_unknown_target(X, y)
        if groups is not None and y is not None and len(np.asarray(groups)) != len(np.asarray(y)):
            groups, y = None, y  # groups no longer align after dropping rows
        arr, target = validate_data(
            self,
            X,
            y,
            ensure_all_finite="allow-nan",
            y_numeric=True,
            ensure_min_samples=MIN_ROWS,
            dtype=np.float64,
        )
        names = self._candidates()
        grp = None if groups is None else np.asarray(groups)
        scores: dict[str, dict[str, float]] = {}
        plan = self._folds(len(arr), grp)
        if plan is not None:
            idx, splits = plan
            Xs, ys = arr[idx], target[idx]
            # R² in each workspace's own units; MAE and bias in money, like the spend
            to_money = np.ones(len(idx)) if row_scale is None else row_scale[idx]
            for name in names:
                pred = np.empty(len(idx))
                for train, test in splits:
                    pred[test] = self._make(name).fit(Xs[train], ys[train]).predict(Xs[test])
                r2 = metrics(ys, pred)["r2"]
                mae = metrics(ys * to_money, pred * to_money)["mae"]
                total = float((ys * to_money).sum())
                scores[name] = {
                    "r2": r2 if r2 is not None else float("nan"),
                    "mae": mae if mae is not None else float("nan"),
                    "bias": float((pred * to_money).sum()) / total - 1.0 if total else float("nan"),
                }
        chosen = names[0]
        if (
            len(names) == 2
            and "boosting" in scores
            and scores["boosting"]["r2"] > scores["linear"]["r2"] + _R2_MARGIN
        ):
            chosen = "boosting"
        self.cv_scores_ = scores
        self.held_out_ = None if plan is None else ("groups" if grp is not None else "rows")
        self.chosen_ = chosen
        self.estimator_ = self._make(chosen).fit(arr, target)
        return self

    def _scaled_rows(
        self, X: Any, y: Any, groups: Any, scale: Any
    ) -> tuple[pd.DataFrame, np.ndarray, Any, np.ndarray]:
        """The rows with a money scale and a known spend, in that scale's units."""
        if not isinstance(X, pd.DataFrame):
            raise ValueError("scale needs X as a DataFrame (the money columns go by name)")
        sc = np.broadcast_to(np.asarray(scale, dtype=float), (len(X),))
        target = pd.to_numeric(pd.Series(np.asarray(y).ravel()), errors="coerce")
        keep = np.isfinite(sc) & (sc > 0) & np.isfinite(target.to_numpy(float))
        if keep.sum() < MIN_ROWS:
            raise ValueError(f"need at least {MIN_ROWS} rows with a money scale")
        money = [c for c in MONEY_FEATURES if c in X.columns]
        X = X.loc[keep].copy()
        X[money] = X[money].to_numpy(float) / sc[keep, None]
        out = target.to_numpy(float)[keep] / sc[keep]
        if groups is not None:
            groups = np.asarray(groups)[keep]
        self.scaled_ = True
        self.money_columns_ = [list(X.columns).index(c) for c in money]
        return X, out, groups, np.asarray(sc[keep], dtype=float)

    def predict(self, X: Any, scale: Any = None) -> np.ndarray:
        """Predicted spend per row."""
        check_is_fitted(self, "estimator_")
        if not getattr(self, "scaled_", False):
            arr = validate_data(
                self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64
            )
            return np.asarray(self.estimator_.predict(arr), dtype=float)
        if scale is None:
            scale = money_scale(X) if isinstance(X, pd.DataFrame) else float("nan")
        arr = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        sc = np.broadcast_to(np.asarray(scale, dtype=float), (len(arr),))
        sc = np.where(np.isfinite(sc) & (sc > 0), sc, np.nan)
        arr = arr.copy()
        arr[:, self.money_columns_] = arr[:, self.money_columns_] / sc[:, None]
        predicted: np.ndarray = np.asarray(self.estimator_.predict(arr), dtype=float) * sc
        return predicted

    @property
    def held_out_r2(self) -> float | None:
        """The chosen model's held-out R² (None without folds)."""
        check_is_fitted(self, "estimator_")
        r2 = self.cv_scores_.get(self.chosen_, {}).get("r2")
        return None if r2 is None or not np.isfinite(r2) else float(r2)


def held_out_predictions(
    X: pd.DataFrame, y: Any, *, cv: int = 5, random_state: int = 0
) -> np.ndarray | None:
    """Each viewer's spend as the linear baseline predicts it without having seen that
    viewer: folds of one session's viewers, each predicted by a fit on the others
    (viewers without a known spend by a fit on all who have one): the folds and figures of
    :class:`BuyingPowerModel`'s held-out R² on one session's viewers. None with fewer than
    2 × ``cv`` and 2 × :data:`MIN_ROWS` viewers of known spend."""
    target = pd.to_numeric(pd.Series(np.asarray(y, dtype=float).ravel()), errors="coerce")
    known = np.flatnonzero(np.isfinite(target.to_numpy(float)))
    if len(known) < max(2 * cv, 2 * MIN_ROWS) or len(target) != len(X):
        return None
    out = np.full(len(X), np.nan)
    spend = target.to_numpy(float)
    folds = KFold(n_splits=cv, shuffle=True, random_state=random_state)
    for train, test in folds.split(known):
        fit = LinearBuyingPower().fit(X.iloc[known[train]], spend[known[train]])
        out[known[test]] = fit.predict(X.iloc[known[test]])
    unknown = np.setdiff1d(np.arange(len(X)), known)
    if len(unknown):
        fit = LinearBuyingPower().fit(X.iloc[known], spend[known])
        out[unknown] = fit.predict(X.iloc[unknown])
    return out


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
