"""The live-nudge rule on hand-built snapshot frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from core.nudges import CODES, assess, signals

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STEP_S = 120.0


def frame(online: list[float], lam: list[float], step_s: float = STEP_S) -> pd.DataFrame:
    """Pushes every ``step_s`` seconds with these online counts; between two pushes
    λ × (mean online) × Δt viewers leave, and entries (running total) make up the rest."""
    rows = []
    entries = online[0]
    for i, on in enumerate(online):
        if i:
            exits = lam[i] * (on + online[i - 1]) / 2 * step_s
            entries += on - online[i - 1] + exits
        rows.append(
            {"ts": T0 + timedelta(seconds=step_s * (i + 1)), "online": on, "entries": entries}
        )
    return pd.DataFrame(rows)


def at_end(df: pd.DataFrame, after_s: float = 30.0) -> datetime:
    return df["ts"].iloc[-1].to_pydatetime() + timedelta(seconds=after_s)


BASE_LAM = 1 / 300


def test_steady_stream_gets_no_nudge() -> None:
    df = frame([1000.0] * 20, [BASE_LAM] * 20)
    assert assess(df, at_end(df)) is None
    sig = signals(df, at_end(df))
    assert sig.lambda_ratio == pytest.approx(1.0)
    assert sig.online_change == pytest.approx(0.0)


def test_gentle_noise_gets_no_nudge() -> None:
    lam = [BASE_LAM * (1.1 if i % 2 else 0.9) for i in range(20)]
    online = [1000.0 + (40 if i % 3 == 0 else -30) for i in range(20)]
    df = frame(online, lam)
    assert assess(df, at_end(df)) is None


def test_clear_rise_in_lambda_suggests_a_promo() -> None:
    lam = [BASE_LAM] * 15 + [BASE_LAM * 2.2] * 5  # the last 10 minutes: people leave faster
    df = frame([1000.0] * 20, lam)
    decision = assess(df, at_end(df))
    assert decision is not None and decision.code == "attention_drop_promo"
    assert decision.code in CODES
    p = decision.params
    assert p["lambda_ratio"] >= 1.5
    assert p["recent_lambda_per_s"] > p["lambda_per_s"]
    assert p["recent_half_life_s"] < p["half_life_s"]
    assert p["exits"] >= 20 and p["window_s"] == 600


def test_sharp_online_drop_suggests_a_hook() -> None:
    online = [1000.0] * 15 + [900.0, 800.0, 720.0, 660.0, 600.0]  # −40 % in 10 minutes
    df = frame(online, [BASE_LAM] * 20)
    decision = assess(df, at_end(df))
    assert decision is not None and decision.code == "online_drop_hook"
    assert decision.params["online_before"] == pytest.approx(1000.0)
    assert decision.params["online_now"] == 600.0
    assert decision.params["drop_pct"] == pytest.approx(40.0)


def test_a_mild_online_dip_is_not_a_drop() -> None:
    online = [1000.0] * 15 + [980.0, 950.0, 920.0, 900.0, 880.0]  # −12 %
    df = frame(online, [BASE_LAM] * 20)
    assert assess(df, at_end(df)) is None


def test_at_most_one_nudge_per_ten_minutes() -> None:
    online = [1000.0] * 15 + [900.0, 800.0, 720.0, 660.0, 600.0]
    df = frame(online, [BASE_LAM] * 20)
    now = at_end(df)
    assert assess(df, now, last_nudge_at=now - timedelta(minutes=4)) is None
    assert assess(df, now, last_nudge_at=now - timedelta(seconds=599)) is None
    again = assess(df, now, last_nudge_at=now - timedelta(minutes=10))
    assert again is not None and again.code == "online_drop_hook"


def test_thin_data_gets_no_nudge() -> None:
    # two pushes only
    df = frame([1000.0, 500.0], [BASE_LAM, BASE_LAM * 5])
    assert assess(df, at_end(df)) is None
    # a quarter of an hour of stream: not two windows yet
    df = frame([1000.0] * 4 + [700.0, 500.0], [BASE_LAM] * 4 + [BASE_LAM * 3] * 2, step_s=150)
    assert assess(df, at_end(df)) is None
    # a tiny room: 3 → 2 viewers is not a signal, and a handful of exits is not a λ
    df = frame([3.0] * 15 + [3.0, 3.0, 2.0, 2.0, 2.0], [BASE_LAM] * 15 + [BASE_LAM * 3] * 5)
    sig = signals(df, at_end(df))
    assert sig.lambda_ratio is not None and sig.lambda_ratio > 2
    assert sig.recent is not None and sig.recent.events < 20
    assert assess(df, at_end(df)) is None
    # nothing at all, or no online/entries columns
    assert assess(None, T0) is None
    assert assess(pd.DataFrame({"ts": [T0], "gmv": [1.0]}), T0 + timedelta(hours=1)) is None


def test_stale_pushes_get_no_nudge() -> None:
    online = [1000.0] * 15 + [900.0, 800.0, 720.0, 660.0, 600.0]
    df = frame(online, [BASE_LAM] * 20)
    assert assess(df, at_end(df, after_s=15 * 60)) is None


def test_pushes_after_now_are_ignored() -> None:
    online = [1000.0] * 15 + [900.0, 800.0, 720.0, 660.0, 600.0]
    df = frame(online, [BASE_LAM] * 20)
    before_drop = df["ts"].iloc[14].to_pydatetime() + timedelta(seconds=10)
    assert assess(df, before_drop) is None
