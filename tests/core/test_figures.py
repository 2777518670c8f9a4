"""core.figures: one definition per figure, one order of sources, disagreements listed."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.figures import (
    MOMENT_S,
    TOLERANCE,
    compare_with_usual,
    compute_figures,
    day_figures,
    digest_figures,
    implausible_step,
    slipped_readings,
)
from core.report import build_report
from core.simulate import simulate_stream

START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def stream():  # type: ignore[no-untyped-def]
    return simulate_stream(seed=11, minutes=60)


def _minutes(n: int = 3, **cols: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame({"ts": pd.date_range(START, periods=n, freq="min")})
    for name, values in cols.items():
        frame[name] = values
    return frame


def test_sources_follow_one_order(stream) -> None:  # type: ignore[no-untyped-def]
    platform = {"gmv": 1000.0, "orders": 12.0, "buyers": 10.0, "views": 5000.0}
    f = compute_figures(
        snapshots=stream.snapshots,
        minutes=stream.minutes,
        viewers=stream.viewers,
        platform=platform,
        started_at=stream.started_at,
        ended_at=stream.ended_at,
    )
    assert f.source("gmv") == "platform" and f.get("gmv") == 1000.0
    assert f.source("buyers") == "platform" and f.source("orders") == "platform"
    assert f.source("viewers") == "viewers" and f.get("viewers") == len(stream.viewers)
    assert f.source("views") == "platform"
    assert f.source("duration_s") == "session" and f.get("duration_s") == 3600
    assert f.source("peak_online") == "minutes"
    assert f.get("per_buyer") == pytest.approx(100.0) and f.get("aov") == pytest.approx(1000 / 12)
    assert f.get("gpm") == pytest.approx(1000 / 5000 * 1000)
    assert f.get("conversion") == pytest.approx(10 / len(stream.viewers))
    # the viewer rows' and minutes' GMV are far from the platform's: both listed
    others = {r.other_source for r in f.reconciliation if r.figure == "gmv"}
    # and the pushes, whose running total went past the platform's 1,000
    assert others == {"viewers", "minutes", "pushes"}


def test_the_issue_example_minutes_against_viewer_rows() -> None:
    minutes = _minutes(2, online=[10.0, 12.0], gmv=[45_000.0, 45_000.0], orders=[300.0, 371.0])
    viewers = pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(700)], "spend": [0.0] * 12 + [94_000 / 688] * 688}
    )
    f = compute_figures(minutes=minutes, viewers=viewers)
    assert f.source("gmv") == "viewers" and f.get("gmv") == pytest.approx(94_000)
    assert f.get("buyers") == 688
    # orders 671 < buyers 688 from another source: left out rather than contradict
    assert f.get("orders") is None and f.get("aov") is None
    (said,) = f.contradictions
    assert (said.figure, said.source, said.value) == ("orders", "minutes", 671)
    assert (said.against, said.against_source, said.against_value) == ("buyers", "viewers", 688)
    (gmv,) = [r for r in f.reconciliation if r.figure == "gmv"]
    assert gmv.other_source == "minutes" and gmv.other_value == 90_000
    assert gmv.rel_diff == pytest.approx(94 / 90 - 1)


def test_minute_head_counts_are_not_people() -> None:
    m = _minutes(
        3,
        online=[100.0, 120.0, 90.0],
        entries=[100.0, 60.0, 20.0],
        impressions=[90.0, 95.0, 80.0],
        clicks=[10.0, 12.0, 8.0],
        buyers=[2.0, 3.0, 1.0],
    )
    f = compute_figures(minutes=m)
    assert f.get("impressions") is None and f.get("clicks") is None and f.get("buyers") is None
    assert f.get("viewers") is None and f.get("views") == 180
    assert f.funnel == []


def test_missing_is_none_and_zero_divides_to_none() -> None:
    f = compute_figures()
    assert all(v is None for v in f.values_dict().values())
    assert f.reconciliation == [] and f.funnel == []
    f = compute_figures(platform={"gmv": 0.0, "buyers": 0.0, "orders": 0.0})
    assert f.get("gmv") == 0 and f.get("per_buyer") is None and f.get("aov") is None


def test_within_tolerance_is_not_reported() -> None:
    m = _minutes(1, gmv=[1000.0 * (1 - TOLERANCE / 2)])
    assert compute_figures(minutes=m, platform={"gmv": 1000.0}).reconciliation == []
    m["gmv"] = 900.0
    f = compute_figures(minutes=m, platform={"gmv": 1000.0})
    assert [(r.figure, r.other_source) for r in f.reconciliation] == [("gmv", "minutes")]
    assert f.reconciliation[0].rel_diff == pytest.approx(1000 / 900 - 1)
    snaps = pd.DataFrame({"ts": [START + timedelta(minutes=5)], "gmv": [500.0]})
    assert compute_figures(snapshots=snaps, platform={"gmv": 1000.0}).reconciliation == []


def test_a_push_above_the_files_total_is_a_disagreement_below_it_an_earlier_reading() -> None:
    viewers = pd.DataFrame({"user_id": ["a", "b"], "spend": [50_000.0, 44_000.0]})
    at = [START + timedelta(minutes=m) for m in (5, 40)]
    below = pd.DataFrame({"ts": at, "gmv": [3_000.0, 80_000.0], "online": [900.0, 1200.0]})
    assert compute_figures(snapshots=below, viewers=viewers).reconciliation == []
    above = below.assign(gmv=[3_000.0, 122_000.0], orders=[20.0, 88.0])
    f = compute_figures(snapshots=above, viewers=viewers)
    assert f.get("gmv") == 94_000 and f.source("gmv") == "viewers"
    (r,) = f.reconciliation
    assert (r.figure, r.other_source, r.other_value) == ("gmv", "pushes", 122_000)
    # a push's online is a reading at a moment: never compared
    peak = compute_figures(snapshots=below, minutes=_minutes(1, online=[700.0]))
    assert peak.reconciliation == []


def test_platform_average_stay_gives_the_half_life_when_nothing_else_does() -> None:
    f = compute_figures(platform={"avg_watch_s": 120.0})
    assert f.get("half_life_s") == pytest.approx(math.log(2) * 120)
    assert f.get("avg_stay_s") == 120.0


def test_comparison_with_the_usual() -> None:
    f = compute_figures(platform={"gmv": 1200.0, "peak_online": 50.0})
    history = [{"gmv": 1000.0}, {"gmv": None}, {"gmv": 800.0}, {"gmv": 1200.0, "peak_online": 0.0}]
    by = {c.figure: c for c in compare_with_usual(f, history)}
    assert by["gmv"].usual == 1000.0 and by["gmv"].change == pytest.approx(0.2)
    assert by["peak_online"].change is None  # the usual is 0


def test_a_days_figures_sum_gmv_and_take_the_median_half_life() -> None:
    day = day_figures(
        [
            {"gmv": 100.0, "half_life_s": 60.0},
            {"gmv": None, "half_life_s": 120.0},
            {"gmv": 50.0, "half_life_s": None},
            {"gmv": math.nan, "half_life_s": 90.0},
        ]
    )
    assert (day.gmv, day.half_life_s, day.streams) == (150.0, 90.0, 4)
    empty = day_figures([{"gmv": None}])
    assert (empty.gmv, empty.half_life_s, empty.streams) == (None, None, 1)


def test_digest_figures_from_stored_stream_figures() -> None:
    period = [{"gmv": 300.0, "half_life_s": 100.0}, {"gmv": 900.0, "half_life_s": 140.0}]
    before = [
        [{"gmv": 400.0, "half_life_s": 100.0}, {"gmv": 200.0, "half_life_s": 80.0}],
        [{"gmv": None, "half_life_s": 120.0}],  # a day without GMV is not in the average
        [{"gmv": 1200.0, "half_life_s": 200.0}],
    ]
    f = digest_figures(period, before)
    assert f.streams == 2 and f.gmv == 1200.0
    assert f.average_gmv == 900.0  # (600 + 1200) / 2 streaming days with GMV
    assert f.gmv_change == pytest.approx(1200 / 900 - 1)
    assert f.half_life_s == 120.0 and f.prior_half_life_s == 110.0
    assert f.half_life_trend == "same"  # 120 / 110 is within 10 %
    assert f.best == 1 and f.best_share == pytest.approx(0.75)
    alone = digest_figures([{"gmv": 500.0, "half_life_s": 50.0}], [])
    assert alone.average_gmv is None and alone.gmv_change is None
    assert alone.prior_half_life_s is None and alone.half_life_trend is None
    assert alone.best == 0 and alone.best_share is None
    worse = digest_figures([{"gmv": None, "half_life_s": 50.0}], before)
    assert worse.half_life_trend == "worse" and worse.best is None and worse.gmv is None


def test_report_json_carries_figures_and_reconciliation(stream) -> None:  # type: ignore[no-untyped-def]
    r = build_report(
        snapshots=stream.snapshots,
        minutes=stream.minutes,
        viewers=stream.viewers,
        platform={"gmv": 1.0},
        started_at=stream.started_at,
        ended_at=stream.ended_at,
    )
    d = r.to_dict()
    assert d["figures"]["gmv"] == {"value": 1.0, "source": "platform"}
    assert d["kpis"]["gmv"] == 1.0
    assert any(e["figure"] == "gmv" and e["other_source"] == "viewers" for e in d["reconciliation"])


# ------------------------------------------------------------------------ invariants

_count = st.one_of(st.none(), st.floats(0, 5_000, allow_nan=False).map(round))
_money = st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False))


@st.composite
def _mix(draw: st.DrawFn) -> dict[str, object]:
    """A random mix of sources, each with random (possibly contradicting) totals."""
    out: dict[str, object] = {}
    if draw(st.booleans()):
        out["platform"] = {
            k: draw(gen)
            for k, gen in (
                ("gmv", _money),
                ("orders", _count),
                ("buyers", _count),
                ("views", _count),
                ("impressions", _count),
                ("clicks", _count),
                ("peak_online", _count),
            )
        }
    if draw(st.booleans()):
        n = draw(st.integers(1, 30))
        spend = draw(st.lists(st.sampled_from([0.0, 10.0, 99.5]), min_size=n, max_size=n))
        out["viewers"] = pd.DataFrame(
            {"user_id": [f"u{i}" for i in range(n)], "spend": spend, "watch_time_s": 60.0}
        )
    if draw(st.booleans()):
        n = draw(st.integers(1, 20))
        cols = {
            k: draw(st.lists(st.floats(0, 500, allow_nan=False).map(round), min_size=n, max_size=n))
            for k in ("online", "entries", "orders", "gmv", "buyers", "impressions", "clicks")
        }
        out["minutes"] = _minutes(n, **cols)
    if draw(st.booleans()):
        n = draw(st.integers(1, 6))
        gaps = draw(st.lists(st.sampled_from([20, 90, 180]), min_size=n, max_size=n))
        snaps = pd.DataFrame(
            {"ts": [START + timedelta(seconds=60 + sum(gaps[:i])) for i in range(n)]}
        )
        for k in ("online", "viewers", "clicks", "orders", "buyers", "gmv"):
            snaps[k] = draw(
                st.lists(
                    st.one_of(st.just(np.nan), st.floats(0, 800).map(round)), min_size=n, max_size=n
                )
            )
        out["snapshots"] = snaps
    if draw(st.booleans()):
        out["products"] = pd.DataFrame(
            {
                "gmv": draw(st.lists(st.floats(0, 1e4), min_size=1, max_size=4)),
            }
        ).assign(
            items=lambda d: np.arange(len(d)) * 3.0 + 1,
            orders=lambda d: np.arange(len(d)) + 1.0,
        )
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mix())
def test_sales_never_contradict_and_funnel_never_widens(mix: dict[str, object]) -> None:
    f = compute_figures(**mix, started_at=START, ended_at=START + timedelta(hours=1))  # type: ignore[arg-type]
    b, o, i = f.get("buyers"), f.get("orders"), f.get("items")
    if b is not None and o is not None:
        assert b <= o
    if o is not None and i is not None:
        assert o <= i
    if b is not None and i is not None:
        assert b <= i
    # a pushed reading beside the GMV was typed when the GMV stood where the session's does
    # (pushes that never carried a GMV cannot be told apart by moment)
    snaps = mix.get("snapshots")
    gmv = f.get("gmv")
    for name in ("orders", "buyers"):
        if f.source(name) == "pushes" and gmv is not None:
            assert isinstance(snaps, pd.DataFrame)
            if snaps["gmv"].isna().all():
                continue
            at = snaps[name].last_valid_index()
            upto = snaps.loc[:at, "gmv"].dropna()
            soon = snaps.loc[at:].iloc[1:]
            soon = soon[soon["ts"] - snaps.loc[at, "ts"] <= timedelta(seconds=MOMENT_S)]
            moment = [*upto.iloc[-1:], *soon["gmv"].dropna().iloc[:1]]
            assert any(abs(gmv - g) <= TOLERANCE * max(gmv, g) for g in moment), moment
    values = [v for _, v in f.funnel]
    assert all(a >= c for a, c in itertools.pairwise(values))
    assert len({s for s, _ in f.funnel}) == len(f.funnel)
    for _stage, value in f.funnel:
        assert value is not None and math.isfinite(value)
    # figures of one group share a source: GMV and buyers from the GMV's source when it has them
    gmv_src = f.source("gmv")
    if (
        gmv_src is not None
        and f.source("buyers") is not None
        and gmv_src in ("viewers", "platform")
    ):
        has_buyers = gmv_src == "viewers" or (
            isinstance(mix.get("platform"), dict) and mix["platform"].get("buyers") is not None  # type: ignore[union-attr]
        )
        if has_buyers:
            assert f.source("buyers") == gmv_src
    for r in f.reconciliation:
        assert abs(r.rel_diff) > TOLERANCE
        assert f.get(r.figure) == r.chosen_value
    # a figure left out as impossible is named with the one it contradicts, which is used
    rank = {"buyers": 0, "orders": 1, "items": 2}
    for c in f.contradictions:
        assert f.source(c.figure) != c.source
        if c.moment:  # a pushed reading of another moment than the session's GMV
            assert c.source == "pushes" and c.against == "gmv"
            assert f.get("gmv") == c.against_value and f.source("gmv") == c.against_source
            assert c.gmv_then is None or abs(c.against_value - c.gmv_then) > TOLERANCE * c.gmv_then
            continue
        assert f.get(c.against) == c.against_value and f.source(c.against) == c.against_source
        low, high = sorted(
            ((c.figure, c.value), (c.against, c.against_value)), key=lambda p: rank[p[0]]
        )
        assert low[1] > high[1]


def test_average_online_from_viewer_rows_only_when_the_session_holds_their_watching() -> None:
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    viewers = pd.DataFrame({"user_id": ["a", "b", "c"], "watch_time_s": [600.0, 300.0, 30.0]})
    held = compute_figures(viewers=viewers, started_at=start, ended_at=start + timedelta(hours=1))
    assert held.get("avg_online") == pytest.approx(930 / 3600)
    # a viewer file uploaded into a seven-second session: no average online from it
    short = compute_figures(
        viewers=viewers, started_at=start, ended_at=start + timedelta(seconds=7)
    )
    assert short.get("avg_online") is None


def test_fewer_views_than_viewers_is_not_the_sessions_count() -> None:
    """A push's early reading of entries (5,200) beside 7,202 viewer rows: no GMV per
    thousand views is made from it."""
    viewers = pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(7202)], "spend": [94_000 / 7202] * 7202}
    )
    snaps = pd.DataFrame({"ts": [START + timedelta(minutes=9)], "entries": [5200.0]})
    f = compute_figures(snapshots=snaps, viewers=viewers)
    assert f.get("viewers") == 7202 and f.get("views") is None and f.get("gpm") is None
    more = compute_figures(snapshots=snaps.assign(entries=[9000.0]), viewers=viewers)
    assert more.get("views") == 9000 and more.get("gpm") == pytest.approx(94_000 / 9)


def test_the_stored_half_life_is_the_summarys_one_or_none() -> None:
    """Viewer rows watching minutes filed into a 15-second session: the report finds no
    attention figure the data can carry, so the figures (stored, compared with past
    streams) hold none either; with the whole hour, both give the same half-life."""
    rng = np.random.default_rng(4)
    viewers = pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(3000)], "watch_time_s": rng.exponential(300, 3000)}
    )
    for end in (START + timedelta(seconds=15), START + timedelta(hours=1)):
        r = build_report(viewers=viewers, started_at=START, ended_at=end)
        f = compute_figures(viewers=viewers, started_at=START, ended_at=end)
        supported = r.attention is not None and r.attention.supported
        assert (f.get("half_life_s") is not None) == supported, end
        if supported:
            assert r.attention is not None
            assert f.get("half_life_s") == pytest.approx(r.attention.half_life_s)


# ---------------------------------------------------------------- readings that look mistyped


def test_a_slip_of_the_keyboard_is_told_from_a_sale() -> None:
    # 2.6万 ten minutes in, then 1亿 three seconds later: an extra 亿, not a sale
    assert implausible_step("gmv", 26_000, 600, 1e8, 603) == "jump"
    # a big sale early on: ten times the total, but at a pace a stream can have
    assert implausible_step("gmv", 500, 60, 6_000, 600) is None
    # a running total going down is always worth a word; a head count may fall…
    assert implausible_step("orders", 60, 600, 59, 660) == "fall"
    assert implausible_step("online", 1200, 600, 400, 660) is None
    # …but not tenfold in a minute: 1.2万 typed as 1200, or 1200 as 1.2万
    assert implausible_step("online", 12_000, 600, 1200, 660) == "swing"
    assert implausible_step("online", 1200, 600, 12_000, 660) == "swing"
    assert implausible_step("online", 12_000, 600, 1200, 1800) is None  # twenty minutes on
    assert implausible_step("online", 20, 60, 400, 240) is None  # a room filling at the start
    assert implausible_step("online", 12_000, 60, 1200, 70) == "swing"  # not emptying, though
    assert implausible_step("online", 1200, 600, 0, 660) is None  # nobody left: the end
    assert implausible_step("viewers", 1200, 600, 12, 660) is None
    assert implausible_step("gmv", 0, 600, 1e8, 603) is None  # from nothing, anything goes
    assert implausible_step("gmv", 26_000, 0, 1e8, 3) is None  # no pace known yet
    assert implausible_step("gmv", math.nan, 600, 1e8, 603) is None


@given(
    pace=st.floats(0.01, 1e5),
    t1=st.floats(1, 4 * 3600),
    dt=st.floats(1, 4 * 3600),
    change=st.floats(0.1, 20.0),
)
def test_selling_at_up_to_twenty_times_the_pace_so_far_is_never_called_a_slip(
    pace: float, t1: float, dt: float, change: float
) -> None:
    previous = pace * t1
    value = previous + pace * change * dt
    assert implausible_step("gmv", previous, t1, value, t1 + dt) is None


@given(
    previous=st.floats(1, 1e9),
    t1=st.floats(1, 1e4),
    drop=st.floats(1e-6, 0.999),
    dt=st.floats(0, 1e4),
)
def test_a_running_total_that_went_down_is_always_named(
    previous: float, t1: float, drop: float, dt: float
) -> None:
    for key in ("gmv", "orders", "items"):
        assert implausible_step(key, previous, t1, previous * (1 - drop), t1 + dt) == "fall"


@given(
    previous=st.floats(1, 1e7),
    t1=st.floats(0, 4 * 3600),
    dt=st.floats(0, 4 * 3600),
    change=st.floats(1 / 7.9, 7.9),
)
def test_a_room_that_grows_or_shrinks_less_than_eightfold_is_never_called_a_slip(
    previous: float, t1: float, dt: float, change: float
) -> None:
    assert implausible_step("online", previous, t1, previous * change, t1 + dt) is None


@given(
    previous=st.floats(1, 1e7),
    t1=st.floats(0, 4 * 3600),
    dt=st.floats(0, 600),
    up=st.booleans(),
    factor=st.floats(8.0, 1e4),
)
def test_a_room_ten_times_fuller_or_emptier_within_minutes_is_named(
    previous: float, t1: float, dt: float, up: bool, factor: float
) -> None:
    value = previous * factor if up else previous / factor
    opening = up and t1 < 300  # a room fills from nothing as it opens
    assert implausible_step("online", previous, t1, value, t1 + dt) == (
        None if opening else "swing"
    )


# ---------------------------------------------------------------- slips left out of figures


def _slips(values: list[float], every_s: float = 60.0) -> list[int]:
    return [
        int(i) for i in np.flatnonzero(slipped_readings(np.arange(len(values)) * every_s, values))
    ]


def test_a_reading_eight_times_off_both_neighbours_is_a_slip() -> None:
    assert _slips([1200, 1300, 12_000, 1350, 1400]) == [2]  # 万 too many
    assert _slips([1200, 1300, 130, 1350, 1400]) == [2]  # a digit too few
    # the opening: 1.2万 first, then every reading agrees with 1200
    assert _slips([12_000, 1200, 1300, 1350]) == [0]
    # the last, against the two before, once the room has had five minutes to open
    assert _slips([1200, 1300, 1350, 14_000], every_s=300) == [3]
    assert _slips([20, 30, 35, 400], every_s=60) == []
    assert _slips([20, 30, 35, 400], every_s=300) == [3]
    # a room filling from nothing, and one emptying at the end, are rooms, not slips
    assert _slips([20, 400, 1300, 1350]) == []
    assert _slips([1200, 1300, 1350, 100]) == []
    # two readings that disagree with each other judge nothing at the ends
    assert _slips([12_000, 1200, 9_000, 9_500]) == []
    # ten minutes apart on either side: a room may change that much
    assert _slips([1200, 12_000, 1300], every_s=601) == []
    # nobody online is no reading, and NaN (a push without it) is skipped
    assert _slips([1200, 0, 1300, 1350]) == []
    assert _slips([1200, math.nan, 12_000, math.nan, 1300]) == [2]
    assert _slips([1200, 12_000]) == []  # two readings: which is the slip is unknown


def test_live_the_latest_swing_waits_for_the_next_push() -> None:
    def live(values: list[float], every_s: float = 60.0) -> list[int]:
        t = np.arange(len(values)) * every_s + 600  # ten minutes in: the room has opened
        return [int(i) for i in np.flatnonzero(slipped_readings(t, values, live=True))]

    assert live([1200, 1300, 130]) == [2]  # a fall, not yet told from a room emptying
    assert live([1200, 130]) == [1]
    assert live([1200, 1300, 13_000]) == [2]
    assert live([1200, 1300, 900]) == []  # a room thinning
    assert live([1200, 1300, 130, 1350]) == [2]  # told: a slip
    assert live([1200, 1300, 130, 120]) == []  # told: the room emptied
    assert _slips([1200, 1300, 130]) == []  # after the stream, a room may empty at its end


@given(
    start=st.floats(10, 1e6),
    steps=st.lists(st.floats(1 / 7.9, 7.9), min_size=2, max_size=30),
    gap_s=st.floats(1, 1200),
)
def test_a_room_changing_less_than_eightfold_between_pushes_has_no_slip(
    start: float, steps: list[float], gap_s: float
) -> None:
    values = list(start * np.cumprod([1.0, *steps]))
    assert _slips(values, every_s=gap_s) == []
    t = np.arange(len(values)) * gap_s + 600
    for k in range(2, len(values) + 1):  # nor live, at any push
        assert not slipped_readings(t[:k], values[:k], live=True).any()


@given(
    start=st.floats(10, 1e6),
    steps=st.lists(st.floats(0.9, 1.1), min_size=3, max_size=30),
    at=st.integers(0, 1000),
    factor=st.sampled_from([10.0, 100.0, 10_000.0, 0.1, 0.01]),
)
def test_a_digit_too_many_or_too_few_in_a_steady_room_is_the_one_slip(
    start: float, steps: list[float], at: int, factor: float
) -> None:
    values = list(start * np.cumprod([1.0, *steps]))
    i = at % len(values)
    values[i] *= factor
    ends_low = factor < 1 and i in (0, len(values) - 1)  # a room may empty at its ends
    assert _slips(values, every_s=300) == ([] if ends_low else [i])


def test_a_slip_is_left_out_of_the_peak_and_the_average_and_named() -> None:
    typed = [12_000.0, 1200.0, 1300.0, 1350.0, 1400.0, 1450.0]
    snaps = _pushes(*((m, {"online": v}) for m, v in zip(range(0, 60, 10), typed, strict=True)))
    end = START + timedelta(minutes=50)
    f = compute_figures(snapshots=snaps, started_at=START, ended_at=end)
    assert f.get("peak_online") == 1450.0
    clean = compute_figures(snapshots=snaps.iloc[1:], started_at=START, ended_at=end)
    assert f.get("avg_online") == pytest.approx(clean.get("avg_online"))
    assert [(s.figure, s.value, s.at) for s in f.slips] == [("online", 12_000.0, START)]
    assert f.slip_dicts() == [
        {"figure": "online", "value": 12_000.0, "at": START.isoformat(), "instead": None}
    ]
    # the report's online curve and tips read the same readings
    r = build_report(snapshots=snaps, started_at=START, ended_at=end)
    assert r.charts.online is not None and r.charts.online.online.max() == 1450.0
    assert r.kpis.peak_online == 1450.0
    assert all(s.params.get("peak_minute") != 0 for s in r.suggestions)
    assert r.to_dict()["slips"] == f.slip_dicts()


def test_a_running_total_that_jumped_at_the_last_push_gives_way_to_the_one_before() -> None:
    end = START + timedelta(minutes=30)
    # ¥2.6万 ten minutes in, then 1亿 three seconds later, and the stream ends
    slip = _pushes((10, {"gmv": 26_000.0, "orders": 200.0}), (10.05, {"gmv": 1e8}))
    f = compute_figures(snapshots=slip, started_at=START, ended_at=end)
    assert f.get("gmv") == 26_000.0 and f.get("aov") == pytest.approx(130.0)
    assert [(s.figure, s.value, s.instead) for s in f.slips] == [("gmv", 1e8, 26_000.0)]
    # a push after it: the slip is no longer the figure, and nothing is set aside
    later = pd.concat([slip, _pushes((12, {"gmv": 27_000.0}))], ignore_index=True)
    f = compute_figures(snapshots=later, started_at=START, ended_at=end)
    assert f.get("gmv") == 27_000.0 and f.slips == []
    # a big sale at a pace a stream can have stands
    sale = _pushes((10, {"gmv": 500.0}), (20, {"gmv": 6_000.0}))
    f = compute_figures(snapshots=sale, started_at=START, ended_at=end)
    assert f.get("gmv") == 6_000.0 and f.slips == []


def _pushes(*rows: tuple[int, dict[str, float]]) -> pd.DataFrame:
    """Pushes at the given minutes after START, each with the figures typed."""
    frame = pd.DataFrame([{"ts": START + timedelta(minutes=m), **figs} for m, figs in rows])
    for name in ("online", "gmv", "orders", "buyers"):
        if name not in frame.columns:
            frame[name] = np.nan
    return frame


def test_buyers_pushed_mid_stream_are_not_set_beside_the_files_final_gmv() -> None:
    # the products file holds the whole stream; the buyers were typed at ¥4.8万
    snaps = _pushes((30, {"gmv": 48_000.0, "buyers": 130.0}))
    products = pd.DataFrame({"gmv": [50_000.0, 40_000.0], "orders": [400.0, 271.0]})
    f = compute_figures(
        snapshots=snaps, products=products, started_at=START, ended_at=START + timedelta(hours=3)
    )
    assert f.get("gmv") == 90_000.0 and f.source("gmv") == "products"
    assert f.get("orders") == 671.0
    assert f.get("buyers") is None and f.get("per_buyer") is None and f.get("conversion") is None
    assert f.get("aov") == pytest.approx(90_000 / 671)
    (c,) = f.contradictions
    assert (c.figure, c.source, c.value, c.moment, c.gmv_then) == (
        "buyers",
        "pushes",
        130.0,
        True,
        48_000.0,
    )
    assert (c.against, c.against_source, c.against_value) == ("gmv", "products", 90_000.0)


def test_buyers_pushed_with_the_final_gmv_are_the_sessions() -> None:
    snaps = _pushes((30, {"gmv": 48_000.0}), (178, {"gmv": 89_500.0, "buyers": 260.0}))
    products = pd.DataFrame({"gmv": [50_000.0, 40_000.0], "orders": [400.0, 271.0]})
    f = compute_figures(
        snapshots=snaps, products=products, started_at=START, ended_at=START + timedelta(hours=3)
    )
    assert f.get("buyers") == 260.0 and f.source("buyers") == "pushes"
    assert f.get("per_buyer") == pytest.approx(90_000 / 260)
    assert f.contradictions == []


def test_pushes_alone_pair_buyers_only_with_the_gmv_typed_with_them() -> None:
    early = _pushes(
        (30, {"gmv": 20_000.0, "buyers": 95.0}), (60, {"gmv": 50_000.0, "online": 900.0})
    )
    f = compute_figures(snapshots=early, started_at=START, ended_at=START + timedelta(hours=1))
    assert f.get("gmv") == 50_000.0 and f.get("buyers") is None and f.get("per_buyer") is None
    (c,) = f.contradictions
    assert c.moment and c.gmv_then == 20_000.0 and c.against_source == "pushes"
    # typed together at the end (or with a GMV that has not moved since): paired
    same = _pushes(
        (30, {"gmv": 50_000.0, "buyers": 95.0}), (60, {"online": 900.0, "orders": 120.0})
    )
    g = compute_figures(snapshots=same, started_at=START, ended_at=START + timedelta(hours=1))
    assert g.get("buyers") == 95.0 and g.get("orders") == 120.0
    assert g.get("per_buyer") == pytest.approx(50_000 / 95) and g.contradictions == []


def test_buyers_pushed_before_any_gmv_are_of_no_known_moment() -> None:
    snaps = _pushes((5, {"buyers": 3.0}), (50, {"gmv": 5_000.0}))
    f = compute_figures(snapshots=snaps, started_at=START, ended_at=START + timedelta(hours=1))
    assert f.get("buyers") is None
    (c,) = f.contradictions
    assert c.moment and c.gmv_then is None and c.against_value == 5_000.0


def test_a_full_session_source_stands_in_for_a_push_of_another_moment() -> None:
    snaps = _pushes((30, {"gmv": 48_000.0, "buyers": 130.0}))
    platform = {"gmv": 90_000.0, "orders": 671.0}
    viewers = pd.DataFrame(
        {"user_id": ["a", "b", "c"], "spend": [10.0, 0.0, 5.0], "watch_time_s": 60.0}
    )
    f = compute_figures(
        snapshots=snaps,
        platform=platform,
        viewers=viewers,
        started_at=START,
        ended_at=START + timedelta(hours=3),
    )
    assert f.get("buyers") == 2.0 and f.source("buyers") == "viewers"
    assert f.contradictions == []


def test_no_ratio_of_readings_from_two_moments() -> None:
    products = pd.DataFrame({"gmv": [90_000.0], "orders": [671.0]})
    end = START + timedelta(hours=3)
    # entries and viewers typed at ¥4.8万: no GPM, UV value or conversion of the whole stream
    mid = _pushes((30, {"gmv": 48_000.0, "entries": 35_000.0, "viewers": 20_000.0}))
    f = compute_figures(snapshots=mid, products=products, started_at=START, ended_at=end)
    assert f.get("views") == 35_000.0 and f.get("viewers") == 20_000.0  # the readings stay
    assert f.get("gpm") is None and f.get("uv_value") is None
    # typed with the final GMV: the ratios are the session's
    last = _pushes(
        (30, {"gmv": 48_000.0}), (179, {"gmv": 90_000.0, "entries": 60_000.0, "viewers": 30_000.0})
    )
    g = compute_figures(snapshots=last, products=products, started_at=START, ended_at=end)
    assert g.get("gpm") == pytest.approx(1500.0) and g.get("uv_value") == pytest.approx(3.0)
    # two pushes of different moments: buyers at ¥2万, viewers at ¥5万
    two = _pushes(
        (20, {"gmv": 20_000.0, "buyers": 90.0}), (60, {"gmv": 50_000.0, "viewers": 9_000.0})
    )
    h = compute_figures(snapshots=two, started_at=START, ended_at=START + timedelta(hours=1))
    assert h.get("conversion") is None and h.get("uv_value") == pytest.approx(50_000 / 9_000)


def test_buyers_typed_just_before_the_final_gmv_are_of_its_moment() -> None:
    """`成交人数130`, then `成交额4.8万` twenty seconds later: one moment, paired; the same
    buyers with the GMV pushed five minutes later are not."""
    snaps = _pushes((30, {"gmv": 20_000.0}), (50, {"buyers": 130.0}))
    snaps.loc[len(snaps)] = {"ts": START + timedelta(minutes=50, seconds=20), "gmv": 48_000.0}
    f = compute_figures(snapshots=snaps, started_at=START, ended_at=START + timedelta(hours=1))
    assert f.get("buyers") == 130.0 and f.get("per_buyer") == pytest.approx(48_000 / 130)
    late = snaps.assign(ts=snaps["ts"].where(snaps.index < 2, START + timedelta(minutes=55)))
    g = compute_figures(snapshots=late, started_at=START, ended_at=START + timedelta(hours=1))
    assert g.get("buyers") is None and g.contradictions[0].gmv_then == 20_000.0


def test_items_pushed_are_the_sessions_items_sold() -> None:
    """`items sold 34` typed with the GMV: a figure of the summary, as orders and buyers are."""
    snaps = _pushes((50, {"gmv": 5_000.0, "orders": 30.0, "items": 34.0}))
    f = compute_figures(snapshots=snaps, started_at=START, ended_at=START + timedelta(hours=1))
    assert (f.get("items"), f.source("items")) == (34.0, "pushes")
    # more orders than items cannot be: the items are left out and named
    wrong = _pushes((50, {"gmv": 5_000.0, "orders": 30.0, "items": 12.0}))
    g = compute_figures(snapshots=wrong, started_at=START, ended_at=START + timedelta(hours=1))
    assert g.get("items") is None and [c.figure for c in g.contradictions] == ["items"]
