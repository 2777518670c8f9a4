"""Every per-session figure, defined once (DESIGN.md, "Definitions").

:func:`compute_figures` takes whatever the session has — the platform's own session row
(a sessions export such as TikTok Shop ``performance_detail``), product rows, viewer rows,
minute rows and the host's pushes — and returns one value and one source per figure. The
report, the summary, comparisons with past streams, digests, /sessions, live replies,
/export and ``livehost report --json`` all read figures from here.

Sources, in the one order every figure follows (the first that can give a figure gives it):

1. ``platform`` — the platform's own session totals (a past-session row);
2. ``products`` — product rows (sums of GMV, orders, units over products);
3. ``viewers`` — viewer rows (one row a viewer);
4. ``minutes`` — the minute timeline;
5. ``pushes`` — the host's pushes (running totals: the last value of each key; ``online``
   is a moment's count). Slips of the keyboard are left out of every figure and named in
   :attr:`Figures.slips` (:func:`without_slips`): a count eight times off the readings
   beside it, and a running total's last reading that jumped from the one before.

``duration_s`` alone also knows ``session``: the recorded window (``ended_at −
started_at``), placed right after ``platform``.

What each source can give (a source missing a column gives nothing for it):

=================  ===========================================================
platform           duration, GMV, orders, items, buyers, views, product
                   impressions, product clicks, followers, peak online, avg stay;
                   its stated CTR, CTOR and GPM (see below)
products           GMV, orders, items (sums over products)
viewers            viewers (distinct ids), GMV (Σ spend), buyers (spend > 0),
                   watch seconds, likes, comments, shares, interacting viewers
minutes            duration (span + 1 min), peak and average online, views
                   (Σ entries), GMV, orders, followers, likes, comments,
                   watch seconds (Σ online × 60)
pushes             duration (span), peak and average online (time-weighted),
                   viewers, views (``entries``), GMV, orders, items, buyers,
                   clicks, followers, likes, comments, shares
=================  ===========================================================

What the minute rows can NOT give: the minute ``impressions``, ``clicks`` and ``buyers``
columns are per-minute head counts (商品曝光人数, 商品点击人数, 成交人数 of that minute).
The same person counts again in every minute they are seen, so no sum, maximum or mean of
them is the session's number of people: the minute rows give no product impressions,
clicks or buyers, and no distinct viewers (Σ ``entries`` counts entries, i.e. views). Sums
of events and amounts (entries, GMV, orders, follows, likes, comments) are fine.

Figures that belong together come from one source: the sales group (GMV, orders, items,
buyers) takes the first source that has GMV and fills a member it lacks from the next
sources only when the result keeps buyers ≤ orders ≤ items; a member that would break that
is left out (None). Pushed orders and buyers are readings of a moment: one joins the group
only when the GMV pushed with or before it, or within :data:`MOMENT_S` after it, is the
group's GMV (within :data:`TOLERANCE`), else it is left out, as another moment's (pushes
that never carried a GMV cannot be told apart by moment, and are taken as they are). The
audience figures (viewers, views) follow the order on their own.

Derived figures (None when an input is missing or zero, or when its inputs are not of one
moment: a pushed running total counts as of the GMV pushed with or before it or soon
after, every other figure as of the session's GMV, and they must agree within
:data:`TOLERANCE`):

* ``per_buyer`` (客单价) = GMV / buyers; ``aov`` = GMV / orders;
* ``gpm`` = GMV / views × 1000; ``uv_value`` = GMV / viewers;
* ``conversion`` = buyers / viewers; ``entry_rate`` = viewers / room impressions (no
  stored source has room impressions yet, so it is None until one does);
* ``ctr`` = product clicks / product impressions; ``ctor`` = buyers (else orders) /
  product clicks;
* a platform's sessions export also states CTR, CTOR and GPM: each is the figure only when
  the figures above cannot give it, and is otherwise reconciled with it (its CTOR counts
  orders, so it is compared only with a CTOR from orders);
* ``avg_stay_s`` = watch seconds / viewers (the platform's own figure first; from the
  minute rows, watch seconds / views, as they cannot tell a re-entry from a new viewer);
* ``lambda_per_s``, ``half_life_s``: the attention estimate (viewer rows, else minutes,
  else pushes); with none of them, from the platform's average stay (exponential
  attention: λ = 1 / mean stay, half-life = ln 2 × mean stay);
* ``follow_rate`` = followers / viewers; ``interaction_rate`` = interacting viewers /
  viewers; ``engagement_rate`` = (likes + comments + shares, those known) / viewers.

Reconciliation: for every base figure, each other source that gives it and differs from
the chosen value by more than :data:`TOLERANCE` (relative) is listed (figure, chosen
source and value, other source and value, chosen / other − 1). Pushes are not compared
with the sources before them: they are readings typed at moments (the last one before
the end, a peak between two pushes missed), not the session's totals.

Funnel: viewers → product impressions → product clicks → buyers, people at each stage,
from the figures above; a stage with no value is absent, and a stage larger than the one
before it (two sources that do not agree) is left out, so the funnel never widens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

__all__ = [
    "BASE_FIGURES",
    "COMPARED",
    "DEFINITIONS_VERSION",
    "DERIVED_FIGURES",
    "FUNNEL_STAGES",
    "MOMENT_S",
    "SOURCES",
    "TOLERANCE",
    "Comparison",
    "Contradiction",
    "DayFigures",
    "DigestFigures",
    "Figure",
    "Figures",
    "Reconciliation",
    "SetAside",
    "compare_with_usual",
    "compute_figures",
    "day_figures",
    "digest_figures",
    "implausible_step",
    "slipped_readings",
    "usual",
    "without_slips",
]

DEFINITIONS_VERSION = 5
"""Bumped whenever a definition changes: stored figures of an older version are recomputed."""

TOLERANCE = 0.015
"""Two sources further apart than this (relative) are reported."""
RUNNING_TOTALS = frozenset({"gmv", "orders", "items"})
"""Figures a host's pushes carry as running totals: a push above the session's total from
a file is a disagreement worth a line (below it is only an earlier reading)."""

HEAD_COUNTS = frozenset({"online"})
"""Figures a push carries as a head count of the moment: they rise and fall, but…"""
SWING_FACTOR = 8.0
"""…one at this many times the reading before, or at this fraction of it…"""
SWING_WITHIN_S = 600.0
"""…within this many seconds looks like a digit too many or too few (1.2万 typed as 1200),
not an audience: a room does not fill or empty eightfold in minutes. In the opening
:data:`OPENING_S` a room fills from nothing, and only a fall is judged."""
OPENING_S = 300.0

JUMP_FACTOR = 10.0
"""A running total at least this many times its previous push's reading…"""
JUMP_RATE_FACTOR = 100.0
"""…reached at this many times the pace of the session so far looks like a slip of the
keyboard (an extra digit or 万), not a sale."""


def implausible_step(
    key: str, previous: float, previous_s: float, value: float, value_s: float
) -> Literal["jump", "fall", "swing"] | None:
    """Whether a push's reading looks mistyped beside the push before it (``*_s``: seconds
    since the stream began).

    A running total (:data:`RUNNING_TOTALS`): ``"fall"`` when it went down (a running
    total only grows), ``"jump"`` when it rose to :data:`JUMP_FACTOR` times the previous
    reading at :data:`JUMP_RATE_FACTOR` times the pace so far. A head count
    (:data:`HEAD_COUNTS`): ``"swing"`` when it moved to :data:`SWING_FACTOR` times the
    reading before, or to that fraction of it, within :data:`SWING_WITHIN_S`. Else None.
    A first reading of zero, readings at the same moment as the start, a room filling in
    its opening minutes and head counts of nobody judge nothing."""
    if not all(math.isfinite(v) for v in (previous, previous_s, value, value_s)):
        return None
    if key in HEAD_COUNTS:
        if previous <= 0 or value <= 0 or value_s - previous_s > SWING_WITHIN_S:
            return None
        ratio = value / previous
        if ratio >= SWING_FACTOR:  # a room may fill that fast only while it opens
            return "swing" if previous_s >= OPENING_S else None
        return "swing" if ratio <= 1.0 / SWING_FACTOR else None
    if key not in RUNNING_TOTALS:
        return None
    if value < previous:
        return "fall"
    if previous <= 0 or previous_s <= 0 or value < JUMP_FACTOR * previous:
        return None
    pace_so_far = previous / previous_s
    pace_since = (value - previous) / max(value_s - previous_s, 1.0)
    return "jump" if pace_since >= JUMP_RATE_FACTOR * pace_so_far else None


def slipped_readings(t_s: Any, values: Any, *, live: bool = False) -> np.ndarray:
    """Which of a head count's pushed readings (``t_s``: seconds, ``values``: the count,
    NaN where not pushed) are slips of the keyboard, to be left out of every figure.

    Judged on both sides, unlike :func:`implausible_step`, which can only see the reading
    before: a reading at :data:`SWING_FACTOR` times both readings beside it, or at that
    fraction of both, each within :data:`SWING_WITHIN_S`, is a slip (a room does not
    fill eightfold and empty again in minutes). The first reading has nothing before it:
    it is a slip when it stands that many times above the two after it, which agree with
    each other, the next one within :data:`SWING_WITHIN_S` (a room may fill fast as it
    opens, but it does not start full and empty at once); the last reading likewise
    against the two before it, once :data:`OPENING_S` has passed between the first
    reading and the earlier of them (a room may empty at its end: only a jump counts).
    Readings of nobody neither count as slips nor judge one.

    ``live``: the readings are a live stream's so far, and its latest may be a slip
    that no later reading has told yet. It waits, left out, when it swung eightfold from
    the reading before (:func:`implausible_step`, as the reply to it says): the next
    push tells a slip from a room that really emptied."""
    t = np.asarray(t_s, dtype=float)
    v = np.asarray(values, dtype=float)
    out = np.zeros(len(v), dtype=bool)
    idx = np.flatnonzero(np.isfinite(t) & np.isfinite(v) & (v > 0))
    idx = idx[np.argsort(t[idx], kind="stable")]
    tt, vv = t[idx], v[idx]
    if len(idx) < 3:
        if live and len(idx) == 2:
            out[idx[1]] = implausible_step("online", vv[0], tt[0], vv[1], tt[1]) is not None
        return out
    f = SWING_FACTOR

    def near(a: int, b: int) -> bool:
        return bool(abs(tt[b] - tt[a]) <= SWING_WITHIN_S)

    def agree(a: int, b: int) -> bool:
        return near(a, b) and bool(max(vv[a], vv[b]) < f * min(vv[a], vv[b]))

    def above(i: int, *others: int) -> bool:
        return all(vv[i] >= f * vv[j] for j in others)

    def below(i: int, *others: int) -> bool:
        return all(vv[i] * f <= vv[j] for j in others)

    n = len(idx)
    for i in range(1, n - 1):
        beside = near(i - 1, i) and near(i, i + 1)
        out[idx[i]] = beside and (above(i, i - 1, i + 1) or below(i, i - 1, i + 1))
    out[idx[0]] = near(0, 1) and agree(1, 2) and above(0, 1, 2)
    opened = tt[n - 3] - tt[0] >= OPENING_S  # a room may fill that fast while it opens
    last = near(n - 2, n - 1) and agree(n - 3, n - 2) and above(n - 1, n - 2, n - 3)
    out[idx[-1]] = opened and last
    before = [k for k in range(n - 1) if not out[idx[k]]]
    if live and before and not out[idx[-1]]:  # against the latest reading that is no slip
        i, j = before[-1], n - 1
        out[idx[-1]] = implausible_step("online", vv[i], tt[i], vv[j], tt[j]) is not None
    return out


@overload
def without_slips(
    snapshots: pd.DataFrame, started_at: datetime | None = None, *, live: bool = False
) -> tuple[pd.DataFrame, list[SetAside]]: ...
@overload
def without_slips(
    snapshots: None, started_at: datetime | None = None, *, live: bool = False
) -> tuple[None, list[SetAside]]: ...
@overload
def without_slips(
    snapshots: pd.DataFrame | None, started_at: datetime | None = None, *, live: bool = False
) -> tuple[pd.DataFrame | None, list[SetAside]]: ...


def without_slips(
    snapshots: pd.DataFrame | None, started_at: datetime | None = None, *, live: bool = False
) -> tuple[pd.DataFrame | None, list[SetAside]]:
    """The pushes with their slips of the keyboard blanked, and the readings left out (the
    frame itself when none is): head counts by :func:`slipped_readings` (``live``: a
    live stream's pushes so far, see there), and a running
    total's last reading when it jumped from the one before (:func:`implausible_step`
    says ``"jump"``; ``started_at``, else the first push, gives the pace so far) — the
    reading before stands. A running total's jump followed by a lower reading needs
    nothing: the last reading is the figure."""
    if snapshots is None or "ts" not in snapshots.columns or not len(snapshots):
        return snapshots, []
    ts = pd.to_datetime(snapshots["ts"], utc=True, errors="coerce")
    origin = _ts(started_at)
    origin = ts.min() if origin is None or origin > ts.min() else origin
    seconds = (ts - origin).dt.total_seconds().to_numpy(float)
    out: pd.DataFrame | None = None
    aside: list[SetAside] = []
    for key in (*sorted(HEAD_COUNTS), *sorted(RUNNING_TOTALS)):
        col = _col(snapshots, key)
        if col is None:
            continue
        values = col.to_numpy(float)
        instead: float | None = None
        if key in HEAD_COUNTS:
            slipped = slipped_readings(seconds, values, live=live)
        else:
            slipped = np.zeros(len(values), dtype=bool)
            known = np.flatnonzero(np.isfinite(values))
            if len(known) >= 2:
                i, j = int(known[-2]), int(known[-1])
                step = implausible_step(key, values[i], seconds[i], values[j], seconds[j])
                if step == "jump":
                    slipped[j], instead = True, float(values[i])
        if not slipped.any():
            continue
        out = snapshots.copy() if out is None else out
        out.loc[slipped, key] = np.nan
        for k in np.flatnonzero(slipped):
            at = ts.iloc[k].to_pydatetime()
            aside.append(SetAside(key, float(values[k]), at, instead))
    return (snapshots if out is None else out), aside


Source = Literal["platform", "session", "products", "viewers", "minutes", "pushes"]
SOURCES: tuple[Source, ...] = ("platform", "session", "products", "viewers", "minutes", "pushes")

SALES = ("gmv", "orders", "items", "buyers")
BASE_FIGURES = (
    "duration_s",
    "peak_online",
    "avg_online",
    *SALES,
    "viewers",
    "views",
    "impressions",
    "clicks",
    "watch_s",
    "platform_avg_stay_s",
    "followers",
    "likes",
    "comments",
    "shares",
    "interacting",
)
DERIVED_FIGURES = (
    "per_buyer",
    "aov",
    "gpm",
    "uv_value",
    "conversion",
    "entry_rate",
    "ctr",
    "ctor",
    "avg_stay_s",
    "follow_rate",
    "interaction_rate",
    "engagement_rate",
    "lambda_per_s",
    "half_life_s",
)
FUNNEL_STAGES = (
    ("views", "viewers"),
    ("impressions", "impressions"),
    ("clicks", "clicks"),
    ("buyers", "buyers"),
)
"""(stage name, figure) in funnel order; the first stage counts distinct viewers."""


@dataclass(frozen=True)
class Figure:
    value: float
    source: str


@dataclass(frozen=True)
class Reconciliation:
    figure: str
    chosen_source: str
    chosen_value: float
    other_source: str
    other_value: float
    rel_diff: float
    """chosen / other − 1."""


@dataclass(frozen=True)
class Contradiction:
    """Two sales figures that cannot both be true (more buyers than orders, more orders
    than items): ``figure`` from ``source`` was left out against ``against`` from
    ``against_source``. With ``moment``, the two are not of one moment instead: a pushed
    reading typed when the GMV stood at ``gmv_then`` (None: before any GMV was pushed),
    left out against the session's GMV ``against_value``."""

    figure: str
    source: str
    value: float
    against: str
    against_source: str
    against_value: float
    moment: bool = False
    """True: not impossible, but of another moment (see ``gmv_then``)."""
    gmv_then: float | None = None


@dataclass(frozen=True)
class SetAside:
    """A pushed reading left out of every figure as a slip of the keyboard
    (:func:`without_slips`): ``figure``'s ``value`` pushed at ``at``; for a running
    total's last reading, ``instead`` is the reading before it, which stands."""

    figure: str
    value: float
    at: datetime
    instead: float | None = None


@dataclass(frozen=True)
class Figures:
    """The session's figures (only those the data supports), disagreements, figures left
    out as impossible beside another, and the funnel."""

    values: dict[str, Figure] = field(default_factory=dict)
    reconciliation: list[Reconciliation] = field(default_factory=list)
    funnel: list[tuple[str, float]] = field(default_factory=list)
    version: int = DEFINITIONS_VERSION
    contradictions: list[Contradiction] = field(default_factory=list)
    slips: list[SetAside] = field(default_factory=list)
    """Pushed readings left out of every figure as slips of the keyboard."""

    def get(self, name: str) -> float | None:
        fig = self.values.get(name)
        return None if fig is None else fig.value

    def source(self, name: str) -> str | None:
        fig = self.values.get(name)
        return None if fig is None else fig.source

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{figure: {"value": …, "source": …}}`` for every figure (None where unknown)."""
        out: dict[str, dict[str, Any]] = {}
        for name in (*BASE_FIGURES, *DERIVED_FIGURES):
            fig = self.values.get(name)
            out[name] = {
                "value": None if fig is None else fig.value,
                "source": None if fig is None else fig.source,
            }
        return out

    def reconciliation_dicts(self) -> list[dict[str, Any]]:
        return [
            {
                "figure": r.figure,
                "chosen_source": r.chosen_source,
                "chosen_value": r.chosen_value,
                "other_source": r.other_source,
                "other_value": r.other_value,
                "rel_diff": r.rel_diff,
            }
            for r in self.reconciliation
        ]

    def contradiction_dicts(self) -> list[dict[str, Any]]:
        return [
            {
                "figure": c.figure,
                "source": c.source,
                "value": c.value,
                "against": c.against,
                "against_source": c.against_source,
                "against_value": c.against_value,
                "moment": c.moment,
                "gmv_then": c.gmv_then,
            }
            for c in self.contradictions
        ]

    def slip_dicts(self) -> list[dict[str, Any]]:
        return [
            {"figure": a.figure, "value": a.value, "at": a.at.isoformat(), "instead": a.instead}
            for a in self.slips
        ]

    def values_dict(self) -> dict[str, float | None]:
        return {name: self.get(name) for name in (*BASE_FIGURES, *DERIVED_FIGURES)}


# ---------------------------------------------------------------- helpers


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _col(df: pd.DataFrame | None, name: str) -> pd.Series | None:
    if df is None or len(df) == 0 or name not in df.columns:
        return None
    s = pd.to_numeric(df[name], errors="coerce").astype(float)
    s = s.where(np.isfinite(s))
    return s if s.notna().any() else None


def _sum(df: pd.DataFrame | None, name: str) -> float | None:
    s = _col(df, name)
    return None if s is None else float(s.sum())


def _last(df: pd.DataFrame | None, name: str) -> float | None:
    s = _col(df, name)
    return None if s is None else float(s.dropna().iloc[-1])


def _max(df: pd.DataFrame | None, name: str) -> float | None:
    s = _col(df, name)
    return None if s is None else float(s.max())


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b:
        return None
    r = a / b
    return r if math.isfinite(r) else None


def _ts(x: Any) -> pd.Timestamp | None:
    if x is None:
        return None
    t = pd.Timestamp(x)
    if pd.isna(t):
        return None
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _sorted(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None or len(df) == 0:
        return None
    if "ts" in df.columns:
        df = df.assign(ts=pd.to_datetime(df["ts"], utc=True, errors="coerce"))
        df = df[df["ts"].notna()].sort_values("ts", kind="stable").reset_index(drop=True)
        if len(df) == 0:
            return None
    return df


# ---------------------------------------------------------------- per source


def _platform(row: Mapping[str, Any] | None) -> dict[str, float]:
    if not row:
        return {}
    out: dict[str, float] = {}
    for name, key in (
        ("duration_s", "duration_s"),
        ("gmv", "gmv"),
        ("orders", "orders"),
        ("items", "items"),
        ("buyers", "buyers"),
        ("views", "views"),
        ("impressions", "impressions"),
        ("clicks", "clicks"),
        ("followers", "followers"),
        ("peak_online", "peak_online"),
        ("platform_avg_stay_s", "avg_watch_s"),
    ):
        v = _finite(row.get(key))
        if v is not None and v >= 0:
            out[name] = v
    if out.get("duration_s") == 0:
        del out["duration_s"]
    return out


STATED_RATES = ("ctr", "ctor", "gpm")
"""Derived figures a platform's sessions export also states (its own CTR, CTOR, GPM)."""


def _stated(row: Mapping[str, Any] | None) -> dict[str, float]:
    """The platform's own CTR, CTOR and GPM of the session, as its export states them."""
    if not row:
        return {}
    out: dict[str, float] = {}
    for name in STATED_RATES:
        v = _finite(row.get(name))
        if v is not None and v >= 0:
            out[name] = v
    return out


def _with_stated(
    values: dict[str, Figure], stated: Mapping[str, float], recon: list[Reconciliation]
) -> None:
    """A rate the other figures cannot give is the platform's stated one; one they give is
    reconciled with it (CTOR only when it counts orders, as the platforms' CTOR does)."""
    for name, value in stated.items():
        fig = values.get(name)
        if fig is None:
            values[name] = Figure(value, "platform")
        elif name != "ctor" or "buyers" not in values:
            _reconcile(name, fig.source, fig.value, [("platform", value)], recon)


def _products(df: pd.DataFrame | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in ("gmv", "orders", "items"):
        v = _sum(df, name)
        if v is not None:
            out[name] = v
    return out


def _viewers(df: pd.DataFrame | None, duration: float | None) -> dict[str, float]:
    if df is None or len(df) == 0:
        return {}
    out: dict[str, float] = {}
    if "user_id" in df.columns:
        ids = df["user_id"].astype("string")
        ids = ids[ids.notna() & (ids != "") & (ids != "nan")]
        unnamed = len(df) - len(ids)
        out["viewers"] = float(ids.nunique() + unnamed)
    else:
        out["viewers"] = float(len(df))
    spend = _col(df, "spend")
    if spend is not None:
        out["gmv"] = float(spend.sum())
        out["buyers"] = float((spend > 0).sum())
    watch = _col(df, "watch_time_s")
    if watch is not None:
        out["watch_s"] = float(watch.sum())
        # only when the session's window holds the watching it reports (a file uploaded into
        # a session shorter than its own watch times says nothing of that session's online)
        if duration and float(watch.max()) <= duration * 1.05:
            out["avg_online"] = float(watch.sum()) / duration
    acts = [s for s in (_col(df, c) for c in ("likes", "comments", "shares")) if s is not None]
    for name in ("likes", "comments", "shares"):
        v = _sum(df, name)
        if v is not None:
            out[name] = v
    if acts:
        active = np.zeros(len(df), dtype=bool)
        for s in acts:
            active |= s.fillna(0).to_numpy(float) > 0
        out["interacting"] = float(active.sum())
    return out


def _minutes(df: pd.DataFrame | None) -> dict[str, float]:
    if df is None:
        return {}
    out: dict[str, float] = {}
    if "ts" in df.columns and len(df):
        out["duration_s"] = (df["ts"].iloc[-1] - df["ts"].iloc[0]).total_seconds() + 60.0
    online = _col(df, "online")
    if online is not None:
        out["peak_online"] = float(online.max())
        out["avg_online"] = float(online.mean())
        out["watch_s"] = float(online.sum()) * 60.0
    for name, col in (
        ("views", "entries"),
        ("gmv", "gmv"),
        ("orders", "orders"),
        ("followers", "followers"),
        ("likes", "likes"),
        ("comments", "comments"),
    ):
        v = _sum(df, col)
        if v is not None:
            out[name] = v
    return out


def _avg_online_pushes(df: pd.DataFrame) -> float | None:
    on = _col(df, "online")
    if on is None or "ts" not in df.columns:
        return None
    frame = pd.DataFrame({"ts": df["ts"], "on": on}).dropna()
    if len(frame) == 1:
        return float(frame["on"].iloc[0])
    t = (frame["ts"] - frame["ts"].iloc[0]).dt.total_seconds().to_numpy(float)
    v = frame["on"].to_numpy(float)
    span = t[-1] - t[0]
    if span <= 0:
        return float(v.mean())
    return float(((v[1:] + v[:-1]) / 2 * np.diff(t)).sum() / span)


_PUSHED_TOTALS = (
    ("viewers", "viewers"),
    ("views", "entries"),
    ("gmv", "gmv"),
    ("orders", "orders"),
    ("items", "items"),
    ("buyers", "buyers"),
    ("clicks", "clicks"),
    ("followers", "followers"),
    ("likes", "likes"),
    ("comments", "comments"),
    ("shares", "shares"),
)
"""(figure, snapshot column) of the running totals a push carries: each as last pushed."""


def _pushes(df: pd.DataFrame | None, started: pd.Timestamp | None) -> dict[str, float]:
    if df is None:
        return {}
    out: dict[str, float] = {}
    if "ts" in df.columns and len(df):
        lo = started if started is not None else df["ts"].iloc[0]
        d = (df["ts"].iloc[-1] - lo).total_seconds()
        if d > 0:
            out["duration_s"] = d
    peak = _max(df, "online")
    if peak is not None:
        out["peak_online"] = peak
    avg = _avg_online_pushes(df)
    if avg is not None:
        out["avg_online"] = avg
    for name, col in _PUSHED_TOTALS:
        v = _last(df, col)
        if v is not None:
            out[name] = v
    return out


MOMENT_S = 120.0
"""A GMV pushed this soon after a reading is of its moment too (`成交人数130`, then
`成交额4.8万` twenty seconds later)."""


def _same_gmv(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def _gmv_then(df: pd.DataFrame | None) -> dict[str, tuple[float, ...]]:
    """For each running total the pushes carry, the GMVs of the moment of its last reading:
    the one pushed with or before it, and one pushed within :data:`MOMENT_S` after it
    (none: no GMV had been pushed by then, or soon after). Empty when no push carried a
    GMV: nothing tells the moments apart, and the readings are taken as they are."""
    out: dict[str, tuple[float, ...]] = {}
    gmv = _col(df, "gmv")
    if df is None or gmv is None:
        return out
    ts = pd.to_datetime(df["ts"], utc=True) if "ts" in df.columns else None
    for name, column in _PUSHED_TOTALS:
        s = _col(df, column)
        if s is None or name == "gmv":
            continue
        at = s.last_valid_index()
        then = gmv.loc[:at].dropna()
        found = [] if then.empty else [float(then.iloc[-1])]
        if ts is not None:
            soon = gmv.loc[at:].iloc[1:].dropna()
            soon = soon[(ts.loc[soon.index] - ts.loc[at]).dt.total_seconds() <= MOMENT_S]
            if not soon.empty:
                found.append(float(soon.iloc[0]))
        out[name] = tuple(found)
    return out


# ---------------------------------------------------------------- choosing


def _rel(chosen: float, other: float) -> float | None:
    if other == 0:
        return None if chosen == 0 else math.inf
    return chosen / other - 1.0


def _choose(
    name: str,
    cands: dict[str, dict[str, float]],
    order: tuple[str, ...],
    values: dict[str, Figure],
    recon: list[Reconciliation],
) -> None:
    have = [(src, cands[src][name]) for src in order if name in cands.get(src, {})]
    if not have:
        return
    src, value = have[0]
    values[name] = Figure(value, src)
    _reconcile(name, src, value, have[1:], recon)


def _reconcile(
    name: str,
    src: str,
    value: float,
    others: list[tuple[str, float]],
    recon: list[Reconciliation],
) -> None:
    for other_src, other in others:
        if other_src == "pushes" and not (name in RUNNING_TOTALS and other > value):
            # a reading typed at a moment, not the session's total: below it is expected;
            # a running total above it means one of the two is wrong
            continue
        rel = _rel(value, other)
        if rel is None or abs(rel) <= TOLERANCE:
            continue
        recon.append(
            Reconciliation(
                figure=name,
                chosen_source=src,
                chosen_value=value,
                other_source=other_src,
                other_value=other,
                rel_diff=rel if math.isfinite(rel) else math.inf,
            )
        )


def _moment(
    name: str, fig: Figure, gmv: float | None, gmv_then: Mapping[str, tuple[float, ...]]
) -> tuple[float, ...]:
    """The GMVs of the moment a figure holds: a pushed running total's own (see
    :func:`_gmv_then`), the session's GMV for every other (it holds the whole session, or
    is the GMV); () when unknown."""
    if fig.source == "pushes" and name in gmv_then:
        return gmv_then[name]
    return () if gmv is None else (gmv,)


def _another_moment(
    name: str, fig: Figure, gmv: Figure | None, gmv_then: Mapping[str, tuple[float, ...]]
) -> Contradiction | None:
    """A pushed orders or buyers reading typed when the GMV stood elsewhere than the
    session's GMV: not of the same moment, so not to be set beside it (None: it may)."""
    if fig.source != "pushes" or gmv is None or name not in gmv_then:
        return None
    then = _moment(name, fig, gmv.value, gmv_then)
    if any(_same_gmv(gmv.value, g) for g in then):
        return None
    return Contradiction(
        name,
        fig.source,
        fig.value,
        "gmv",
        gmv.source,
        gmv.value,
        moment=True,
        gmv_then=then[0] if then else None,
    )


def _sales(
    cands: dict[str, dict[str, float]],
    order: tuple[str, ...],
    values: dict[str, Figure],
    recon: list[Reconciliation],
    contradictions: list[Contradiction],
    gmv_then: Mapping[str, tuple[float, ...]],
) -> None:
    with_gmv = [s for s in order if "gmv" in cands.get(s, {})]
    with_any = [s for s in order if any(k in cands.get(s, {}) for k in SALES)]
    if not with_any:
        return
    group = with_gmv[0] if with_gmv else with_any[0]
    picked: dict[str, Figure] = {}
    for name in SALES:
        if name in cands[group]:
            picked[name] = Figure(cands[group][name], group)
    # a reading pushed at another moment than the GMV's is not set beside it
    elsewhen: dict[str, Contradiction] = {}
    for name in list(picked):
        moment = _another_moment(name, picked[name], picked.get("gmv"), gmv_then)
        if moment is not None:
            elsewhen[name] = moment
            del picked[name]
    # within one source, a contradiction leaves out the member it cannot support (and no
    # other source stands in for it: the group's own source said something impossible)
    dropped = _consistent(picked, contradictions)
    for name in SALES:
        if name in picked or name in dropped:
            continue
        for src in order:
            if src == group or name not in cands.get(src, {}):
                continue
            fig = Figure(cands[src][name], src)
            moment = _another_moment(name, fig, picked.get("gmv"), gmv_then)
            if moment is not None:
                elsewhen[name] = moment
                continue
            trial = dict(picked)
            trial[name] = fig
            clash = _clash(trial, name)
            if clash is None:
                picked[name] = trial[name]
            else:
                against = picked[clash]
                contradictions.append(
                    Contradiction(name, src, cands[src][name], clash, against.source, against.value)
                )
            break
    contradictions.extend(c for name, c in elsewhen.items() if name not in picked)
    for name, fig in picked.items():
        values[name] = fig
        others = [
            (s, cands[s][name]) for s in order if s != fig.source and name in cands.get(s, {})
        ]
        _reconcile(name, fig.source, fig.value, others, recon)


_SALES_ORDER = ("buyers", "orders", "items")
"""Each buyer placed at least one order, each order holds at least one item."""


def _clash(figs: dict[str, Figure], name: str) -> str | None:
    """The figure ``name`` contradicts in ``figs`` (fewer buyers than orders than items
    must hold), or None."""
    if name not in _SALES_ORDER:
        return None
    at = _SALES_ORDER.index(name)
    for other in _SALES_ORDER:
        if other == name or other not in figs:
            continue
        low, high = (other, name) if _SALES_ORDER.index(other) < at else (name, other)
        if figs[low].value > figs[high].value:
            return other
    return None


def _consistent(figs: dict[str, Figure], contradictions: list[Contradiction]) -> set[str]:
    dropped: set[str] = set()
    for low, high in (("buyers", "orders"), ("orders", "items"), ("buyers", "items")):
        if low in figs and high in figs and figs[low].value > figs[high].value:
            drop, keep = (low, high) if low == "buyers" else (high, low)
            contradictions.append(
                Contradiction(
                    drop,
                    figs[drop].source,
                    figs[drop].value,
                    keep,
                    figs[keep].source,
                    figs[keep].value,
                )
            )
            del figs[drop]
            dropped.add(drop)
    return dropped


def _derived(values: dict[str, Figure], gmv_then: Mapping[str, tuple[float, ...]]) -> None:
    def get(name: str) -> float | None:
        fig = values.get(name)
        return None if fig is None else fig.value

    def one_moment(*inputs: str) -> bool:
        known = [
            _moment(n, fig, get("gmv"), gmv_then)
            for n in inputs
            if (fig := values.get(n)) is not None
        ]
        if any(not k for k in known):
            return all(not k for k in known)
        return any(all(any(_same_gmv(v, w) for w in k) for k in known) for v in known[0])

    def src(*names: str) -> str:
        seen: list[str] = []
        for n in names:
            fig = values.get(n)
            if fig is not None and fig.source not in seen:
                seen.append(fig.source)
        return "+".join(seen)

    def put(name: str, value: float | None, *inputs: str) -> None:
        # a ratio of two readings typed at different moments is no figure of the session
        if value is not None and math.isfinite(value) and one_moment(*inputs):
            values[name] = Figure(value, src(*inputs))

    gmv, orders, buyers = get("gmv"), get("orders"), get("buyers")
    viewers, views = get("viewers"), get("views")
    put("per_buyer", _div(gmv, buyers), "gmv", "buyers")
    put("aov", _div(gmv, orders), "gmv", "orders")
    gpm = _div(gmv, views)
    put("gpm", None if gpm is None else gpm * 1000.0, "gmv", "views")
    put("uv_value", _div(gmv, viewers), "gmv", "viewers")
    put("conversion", _div(buyers, viewers), "buyers", "viewers")
    put("ctr", _div(get("clicks"), get("impressions")), "clicks", "impressions")
    if buyers is not None:
        put("ctor", _div(buyers, get("clicks")), "buyers", "clicks")
    else:
        put("ctor", _div(orders, get("clicks")), "orders", "clicks")
    # average stay: the platform's own, else watch seconds per viewer (per view from minutes)
    stay = values.get("platform_avg_stay_s")
    watch = values.get("watch_s")
    if stay is not None:
        values["avg_stay_s"] = Figure(stay.value, stay.source)
    elif watch is not None:
        per = viewers if watch.source != "minutes" else views
        if watch.source == "minutes" and values.get("views") is not None:
            put("avg_stay_s", _div(watch.value, per), "watch_s", "views")
        elif watch.source != "minutes":
            put("avg_stay_s", _div(watch.value, per), "watch_s", "viewers")
    put("follow_rate", _div(get("followers"), viewers), "followers", "viewers")
    put("interaction_rate", _div(get("interacting"), viewers), "interacting", "viewers")
    acts = [n for n in ("likes", "comments", "shares") if get(n) is not None]
    if acts:
        total = sum(get(n) or 0.0 for n in acts)
        put("engagement_rate", _div(total, viewers), *acts, "viewers")


def _funnel(values: dict[str, Figure]) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for stage, name in FUNNEL_STAGES:
        fig = values.get(name)
        if fig is None:
            continue
        if out and fig.value > out[-1][1]:
            continue
        out.append((stage, fig.value))
    return out


# ---------------------------------------------------------------- entry point


def compute_figures(
    *,
    snapshots: pd.DataFrame | None = None,
    minutes: pd.DataFrame | None = None,
    viewers: pd.DataFrame | None = None,
    platform: Mapping[str, Any] | None = None,
    products: pd.DataFrame | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    attention: Any = None,
) -> Figures:
    """Every figure of one session from whatever it has (each input may be None or empty).

    ``platform``: the platform's session row (past-session columns) matched to this
    session. ``attention``: an estimate with ``lambda_per_s``, ``half_life_s`` and
    ``source`` (the report's); without it the attention figures are computed from the
    viewer rows, else the minutes, else the pushes.
    """
    pushed = _sorted(snapshots)
    snaps, slips = without_slips(pushed, started_at)
    mins = _sorted(minutes)
    views_df = viewers if viewers is not None and len(viewers) else None
    start, end = _ts(started_at), _ts(ended_at)

    cands: dict[str, dict[str, float]] = {
        "platform": _platform(platform),
        "products": _products(products),
        "minutes": _minutes(mins),
        "pushes": _pushes(snaps, start),
    }
    session_d: dict[str, float] = {}
    if start is not None and end is not None and (end - start).total_seconds() > 0:
        session_d["duration_s"] = (end - start).total_seconds()
    cands["session"] = session_d

    values: dict[str, Figure] = {}
    recon: list[Reconciliation] = []
    order = SOURCES
    _choose("duration_s", cands, order, values, recon)
    duration = values["duration_s"].value if "duration_s" in values else None
    cands["viewers"] = _viewers(views_df, duration)

    for name in BASE_FIGURES:
        if name in SALES or name == "duration_s":
            continue
        _choose(name, cands, order, values, recon)
    views_fig, viewers_fig = values.get("views"), values.get("viewers")
    if (
        views_fig is not None
        and views_fig.source == "pushes"
        and viewers_fig is not None
        and views_fig.value < viewers_fig.value
    ):
        # every viewer entered at least once: a push's reading of fewer entries than the
        # viewers is an early one, not the session's count; left out rather than divide
        # the GMV by it
        del values["views"]
    contradictions: list[Contradiction] = []
    gmv_then = _gmv_then(pushed)  # as typed: a reading pushed with a slip is of its moment
    _sales(cands, order, values, recon, contradictions, gmv_then)
    _derived(values, gmv_then)
    _with_stated(values, _stated(platform), recon)

    est = attention
    if est is None and (snaps is not None or mins is not None or views_df is not None):
        from core.attention import choose_estimate

        est = choose_estimate(snaps, mins, views_df, duration if duration else None)[0]
    if est is not None and getattr(est, "supported", True):
        # an estimate the data cannot carry is no figure: not shown, not compared
        lam, hl = _finite(est.lambda_per_s), _finite(est.half_life_s)
        if lam is not None and hl is not None:
            values["lambda_per_s"] = Figure(lam, str(est.source))
            values["half_life_s"] = Figure(hl, str(est.source))
    stay = values.get("platform_avg_stay_s")
    if "half_life_s" not in values and stay is not None and stay.value > 0:
        # exponential attention: mean stay = 1/λ, so half-life = ln 2 × mean stay
        values["lambda_per_s"] = Figure(1.0 / stay.value, stay.source)
        values["half_life_s"] = Figure(math.log(2) * stay.value, stay.source)

    ordered = {n: values[n] for n in (*BASE_FIGURES, *DERIVED_FIGURES) if n in values}
    return Figures(
        values=ordered,
        reconciliation=recon,
        funnel=_funnel(ordered),
        contradictions=contradictions,
        slips=slips,
    )


# ---------------------------------------------------------------- against past streams

COMPARED = ("gmv", "half_life_s", "peak_online", "duration_s")
"""The figures a summary compares with the workspace's usual (the median of past streams)."""


@dataclass(frozen=True)
class Comparison:
    figure: str
    value: float
    usual: float
    change: float | None
    """value / usual − 1 (None when the usual is 0)."""


def usual(values: Sequence[float | None]) -> float | None:
    """The median of the known, finite values; None without any."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return float(np.median(finite)) if finite else None


def compare_with_usual(
    figures: Figures,
    history: Sequence[Mapping[str, float | None]],
    names: Sequence[str] = COMPARED,
) -> list[Comparison]:
    """Each of ``names`` the session has against the median of the past streams' values
    (``history``: one mapping of figure → value a stream, as stored)."""
    out: list[Comparison] = []
    for name in names:
        value = figures.get(name)
        median = usual([h.get(name) for h in history])
        if value is None or median is None:
            continue
        change = value / median - 1.0 if median else None
        out.append(Comparison(name, value, median, change))
    return out


# ---------------------------------------------------------------- across a day's streams

TREND_BAND = 0.1
"""A half-life within ±10 % of the usual one is "about the same"."""


@dataclass(frozen=True)
class DayFigures:
    """One day of streams: GMV summed over them, the median of their half-lives."""

    gmv: float | None
    half_life_s: float | None
    streams: int


def _known(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def day_figures(streams: Sequence[Mapping[str, float | None]]) -> DayFigures:
    """The figures of one day from its streams' stored figures (None where none is known)."""
    gmvs = _known([s.get("gmv") for s in streams])
    return DayFigures(
        gmv=float(sum(gmvs)) if gmvs else None,
        half_life_s=usual([s.get("half_life_s") for s in streams]),
        streams=len(streams),
    )


@dataclass(frozen=True)
class DigestFigures:
    """A digest's figures: the period's streams against the streaming days before it."""

    streams: int
    gmv: float | None
    """Σ GMV of the period's streams."""
    average_gmv: float | None
    """The mean, over the streaming days before, of each day's Σ GMV."""
    gmv_change: float | None
    """gmv / average_gmv − 1."""
    half_life_s: float | None
    """The median of the period's half-lives."""
    prior_half_life_s: float | None
    """The median of the half-lives of the streams before."""
    half_life_trend: Literal["better", "worse", "same"] | None
    best: int | None
    """The index (in the period) of the stream with the highest GMV."""
    best_share: float | None
    """Its share of the period's GMV (None for a period of one stream)."""


def digest_figures(
    period: Sequence[Mapping[str, float | None]],
    before: Sequence[Sequence[Mapping[str, float | None]]],
) -> DigestFigures:
    """The digest's figures from stored per-stream figures: ``period`` the streams it
    covers, ``before`` the streams of each streaming day before it (a list a day)."""
    today = day_figures(period)
    days = [day_figures(day) for day in before if day]
    average = _known([d.gmv for d in days])
    avg = float(np.mean(average)) if average else None
    gmv = today.gmv
    change = gmv / avg - 1.0 if gmv is not None and avg else None
    prior = usual([s.get("half_life_s") for day in before for s in day])
    trend: Literal["better", "worse", "same"] | None = None
    if today.half_life_s is not None and prior:
        ratio = today.half_life_s / prior
        trend = (
            "better" if ratio > 1 + TREND_BAND else "worse" if ratio < 1 - TREND_BAND else "same"
        )
    ranked = [(i, float(v)) for i, s in enumerate(period) if (v := s.get("gmv")) is not None]
    ranked = [(i, v) for i, v in ranked if math.isfinite(v)]
    best = max(ranked, key=lambda iv: iv[1])[0] if ranked else None
    share = None
    if best is not None and gmv and len(period) > 1:
        share = ranked[[i for i, _ in ranked].index(best)][1] / gmv
    return DigestFigures(
        streams=len(period),
        gmv=gmv,
        average_gmv=avg,
        gmv_change=change,
        half_life_s=today.half_life_s,
        prior_half_life_s=prior,
        half_life_trend=trend,
        best=best,
        best_share=share,
    )
