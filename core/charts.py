"""PNG charts for the session summary and the daily digest.

matplotlib's object API with the Agg canvas only (no pyplot, no global state changed):
safe in worker threads and process pools. Every chart is 900 × 540 px with large text,
legible on a phone. Labels are English or Chinese; Chinese falls back to English when no
CJK font is installed (see :mod:`core.fonts`).

``digest_chart`` takes a daily frame with columns ``date`` (date or datetime), ``gmv``
and ``half_life_s`` (either may be NaN on a day without data); the last 14 days are drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, DateFormatter, HourLocator, MinuteLocator
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from core.fonts import chart_lang, font_family
from core.money import currency_mark
from core.report import (
    BuyingPowerChartData,
    FunnelData,
    OnlineSeriesData,
    RetentionData,
    SessionReport,
)

__all__ = [
    "DIGEST_MIN_DAYS",
    "DPI",
    "FUNNEL_MIN_STAGES",
    "LABELS",
    "MIN_BAR_SHARE",
    "SIZE_IN",
    "buying_power_chart",
    "buying_power_figure",
    "digest_chart",
    "digest_figure",
    "digest_has_chart",
    "funnel_chart",
    "funnel_figure",
    "labels",
    "online_chart",
    "online_figure",
    "online_has_chart",
    "products_chart",
    "products_figure",
    "retention_chart",
    "retention_has_chart",
    "summary_charts",
    "timeline_chart",
    "timeline_figure",
]

SIZE_IN = (9.0, 5.4)
DPI = 100
FONT_SIZE = 15
TITLE_SIZE = 19
COLORS = {
    "main": "#1f6feb",
    "accent": "#e8590c",
    "muted": "#8b949e",
    "good": "#2f9e44",
    "fill": "#a5c8ff",
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "online_title": "Online viewers",
        "online": "Online",
        "pushes": "Pushed numbers",
        "nudge": "Nudge",
        "retention_title": "How long viewers stay",
        "minutes_watched": "Minutes watched",
        "still_watching": "Still watching",
        "km": "Observed",
        "fit": "Fitted curve",
        "fit_two_phase": "Fitted: quick leavers + stayers",
        "median_stay": "Median stay {v}",
        "half_life": "Half-life {v}",
        "funnel_title": "Funnel",
        "views": "Views",
        "impressions": "Product views",
        "clicks": "Product clicks",
        "buyers": "Buyers",
        "bp_title": "Buying power by tier",
        "top": "Top 10%",
        "middle": "Next 30%",
        "rest": "Rest",
        "predicted": "Predicted spend",
        "actual": "Actual spend",
        "spend": "Spend",
        "digest_title": "GMV, last 14 days",
        "gmv": "GMV",
        "half_life_axis": "Half-life (min)",
        "in_currency": "{name} ({mark})",
        "no_data": "No data",
        "timeline_title": "Online, sales and what was on",
        "gmv_per_min": "GMV per minute",
        "products_title": "Products: GMV and click rate",
        "ctr": "Click rate",
        "event_giveaway": "Giveaway",
        "event_coupon": "Coupon",
        "event_price_drop": "Price drop",
        "event_new_product": "New product",
        "event_pin": "Pinned",
        "event_flash_sale": "Flash sale",
        "event_restock": "Restock",
    },
    "zh": {
        "online_title": "在线人数",
        "online": "在线",
        "pushes": "播报数据",
        "nudge": "提醒",
        "retention_title": "观众停留时长",
        "minutes_watched": "观看时长（分钟）",
        "still_watching": "仍在观看",
        "km": "实际留存",
        "fit": "拟合曲线",
        "fit_two_phase": "拟合：速离 + 留存",
        "median_stay": "停留中位数 {v}",
        "half_life": "半衰期 {v}",
        "funnel_title": "转化漏斗",
        "views": "场观",
        "impressions": "商品曝光",
        "clicks": "商品点击",
        "buyers": "成交人数",
        "bp_title": "购买力分层",
        "top": "前10%",
        "middle": "次30%",
        "rest": "其余",
        "predicted": "预测消费",
        "actual": "实际消费",
        "spend": "消费",
        "digest_title": "近14天成交额",
        "gmv": "成交额",
        "half_life_axis": "半衰期（分钟）",
        "in_currency": "{name}（{mark}）",
        "no_data": "暂无数据",
        "timeline_title": "在线、成交与讲解",
        "gmv_per_min": "每分钟成交额",
        "products_title": "商品：成交额与点击率",
        "ctr": "点击率",
        "event_giveaway": "福袋",
        "event_coupon": "优惠券",
        "event_price_drop": "降价",
        "event_new_product": "上新",
        "event_pin": "置顶",
        "event_flash_sale": "秒杀",
        "event_restock": "补货",
    },
}


def labels(lang: str | None) -> tuple[str, dict[str, str]]:
    """The effective language (see :func:`core.fonts.chart_lang`) and its labels."""
    eff = chart_lang(lang)
    return eff, LABELS[eff]


class _Style:
    def __init__(self, lang: str | None) -> None:
        self.lang, self.t = labels(lang)
        family = font_family(self.lang)
        self.fp = FontProperties(family=family, size=FONT_SIZE)
        self.fp_small = FontProperties(family=family, size=FONT_SIZE - 2)
        self.family = family
        # CJK fonts rarely ship a bold face; a missing weight would only log a warning
        weight = "bold" if self.lang == "en" else "normal"
        self.fp_title = FontProperties(family=family, size=TITLE_SIZE, weight=weight)


def _figure(s: _Style) -> tuple[Figure, Any]:
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.11, right=0.96, top=0.88, bottom=0.14)
    ax.tick_params(labelsize=FONT_SIZE - 2, labelfontfamily=s.family)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(True, axis="y", alpha=0.3)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _duration(seconds: float, lang: str) -> str:
    """A stay as hosts say it: 26 s, 4 min 10 s, 1 h 5 min (26秒, 4分10秒, 1小时5分)."""
    total = max(round(seconds), 0)
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    units = ("小时", "分", "秒") if lang == "zh" else (" h", " min", " s")
    parts = [(h, units[0]), (m, units[1])] if h else [(m, units[1]), (sec, units[2])]
    shown = [f"{n}{u}" for n, u in parts if n] or [f"0{units[2]}"]
    return ("" if lang == "zh" else " ").join(shown)


def _num(v: float, lang: str) -> str:
    """Compact number: 1.2k / 3.4M, or 1.2万 / 3.4亿 in Chinese."""
    a = abs(v)
    if lang == "zh":
        for div, suf in ((1e8, "亿"), (1e4, "万")):
            if a >= div:
                return f"{v / div:.1f}{suf}"
    else:
        for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                return f"{v / div:.1f}{suf}"
    return f"{v:,.0f}" if a >= 10 or v == int(v) else f"{v:.1f}"


def _money_axis(ax: Any, s: _Style, name: str, currency: str | None) -> None:
    """Label a money axis with the figure's ``name`` and the workspace's currency
    (``Spend (¥)``, ``消费（¥）``; the name alone without one)."""
    mark = currency_mark(currency)
    text = s.t[name] if mark is None else s.t["in_currency"].format(name=s.t[name], mark=mark)
    ax.set_ylabel(text, fontproperties=s.fp)


def _title(ax: Any, s: _Style, text: str) -> None:
    ax.set_title(text, fontproperties=s.fp_title, loc="left", pad=12)


def _legend(ax: Any, s: _Style, **kw: Any) -> None:
    ax.legend(prop=s.fp_small, frameon=False, **kw)


def _local(ts: np.ndarray, tz: str | None) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(ts).tz_localize("UTC")
    if tz:
        idx = idx.tz_convert(tz)
    return idx.tz_localize(None)


def _time_locator(span_s: float) -> Any:
    """Ticks a host can read: every 5, 10, 15, 30 minutes or 1, 2, 3 hours, about five of
    them across the session."""
    for step_min in (5, 10, 15, 30):
        if span_s <= step_min * 60 * 6:
            return MinuteLocator(byminute=range(0, 60, step_min))
    for step_h in (1, 2, 3, 6):
        if span_s <= step_h * 3600 * 6:
            return HourLocator(byhour=range(0, 24, step_h))
    return AutoDateLocator(maxticks=6)


def online_has_chart(data: OnlineSeriesData | None) -> bool:
    """Whether the online curve says something: three points or more over five minutes."""
    if data is None or len(data.ts) < 3:
        return False
    span = (data.ts.max() - data.ts.min()) / np.timedelta64(1, "s")
    return bool(span >= 300)


def online_chart(
    data: OnlineSeriesData,
    lang: str | None = "en",
    marks: Sequence[datetime] | None = None,
    tz: str | None = None,
) -> bytes:
    """Online count over time with the snapshot pushes as dots and ``marks`` (e.g. nudge
    times) as dashed lines. Times shown in ``tz`` (IANA name; UTC when None)."""
    return _png(online_figure(data, lang, marks=marks, tz=tz))


def online_figure(
    data: OnlineSeriesData,
    lang: str | None = "en",
    marks: Sequence[datetime] | None = None,
    tz: str | None = None,
) -> Figure:
    """The figure of :func:`online_chart`; the time axis is the session's window (the
    series' own span when the window is unknown), in local time."""
    s = _Style(lang)
    fig, ax = _figure(s)
    x = _local(data.ts, tz)
    y = data.online
    if data.source == "minutes":
        ax.fill_between(x, y, color=COLORS["fill"], alpha=0.5, linewidth=0)
        ax.plot(x, y, color=COLORS["main"], linewidth=2.2, label=s.t["online"])
    else:
        ax.plot(x, y, color=COLORS["main"], linewidth=2.2, marker="o", label=s.t["online"])
    if len(data.mark_ts) and data.source == "minutes":
        ax.scatter(
            _local(data.mark_ts, tz),
            data.mark_online,
            s=46,
            zorder=3,
            color=COLORS["accent"],
            label=s.t["pushes"],
        )
    for i, m in enumerate(marks or []):
        t = pd.Timestamp(m)
        t = (t.tz_localize("UTC") if t.tzinfo is None else t).tz_convert(tz or "UTC")
        ax.axvline(
            t.tz_localize(None),
            color=COLORS["muted"],
            linestyle="--",
            linewidth=1.6,
            label=s.t["nudge"] if i == 0 else None,
        )
    ax.set_ylim(bottom=0)
    lo, hi = data.window if data.window is not None else (data.ts.min(), data.ts.max())
    lo_x, hi_x = _local(np.array([lo, hi], dtype="datetime64[ns]"), tz)
    if hi_x > lo_x:
        ax.set_xlim(lo_x, hi_x)
    span_s = max((hi_x - lo_x).total_seconds(), 60.0)
    ax.xaxis.set_major_locator(_time_locator(span_s))
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    _title(ax, s, s.t["online_title"])
    _legend(ax, s, loc="best")  # away from the line, wherever its peak is
    return fig


def retention_has_chart(data: RetentionData | None) -> bool:
    """Whether there are observed exits to draw (Kaplan–Meier from viewer rows), with the
    chosen curve beside them when the data supports one."""
    return data is not None and data.km_t is not None and len(data.km_t) > 1


def retention_chart(data: RetentionData, lang: str | None = "en") -> bytes:
    """Kaplan–Meier retention (when known) beside the chosen fitted curve — the single
    e^(−λt) with its half-life marked, or the two-phase curve with its median stay marked
    (no fitted curve when the data cannot carry one)."""
    return _png(retention_figure(data, lang))


def retention_figure(data: RetentionData, lang: str | None = "en") -> Figure:
    """The figure of :func:`retention_chart`."""
    s = _Style(lang)
    fig, ax = _figure(s)
    t_max_min = max(data.t_max_s / 60.0, 1.0)
    if data.km_t is not None and data.km_survival is not None and len(data.km_t):
        ax.step(
            data.km_t / 60.0,
            data.km_survival,
            where="post",
            color=COLORS["main"],
            linewidth=2.4,
            label=s.t["km"],
        )
    if data.supported:
        two = data.model == "two_phase" and data.median_stay_s is not None
        grid = np.linspace(0, t_max_min, 400)
        ax.plot(
            grid,
            data.curve(grid * 60.0),
            color=COLORS["accent"],
            linewidth=2.2,
            linestyle="--",
            label=s.t["fit_two_phase" if two else "fit"],
        )
        mark = (data.median_stay_s if two else data.half_life_s) or data.half_life_s
        mark_min = mark / 60.0
        text = s.t["median_stay" if two else "half_life"]
        ax.axvline(mark_min, color=COLORS["muted"], linewidth=1.4, linestyle=":")
        ax.axhline(0.5, color=COLORS["muted"], linewidth=1.0, linestyle=":")
        ax.annotate(
            text.format(v=_duration(mark, s.lang)),
            xy=(mark_min, 0.5),
            xytext=(10, 12),
            textcoords="offset points",
            fontproperties=s.fp,
        )
    ax.set_xlim(0, t_max_min)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(s.t["minutes_watched"], fontproperties=s.fp)
    ax.set_ylabel(s.t["still_watching"], fontproperties=s.fp)
    _title(ax, s, s.t["retention_title"])
    _legend(ax, s, loc="upper right")
    return fig


def funnel_chart(data: FunnelData, lang: str | None = "en") -> bytes:
    """Horizontal funnel: each stage's count and its rate from the stage before."""
    return _png(funnel_figure(data, lang))


FUNNEL_MIN_STAGES = 3
"""A funnel of two bars says no more than the sentence beside it."""
MIN_BAR_SHARE = 0.012
"""A bar is drawn at least this share of the longest, so a small stage stays visible
(its label carries the true number)."""


def funnel_figure(data: FunnelData, lang: str | None = "en") -> Figure:
    """The figure of :func:`funnel_chart`."""
    s = _Style(lang)
    fig, ax = _figure(s)
    fig.subplots_adjust(left=0.22, right=0.95)
    names = [s.t.get(st.stage, st.stage) for st in data.stages]
    values = np.array([st.value for st in data.stages], dtype=float)
    pos = np.arange(len(values))
    top = float(values.max()) if len(values) else 1.0
    drawn = np.maximum(values, top * MIN_BAR_SHARE) if top > 0 else values
    ax.barh(pos, drawn, color=COLORS["main"], height=0.62)
    ax.set_yticks(pos)
    ax.set_yticklabels(names, fontproperties=s.fp)
    ax.invert_yaxis()
    ax.grid(False)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_xlim(0, top * 1.4 if top > 0 else 1)
    for i, v in enumerate(values):
        text = _num(v, s.lang)
        if i > 0 and values[i - 1] > 0:
            text += f"  ({_pct(v / values[i - 1])})"
        ax.text(drawn[i] + top * 0.015, i, text, va="center", fontproperties=s.fp)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    _title(ax, s, s.t["funnel_title"])
    return fig


def _pct(share: float) -> str:
    """A share as a percent a host reads: 12%, 3.4%, 0.25%."""
    pct = share * 100
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 1:
        return f"{pct:.1f}%"
    return f"{pct:.2f}%"


def buying_power_chart(
    data: BuyingPowerChartData, lang: str | None = "en", currency: str | None = None
) -> bytes:
    """Predicted spend per tier (top 10 %, next 30 %, rest), actual spend beside it when
    known, on an axis in the workspace's ``currency`` (ISO code)."""
    return _png(buying_power_figure(data, lang, currency))


def buying_power_figure(
    data: BuyingPowerChartData, lang: str | None = "en", currency: str | None = None
) -> Figure:
    """The figure of :func:`buying_power_chart`."""
    s = _Style(lang)
    fig, ax = _figure(s)
    rows = data.tiers
    pos = np.arange(len(rows))
    pred = np.array([r.predicted_spend for r in rows])
    has_actual = data.actual_gmv is not None and all(r.actual_spend is not None for r in rows)
    width = 0.38 if has_actual else 0.6
    off = width / 2 if has_actual else 0.0
    ax.bar(pos - off, pred, width, color=COLORS["main"], label=s.t["predicted"])
    if has_actual:
        actual = np.array([r.actual_spend for r in rows], dtype=float)
        ax.bar(pos + off, actual, width, color=COLORS["accent"], label=s.t["actual"])
    ax.set_xticks(pos)
    ax.set_xticklabels(
        [f"{s.t[r.tier]}\n({_num(r.size, s.lang)})" for r in rows], fontproperties=s.fp
    )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    _money_axis(ax, s, "spend", currency)
    # R² and MAE are for the details button and the JSON, not the chart
    fig.subplots_adjust(bottom=0.17)
    _title(ax, s, s.t["bp_title"])
    _legend(ax, s, loc="upper right")
    return fig


DIGEST_MIN_DAYS = 3
"""Below this many days with a stream, the digest is a short table, not a chart."""


def digest_has_chart(daily_frame: pd.DataFrame | None) -> bool:
    """Whether the digest's chart says more than a table: three days or more with GMV."""
    if daily_frame is None or len(daily_frame) == 0 or "gmv" not in daily_frame.columns:
        return False
    gmv = pd.to_numeric(daily_frame["gmv"], errors="coerce")
    return int(gmv.notna().sum()) >= DIGEST_MIN_DAYS


def digest_chart(
    daily_frame: pd.DataFrame, lang: str | None = "en", currency: str | None = None
) -> bytes:
    """GMV bars for the last 14 days (in the workspace's ``currency``, an ISO code) with the
    half-life (minutes) as a line on a second axis."""
    return _png(digest_figure(daily_frame, lang, currency))


def digest_figure(
    daily_frame: pd.DataFrame, lang: str | None = "en", currency: str | None = None
) -> Figure:
    """The figure of :func:`digest_chart`."""
    s = _Style(lang)
    fig, ax = _figure(s)
    fig.subplots_adjust(right=0.88)
    df = daily_frame.copy() if daily_frame is not None else pd.DataFrame()
    if len(df) == 0 or "date" not in df.columns:
        ax.text(
            0.5,
            0.5,
            s.t["no_data"],
            transform=ax.transAxes,
            ha="center",
            fontproperties=s.fp_title,
            color=COLORS["muted"],
        )
        _title(ax, s, s.t["digest_title"])
        return fig
    df["date"] = pd.to_datetime(df["date"])
    df = df.sort_values("date").tail(14).reset_index(drop=True)
    pos = np.arange(len(df))
    gmv = (
        pd.to_numeric(df["gmv"], errors="coerce").astype(float).to_numpy()
        if "gmv" in df.columns
        else np.full(len(df), np.nan)
    )
    ax.bar(pos, np.nan_to_num(gmv, nan=0.0), color=COLORS["main"], width=0.7, label=s.t["gmv"])
    ax.set_xticks(pos)
    ax.set_xticklabels([d.strftime("%m-%d") for d in df["date"]], rotation=45, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    _money_axis(ax, s, "gmv", currency)
    if np.isfinite(gmv).any() and np.nanmax(gmv) > 0:
        ax.set_ylim(0, float(np.nanmax(gmv)) * 1.3)  # room for the legend
    handles, names = ax.get_legend_handles_labels()
    if "half_life_s" in df.columns:
        hl = pd.to_numeric(df["half_life_s"], errors="coerce").astype(float).to_numpy() / 60
        if np.isfinite(hl).any():
            ax2 = ax.twinx()
            ax2.yaxis.set_major_locator(MaxNLocator(nbins=4))
            ok = np.isfinite(hl)
            (line,) = ax2.plot(
                pos[ok],
                hl[ok],
                color=COLORS["accent"],
                marker="o",
                linewidth=2.4,
                label=s.t["half_life_axis"],
            )
            ax2.set_ylim(0, max(float(np.nanmax(hl)) * 1.4, 1.0))
            ax2.set_ylabel(s.t["half_life_axis"], fontproperties=s.fp)
            ax2.tick_params(labelsize=FONT_SIZE - 2, labelfontfamily=s.family)
            ax2.spines["top"].set_visible(False)
            handles.append(line)
            names.append(s.t["half_life_axis"])
    if handles:
        ax.legend(handles, names, prop=s.fp_small, frameon=False, loc="upper left", ncols=2)
    _title(ax, s, s.t["digest_title"])
    return fig


def summary_charts(
    report: SessionReport,
    lang: str | None = "en",
    marks: Sequence[datetime] | None = None,
    tz: str | None = None,
    currency: str | None = None,
) -> dict[str, bytes]:
    """The summary's charts, keyed "online", "retention", "funnel", "buying_power"; only
    charts with something to show: an online curve of three points or more over five
    minutes, a retention chart with observed exits (not the formula alone), a funnel of
    three stages or more, buying-power tiers (money in the workspace's ``currency``)."""
    c = report.charts
    out: dict[str, bytes] = {}
    if online_has_chart(c.online):
        assert c.online is not None
        out["online"] = online_chart(c.online, lang, marks=marks, tz=tz)
    if retention_has_chart(c.retention):
        assert c.retention is not None
        out["retention"] = retention_chart(c.retention, lang)
    if c.funnel is not None and len(c.funnel.stages) >= FUNNEL_MIN_STAGES:
        out["funnel"] = funnel_chart(c.funnel, lang)
    if c.buying_power is not None and c.buying_power.tiers:
        out["buying_power"] = buying_power_chart(c.buying_power, lang, currency)
    return out


BAND_COLORS = ("#dbe9ff", "#ffe8cc", "#d3f9d8", "#f3d9fa", "#fff3bf", "#e3fafc")


def timeline_figure(
    minutes: pd.DataFrame,
    product_segments: Sequence[Any] = (),
    events: Sequence[tuple[datetime, str]] = (),
    lang: str | None = "en",
    tz: str | None = None,
    currency: str | None = None,
) -> Figure:
    """The online curve with GMV per minute as bars on a second axis (in the workspace's
    ``currency``), each product segment as a band labelled with the product, and events as
    marks. ``minutes`` has ``ts``, ``online`` and ``gmv``; segments have ``start``, ``end``,
    ``label``, ``product_no`` (:class:`core.products.Segment`); events are (time, kind)."""
    s = _Style(lang)
    fig, ax = _figure(s)
    fig.subplots_adjust(right=0.88)
    df = minutes.assign(ts=pd.to_datetime(minutes["ts"], utc=True)).sort_values("ts")
    x = _local(df["ts"].dt.tz_localize(None).to_numpy("datetime64[ns]"), tz)
    online = pd.to_numeric(df["online"], errors="coerce").to_numpy(float)
    top = float(np.nanmax(online)) if np.isfinite(online).any() else 1.0
    for i, seg in enumerate(product_segments):
        lo, hi = (
            _local(np.array([_naive(seg.start)], dtype="datetime64[ns]"), tz)[0],
            _local(np.array([_naive(seg.end)], dtype="datetime64[ns]"), tz)[0],
        )
        ax.axvspan(lo, hi, color=BAND_COLORS[i % len(BAND_COLORS)], alpha=0.8, linewidth=0)
        name = seg.label or ""
        if seg.product_no is not None:
            name = f"#{seg.product_no} {name}".strip()
        ax.text(
            lo + (hi - lo) / 2,
            top * 1.16,
            name,
            ha="center",
            va="bottom",
            fontproperties=s.fp_small,
            clip_on=True,
        )
    (line,) = ax.plot(x, online, color=COLORS["main"], linewidth=2.2, label=s.t["online"])
    handles: list[Any] = [line]
    if "gmv" in df.columns:
        gmv = pd.to_numeric(df["gmv"], errors="coerce").to_numpy(float)
        if np.isfinite(gmv).any():
            ax2 = ax.twinx()
            bars = ax2.bar(
                x,
                np.nan_to_num(gmv),
                width=1 / 24 / 60 * 0.8,
                color=COLORS["accent"],
                alpha=0.55,
                label=s.t["gmv_per_min"],
            )
            ax2.set_ylim(0, max(float(np.nanmax(gmv)) * 3.0, 1.0))
            ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
            _money_axis(ax2, s, "gmv_per_min", currency)
            ax2.tick_params(labelsize=FONT_SIZE - 2, labelfontfamily=s.family)
            ax2.spines["top"].set_visible(False)
            handles.append(bars)
    for at, kind in events:
        t = pd.Timestamp(at)
        t = (t.tz_localize("UTC") if t.tzinfo is None else t).tz_convert(tz or "UTC")
        ax.axvline(t.tz_localize(None), color=COLORS["good"], linestyle="--", linewidth=1.6)
        ax.text(
            t.tz_localize(None),
            top * 0.35,
            s.t.get(f"event_{kind}", kind),
            rotation=90,
            va="bottom",
            ha="right",
            fontproperties=s.fp_small,
            color=COLORS["good"],
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
    ax.set_ylim(0, top * 1.3 if top > 0 else 1)
    if len(x):
        ax.set_xlim(x.min(), x.max())
        span_s = max((x.max() - x.min()).total_seconds(), 60.0)
        ax.xaxis.set_major_locator(_time_locator(span_s))
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    ax.legend(
        handles,
        [h.get_label() for h in handles],
        prop=s.fp_small,
        frameon=False,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
    )
    _title(ax, s, s.t["timeline_title"])
    return fig


def products_figure(
    products: Sequence[Any], lang: str | None = "en", top: int = 8, currency: str | None = None
) -> Figure:
    """GMV per product as bars (highest first, in the workspace's ``currency``) with its
    click rate as dots on a second axis; ``products`` are
    :class:`core.products.ProductFigures`."""
    s = _Style(lang)
    fig, ax = _figure(s)
    fig.subplots_adjust(right=0.88, bottom=0.2)
    rows = [p for p in products if p.gmv is not None][:top]
    pos = np.arange(len(rows))
    gmv = np.array([p.gmv for p in rows], dtype=float)
    bars = ax.bar(pos, gmv, color=COLORS["main"], width=0.6, label=s.t["gmv"])
    for i, v in enumerate(gmv):
        ax.text(i, v, _num(v, s.lang), ha="center", va="bottom", fontproperties=s.fp_small)
    ax.set_xticks(pos)
    ax.set_xticklabels(
        [_short(p.name or p.product_id or "?") for p in rows],
        fontproperties=s.fp_small,
        rotation=20,
        ha="right",
    )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    _money_axis(ax, s, "gmv", currency)
    ax.set_ylim(0, float(gmv.max()) * 1.25 if len(gmv) and gmv.max() > 0 else 1)
    handles: list[Any] = [bars]
    ctr = np.array([p.ctr if p.ctr is not None else np.nan for p in rows], dtype=float)
    if np.isfinite(ctr).any():
        ax2 = ax.twinx()
        ok = np.isfinite(ctr)
        (dots,) = ax2.plot(
            pos[ok], ctr[ok], "o", color=COLORS["accent"], markersize=9, label=s.t["ctr"]
        )
        ax2.set_ylim(0, max(float(np.nanmax(ctr)) * 1.3, 0.01))
        ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax2.tick_params(labelsize=FONT_SIZE - 2, labelfontfamily=s.family)
        ax2.spines["top"].set_visible(False)
        handles.append(dots)
    ax.legend(
        handles, [h.get_label() for h in handles], prop=s.fp_small, frameon=False, loc="upper right"
    )
    _title(ax, s, s.t["products_title"])
    return fig


def timeline_chart(
    minutes: pd.DataFrame,
    product_segments: Sequence[Any] = (),
    events: Sequence[tuple[datetime, str]] = (),
    lang: str | None = "en",
    tz: str | None = None,
    currency: str | None = None,
) -> bytes:
    """PNG of :func:`timeline_figure`."""
    return _png(timeline_figure(minutes, product_segments, events, lang, tz, currency))


def products_chart(
    products: Sequence[Any], lang: str | None = "en", currency: str | None = None
) -> bytes:
    """PNG of :func:`products_figure`."""
    return _png(products_figure(products, lang, currency=currency))


def _short(name: str, width: int = 10) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _naive(t: Any) -> np.datetime64:
    ts = pd.Timestamp(t)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    naive: np.datetime64 = ts.tz_localize(None).to_datetime64().astype("datetime64[ns]")
    return naive
