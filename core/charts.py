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
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from core.fonts import chart_lang, font_family
from core.report import (
    BuyingPowerChartData,
    FunnelData,
    OnlineSeriesData,
    RetentionData,
    SessionReport,
)

__all__ = [
    "DPI",
    "LABELS",
    "SIZE_IN",
    "buying_power_chart",
    "digest_chart",
    "funnel_chart",
    "labels",
    "online_chart",
    "retention_chart",
    "summary_charts",
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
        "fit": "Fitted e^(−λt)",
        "fit_two_phase": "Fitted: quick leavers + stayers",
        "median_stay": "Median stay {v} min",
        "half_life": "Half-life {v} min",
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
        "fit_stats": "R² {r2} · MAE {mae}",
        "digest_title": "GMV, last 14 days",
        "gmv": "GMV",
        "half_life_axis": "Half-life (min)",
        "no_data": "No data",
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
        "fit": "拟合 e^(−λt)",
        "fit_two_phase": "拟合：速离 + 留存",
        "median_stay": "停留中位数 {v} 分钟",
        "half_life": "半衰期 {v} 分钟",
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
        "fit_stats": "R² {r2} · 平均误差 {mae}",
        "digest_title": "近14天成交额",
        "gmv": "成交额",
        "half_life_axis": "半衰期（分钟）",
        "no_data": "暂无数据",
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
    return f"{v:.0f}" if a >= 10 or v == int(v) else f"{v:.1f}"


def _title(ax: Any, s: _Style, text: str) -> None:
    ax.set_title(text, fontproperties=s.fp_title, loc="left", pad=12)


def _legend(ax: Any, s: _Style, **kw: Any) -> None:
    ax.legend(prop=s.fp_small, frameon=False, **kw)


def _local(ts: np.ndarray, tz: str | None) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(ts).tz_localize("UTC")
    if tz:
        idx = idx.tz_convert(tz)
    return idx.tz_localize(None)


def online_chart(
    data: OnlineSeriesData,
    lang: str | None = "en",
    marks: Sequence[datetime] | None = None,
    tz: str | None = None,
) -> bytes:
    """Online count over time with the snapshot pushes as dots and ``marks`` (e.g. nudge
    times) as dashed lines. Times shown in ``tz`` (IANA name; UTC when None)."""
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
    ax.xaxis.set_major_locator(AutoDateLocator(maxticks=7))
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    _title(ax, s, s.t["online_title"])
    _legend(ax, s, loc="upper right")
    return _png(fig)


def retention_chart(data: RetentionData, lang: str | None = "en") -> bytes:
    """Kaplan–Meier retention (when known) beside the chosen fitted curve — the single
    e^(−λt) with its half-life marked, or the two-phase curve with its median stay marked
    (no fitted curve when the data cannot carry one)."""
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
            text.format(v=f"{mark_min:.1f}"),
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
    return _png(fig)


def funnel_chart(data: FunnelData, lang: str | None = "en") -> bytes:
    """Horizontal funnel: each stage's count and its rate from the stage before."""
    s = _Style(lang)
    fig, ax = _figure(s)
    fig.subplots_adjust(left=0.22, right=0.95)
    names = [s.t.get(st.stage, st.stage) for st in data.stages]
    values = np.array([st.value for st in data.stages], dtype=float)
    pos = np.arange(len(values))
    ax.barh(pos, values, color=COLORS["main"], height=0.62)
    ax.set_yticks(pos)
    ax.set_yticklabels(names, fontproperties=s.fp)
    ax.invert_yaxis()
    ax.grid(False)
    ax.grid(True, axis="x", alpha=0.3)
    top = float(values.max()) if len(values) else 1.0
    ax.set_xlim(0, top * 1.35 if top > 0 else 1)
    for i, v in enumerate(values):
        text = _num(v, s.lang)
        if i > 0 and values[i - 1] > 0:
            text += f"  ({v / values[i - 1]:.1%})"
        ax.text(v + top * 0.01, i, text, va="center", fontproperties=s.fp)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v, s.lang)))
    _title(ax, s, s.t["funnel_title"])
    return _png(fig)


def buying_power_chart(data: BuyingPowerChartData, lang: str | None = "en") -> bytes:
    """Predicted spend per tier (top 10 %, next 30 %, rest), actual spend beside it when
    known; R² and MAE in the corner."""
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
    if data.r2 is not None and data.mae is not None:
        ax.text(
            0.99,
            1.02,
            s.t["fit_stats"].format(r2=f"{data.r2:.2f}", mae=f"{data.mae:.1f}"),
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontproperties=s.fp_small,
            color=COLORS["muted"],
        )
    fig.subplots_adjust(bottom=0.17)
    _title(ax, s, s.t["bp_title"])
    _legend(ax, s, loc="upper right")
    return _png(fig)


def digest_chart(daily_frame: pd.DataFrame, lang: str | None = "en") -> bytes:
    """GMV bars for the last 14 days with the half-life (minutes) as a line on a second
    axis."""
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
        return _png(fig)
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
    ax.set_ylabel(s.t["gmv"], fontproperties=s.fp)
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
    return _png(fig)


def summary_charts(
    report: SessionReport,
    lang: str | None = "en",
    marks: Sequence[datetime] | None = None,
    tz: str | None = None,
) -> dict[str, bytes]:
    """The summary's charts, keyed "online", "retention", "funnel", "buying_power"; a
    chart whose data is missing is left out."""
    c = report.charts
    out: dict[str, bytes] = {}
    if c.online is not None:
        out["online"] = online_chart(c.online, lang, marks=marks, tz=tz)
    ret = c.retention
    if ret is not None and (
        (ret.supported and math.isfinite(ret.half_life_s)) or ret.km_t is not None
    ):
        out["retention"] = retention_chart(ret, lang)
    if c.funnel is not None:
        out["funnel"] = funnel_chart(c.funnel, lang)
    if c.buying_power is not None and c.buying_power.tiers:
        out["buying_power"] = buying_power_chart(c.buying_power, lang)
    return out
