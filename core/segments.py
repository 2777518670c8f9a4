"""Viewer segments: k-means on engagement, watch time and spend, named from the centres.

Features (log1p, then standardised): engagement = (likes + comments + shares) per minute
watched, watch time, and spend (this session's ``spend``; without it the history's
``purchase_amount``; without both, two features). k-means is fitted on a sample of at
most :data:`FIT_MAX_ROWS` rows and every viewer is then assigned to the nearest centre.

Naming follows each segment's own centre: a segment where at least half the viewers
spent is a spending segment; the spending segments are named by their average spend,
lowest first ("small buyers", "buyers", "big spenders"). The others: with three or more,
the shortest average watch is "drop-ins"; with four, the highest interest (standardised
engagement plus watch time) is "fans"; of the two left, the one with more interactions a
minute is "engaged" and the other "watchers" — when their interactions a minute are not
different (or unknown), they are named by watch time instead ("drop-ins" or "watchers"
for the shorter). With more segments than names, the extra ones are "watchers_N". Labels
are ordered: the non-spending segments first (drop-ins, watchers, engaged, fans, by
interest within a name), then the spending ones by average spend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FIT_MAX_ROWS", "SEGMENT_NAMES", "SegmentResult", "segment_viewers"]

FIT_MAX_ROWS = 20_000
MIN_ROWS_PER_SEGMENT = 25

SEGMENT_NAMES: dict[str, tuple[str, str]] = {
    "drop_ins": ("drop-ins", "路过客"),
    "watchers": ("watchers", "观望者"),
    "engaged": ("engaged", "互动粉"),
    "fans": ("fans", "铁粉"),
    "small_buyers": ("small buyers", "小额买家"),
    "buyers": ("buyers", "购买者"),
    "big_spenders": ("big spenders", "高消费"),
}
"""Segment key → (English name, Chinese name)."""

_SPENDING = {
    1: ["buyers"],
    2: ["buyers", "big_spenders"],
    3: ["small_buyers", "buyers", "big_spenders"],
}


@dataclass(frozen=True)
class SegmentResult:
    """``labels[i]`` is viewer *i*'s row in ``table``."""

    labels: np.ndarray
    table: pd.DataFrame
    """key, name_en, name_zh, size, share, avg_watch_s, avg_engagement_per_min,
    avg_spend (NaN without spend data), buyer_share, spend_share."""


def _names(count: int, table: dict[int, list[str]], fallback: str) -> list[str]:
    if count in table:
        return list(table[count])
    longest = table[max(table)]
    extra = [f"{fallback}_{i + 1}" for i in range(count - len(longest))]
    return [*extra, *longest]


def _num(df: pd.DataFrame, col: str) -> pd.Series | None:
    if col not in df.columns:
        return None
    s = pd.to_numeric(df[col], errors="coerce").astype(float)
    return s if s.notna().any() else None


def segment_viewers(
    viewers_df: pd.DataFrame | None, k: int = 4, random_state: int = 0
) -> SegmentResult | None:
    """Segments of the viewers; None without viewers or watch times."""
    if viewers_df is None or len(viewers_df) == 0:
        return None
    watch = _num(viewers_df, "watch_time_s")
    if watch is None:
        return None
    n = len(viewers_df)
    watch = watch.clip(lower=0)
    inter = [s for c in ("likes", "comments", "shares") if (s := _num(viewers_df, c)) is not None]
    if inter:
        total = pd.concat(inter, axis=1).sum(axis=1, min_count=1)
        engagement = total / (watch / 60.0).clip(lower=0.5)
    else:
        engagement = pd.Series(np.nan, index=viewers_df.index)
    spend = _num(viewers_df, "spend")
    if spend is None:
        spend = _num(viewers_df, "purchase_amount")
    cols = {"watch": watch.to_numpy(float)}
    if engagement.notna().any():
        cols["engagement"] = engagement.to_numpy(float)
    if spend is not None:
        cols["spend"] = spend.clip(lower=0).to_numpy(float)
    raw = np.column_stack(list(cols.values()))
    feats = np.log1p(np.clip(raw, 0, None))
    med = np.nanmedian(feats, axis=0)
    med = np.where(np.isfinite(med), med, 0.0)
    feats = np.where(np.isnan(feats), med, feats)
    sd = feats.std(axis=0)
    z = (feats - feats.mean(axis=0)) / np.where(sd > 0, sd, 1.0)

    distinct = len(np.unique(z[: min(n, FIT_MAX_ROWS)].round(6), axis=0))
    k_eff = max(1, min(k, n // MIN_ROWS_PER_SEGMENT, distinct))
    if k_eff == 1:
        labels = np.zeros(n, dtype=np.int64)
    else:
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        rng = np.random.default_rng(random_state)
        fit_idx = rng.choice(n, FIT_MAX_ROWS, replace=False) if n > FIT_MAX_ROWS else None
        km = KMeans(n_clusters=k_eff, n_init=3, random_state=random_state)
        # one thread: OpenMP workers spin badly when the cores are busy, and the
        # problem is small enough that threads do not pay off
        with threadpool_limits(limits=1):
            km.fit(z if fit_idx is None else z[fit_idx])
            labels = km.predict(z).astype(np.int64)
    return _describe(labels, cols, spend is not None, z)


def _describe(
    labels: np.ndarray, cols: dict[str, np.ndarray], has_spend: bool, z: np.ndarray
) -> SegmentResult:
    n = len(labels)
    frame = pd.DataFrame({"label": labels, **cols})
    if has_spend:
        frame["bought"] = (frame["spend"] > 0).astype(float).where(frame["spend"].notna())
    g = frame.groupby("label")
    stats = pd.DataFrame({"size": g.size()})
    stats["avg_watch_s"] = g["watch"].mean()
    stats["avg_engagement_per_min"] = g["engagement"].mean() if "engagement" in frame else np.nan
    stats["avg_spend"] = g["spend"].mean() if has_spend else np.nan
    stats["buyer_share"] = g["bought"].mean() if has_spend else np.nan
    total_spend = frame["spend"].sum() if has_spend else np.nan
    stats["spend_share"] = (
        g["spend"].sum() / total_spend if has_spend and total_spend > 0 else np.nan
    )
    zf = pd.DataFrame(z[:, : 2 if "engagement" in cols else 1]).groupby(labels).mean()
    stats["interest"] = zf.sum(axis=1)

    spending: Any = stats.index[(stats["buyer_share"] >= 0.5).to_numpy()] if has_spend else []
    spending_sorted = list(stats.loc[list(spending)].sort_values("avg_spend").index)
    others = stats.drop(index=list(spending))
    other_keys = _name_others(others)
    keys_of = dict(other_keys)
    others_sorted = sorted(
        others.index, key=lambda i: (_RANK.get(keys_of[i], 9), others.loc[i, "interest"])
    )
    keys = [keys_of[i] for i in others_sorted]
    keys += _names(len(spending_sorted), _SPENDING, "buyers") if spending_sorted else []
    order = others_sorted + spending_sorted
    remap = np.empty(max(order) + 1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    table = stats.loc[order].reset_index(drop=True).drop(columns="interest")
    table.insert(0, "key", keys)
    table.insert(1, "name_en", [SEGMENT_NAMES.get(k, (k.replace("_", " "), k))[0] for k in keys])
    table.insert(2, "name_zh", [_zh(k) for k in keys])
    table["share"] = table["size"] / n
    table = table[
        [
            "key",
            "name_en",
            "name_zh",
            "size",
            "share",
            "avg_watch_s",
            "avg_engagement_per_min",
            "avg_spend",
            "buyer_share",
            "spend_share",
        ]
    ]
    return SegmentResult(labels=remap[labels], table=table)


_RANK = {"drop_ins": 0, "watchers": 1, "engaged": 2, "fans": 3}


def _name_others(stats: pd.DataFrame) -> list[tuple[Any, str]]:
    """(label, key) of the non-spending segments, named from their own centres."""
    left = list(stats.index)
    named: list[tuple[Any, str]] = []
    if not left:
        return named
    if len(left) == 1:
        return [(left[0], "watchers")]
    extra: list[Any] = []
    if len(left) >= 3:
        by_watch = sorted(left, key=lambda i: stats.loc[i, "avg_watch_s"])
        named.append((by_watch[0], "drop_ins"))
        left.remove(by_watch[0])
    if len(left) >= 3:
        by_interest = sorted(left, key=lambda i: stats.loc[i, "interest"])
        named.append((by_interest[-1], "fans"))
        left.remove(by_interest[-1])
        # beyond four segments: the least interested extras are numbered watchers
        extra = by_interest[: len(left) - 2]
        left = [i for i in left if i not in extra]
    a, b = left
    ea = stats.loc[a, "avg_engagement_per_min"]
    eb = stats.loc[b, "avg_engagement_per_min"]
    if np.isfinite(ea) and np.isfinite(eb) and ea != eb:
        hi, lo = (a, b) if ea > eb else (b, a)
        named += [(hi, "engaged"), (lo, "watchers")]
    else:
        longer, shorter = sorted((a, b), key=lambda i: -stats.loc[i, "avg_watch_s"])
        used = {k for _, k in named}
        named += [
            (longer, "watchers"),
            (shorter, "watchers_2" if "drop_ins" in used else "drop_ins"),
        ]
    named += [(i, f"watchers_{n + 3}") for n, i in enumerate(extra)]
    return named


def _zh(key: str) -> str:
    if key in SEGMENT_NAMES:
        return SEGMENT_NAMES[key][1]
    base, _, num = key.rpartition("_")
    return f"{SEGMENT_NAMES.get(base, (base, base))[1]}{num}"
