"""Live pushes end to end, as hosts type them: in groups (replies and mentions), timed by the
message's own date, answered in words about stay and leaving, bad values named back within
Telegram's limits."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.sending import GROUP_INTERVAL
from fakebot.models import SentCall
from storage.engine import session_scope
from storage.models import Snapshot
from tests.e2e.conftest import FakeClock, RunningBot
from tests.e2e.test_data_in import count, say

HOST = 1001
ZH_HOST = 2002
GROUP = -100600


def snapshots(bot: RunningBot) -> list[Snapshot]:
    with session_scope(bot.engine) as session:
        rows = list(session.execute(select(Snapshot).order_by(Snapshot.id)).scalars())
        for row in rows:
            session.expunge(row)
        return rows


async def test_pushes_are_timed_by_their_own_date_and_counted_from_golive(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the messages were sent an hour ago (say, while the bot was down): they keep their times
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    clock = FakeClock(monkeypatch, start)
    await say(bot, ZH_HOST, "/start", language_code="zh")
    await say(bot, ZH_HOST, "/golive 周五专场", language_code="zh")
    clock.advance(minutes=2)
    text = await say(bot, ZH_HOST, "在线1000 进场2000 成交1万", language_code="zh")
    assert "开播 2分钟" in text
    clock.advance(minutes=10)  # ten minutes of pushes: enough to speak of stay
    text = await say(bot, ZH_HOST, "在线900 进场2400 成交1.5万 56单", language_code="zh")
    clock.advance(minutes=1, seconds=5)
    last = await say(bot, ZH_HOST, "900人在线，进场2500", language_code="zh")

    rows = snapshots(bot)
    assert [r.ts.replace(tzinfo=UTC) for r in rows] == [
        start + timedelta(minutes=2),
        start + timedelta(minutes=12),
        start + timedelta(minutes=13, seconds=5),
    ]
    assert [r.orders for r in rows] == [None, 56, None]  # 56单 is orders, not GMV
    assert text.startswith("✅ 已记录（开播 12分钟，距上次 10分钟）：")
    assert "在线 900人（−100）" in text and "订单 56单" in text and "成交额 1.5万（+5,000）" in text
    assert "停留：一半观众在" in text and "内离开" in text
    assert "λ" not in text and "半衰期" not in text and "注意力" not in text
    assert "（开播 13分5秒，距上次 1分5秒）" in last
    for reply in (text, last):  # Chinese punctuation in Chinese
        assert "," not in re.sub(r"\d,\d", "", reply) and ":" not in reply


async def test_a_push_answers_in_words_with_units(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    text = await say(
        bot,
        HOST,
        "/stat online 410, GMV $1.2k, items sold 34, avg stay 1m30s, CTR 4.5%, mood 7, onlien 3",
    )
    assert text.startswith(
        "✅ Got it: 410 online, GMV $1,200, 34 items sold, average stay 1 min 30 s, CTR 4.5%."
    )
    assert "“mood 7” (unknown label)" in text
    assert "“onlien 3” (did you mean ‘online’?)" in text
    assert "Labels I read:" in text
    (row,) = snapshots(bot)
    assert (row.online, row.gmv, row.items, row.avg_stay_s, row.ctr) == (410, 1200, 34, 90, 0.045)


async def test_a_typo_alone_stores_nothing_and_suggests_the_label(bot: RunningBot) -> None:
    await say(bot, ZH_HOST, "/start", language_code="zh")
    await say(bot, ZH_HOST, "/golive", language_code="zh")
    text = await say(bot, ZH_HOST, "再线9800", language_code="zh")
    assert text == "本条未记录：“再线 9800”（是不是想写“在线”？）。"
    assert count(bot, Snapshot) == 0


@pytest.mark.parametrize(
    "push", ["/stat gmv=1e309", "/stat online=1e309", "/stat online=20000000", "/stat gmv=inf"]
)
async def test_infinite_and_absurd_values_are_refused_as_too_large(
    bot: RunningBot, push: str
) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    text = await say(bot, HOST, push)
    assert text.startswith("Nothing was stored:") and "(too large)" in text
    assert "inf" not in text.replace(push.split("=")[1], "")
    assert count(bot, Snapshot) == 0


async def test_440_bad_values_are_summarised_within_telegrams_limit(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    push = "/stat " + " ".join(f"likes={i}abc" for i in range(440)) + " online=5"
    assert len(push) > 4096 // 2
    text = await say(bot, HOST, push)
    assert len(text) <= 4096
    assert text.startswith("✅ Got it: 5 online.")
    assert "“likes 0abc” (not a number)" in text and "…and 432 more" in text
    assert count(bot, Snapshot) == 1


async def test_in_a_group_plain_text_counts_when_it_replies_to_or_mentions_the_bot(
    bot: RunningBot,
) -> None:
    await say(bot, GROUP, "/start", user_id=HOST)
    help_text = await say(bot, GROUP, "/help", user_id=HOST)
    assert "in a group" in help_text and "reply to my message or mention me" in help_text
    opened = bot.api.send_text(GROUP, "/golive team", user_id=HOST)
    answer = await bot.api.wait_for_message(GROUP, contains="is open", since=opened)
    (bot_message,) = answer.message_ids

    chatter = bot.api.send_text(GROUP, "online 999 lol", user_id=778)  # not for the bot
    text = await say(bot, GROUP, "在线1200", user_id=778, reply_to=bot_message)
    assert "Got it" in text and "1,200 online" in text
    username = bot.api.bot_username
    text = await say(bot, GROUP, f"@{username} online 1300, gmv 2k", user_id=779)
    assert "1,300 online" in text and "GMV 2,000" in text
    assert [r.online for r in snapshots(bot)] == [1200, 1300]
    # the chatter was never answered
    replies = [
        c
        for c in bot.api.calls("sendMessage")
        if c.params.get("reply_parameters", {}).get("message_id")
        == chatter["message"]["message_id"]
        or c.params.get("reply_to_message_id") == chatter["message"]["message_id"]
    ]
    assert replies == []


async def test_in_a_private_chat_plain_text_is_a_push_while_live(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    assert "No session is open" in await say(bot, HOST, "online 5")
    await say(bot, HOST, "/golive")
    assert "5 online" in await say(bot, HOST, "online 5")
    assert count(bot, Snapshot) == 1


async def _ten_minutes_of_pushes(
    bot: RunningBot, chat_id: int, clock: FakeClock, **who: object
) -> SentCall:
    """Pushes over 15 minutes with people leaving: enough for a leaving rate."""
    await say(bot, chat_id, "/golive", **who)
    answer = None
    for i, (online, entries) in enumerate(((1000, 1000), (950, 1600), (900, 2300), (860, 3000))):
        clock.advance(minutes=5 if i else 1)
        update = bot.api.send_text(chat_id, f"/stat online {online} entries {entries}", **who)  # type: ignore[arg-type]
        answer = await bot.api.wait_for_message(chat_id, contains="✅", since=update, timeout=10)
    assert answer is not None
    return answer


async def test_the_figures_behind_a_push_are_behind_a_details_button(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(monkeypatch, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    await say(bot, ZH_HOST, "/start", language_code="zh")
    answer = await _ten_minutes_of_pushes(bot, ZH_HOST, clock, language_code="zh")
    assert "λ" not in (answer.text or "") and "停留" in (answer.text or "")
    (message_id,) = answer.message_ids
    (data,) = bot.api.message(ZH_HOST, message_id).button_data
    assert data.startswith("det:p:") and data.endswith(":0")  # a private chat: anyone
    update = bot.api.press_button(ZH_HOST, message_id, data, language_code="zh")
    details = await bot.api.wait_for_message(ZH_HOST, contains="背后的数据", since=update)
    text = details.text or ""
    assert "流失率 λ = " in text and "/分钟" in text and "已推送数据：4 次" in text
    assert re.search(r"λ = 0\.\d{3}/分钟", text)


async def test_in_a_group_only_the_one_who_pushed_may_press_details(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(monkeypatch, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    await say(bot, GROUP, "/start", user_id=HOST)
    answer = await _ten_minutes_of_pushes(bot, GROUP, clock, user_id=HOST)
    (message_id,) = answer.message_ids
    (data,) = bot.api.message(GROUP, message_id).button_data
    assert data.endswith(f":{HOST}")
    update = bot.api.press_button(GROUP, message_id, data, user_id=778)
    refused = await bot.api.wait_for(lambda c: c.method == "answerCallbackQuery", 10, since=update)
    assert refused.params.get("show_alert") is True
    assert "person who asked" in str(refused.params.get("text"))
    update = bot.api.press_button(GROUP, message_id, data, user_id=HOST)
    details = await bot.api.wait_for_message(GROUP, contains="figures behind", since=update)
    assert "Leaving rate λ = " in (details.text or "")


async def test_group_pushes_faster_than_the_pace_are_merged_and_current(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """24 pushes in a minute (dated 2.5 s apart, sent 0.8 s apart): a group may get one
    message each 4 s, so answers one by one would fall behind; merged, each message
    answers everything pushed until it left, and none is more than one interval late."""
    clock = FakeClock(monkeypatch, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    await say(bot, GROUP, "/start", user_id=HOST)
    opened = bot.api.send_text(GROUP, "/golive rush", user_id=HOST)
    await bot.api.wait_for_message(GROUP, contains="is open", since=opened)
    first = len(bot.api.sent)
    pushed_at: dict[int, float] = {}
    for i in range(24):
        clock.advance(seconds=2.5)
        bot.api.send_text(GROUP, f"/stat online {1000 + i} gmv {(i + 1) * 100}", user_id=HOST)
        pushed_at[1000 + i] = time.monotonic()
        await asyncio.sleep(0.8)
    await bot.api.wait_until(
        lambda: any("1,023 online" in (c.text or "") for c in bot.api.sent[first:]), timeout=15
    )
    replies = [c for c in bot.api.sent[first:] if c.method == "sendMessage" and c.chat_id == GROUP]
    assert len(snapshots(bot)) == 24
    assert 2 <= len(replies) <= 9, [r.text for r in replies]  # not 24
    assert any((r.text or "").startswith("📥") for r in replies)
    answered = [[n for n in pushed_at if f"{n:,} online" in (r.text or "")] for r in replies]
    assert sorted(n for ns in answered for n in ns) == sorted(pushed_at)  # each once
    # current: each sent within one group interval (+ the handling) of its newest push
    lags = [
        reply.time - pushed_at[max(numbers)]
        for reply, numbers in zip(replies, answered, strict=True)
    ]
    assert max(lags) < GROUP_INTERVAL + 2.5, lags  # one by one: the last ~60 s late
    # a merged message states one stay and forecast, the newest
    assert all((r.text or "").count("Forecast") <= 1 for r in replies)


async def test_the_first_money_symbol_shows_at_once_on_every_money_figure(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/sessions")  # the workspace is read (and kept) before the push
    await say(bot, HOST, "/golive")
    assert "GMV ¥300" in await say(bot, HOST, "/stat online 5 gmv ¥300")
    assert "GMV ¥300" in await say(bot, HOST, "/sessions")


async def _live_in_chinese(bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A Chinese-speaking host's stream, opened an hour ago by the clock returned."""
    clock = FakeClock(monkeypatch, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    await say(bot, ZH_HOST, "/start", language_code="zh")
    await say(bot, ZH_HOST, "/golive", language_code="zh")
    return clock


async def test_a_slip_is_named_and_undo_takes_the_push_back(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = await _live_in_chinese(bot, monkeypatch)
    clock.advance(minutes=10)
    await say(bot, ZH_HOST, "在线1200 成交2.6万", language_code="zh")
    clock.advance(seconds=3)
    text = await say(bot, ZH_HOST, "成交1亿", language_code="zh")
    assert "成交额从 2.6万 一下子到了 1亿，像是打错了" in text and "/undo" in text
    assert [r.gmv for r in snapshots(bot)] == [26_000, 1e8]

    text = await say(bot, ZH_HOST, "撤回", language_code="zh")
    assert text == "↩️ 已撤回：成交额 1亿。现在：成交额 2.6万。"
    assert [r.gmv for r in snapshots(bot)] == [26_000]
    clock.advance(minutes=1)
    text = await say(bot, ZH_HOST, "成交2.7万", language_code="zh")
    assert "⚠️" not in text  # the pace is ordinary again
    clock.advance(minutes=1)
    text = await say(bot, ZH_HOST, "成交2.5万", language_code="zh")
    assert "成交额比上一条（2.7万）还少" in text and "回复那条消息发 /undo" in text
    await say(bot, ZH_HOST, "/undo", language_code="zh")
    await say(bot, ZH_HOST, "/undo", language_code="zh")
    text = await say(bot, ZH_HOST, "/undo", language_code="zh")
    assert text.startswith("↩️ 已撤回：在线 1,200人，成交额 2.6万。这些数据没有更早的记录了")
    assert await say(bot, ZH_HOST, "/undo", language_code="zh") == (
        "没有可撤回的：这场还没有推送过数据。"
    )
    await say(bot, ZH_HOST, "/endlive", language_code="zh")
    # the summary of the emptied stream may go out meanwhile: wait for the answer itself
    text = await say(bot, ZH_HOST, "/undo", language_code="zh", contains="没有进行中的直播")
    assert text.startswith("当前没有进行中的直播")


async def test_an_online_count_a_digit_short_is_named(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = await _live_in_chinese(bot, monkeypatch)
    clock.advance(minutes=20)
    await say(bot, ZH_HOST, "在线1.2万", language_code="zh")
    clock.advance(seconds=40)
    text = await say(bot, ZH_HOST, "1200人在线", language_code="zh")
    assert "在线几分钟内从 1.2万 变成了 1,200，变化这么大，其中一个像是多打或少打了一位" in text
    assert "如果是这一条，发 /undo 撤回；如果是上一条，回复那条消息发 /undo" in text
    assert await say(bot, ZH_HOST, "撤回", language_code="zh") == (
        "↩️ 已撤回：在线 1,200人。现在：在线 1.2万人。"
    )
    clock.advance(minutes=1)
    text = await say(bot, ZH_HOST, "在线9000", language_code="zh")  # an audience thinning
    assert "⚠️" not in text


async def test_an_opening_slip_left_standing_is_kept_out_of_the_summary(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`在线1.2万` first, then every reading agrees with 1,200: the summary's peak, average
    and tips read the 1,200s, and one line says which reading was left out."""
    clock = await _live_in_chinese(bot, monkeypatch)
    clock.advance(minutes=1)
    await say(bot, ZH_HOST, "在线1.2万", language_code="zh")
    clock.advance(minutes=1)
    text = await say(bot, ZH_HOST, "1200人在线", language_code="zh")
    assert "如果是上一条，回复那条消息发 /undo" in text  # the one before may be the slip
    for online in (1300, 1350, 1400, 1420, 1450, 1380, 1300):
        clock.advance(minutes=5)
        await say(bot, ZH_HOST, f"在线{online} 成交{online * 20}", language_code="zh")
    clock.advance(seconds=5)
    text = await say(bot, ZH_HOST, "成交1亿", language_code="zh")  # and the stream ends
    assert "像是打错了" in text
    await say(bot, ZH_HOST, "/endlive", language_code="zh")
    text = await say(bot, ZH_HOST, "/summary 1", language_code="zh", contains="第 1 场“")
    assert "最高在线 1,450" in text and "1.2万" in text
    assert "在线：第 1 分钟推送的 1.2万 与前后读数相差 8 倍以上，像是多打或少打了一位" in text
    assert "第 0 分钟" not in text and "第 1 分钟达到峰值" not in text
    assert "\n成交额 2.6万\n" in text and "成交额 1.0亿" not in text
    assert "成交额：第 37 分钟最后推送的 1.0亿 是前一次的 10 倍以上" in text
    assert "按前一次的 2.6万 计" in text


async def test_undo_replying_to_an_answer_takes_back_the_push_it_answered(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(monkeypatch, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    started = bot.api.send_text(ZH_HOST, "/start", language_code="zh")
    greeting = await bot.api.wait_for_message(ZH_HOST, since=started)
    await say(bot, ZH_HOST, "/golive", language_code="zh")
    clock.advance(minutes=10)
    first = bot.api.send_text(ZH_HOST, "在线1200 成交1万", language_code="zh")
    answer = await bot.api.wait_for_message(ZH_HOST, contains="已记录", since=first)
    clock.advance(minutes=1)
    await say(bot, ZH_HOST, "成交2万", language_code="zh")

    # the answer is stored with the push: any instance, after any restart, finds it
    with session_scope(bot.engine) as session:
        stored = session.execute(select(Snapshot.answer_id, Snapshot.author_id)).all()
    assert (answer.message_ids[0], ZH_HOST) in [tuple(row) for row in stored]
    text = await say(bot, ZH_HOST, "撤回", language_code="zh", reply_to=answer.message_ids[0])
    assert text == "↩️ 已撤回：在线 1,200人，成交额 1万。现在：成交额 2万。"
    assert [r.gmv for r in snapshots(bot)] == [20_000]
    # a message of the bot's that answered no push: the way to say which
    text = await say(bot, ZH_HOST, "/undo", language_code="zh", reply_to=greeting.message_ids[0])
    assert text.startswith(
        "我这条消息没有对应当前直播里的数据（或已经撤回了）。请回复那条数据消息发 /undo"
    )
    assert [r.gmv for r in snapshots(bot)] == [20_000]


async def test_in_a_group_undo_replying_to_an_answer_follows_the_push_behind_it(
    bot: RunningBot,
) -> None:
    await say(bot, GROUP, "/start", user_id=HOST)
    opened = bot.api.send_text(GROUP, "/golive team", user_id=HOST)
    await bot.api.wait_for_message(GROUP, contains="is open", since=opened)
    mine = bot.api.send_text(GROUP, "/stat online 1200 gmv 10k", user_id=778)
    answer = await bot.api.wait_for_message(GROUP, contains="Got it", since=mine)
    theirs = bot.api.send_text(GROUP, "/stat gmv 20k", user_id=779)
    await bot.api.wait_for_message(GROUP, contains="Got it", since=theirs)

    to_answer = answer.message_ids[0]
    text = await say(bot, GROUP, "/undo", user_id=779, reply_to=to_answer)
    assert text.startswith("Only the person who sent those numbers")
    text = await say(bot, GROUP, "/undo", user_id=778, reply_to=to_answer)
    assert text.startswith("↩️ Taken back: 1,200 online, GMV 10,000.")
    assert [r.gmv for r in snapshots(bot)] == [20_000]

    # answers merged while the group was paced: which push is meant must be said
    sent = len(bot.api.sent)
    for gmv in (21, 22, 23):
        bot.api.send_text(GROUP, f"/stat gmv {gmv}k", user_id=HOST)
        await asyncio.sleep(0.2)
    merged = await bot.api.wait_for_message(GROUP, contains="📥", timeout=15, since=sent)
    text = await say(bot, GROUP, "/undo", user_id=HOST, reply_to=merged.message_ids[0])
    assert re.match(r"That answer of mine covers [23] pushes\. Reply /undo to the push", text)
    assert len(snapshots(bot)) == 4


async def test_in_a_group_a_member_takes_back_only_their_own_push(bot: RunningBot) -> None:
    await say(bot, GROUP, "/start", user_id=HOST)
    opened = bot.api.send_text(GROUP, "/golive team", user_id=HOST)
    await bot.api.wait_for_message(GROUP, contains="is open", since=opened)
    mine = bot.api.send_text(GROUP, "/stat online 1200 gmv 10k", user_id=778)
    await bot.api.wait_for_message(GROUP, contains="Got it", since=mine)
    theirs = bot.api.send_text(GROUP, "/stat gmv 20k", user_id=779)
    await bot.api.wait_for_message(GROUP, contains="Got it", since=theirs)

    refused = "Only the person who sent those numbers, or the group's administrators"
    text = await say(bot, GROUP, "/undo", user_id=778, reply_to=theirs["message"]["message_id"])
    assert text.startswith(refused)
    assert (await say(bot, GROUP, "/undo", user_id=778)).startswith(
        refused
    )  # the latest: not theirs
    assert [r.gmv for r in snapshots(bot)] == [10_000, 20_000]

    text = await say(bot, GROUP, "/undo", user_id=778, reply_to=mine["message"]["message_id"])
    assert text.startswith("↩️ Taken back: 1,200 online, GMV 10,000.")
    assert [r.gmv for r in snapshots(bot)] == [20_000]
    # the one who ran /start manages the group's data: the latest push, whoever sent it
    text = await say(bot, GROUP, "/undo", user_id=HOST)
    assert text.startswith("↩️ Taken back: GMV 20,000.") and snapshots(bot) == []


async def test_the_forecast_after_undo_forgets_the_push_taken_back(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.handlers import live as live_handlers

    monkeypatch.setattr(live_handlers, "INSIGHT_EVERY_S", 0.0)  # every push forecasts afresh
    clock = await _live_in_chinese(bot, monkeypatch)
    for gmv in ("1万", "2万", "3万"):
        clock.advance(minutes=4)
        text = await say(bot, ZH_HOST, f"在线1200 成交{gmv}", language_code="zh")
    assert "预计本场成交额" in text

    def forecast_wan(reply: str) -> float:
        line = next(line for line in reply.splitlines() if "预计本场成交额" in line)
        found = re.search(r"：([0-9.]+)万", line)
        assert found is not None, line
        return float(found.group(1))

    clock.advance(minutes=1, seconds=5)
    text = await say(bot, ZH_HOST, "成交3亿", language_code="zh")
    assert "像是打错了" in text
    assert 25 < forecast_wan(text) < 35  # the slip the reply names is not projected
    clock.advance(seconds=5)
    assert "已撤回" in await say(bot, ZH_HOST, "/undo", language_code="zh")
    text = await say(bot, ZH_HOST, "成交9万", language_code="zh")  # typed for 3.09万
    assert forecast_wan(text) > 75
    # from now on a forecast is reused for an hour: only the undo can make it go
    monkeypatch.setattr(live_handlers, "INSIGHT_EVERY_S", 3600.0)
    clock.advance(seconds=5)
    assert "已撤回" in await say(bot, ZH_HOST, "/undo", language_code="zh")
    clock.advance(seconds=10)
    text = await say(bot, ZH_HOST, "成交3.1万", language_code="zh")
    assert 25 < forecast_wan(text) < 35
