"""Products and the stream's timeline: what each product did, and each stretch of the stream.

Frames (docs/architecture.md):

* **products** — one row a product of one session, from a platform's product export:
  ``product_id``, ``name``, ``impressions``, ``clicks``, ``orders``, ``buyers``, ``items``,
  ``gmv``, ``explain_count``, ``explain_s`` (any may be missing: NaN);
* **marks** — the timeline told from chat: ``ts``, ``kind`` ("product" starts presenting a
  product, "product_end" ends it, or an event kind of :data:`core.events.EVENT_KINDS`),
  ``label`` (the product's name or the event's words), ``product_no`` (the link number, or
  NaN).

Per product (:func:`product_figures`): impressions, clicks, CTR = clicks / impressions,
buyers and orders, items, GMV, CTOR = buyers (else orders) / clicks, GMV per minute presented
(presenting time from the export's 讲解时长, else from the chat timeline), share of the
session's GMV. A figure the data cannot support is None.

Per segment (:func:`segments` then :func:`segment_figures`): a product segment runs from its
mark to the next product mark (or its end mark, or the end of the stream); between events,
the stretches between consecutive events. For each: online at its start and end, the leave
hazard during it against the whole stream's, GMV per minute, and GPM (GMV per 1,000 entries).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.nudges import REPEAT_GAP_S, NudgeDecision

__all__ = [
    "PRODUCT_COLUMNS",
    "ProductFigures",
    "Segment",
    "SegmentFigures",
    "highlights",
    "presenting_nudge",
    "product_figures",
    "segment_figures",
    "segments",
]

PRODUCT_COLUMNS = (
    "product_id",
    "name",
    "impressions",
    "clicks",
    "orders",
    "buyers",
    "items",
    "gmv",
    "explain_count",
    "explain_s",
)
MIN_PRODUCTS_FOR_WORST = 3


@dataclass(frozen=True)
class ProductFigures:
    product_id: str | None
    name: str | None
    impressions: float | None
    clicks: float | None
    ctr: float | None
    buyers: float | None
    orders: float | None
    items: float | None
    gmv: float | None
    ctor: float | None
    presented_min: float | None
    gmv_per_min_presented: float | None
    gmv_share: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Segment:
    """A stretch of the stream: a product being presented, or the time between events."""

    kind: str
    """"product" or "between_events"."""
    start: pd.Timestamp
    end: pd.Timestamp
    label: str | None = None
    product_no: int | None = None


@dataclass(frozen=True)
class SegmentFigures:
    segment: Segment
    minutes: float
    online_start: float | None
    online_end: float | None
    hazard_per_s: float | None
    hazard_vs_session: float | None
    """The segment's hazard over the stream's: 1.3 is 30 % more leaving than usual."""
    gmv_per_min: float | None
    gpm: float | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["segment"] = {
            "kind": self.segment.kind,
            "start": self.segment.start.isoformat(),
            "end": self.segment.end.isoformat(),
            "label": self.segment.label,
            "product_no": self.segment.product_no,
        }
        return out


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[name], errors="coerce").astype(float)


def _v(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return a / b


def _text(x: Any) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    s = str(x).strip()
    return s or None


def _presented_from_marks(marks: pd.DataFrame | None, end: pd.Timestamp | None) -> dict[str, float]:
    """Minutes each product was presented, from the chat timeline, keyed by number and name."""
    out: dict[str, float] = {}
    for seg in segments(marks, end=end, kind="product"):
        minutes = (seg.end - seg.start).total_seconds() / 60.0
        for key in (
            f"#{seg.product_no}" if seg.product_no is not None else None,
            (seg.label or "").strip().lower() or None,
        ):
            if key:
                out[key] = out.get(key, 0.0) + minutes
    return out


def product_figures(
    products: pd.DataFrame | None,
    *,
    session_gmv: float | None = None,
    marks: pd.DataFrame | None = None,
    session_end: Any = None,
) -> list[ProductFigures]:
    """Every product's figures, highest GMV first. ``session_gmv`` is the session's GMV as
    the figures module chose it (else the sum over products)."""
    if products is None or len(products) == 0:
        return []
    df = products.reset_index(drop=True)
    gmv = _col(df, "gmv")
    total = session_gmv if session_gmv and session_gmv > 0 else _v(gmv.sum(min_count=1))
    end = _ts(session_end)
    from_marks = _presented_from_marks(marks, end) if marks is not None else {}
    out: list[ProductFigures] = []
    for i in range(len(df)):
        row = {c: (_col(df, c).iloc[i]) for c in PRODUCT_COLUMNS if c not in ("product_id", "name")}
        impressions, clicks = _v(row["impressions"]), _v(row["clicks"])
        buyers, orders = _v(row["buyers"]), _v(row["orders"])
        g = _v(row["gmv"])
        name = _text(df["name"].iloc[i]) if "name" in df.columns else None
        pid = _text(df["product_id"].iloc[i]) if "product_id" in df.columns else None
        presented = _v(row["explain_s"])
        presented_min = presented / 60.0 if presented else None
        if presented_min is None:
            presented_min = from_marks.get((name or "").strip().lower()) or (
                from_marks.get(f"#{pid}") if pid else None
            )
        out.append(
            ProductFigures(
                product_id=pid,
                name=name,
                impressions=impressions,
                clicks=clicks,
                ctr=_div(clicks, impressions),
                buyers=buyers,
                orders=orders,
                items=_v(row["items"]),
                gmv=g,
                ctor=_div(buyers if buyers is not None else orders, clicks),
                presented_min=presented_min,
                gmv_per_min_presented=_div(g, presented_min),
                gmv_share=_div(g, total),
            )
        )
    out.sort(key=lambda p: -(p.gmv or 0.0))
    return out


def highlights(figures: list[ProductFigures], top: int = 3) -> dict[str, Any]:
    """The top products by GMV, and the one with the most exposure and the least conversion
    (among products shown at least as often as the median one; three products or more)."""
    best = [p for p in figures if p.gmv is not None and p.gmv > 0][:top]
    worst: ProductFigures | None = None
    shown = [p for p in figures if p.impressions is not None and p.impressions > 0]
    if len(shown) >= MIN_PRODUCTS_FOR_WORST:
        median = float(np.median([p.impressions for p in shown]))
        candidates = [
            p for p in shown if (p.impressions or 0) >= median and _conversion(p) is not None
        ]
        if candidates:
            worst = min(candidates, key=lambda p: (_conversion(p), -(p.impressions or 0)))
            if best and worst is best[0]:
                worst = None
    return {"top": best, "exposed_not_converting": worst}


def _conversion(p: ProductFigures) -> float | None:
    bought = p.buyers if p.buyers is not None else p.orders
    return _div(bought, p.impressions)


def _ts(x: Any) -> pd.Timestamp | None:
    if x is None:
        return None
    t = pd.Timestamp(x)
    if pd.isna(t):
        return None
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def segments(
    marks: pd.DataFrame | None,
    *,
    end: Any = None,
    kind: str = "product",
) -> list[Segment]:
    """Product segments (``kind="product"``) or the stretches between events
    (``kind="between_events"``) of a timeline. A product segment ends at the next product
    mark, its end mark or ``end``; an open last segment without ``end`` is left out."""
    if marks is None or len(marks) == 0:
        return []
    df = marks.assign(ts=pd.to_datetime(marks["ts"], utc=True)).sort_values("ts", kind="stable")
    stop = _ts(end)
    out: list[Segment] = []
    if kind == "product":
        current: tuple[pd.Timestamp, str | None, int | None] | None = None
        labels = df["label"] if "label" in df.columns else pd.Series(None, index=df.index)
        numbers = (
            df["product_no"] if "product_no" in df.columns else pd.Series(None, index=df.index)
        )
        for at, mark_kind, label, no in zip(
            df["ts"], df["kind"].astype(str), labels, numbers, strict=True
        ):
            if mark_kind not in ("product", "product_end"):
                continue
            ts = pd.Timestamp(at)
            if current is not None and ts > current[0]:
                out.append(Segment("product", current[0], ts, current[1], current[2]))
            current = None
            if mark_kind == "product":
                number = int(no) if no is not None and not pd.isna(no) else None
                current = (ts, _text(label), number)
        if current is not None and stop is not None and stop > current[0]:
            out.append(Segment("product", current[0], stop, current[1], current[2]))
        return out
    events = df[~df["kind"].isin(["product", "product_end"])]
    times = list(events["ts"])
    kinds = [_text(v) for v in events["kind"]]
    for i, t in enumerate(times):
        nxt = times[i + 1] if i + 1 < len(times) else stop
        if nxt is not None and nxt > t:
            out.append(Segment("between_events", t, nxt, kinds[i]))
    return out


def segment_figures(minutes: pd.DataFrame | None, segs: list[Segment]) -> list[SegmentFigures]:
    """Each segment's figures from the minute rows (online, entries, exits, gmv)."""
    if minutes is None or len(minutes) == 0 or not segs:
        return []
    df = minutes.assign(ts=pd.to_datetime(minutes["ts"], utc=True)).sort_values("ts")
    online, exits = _col(df, "online"), _col(df, "exits")
    entries, gmv = _col(df, "entries"), _col(df, "gmv")
    ok = online.notna() & exits.notna()
    exposure = float(online[ok].sum() * 60.0)
    session_hazard = float(exits[ok].sum()) / exposure if exposure > 0 else None
    out: list[SegmentFigures] = []
    for seg in segs:
        sel = (df["ts"] >= seg.start.floor("min")) & (df["ts"] < seg.end)
        if not sel.any():
            continue
        on = online[sel].dropna()
        ex_ok = sel & ok
        seg_exposure = float(online[ex_ok].sum() * 60.0)
        hazard = float(exits[ex_ok].sum()) / seg_exposure if seg_exposure > 0 else None
        minutes_n = max((seg.end - seg.start).total_seconds() / 60.0, 1.0)
        g = _v(gmv[sel].sum(min_count=1))
        views = _v(entries[sel].sum(min_count=1))
        out.append(
            SegmentFigures(
                segment=seg,
                minutes=round(minutes_n, 2),
                online_start=_v(on.iloc[0]) if len(on) else None,
                online_end=_v(on.iloc[-1]) if len(on) else None,
                hazard_per_s=hazard,
                hazard_vs_session=_div(hazard, session_hazard),
                gmv_per_min=_div(g, minutes_n) if g is not None else None,
                gpm=_div(g * 1000.0, views) if g is not None and views is not None else None,
            )
        )
    return out


NUDGE_MIN_MINUTES = 5.0
"""A product is judged after this long on air."""
NUDGE_BELOW = 0.75
"""Its click rate must be under this share of the session's to nudge."""


def _matches(p: ProductFigures, seg: Segment) -> bool:
    name = (p.name or "").strip().lower()
    label = (seg.label or "").strip().lower()
    if label and name and (label == name or label in name or name in label):
        return True
    return seg.product_no is not None and p.product_id == str(seg.product_no)


def presenting_nudge(
    marks: pd.DataFrame | None,
    products: pd.DataFrame | None,
    now: Any,
    *,
    last_nudge_at: Any = None,
    min_gap_s: float = 600.0,
    previous: Any = None,
    repeat_gap_s: float = REPEAT_GAP_S,
    min_minutes: float = NUDGE_MIN_MINUTES,
    below: float = NUDGE_BELOW,
) -> NudgeDecision | None:
    """``product_low_ctr`` when the product being presented (the open product segment of
    the chat timeline) has been on for ``min_minutes`` and its click rate (from the
    session's product list) is under ``below`` × the session's click rate (Σ clicks /
    Σ impressions over its products); None otherwise. At most one nudge per ``min_gap_s``
    (``last_nudge_at``: the session's last nudge of any kind), and about the same product
    at most once per ``repeat_gap_s`` (``previous``: code → (time, params), the params of
    a product nudge with its ``label``)."""
    at = _ts(now)
    if at is None or marks is None or len(marks) == 0 or products is None or len(products) == 0:
        return None
    last = _ts(last_nudge_at)
    if last is not None and (at - last).total_seconds() < min_gap_s:
        return None
    open_segs = [s for s in segments(marks, end=at, kind="product") if s.end == at]
    if not open_segs:
        return None
    seg = open_segs[-1]
    minutes = (at - seg.start).total_seconds() / 60.0
    if minutes < min_minutes:
        return None
    figures = product_figures(products)
    product = next((p for p in figures if _matches(p, seg)), None)
    if product is None or product.ctr is None:
        return None
    pairs = [(p.clicks, p.impressions) for p in figures if p.ctr is not None]
    mean = _div(sum(c for c, _ in pairs if c is not None), sum(i for _, i in pairs if i))
    if mean is None or mean <= 0 or product.ctr >= below * mean:
        return None
    label = seg.label or product.name
    if previous and "product_low_ctr" in previous:
        when, before = previous["product_low_ctr"]
        same = before.get("label") == label and before.get("product_no") == seg.product_no
        when_ts = _ts(when)
        if same and when_ts is not None and (at - when_ts).total_seconds() < repeat_gap_s:
            return None
    params = {"minutes": float(int(minutes)), "ctr": product.ctr, "mean": mean}
    if seg.product_no is not None:
        params["product_no"] = float(seg.product_no)
    return NudgeDecision("product_low_ctr", params, label)
