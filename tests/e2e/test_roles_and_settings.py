"""Roles and settings end to end: the real bot over HTTP against the fake Bot API.

Who may change a group's workspace (its administrators, asked of Telegram, and the member
who ran /start), buttons that work only for the one who asked, command menus by scope,
first contact (greeting, time-zone question), settings as hosts type them, clear answers
instead of "Sorry", and the error apology in the workspace's language with one alert per
kind of error to the bot's admins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.services.digests import digest_due_at
from fakebot import FakeBotApi, SentCall
from storage import repositories as repo
from storage.engine import session_scope
from tests.e2e.conftest import RunningBot, make_settings, start_bot, stop_bot

ADMIN = 9001
GROUP = -100900
OWNER = 5001
MEMBER = 5002
GROUP_ADMIN = 7101


@pytest.fixture
async def admin_bot(
    fake_api: FakeBotApi, tmp_path: Path, make_test_engine: Callable[[], Engine]
) -> AsyncIterator[RunningBot]:
    settings = make_settings(fake_api, tmp_path, admin_ids=[ADMIN])
    app = await start_bot(fake_api, settings, engine=make_test_engine())
    try:
        yield RunningBot(fake_api, app, app.bot_data.engine, settings)
    finally:
        await stop_bot(app)


async def ask(
    bot: RunningBot, chat_id: int, text: str, *, contains: str | None = None, **who: object
) -> SentCall:
    update = bot.api.send_text(chat_id, text, **who)  # type: ignore[arg-type]
    return await bot.api.wait_for_message(chat_id, contains=contains, since=update, timeout=15)


async def say(bot: RunningBot, chat_id: int, text: str, **who: object) -> str:
    return (await ask(bot, chat_id, text, **who)).text or ""


async def press(
    bot: RunningBot, chat_id: int, message_id: int, data: str, **who: object
) -> dict[str, object]:
    """Press a button; the answerCallbackQuery the bot gave."""
    update = bot.api.press_button(chat_id, message_id, data, **who)  # type: ignore[arg-type]
    call = await bot.api.wait_for(lambda c: c.method == "answerCallbackQuery", 15, since=update)
    return call.params


async def start(bot: RunningBot, chat_id: int, **who: object) -> SentCall:
    """/start and the time-zone question that follows the guide."""
    return await ask(bot, chat_id, "/start", contains="Which time zone", **who)


def workspace(bot: RunningBot, chat_id: int):  # type: ignore[no-untyped-def]
    with session_scope(bot.engine) as s:
        return repo.get_workspace(s, chat_id=chat_id)


# ---------------------------------------------------------------------------------- roles


async def test_group_settings_are_for_its_admins_and_the_member_who_ran_start(
    bot: RunningBot,
) -> None:
    bot.api.chat_admins[GROUP] = {7100: "creator", GROUP_ADMIN: "administrator"}
    await start(bot, GROUP, user_id=OWNER)
    assert workspace(bot, GROUP).owner_user_id == OWNER

    for command in (
        "/tz Asia/Jakarta",
        "/lang 中文",
        "/digest off",
        "/nudges off",
        "/currency USD",
        "/forget",
    ):
        assert "admins" in await say(bot, GROUP, command, user_id=MEMBER), command
    ws = workspace(bot, GROUP)
    assert (ws.timezone, ws.language, ws.digest_enabled, ws.nudges_enabled, ws.currency) == (
        "Asia/Shanghai",
        "en",
        True,
        True,
        None,
    )
    # showing a setting is for everyone
    assert "nudges are on" in await say(bot, GROUP, "/nudges", user_id=MEMBER)

    assert "Asia/Jakarta" in await say(bot, GROUP, "/tz Jakarta", user_id=OWNER)
    assert "nudges off" in await say(bot, GROUP, "/nudges off", user_id=GROUP_ADMIN)
    assert "admins" in await say(bot, GROUP, "/nudges on", user_id=MEMBER)
    ws = workspace(bot, GROUP)
    assert ws.timezone == "Asia/Jakarta" and not ws.nudges_enabled
    # Telegram was asked once for the administrators: the list is kept a few minutes
    asked = [r for r in bot.api.requests if r.method.lower() == "getchatadministrators"]
    assert len(asked) == 1


async def test_without_the_admin_list_one_member_is_asked(bot: RunningBot) -> None:
    bot.api.chat_admins[GROUP] = {GROUP_ADMIN: "administrator"}
    bot.api.admin_list_denied.add(GROUP)
    await start(bot, GROUP, user_id=OWNER)
    assert "admins" in await say(bot, GROUP, "/lang zh", user_id=MEMBER)
    assert "语言已设为中文" in await say(bot, GROUP, "/lang zh", user_id=GROUP_ADMIN)


async def test_forget_buttons_work_only_for_the_one_who_asked(bot: RunningBot) -> None:
    await start(bot, GROUP, user_id=OWNER)
    await say(bot, GROUP, "/golive team", user_id=MEMBER)
    # a member's later /start owns nothing: its time-zone buttons change nothing either
    question = await start(bot, GROUP, user_id=MEMBER)
    data = f"tz:Asia/Jakarta:{MEMBER}"
    answer = await press(bot, GROUP, question.message_id or 0, data, user_id=MEMBER)
    assert answer.get("show_alert") is True and "admins" in str(answer.get("text"))
    assert workspace(bot, GROUP).timezone == "Asia/Shanghai"
    confirm = await ask(bot, GROUP, "/forget", user_id=OWNER, contains="cannot be undone")
    assert confirm.message_id is not None
    yes = f"forget:yes:{workspace(bot, GROUP).id}:en:{OWNER}"

    answer = await press(bot, GROUP, confirm.message_id, yes, user_id=MEMBER)
    assert answer.get("show_alert") is True and "person who asked" in str(answer.get("text"))
    assert workspace(bot, GROUP) is not None

    update = bot.api.press_button(GROUP, confirm.message_id, yes, user_id=OWNER)
    done = await bot.api.wait_for_message(GROUP, contains="Deleted", since=update, timeout=15)
    assert (done.text or "").startswith("Deleted: 1 session,"), done.text
    assert workspace(bot, GROUP) is None


async def test_command_menus_by_scope(admin_bot: RunningBot) -> None:
    api = admin_bot.api

    def names(scope: dict[str, object], lang: str = "") -> set[str]:
        return {c["command"] for c in api.commands(scope=scope, language_code=lang)}

    live = {"golive", "stat", "endlive", "summary", "sessions"}
    settings = {"lang", "tz", "digest", "nudges", "currency", "forget"}
    admin = {"retrain", "models", "rollback", "adminstats"}
    for lang in ("", "zh"):
        for members in ({"type": "default"}, {"type": "all_group_chats"}):
            got = names(members, lang)
            assert live <= got and not got & (settings | admin), (members, lang)
        for owners in ({"type": "all_chat_administrators"}, {"type": "all_private_chats"}):
            got = names(owners, lang)
            assert live | settings <= got and not got & admin, (owners, lang)
        assert live | settings | admin <= names({"type": "chat", "chat_id": ADMIN}, lang)
    zh = api.commands(scope={"type": "all_private_chats"}, language_code="zh")
    assert any("时区" in c["description"] for c in zh)


# -------------------------------------------------------------------------- first contact


async def test_first_contact_greets_then_asks_the_time_zone(bot: RunningBot) -> None:
    host = 6101
    greeting = await ask(bot, host, "hello? what can you do")
    assert "Choose your language" in (greeting.text or "")
    assert f"hello:zh:{host}" in str(greeting.reply_markup)
    assert workspace(bot, host).owner_user_id is None  # nothing started yet

    update = bot.api.press_button(host, greeting.message_id or 0, f"hello:zh:{host}")
    question = await bot.api.wait_for_message(
        host, contains="你在哪个时区", since=update, timeout=15
    )
    assert f"tz:Asia/Jakarta:{host}" in str(question.reply_markup)
    ws = workspace(bot, host)
    assert ws.language == "zh" and ws.owner_user_id == host and not ws.tz_confirmed

    update = bot.api.press_button(host, question.message_id or 0, f"tz:Asia/Jakarta:{host}")
    edited = await bot.api.wait_for_message(host, contains="Asia/Jakarta", since=update, timeout=15)
    text = edited.text or ""
    assert "Asia/Jakarta" in text and "09:00" in text and "/digest" in text
    ws = workspace(bot, host)
    assert ws.timezone == "Asia/Jakarta" and ws.tz_confirmed
    with session_scope(bot.engine) as s:
        pending = repo.pending_sends(s, kind="digest", workspace_id=ws.id)
        assert len(pending) == 1
        local_date = datetime.fromisoformat(pending[0].payload["local_date"]).date()  # type: ignore[index]
        assert pending[0].due_at == digest_due_at(local_date, "Asia/Jakarta", "09:00")


async def test_chinese_text_gets_a_chinese_greeting_and_a_typed_city_sets_the_zone(
    bot: RunningBot,
) -> None:
    host = 6102
    assert "选择语言" in await say(bot, host, "你好", language_code="en")
    assert "Which time zone" in await say(bot, host, "/start", contains="Which time zone")
    assert "Asia/Shanghai" in await say(bot, host, "北京")
    assert workspace(bot, host).tz_confirmed
    # numbers still go to the push parser
    assert "No session is open" in await say(bot, host, "online 1200")
    # a Chinese writer in an English workspace is offered 中文
    offer = await ask(bot, host, "怎么用")
    assert f"hello:zh:{host}" in str(offer.reply_markup)


async def test_going_live_before_start_is_a_start_and_words_mid_stream_get_no_greeting(
    bot: RunningBot,
) -> None:
    host = 6103
    assert "已开始" in await say(bot, host, "/golive", language_code="zh")
    assert workspace(bot, host).owner_user_id == host
    assert "已记录" in await say(bot, host, "在线1200 成交2.6万")
    answer = await say(bot, host, "今天卖得不错")
    assert "选择语言" not in answer and "没有找到数据" in answer


# ---------------------------------------------------------------------------- clear answers


async def test_settings_as_hosts_type_them_and_clear_answers(bot: RunningBot) -> None:
    host = 6103
    await start(bot, host)
    assert "region" in await say(bot, host, "/tz Asia")
    assert "Use UTC" in await say(bot, host, "/tz right/UTC")
    assert "Asia/Shanghai" in await say(bot, host, "/tz")  # the current value
    assert "is far beyond any session" in await say(bot, host, "/summary 99999999999999999999")
    assert "not a session number" in await say(bot, host, "/summary ²")
    assert "21:30" in await say(bot, host, "/digest ２１：３０")
    assert "Daily digest: on, at 21:30" in await say(bot, host, "/digest")
    assert "did you mean /stat?" in await say(bot, host, "/stats")
    assert "did you mean /endlive?" in await say(bot, host, "/end")
    assert "did you mean /golive?" in await say(bot, host, "/golve")
    # a command that deletes everything is never offered for a typo
    assert "/forget" not in await say(bot, host, "/forecast")
    assert "/forget" not in await say(bot, host, "/forgot")
    assert "nudges are on" in await say(bot, host, "/nudges")
    assert "No currency set yet" in await say(bot, host, "/currency")
    assert "IDR" in await say(bot, host, "/currency Rp")
    assert "Currency: IDR" in await say(bot, host, "/currency")
    assert "Language: English" in await say(bot, host, "/lang")
    assert "语言已设为中文" in await say(bot, host, "/lang chinese")
    assert "09:00" in await say(bot, host, "/digest 早上9点")
    assert "21:30" in await say(bot, host, "/digest 晚上9点半")
    assert "无法把" in await say(bot, host, "/digest 明天")
    ws = workspace(bot, host)
    assert (ws.language, ws.digest_time, ws.currency) == ("zh", "21:30", "IDR")


async def test_rollback_with_a_superscript_is_answered(admin_bot: RunningBot) -> None:
    assert "not a version number" in await say(admin_bot, ADMIN, "/rollback ²")
    assert "no version" in await say(admin_bot, ADMIN, "/rollback 99999999999999999999")


# --------------------------------------------------------------------------------- errors


async def test_error_apology_in_the_workspace_language_and_one_alert_per_kind(
    admin_bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = admin_bot
    host = 6104
    await say(bot, host, "/lang 中文")

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr("bot.handlers.reports.list_session_lines", broken)
    assert "抱歉" in await say(bot, host, "/sessions")
    assert "抱歉" in await say(bot, host, "/sessions")
    alerts = [c for c in bot.api.calls("sendMessage") if c.chat_id == ADMIN]
    assert len(alerts) == 1
    assert "RuntimeError" in (alerts[0].text or "") and str(host) in (alerts[0].text or "")
