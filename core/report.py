"""The session report: every figure the data supports, from any subset of the three
canonical frames (snapshots, minutes, viewers — see docs/architecture.md).

A figure the data cannot support is None, never 0. Every figure (KPIs and funnel) comes
from :func:`core.figures.compute_figures`: one stated order of sources per figure, the
disagreements between sources in ``figures.reconciliation`` (see that module).

Buying power: scores from the given model, else a linear baseline fitted on the spot
when viewer rows have ``spend`` (then R² and MAE are in-sample; its held-out R² comes
from folds of the session's viewers). Predicted GMV sums the unclipped scores (unbiased);
the per-viewer score shown is clipped at 0. ``how_sure`` follows the held-out R².

Attention: the first source whose data can carry the figure (see
:mod:`core.attention`); unknown censoring of viewer rows is inferred from the minute
rows' last online count and the session's duration. Attention suggestions only follow
a supported estimate; with the two-phase curve they read the engaged half-life.

Suggestions (``Suggestion.code`` → ``params``; the three strongest are kept, in order):

* ``short_half_life`` — half-life under 4 min: re-hook the room more often.
  ``half_life_min`` (float), ``half_life_s`` (float, unrounded), ``hook_every_min`` (int)
* ``early_drop`` — over 35 % of viewers leave within the first minute (Kaplan–Meier):
  sharpen the opening seconds. ``left_first_min_pct`` (float)
* ``gmv_below_prediction`` — with a trained model, actual GMV under 80 % of predicted:
  the audience could buy more; strengthen the close. ``predicted_gmv``, ``actual_gmv``
  (float), ``gap_pct`` (float)
* ``low_conversion`` — buyers / clicks under 5 % (or buyers / viewers under 1 % without
  clicks). ``conversion_pct`` (float), ``base`` ("clicks" | "viewers")
* ``low_click_rate`` — clicks / impressions under 8 %: show the product better.
  ``click_rate_pct`` (float)
* ``low_engagement`` — under one interaction per viewer: ask, poll, give away.
  ``per_viewer`` (float)
* ``top_tier_concentration`` — the top 10 % of buying power hold at least half the
  spend: look after them (fan group, early access). ``top_share_pct`` (float)
* ``watch_time_drives_spend`` — in the baseline, viewers who watched 10 min longer
  spent more (a correlation, said as one; only with a held-out R² of 0.02 or more).
  ``per_10min`` (float, currency units)
* ``peak_then_drop`` — online in the last tenth of the stream is under 40 % of the
  peak: put the best product where the peak was. ``peak_minute`` (int, minutes from the
  start), ``end_share_pct`` (float)
* ``low_follow_rate`` — followers / viewers under 1 %: ask for the follow.
  ``follow_rate_pct`` (float)
* ``big_spenders`` — a big-spender segment exists: offer premium bundles.
  ``share_pct`` (float), ``avg_spend`` (float)
* ``long_half_life`` — half-life of 10 min or more: room for longer demos and higher
  prices. ``half_life_min`` (float), ``half_life_s`` (float, unrounded)
* ``add_viewer_file`` — no viewer rows: upload the viewer export for buying power and
  segments. (no params)
* ``add_minute_file`` — no minute rows: upload the minute timeline. (no params)
* ``push_snapshots`` — nothing at all to go on: push numbers during the stream. (no params)
* ``repeat_best_slot`` — the online peak came at ``peak_minute`` (int): repeat what was
  on then.
* ``follow_up_buyers`` — ``buyers`` (int) bought: follow up with them.
* ``keep_format`` — nothing stands out: keep the format, change one thing at a time.
  (no params)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from core import attention as att
from core.buying_power import (
    LinearBuyingPower,
    feature_frame,
    held_out_predictions,
    how_sure,
    metrics,
    tiers,
)
from core.figures import Figures, compute_figures, without_slips
from core.segments import SegmentResult, segment_viewers

__all__ = [
    "SUGGESTION_CODES",
    "BuyingPowerChartData",
    "BuyingPowerSummary",
    "ChartData",
    "FunnelData",
    "FunnelStage",
    "Kpis",
    "OnlineSeriesData",
    "RetentionData",
    "SessionReport",
    "Suggestion",
    "TierRow",
    "build_report",
    "top_tier_share",
]

Number = float | int | None
SUGGESTION_COUNT = 3
SUGGESTION_CODES = (
    "short_half_life",
    "early_drop",
    "gmv_below_prediction",
    "low_conversion",
    "low_click_rate",
    "low_engagement",
    "top_tier_concentration",
    "watch_time_drives_spend",
    "peak_then_drop",
    "low_follow_rate",
    "big_spenders",
    "long_half_life",
    "add_viewer_file",
    "add_minute_file",
    "push_snapshots",
    "repeat_best_slot",
    "follow_up_buyers",
    "keep_format",
)
"""Every code :class:`Suggestion` may carry (documented in the module docstring)."""


# ---------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Suggestion:
    """A suggestion code and its parameters (formatted by the message catalog)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Kpis:
    """The headline figures; None where the data cannot support them."""

    duration_s: float | None = None
    peak_online: float | None = None
    avg_online: float | None = None
    viewers: float | None = None
    avg_watch_s: float | None = None
    likes: float | None = None
    comments: float | None = None
    shares: float | None = None
    engagement_rate: float | None = None
    followers: float | None = None
    impressions: float | None = None
    clicks: float | None = None
    buyers: float | None = None
    conversion: float | None = None
    orders: float | None = None
    gmv: float | None = None
    aov: float | None = None
    gpm: float | None = None
    uv_value: float | None = None
    views: float | None = None
    items: float | None = None
    per_buyer: float | None = None
    """客单价: GMV per buyer (``aov`` is GMV per order)."""
    ctr: float | None = None
    """Product clicks / product impressions."""
    ctor: float | None = None
    """Buyers (else orders) / product clicks."""


@dataclass(frozen=True)
class FunnelStage:
    stage: Literal["views", "impressions", "clicks", "buyers"]
    value: float


@dataclass(frozen=True)
class TierRow:
    """One tier of viewers by predicted spend. For the baseline, predictions held out of
    the fit (each viewer predicted by a fit on the others), so the predicted spend beside
    the actual is not the fit read back."""

    tier: Literal["top", "middle", "rest"]
    size: int
    avg_score: float
    predicted_spend: float
    actual_spend: float | None


@dataclass(frozen=True)
class BuyingPowerSummary:
    source: Literal["model", "baseline"]
    model_name: str
    features: list[str]
    r2: float | None
    mae: float | None
    in_sample: bool
    predicted_gmv: float
    actual_gmv: float | None
    tiers: list[TierRow]
    coefficients: dict[str, float] | None = None
    intercept: float | None = None
    held_out_r2: float | None = None
    """R² on rows the model did not learn from (None when there is none): folds grouped
    by session/workspace for a trained model, folds of this session's viewers for the
    baseline. ``r2`` and ``mae`` are on this session's rows (in-sample for the baseline);
    ``predicted_gmv`` and the tiers are held out for the baseline too."""
    held_out: Literal["sessions", "viewers"] | None = None
    how_sure: Literal["high", "medium", "low"] = "low"
    """From ``held_out_r2`` (:func:`core.buying_power.how_sure`)."""


@dataclass(frozen=True)
class OnlineSeriesData:
    """Online count over time (UTC, naive datetime64) and the snapshot pushes."""

    ts: np.ndarray
    online: np.ndarray
    source: Literal["minutes", "snapshots"]
    mark_ts: np.ndarray
    mark_online: np.ndarray
    window: tuple[np.datetime64, np.datetime64] | None = None
    """The session's start and end (UTC, naive) when known: the chart's time axis."""


@dataclass(frozen=True)
class RetentionData:
    """Kaplan–Meier curve (when viewer rows exist) and the chosen fitted curve: the single
    exponential (λ) or the two-phase curve (bounce share, bounce and engaged half-lives).
    ``supported`` false: the data cannot carry a fitted curve (only KM is drawn)."""

    lambda_per_s: float
    half_life_s: float
    source: str
    t_max_s: float
    km_t: np.ndarray | None = None
    km_survival: np.ndarray | None = None
    model: str = "single"
    bounce_share: float | None = None
    bounce_half_life_s: float | None = None
    engaged_half_life_s: float | None = None
    median_stay_s: float | None = None
    supported: bool = True

    def curve(self, t_s: Any) -> np.ndarray:
        """The chosen curve's share still watching after ``t_s`` seconds."""
        t = np.asarray(t_s, dtype=float)
        if (
            self.model == "two_phase"
            and self.bounce_share is not None
            and self.bounce_half_life_s
            and self.engaged_half_life_s
        ):
            p = self.bounce_share
            return p * np.exp(-math.log(2) / self.bounce_half_life_s * t) + (1 - p) * np.exp(
                -math.log(2) / self.engaged_half_life_s * t
            )
        return np.exp(-self.lambda_per_s * t)


@dataclass(frozen=True)
class FunnelData:
    stages: list[FunnelStage]


@dataclass(frozen=True)
class BuyingPowerChartData:
    tiers: list[TierRow]
    r2: float | None
    mae: float | None
    predicted_gmv: float
    actual_gmv: float | None


@dataclass(frozen=True)
class ChartData:
    """What the four summary charts need; small and picklable."""

    online: OnlineSeriesData | None = None
    retention: RetentionData | None = None
    funnel: FunnelData | None = None
    buying_power: BuyingPowerChartData | None = None


@dataclass
class SessionReport:
    title: str | None
    started_at: datetime | None
    ended_at: datetime | None
    kpis: Kpis
    attention: att.AttentionEstimate | None
    attention_fit: dict[str, float | None] | None
    funnel: list[FunnelStage]
    segments: SegmentResult | None
    buying_power: BuyingPowerSummary | None
    suggestions: list[Suggestion]
    charts: ChartData
    sources: dict[str, int]
    viewer_scores: pd.DataFrame | None = None
    """Per viewer: user_id (if known), score, tier, segment (key). Not in to_dict()."""
    figures: Figures = field(default_factory=Figures)
    """Every figure with its source and the sources' disagreements (:mod:`core.figures`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe nested dict (numbers, strings, None, lists, dicts)."""
        a = self.attention
        attention: dict[str, Any] = (
            a.to_dict()
            if a is not None
            else {
                k: None
                for k in (
                    "lambda_per_s",
                    "half_life_s",
                    "events",
                    "exposure_s",
                    "n",
                    "source",
                    "stderr",
                    "model",
                    "bounce_share",
                    "bounce_half_life_s",
                    "engaged_half_life_s",
                    "median_stay_s",
                    "left_first_min_share",
                    "ks",
                    "ci_rel",
                    "span_s",
                    "censoring",
                    "reason",
                )
            }
        )
        if a is not None and not a.supported:
            # the data cannot carry these figures: the reason says why
            for k in (
                "lambda_per_s",
                "half_life_s",
                "bounce_share",
                "bounce_half_life_s",
                "engaged_half_life_s",
                "median_stay_s",
                "left_first_min_share",
            ):
                attention[k] = None
        attention["fit"] = self.attention_fit
        seg = None
        if self.segments is not None:
            seg = self.segments.table.to_dict(orient="records")
        bp = asdict(self.buying_power) if self.buying_power is not None else None
        funnel = []
        prev: float | None = None
        for st in self.funnel:
            funnel.append({"stage": st.stage, "value": st.value, "rate": _div(st.value, prev)})
            prev = st.value
        out = {
            "title": self.title,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "kpis": asdict(self.kpis),
            "attention": attention,
            "funnel": funnel,
            "segments": seg,
            "buying_power": bp,
            "suggestions": [{"code": s.code, "params": s.params} for s in self.suggestions],
            "sources": self.sources,
            "figures": self.figures.to_dict(),
            "reconciliation": self.figures.reconciliation_dicts(),
            "contradictions": self.figures.contradiction_dicts(),
            "slips": self.figures.slip_dicts(),
        }
        safe: dict[str, Any] = _json_safe(out)
        return safe


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_json_safe(v) for v in x.tolist()]
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        f = float(x)
        return f if math.isfinite(f) else None
    if isinstance(x, pd.Timestamp | datetime):
        return x.isoformat()
    if x is None or isinstance(x, str):
        return x
    if x is pd.NA or x is pd.NaT:
        return None
    return str(x)


# ---------------------------------------------------------------- helpers


def _div(a: Number, b: Number) -> float | None:
    if a is None or b is None or not b:
        return None
    r = float(a) / float(b)
    return r if math.isfinite(r) else None


def _num(df: pd.DataFrame | None, col: str) -> pd.Series | None:
    if df is None or col not in df.columns:
        return None
    s = pd.to_numeric(df[col], errors="coerce").astype(float)
    return s if s.notna().any() else None


def _sorted(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None or len(df) == 0:
        return None
    if "ts" in df.columns:
        df = df.assign(ts=pd.to_datetime(df["ts"], utc=True, errors="coerce"))
        df = df.sort_values("ts", kind="stable").reset_index(drop=True)
    return df


def _as_ts(x: datetime | None) -> pd.Timestamp | None:
    if x is None:
        return None
    t = pd.Timestamp(x)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _naive_utc(ts: pd.Series) -> np.ndarray:
    naive: np.ndarray = (
        ts.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    )
    return naive


# ---------------------------------------------------------------- figures


def _kpis(fig: Figures) -> Kpis:
    """The headline figures, read from :mod:`core.figures` (one definition each)."""
    g = fig.get
    return Kpis(
        duration_s=g("duration_s"),
        peak_online=g("peak_online"),
        avg_online=g("avg_online"),
        viewers=g("viewers"),
        avg_watch_s=g("avg_stay_s"),
        likes=g("likes"),
        comments=g("comments"),
        shares=g("shares"),
        engagement_rate=g("engagement_rate"),
        followers=g("followers"),
        impressions=g("impressions"),
        clicks=g("clicks"),
        buyers=g("buyers"),
        conversion=g("conversion"),
        orders=g("orders"),
        gmv=g("gmv"),
        aov=g("aov"),
        gpm=g("gpm"),
        uv_value=g("uv_value"),
        views=g("views"),
        items=g("items"),
        per_buyer=g("per_buyer"),
        ctr=g("ctr"),
        ctor=g("ctor"),
    )


def _funnel(fig: Figures) -> list[FunnelStage]:
    return [FunnelStage(stage=name, value=float(value)) for name, value in fig.funnel]  # type: ignore[arg-type]


def _retention(estimate: att.AttentionEstimate, km: pd.DataFrame | None) -> RetentionData:
    t_max = float(km["t"].max()) if km is not None and len(km) else 0.0
    if estimate.supported:
        spread = estimate.engaged_half_life_s or estimate.half_life_s
        t_max = max(t_max, 3.0 * spread)
    return RetentionData(
        lambda_per_s=estimate.lambda_per_s,
        half_life_s=estimate.half_life_s,
        source=estimate.source,
        t_max_s=t_max,
        km_t=km["t"].to_numpy(float) if km is not None else None,
        km_survival=km["survival"].to_numpy(float) if km is not None else None,
        model=estimate.model,
        bounce_share=estimate.bounce_share,
        bounce_half_life_s=estimate.bounce_half_life_s,
        engaged_half_life_s=estimate.engaged_half_life_s,
        median_stay_s=estimate.median_stay_s,
        supported=estimate.supported,
    )


def _buying_power(
    viewers: pd.DataFrame | None, model: Any
) -> tuple[BuyingPowerSummary | None, np.ndarray | None, np.ndarray | None]:
    """Scores per viewer (unclipped: their sum is the predicted GMV) and the summary."""
    if viewers is None or len(viewers) == 0:
        return None, None, None
    X = feature_frame(viewers)
    spend = _num(viewers, "spend")
    actual = spend.to_numpy(float) if spend is not None else None
    scores: np.ndarray | None = None
    source: Literal["model", "baseline"] = "model"
    name = ""
    features: list[str] = []
    coefs: dict[str, float] | None = None
    intercept: float | None = None
    held_r2: float | None = None
    held: Literal["sessions", "viewers"] | None = None
    if model is not None:
        names = [str(c) for c in getattr(model, "feature_names_in_", [])]
        if names and all(c in X.columns for c in names):
            scores = np.asarray(model.predict(X[names]), dtype=float)
            if not np.isfinite(scores).any():  # no money scale for these viewers
                scores = None
        if scores is not None:
            name = str(getattr(model, "chosen_", type(model).__name__))
            features = names
            cv = getattr(model, "cv_scores_", {}).get(name, {})
            r2 = cv.get("r2")
            if r2 is not None and math.isfinite(r2) and getattr(model, "held_out_", None):
                held_r2, held = float(r2), "sessions"
    if scores is None:
        if actual is None or X.shape[1] == 0 or np.isfinite(actual).sum() < 10:
            return None, None, None
        lin = LinearBuyingPower().fit(X, actual)
        fitted = lin.predict(X)
        source, name, features = "baseline", "linear", list(X.columns)
        coefs, intercept = lin.coefficients, lin.intercept_
        m = metrics(actual, fitted)
        # the held-out R², the tiers and their predicted spend from predictions that did
        # not see the viewer's own spend, so that "predicted" beside "actual" is not the
        # fit read back
        oof = held_out_predictions(X, actual)
        held_r2 = metrics(actual, oof)["r2"] if oof is not None else None
        held = "viewers" if held_r2 is not None else None
        scores = oof if oof is not None else fitted
    else:
        m = metrics(actual, scores) if actual is not None else {"r2": None, "mae": None}
    tier = tiers(np.clip(scores, 0.0, None))
    rows = []
    for t in ("top", "middle", "rest"):
        sel = tier == t
        if not sel.any():
            continue
        rows.append(
            TierRow(
                tier=t,
                size=int(sel.sum()),
                avg_score=float(np.clip(scores[sel], 0.0, None).mean()),
                predicted_spend=float(scores[sel].sum()),
                actual_spend=float(np.nansum(actual[sel])) if actual is not None else None,
            )
        )
    summary = BuyingPowerSummary(
        source=source,
        model_name=name,
        features=features,
        r2=m["r2"],
        mae=m["mae"],
        in_sample=source == "baseline",
        predicted_gmv=float(scores.sum()),
        actual_gmv=float(np.nansum(actual)) if actual is not None else None,
        tiers=rows,
        coefficients=coefs,
        intercept=intercept,
        held_out_r2=held_r2,
        held_out=held,
        how_sure=how_sure(held_r2),
    )
    return summary, scores, tier


def _online_series(
    snapshots: pd.DataFrame | None,
    minutes: pd.DataFrame | None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> OnlineSeriesData | None:
    """The online curve inside the session's window: points outside it are not drawn."""

    def inside(df: pd.DataFrame, ok: pd.Series) -> pd.Series:
        ts = df["ts"]
        if start is not None:
            ok = ok & (ts >= start - pd.Timedelta(seconds=60))
        if end is not None:
            ok = ok & (ts <= end + pd.Timedelta(seconds=60))
        return ok

    marks_ts = np.array([], dtype="datetime64[ns]")
    marks_on = np.array([], dtype=float)
    snap_on = _num(snapshots, "online")
    if snapshots is not None and snap_on is not None and "ts" in snapshots.columns:
        ok = inside(snapshots, snap_on.notna() & snapshots["ts"].notna())
        marks_ts = _naive_utc(snapshots.loc[ok, "ts"])
        marks_on = snap_on[ok].to_numpy(float)
    min_on = _num(minutes, "online")
    series: tuple[np.ndarray, np.ndarray, Literal["minutes", "snapshots"]] | None = None
    if minutes is not None and min_on is not None and "ts" in minutes.columns:
        ok = inside(minutes, min_on.notna() & minutes["ts"].notna())
        if ok.any():
            series = (_naive_utc(minutes.loc[ok, "ts"]), min_on[ok].to_numpy(float), "minutes")
    if series is None and len(marks_ts) >= 1:
        series = (marks_ts, marks_on, "snapshots")
    if series is None:
        return None
    ts, online, source = series
    lo = _naive_utc(pd.Series([start]))[0] if start is not None else ts.min()
    hi = _naive_utc(pd.Series([end]))[0] if end is not None else ts.max()
    return OnlineSeriesData(
        ts=ts,
        online=online,
        source=source,
        mark_ts=marks_ts,
        mark_online=marks_on,
        window=(min(lo, ts.min()), max(hi, ts.max())),
    )


# ---------------------------------------------------------------- suggestions


def _r1(x: float) -> float:
    return round(float(x), 1)


def _suggestions(
    k: Kpis,
    attention: att.AttentionEstimate | None,
    km: pd.DataFrame | None,
    bp: BuyingPowerSummary | None,
    seg: SegmentResult | None,
    online: OnlineSeriesData | None,
    have: dict[str, bool],
) -> list[Suggestion]:
    cands: list[tuple[float, Suggestion]] = []

    def add(weight: float, code: str, **params: Any) -> None:
        assert code in SUGGESTION_CODES, code
        cands.append((weight, Suggestion(code=code, params=params)))

    if attention is not None and attention.supported:
        hl_min = (attention.engaged_half_life_s or attention.half_life_s) / 60.0
        if hl_min < 4.0:
            add(
                3.0 + 4.0 / max(hl_min, 0.25),
                "short_half_life",
                half_life_min=_r1(hl_min),
                half_life_s=hl_min * 60.0,
                hook_every_min=max(1, round(hl_min)),
            )
        elif hl_min >= 10.0:
            add(0.8, "long_half_life", half_life_min=_r1(hl_min), half_life_s=hl_min * 60.0)
    s60: float | None = None
    if km is not None and len(km) > 1:
        s60 = float(np.interp(60.0, km["t"].to_numpy(float), km["survival"].to_numpy(float)))
    elif attention is not None and attention.supported and attention.model == "two_phase":
        s60 = 1.0 - (attention.left_first_min_share or 0.0)
    if s60 is not None and 1 - s60 > 0.35:
        add(2.5 + (1 - s60), "early_drop", left_first_min_pct=_r1((1 - s60) * 100))
    if (
        bp is not None
        and bp.source == "model"
        and bp.actual_gmv is not None
        and bp.predicted_gmv > 0
        and bp.actual_gmv < 0.8 * bp.predicted_gmv
    ):
        gap = 1 - bp.actual_gmv / bp.predicted_gmv
        add(
            2.9 + gap,
            "gmv_below_prediction",
            predicted_gmv=round(bp.predicted_gmv, 2),
            actual_gmv=round(bp.actual_gmv, 2),
            gap_pct=_r1(gap * 100),
        )
    if k.buyers is not None:
        if k.clicks:
            conv = k.buyers / k.clicks
            if conv < 0.05:
                add(2.8, "low_conversion", conversion_pct=_r1(conv * 100), base="clicks")
        elif k.conversion is not None and k.conversion < 0.01:
            add(2.8, "low_conversion", conversion_pct=_r1(k.conversion * 100), base="viewers")
    if k.clicks is not None and k.impressions:
        ctr = k.clicks / k.impressions
        if ctr < 0.08:
            add(2.2, "low_click_rate", click_rate_pct=_r1(ctr * 100))
    if k.engagement_rate is not None and k.engagement_rate < 1.0:
        add(2.0, "low_engagement", per_viewer=round(k.engagement_rate, 2))
    if bp is not None:
        share = top_tier_share(bp.tiers)
        if share is not None and share >= 0.5:
            add(1.8, "top_tier_concentration", top_share_pct=round(share * 100))
    if bp is not None and bp.coefficients and (bp.held_out_r2 or 0) >= 0.02:
        beta = bp.coefficients.get("watch_time_s")
        if beta is not None and beta > 0:
            add(1.6, "watch_time_drives_spend", per_10min=round(beta * 600, 2))
    peak_minute: int | None = None
    if online is not None and len(online.online) >= 5:
        i = int(np.argmax(online.online))
        peak_minute = int((online.ts[i] - online.ts[0]) / np.timedelta64(60, "s"))
        tail = online.online[-max(1, len(online.online) // 10) :]
        peak = float(online.online[i])
        if peak > 0 and i < len(online.online) * 0.9 and tail.mean() < 0.4 * peak:
            add(
                1.5,
                "peak_then_drop",
                peak_minute=peak_minute,
                end_share_pct=_r1(tail.mean() / peak * 100),
            )
    if k.followers is not None and k.viewers:
        fr = k.followers / k.viewers
        if fr < 0.01:
            add(1.2, "low_follow_rate", follow_rate_pct=round(fr * 100, 2))
    if seg is not None:
        rows = seg.table[seg.table["key"] == "big_spenders"]
        if len(rows):
            add(
                1.0,
                "big_spenders",
                share_pct=_r1(rows["share"].iloc[0] * 100),
                avg_spend=round(float(rows["avg_spend"].iloc[0]), 2),
            )
    if not have["viewers"]:
        add(0.9, "add_viewer_file")
    if not have["minutes"]:
        add(0.7, "add_minute_file")
    if not any(have.values()):
        add(0.3, "push_snapshots")
    if peak_minute is not None:
        add(0.2, "repeat_best_slot", peak_minute=peak_minute)
    if k.buyers:
        add(0.15, "follow_up_buyers", buyers=int(k.buyers))
    add(0.1, "keep_format")
    cands.sort(key=lambda c: -c[0])
    out: list[Suggestion] = []
    for _, s in cands:
        if all(s.code != o.code for o in out):
            out.append(s)
        if len(out) == SUGGESTION_COUNT:
            break
    return out


# ---------------------------------------------------------------- entry point


def build_report(
    *,
    snapshots: pd.DataFrame | None = None,
    minutes: pd.DataFrame | None = None,
    viewers: pd.DataFrame | None = None,
    model: Any = None,
    title: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    platform: Mapping[str, Any] | None = None,
    products: pd.DataFrame | None = None,
) -> SessionReport:
    """Build the report from whatever frames exist (each may be None or empty).

    ``model``: a fitted buying-power model (``predict`` and ``feature_names_in_``) to
    score the viewers; without it a linear baseline is fitted on the spot when viewer
    rows have ``spend``. ``platform``: the platform's own totals for this session (a
    past-session row), ``products``: product rows; both feed :func:`core.figures.compute_figures`.
    """
    snaps = _sorted(snapshots)
    mins = _sorted(minutes)
    views = viewers.reset_index(drop=True) if viewers is not None and len(viewers) else None
    start, end = _as_ts(started_at), _as_ts(ended_at)
    duration = (end - start).total_seconds() if start is not None and end is not None else None
    pushed, _ = without_slips(snaps, started_at)  # compute_figures names the slips
    estimate, km = att.choose_estimate(
        pushed, mins, views, duration if duration and duration > 0 else None
    )
    figures = compute_figures(
        snapshots=snaps,
        minutes=mins,
        viewers=views,
        platform=platform,
        products=products,
        started_at=started_at,
        ended_at=ended_at,
        attention=estimate,
    )
    kpis = _kpis(figures)
    fit = att.fit_quality(km, estimate.lambda_per_s) if (estimate and km is not None) else None
    segments = segment_viewers(views) if views is not None else None
    bp, scores, tier = _buying_power(views, model)
    funnel = _funnel(figures)
    online = _online_series(pushed, mins, start, end)

    retention = None
    if estimate is not None and (estimate.supported or km is not None):
        retention = _retention(estimate, km)
    charts = ChartData(
        online=online,
        retention=retention,
        funnel=FunnelData(stages=funnel) if len(funnel) >= 2 else None,
        buying_power=(
            BuyingPowerChartData(
                tiers=bp.tiers,
                r2=bp.r2,
                mae=bp.mae,
                predicted_gmv=bp.predicted_gmv,
                actual_gmv=bp.actual_gmv,
            )
            if bp is not None
            else None
        ),
    )
    viewer_scores = None
    if views is not None and (scores is not None or segments is not None):
        cols: dict[str, Any] = {}
        if "user_id" in views.columns:
            cols["user_id"] = views["user_id"].to_numpy()
        if scores is not None:
            cols["score"] = np.clip(scores, 0.0, None)  # shown per viewer: never negative
            cols["tier"] = tier
        if segments is not None:
            cols["segment"] = segments.table["key"].to_numpy()[segments.labels]
        viewer_scores = pd.DataFrame(cols)
    have = {
        "snapshots": snaps is not None,
        "minutes": mins is not None,
        "viewers": views is not None,
    }
    suggestions = _suggestions(kpis, estimate, km, bp, segments, online, have)
    return SessionReport(
        title=title,
        started_at=start.to_pydatetime() if start is not None else None,
        ended_at=end.to_pydatetime() if end is not None else None,
        kpis=kpis,
        attention=estimate,
        attention_fit=fit,
        funnel=funnel,
        segments=segments,
        buying_power=bp,
        suggestions=suggestions,
        charts=charts,
        sources={
            "snapshots": 0 if snaps is None else len(snaps),
            "minutes": 0 if mins is None else len(mins),
            "viewers": 0 if views is None else len(views),
        },
        viewer_scores=viewer_scores,
        figures=figures,
    )


def top_tier_share(tiers: list[TierRow]) -> float | None:
    """The top 10 %'s share of the viewers' spend: what they spent where it is known, else
    what they are predicted to spend (one figure for the summary line and its advice)."""

    def spend(row: TierRow) -> float:
        return row.actual_spend if row.actual_spend is not None else row.predicted_spend

    total = sum(spend(row) for row in tiers)
    top = next((row for row in tiers if row.tier == "top"), None)
    if top is None or not total > 0:
        return None
    return spend(top) / total
