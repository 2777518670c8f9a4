"""Attention decay: α(t) = e^(−λt), λ estimated as the hazard of leaving — and the
two-phase curve real audiences follow.

Single exponential (the baseline): λ̂ is the maximum-likelihood estimate under
right-censoring, the number of viewers who left divided by the total seconds watched
(viewers still present at the end contribute their seconds but are not counted as having
left). From minute rows the same estimate reads λ̂ = Σ exits / Σ (online × 60 s); from
live snapshots it is built from the change of the cumulative entries and of the online
count between pushes.

Two-phase: S(t) = p·e^(−λ₁t) + (1−p)·e^(−λ₂t) with λ₁ > λ₂ — a share p of the entries
bounces (fast phase), the rest stays with the engaged half-life ln 2 / λ₂. Fitted by
censored maximum likelihood from viewer rows (exits contribute the density, censored
viewers the survival), and from minute rows by a Poisson likelihood of each minute's
exits given the entries before it: entrants arrive uniformly within their minute, and the
expected exits of minute m are Σₖ entriesₖ·(Ŝ(m−k) − Ŝ(m−k+1)), Ŝ(j) the survival at the
start of minute k+j averaged over the entry moment. The two-phase curve is chosen over
the single exponential when its BIC is lower and its engaged half-life is known to
±50 %; its fit figure is the Kolmogorov–Smirnov distance to Kaplan–Meier (viewer rows).

Censoring: a flag that is missing is unknown, never "left". Unknown flags are inferred
(:func:`infer_censoring`): with the minute rows' last online count N, the N longest
watchers are the ones still there; otherwise watch times that reach the session's end.

Support: every estimate carries ``reason`` — None when the figure may be shown, else
``"short_span"`` (pushes or minute rows spanning under 10 minutes), ``"few_exits"``
(under 20 exits) or ``"wide_interval"`` (95 % interval of the headline rate wider than
±50 %). The estimators return ``None`` only when there is nothing to estimate from (no
rows, no exposure, nobody left).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.figures import slipped_readings

__all__ = [
    "CI_MAX_REL",
    "KM_MAX_POINTS",
    "MIN_EXITS",
    "MIN_SPAN_S",
    "AttentionEstimate",
    "TwoPhaseFit",
    "alpha",
    "arrivals",
    "choose_estimate",
    "fit_quality",
    "fit_two_phase_minutes",
    "fit_two_phase_viewers",
    "from_minutes",
    "from_push_series",
    "from_pushes",
    "from_snapshots",
    "from_watch_times",
    "half_life",
    "infer_censoring",
    "kaplan_meier",
    "ks_distance",
]

KM_MAX_POINTS = 500
"""Largest number of points :func:`kaplan_meier` returns."""
MIN_EXITS = 20
"""Fewer exits than this: no attention figure (reason ``few_exits``)."""
MIN_SPAN_S = 600.0
"""Pushes or minute rows spanning less than this: no figure (reason ``short_span``)."""
CI_MAX_REL = 0.5
"""A 95 % interval wider than ±50 % of the estimate: no figure (``wide_interval``)."""
Z95 = 1.959964

Source = Literal["viewers", "minutes", "snapshots"]
Model = Literal["single", "two_phase"]
Reason = Literal["short_span", "few_exits", "wide_interval"]


def alpha(t: Any, lam: float) -> Any:
    """Share of the audience still watching after ``t`` seconds: e^(−λt).

    ``t`` may be a number or an array; the result has the same shape.
    """
    if isinstance(t, int | float):
        return math.exp(-lam * t)
    return np.exp(-lam * np.asarray(t, dtype=float))


def half_life(lam: float) -> float:
    """Seconds until half the audience has left: ln 2 / λ (λ must be positive)."""
    if not lam > 0 or not math.isfinite(lam):
        raise ValueError(f"half-life needs a positive, finite λ, got {lam!r}")
    return math.log(2) / lam


# ------------------------------------------------------------------------ two-phase fit


@dataclass(frozen=True)
class TwoPhaseFit:
    """S(t) = p·e^(−λ₁t) + (1−p)·e^(−λ₂t), rates per second, λ₁ > λ₂."""

    p: float
    lambda1_per_s: float
    lambda2_per_s: float
    loglik: float
    """Log-likelihood at the optimum."""
    single_loglik: float
    """Log-likelihood of the best single exponential under the same likelihood."""
    n_obs: int
    """Observations the likelihood sums over (viewers or minutes), for the BIC."""
    lambda2_ci_rel: float
    """Half-width of the 95 % interval of λ₂, relative to λ₂ (inf when unknown)."""

    @property
    def bic_two(self) -> float:
        return 3.0 * math.log(max(self.n_obs, 1)) - 2.0 * self.loglik

    @property
    def bic_single(self) -> float:
        return 1.0 * math.log(max(self.n_obs, 1)) - 2.0 * self.single_loglik

    @property
    def preferred(self) -> bool:
        """BIC prefers the two-phase curve and its engaged rate is known to ±50 %."""
        return self.bic_two < self.bic_single and self.lambda2_ci_rel <= CI_MAX_REL

    def survival(self, t: Any) -> Any:
        tt = np.asarray(t, dtype=float)
        return self.p * np.exp(-self.lambda1_per_s * tt) + (1 - self.p) * np.exp(
            -self.lambda2_per_s * tt
        )

    def median_s(self) -> float:
        return _survival_quantile(self.survival, 0.5, 1.0 / self.lambda2_per_s)


def _survival_quantile(surv: Any, level: float, scale: float) -> float:
    """The t where the decreasing ``surv`` crosses ``level`` (bisection, vectorised-free)."""
    lo, hi = 0.0, max(scale, 1e-9)
    while float(surv(hi)) > level and hi < 1e12:
        hi *= 2.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if float(surv(mid)) > level:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _unpack(theta: np.ndarray) -> tuple[float, float, float]:
    a, b1, b2 = (float(x) for x in np.clip(theta, -50.0, 50.0))
    p = 1.0 / (1.0 + math.exp(-a))
    lam2 = math.exp(b2)
    return p, lam2 + math.exp(b1), lam2


def _pack(p: float, lam1: float, lam2: float) -> np.ndarray:
    p = min(max(p, 1e-4), 1 - 1e-4)
    lam1 = max(lam1, lam2 * 1.0001 + 1e-12)
    return np.array([math.log(p / (1 - p)), math.log(lam1 - lam2), math.log(lam2)])


def _viewer_nll(theta: np.ndarray, wd: np.ndarray, wc: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log-likelihood of censored watch times and its gradient in θ: ``wd`` the
    watch times of the viewers who left, ``wc`` of those still there (both scaled)."""
    p, l1, l2 = _unpack(theta)
    # exits: f(w) = p·λ₁e^(−λ₁w) + (1−p)·λ₂e^(−λ₂w)
    a1 = p * l1 * np.exp(-l1 * wd)
    a2 = (1 - p) * l2 * np.exp(-l2 * wd)
    f = np.maximum(a1 + a2, 1e-300)
    r1, r2 = a1 / f, a2 / f
    g_p = float((r1.sum() / p) - (r2.sum() / (1 - p)))
    g_1 = float((r1 * (1.0 / l1 - wd)).sum())
    g_2 = float((r2 * (1.0 / l2 - wd)).sum())
    ll = float(np.log(f).sum())
    if len(wc):
        # still watching: S(w) = p·e^(−λ₁w) + (1−p)·e^(−λ₂w)
        c1 = p * np.exp(-l1 * wc)
        c2 = (1 - p) * np.exp(-l2 * wc)
        s = np.maximum(c1 + c2, 1e-300)
        q1, q2 = c1 / s, c2 / s
        g_p += float(q1.sum() / p - q2.sum() / (1 - p))
        g_1 -= float((q1 * wc).sum())
        g_2 -= float((q2 * wc).sum())
        ll += float(np.log(s).sum())
    grad = np.array([g_p * p * (1 - p), g_1 * (l1 - l2), (g_2 + g_1) * l2])
    return -ll, -grad


def _starts(w: np.ndarray, dead: np.ndarray, lam0: float) -> list[np.ndarray]:
    """Starting points by peeling: the tail beyond a quantile is the engaged phase."""
    out = [_pack(0.5, 8.0 * lam0, 0.5 * lam0)]
    for q in (0.5, 0.75, 0.9):
        tau = float(np.quantile(w, q))
        tail = w > tau
        ev = float((dead & tail).sum())
        exposure = float((w[tail] - tau).sum())
        if ev < 5 or exposure <= 0:
            continue
        lam2 = ev / exposure
        share = float(tail.mean()) * math.exp(lam2 * tau)
        if not 0.02 < share < 0.98:
            continue
        ev1 = float((dead & ~tail).sum())
        lam1 = max(ev1 / max(float(np.minimum(w, tau).sum()), 1e-12), lam2 * 3.0)
        out.append(_pack(1.0 - share, lam1, lam2))
    return out


def _hessian_rel_ci(fun: Any, theta: np.ndarray) -> float:
    """Relative 95 % half-width of λ₂ from the numerical Hessian of ``fun`` (a function
    returning (value, gradient)) at the optimum ``theta``."""
    k = len(theta)
    h = np.zeros((k, k))
    for i in range(k):
        step = 1e-4 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        h[:, i] = (fun(up)[1] - fun(down)[1]) / (2 * step)
    h = 0.5 * (h + h.T)
    try:
        cov = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return math.inf
    var_b2 = float(cov[2, 2])
    if not (var_b2 > 0 and math.isfinite(var_b2)):
        return math.inf
    return Z95 * math.sqrt(var_b2)  # λ₂ = e^(b₂): relative error ≈ se(b₂)


def _minimize(fun: Any, starts: list[np.ndarray], keep: int = 2) -> tuple[np.ndarray, float]:
    """BFGS from the ``keep`` best of ``starts``; the best optimum (θ, value)."""
    from scipy.optimize import minimize

    scored = sorted((fun(x0)[0], i) for i, x0 in enumerate(starts))
    best_x, best_f = starts[0], math.inf
    for f0, i in scored[:keep]:
        x0 = starts[i]
        if not math.isfinite(f0):
            continue
        res = minimize(fun, x0, jac=True, method="BFGS", options={"maxiter": 200})
        if math.isfinite(res.fun) and res.fun < best_f:
            best_x, best_f = np.asarray(res.x, dtype=float), float(res.fun)
    return best_x, best_f


def fit_two_phase_viewers(watch_s: Any, censored: Any) -> TwoPhaseFit | None:
    """Censored MLE of the two-phase curve from watch times (seconds) and censoring flags
    (true = still watching at the end; every flag must be known). None with fewer than
    :data:`MIN_EXITS` exits."""
    w = np.asarray(watch_s, dtype=float)
    cens = np.asarray(censored, dtype=bool)
    ok = np.isfinite(w) & (w >= 0)
    w, dead = w[ok], ~cens[ok]
    events = float(dead.sum())
    if events < MIN_EXITS or w.sum() <= 0:
        return None
    scale = float(w.mean())
    ws = w / scale
    lam0 = events / float(ws.sum())
    single_ll = events * math.log(lam0) - lam0 * float(ws.sum())

    wd, wc = ws[dead], ws[~dead]

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return _viewer_nll(theta, wd, wc)

    theta, nll = _minimize(fun, _starts(ws, dead, lam0))
    if not math.isfinite(nll):
        return None
    p, l1, l2 = _unpack(theta)
    # per-second rates; the log-likelihoods gain the Jacobian of the time scale
    shift = -events * math.log(scale)
    return TwoPhaseFit(
        p=p,
        lambda1_per_s=l1 / scale,
        lambda2_per_s=l2 / scale,
        loglik=-nll + shift,
        single_loglik=single_ll + shift,
        n_obs=len(w),
        lambda2_ci_rel=_hessian_rel_ci(fun, theta),
    )


def _minute_survival(p: float, l1: float, l2: float, lags: np.ndarray) -> np.ndarray:
    """Ŝ(j): survival at the start of the j-th minute after the entry minute, averaged
    over a uniform entry moment in that minute (rates per minute; Ŝ(0) = 1)."""

    def part(lam: float) -> np.ndarray:
        avg = -math.expm1(-lam) / lam if lam > 1e-12 else 1.0
        return np.exp(-lam * np.maximum(lags - 1.0, 0.0)) * avg

    out = p * part(l1) + (1 - p) * part(l2)
    out[lags == 0] = 1.0
    return out


def _minute_nll(
    theta: np.ndarray, entries: np.ndarray, exits: np.ndarray, known: np.ndarray, two: bool
) -> float:
    if two:
        p, l1, l2 = _unpack(theta)
    else:
        p, l1, l2 = 0.0, 1.0, math.exp(float(np.clip(theta[0], -50, 50)))
    m = len(entries)
    s_hat = _minute_survival(p, l1, l2, np.arange(m + 1, dtype=float))
    q = s_hat[:-1] - s_hat[1:]
    mu = np.convolve(entries, q)[:m]
    mu = np.maximum(mu[known], 1e-12)
    x = exits[known]
    return float((mu - x * np.log(mu)).sum())


def _numeric(fun: Any) -> Any:
    """(value, central-difference gradient) of a scalar function of θ."""

    def wrapped(theta: np.ndarray) -> tuple[float, np.ndarray]:
        f = fun(theta)
        g = np.zeros(len(theta))
        for i in range(len(theta)):
            step = 1e-6 * max(1.0, abs(theta[i]))
            up, down = theta.copy(), theta.copy()
            up[i] += step
            down[i] -= step
            g[i] = (fun(up) - fun(down)) / (2 * step)
        return f, g

    return wrapped


def fit_two_phase_minutes(
    entries: Any, exits: Any, initial_online: float = 0.0
) -> TwoPhaseFit | None:
    """Two-phase curve from minute rows: ``entries`` per minute (a missing value counts
    as none), ``exits`` per minute (NaN where unknown: left out of the likelihood).
    ``initial_online`` viewers present before the first row enter with the first
    minute's cohort. None with fewer than :data:`MIN_EXITS` exits."""
    e = np.nan_to_num(np.asarray(entries, dtype=float), nan=0.0).clip(min=0.0)
    x = np.asarray(exits, dtype=float)
    if len(e) != len(x) or len(e) < 3:
        return None
    e = e.copy()
    e[0] += max(float(initial_online), 0.0)
    known = np.isfinite(x) & (x >= 0)
    events = float(x[known].sum())
    if events < MIN_EXITS or e.sum() <= 0 or known.sum() < 3:
        return None
    xs = np.where(known, x, 0.0)
    # the single exponential under the same likelihood (one parameter)
    from scipy.optimize import minimize_scalar

    online = np.cumsum(e - xs)
    lam_guess = events / max(float(np.clip(online, 1e-9, None).sum()), 1e-9)
    lo, hi = math.log(lam_guess) - 6.0, math.log(lam_guess) + 6.0
    single = minimize_scalar(
        lambda b: _minute_nll(np.array([b]), e, xs, known, False),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-7},
    )
    lam_single = math.exp(float(single.x))
    fun = _numeric(lambda th: _minute_nll(th, e, xs, known, True))
    starts = [
        _pack(0.5, 20.0 * lam_single, 0.5 * lam_single),
        _pack(0.3, 5.0 * lam_single, 0.7 * lam_single),
        _pack(0.7, 60.0 * lam_single, 0.3 * lam_single),
    ]
    theta, nll = _minimize(fun, starts)
    if not math.isfinite(nll):
        return None
    p, l1, l2 = _unpack(theta)
    const = float(sum(math.lgamma(v + 1.0) for v in x[known]))
    return TwoPhaseFit(
        p=p,
        lambda1_per_s=l1 / 60.0,
        lambda2_per_s=l2 / 60.0,
        loglik=-nll - const,
        single_loglik=-float(single.fun) - const,
        n_obs=int(known.sum()),
        lambda2_ci_rel=_hessian_rel_ci(fun, theta),
    )


# ------------------------------------------------------------------------ the estimate


@dataclass(frozen=True)
class AttentionEstimate:
    """A λ estimate with the counts it rests on, and the curve chosen for the audience."""

    lambda_per_s: float
    half_life_s: float
    events: float
    """Viewers who left (exits)."""
    exposure_s: float
    """Total seconds watched."""
    n: int
    """Viewers (source "viewers"), minute rows or snapshot intervals used."""
    source: Source
    model: Model = "single"
    """"two_phase" when the two-phase curve was chosen over the single exponential."""
    bounce_share: float | None = None
    """p, the share of entries in the fast (bounce) phase (two-phase only)."""
    bounce_half_life_s: float | None = None
    engaged_half_life_s: float | None = None
    """ln 2 / λ₂ (two-phase only)."""
    median_stay_s: float | None = None
    """Where the chosen curve crosses one half."""
    left_first_min_share: float | None = None
    """1 − S(60 s) of the chosen curve."""
    ks: float | None = None
    """Kolmogorov–Smirnov distance of the chosen curve to Kaplan–Meier (viewer rows)."""
    ci_rel: float | None = None
    """Relative half-width of the 95 % interval of the headline rate (λ, or λ₂)."""
    span_s: float | None = None
    """Time the rows cover (minutes, snapshots)."""
    censoring: Literal["known", "inferred", "none"] = "known"
    reason: Reason | None = None
    """Why the data cannot carry an attention figure (None: it can)."""

    @property
    def supported(self) -> bool:
        return self.reason is None

    @property
    def stderr(self) -> float:
        """Standard error of λ̂ (λ̂ / √events)."""
        return self.lambda_per_s / math.sqrt(self.events)

    def alpha(self, t: Any) -> Any:
        """α(t) with this estimate's λ."""
        return alpha(t, self.lambda_per_s)

    def survival(self, t: Any) -> Any:
        """S(t) of the chosen curve (two-phase, else e^(−λt))."""
        tt = np.asarray(t, dtype=float)
        if (
            self.model == "two_phase"
            and self.bounce_share is not None
            and self.bounce_half_life_s
            and self.engaged_half_life_s
        ):
            p = self.bounce_share
            l1 = math.log(2) / self.bounce_half_life_s
            l2 = math.log(2) / self.engaged_half_life_s
            return p * np.exp(-l1 * tt) + (1 - p) * np.exp(-l2 * tt)
        return np.exp(-self.lambda_per_s * tt)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict."""
        d = asdict(self)
        d["events"] = float(self.events)
        d["exposure_s"] = float(self.exposure_s)
        d["n"] = int(self.n)
        d["stderr"] = float(self.stderr)
        for k, v in d.items():
            if isinstance(v, float) and not math.isfinite(v):
                d[k] = None
        return d


def _make(events: float, exposure: float, n: int, source: Source) -> AttentionEstimate | None:
    if not (math.isfinite(events) and math.isfinite(exposure)):
        return None
    if events <= 0 or exposure <= 0 or n <= 0:
        return None
    lam = events / exposure
    if not math.isfinite(lam):  # exposure too small to carry a rate
        return None
    return AttentionEstimate(
        lambda_per_s=float(lam),
        half_life_s=half_life(lam),
        events=float(events),
        exposure_s=float(exposure),
        n=int(n),
        source=source,
        median_stay_s=half_life(lam),
        left_first_min_share=float(-math.expm1(-60.0 * lam)),
        ci_rel=Z95 / math.sqrt(events),
    )


def _dispersed_ci(est: AttentionEstimate, exits: np.ndarray, exposure: np.ndarray) -> float:
    """Relative 95 % half-width of λ̂ from interval counts, widened by their dispersion
    (Pearson χ² / degrees of freedom, at least 1): pushes and minute rows carry exits
    derived from differences of counts, noisier than Poisson."""
    base = Z95 / math.sqrt(est.events)
    if len(exits) < 3:
        return base
    expected = est.lambda_per_s * exposure
    ok = expected > 0
    if ok.sum() < 3:
        return base
    chi2 = float((((exits[ok] - expected[ok]) ** 2) / expected[ok]).sum())
    phi = max(1.0, chi2 / (int(ok.sum()) - 1))
    return base * math.sqrt(phi)


def _support(est: AttentionEstimate) -> AttentionEstimate:
    reason: Reason | None = None
    if est.span_s is not None and est.span_s < MIN_SPAN_S:
        reason = "short_span"
    elif est.events < MIN_EXITS:
        reason = "few_exits"
    elif est.ci_rel is None or not est.ci_rel <= CI_MAX_REL:
        reason = "wide_interval"
    return replace(est, reason=reason)


def _with_two_phase(est: AttentionEstimate, fit: TwoPhaseFit | None) -> AttentionEstimate:
    if fit is None or not fit.preferred:
        return est
    return replace(
        est,
        model="two_phase",
        bounce_share=float(fit.p),
        bounce_half_life_s=half_life(fit.lambda1_per_s),
        engaged_half_life_s=half_life(fit.lambda2_per_s),
        median_stay_s=float(fit.median_s()),
        left_first_min_share=float(1.0 - fit.survival(60.0)),
        ci_rel=float(fit.lambda2_ci_rel),
    )


def _censor_flags(censored: Any, size: int) -> np.ndarray:
    """Float array: 1 = still watching at the end, 0 = left, NaN = unknown."""
    if censored is None:
        return np.full(size, np.nan)
    s = censored if isinstance(censored, pd.Series) else pd.Series(np.asarray(censored).ravel())
    if len(s) != size:
        raise ValueError(f"censored has {len(s)} values, watch times {size}")
    if s.dtype == bool:
        return s.to_numpy(dtype=float)
    if s.dtype.kind in "iuf" or str(s.dtype) in ("boolean", "Int64", "Float64"):
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isnan(v), np.nan, (v != 0).astype(float))
    return np.array([np.nan if pd.isna(v) else float(bool(v)) for v in s], dtype=float)


def _watch_flags(watch_s: Any, censored: Any) -> tuple[np.ndarray, np.ndarray]:
    raw = watch_s if isinstance(watch_s, pd.Series) else pd.Series(np.asarray(watch_s).ravel())
    w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    flags = _censor_flags(censored, len(w))
    ok = np.isfinite(w) & (w >= 0)
    return w[ok], flags[ok]


def infer_censoring(
    watch_s: Any,
    censored: Any = None,
    *,
    last_online: float | None = None,
    duration_s: float | None = None,
) -> np.ndarray:
    """Censoring flags (true = still watching at the end) with the unknown ones inferred,
    aligned with ``watch_s`` (missing watch times get False).

    Known flags are kept. With ``last_online`` (the minute rows' last online count), as
    many unknown viewers as are still needed to make that count, the longest watchers
    first, are censored. Else, with ``duration_s``, the unknown watch times that reach the
    session's end (within a minute) are. Without either, the unknown watch times equal to
    the longest one are.
    """
    raw = watch_s if isinstance(watch_s, pd.Series) else pd.Series(np.asarray(watch_s).ravel())
    w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    flags = _censor_flags(censored, len(w))
    valid: np.ndarray[tuple[int, ...], np.dtype[np.bool_]] = np.isfinite(w) & (w >= 0)
    out: np.ndarray[tuple[int, ...], np.dtype[np.bool_]] = np.where(np.isnan(flags), 0.0, flags) > 0
    unknown = np.flatnonzero(valid & np.isnan(flags))
    if len(unknown) == 0:
        return out & valid
    if last_online is not None and math.isfinite(last_online):
        need = round(last_online) - int((out & valid).sum())
        need = max(0, min(need, len(unknown)))
        if need:
            order = unknown[np.argsort(-w[unknown], kind="stable")]
            out[order[:need]] = True
    else:
        end = duration_s if duration_s is not None and duration_s > 0 else float(w[valid].max())
        slack = 60.0 if duration_s is not None and duration_s > 0 else 0.0
        out[unknown[w[unknown] >= end - slack]] = True
    return out & valid


def from_watch_times(
    watch_s: Any,
    censored: Any = None,
    *,
    last_online: float | None = None,
    duration_s: float | None = None,
    two_phase: bool = True,
) -> AttentionEstimate | None:
    """Censored MLE of λ (and, with ``two_phase``, the two-phase curve chosen by BIC)
    from per-viewer watch times (seconds).

    ``censored[i]`` true means viewer *i* was still watching at the end: their seconds
    count as exposure, not as an exit. Missing or negative watch times are ignored;
    missing censoring flags are inferred (:func:`infer_censoring` with ``last_online``
    and ``duration_s``), never counted as "left".
    """
    w, flags = _watch_flags(watch_s, censored)
    if len(w) == 0:
        return None
    unknown = bool(np.isnan(flags).any())
    cens = (
        infer_censoring(w, flags, last_online=last_online, duration_s=duration_s)
        if unknown
        else flags > 0
    )
    events = float(np.count_nonzero(~cens))
    est = _make(events, float(w.sum()), len(w), "viewers")
    if est is None:
        return None
    state: Literal["known", "inferred", "none"] = "inferred" if unknown else "known"
    est = replace(est, censoring=state)
    if two_phase and events >= MIN_EXITS:
        est = _with_two_phase(est, fit_two_phase_viewers(w, cens))
        times, surv = _km_arrays(w, cens)
        est = replace(est, ks=ks_distance(times, surv, est.survival))
    return _support(est)


def _col(df: pd.DataFrame, name: str) -> pd.Series | None:
    if name not in df.columns:
        return None
    s = pd.to_numeric(df[name], errors="coerce").astype(float)
    return None if s.notna().sum() == 0 else s


def from_minutes(
    minutes_df: pd.DataFrame | None, *, two_phase: bool = True
) -> AttentionEstimate | None:
    """λ̂ = Σ exits / Σ (online × 60 s) over the minute rows where both are known, and
    (with ``two_phase``) the two-phase curve from exits given entries, chosen by BIC.

    Without an ``exits`` column, exits are derived from ``entries`` and ``online``:
    exits_t = entries_t − (online_t − online_{t−1}); the first row has no previous
    count and is left out.
    """
    if minutes_df is None or len(minutes_df) == 0:
        return None
    df = minutes_df.sort_values("ts") if "ts" in minutes_df.columns else minutes_df
    online = _col(df, "online")
    if online is None:
        return None
    exits = _col(df, "exits")
    entries = _col(df, "entries")
    if exits is None:
        if entries is None:
            return None
        exits = entries - online.diff()
    ok = exits.notna() & online.notna() & (online >= 0)
    if not ok.any():
        return None
    est = _make(float(exits[ok].sum()), float(online[ok].sum() * 60.0), int(ok.sum()), "minutes")
    if est is None:
        return None
    ci = _dispersed_ci(est, exits[ok].to_numpy(float), online[ok].to_numpy(float) * 60.0)
    est = replace(est, span_s=60.0 * float(len(df)), ci_rel=ci)
    if two_phase and entries is not None and est.events >= MIN_EXITS:
        ex = exits.where(ok).to_numpy(float)
        en = entries.to_numpy(float)
        first = online.iloc[0]
        initial = 0.0
        if pd.notna(first) and pd.notna(ex[0]) and pd.notna(en[0]):
            initial = max(float(first) - float(en[0]) + float(ex[0]), 0.0)
        est = _with_two_phase(est, fit_two_phase_minutes(en, ex, initial))
    return _support(est)


def from_snapshots(
    snapshots_df: pd.DataFrame | None, window_s: float | None = None
) -> AttentionEstimate | None:
    """λ̂ from successive live pushes of ``online`` and a cumulative ``entries``
    (or, without it, ``viewers``).

    Between two pushes: exits = Δentries − Δonline, exposure = (online₀ + online₁)/2 × Δt.
    With ``window_s``, only the intervals that reach into the last ``window_s`` seconds
    before the latest push are used (the "recent λ").
    """
    if snapshots_df is None or len(snapshots_df) < 2 or "ts" not in snapshots_df.columns:
        return None
    online = _col(snapshots_df, "online")
    entries, viewers = _col(snapshots_df, "entries"), _col(snapshots_df, "viewers")
    if online is None or (entries is None and viewers is None):
        return None
    cum = arrivals(
        entries.to_numpy(float) if entries is not None else None,
        viewers.to_numpy(float) if viewers is not None else None,
    )
    ts = pd.to_datetime(snapshots_df["ts"], utc=True, errors="coerce")
    seconds = (ts - ts.min()).dt.total_seconds()
    return from_pushes(seconds.to_numpy(float), online.to_numpy(float), cum, window_s=window_s)


def arrivals(entries: Any, viewers: Any) -> np.ndarray:
    """The pushes' cumulative arrivals: ``entries`` (进场) where at least two pushes carry
    it, else ``viewers`` (观看人数); NaN where a push has neither figure. Either may be None."""
    if entries is not None:
        e = np.asarray(entries, dtype=float)
        if np.count_nonzero(np.isfinite(e)) >= 2 or viewers is None:
            return e
    return np.asarray(viewers, dtype=float)


def from_push_series(
    t_s: Any, online: Any, entries: Any, viewers: Any, *, recent_window_s: float
) -> tuple[AttentionEstimate | None, AttentionEstimate | None]:
    """A live session's attention from its pushes (numpy only: it runs on every push):
    the whole session's estimate, and the last ``recent_window_s`` seconds' — None unless
    someone left in that window and its figures are finite."""
    on = np.asarray(online, dtype=float)
    on = np.where(slipped_readings(t_s, on, live=True), np.nan, on)  # a slip: no head count
    cum = arrivals(entries, viewers)
    estimate = from_pushes(t_s, on, cum)
    recent = from_pushes(t_s, on, cum, window_s=recent_window_s)
    if (
        recent is None
        or recent.events <= 0
        or not _positive(recent.lambda_per_s, recent.half_life_s)
    ):
        recent = None
    return estimate, recent


def _positive(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) and v > 0 for v in values)


def from_pushes(
    t_s: Any, online: Any, cumulative: Any, window_s: float | None = None
) -> AttentionEstimate | None:
    """λ̂ from push arrays (seconds, online, cumulative entries or viewers) — the numpy core
    of :func:`from_snapshots`, cheap enough to run on every live push. NaN rows are skipped.
    ``span_s`` is the time the used intervals cover.
    """
    t = np.asarray(t_s, dtype=float)
    on = np.asarray(online, dtype=float)
    cu = np.asarray(cumulative, dtype=float)
    keep = np.isfinite(t) & np.isfinite(on) & np.isfinite(cu)
    t, on, cu = t[keep], on[keep], cu[keep]
    if len(t) < 2:
        return None
    order = np.argsort(t, kind="stable")
    t, on, cu = t[order], on[order], cu[order]
    dt = np.diff(t)
    d_cum = np.diff(cu)
    exits = d_cum - np.diff(on)
    exposure = (on[1:] + on[:-1]) / 2.0 * dt
    ok = (dt > 0) & (d_cum >= 0)
    if window_s is not None:
        ok &= t[1:] > t[-1] - float(window_s)
    if not ok.any():
        return None
    est = _make(float(exits[ok].sum()), float(exposure[ok].sum()), int(ok.sum()), "snapshots")
    if est is None:
        return None
    ci = _dispersed_ci(est, exits[ok], exposure[ok])
    return _support(replace(est, span_s=float(dt[ok].sum()), ci_rel=ci))


# ------------------------------------------------------------------------ Kaplan–Meier


def _km_arrays(w: np.ndarray, cens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full Kaplan–Meier curve (every distinct exit time), starting at (0, 1)."""
    if len(w) == 0:
        return np.array([]), np.array([])
    order = np.argsort(w, kind="stable")
    t = w[order]
    ev = (~cens[order]).astype(np.int64)
    uniq, first = np.unique(t, return_index=True)
    at_risk = len(t) - first
    deaths = np.add.reduceat(ev, first)
    keep = deaths > 0
    times = uniq[keep]
    surv = np.cumprod(1.0 - deaths[keep] / at_risk[keep])
    if len(times) == 0 or times[0] > 0:
        times = np.concatenate([[0.0], times])
        surv = np.concatenate([[1.0], surv])
    return times, surv


def kaplan_meier(watch_s: Any, censored: Any = None, **infer: Any) -> pd.DataFrame:
    """Kaplan–Meier retention curve: DataFrame[t, survival], starting at (0, 1).

    Unknown censoring flags are inferred as in :func:`from_watch_times` (keywords
    ``last_online``, ``duration_s``). Vectorised (sort + group by distinct exit time);
    the output is thinned to at most :data:`KM_MAX_POINTS` points, first and last kept.
    """
    w, flags = _watch_flags(watch_s, censored)
    if len(w) == 0:
        return pd.DataFrame({"t": pd.Series(dtype=float), "survival": pd.Series(dtype=float)})
    cens = infer_censoring(w, flags, **infer) if np.isnan(flags).any() else flags > 0
    times, surv = _km_arrays(w, cens)
    if len(times) > KM_MAX_POINTS:
        idx = np.unique(np.linspace(0, len(times) - 1, KM_MAX_POINTS).round().astype(int))
        times, surv = times[idx], surv[idx]
    return pd.DataFrame({"t": times, "survival": surv})


def ks_distance(times: Any, survival: Any, curve: Any) -> float | None:
    """Largest gap between a Kaplan–Meier step curve (``times``, ``survival``) and the
    fitted ``curve`` (a function of seconds), on both sides of every step."""
    t = np.asarray(times, dtype=float)
    s = np.asarray(survival, dtype=float)
    if len(t) == 0:
        return None
    fit = np.asarray(curve(t), dtype=float)
    before = np.concatenate([[1.0], s[:-1]])
    return float(max(np.abs(s - fit).max(), np.abs(before - fit).max()))


def fit_quality(km: pd.DataFrame, lam: float) -> dict[str, float | None]:
    """How well e^(−λt) follows the KM curve: ``max_gap`` (largest absolute difference)
    and ``r2`` (1 − SS_res/SS_tot of the KM survival; None when it is flat or empty).
    """
    if km is None or len(km) == 0:
        return {"max_gap": None, "r2": None}
    s = km["survival"].to_numpy(float)
    fit = np.exp(-lam * km["t"].to_numpy(float))
    resid = s - fit
    ss_tot = float(((s - s.mean()) ** 2).sum())
    r2 = None if ss_tot <= 0 else float(1.0 - (resid**2).sum() / ss_tot)
    return {"max_gap": float(np.abs(resid).max()), "r2": r2}


def _column(df: pd.DataFrame | None, col: str) -> pd.Series | None:
    if df is None or col not in df.columns:
        return None
    values = pd.to_numeric(df[col], errors="coerce").astype(float)
    return values if values.notna().any() else None


def choose_estimate(
    snapshots: pd.DataFrame | None,
    minutes: pd.DataFrame | None,
    viewers: pd.DataFrame | None,
    duration_s: float | None = None,
) -> tuple[AttentionEstimate | None, pd.DataFrame | None]:
    """A session's attention estimate and, from viewer rows, its Kaplan–Meier curve: the
    first source whose data can carry the figure (viewer rows, minute rows, pushes); when
    none can, the first that gave an estimate, with its reason. The one rule for the
    report, the summary and the stored figures."""
    found: list[tuple[AttentionEstimate, pd.DataFrame | None]] = []
    watch = _column(viewers, "watch_time_s")
    if watch is not None and viewers is not None:
        cens = viewers["censored"] if "censored" in viewers.columns else None
        online = _column(minutes, "online")
        last_online = None if online is None else float(online.dropna().iloc[-1])
        est = from_watch_times(watch, cens, last_online=last_online, duration_s=duration_s)
        if est is not None:
            curve = kaplan_meier(watch, cens, last_online=last_online, duration_s=duration_s)
            found.append((est, curve))
    for other in (from_minutes(minutes), from_snapshots(snapshots)):
        if other is not None:
            found.append((other, None))
    for est, km in found:
        if est.supported:
            return est, km
    return found[0] if found else (None, None)
