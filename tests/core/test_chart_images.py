"""Every chart against a stored reference image, in English and Chinese (pytest-mpl).

The references in tests/core/baseline were drawn with the pinned matplotlib and its bundled
DejaVu Sans for English, and WenQuanYi Micro Hei for Chinese (Debian: fonts-wqy-microhei,
which .ci/run installs). A change that moves a chart fails here; when the change is meant,
draw the references again:

    python -m pytest tests/core/test_chart_images.py --mpl-generate-path=tests/core/baseline

and look at every image before committing it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from core import charts
from core.fonts import cjk_font
from core.report import (
    BuyingPowerChartData,
    FunnelData,
    FunnelStage,
    OnlineSeriesData,
    RetentionData,
    TierRow,
)

PINNED_CJK = "WenQuanYi Micro Hei"
LANGS = [
    pytest.param("en", id="en"),
    pytest.param(
        "zh",
        id="zh",
        marks=pytest.mark.skipif(
            cjk_font() != PINNED_CJK,
            reason=f"the Chinese references are drawn with {PINNED_CJK} (fonts-wqy-microhei)",
        ),
    ),
]
COMPARE = pytest.mark.mpl_image_compare(tolerance=2, style="default", savefig_kwargs={"dpi": 100})
CURRENCY = {"en": "USD", "zh": "CNY"}
"""The workspace's currency each chart's money is in."""


def _online() -> OnlineSeriesData:
    start = np.datetime64("2026-11-20T12:00:00", "ns")  # 20:00 in Shanghai
    minutes = np.arange(0, 95)
    ts = start + minutes.astype("timedelta64[m]")
    online = 400 + 900 * (1 - np.exp(-minutes / 12.0)) * np.exp(-minutes / 140.0)
    online[40:46] += np.array([150, 320, 420, 300, 160, 60])  # a giveaway
    push_at = np.array([5, 20, 35, 50, 70, 90])
    return OnlineSeriesData(
        ts=ts,
        online=online.round(),
        source="minutes",
        mark_ts=ts[push_at],
        mark_online=online[push_at].round(),
        window=(start, start + np.timedelta64(95, "m")),
    )


def _funnel() -> FunnelData:
    return FunnelData(
        stages=[
            FunnelStage("views", 48_200.0),
            FunnelStage("impressions", 17_400.0),
            FunnelStage("clicks", 2_130.0),
            FunnelStage("buyers", 96.0),
        ]
    )


def _buying_power() -> BuyingPowerChartData:
    tiers = [
        TierRow("top", 120, 410.0, 49_200.0, 52_100.0),
        TierRow("middle", 360, 61.0, 21_960.0, 19_800.0),
        TierRow("rest", 720, 6.5, 4_680.0, 3_900.0),
    ]
    return BuyingPowerChartData(
        tiers=tiers, r2=0.41, mae=18.2, predicted_gmv=75_840.0, actual_gmv=75_800.0
    )


def _daily() -> pd.DataFrame:
    days = pd.date_range("2026-11-06", periods=14, freq="D")
    gmv = [31e3, 28e3, np.nan, 45e3, 52e3, 38e3, 41e3, np.nan, 60e3, 57e3, 49e3, 66e3, 70e3, 64e3]
    hl = [210, 190, np.nan, 240, 260, 220, 230, np.nan, 280, 300, 250, 310, 330, 320]
    return pd.DataFrame({"date": days, "gmv": gmv, "half_life_s": hl})


@pytest.mark.parametrize("lang", LANGS)
@COMPARE
def test_online_chart(lang: str) -> Figure:
    nudge = pd.Timestamp("2026-11-20T12:58:00Z").to_pydatetime()
    return charts.online_figure(_online(), lang, marks=[nudge], tz="Asia/Shanghai")


def _retention() -> RetentionData:
    """Viewers who mostly bounce within seconds and the rest who stay: Kaplan–Meier steps
    beside the two-phase curve with its median stay marked."""
    data = RetentionData(
        lambda_per_s=0.0,
        half_life_s=26.5,
        source="viewers",
        t_max_s=3600.0,
        model="two_phase",
        bounce_share=0.55,
        bounce_half_life_s=8.0,
        engaged_half_life_s=900.0,
        median_stay_s=26.5,  # where the curve crosses 50 %
    )
    grid = np.concatenate([np.arange(0.0, 120.0, 5.0), np.arange(120.0, 3600.0, 60.0)])
    steps = np.round(data.curve(grid) * 400) / 400  # 400 viewers' steps
    return dataclasses.replace(data, km_t=grid, km_survival=steps)


@pytest.mark.parametrize("lang", LANGS)
@COMPARE
def test_retention_chart(lang: str) -> Figure:
    return charts.retention_figure(_retention(), lang)


@pytest.mark.parametrize("lang", LANGS)
@COMPARE
def test_funnel_chart(lang: str) -> Figure:
    return charts.funnel_figure(_funnel(), lang)


@pytest.mark.parametrize("lang", LANGS)
@COMPARE
def test_buying_power_chart(lang: str) -> Figure:
    return charts.buying_power_figure(_buying_power(), lang, CURRENCY[lang])


@pytest.mark.parametrize("lang", LANGS)
@COMPARE
def test_digest_chart(lang: str) -> Figure:
    return charts.digest_figure(_daily(), lang, CURRENCY[lang])


def _timeline(lang: str) -> tuple[pd.DataFrame, list, list]:
    from core.products import Segment

    start = pd.Timestamp("2026-11-20 12:00", tz="UTC")
    minutes = np.arange(0, 90)
    online = 300 + 700 * (1 - np.exp(-minutes / 10.0)) * np.exp(-minutes / 160.0)
    online[50:56] += np.array([120, 260, 300, 220, 120, 50])
    gmv = np.where(minutes % 7 == 0, 0.0, 80 + 6 * (minutes % 11)) * (1 + (minutes >= 50) * 0.8)
    frame = pd.DataFrame(
        {"ts": start + pd.to_timedelta(minutes, unit="min"), "online": online.round(), "gmv": gmv}
    )
    names = ["口红", "面霜", "眼影"] if lang == "zh" else ["Lipstick", "Cream", "Eyeshadow"]
    bounds = [(5, 30, 3), (30, 62, 5), (62, 89, 1)]
    segs = [
        Segment("product", start + pd.Timedelta(minutes=a), start + pd.Timedelta(minutes=b), n, no)
        for (a, b, no), n in zip(bounds, names, strict=True)
    ]
    events = [((start + pd.Timedelta(minutes=50)).to_pydatetime(), "giveaway")]
    return frame, segs, events


def _product_rows(lang: str) -> list:
    from core.products import product_figures

    names = (
        ["口红", "面霜", "眼影", "发夹"]
        if lang == "zh"
        else ["Lipstick", "Cream", "Eyeshadow", "Clip"]
    )
    frame = pd.DataFrame(
        {
            "name": names,
            "impressions": [20_000, 30_000, 8_000, 4_000],
            "clicks": [1_800, 330, 700, 60],
            "buyers": [190, 11, 58, 4],
            "gmv": [15_400.0, 3_100.0, 4_500.0, 180.0],
        }
    )
    return product_figures(frame)


@pytest.mark.parametrize("lang", LANGS)
@COMPARE
def test_timeline_chart(lang: str) -> Figure:
    frame, segs, events = _timeline(lang)
    return charts.timeline_figure(
        frame, segs, events, lang, tz="Asia/Shanghai", currency=CURRENCY[lang]
    )


@pytest.mark.parametrize("lang", LANGS)
@COMPARE
def test_products_chart(lang: str) -> Figure:
    return charts.products_figure(_product_rows(lang), lang, currency=CURRENCY[lang])
