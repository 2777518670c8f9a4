"""The fake Bot API against python-telegram-bot's real Bot and Application over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes

from fakebot import FakeBotApi, Limits, is_png, png_size, tiny_png
from fakebot.models import decode_form_value

PRIVATE = 4242
GROUP = -100777


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as real:
        yield real


async def test_get_me_names_the_fake_bot(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == api.bot_id
    assert me.is_bot
    assert me.username == api.bot_username


async def test_send_message_is_recorded_with_markup(api: FakeBotApi, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="forget:yes")]])
    first = await bot.send_message(PRIVATE, "hello 123", reply_markup=keyboard)
    second = await bot.send_message(PRIVATE, "<b>GMV</b> &amp; more", parse_mode="HTML")
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == PRIVATE and first.from_user is not None
    assert first.from_user.id == api.bot_id
    assert second.text == "GMV & more"
    call = await api.wait_for_message(PRIVATE, contains="hello")
    assert call.text == "hello 123"
    assert call.button_data == ["forget:yes"]
    assert [m.text for m in api.messages_to(PRIVATE)] == ["hello 123", "GMV & more"]


async def test_bad_html_and_long_text_are_refused_like_telegram(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(PRIVATE, "price <5 & <tag>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(PRIVATE, "x" * 4097)


async def test_edits_and_button_presses(api: FakeBotApi, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(PRIVATE, "working…", reply_markup=keyboard)
    await bot.edit_message_text("done", chat_id=PRIVATE, message_id=sent.message_id)
    assert api.text_of(PRIVATE, sent.message_id) == "done"
    message = api.message(PRIVATE, sent.message_id)
    assert message is not None and message.reply_markup is None and message.edits == 1
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("done", chat_id=PRIVATE, message_id=sent.message_id)
    await bot.edit_message_reply_markup(PRIVATE, sent.message_id, reply_markup=keyboard)
    update = api.press_button(PRIVATE, sent.message_id, "go")
    with pytest.raises(ValueError):
        api.press_button(PRIVATE, sent.message_id, "stale")
    [received] = await bot.get_updates(timeout=0)
    assert received.update_id == update["update_id"]
    assert received.callback_query is not None and received.callback_query.data == "go"
    assert await received.callback_query.answer("ok")
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await received.callback_query.answer("again")
    assert await bot.delete_message(PRIVATE, sent.message_id)
    assert api.messages_to(PRIVATE) == []


async def test_document_from_user_downloads_the_same_bytes(api: FakeBotApi, bot: Bot) -> None:
    data = "时间,实时在线人数\n10:00,1200\n".encode() + bytes(range(256))
    update = api.send_document(PRIVATE, data, "直播.csv", caption="#12")
    [received] = await bot.get_updates(timeout=0)
    assert received.update_id == update["update_id"]
    assert received.message is not None and received.message.document is not None
    document = received.message.document
    assert document.file_name == "直播.csv" and document.file_size == len(data)
    assert received.message.caption == "#12"
    file = await bot.get_file(document.file_id)
    assert file.file_size == len(data)
    assert bytes(await file.download_as_bytearray()) == data


async def test_get_file_refuses_files_over_20_mb(api: FakeBotApi, bot: Bot) -> None:
    small = api.send_document(PRIVATE, b"a,b\n", "ok.csv", size=20 * 1024 * 1024)
    huge = api.send_document(PRIVATE, b"a,b\n", "big.csv", size=20 * 1024 * 1024 + 1)
    assert await bot.get_file(small["message"]["document"]["file_id"])
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(huge["message"]["document"]["file_id"])
    assert api.requests[-1].status == 400
    assert api.requests[-1].description == "Bad Request: file is too big"


async def test_send_photo_records_the_png(api: FakeBotApi, bot: Bot) -> None:
    png = tiny_png(800, 600)
    message = await bot.send_photo(PRIVATE, png, caption="Summary")
    assert message.caption == "Summary"
    assert message.photo[-1].width == 800 and message.photo[-1].height == 600
    [call] = api.calls("sendPhoto")
    [upload] = call.files
    assert upload.data == png and upload.is_png
    assert png_size(upload.data) == (800, 600)
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(PRIVATE, b"not an image at all")


async def test_send_document_from_bot_is_downloadable(api: FakeBotApi, bot: Bot) -> None:
    data = b"session_id,gmv\n1,3400\n"
    message = await bot.send_document(PRIVATE, data, filename="export.csv")
    assert message.document is not None and message.document.file_name == "export.csv"
    assert api.calls("sendDocument")[0].files[0].data == data
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == data


async def test_send_media_group_records_each_photo(api: FakeBotApi, bot: Bot) -> None:
    first, second = tiny_png(900, 500, (10, 20, 30)), tiny_png(800, 800, (40, 50, 60))
    messages = await bot.send_media_group(
        GROUP,
        [InputMediaPhoto(first, caption="Session #3"), InputMediaPhoto(second)],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    assert messages[0].caption == "Session #3"
    [call] = api.calls("sendMediaGroup")
    assert [f.data for f in call.files] == [first, second]
    assert all(is_png(f.data) for f in call.files)
    assert call.message_ids == [m.message_id for m in messages]
    assert call.text == "Session #3"
    media = call.params["media"]
    assert all(item["media"].startswith("attach://") for item in media)


async def test_limits_answer_429_with_retry_after(api: FakeBotApi, bot: Bot) -> None:
    api.enforce_limits = True
    api.limits = Limits(private_burst=2)
    await bot.send_message(PRIVATE, "one")
    await bot.send_message(PRIVATE, "two")
    with pytest.raises(RetryAfter):
        await bot.send_message(PRIVATE, "three")
    last = api.requests[-1]
    assert last.status == 429 and last.description == "Too Many Requests: retry after 1"
    assert api.count_429 == 1
    assert [r.status for r in api.requests if r.method == "sendMessage"] == [200, 200, 429]
    assert len(api.messages_to(PRIVATE)) == 2
    # another chat has its own bucket
    await bot.send_message(PRIVATE + 1, "elsewhere")


async def test_group_limit_is_per_minute(api: FakeBotApi, bot: Bot) -> None:
    api.enforce_limits = True
    api.limits = Limits(group_per_minute=3)
    for n in range(3):
        await bot.send_message(GROUP, f"m{n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(GROUP, "too many")
    description = api.requests[-1].description or ""
    seconds = int(description.rsplit(" ", 1)[-1])
    assert description.startswith("Too Many Requests: retry after ") and 55 <= seconds <= 60


async def test_raw_429_envelope_matches_telegram(api: FakeBotApi) -> None:
    api.enforce_limits = True
    api.limits = Limits(global_per_second=1)
    url = f"{api.base_url}{api.token}/sendMessage"
    async with httpx.AsyncClient() as client:
        ok = await client.post(url, data={"chat_id": "1", "text": "a"})
        limited = await client.post(url, data={"chat_id": "2", "text": "b"})
        unknown = await client.post(f"{api.base_url}{api.token}/noSuchMethod")
        wrong_token = await client.post(f"{api.base_url}1:wrong/getMe")
    assert ok.json()["ok"] is True
    body = limited.json()
    assert limited.status_code == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert wrong_token.status_code == 401


async def test_query_string_and_json_bodies_are_understood(api: FakeBotApi) -> None:
    url = f"{api.base_url}{api.token}"
    async with httpx.AsyncClient() as client:
        by_get = await client.get(f"{url}/sendMessage", params={"chat_id": 7, "text": "007"})
        by_json = await client.post(
            f"{url}/sendMessage",
            json={"chat_id": 7, "text": "json", "reply_parameters": {"message_id": 1}},
        )
        missing = await client.get(f"{api.base_file_url}{api.token}/documents/nothing.csv")
        bad = await client.post(f"{url}/getUpdates", data={"limit": "many"})
    assert by_get.json()["result"]["text"] == "007"
    assert by_json.json()["result"]["reply_to_message"]["text"] == "007"
    assert missing.status_code == 404
    assert bad.status_code == 400 and bad.json()["ok"] is False


async def test_blocked_chat_is_forbidden_and_others_still_work(api: FakeBotApi, bot: Bot) -> None:
    api.blocked_chats.add(PRIVATE)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(PRIVATE, "hi")
    await bot.send_message(PRIVATE + 1, "hi")
    assert [m.text for m in api.messages_to(PRIVATE + 1)] == ["hi"]
    assert api.messages_to(PRIVATE) == []


async def test_long_poll_returns_when_an_update_is_queued(api: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_until(lambda: api.polling_now == 1)
    assert not poll.done()
    started = time.monotonic()
    update = api.send_text(PRIVATE, "在线1200 成交1.2万")
    [received] = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 2
    assert received.update_id == update["update_id"]
    assert received.message is not None and received.message.text == "在线1200 成交1.2万"
    assert api.delivered(update)


async def test_offset_confirms_and_redeliver_repeats(api: FakeBotApi, bot: Bot) -> None:
    first = api.send_command(PRIVATE, "golive", "Spring sale")
    second = api.send_text(GROUP, "hello", user_id=55, username="op")
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [
        first["update_id"],
        second["update_id"],
    ]
    # not confirmed: delivered again
    assert len(await bot.get_updates(timeout=0)) == 2
    # limit
    assert len(await bot.get_updates(timeout=0, limit=1)) == 1
    # confirmed by a higher offset: gone
    assert await bot.get_updates(offset=second["update_id"] + 1, timeout=0) == ()
    assert api.pending_updates == []
    api.redeliver(first)
    [again] = await bot.get_updates(offset=second["update_id"] + 1, timeout=0)
    assert again.update_id == first["update_id"]
    assert again.message is not None and again.message.text == "/golive Spring sale"
    assert await bot.get_updates(offset=first["update_id"] + 1, timeout=0) == ()


async def test_allowed_updates_filters(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(
        PRIVATE,
        "pick",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    api.press_button(PRIVATE, sent.message_id, "a")
    text = api.send_text(PRIVATE, "plain")
    received = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.update_id for u in received] == [text["update_id"]]


async def test_user_updates_look_like_telegram(api: FakeBotApi, bot: Bot) -> None:
    command = api.send_command(GROUP, "stat", "online=1200", mention=True, user_id=9)
    sticker = api.send_sticker(PRIVATE)
    photo = api.send_photo(PRIVATE, caption="look")
    original = api.send_text(PRIVATE, "gmv=3.4k")
    edited = api.edit_text(PRIVATE, original["message"]["message_id"], "gmv=3.5k")
    with pytest.raises(ValueError):
        api.send_text(PRIVATE, "x", user_id=PRIVATE + 1)
    with pytest.raises(ValueError):
        api.send_text(5, "x", chat_type="group")
    updates = await bot.get_updates(timeout=0)
    by_id = {u.update_id: u for u in updates}
    msg = by_id[command["update_id"]].message
    assert msg is not None and msg.chat.type == "group" and msg.from_user is not None
    assert msg.from_user.id == 9
    assert msg.text == f"/stat@{api.bot_username} online=1200"
    assert msg.parse_entities(["bot_command"])
    assert by_id[sticker["update_id"]].message.sticker is not None  # type: ignore[union-attr]
    photo_msg = by_id[photo["update_id"]].message
    assert photo_msg is not None and photo_msg.photo and photo_msg.caption == "look"
    edit = by_id[edited["update_id"]].edited_message
    assert edit is not None and edit.text == "gmv=3.5k"
    assert edit.message_id == original["message"]["message_id"]
    assert edit.edit_date is not None


async def test_commands_and_webhook_info(api: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("stat", "Push numbers")])
    await bot.set_my_commands([("start", "开始")], language_code="zh")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "stat"]
    assert api.commands(language_code="zh") == [{"command": "start", "description": "开始"}]
    info = await bot.get_webhook_info()
    assert info.url == "" and info.pending_update_count == 0
    api.send_text(PRIVATE, "waiting")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert api.pending_updates == []


async def test_webhook_delivers_updates_with_the_secret(api: FakeBotApi, bot: Bot) -> None:
    from aiohttp import web

    received: list[tuple[dict[str, object], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        body = json.loads(await request.text())
        received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        await bot.set_webhook(f"http://{host}:{port}/hook", secret_token="s3cret")
        update = api.send_text(PRIVATE, "via webhook")
        await api.wait_until(lambda: len(received) == 1)
        assert received[0] == (update, "s3cret")
        await api.wait_until(lambda: api.pending_updates == [])
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates(timeout=0)
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_application_polling_answers_start(api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        await update.effective_message.reply_text(
            f"hello {update.effective_user.first_name}: {' '.join(context.args or [])}"
        )

    application = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=5)
        try:
            update = api.send_command(PRIVATE, "start", "now", first_name="Lin")
            reply = await api.wait_for_message(PRIVATE, contains="hello", since=update)
            assert reply.text == "hello Lin: now"
            latency = api.reply_latency(update)
            assert latency is not None and 0 <= latency < 5
            second = api.send_command(PRIVATE, "start", "again", first_name="Lin")
            again = await api.wait_for_message(PRIVATE, since=second)
            assert again.text == "hello Lin: again"
            # the same update once more, as after a restart before the offset was confirmed
            api.redeliver(update)
            repeat = await api.wait_for_message(PRIVATE, since=again)
            assert repeat.text == "hello Lin: now"
            assert api.deliveries[update["update_id"]] == 2
        finally:
            await application.updater.stop()
            await application.stop()
    # the application confirmed what it handled when it stopped
    assert api.pending_updates == []
    assert [r.method for r in api.requests][:1] == ["getMe"]


async def test_application_with_rate_limiter_retries_after_429(api: FakeBotApi) -> None:
    api.enforce_limits = True
    api.limits = Limits(private_burst=1, private_per_second=5.0)
    application = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=2))
        .build()
    )
    async with application:
        sends = [application.bot.send_message(PRIVATE, f"n{n}") for n in range(2)]
        await asyncio.gather(*sends)
    assert api.count_429 >= 1
    assert sorted(m.text or "" for m in api.messages_to(PRIVATE)) == ["n0", "n1"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_string_parameters_are_never_json_decoded(value: str) -> None:
    assert decode_form_value("text", value) == value
    assert decode_form_value("caption", value) == value


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.integers(),
        st.booleans(),
        st.lists(st.text(max_size=5), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    )
)
def test_other_parameters_round_trip_json(value: object) -> None:
    assert decode_form_value("chat_id", json.dumps(value)) == value
