"""PNG charts: valid images, wide enough, Chinese labels without missing glyphs."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core import charts
from core.fonts import chart_lang, cjk_font
from core.report import SessionReport, build_report
from core.simulate import simulate_stream

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def full_report():  # type: ignore[no-untyped-def]
    s = simulate_stream(seed=7)
    return build_report(
        snapshots=s.snapshots,
        minutes=s.minutes,
        viewers=s.viewers,
        started_at=s.started_at,
        ended_at=s.ended_at,
    )


def _daily() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "date": pd.date_range("2026-11-01", periods=20, freq="D"),
            "gmv": np.r_[rng.uniform(1e4, 6e4, 18), np.nan, 4e4],
            "half_life_s": np.r_[rng.uniform(150, 400, 17), np.nan, 200.0, 250.0],
        }
    )


def _check_png(data: bytes) -> Image.Image:
    assert data[:8] == PNG_SIGNATURE
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.width >= 800 and img.height >= 400
    # not a blank canvas
    assert len(img.convert("L").getcolors(maxcolors=1_000_000) or []) > 10
    return img


def test_summary_charts_en(full_report) -> None:  # type: ignore[no-untyped-def]
    out = charts.summary_charts(
        full_report,
        "en",
        marks=[full_report.started_at + pd.Timedelta(minutes=30)],
        tz="Asia/Shanghai",
    )
    expected = {"online", "retention", "buying_power"}
    if len(full_report.funnel) >= charts.FUNNEL_MIN_STAGES:
        expected.add("funnel")
    assert set(out) == expected
    for data in out.values():
        _check_png(data)


def test_charts_without_information_are_left_out_of_the_album() -> None:
    s = simulate_stream(seed=1, minutes=30)
    only_snapshots = build_report(snapshots=s.snapshots)
    # pushes alone: no observed exits (the retention chart would be the formula alone) and a
    # two-stage funnel (the simulated operator never pushes clicks: views → buyers)
    assert [st.stage for st in only_snapshots.funnel] == ["views", "buyers"]
    assert set(charts.summary_charts(only_snapshots, "en")) == {"online"}
    assert charts.summary_charts(build_report(), "en") == {}
    one_push = build_report(snapshots=s.snapshots.head(1))
    assert charts.summary_charts(one_push, "en") == {}


def test_online_axis_stays_inside_the_session_with_readable_ticks() -> None:
    s = simulate_stream(seed=2, minutes=120)
    stray = s.minutes.copy()
    stray["ts"] = stray["ts"] - pd.Timedelta(days=9)  # a file from another day
    report = build_report(
        minutes=pd.concat([stray, s.minutes]),
        started_at=s.started_at,
        ended_at=s.ended_at,
    )
    online = report.charts.online
    assert online is not None and online.window is not None
    start = np.datetime64(pd.Timestamp(s.started_at).tz_convert("UTC").tz_localize(None))
    assert online.ts.min() >= start - np.timedelta64(60, "s")
    fig = charts.online_figure(online, "en", tz="Asia/Shanghai")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert 3 <= len(labels) <= 9 and len(set(labels)) == len(labels)
    lo, hi = ax.get_xlim()
    assert (hi - lo) * 24 * 60 <= 121  # minutes: the session, not nine days


def test_small_funnel_stages_stay_visible() -> None:
    from core.report import FunnelData, FunnelStage

    data = FunnelData(
        stages=[
            FunnelStage("views", 120_000.0),
            FunnelStage("impressions", 40_000.0),
            FunnelStage("clicks", 900.0),
            FunnelStage("buyers", 12.0),
        ]
    )
    fig = charts.funnel_figure(data, "en")
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert min(widths) >= 120_000 * charts.MIN_BAR_SHARE
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("12") for t in texts)  # the true number, not the drawn width


def test_a_digest_of_fewer_than_three_streams_has_no_chart() -> None:
    daily = _daily()
    assert charts.digest_has_chart(daily)
    assert not charts.digest_has_chart(daily.tail(2))
    assert not charts.digest_has_chart(None)


def test_digest_chart() -> None:
    _check_png(charts.digest_chart(_daily(), "en"))
    _check_png(charts.digest_chart(pd.DataFrame(columns=["date", "gmv", "half_life_s"]), "en"))
    _check_png(charts.digest_chart(_daily().drop(columns="half_life_s"), "en"))


def test_zh_without_cjk_font_falls_back_to_english() -> None:
    lang, labels = charts.labels("zh")
    if cjk_font() is None:
        assert lang == "en" and labels == charts.LABELS["en"]
    else:
        assert lang == "zh" and labels == charts.LABELS["zh"]
    assert chart_lang("en") == "en" and chart_lang(None) == "en"
    assert charts.LABELS["en"].keys() == charts.LABELS["zh"].keys()


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (fonts-wqy-microhei)")
def test_zh_charts_render_without_missing_glyphs(full_report) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = charts.summary_charts(full_report, "zh-hans")
        out["digest"] = charts.digest_chart(_daily(), "zh")
    glyph = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert glyph == []
    assert {"online", "retention", "buying_power", "digest"} <= set(out)
    for data in out.values():
        _check_png(data)
    # Chinese labels really differ from the English rendering
    en = charts.summary_charts(full_report, "en")["online"]
    assert out["online"] != en


@pytest.mark.parametrize(
    ("currency", "en", "zh"),
    [
        ("CNY", "Spend (¥)", "消费（¥）"),
        ("USD", "Spend ($)", "消费（$）"),
        ("IDR", "Spend (Rp)", "消费（Rp）"),
        ("VND", "Spend (₫)", "消费（₫）"),
        ("CHF", "Spend (CHF)", "消费（CHF）"),  # a code without a sign names itself
        (None, "Spend", "消费"),
    ],
)
def test_the_money_axes_name_the_workspace_currency(
    full_report: SessionReport, currency: str | None, en: str, zh: str
) -> None:
    from core.products import product_figures

    bp = full_report.charts.buying_power
    assert bp is not None
    assert charts.buying_power_figure(bp, "en", currency).axes[0].get_ylabel() == en
    if cjk_font() is not None:
        assert charts.buying_power_figure(bp, "zh", currency).axes[0].get_ylabel() == zh
    gmv = en.replace("Spend", "GMV")
    assert charts.digest_figure(_daily(), "en", currency).axes[0].get_ylabel() == gmv
    products = product_figures(pd.DataFrame({"name": ["Tea"], "clicks": [9], "gmv": [900.0]}))
    assert charts.products_figure(products, "en", currency=currency).axes[0].get_ylabel() == gmv
    minutes = pd.DataFrame(
        {
            "ts": pd.date_range("2026-11-20 12:00", periods=30, freq="min", tz="UTC"),
            "online": np.arange(30.0),
            "gmv": np.arange(30.0) * 10,
        }
    )
    money_axis = charts.timeline_figure(minutes, lang="en", currency=currency).axes[1]
    assert money_axis.get_ylabel() == en.replace("Spend", "GMV per minute")
