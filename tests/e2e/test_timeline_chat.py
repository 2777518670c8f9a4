"""Products and events typed in chat while live, end to end: stored at the message's own
time, once per message, confirmed in the workspace's language; in a group only when the
message is addressed to the bot (commands always)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.engine import session_scope
from storage.models import Snapshot, TimelineMark
from tests.e2e.conftest import FakeClock, RunningBot
from tests.e2e.test_data_in import count, say

ZH_HOST = 2102
HOST = 1102
GROUP = -100610


def marks(bot: RunningBot) -> list[TimelineMark]:
    with session_scope(bot.engine) as session:
        rows = list(session.execute(select(TimelineMark).order_by(TimelineMark.id)).scalars())
        for row in rows:
            session.expunge(row)
        return rows


async def test_products_and_events_from_a_private_chat(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    clock = FakeClock(monkeypatch, start)
    await say(bot, ZH_HOST, "/start", language_code="zh")
    assert "没有进行中的直播" in await say(bot, ZH_HOST, "福袋", language_code="zh")
    await say(bot, ZH_HOST, "/golive 周五专场", language_code="zh")
    clock.advance(minutes=12)
    text = await say(bot, ZH_HOST, "讲解 3号链接 口红", language_code="zh")
    assert text == "🛍 讲解 3号 口红（开播 12分钟）"
    clock.advance(minutes=3)
    assert await say(bot, ZH_HOST, "福袋", language_code="zh") == "🎁 已标记：福袋"
    clock.advance(minutes=2)
    text = await say(bot, ZH_HOST, "在线1200", language_code="zh")  # still a push
    assert "已记录" in text
    clock.advance(minutes=5)
    assert "5号 粉底液" in await say(bot, ZH_HOST, "/product 5 粉底液", language_code="zh")
    clock.advance(minutes=1)
    assert "已标记：flash sale" in await say(bot, ZH_HOST, "/event flash sale", language_code="zh")
    clock.advance(minutes=4)
    assert "讲解结束" in await say(bot, ZH_HOST, "/product", language_code="zh")
    assert "用法" in await say(bot, ZH_HOST, "/event 跳舞", language_code="zh")

    rows = marks(bot)
    assert [(r.kind, r.label, r.product_no) for r in rows] == [
        ("product", "口红", 3),
        ("giveaway", "福袋", None),
        ("product", "粉底液", 5),
        ("flash_sale", "flash sale", None),
        ("product_end", None, None),
    ]
    assert [r.ts.astimezone(UTC) - start for r in rows] == [
        timedelta(minutes=m) for m in (12, 15, 22, 23, 27)
    ]
    assert count(bot, Snapshot) == 1


async def test_in_a_group_commands_count_and_plain_cues_only_when_addressed(
    bot: RunningBot,
) -> None:
    await say(bot, GROUP, "/start", user_id=HOST)
    opened = bot.api.send_text(GROUP, "/golive team", user_id=HOST)
    answer = await bot.api.wait_for_message(GROUP, contains="is open", since=opened)
    (bot_message,) = answer.message_ids
    bot.api.send_text(GROUP, "福袋", user_id=778)  # chatter, not for the bot
    text = await say(bot, GROUP, "coupon", user_id=778, reply_to=bot_message)
    assert text == "🎁 Marked: coupon"
    text = await say(bot, GROUP, f"@{bot.api.bot_username} 3号 lipstick", user_id=779)
    assert text.startswith("🛍 Presenting #3 lipstick (")
    assert "Marked: giveaway" in await say(bot, GROUP, "/event giveaway", user_id=780)
    assert [r.kind for r in marks(bot)] == ["coupon", "product", "giveaway"]


async def test_a_product_export_uploaded_in_chat_goes_to_the_open_session(
    bot: RunningBot,
) -> None:
    from storage import repositories as repo
    from tests.e2e.test_data_in import upload, workspace
    from tests.utils.factories import tiktok_products_for

    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive", contains="#")
    # exported during this stream: its title line's window overlaps the open session
    now = datetime.now(UTC)
    export = tiktok_products_for(now - timedelta(minutes=5), now + timedelta(minutes=1))
    name = "tiktok_live_products.xlsx"
    text = await upload(bot, HOST, data=export, name=name)
    assert text.startswith("✅ Imported tiktok_live_products.xlsx: 6 product rows into session #")
    with session_scope(bot.engine) as session:
        (live,) = repo.list_sessions(session, workspace_id=int(workspace(bot, HOST).id))
        frame = repo.products_frame(session, session_id=int(live.id))
    assert frame["gmv"].sum() == pytest.approx(1505.95)


def _closed_session(bot: RunningBot, chat_id: int, *, marks: bool, products: bool) -> int:
    """A closed 90-minute session with minute rows; with chat marks and a product list."""
    from storage import repositories as repo
    from storage.models import row_id
    from tests.e2e.test_data_in import workspace
    from tests.utils.factories import make_minutes_frame

    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    with session_scope(bot.engine) as session:
        live = repo.add_closed_session(
            session,
            workspace_id=int(workspace(bot, chat_id).id),
            title="Tea night",
            started_at=started,
            ended_at=started + timedelta(minutes=90),
            source="live",
        )
        sid = row_id(live)
        repo.bulk_insert_minutes(
            session, session_id=sid, rows=make_minutes_frame(90, start=started, seed=3)
        )
        if marks:
            for i, (minute, kind, label, no) in enumerate(
                [
                    (10, "product", "口红", 3),
                    (25, "giveaway", "福袋", None),
                    (40, "product_end", None, None),
                ]
            ):
                repo.add_mark(
                    session,
                    session_id=sid,
                    ts=started + timedelta(minutes=minute),
                    kind=kind,
                    label=label,
                    product_no=no,
                    dedupe_key=f"album-{sid}-{i}",
                )
        if products:
            repo.bulk_insert_products(
                session,
                session_id=sid,
                rows=[
                    {
                        "name": "口红",
                        "impressions": 9000.0,
                        "clicks": 300.0,
                        "orders": 40.0,
                        "gmv": 4000.0,
                    },
                    {
                        "name": "粉底液",
                        "impressions": 5000.0,
                        "clicks": 60.0,
                        "orders": 5.0,
                        "gmv": 900.0,
                    },
                ],
            )
        return sid


async def _album_names(bot: RunningBot, chat_id: int, sid: int) -> list[str]:
    before = bot.api.send_text(chat_id, f"/summary {sid}")
    album = await bot.api.wait_for(
        lambda c: c.method in ("sendMediaGroup", "sendPhoto") and c.chat_id == chat_id,
        timeout=60,
        since=before,
    )
    assert len(album.files) <= 10
    return [f.filename.rsplit(".", 1)[0] for f in album.files]


async def test_the_summary_album_carries_the_timeline_and_products_charts_when_they_say_something(
    bot: RunningBot,
) -> None:
    await say(bot, HOST, "/start")
    plain = _closed_session(bot, HOST, marks=False, products=False)
    marked = _closed_session(bot, HOST, marks=True, products=True)
    names = await _album_names(bot, HOST, plain)
    assert "online" in names and "timeline" not in names and "products" not in names
    names = await _album_names(bot, HOST, marked)
    assert names[-2:] == ["timeline", "products"] and "online" in names


async def test_the_product_on_air_with_a_weak_click_rate_is_nudged_once_per_half_hour(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import bot.handlers.live as live_handlers
    from storage.models import ScheduledSend
    from tests.e2e.test_data_in import upload
    from tests.utils.factories import tiktok_products_for

    monkeypatch.setattr(live_handlers, "INSIGHT_EVERY_S", 0.0)  # every push checks
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    clock = FakeClock(monkeypatch, start)
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive", contains="#")
    export = tiktok_products_for(start, start + timedelta(minutes=1))  # this stream's list
    text = await upload(bot, HOST, data=export, name="products.xlsx")  # CTR 3.79% over 6
    assert "into session #" in text, text
    clock.advance(minutes=2)
    await say(bot, HOST, "/product 2 Oolong gift box")  # CTR 4.23%: no nudge
    clock.advance(minutes=1)
    await say(bot, HOST, "/stat online=900 gmv=100", contains="Got it")
    await asyncio.sleep(1.0)

    def nudges() -> list[str]:
        return [m.text for m in bot.api.messages_to(HOST) if m.text and "CTR" in m.text]

    assert nudges() == []
    clock.advance(minutes=2)
    await say(bot, HOST, "/product 5 Glass teapot 600ml")  # CTR 1.21%, on air ~35 min
    clock.advance(minutes=1)
    await say(bot, HOST, "/stat online=880 gmv=150", contains="Got it")
    await bot.api.wait_until(lambda: len(nudges()) == 1, timeout=15)
    (text,) = nudges()
    assert text.startswith("#5 Glass teapot 600ml: presented 3")
    assert "CTR 1.2%, below the stream's mean 3.8%" in text

    def age_nudges(minutes: int) -> None:
        with session_scope(bot.engine) as session:
            for row in session.execute(
                select(ScheduledSend).where(ScheduledSend.kind == "nudge")
            ).scalars():
                row.due_at -= timedelta(minutes=minutes)
                row.key = f"{row.key.rsplit(':', 1)[0]}:{int(row.due_at.timestamp() // 600)}"
                session.add(row)

    age_nudges(11)  # past the ten-minute gap, inside the half hour
    await say(bot, HOST, "/stat online=860 gmv=160", contains="Got it")
    await asyncio.sleep(1.5)
    assert len(nudges()) == 1
    age_nudges(20)  # the same product, past the half hour: said again
    await say(bot, HOST, "/stat online=850 gmv=170", contains="Got it")
    await bot.api.wait_until(lambda: len(nudges()) == 2, timeout=15)


def _stream_with_giveaways(bot: RunningBot, chat_id: int, start: datetime, seed: int) -> None:
    """A closed stream whose two giveaways halve leaving for ten minutes."""
    import pandas as pd

    from storage import repositories as repo
    from storage.models import row_id
    from tests.core.event_streams import Planted, event_stream
    from tests.e2e.test_data_in import workspace

    at = pd.Timestamp(start)
    planted = [Planted(m, "giveaway", hazard_mult=0.5, lasts_min=10) for m in (40, 100)]
    stream = event_stream(seed, planted, start=at)
    with session_scope(bot.engine) as session:
        live = repo.add_closed_session(
            session,
            workspace_id=int(workspace(bot, chat_id).id),
            title=f"Stream {seed}",
            started_at=start,
            ended_at=start + timedelta(minutes=150),
            source="live",
        )
        sid = row_id(live)
        repo.bulk_insert_minutes(session, session_id=sid, rows=stream.minutes)
        for m in (40, 100):
            repo.add_mark(
                session,
                session_id=sid,
                ts=start + timedelta(minutes=m),
                kind="giveaway",
                label="福袋",
                dedupe_key=f"digest-{seed}-{m}",
            )


async def test_the_digest_tells_what_events_did_across_its_streams(bot: RunningBot) -> None:
    await say(bot, ZH_HOST, "/start", language_code="zh")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _stream_with_giveaways(bot, ZH_HOST, now - timedelta(days=3), seed=9)  # not in the period
    for seed, hours in enumerate((20, 15, 10)):
        _stream_with_giveaways(bot, ZH_HOST, now - timedelta(hours=hours), seed=seed)
    before = bot.api.send_text(ZH_HOST, "/digest now", language_code="zh")
    # a chart or, when the streams fall on fewer than three local days, a short table
    await bot.api.wait_for(
        lambda c: c.chat_id == ZH_HOST and "活动效果" in (c.text or ""), since=before, timeout=60
    )
    text = "\n".join(m.text or "" for m in bot.api.messages_to(ZH_HOST))
    assert "🎁 本期 3 场直播的活动效果：" in text
    assert "福袋后 10 分钟流失率平均降 " in text and "（6 场，区间 −" in text


async def test_the_summary_shows_the_sessions_file_items_ctr_and_ctor(bot: RunningBot) -> None:
    from pathlib import Path

    from storage import repositories as repo
    from storage.models import row_id
    from tests.e2e.test_data_in import upload, workspace

    data = Path(__file__).resolve().parents[1] / "data"
    await say(bot, HOST, "/start")
    started = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai: the file's #1
    with session_scope(bot.engine) as session:
        live = repo.add_closed_session(
            session,
            workspace_id=int(workspace(bot, HOST).id),
            title="Spring tea sale #1",
            started_at=started,
            ended_at=started + timedelta(minutes=175),
            source="live",
        )
        sid = row_id(live)
    assert "Imported" in await upload(bot, HOST, data / "tiktok_live_performance.xlsx")
    before = bot.api.send_text(HOST, f"/summary {sid}")
    call = await bot.api.wait_for(
        lambda c: c.chat_id == HOST and f"#{sid}" in (c.text or ""), since=before, timeout=30
    )
    text = call.text or ""
    assert "CTR 3.8% · CTOR 9.2% · items sold 72" in text
    assert "GPM $54.82" in text  # the file's dollars became the chat's currency
