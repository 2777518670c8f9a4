"""Scheduling maths and sending helpers: next digest time in DST zones, digest planning,
claims by kind, pacing, texts split at line boundaries, digest content."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.services.digests import (
    build_digest,
    digest_due_at,
    force_digests,
    next_digest,
    plan_digests,
    replan_digest,
)
from bot.services.sending import MemoryPaces, split_caption, split_text
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import PastSession, row_id
from storage.repositories import Pace, Slot

BERLIN = ZoneInfo("Europe/Berlin")


# ------------------------------------------------------------------ next digest time


def test_next_digest_is_nine_local_on_both_sides_of_the_spring_change() -> None:
    now = datetime(2026, 3, 28, 9, 30, tzinfo=BERLIN)  # CET, UTC+1
    day, due = next_digest(now, "Europe/Berlin", "09:00")
    assert day == date(2026, 3, 29)
    assert due == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    before = digest_due_at(date(2026, 3, 28), "Europe/Berlin", "09:00")
    assert due - before == timedelta(hours=23)


def test_next_digest_across_the_autumn_change() -> None:
    now = datetime(2026, 10, 24, 9, 0, tzinfo=BERLIN)  # exactly at the time: the next day
    day, due = next_digest(now, "Europe/Berlin", "09:00")
    assert day == date(2026, 10, 25)
    assert due == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # CET again
    assert due - now == timedelta(hours=25)


def test_wall_times_that_do_not_exist_or_repeat() -> None:
    # 02:30 does not exist on 29 March 2026 in Berlin: it goes out at 03:30 CEST
    gap = digest_due_at(date(2026, 3, 29), "Europe/Berlin", "02:30")
    assert gap.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    # 02:30 happens twice on 25 October 2026: the first one (CEST)
    twice = digest_due_at(date(2026, 10, 25), "Europe/Berlin", "02:30")
    assert twice == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Shanghai",
    "UTC",
    "America/Santiago",
    "Pacific/Chatham",
]


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from(ZONES),
    st.integers(0, 23),
    st.integers(0, 59),
)
def test_one_digest_per_local_day_whatever_the_zone(
    naive: datetime, zone: str, hour: int, minute: int
) -> None:
    """Walking from digest to digest visits every local date once, in order, each
    within a day and a bit of the one before."""
    hhmm = f"{hour:02d}:{minute:02d}"
    now = naive.replace(tzinfo=UTC)
    day, due = next_digest(now, zone, hhmm)
    assert due > now and due - now <= timedelta(hours=26)
    for _ in range(3):
        following_day, following = next_digest(due, zone, hhmm)
        assert following_day == day + timedelta(days=1)
        assert timedelta(hours=21) <= following - due <= timedelta(hours=27)
        local = following.astimezone(ZoneInfo(zone))
        assert local.date() == following_day or (local.hour, local.minute) != (hour, minute)
        day, due = following_day, following


# ------------------------------------------------------------------ planning, claims


def _workspace(db_engine: Engine, chat_id: int, tz: str = "Europe/Berlin") -> int:
    with session_scope(db_engine) as session:
        ws = repo.get_or_create_workspace(
            session,
            chat_id=chat_id,
            chat_type="private",
            title=None,
            language="en",
            timezone=tz,
        )
        return row_id(ws)


def test_plan_digests_makes_one_pending_row_per_workspace_and_skips_done_days(
    engine: Engine,
) -> None:
    wid = _workspace(engine, 1)
    off = _workspace(engine, 2)
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=off, digest_enabled=False)
    now = datetime(2026, 3, 28, 10, tzinfo=UTC)
    planned = plan_digests(engine, now=now)
    assert planned == [(f"digest:{wid}:2026-03-29", datetime(2026, 3, 29, 7, tzinfo=UTC))]
    assert plan_digests(engine, now=now) == planned  # idempotent
    # a new time the same day: the pending digest moves, the day is not skipped
    moved = replan_digest(engine, workspace_id=wid, now=now)
    assert moved == (f"digest:{wid}:2026-03-29", datetime(2026, 3, 29, 7, tzinfo=UTC))
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=wid, digest_time="10:15")
    moved = replan_digest(engine, workspace_id=wid, now=now)
    assert moved == (f"digest:{wid}:2026-03-29", datetime(2026, 3, 29, 8, 15, tzinfo=UTC))
    with session_scope(engine) as session:
        assert len(repo.pending_sends(session, kind="digest")) == 1
    with session_scope(engine) as session:
        (row,) = repo.pending_sends(session, kind="digest")
        repo.mark_sent(session, send_id=row_id(row))
    # that day's digest went out: a re-plan on the same day moves to the next day
    again = replan_digest(engine, workspace_id=wid, now=datetime(2026, 3, 29, 6, tzinfo=UTC))
    assert again == (f"digest:{wid}:2026-03-30", datetime(2026, 3, 30, 8, 15, tzinfo=UTC))


def test_force_digests_is_idempotent_per_workspace_and_date(engine: Engine) -> None:
    wid = _workspace(engine, 1, tz="UTC")
    now = datetime(2026, 6, 2, 15, tzinfo=UTC)
    assert force_digests(engine, now=now, on_date=date(2026, 6, 1)) == [f"digest:{wid}:2026-06-02"]
    with session_scope(engine) as session:
        row = repo.get_send(session, key=f"digest:{wid}:2026-06-02")
        assert row is not None and row.due_at == now
        repo.mark_sent(session, send_id=row_id(row))
    assert force_digests(engine, now=now, on_date=date(2026, 6, 1)) == []


def test_claims_can_be_limited_to_kinds(engine: Engine) -> None:
    now = datetime(2026, 6, 2, tzinfo=UTC)
    with session_scope(engine) as session:
        repo.schedule_send(session, kind="retrain", key="retrain:1", due_at=now)
        repo.schedule_send(session, kind="nudge", key="nudge:1:1", due_at=now)
    with session_scope(engine) as session:
        rows = repo.claim_due_sends(
            session, now=now, worker_id="w", lease_s=60, kinds=("summary", "nudge")
        )
        assert [r.key for r in rows] == ["nudge:1:1"]
        rest = repo.claim_due_sends(session, now=now, worker_id="w", lease_s=60)
        assert [r.key for r in rest] == ["retrain:1"]


# ------------------------------------------------------------------------ digest text


def test_digest_compares_with_the_seven_day_average_and_skips_quiet_days(
    engine: Engine,
) -> None:
    wid = _workspace(engine, 1, tz="UTC")
    with session_scope(engine) as session:
        for day, gmv in (
            ((5, 31), 9000.0),
            ((6, 2), 1000.0),
            ((6, 5), 3000.0),
            ((6, 6), None),
            ((6, 8), 4000.0),
        ):
            session.add(
                PastSession(
                    workspace_id=wid,
                    started_at=datetime(2026, *day, 20, tzinfo=UTC),
                    gmv=gmv,
                    avg_watch_s=120.0,
                    title=f"Day {day[1]}",
                )
            )
    content = build_digest(engine, workspace_id=wid, covers=date(2026, 6, 8))
    assert content is not None
    # 1–7 June: streams on the 2nd and 5th (and the 6th, GMV unknown) → average 2,000;
    # 31 May is outside the seven days
    assert "GMV 4,000" in content.text and "average 2,000" in content.text
    assert "+100%" in content.text and "Day 8" in content.text
    assert len(content.daily) == 14
    by_date = {row["date"]: row for row in content.daily}
    assert math.isnan(by_date["2026-06-06"]["gmv"])  # missing stays missing
    assert by_date["2026-06-06"]["streams"] == 1
    assert by_date["2026-06-08"]["half_life_s"] == pytest.approx(math.log(2) * 120.0)
    assert build_digest(engine, workspace_id=wid, covers=date(2026, 6, 7)) is None
    assert content.chart  # four days with GMV in the fortnight: a chart, no table
    assert "The last 14 days" not in content.text


def test_a_digest_of_one_or_two_days_is_a_short_table_not_a_chart(engine: Engine) -> None:
    wid = _workspace(engine, 1, tz="UTC")
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=wid, currency="CNY", language="zh")
        for day, gmv in (((6, 7), 12000.0), ((6, 8), 34000.0)):
            session.add(
                PastSession(
                    workspace_id=wid,
                    started_at=datetime(2026, *day, 20, tzinfo=UTC),
                    gmv=gmv,
                    avg_watch_s=120.0,
                    title=f"Day {day[1]}",
                )
            )
    content = build_digest(engine, workspace_id=wid, covers=date(2026, 6, 8))
    assert content is not None and not content.chart
    lines = content.text.splitlines()
    table = lines[lines.index("近 14 天：") + 1 :]
    assert table == [
        "• 06-07 · 1 场 · 成交额 ¥1.2万 · 半衰期 1分23秒",
        "• 06-08 · 1 场 · 成交额 ¥3.4万 · 半衰期 1分23秒",
    ]


def test_digests_prepared_in_a_worker_process_are_the_ones_built_here(engine: Engine) -> None:
    """The scheduler prepares digests in its process pool, from the database: the same
    text and chart data as built in the bot's own process, with the chart rendered."""
    from bot.services.chart_render import chart_pool
    from bot.services.digests import digest_batches, prepare_digests
    from bot.services.worker_db import worker_db_url

    quiet = _workspace(engine, 2, tz="UTC")
    wid = _workspace(engine, 1, tz="Asia/Shanghai")
    with session_scope(engine) as session:
        for day, hour, gmv in ((3, 12, 1000.0), (5, 12, 3000.0), (8, 12, 4000.0), (8, 8, 500.0)):
            session.add(
                PastSession(
                    workspace_id=wid,
                    started_at=datetime(2026, 6, day, hour, tzinfo=UTC),
                    gmv=gmv,
                    avg_watch_s=100.0 + day,
                    title=f"Day {day}",
                )
            )
    items = [(wid, date(2026, 6, 8)), (quiet, date(2026, 6, 8)), (wid, date(2026, 6, 7))]
    assert digest_batches(items, size=2) == [items[:2], items[2:]]
    pool = chart_pool(1)
    try:
        made = pool.submit(prepare_digests, worker_db_url(engine), items).result(timeout=120)
    finally:
        pool.shutdown()
    assert made[1] is None and made[2] is None  # no stream that day
    assert made[0] is not None
    content, png = made[0]
    here = build_digest(engine, workspace_id=wid, covers=date(2026, 6, 8))
    assert here is not None and content.text == here.text and "4,500" in here.text
    assert str(content.daily) == str(here.daily)  # NaN for the days without a stream
    assert png.startswith(b"\x89PNG")


# ------------------------------------------------------------------------ sending


def test_pacer_spaces_slots_evenly() -> None:
    now = [0.0]
    paces = MemoryPaces(clock=lambda: now[0])
    pace = Pace("global", 1 / 28)
    waits = [paces.reserve_now(pace).wait for _ in range(100)]
    slots = [w + 0.0 for w in waits]
    assert all(b - a == pytest.approx(1 / 28) for a, b in pairwise(slots))
    # in any one-second window at most 28 slots (+1 at the edge)
    assert max(sum(1 for s in slots if t <= s < t + 1) for t in slots) <= 29
    now[0] = 100.0  # after a pause, no backlog of past slots
    assert paces.reserve_now(pace) == Slot(0.0, reserved=True)


def test_chat_pace_allows_a_burst_then_one_a_second() -> None:
    now = [0.0]
    paces = MemoryPaces(clock=lambda: now[0])
    pace, chat = Pace("global", 0.1), Pace("chat:1", 1.0, burst=3)
    assert [paces.reserve_now(pace, chat) for _ in range(3)] == [
        Slot(pytest.approx(w), reserved=True) for w in (0.0, 0.1, 0.2)
    ]
    # the burst is spent (sends leave at 0, 0.1, 0.2): the fourth may go at 1.0, and
    # takes no global slot meanwhile
    assert paces.reserve_now(pace, chat) == Slot(pytest.approx(1.0), reserved=False)
    assert paces.reserve_now(pace, Pace("chat:2", 1.0, burst=3)).wait == pytest.approx(0.3)
    now[0] = 1.0
    assert paces.reserve_now(pace, chat) == Slot(0.0, reserved=True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
            max_size=700,
        ),
        max_size=40,
    ),
    st.integers(50, 4096),
)
def test_split_text_keeps_every_character_within_the_limit(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    parts = split_text(text, limit)
    assert all(0 < utf16(p) <= limit for p in parts)  # as Telegram counts: an emoji is two
    squeeze = "".join(text.split())
    assert "".join("".join(parts).split()) == squeeze
    if all(utf16(line) <= limit for line in lines):
        # no line is cut: every part is a run of whole lines
        joined = "\n".join(parts)
        assert [ln for ln in joined.split("\n") if ln.strip()] == [ln for ln in lines if ln.strip()]


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def test_split_caption_takes_whole_first_lines() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(30))
    caption, rest = split_caption(text)
    assert len(caption) <= 1024 and caption.endswith("x")
    assert caption + "\n" + rest == text
    assert split_caption("short") == ("short", "")


def test_a_caption_counts_emoji_as_telegram_does() -> None:
    """A summary of 1,020 characters with a few emoji is over 1,024 for Telegram (an emoji
    is two UTF-16 code units): it used to go as the album's caption and be refused, and the
    album never came."""
    text = "📊 Session #1\n" + "\n".join("👀 " + "x" * 98 for _ in range(10))
    assert len(text) <= 1024 < utf16(text)
    caption, rest = split_caption(text)
    assert utf16(caption) <= 1024 and rest and caption + "\n" + rest == text
    assert all(utf16(p) <= 300 for p in split_text(text, 300))
