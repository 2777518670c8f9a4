"""Files filed by their time, end to end through the fake Bot API: a minute export of
another day becomes a past stream (said in the host's language and time zone), a caption
that contradicts its dates is refused, a column the bot cannot place is asked about with
buttons and remembered, an upload that changes a closed session says what moved and offers
the refreshed summary, and the scheduler does not send that summary again for the same data.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.engine import session_scope
from storage.models import ColumnMapping, LiveSession, MinuteRow, ScheduledSend, ViewerRow
from tests.e2e.conftest import RunningBot
from tests.e2e.test_data_in import DATA, count, say, upload

HOST = 3003
SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH_FINAL = ("导入", "哪一列")


async def _bot_message_with(bot: RunningBot, chat_id: int, prefix: str) -> tuple[int, list[str]]:
    await bot.api.wait_until(
        lambda: any(
            any(d.startswith(prefix) for d in m.button_data) for m in bot.api.messages_to(chat_id)
        ),
        timeout=30,
    )
    message = next(
        m
        for m in reversed(bot.api.messages_to(chat_id))
        if any(d.startswith(prefix) for d in m.button_data)
    )
    return message.message_id, message.button_data


async def test_an_export_of_another_day_becomes_a_past_stream_in_chinese(bot: RunningBot) -> None:
    await say(bot, HOST, "/start", language_code="zh-hans")
    await say(bot, HOST, "/golive 今晚")
    text = await upload(bot, HOST, DATA / "douyin_minutes_gbk.csv", final=ZH_FINAL)
    assert "120 行分钟数据已作为过去的直播 #2 导入（11-20 20:00–22:00）" in text, text
    assert count(bot, MinuteRow, session_id=2) == 120 and count(bot, MinuteRow, session_id=1) == 0
    # the same export again is recognised; no second past stream
    text = await upload(
        bot, HOST, DATA / "douyin_minutes_gbk.csv", name="again.csv", final=ZH_FINAL
    )
    assert "相同内容已于" in text and count(bot, LiveSession) == 2
    # viewers have no times; these watched up to 43 minutes, and tonight's stream has run
    # for seconds: they are another stream's, and the caption says which
    text = await upload(bot, HOST, DATA / "viewers_zh.csv", final=ZH_FINAL)
    assert "未导入" in text and "观看时长超过第 1 场的时长" in text, text
    assert "最长 43分26秒" in text and "#编号" in text, text
    assert count(bot, ViewerRow) == 0
    text = await upload(bot, HOST, DATA / "viewers_zh.csv", caption="#2", final=ZH_FINAL)
    assert "归入第 2 场（2026-11-20）" in text, text
    assert count(bot, ViewerRow, session_id=2) == 7202


async def test_a_caption_against_the_files_dates_is_refused_with_both(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive tonight")
    text = await upload(bot, HOST, DATA / "douyin_minutes_gbk.csv", caption="#1")
    assert "not imported" in text and "the file covers 11-20 20:00–22:00" in text, text
    with session_scope(bot.engine) as session:
        began = session.execute(sa.select(LiveSession.started_at)).scalar_one()
    assert f"session #1 is {began.astimezone(SHANGHAI):%m-%d %H:%M}" in text
    assert count(bot, MinuteRow) == 0 and count(bot, LiveSession) == 1


async def test_a_caption_on_a_sessions_list_is_said_to_be_unused(bot: RunningBot) -> None:
    await say(bot, HOST, "/start", language_code="zh-hans")
    text = await upload(
        bot, HOST, DATA / "tiktok_live_performance.xlsx", caption="#99", final=ZH_FINAL
    )
    assert "已导入" in text and "往期" in text, text
    assert "说明里的 #99 没有用上" in text, text
    # without a caption, nothing is said of one
    other = HOST + 1
    await say(bot, other, "/start")
    text = await upload(bot, other, DATA / "tiktok_live_performance.xlsx")
    assert "Imported" in text and "caption" not in text, text


async def test_an_unplaced_column_is_asked_about_and_remembered(bot: RunningBot) -> None:
    await say(bot, HOST, "/start", language_code="zh-hans")
    await say(bot, HOST, "/golive")
    first = "用户ID,停留秒数,点赞数\nu1,10,1\nu2,20,2\n".encode()
    await upload(bot, HOST, data=first, name="a.csv", final=("哪一列",))
    message_id, buttons = await _bot_message_with(bot, HOST, "fmap:")
    question = bot.api.message(HOST, message_id).text or ""
    assert "哪一列是观看时长？" in question, question
    assert len(buttons) == 3  # one button per header of the file
    press = bot.api.press_button(HOST, message_id, buttons[1])  # 停留秒数
    done = await bot.api.wait_for_message(HOST, contains="已导入", since=press, timeout=30)
    assert "2 行观众明细" in (done.text or "")
    assert count(bot, ViewerRow) == 2 and count(bot, ColumnMapping) == 1
    # the next file laid out alike is imported without a question
    text = await upload(
        bot, HOST, data="用户ID,停留秒数,点赞数\nu3,30,3\n".encode(), name="b.csv", final=ZH_FINAL
    )
    assert "1 行观众明细" in text and count(bot, ViewerRow) == 3
    with session_scope(bot.engine) as session:
        watch = session.execute(sa.select(ViewerRow.watch_time_s)).scalars().all()
    assert sorted(watch) == [10.0, 20.0, 30.0]


def _sent_hashes(bot: RunningBot) -> list[str]:
    with session_scope(bot.engine) as session:
        payload = session.execute(
            sa.select(ScheduledSend.payload).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
    return list((payload or {}).get("sent_hashes") or [])


def _sending_done(bot: RunningBot) -> bool:
    """Whether the /summary that sent the session's summary has let go of its row (until
    then the row is locked a moment, and a sweep on PostgreSQL passes over it)."""
    with session_scope(bot.engine) as session:
        payload = session.execute(
            sa.select(ScheduledSend.payload).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
    return bool(((payload or {}).get("sending") or {}).get("done"))


def _summaries(bot: RunningBot) -> int:
    """Summaries sent to the host (an album, one photo, or the text alone when no chart has
    anything to show)."""
    return sum(
        1
        for c in bot.api.sent
        if c.method in ("sendPhoto", "sendMediaGroup", "sendMessage")
        and (c.text or "").startswith("📊 Session #1")
    )


def _minute_start(n: int) -> datetime:
    start = datetime.now(UTC).astimezone(SHANGHAI).replace(second=0, microsecond=0)
    return start - timedelta(minutes=n // 2)


def _minutes_at(start: datetime, n: int, gmv: float) -> bytes:
    rows = ["时间,实时在线人数,成交金额,成交订单数"]
    for i in range(n):
        t = start + timedelta(minutes=i)
        rows.append(f"{t:%Y-%m-%d %H:%M},{300 + i},{gmv:.2f},2")
    return ("\n".join(rows) + "\n").encode()


async def _closed_stream_with_an_upload(bot: RunningBot) -> tuple[str, int, datetime]:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive tea")
    await say(bot, HOST, "/stat online=300 gmv=500 orders=4 buyers=4", contains="Got it")
    await say(bot, HOST, "/endlive", contains="closed")
    start = _minute_start(6)
    text = await upload(bot, HOST, data=_minutes_at(start, 6, 250.0), name="m.csv")
    message_id, _ = await _bot_message_with(bot, HOST, "fsum:")
    return text, message_id, start


async def test_an_upload_into_a_closed_stream_says_what_moved(bot: RunningBot) -> None:
    text, message_id, start = await _closed_stream_with_an_upload(bot)
    assert "6 minute rows into session #1 “tea”" in text, text
    assert "Session #1 changed:" in text and "GMV: 500 → 1,500" in text, text
    assert bot.api.message(HOST, message_id).button_data == ["fsum:1"]
    # the same minutes with other sales: rows updated, not added
    text = await upload(bot, HOST, data=_minutes_at(start, 6, 300.0), name="m2.csv")
    assert "0 new, 6 updated" in text and "GMV: 1,500 → 1,800" in text, text
    assert count(bot, MinuteRow) == 6


async def test_an_upload_that_leaves_a_figure_out_says_why(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive tea")
    await say(bot, HOST, "/stat online=300 gmv=1500 orders=30 buyers=20", contains="Got it")
    await say(bot, HOST, "/endlive", contains="closed")
    # the minutes count 12 orders: fewer than the 20 buyers the pushes said
    text = await upload(bot, HOST, data=_minutes_at(_minute_start(6), 6, 250.0), name="m.csv")
    assert "orders: 30 → 12, buyers: 20 → —" in text, text
    assert text.endswith(
        "\n• Buyers: your pushes 20, more than Orders (minute data 12); both cannot be true,"
        " so Buyers is not used."
    ), text


async def test_buyers_typed_before_the_files_gmv_are_not_divided_into_it(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive tea")
    await say(bot, HOST, "/stat online=300 gmv=500 orders=3 buyers=2", contains="Got it")
    await say(bot, HOST, "/endlive", contains="closed")
    # the minutes hold the whole stream: GMV 1,500, of which the pushed 2 buyers saw 500
    text = await upload(bot, HOST, data=_minutes_at(_minute_start(6), 6, 250.0), name="m.csv")
    assert "GMV: 500 → 1,500" in text and "buyers: 2 → —" in text, text
    assert text.endswith(
        "\n• Buyers: you pushed 2 when GMV stood at 500, not at the 1,500 of the minute data;"
        " a reading of another moment, not used."
    ), text


async def test_a_summary_sent_for_the_same_data_is_not_sent_again(bot: RunningBot) -> None:
    _, message_id, _ = await _closed_stream_with_an_upload(bot)
    assert _summaries(bot) == 0
    bot.api.press_button(HOST, message_id, "fsum:1")
    await bot.api.wait_until(lambda: _summaries(bot) == 1, timeout=60)
    for _ in range(600):  # the send is noted as done just after it
        if _sent_hashes(bot) and _sending_done(bot):
            break
        await asyncio.sleep(0.05)
    # the summary /endlive scheduled falls due: its data was already summarised
    with session_scope(bot.engine) as session:
        row = session.execute(
            sa.select(ScheduledSend).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
        assert row.status == "pending" and len(row.payload.get("sent_hashes", [])) == 1
        row.due_at = datetime.now(UTC) - timedelta(seconds=1)
    scheduler = bot.app.bot_data.scheduler
    await scheduler.sweep()
    await scheduler.wait_idle()
    with session_scope(bot.engine) as session:
        status = session.execute(
            sa.select(ScheduledSend.status).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
    assert status == "dropped"
    assert _summaries(bot) == 1


async def test_a_due_summary_of_new_data_is_sent(bot: RunningBot) -> None:
    """The check above can fail: without the earlier send the summary goes out."""
    await _closed_stream_with_an_upload(bot)
    assert _summaries(bot) == 0
    with session_scope(bot.engine) as session:
        row = session.execute(
            sa.select(ScheduledSend).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
        row.due_at = datetime.now(UTC) - timedelta(seconds=1)
    scheduler = bot.app.bot_data.scheduler
    await scheduler.sweep()
    await scheduler.wait_idle()
    await bot.api.wait_until(lambda: _summaries(bot) == 1, 60)
    for _ in range(100):
        if _sent_hashes(bot):
            break
        await asyncio.sleep(0.05)
    with session_scope(bot.engine) as session:
        row = session.execute(
            sa.select(ScheduledSend).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
        assert row.status == "sent" and len(row.payload["sent_hashes"]) == 1


async def test_a_summary_asked_while_the_scheduled_one_falls_due_is_sent_once(
    bot: RunningBot,
) -> None:
    """/summary right after /endlive: the scheduled summary of the same data, due while the
    asked one is still being built, is not sent as well."""
    await _closed_stream_with_an_upload(bot)
    bot.api.latency = 4.0  # Telegram takes its time: the asked summary is still on its way
    bot.api.send_text(HOST, "/summary 1")
    for _ in range(60):  # noted as given before it is built, not once it has arrived
        if _sent_hashes(bot):
            break
        await asyncio.sleep(0.05)
    assert _sent_hashes(bot) and _summaries(bot) == 0
    with session_scope(bot.engine) as session:
        row = session.execute(
            sa.select(ScheduledSend).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
        row.due_at = datetime.now(UTC) - timedelta(seconds=1)
    scheduler = bot.app.bot_data.scheduler
    await scheduler.sweep()
    await scheduler.wait_idle()
    await bot.api.wait_until(lambda: _summaries(bot) == 1, timeout=60)
    await asyncio.sleep(0.5)
    assert _summaries(bot) == 1
    with session_scope(bot.engine) as session:
        status = session.execute(
            sa.select(ScheduledSend.status).where(ScheduledSend.key == "summary:1")
        ).scalar_one()
    assert status == "dropped"
