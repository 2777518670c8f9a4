"""Nudges judged by the hazard of leaving, against streams with a known truth.

The naive rule — online fell 25 % in 10 minutes, at most one nudge per 10 minutes — is
run beside ours on the same pushes and printed."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from core.nudges import Z_RISE, assess, hazard_test
from core.simulate import simulate_stream
from tests.core.stream_generators import AttentionStream, attention_pushes

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def online_drop_rule(frame: pd.DataFrame, now: datetime, last: datetime | None) -> bool:
    """The naive rule: online down 25 % against 10 minutes earlier (no hazard)."""
    if last is not None and (now - last).total_seconds() < 600:
        return False
    t = (frame["ts"] - frame["ts"].iloc[0]).dt.total_seconds().to_numpy(float)
    on = frame["online"].to_numpy(float)
    if t[-1] < 1200:
        return False
    before = float(np.interp(t[-1] - 600, t, on))
    return before >= 20 and on[-1] <= 0.75 * before


def replay(pushes: pd.DataFrame) -> tuple[list[tuple[datetime, str]], list[datetime]]:
    """Every push checked as the bot does (5 s after it): our nudges and the naive rule's."""
    ours: list[tuple[datetime, str]] = []
    naive: list[datetime] = []
    previous: dict = {}
    last = last_naive = None
    for i in range(len(pushes)):
        now = pushes["ts"].iloc[i].to_pydatetime() + timedelta(seconds=5)
        upto = pushes.iloc[: i + 1]
        d = assess(upto, now, last_nudge_at=last, min_gap_s=600, previous=previous)
        if d is not None:
            ours.append((now, d.code))
            last, previous[d.code] = now, (now, d.params)
        if online_drop_rule(upto, now, last_naive):
            naive.append(now)
            last_naive = now
    return ours, naive


def simulate_pushes(seed: int) -> pd.DataFrame:
    """One push a minute from core.simulate's minute rows (promo spikes every ~20 min)."""
    s = simulate_stream(seed=seed, minutes=120, viewers_scale=2.0)
    m = s.minutes
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(m["ts"], utc=True) + pd.Timedelta(minutes=1),
            "online": m["online"].astype(float),
            "entries": m["entries"].cumsum().astype(float),
        }
    )


# ------------------------------------------------------------------------- the statistic


def _frame(online: list[float], entries_step: list[float], step_s: float = 60.0) -> pd.DataFrame:
    cum = np.cumsum([online[0], *entries_step[1:]])
    ts = [T0 + timedelta(seconds=step_s * i) for i in range(len(online))]
    return pd.DataFrame({"ts": ts, "online": online, "entries": cum})


def test_the_rise_is_tested_with_the_standard_error_of_the_difference() -> None:
    # a short, thin baseline (12 minutes, ~1 exit a minute) and a recent minute with 8 exits
    n = 14
    online = [100.0] * n
    entries = [0.0] + [1.0] * (n - 2) + [8.0]
    df = _frame(online, entries)
    now = df["ts"].iloc[-1].to_pydatetime() + timedelta(seconds=5)
    test = hazard_test(df, now, windows_s=(60.0,))
    assert test is not None
    exposure = 100.0 * 60.0
    lam_r, lam_s = 8.0 / exposure, 12.0 / (12 * exposure)
    se_r, se_s = math.sqrt(8.0) / exposure, math.sqrt(12.0) / (12 * exposure)
    assert test.recent_lambda_per_s == pytest.approx(lam_r)
    assert test.lambda_per_s == pytest.approx(lam_s)
    assert test.z == pytest.approx((lam_r - lam_s) / math.sqrt(se_r**2 + se_s**2))
    # the recent error alone would call this clear (> 2 se); the difference's does not
    assert (lam_r - lam_s) / se_r > 2 * 1.0 and test.z < Z_RISE


def test_a_fall_after_a_promo_spike_is_expected_not_a_drop() -> None:
    # steady: 1,000 online, 200 entries and 200 exits a minute (λ = 1/300 s);
    # a 3-minute spike of 600 entries a minute, then the room empties back at the same λ
    lam, online, entries = 1 / 300, [1000.0], [0.0]
    arrivals = [200.0] * 22 + [600.0] * 3 + [200.0] * 12
    for a in arrivals[1:]:
        on = online[-1]
        on = on + a - lam * 60 * on
        online.append(on)
        entries.append(a)
    df = _frame(online, entries)
    now = df["ts"].iloc[-1].to_pydatetime() + timedelta(seconds=5)
    assert online_drop_rule(df, now, None)  # heads fell by a quarter …
    assert assess(df, now) is None  # … but the hazard did not change
    test = hazard_test(df, now)
    assert test is not None and abs(test.z) < 2


def test_the_same_nudge_at_most_once_per_half_hour_unless_it_worsened() -> None:
    lam = 1 / 300
    online, entries = [1000.0], [0.0]
    for i in range(1, 40):
        factor = 2.0 if i >= 39 else 1.0
        on = online[-1]
        exits = factor * lam * 60 * on
        online.append(on - exits + 200.0)
        entries.append(200.0)
    df = _frame(online, entries)
    now = df["ts"].iloc[-1].to_pydatetime() + timedelta(seconds=5)
    first = assess(df, now)
    assert first is not None and first.code == "attention_drop_promo"
    ratio = first.params["lambda_ratio"]
    sent = now - timedelta(minutes=15)
    # 15 minutes after the same nudge at the same strength: not again
    same = {first.code: (sent, dict(first.params))}
    assert assess(df, now, last_nudge_at=sent, previous=same) is None
    # … unless it got clearly worse since
    milder = {first.code: (sent, {**first.params, "lambda_ratio": ratio / 1.5})}
    again = assess(df, now, last_nudge_at=sent, previous=milder)
    assert again is not None and again.code == first.code
    # after half an hour it may come again
    old = {first.code: (now - timedelta(minutes=31), dict(first.params))}
    assert assess(df, now, last_nudge_at=now - timedelta(minutes=31), previous=old) is not None
    # and a different nudge is not held back by this one past the 10-minute gap
    other = {"online_drop_hook": (sent, {"online_now": 1.0})}
    assert assess(df, now, last_nudge_at=sent, previous=other) is not None


# ------------------------------------------------------------------------------ targets


STEADY_SEEDS = range(4)


def test_false_nudges_on_steady_streams_with_promo_spikes() -> None:
    hours, ours, naive = 0.0, 0, 0
    streams = [attention_pushes(s).pushes for s in STEADY_SEEDS]
    streams += [simulate_pushes(100 + s) for s in STEADY_SEEDS]
    for pushes in streams:
        got, naive_got = replay(pushes)
        hours += (pushes["ts"].iloc[-1] - pushes["ts"].iloc[0]).total_seconds() / 3600
        ours += len(got)
        naive += len(naive_got)
    print(f"\nfalse nudges an hour: ours {ours / hours:.2f}, online-drop rule {naive / hours:.2f}")
    assert ours / hours <= 0.2
    assert naive > ours


def test_false_nudges_when_half_the_audience_bounces_within_seconds() -> None:
    """Half the entries leave within ~20 s, often after the next push: the bounces that
    straddle a push after a promo spike, and the bursts they come in, are not a rise of
    the hazard. The seeds are the streams of 200…219 where the rule that took the bounces
    within one interval as Poisson fired falsely (7 times in 14 hours)."""
    hours, ours, naive = 0.0, 0, 0
    for seed in (207, 208, 212, 213, 216, 218, 219):
        pushes = attention_pushes(seed, bounce=0.5).pushes
        got, naive_got = replay(pushes)
        hours += (pushes["ts"].iloc[-1] - pushes["ts"].iloc[0]).total_seconds() / 3600
        ours += len(got)
        naive += len(naive_got)
    print(
        f"\nhalf bouncing, false nudges an hour: ours {ours / hours:.2f}, naive {naive / hours:.2f}"
    )
    assert ours / hours <= 0.2
    assert naive > ours


def test_an_online_count_typed_a_digit_long_or_short_is_no_nudge() -> None:
    """The steady streams, with a host's slip every 20 minutes (a digit too many or too
    few in the online count, left standing): a slip is no audience leaving. Before slips
    were set aside these streams gave 48 nudges in 16 hours."""
    rng = np.random.default_rng(3)
    hours, ours = 0.0, 0
    for seed in STEADY_SEEDS:
        for pushes in (attention_pushes(seed).pushes, simulate_pushes(100 + seed)):
            typed = pushes.reset_index(drop=True).astype({"online": float})
            for i in range(15, len(typed) - 1, 20):
                typed.loc[i, "online"] *= 10.0 if rng.random() < 0.5 else 0.1
            hours += (typed["ts"].iloc[-1] - typed["ts"].iloc[0]).total_seconds() / 3600
            ours += len(replay(typed)[0])
    print(f"\nwith slips, false nudges an hour: ours {ours / hours:.2f}")
    assert ours / hours <= 0.2


def test_a_fall_waits_for_the_next_push_and_a_slip_is_left_out_once_it_comes() -> None:
    online = [1000.0] * 30
    steps = [40.0] * 30
    frame = _frame(online, steps)
    fell = frame.copy()
    fell.loc[20, "online"] = 100.0  # the latest push, a tenth of the one before
    now = fell["ts"].iloc[20].to_pydatetime() + timedelta(seconds=5)
    assert assess(fell.iloc[:21], now, last_nudge_at=None, min_gap_s=600, previous={}) is None
    # the next push agrees with the readings before: the 100 was a slip, and stays out
    then = fell["ts"].iloc[21].to_pydatetime() + timedelta(seconds=5)
    assert assess(fell.iloc[:22], then, last_nudge_at=None, min_gap_s=600, previous={}) is None
    # the room really emptied: the pushes after it agree with the fall, and it is told
    emptied = frame.copy()
    emptied.loc[20:, "online"] = 100.0
    later = emptied["ts"].iloc[23].to_pydatetime() + timedelta(seconds=5)
    told = assess(emptied.iloc[:24], later, last_nudge_at=None, min_gap_s=600, previous={})
    assert told is not None


def _caught(stream: AttentionStream, nudges: list[datetime]) -> tuple[float, float]:
    """(seconds from the rise to the first nudge after it, seconds until online had
    fallen 25 % below its count at the rise); inf when never."""
    rise = float(stream.rise_at_s or 0.0)
    at = [(w - stream.started_at).total_seconds() - rise for w in nudges]
    first = min((a for a in at if a >= 0), default=math.inf)
    i = int(np.searchsorted(stream.online_t_s, rise))
    fell = (stream.online_t_s >= rise) & (stream.online <= 0.75 * stream.online[i])
    return first, float(stream.online_t_s[fell][0] - rise) if fell.any() else math.inf


def test_a_doubled_hazard_is_caught_within_five_minutes_before_online_falls_a_quarter() -> None:
    n, ours_ok, naive_ok = 10, 0, 0
    for k in range(n):
        stream = attention_pushes(500 + k, minutes=100, rise_at_s=2700.0 + 97.0 * k, rise=2.0)
        got, naive_got = replay(stream.pushes)
        first, fell = _caught(stream, [w for w, _ in got])
        ours_ok += first <= 300 and first <= fell
        n_first, _ = _caught(stream, naive_got)
        naive_ok += n_first <= 300 and n_first <= fell
    print(f"\n×2 hazard caught in time: ours {ours_ok}/{n}, online-drop rule {naive_ok}/{n}")
    assert ours_ok >= 0.8 * n
    assert ours_ok > naive_ok
