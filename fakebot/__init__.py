"""A fake Telegram Bot API that speaks real HTTP, for end-to-end tests of the bot.

Start it in the test's event loop and point python-telegram-bot at it::

    @pytest.fixture
    async def api():
        async with FakeBotApi() as api:
            yield api

    app = (
        Application.builder().token(api.token)
        .base_url(api.base_url)            # f"{api.url}/bot"
        .base_file_url(api.base_file_url)  # f"{api.url}/file/bot"
        .build()
    )

Served: ``{url}/bot{token}/{method}`` for getMe, getUpdates (long polling: offset, timeout,
limit, allowed_updates; a newer getUpdates ends an older one with 409), deleteWebhook,
setWebhook (updates are then POSTed to the URL with the secret token header; getUpdates
answers 409), getWebhookInfo, setMyCommands, getMyCommands, deleteMyCommands, sendMessage,
editMessageText, editMessageReplyMarkup, deleteMessage, sendChatAction, answerCallbackQuery,
getFile (400 "Bad Request: file is too big" over 20 MB), sendPhoto, sendDocument,
sendMediaGroup (``attach://name`` parts), getChatAdministrators and getChatMember;
``{url}/file/bot{token}/{file_path}`` downloads.
Unknown methods answer 404 "Not Found", a wrong token 401 "Unauthorized". Text with
``parse_mode=HTML`` is checked as Telegram does (unsupported or unbalanced tags → 400
"can't parse entities"); texts over 4096 and captions over 1024 characters → 400.

Queue what users do (each returns the update dict as Telegram would send it; the same
keywords ``user_id``, ``chat_type``, ``username``, ``first_name``, ``language_code``,
``chat_title``, ``reply_to`` work for all of them; private chats have the user's positive
id, groups negative ids; ``chat_type`` defaults from the sign)::

    api.send_text(chat_id, text, *, user_id=None, chat_type=None, username=None,
                  language_code="en")
    api.send_command(chat_id, "stat", "online=1200", mention=False)
    api.send_document(chat_id, data, "live.csv", caption=None, mime_type=None, size=None)
    api.send_photo(chat_id, data=None, caption=None)    # a small PNG by default
    api.send_sticker(chat_id, emoji="🙂")
    api.edit_text(chat_id, message_id, new_text)          # edited_message
    api.press_button(chat_id, bot_message_id, "data")     # callback_query
    api.redeliver(update)                                 # same update_id again

Inspect what the bot did::

    api.sent                 # list[SentCall]: method, chat_id, text (text/caption as sent),
                             # files (UploadedFile: data, filename, is_png), reply_markup,
                             # params, time (monotonic), result, message_ids, button_data
    api.requests             # every method call with its HTTP status, failures included
    api.calls("sendPhoto")
    await api.wait_for(lambda call: ..., timeout=5.0, since=None)
    await api.wait_for_message(chat_id, contains=None, timeout=5.0, since=update)
    await api.wait_until(lambda: api.delivered(update))
    api.messages_to(chat_id) # list[BotMessage], current state: text, reply_markup, files
    api.text_of(chat_id, message_id), api.message(chat_id, message_id)
    api.file(file_id), api.commands(scope=None, language_code="")
    api.pending_updates, api.delivered(update), api.webhook, api.callback_answers
    api.queued_at[update_id], api.delivered_at[update_id], api.deliveries[update_id]
    api.reply_latency(update)  # seconds from queuing the update to the first reply

``since`` limits a wait to calls recorded after an index into ``api.sent``, after an update
was queued (pass the update) or after a given SentCall.

Modes: ``api.enforce_limits = True`` answers 429 "Too Many Requests: retry after N" with
``parameters.retry_after`` past ``api.limits`` (30 messages/s in all, 1/s per private chat
with a burst of 3, 20/min per group; sends only) and counts them in ``api.count_429``;
``api.blocked_chats.add(chat_id)`` → 403 "Forbidden: bot was blocked by the user";
``api.latency = 0.05`` delays every answer; ``api.fail_next("sendMessage", status=500,
count=1, chat_id=None, retry_after=None)`` answers the next calls of a method with an error.

State is plain attributes changed only on the server's event loop; call the queueing
methods from that loop (the test's).
"""

from fakebot.models import (
    BotMessage,
    Limits,
    RecordedRequest,
    SentCall,
    StoredFile,
    UploadedFile,
    is_png,
    png_size,
    tiny_png,
)
from fakebot.server import DEFAULT_GROUP_USER_ID, DEFAULT_TOKEN, ApiError, FakeBotApi

__all__ = [
    "DEFAULT_GROUP_USER_ID",
    "DEFAULT_TOKEN",
    "ApiError",
    "BotMessage",
    "FakeBotApi",
    "Limits",
    "RecordedRequest",
    "SentCall",
    "StoredFile",
    "UploadedFile",
    "is_png",
    "png_size",
    "tiny_png",
]
