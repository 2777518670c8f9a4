"""Data out, end to end: summaries, digests and nudges from the real bot over HTTP against
the fake Bot API — on time (with a clock the tests move), once, through restarts, 429s and
403s.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Settings
from bot.scheduler import Scheduler
from fakebot import FakeBotApi, Limits, SentCall, is_png
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import LiveSession, PastSession, ScheduledSend, Workspace, row_id
from tests.e2e.conftest import make_settings, stop_bot
from tests.utils.factories import make_minutes_frame, make_viewers_frame

HOST = 7001
BERLIN = "Europe/Berlin"


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Bot:
    api: FakeBotApi
    app: Application  # type: ignore[type-arg]
    engine: Engine
    settings: Settings

    @property
    def scheduler(self) -> Scheduler:
        return self.app.bot_data.scheduler


async def start(
    api: FakeBotApi,
    settings: Settings,
    engine: Engine,
    clock: Callable[[], datetime] | None = None,
    *,
    sweep_interval_s: float = 15.0,
) -> Bot:
    app = build_application(settings, engine=engine)
    if clock is not None:
        app.bot_data.scheduler.clock = clock
    app.bot_data.scheduler.sweep_interval_s = sweep_interval_s
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    return Bot(api, app, engine, settings)


async def settle(scheduler: Scheduler) -> None:
    """Sweep now and wait for any sweep running (a job's) to end."""
    await scheduler.sweep()
    await scheduler.wait_idle()


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
def settings(fake_api: FakeBotApi, tmp_path: Path) -> Settings:
    return make_settings(fake_api, tmp_path, summary_delay_seconds=1)


# ---------------------------------------------------------------------------- seeding


def add_workspace(
    engine: Engine,
    chat_id: int,
    *,
    tz: str = "UTC",
    digest_time: str = "09:00",
    language: str = "en",
) -> int:
    with session_scope(engine) as session:
        ws = repo.get_or_create_workspace(
            session,
            chat_id=chat_id,
            chat_type="private" if chat_id > 0 else "group",
            title=None,
            language=language,
            timezone=tz,
        )
        repo.update_workspace(session, workspace_id=row_id(ws), digest_time=digest_time)
        return row_id(ws)


def add_past_stream(engine: Engine, workspace_id: int, started: datetime, gmv: float) -> None:
    with session_scope(engine) as session:
        session.add(
            PastSession(
                workspace_id=workspace_id,
                started_at=started,
                duration_s=7200.0,
                gmv=gmv,
                peak_online=900.0,
                avg_watch_s=180.0,
                title=f"Stream {started:%m-%d}",
            )
        )


def add_full_session(engine: Engine, workspace_id: int, started: datetime, seed: int = 1) -> int:
    """A closed session with minute rows and viewers: every summary chart has its data."""
    with session_scope(engine) as session:
        live = repo.add_closed_session(
            session,
            workspace_id=workspace_id,
            title="Tea night",
            started_at=started,
            ended_at=started + timedelta(minutes=90),
            source="live",
        )
        sid = row_id(live)
        repo.bulk_insert_minutes(
            session, session_id=sid, rows=make_minutes_frame(90, start=started, seed=seed)
        )
        repo.bulk_insert_viewers(session, session_id=sid, rows=make_viewers_frame(400, seed=seed))
        return sid


def sends(engine: Engine, kind: str | None = None) -> list[ScheduledSend]:
    with session_scope(engine) as session:
        stmt = select(ScheduledSend).order_by(ScheduledSend.id)  # type: ignore[arg-type]
        if kind is not None:
            stmt = stmt.where(ScheduledSend.kind == kind)
        rows = list(session.execute(stmt).scalars())
        for row in rows:
            session.expunge(row)
        return rows


def check_album(call: SentCall, api: FakeBotApi, chat_id: int) -> None:
    assert call.method == "sendMediaGroup"
    assert len(call.files) >= 2 and all(is_png(f.data) for f in call.files)
    assert call.text is not None and len(call.text) <= 1024
    for sent in api.sent:
        if sent.chat_id == chat_id and sent.method == "sendMessage" and sent.text:
            assert len(sent.text) <= 4096


async def say(api: FakeBotApi, chat_id: int, text: str, contains: str | None = None) -> str:
    update = api.send_text(chat_id, text)
    call = await api.wait_for_message(chat_id, contains=contains, since=update, timeout=60)
    return call.text or ""


async def go_live_an_hour_ago(bot: Bot, chat_id: int) -> None:
    """/start and /golive in the chat; the stream began an hour ago and has that hour's
    minute rows (inside its window) and 300 viewers."""
    await say(bot.api, chat_id, "/start")
    await say(bot.api, chat_id, "/golive Tea night", contains="#1")
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    with session_scope(bot.engine) as session:
        live = session.get(LiveSession, 1)
        assert live is not None
        live.started_at = hour_ago
        repo.bulk_insert_minutes(session, session_id=1, rows=make_minutes_frame(60, start=hour_ago))
        repo.bulk_insert_viewers(session, session_id=1, rows=make_viewers_frame(300))


async def a_stream_closed_five_hours_ago(bot: Bot) -> tuple[int, int]:
    """/start in the host's chat and a stream of its that closed five hours ago, with minute
    rows and viewers and nothing scheduled: (workspace id, session id)."""
    await say(bot.api, HOST, "/start")
    wid = add_workspace(bot.engine, HOST)
    return wid, add_full_session(bot.engine, wid, datetime.now(UTC) - timedelta(hours=5))


# --------------------------------------------------------------------------- summaries


async def test_summary_follows_endlive_as_an_album_with_the_text(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    bot = await start(fake_api, settings, engine)
    try:
        await go_live_an_hour_ago(bot, HOST)
        await say(fake_api, HOST, "/stat online=900 viewers=2000 gmv=3k orders=20", "Got it")
        before = len(fake_api.sent)
        text = await say(fake_api, HOST, "/endlive", contains="closed")
        assert "closed after" in text
        album = await fake_api.wait_for(
            lambda c: c.method == "sendMediaGroup" and c.chat_id == HOST,
            timeout=60,
            since=before,
        )
        check_album(album, fake_api, HOST)
        names = [f.filename for f in album.files]
        # online, retention, buying power (a funnel of two stages of people draws no chart)
        assert {"online", "retention", "buying_power"} <= {n.rsplit(".", 1)[0] for n in names}, (
            names
        )
        body = "\n".join(c.text or "" for c in fake_api.sent[before:] if c.chat_id == HOST)
        assert "Session #1" in body and "What to try next" in body
        # its last part (the button under the album) waits for the chat's pace: the send is
        # done once it is recorded as sent
        await fake_api.wait_until(
            lambda: [r.status for r in sends(bot.engine, "summary")] == ["sent"], timeout=30
        )
        await asyncio.sleep(1.0)
        assert sum(1 for c in fake_api.calls("sendMediaGroup") if c.chat_id == HOST) == 1
        (row,) = sends(bot.engine, "summary")
        assert row.key == "summary:1" and row.status == "sent" and row.attempts == 1
    finally:
        await stop_bot(bot.app)


async def test_summary_compares_with_the_median_of_the_last_streams(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    bot = await start(fake_api, settings, engine)
    try:
        wid = add_workspace(engine, HOST)
        day0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
        for i, gmv in enumerate([1000.0, 2000.0, 3000.0, 4000.0, 100_000.0, 6000.0]):
            add_past_stream(engine, wid, day0 + timedelta(days=i), gmv)
        sid = add_full_session(engine, wid, day0 + timedelta(days=7))
        before = len(fake_api.sent)
        await say(fake_api, HOST, f"/summary {sid}", contains="median")
        text = "\n".join(c.text or "" for c in fake_api.sent[before:])
        # the last five streams: 2,000 3,000 4,000 100,000 6,000 → median 4,000
        assert "last 5 streams" in text and "vs 4,000" in text
    finally:
        await stop_bot(bot.app)


async def test_summary_and_sessions_commands(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    bot = await start(fake_api, settings, engine)
    try:
        _, sid = await a_stream_closed_five_hours_ago(bot)
        before = len(fake_api.sent)
        fake_api.send_text(HOST, "/summary")
        album = await fake_api.wait_for(
            lambda c: c.method == "sendMediaGroup", timeout=60, since=before
        )
        check_album(album, fake_api, HOST)
        assert f"#{sid}" in (album.text or "")
        # the summary's text past the caption may still be on its way: wait for the answer
        assert "no session #99" in await say(fake_api, HOST, "/summary 99", contains="#99")
        assert "Usage" in await say(fake_api, HOST, "/summary abc")
        text = await say(fake_api, HOST, "/sessions", contains="Sessions")
        assert f"#{sid} “Tea night”" in text and "1 h 30 min" in text
        assert not sends(engine, "summary")  # /summary does not stand in for the scheduled one
    finally:
        await stop_bot(bot.app)


async def test_a_summary_being_sent_is_not_sent_again_by_summary(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    from bot.services.filing import (
        SCHEDULED,
        claim_summary_sending,
        release_summary_sending,
        summary_fingerprint,
    )
    from bot.services.summaries import schedule_summary

    bot = await start(fake_api, settings, engine)
    try:
        wid, sid = await a_stream_closed_five_hours_ago(bot)
        with session_scope(engine) as session:
            later = datetime.now(UTC) + timedelta(hours=1)
            schedule_summary(session, session_id=sid, workspace_id=wid, due_at=later)
        # the scheduled summary is on its way to the chat (paced in a group, say)
        fingerprint = summary_fingerprint(engine, session_id=sid)
        claimed = claim_summary_sending(
            engine, session_id=sid, fingerprint=fingerprint, by=SCHEDULED
        )
        assert claimed == "claimed"
        before = len(fake_api.sent)
        text = await say(fake_api, HOST, f"/summary {sid}", contains=f"#{sid}")
        assert "being sent right now" in text
        await asyncio.sleep(1.0)
        assert not [c for c in fake_api.sent[before:] if c.method == "sendMediaGroup"]
        # it went out a moment ago: it is the one just above
        release_summary_sending(engine, session_id=sid, by=SCHEDULED, sent=True)
        text = await say(fake_api, HOST, f"/summary {sid}", contains=f"#{sid}")
        assert "sent just now" in text
        # asked for again later, /summary gives it
        release_summary_sending(
            engine,
            session_id=sid,
            by=SCHEDULED,
            sent=True,
            now=datetime.now(UTC) - timedelta(minutes=1),
        )
        fake_api.send_text(HOST, f"/summary {sid}")
        album = await fake_api.wait_for(
            lambda c: c.method == "sendMediaGroup", timeout=60, since=before
        )
        assert f"#{sid}" in (album.text or "")
    finally:
        await stop_bot(bot.app)


async def test_summary_twice_at_once_of_a_stream_with_nothing_scheduled_is_sent_once(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    bot = await start(fake_api, settings, engine)
    try:
        _, sid = await a_stream_closed_five_hours_ago(bot)
        assert not sends(engine, "summary")  # an imported stream: no summary row
        before = len(fake_api.sent)
        fake_api.send_text(HOST, f"/summary {sid}")
        fake_api.send_text(HOST, f"/summary {sid}")
        await fake_api.wait_for(
            lambda c: c.method == "sendMessage" and "right now" in (c.text or ""),
            timeout=60,
            since=before,
        )
        await fake_api.wait_for(lambda c: c.method == "sendMediaGroup", timeout=60, since=before)
        await asyncio.sleep(1.0)
        assert len([c for c in fake_api.sent[before:] if c.method == "sendMediaGroup"]) == 1
    finally:
        await stop_bot(bot.app)


async def test_summary_right_after_endlive_in_a_group_gives_one_summary(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    group = -100321
    bot = await start(fake_api, settings, engine)
    try:
        await go_live_an_hour_ago(bot, group)
        await say(fake_api, group, "/endlive", contains="closed")
        before = len(fake_api.sent)
        # the scheduled summary is due a second after /endlive: /summary meets it while
        # it is built or sent, whichever comes first
        for wait in (1.2, 0.3):
            await asyncio.sleep(wait)
            fake_api.send_text(group, "/summary")
        await fake_api.wait_until(
            lambda: [r.status for r in sends(bot.engine, "summary")] in (["sent"], ["dropped"]),
            timeout=60,
        )
        await fake_api.wait_for(
            lambda c: c.method == "sendMediaGroup" and c.chat_id == group,
            timeout=60,
            since=before,
        )
        await asyncio.sleep(8.0)  # the group's pace: anything else would be out by now
        albums = [c for c in fake_api.sent[before:] if c.method == "sendMediaGroup"]
        assert len(albums) == 1, [c.text for c in albums]
        answers = [c.text or "" for c in fake_api.sent[before:] if c.method == "sendMessage"]
        # one /summary stood back, or both did (the scheduled one was on its way)
        assert sum("just now" in a or "right now" in a for a in answers) in (1, 2), answers
    finally:
        await stop_bot(bot.app)


async def test_a_silent_stream_is_closed_after_two_hours_and_summarised(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    clock = Clock(datetime.now(UTC))
    bot = await start(fake_api, settings, engine, clock, sweep_interval_s=3600)
    try:
        await say(fake_api, HOST, "/start")
        await say(fake_api, HOST, "/golive", contains="#1")
        await say(fake_api, HOST, "/stat online=500 viewers=900", contains="Got it")
        clock.advance(minutes=119)
        await settle(bot.scheduler)
        with session_scope(engine) as session:
            assert repo.get_open_session(session, workspace_id=1) is not None
        clock.advance(minutes=2)
        before = len(fake_api.sent)
        await settle(bot.scheduler)
        with session_scope(engine) as session:
            live = repo.get_session_any(session, session_id=1)
            assert live is not None and live.status == "closed"
            assert live.ended_at == live.last_push_at
        call = await fake_api.wait_for(lambda c: c.chat_id == HOST, since=before, timeout=30)
        text = "\n".join(c.text or "" for c in fake_api.sent[call.index :])
        assert "Session #1" in text and "closed this session" in text
    finally:
        await stop_bot(bot.app)


# ----------------------------------------------------------------------------- digests


def digests_to(api: FakeBotApi, chat_id: int) -> list[SentCall]:
    return [c for c in api.calls("sendPhoto") if c.chat_id == chat_id]


@pytest.mark.parametrize(
    ("first", "last", "change"),
    [
        (date(2026, 3, 26), date(2026, 4, 1), date(2026, 3, 29)),  # spring forward
        (date(2026, 10, 22), date(2026, 10, 28), date(2026, 10, 25)),  # fall back
    ],
    ids=["spring", "autumn"],
)
async def test_digest_at_nine_local_once_a_day_across_dst(
    fake_api: FakeBotApi,
    settings: Settings,
    engine: Engine,
    first: date,
    last: date,
    change: date,
) -> None:
    zone = ZoneInfo(BERLIN)
    wid = add_workspace(engine, HOST, tz=BERLIN)
    quiet = change + timedelta(days=1)  # no stream that day: no digest the day after
    day = first - timedelta(days=10)
    while day <= last:
        if day != quiet:
            started = datetime(day.year, day.month, day.day, 20, tzinfo=zone)
            add_past_stream(engine, wid, started, 1000.0 + day.day)
        day += timedelta(days=1)
    clock = Clock(datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC))
    end = datetime(last.year, last.month, last.day, tzinfo=zone).astimezone(UTC)
    bot = await start(fake_api, settings, engine, clock, sweep_interval_s=3600)
    sent_at: dict[str, datetime] = {}
    try:
        while clock.now < end:
            seen = len(digests_to(fake_api, HOST))
            await settle(bot.scheduler)
            for call in digests_to(fake_api, HOST)[seen:]:
                assert call.text is not None
                sent_at[call.text.splitlines()[0]] = clock.now
            clock.advance(minutes=30)
    finally:
        await stop_bot(bot.app)
    days = sorted(sent_at.items(), key=lambda kv: kv[1])
    local = [when.astimezone(zone) for _, when in days]
    assert all((t.hour, t.minute) == (9, 0) for t in local), local
    dates = [t.date() for t in local]
    assert len(dates) == len(set(dates))  # one per local day
    expected = [
        first + timedelta(days=i)
        for i in range((last - first).days)
        if first + timedelta(days=i) != quiet + timedelta(days=1)
    ]
    assert dates == expected
    for title, when in days:  # each covers the local day before
        covered = (when.astimezone(zone).date() - timedelta(days=1)).isoformat()
        assert covered in title
    assert len(digests_to(fake_api, HOST)) == len(expected)
    photo = digests_to(fake_api, HOST)[0]
    assert is_png(photo.files[0].data) and "7-day average" in (photo.text or "")
    dropped = [r for r in sends(engine, "digest") if r.status == "dropped"]
    assert [r.key for r in dropped] == [f"digest:{wid}:{quiet + timedelta(days=1)}"]


async def test_digest_now_and_digest_settings(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    bot = await start(fake_api, settings, engine)
    try:
        await say(fake_api, HOST, "/start")
        assert "nothing to digest" in await say(fake_api, HOST, "/digest now")
        wid = add_workspace(engine, HOST)
        add_past_stream(engine, wid, datetime.now(UTC) - timedelta(hours=3), 5000.0)
        before = len(fake_api.sent)
        fake_api.send_text(HOST, "/digest now")
        # one stream: a short table, no chart
        digest = await fake_api.wait_for(lambda c: "last 24 hours" in (c.text or ""), since=before)
        assert digest.method == "sendMessage" and "GMV 5,000" in (digest.text or "")
        assert "The last 14 days:" not in (digest.text or "")  # one day: said above
        assert not [c for c in fake_api.sent[before:] if c.method == "sendPhoto"]
        assert not [r for r in sends(engine, "digest") if r.status == "sent"]
        text = await say(fake_api, HOST, "/digest 7:30", contains="Daily digest at")
        assert "07:30" in text and "Asia/Shanghai" in text
        (pending,) = [r for r in sends(engine, "digest") if r.status == "pending"]
        assert pending.due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == "07:30"
        assert "off" in await say(fake_api, HOST, "/digest off")
        assert not [r for r in sends(engine, "digest") if r.status == "pending"]
        assert "Usage" in await say(fake_api, HOST, "/digest 25:00")
    finally:
        await stop_bot(bot.app)


def _digest_fleet(
    engine: Engine, n: int, *, first_chat: int = 10_000, chart: bool = True
) -> list[int]:
    """``n`` workspaces with a stream on 1 June (and on the two days before with
    ``chart``: three days make the digest a chart, else it is a text)."""
    chats = []
    for i in range(n):
        chat = first_chat + i
        wid = add_workspace(engine, chat)
        for day in (30, 31) if chart else ():
            add_past_stream(engine, wid, datetime(2026, 5, day, 12, tzinfo=UTC), 900.0 + i)
        add_past_stream(engine, wid, datetime(2026, 6, 1, 12, tzinfo=UTC), 1000.0 + i)
        chats.append(chat)
    return chats


async def test_restart_in_the_middle_of_a_fan_out_loses_and_doubles_nothing(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    chats = _digest_fleet(engine, 60)
    fake_api.enforce_limits = True
    clock = Clock(datetime(2026, 6, 2, 8, 59, tzinfo=UTC))
    bot = await start(fake_api, settings, engine, clock, sweep_interval_s=0.5)
    assert len([r for r in sends(engine, "digest") if r.status == "pending"]) == 60
    clock.advance(minutes=2)  # due: the sweeper job (every 0.5 s) starts the fan-out
    await fake_api.wait_until(lambda: len(fake_api.calls("sendPhoto")) >= 15, timeout=60)
    await stop_bot(bot.app)  # a graceful stop: sends in flight finish, nothing more is claimed
    first_run = len(fake_api.calls("sendPhoto"))
    assert 15 <= first_run < 60
    states = Counter(r.status for r in sends(engine, "digest"))
    assert states["sent"] == first_run and states["claimed"] == 0

    bot = await start(fake_api, settings, engine, clock, sweep_interval_s=0.5)
    try:
        await fake_api.wait_until(lambda: len(fake_api.calls("sendPhoto")) >= 60, timeout=90)
        await asyncio.sleep(1.0)
    finally:
        await stop_bot(bot.app)
    per_chat = Counter(c.chat_id for c in fake_api.calls("sendPhoto"))
    assert per_chat == Counter({chat: 1 for chat in chats})
    assert {r.status for r in sends(engine, "digest") if r.due_at <= clock.now} == {"sent"}


async def test_a_send_missed_while_down_goes_out_within_six_hours_else_is_dropped(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    wid = add_workspace(engine, HOST)
    now = datetime(2026, 6, 2, 18, tzinfo=UTC)
    recent = add_full_session(engine, wid, now - timedelta(hours=7), seed=2)
    old = add_full_session(engine, wid, now - timedelta(hours=9), seed=3)
    from bot.services.summaries import schedule_summary

    with session_scope(engine) as session:
        schedule_summary(
            session,
            session_id=recent,
            workspace_id=wid,
            due_at=now - timedelta(hours=5, minutes=50),
        )
        schedule_summary(
            session, session_id=old, workspace_id=wid, due_at=now - timedelta(hours=6, minutes=10)
        )
    bot = await start(fake_api, settings, engine, Clock(now), sweep_interval_s=0.5)
    try:
        album = await fake_api.wait_for(lambda c: c.method == "sendMediaGroup", timeout=60)
        assert f"#{recent}" in (album.text or "")
        await fake_api.wait_until(
            lambda: all(r.status in ("sent", "dropped") for r in sends(engine, "summary")),
            timeout=30,
        )
    finally:
        await stop_bot(bot.app)
    status = {r.key: r.status for r in sends(engine, "summary")}
    assert status == {f"summary:{recent}": "sent", f"summary:{old}": "dropped"}
    assert all(f"#{old}" not in (c.text or "") for c in fake_api.sent)


async def test_429_retry_after_is_honoured_and_403_marks_only_that_workspace_inactive(
    fake_api: FakeBotApi, settings: Settings, engine: Engine
) -> None:
    chats = _digest_fleet(engine, 8, chart=False)  # texts: no rendering spaces them out
    blocked = chats[3]
    fake_api.blocked_chats.add(blocked)
    fake_api.enforce_limits = True
    fake_api.limits = Limits(global_per_second=3)  # far below our pace: 429s are certain
    clock = Clock(datetime(2026, 6, 2, 8, 59, tzinfo=UTC))
    bot = await start(fake_api, settings, engine, clock, sweep_interval_s=3600)
    try:
        clock.advance(minutes=2)
        for _ in range(20):
            await settle(bot.scheduler)
            if all(
                r.status in ("sent", "failed")
                for r in sends(engine, "digest")
                if r.due_at <= clock.now
            ):
                break
            clock.advance(seconds=5)  # past any retry_at set after the retries ran out
    finally:
        await stop_bot(bot.app)
    assert fake_api.count_429 > 0
    per_chat = Counter(c.chat_id for c in fake_api.calls("sendMessage"))
    assert per_chat == Counter({chat: 1 for chat in chats if chat != blocked})
    # after each 429 the same chat was not tried again before retry_after had passed
    last_429: dict[object, tuple[float, int]] = {}
    for request in fake_api.requests:
        if request.method != "sendMessage":
            continue
        chat = request.params.get("chat_id")
        if chat in last_429:
            at, wait = last_429.pop(chat)
            assert request.time >= at + wait - 0.05
        if request.status == 429:
            wait = int((request.description or "").rsplit(" ", 1)[-1])
            last_429[chat] = (request.time, wait)
    with session_scope(engine) as session:
        active = {ws.chat_id: ws.active for ws in session.execute(select(Workspace)).scalars()}
    assert active[blocked] is False
    assert all(active[c] for c in chats if c != blocked)
    failed = [r for r in sends(engine, "digest") if r.status == "failed"]
    assert len(failed) == 1 and "forbidden" in (failed[0].last_error or "")


# ------------------------------------------------------------------------------ nudges


def _seed_falling_stream(engine: Engine, now: datetime) -> None:
    """Earlier pushes of session 1: online steady at 1,000, then 900 ten minutes ago."""
    with session_scope(engine) as session:
        for minutes, online, entries, gmv in (
            (25, 1000, 1000, 1000),
            (20, 1000, 1200, 2000),
            (15, 1000, 1400, 3000),
            (10, 900, 1500, 4000),
        ):
            repo.add_snapshot(
                session,
                session_id=1,
                ts=now - timedelta(minutes=minutes),
                values={"online": online, "entries": entries, "gmv": gmv},
                dedupe_key=f"seed:{minutes}",
            )


def _nudges(api: FakeBotApi, since: int = 0) -> list[SentCall]:
    return [c for c in api.sent[since:] if c.text and "Online fell" in c.text]


async def test_nudge_on_an_attention_drop_at_most_every_ten_minutes_and_switchable(
    fake_api: FakeBotApi, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.handlers.live as live_handlers

    monkeypatch.setattr(live_handlers, "INSIGHT_EVERY_S", 0.0)  # every push checks (no throttle)
    bot = await start(fake_api, settings, engine)
    try:
        await say(fake_api, HOST, "/start")
        await say(fake_api, HOST, "/golive", contains="#1")
        with session_scope(engine) as session:
            live = repo.get_session_any(session, session_id=1)
            assert live is not None
            live.started_at = datetime.now(UTC) - timedelta(minutes=30)
            session.add(live)
        _seed_falling_stream(engine, datetime.now(UTC))
        reply = await say(fake_api, HOST, "/stat online=300 entries=1600 gmv=5000", "Got it")
        assert "Forecast final GMV" in reply
        nudge = await fake_api.wait_for(lambda c: "Online fell" in (c.text or ""), timeout=15)
        assert "900" in (nudge.text or "") and "300" in (nudge.text or "")

        mark = len(fake_api.sent)
        await say(fake_api, HOST, "/stat online=250 entries=1650 gmv=5200", "Got it")
        await asyncio.sleep(1.5)
        assert not _nudges(fake_api, mark)  # not again within 10 minutes

        def age_nudges() -> None:
            with session_scope(engine) as session:
                for row in session.execute(
                    select(ScheduledSend).where(ScheduledSend.kind == "nudge")
                ).scalars():
                    row.due_at -= timedelta(minutes=11)
                    row.key = f"nudge:1:{int(row.due_at.timestamp() // 600)}"  # its slot then
                    session.add(row)

        age_nudges()
        assert "off" in await say(fake_api, HOST, "/nudges off")
        mark = len(fake_api.sent)
        await say(fake_api, HOST, "/stat online=200 entries=1700 gmv=5300", "Got it")
        await asyncio.sleep(1.5)
        assert not _nudges(fake_api, mark)  # switched off

        assert "on" in await say(fake_api, HOST, "/nudges on")
        mark = len(fake_api.sent)
        await say(fake_api, HOST, "/stat online=150 entries=1750 gmv=5400", "Got it")
        await fake_api.wait_until(lambda: len(_nudges(fake_api, mark)) == 1, timeout=15)
        for _ in range(100):  # the row is marked sent just after the message went out
            if sum(r.status == "sent" for r in sends(engine, "nudge")) == 2:
                break
            await asyncio.sleep(0.05)
        assert [r.status for r in sends(engine, "nudge")] == ["sent", "sent"]
    finally:
        await stop_bot(bot.app)


# --------------------------------------------------------------------------------- CLI


async def test_cli_digest_all_is_idempotent_per_workspace_and_date(
    fake_api: FakeBotApi,
    settings: Settings,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from bot.cli import main
    from storage.engine import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    chats = _digest_fleet(engine, 3, first_chat=20_000)
    for name, value in {
        "LIVEHOST_BOT_TOKEN": fake_api.token,
        "LIVEHOST_TELEGRAM_API_URL": fake_api.url,
        "LIVEHOST_DATABASE_URL": url,
        "LIVEHOST_MODELS_DIR": str(tmp_path / "models"),
    }.items():
        monkeypatch.setenv(name, value)
    args = ["digest", "--all", "--date", "2026-06-01"]
    assert await asyncio.to_thread(main, args) == 0
    assert await asyncio.to_thread(main, args) == 0
    per_chat = Counter(c.chat_id for c in fake_api.calls("sendPhoto"))
    assert per_chat == Counter({chat: 1 for chat in chats})
    assert all("2026-06-01" in (c.text or "") for c in fake_api.calls("sendPhoto"))
    engine.dispose()
