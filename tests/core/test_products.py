"""Per-product and per-segment figures of one stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.products import highlights, product_figures, segment_figures, segments
from tests.core.event_streams import Planted, event_stream

T = pd.Timestamp("2026-11-20 12:00", tz="UTC")


def _products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["1001", "1002", "1003", "1004"],
            "name": ["口红", "面霜", "眼影", "发夹"],
            "impressions": [20_000, 30_000, 8_000, np.nan],
            "clicks": [1_800, 330, 700, 50],
            "orders": [210, 12, 60, 9],
            "buyers": [190, 11, 58, np.nan],
            "items": [260, 12, 75, 9],
            "gmv": [15_400.0, 3_100.0, 4_500.0, 180.0],
            "explain_count": [3, 1, 2, np.nan],
            "explain_s": [1_260, 300, 600, np.nan],
        }
    )


def test_product_figures_follow_the_definitions() -> None:
    figs = product_figures(_products(), session_gmv=25_000.0)
    assert [p.name for p in figs] == ["口红", "眼影", "面霜", "发夹"]  # by GMV
    lip = figs[0]
    assert lip.ctr == pytest.approx(1_800 / 20_000)
    assert lip.ctor == pytest.approx(190 / 1_800)  # buyers over clicks
    assert lip.presented_min == pytest.approx(21.0)
    assert lip.gmv_per_min_presented == pytest.approx(15_400 / 21)
    assert lip.gmv_share == pytest.approx(15_400 / 25_000)
    clip = figs[-1]
    assert clip.ctr is None  # no impressions: no CTR, not 0
    assert clip.ctor == pytest.approx(9 / 50)  # orders when buyers are unknown
    # without the session's GMV the share is of the products' sum
    assert product_figures(_products())[0].gmv_share == pytest.approx(15_400 / 23_180)


def test_highlights_name_the_best_and_the_one_shown_but_not_bought() -> None:
    h = highlights(product_figures(_products()))
    assert [p.name for p in h["top"]] == ["口红", "眼影", "面霜"]
    assert h["exposed_not_converting"].name == "面霜"  # the most exposure, 11 buyers of 30k
    assert highlights(product_figures(_products().head(2)))["exposed_not_converting"] is None


def test_presenting_time_from_the_chat_timeline() -> None:
    marks = pd.DataFrame(
        {
            "ts": [
                T,
                T + pd.Timedelta(minutes=12),
                T + pd.Timedelta(minutes=20),
                T + pd.Timedelta(minutes=26),
                T + pd.Timedelta(minutes=40),
            ],
            "kind": ["product", "product", "giveaway", "product_end", "product"],
            "label": ["口红", "面霜", "福袋", None, "口红"],
            "product_no": [3, 5, np.nan, np.nan, 3],
        }
    )
    segs = segments(marks, end=T + pd.Timedelta(minutes=50))
    assert [(s.label, s.product_no, (s.end - s.start).total_seconds() / 60) for s in segs] == [
        ("口红", 3, 12.0),
        ("面霜", 5, 14.0),
        ("口红", 3, 10.0),
    ]
    products = _products().drop(columns="explain_s")
    figs = {p.name: p for p in product_figures(products, marks=marks, session_end=segs[-1].end)}
    assert figs["口红"].presented_min == pytest.approx(22.0)
    assert figs["眼影"].presented_min is None
    between = segments(marks, end=T + pd.Timedelta(minutes=50), kind="between_events")
    assert [(s.label, s.start) for s in between] == [("giveaway", T + pd.Timedelta(minutes=20))]


def test_segment_figures_compare_each_stretch_with_the_stream() -> None:
    stream = event_stream(4, [Planted(60, "giveaway", hazard_mult=2.0, lasts_min=10)])
    start = stream.start()
    marks = pd.DataFrame(
        {
            "ts": [start + pd.Timedelta(minutes=m) for m in (30, 60, 70)],
            "kind": ["product", "product", "product"],
            "label": ["A", "B", "C"],
            "product_no": [1, 2, 3],
        }
    )
    segs = segments(marks, end=start + pd.Timedelta(minutes=100))
    a, b, c = segment_figures(stream.minutes, segs)
    assert b.hazard_vs_session is not None and b.hazard_vs_session > 1.5  # twice the leaving
    assert a.hazard_vs_session is not None and a.hazard_vs_session < 1.2
    assert b.online_start is not None and b.online_end is not None
    assert b.online_end < b.online_start
    minutes = stream.minutes
    in_b = (minutes["ts"] >= start + pd.Timedelta(minutes=60)) & (
        minutes["ts"] < start + pd.Timedelta(minutes=70)
    )
    assert b.gmv_per_min == pytest.approx(minutes.loc[in_b, "gmv"].sum() / 10)
    assert b.gpm == pytest.approx(
        minutes.loc[in_b, "gmv"].sum() * 1000 / minutes.loc[in_b, "entries"].sum()
    )
    assert c.minutes == 30
    assert segment_figures(None, segs) == []


def _on_air(minutes_ago: float, now: pd.Timestamp, label: str, no: int | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts": [now - pd.Timedelta(minutes=minutes_ago)],
            "kind": ["product"],
            "label": [label],
            "product_no": [float(no) if no is not None else float("nan")],
        }
    )


NUDGE_PRODUCTS = pd.DataFrame(
    {
        "product_id": ["p1", "p2", "p3"],
        "name": ["口红", "粉底液", "眼影盘"],
        "impressions": [10_000.0, 10_000.0, 10_000.0],
        "clicks": [400.0, 80.0, 240.0],  # 4 %, 0.8 %, 2.4 %; the session's 2.4 %
    }
)


def test_the_product_on_air_with_a_weak_click_rate_is_nudged() -> None:
    from core.products import presenting_nudge

    now = pd.Timestamp("2026-11-20 12:40", tz="UTC")
    d = presenting_nudge(_on_air(12, now, "粉底液", 3), NUDGE_PRODUCTS, now)
    assert d is not None and d.code == "product_low_ctr" and d.label == "粉底液"
    assert d.params == {
        "minutes": 12.0,
        "ctr": 0.008,
        "mean": pytest.approx(0.024),
        "product_no": 3.0,
    }
    # not yet five minutes, a good click rate, an unknown product, a product already ended
    assert presenting_nudge(_on_air(4, now, "粉底液", 3), NUDGE_PRODUCTS, now) is None
    assert presenting_nudge(_on_air(12, now, "口红", 1), NUDGE_PRODUCTS, now) is None
    assert presenting_nudge(_on_air(12, now, "香水", 7), NUDGE_PRODUCTS, now) is None
    ended = pd.concat(
        [
            _on_air(12, now, "粉底液", 3),
            pd.DataFrame(
                {
                    "ts": [now - pd.Timedelta(minutes=1)],
                    "kind": ["product_end"],
                    "label": [None],
                    "product_no": [float("nan")],
                }
            ),
        ]
    )
    assert presenting_nudge(ended, NUDGE_PRODUCTS, now) is None
    assert presenting_nudge(_on_air(12, now, "粉底液", 3), None, now) is None


def test_the_product_nudge_keeps_the_gap_and_the_half_hour_rule() -> None:
    from core.products import presenting_nudge

    now = pd.Timestamp("2026-11-20 12:40", tz="UTC")
    marks = _on_air(20, now, "粉底液", 3)
    ago = lambda m: now - pd.Timedelta(minutes=m)  # noqa: E731
    assert presenting_nudge(marks, NUDGE_PRODUCTS, now, last_nudge_at=ago(5)) is None
    said = {"product_low_ctr": (ago(15), {"product_no": 3.0, "label": "粉底液"})}
    assert presenting_nudge(marks, NUDGE_PRODUCTS, now, previous=said) is None
    said = {"product_low_ctr": (ago(31), {"product_no": 3.0, "label": "粉底液"})}
    assert presenting_nudge(marks, NUDGE_PRODUCTS, now, previous=said) is not None
    other = {"product_low_ctr": (ago(15), {"product_no": 8.0, "label": "眼线笔"})}
    assert presenting_nudge(marks, NUDGE_PRODUCTS, now, previous=other) is not None
