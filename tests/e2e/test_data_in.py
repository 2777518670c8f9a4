"""Data in, end to end: the real bot over HTTP against the fake Bot API.

Register, go live, push in English and Chinese (command and plain text), upload every sample
and every broken sample, a duplicate, a 25 MB file, a sticker, a photo, an edited message,
an unknown command — each with the answer the user sees and what is (or is not) stored.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.engine import session_scope
from storage.models import (
    ImportRecord,
    LiveSession,
    MinuteRow,
    PastSession,
    Snapshot,
    ViewerRow,
    Workspace,
)
from tests.e2e.conftest import RunningBot

DATA = Path(__file__).resolve().parents[1] / "data"
HOST = 1001
ZH_HOST = 2002
GROUP = -100500


def count(bot: RunningBot, model: type, **where: object) -> int:
    with session_scope(bot.engine) as session:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(session.execute(stmt).scalar_one())


def workspace(bot: RunningBot, chat_id: int) -> Workspace:
    with session_scope(bot.engine) as session:
        ws = session.execute(select(Workspace).where(Workspace.chat_id == chat_id)).scalar_one()
        session.expunge(ws)
        return ws


async def say(
    bot: RunningBot, chat_id: int, text: str, *, contains: str | None = None, **kw: object
) -> str:
    update = bot.api.send_text(chat_id, text, **kw)  # type: ignore[arg-type]
    call = await bot.api.wait_for_message(chat_id, contains=contains, since=update, timeout=10)
    return call.text or ""


async def upload(
    bot: RunningBot,
    chat_id: int,
    path: Path | None = None,
    *,
    data: bytes | None = None,
    name: str | None = None,
    caption: str | None = None,
    size: int | None = None,
    final: tuple[str, ...] = ("Imported", "not imported"),
    **kw: object,
) -> str:
    payload = data if data is not None else path.read_bytes()  # type: ignore[union-attr]
    update = bot.api.send_document(
        chat_id,
        payload,
        name or path.name,  # type: ignore[union-attr]
        caption=caption,
        size=size,
        **kw,
    )
    await bot.api.wait_until(
        lambda: any(
            any(word in m.text for word in final)
            for m in bot.api.messages_to(chat_id)
            if m.text and m.message_id > update["message"]["message_id"]
        ),
        timeout=30,
    )
    texts = [
        m.text
        for m in bot.api.messages_to(chat_id)
        if m.text and m.message_id > update["message"]["message_id"]
    ]
    return next(t for t in texts if any(word in t for word in final))


async def test_start_registers_the_chat_in_the_users_language(bot: RunningBot) -> None:
    text = await say(bot, HOST, "/start")
    assert "LiveHost" in text and "/golive" in text
    text = await say(bot, ZH_HOST, "/start", language_code="zh-hans")
    assert "工作区" in text
    assert workspace(bot, HOST).language == "en"
    assert workspace(bot, ZH_HOST).language == "zh"
    assert workspace(bot, ZH_HOST).timezone == "Asia/Shanghai"
    commands = bot.api.commands()
    assert any(c["command"] == "golive" for c in commands)


async def test_lang_and_tz(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    assert "中文" in await say(bot, HOST, "/lang zh")
    assert workspace(bot, HOST).language == "zh"
    assert "用法" in await say(bot, HOST, "/lang fr")
    assert "Europe/Berlin" in await say(bot, HOST, "/tz europe/berlin")
    assert workspace(bot, HOST).timezone == "Europe/Berlin"
    text = await say(bot, HOST, "/tz Mars/Olympus")
    assert "Mars/Olympus" in text and "IANA" in text
    assert workspace(bot, HOST).timezone == "Europe/Berlin"


async def test_go_live_push_in_english_and_chinese_and_end(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    text = await say(bot, HOST, "/golive Friday tea")
    assert "#1" in text and "Friday tea" in text
    assert "still open" in await say(bot, HOST, "/golive again")
    assert count(bot, LiveSession) == 1

    text = await say(bot, HOST, "/stat online=1200 viewers=3,000 gmv=3.4k orders=35")
    assert "Got it" in text and "1,200 online" in text and "GMV 3,400" in text

    text = await say(bot, HOST, "在线1100 场观3500 成交1.2万 订单35")
    assert "Got it" in text
    assert "1,100 online (−100)" in text  # the change since the last push, beside the value
    assert "λ" not in text
    with session_scope(bot.engine) as session:
        rows = session.execute(select(Snapshot).order_by(Snapshot.id)).scalars().all()
        assert [(r.online, r.viewers, r.gmv, r.orders) for r in rows] == [
            (1200, 3000, 3400, 35),
            (1100, 3500, 12000, 35),
        ]
        assert rows[0].likes is None  # not pushed: missing, never 0

    text = await say(bot, HOST, "/endlive")
    assert "closed" in text and "summary" in text and "10 min" in text
    assert "No session is open" in await say(bot, HOST, "/endlive")


async def test_bad_pushes_are_answered_and_store_nothing(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    text = await say(bot, HOST, "online=1200")
    assert "No session is open" in text
    await say(bot, HOST, "/golive")
    text = await say(bot, HOST, "/stat online=lots")
    assert "Nothing was stored" in text and "online lots" in text and "not a number" in text
    assert "Usage" in await say(bot, HOST, "/stat")
    assert "no numbers" in await say(bot, HOST, "hello there")
    assert count(bot, Snapshot) == 0
    text = await say(bot, HOST, "/stat online=900 mood=5")
    assert "Got it" in text and "Not stored: “mood 5” (unknown label)" in text
    assert count(bot, Snapshot) == 1
    text = await say(bot, HOST, "/stat online=lots gmv=3k")  # what reads is stored
    assert "GMV 3,000" in text and "“online lots” (not a number)" in text
    assert count(bot, Snapshot) == 2


async def test_chinese_workspace_answers_in_chinese(bot: RunningBot) -> None:
    await say(bot, ZH_HOST, "/start", language_code="zh")
    assert "已开始" in await say(bot, ZH_HOST, "/golive 周五专场", language_code="zh")
    text = await say(bot, ZH_HOST, "在线人数：1200，成交额 3.4万", language_code="zh")
    assert "已记录" in text and "在线 1,200人" in text
    text = await say(bot, ZH_HOST, "/stat 在线很多", language_code="zh")
    assert "本条未记录" in text and "不是有效数字" in text


async def test_a_redelivered_update_is_stored_once(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    update = bot.api.send_text(HOST, "/stat online=500")
    await bot.api.wait_for_message(HOST, contains="Got it", since=update)
    bot.api.redeliver(update)
    await say(bot, HOST, "/help")  # the chat's updates are processed in order
    # the same update_id again is recognised before any handler runs: no second answer
    assert not [m for m in bot.api.messages_to(HOST) if m.text and "already stored" in m.text]
    assert len([m for m in bot.api.messages_to(HOST) if m.text and "Got it" in m.text]) == 1
    assert count(bot, Snapshot) == 1


async def test_group_workspace_is_separate(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive private")
    await say(bot, GROUP, "/start", user_id=HOST)
    assert "No session is open" in await say(bot, GROUP, "/stat online=10", user_id=HOST)
    await say(bot, GROUP, "/golive team", user_id=777)
    assert "Got it" in await say(bot, GROUP, "/stat online=10", user_id=778)
    group_ws, host_ws = workspace(bot, GROUP), workspace(bot, HOST)
    assert count(bot, LiveSession, workspace_id=group_ws.id) == 1
    assert count(bot, LiveSession, workspace_id=host_ws.id) == 1
    # a file captioned with another workspace's session id is refused
    text = await upload(bot, GROUP, DATA / "douyin_minutes_gbk.csv", caption="#1", user_id=778)
    assert "no session #1" in text
    assert count(bot, MinuteRow) == 0


async def test_every_sample_imports_with_its_kind_and_row_count(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive with files")
    # the minute export is dated 2026-11-20: not the open stream's, so a past stream of its own
    text = await upload(bot, HOST, DATA / "douyin_minutes_gbk.csv")
    assert "120 minute rows" in text and "past stream #2 (11-20 20:00–22:00)" in text, text
    assert count(bot, MinuteRow) == 120
    assert count(bot, LiveSession, source="import", status="closed") == 1
    text = await upload(bot, HOST, DATA / "viewers_zh.csv", caption="#2")
    assert "7,202 viewer rows" in text and "session #2 of 2026-11-20" in text, text
    # the same viewers under English headers are the same data, wherever they are sent
    text = await upload(bot, HOST, DATA / "viewers_seed_format.csv")
    assert "already imported" in text
    assert count(bot, ViewerRow) == 7202
    # the minute export's ￥ made this chat count in yuan: the TikTok list is in dollars
    assert workspace(bot, HOST).currency == "CNY"
    text = await upload(bot, HOST, DATA / "tiktok_live_performance.xlsx")
    assert "not imported" in text and "US dollars ($)" in text and "Chinese yuan (¥)" in text
    assert count(bot, PastSession) == 0 and count(bot, ImportRecord) == 2
    # a chat of its own takes it, and counts in its dollars
    await say(bot, GROUP, "/start", user_id=HOST)
    text = await upload(bot, GROUP, DATA / "tiktok_live_performance.xlsx", user_id=HOST)
    assert "24 session rows" in text and "history" in text
    assert "currency is now US dollars ($)" in text
    assert count(bot, PastSession) == 24 and workspace(bot, GROUP).currency == "USD"
    assert count(bot, ImportRecord) == 3
    # the list's streams are this chat's history: /sessions shows them, marked as such
    listed = await say(bot, GROUP, "/sessions", user_id=HOST)
    assert "No sessions yet" not in listed and "/summary id" not in listed
    assert (
        "“Spring tea sale #24” — 2026-11-17 18:00 · 2 h 10 min · GMV $3,504 (platform list)"
        in listed
    )
    assert "no summary of their own" in listed


async def test_a_dollar_export_in_a_yuan_chat_is_refused_in_chinese(bot: RunningBot) -> None:
    await say(bot, ZH_HOST, "/start", language_code="zh-hans")
    assert "CNY" in await say(bot, ZH_HOST, "/currency 人民币")
    text = await upload(
        bot, ZH_HOST, DATA / "tiktok_live_performance.xlsx", final=("已导入", "未导入")
    )
    assert "未导入，没有写入任何数据" in text, text
    assert "这个文件的金额是美元（$），本工作区用人民币（¥）" in text, text
    assert "/currency USD" in text, text  # what to do if the chat's currency is wrong
    assert count(bot, PastSession) == 0 and count(bot, ImportRecord) == 0
    assert workspace(bot, ZH_HOST).currency == "CNY"
    # an export in yuan is welcome
    text = await upload(bot, ZH_HOST, DATA / "douyin_minutes_gbk.csv", final=("导入",))
    assert "120 行分钟数据已作为过去的直播" in text and "货币" not in text, text
    assert count(bot, MinuteRow) == 120


async def test_the_same_content_twice_is_recognised(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    await upload(bot, HOST, DATA / "douyin_minutes_gbk.csv")
    text = await upload(bot, HOST, DATA / "douyin_minutes_gbk.csv", name="renamed.csv")
    assert "already imported on" in text
    assert count(bot, MinuteRow) == 120 and count(bot, ImportRecord) == 1


BROKEN = {
    "empty.csv": "empty",
    "header_only.csv": "no rows",
    "not_a_csv.csv": "not a table",
    "utf16.csv": "encoding",
    "ragged_rows.csv": "wrong number of cells",
    "text_in_numbers.csv": "row",
}


@pytest.mark.parametrize(("name", "reason"), sorted(BROKEN.items()))
async def test_broken_files_get_a_clear_answer_and_store_nothing(
    bot: RunningBot, name: str, reason: str
) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    text = await upload(bot, HOST, DATA / "broken" / name)
    assert "not imported, nothing was stored" in text and reason in text, text
    assert count(bot, ImportRecord) == 0
    assert count(bot, ViewerRow) + count(bot, MinuteRow) + count(bot, PastSession) == 0


async def test_a_25_mb_file_is_refused_before_download(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    text = await upload(
        bot, HOST, data=b"user_id,watch_time\n", name="huge.csv", size=25 * 1024 * 1024
    )
    assert "25.0 MB" in text and "20 MB" in text
    assert bot.api.calls("getFile") == []
    assert count(bot, ImportRecord) == 0


async def test_stickers_photos_edits_and_unknown_commands(bot: RunningBot) -> None:
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    update = bot.api.send_sticker(HOST)
    assert "sticker" in (await bot.api.wait_for_message(HOST, since=update)).text
    update = bot.api.send_photo(HOST)
    assert "screenshots" in (await bot.api.wait_for_message(HOST, since=update)).text
    assert "I don't know /frobnicate" in await say(bot, HOST, "/frobnicate now")
    sent = bot.api.send_text(HOST, "/stat online=800")
    await bot.api.wait_for_message(HOST, contains="Got it", since=sent)
    edit = bot.api.edit_text(HOST, sent["message"]["message_id"], "/stat online=8000")
    await bot.api.wait_for_message(HOST, contains="first sent", since=edit)
    with session_scope(bot.engine) as session:
        assert session.execute(select(Snapshot.online)).scalars().all() == [800]


async def test_a_long_import_shows_progress_by_editing_its_reply(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.handlers.files as files

    monkeypatch.setattr(files, "PROGRESS_EVERY_S", 0.02)
    header, *rows = (DATA / "viewers_seed_format.csv").read_text(encoding="utf-8-sig").splitlines()
    big = "\n".join([header] + [f"x{i}-{row}" for i in range(25) for row in rows]) + "\n"
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    # viewers who watched up to 43 minutes, into a stream of seconds: named by the caption
    text = await upload(bot, HOST, data=big.encode(), name="big.csv", caption="#1")
    assert "180,050 viewer rows" in text
    edits = [c.text for c in bot.api.calls("editMessageText")]
    assert any("rows so far" in e for e in edits), edits
    assert count(bot, ViewerRow) == 25 * 7202
