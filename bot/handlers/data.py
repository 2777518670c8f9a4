"""/export (all the workspace's data as CSV files in one zip) and /forget (delete it all,
after a confirm button)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import Context
from bot.handlers.common import (
    answer_button,
    button_owner_ok,
    edit_button_message,
    forget_cached_workspace,
    in_import_worker,
    in_worker,
    may_manage,
    reply,
    require_manager,
    workspace_of,
)
from bot.i18n import language_from_telegram, t
from bot.services.data import export_zip, forget_workspace

__all__ = ["FORGET_PATTERN", "export_command", "forget_button", "forget_command"]

FORGET_PATTERN = r"^forget:(yes|no):\d+:(en|zh)(:\d+)?$"
"""Callback data of the /forget buttons: ``forget:yes|no:{workspace id}:{language}:{user
id}`` (the one who asked; buttons sent before the user id was added carry none, and then
any member who may change the workspace may press them)."""


async def export_command(update: Update, context: Context) -> None:
    """/export: the workspace's sessions and rows as CSV files in one zip."""
    ws = await workspace_of(update, context)
    result = await in_import_worker(context, export_zip, context.state.engine, workspace_id=ws.id)
    if result.empty:
        await reply(update, ws.language, "export_empty")
        return
    rows = result.rows
    caption = t(
        ws.language,
        "export_caption",
        sessions=rows["sessions.csv"],
        snapshots=rows["snapshots.csv"],
        minutes=rows["minutes.csv"],
        viewers=rows["viewers.csv"],
        past=rows["past_sessions.csv"],
    )
    message = update.effective_message
    assert message is not None
    name = f"livehost-export-{datetime.now(UTC):%Y%m%d-%H%M}.zip"
    await message.reply_document(document=result.data, filename=name, caption=caption)


async def forget_command(update: Update, context: Context) -> None:
    """/forget: ask to confirm with a button before deleting everything (in a group: for
    its administrators and the member who ran /start)."""
    ws = await workspace_of(update, context)
    if not await require_manager(update, context, ws):
        return
    lang = ws.language
    user = update.effective_user
    asker = user.id if user is not None else 0
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, f"forget_{choice}"),
                    callback_data=f"forget:{choice}:{ws.id}:{lang}:{asker}",
                )
                for choice in ("yes", "no")
            ]
        ]
    )
    message = update.effective_message
    assert message is not None
    await message.reply_text(t(lang, "forget_confirm"), reply_markup=keyboard)


async def forget_button(update: Update, context: Context) -> None:
    """The /forget buttons: delete the workspace (once), or cancel."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    _, choice, raw_id, lang, *asker = query.data.split(":")
    lang = lang or language_from_telegram(query.from_user.language_code)
    if asker:
        allowed = button_owner_ok(update, int(asker[0]))
    else:  # a button from before the asker was recorded: whoever may change the workspace
        ws = await workspace_of(update, context)
        allowed = ws.id == int(raw_id) and await may_manage(update, context, ws)
    if not allowed:
        await answer_button(query, t(lang, "button_not_yours"), show_alert=True)
        return
    if choice == "no":
        await answer_button(query)
        await edit_button_message(query, t(lang, "forget_cancelled"))
        return
    counts = await in_worker(
        context, forget_workspace, context.state.engine, workspace_id=int(raw_id), chat_id=chat.id
    )
    forget_cached_workspace(context)
    if counts is None:
        await answer_button(query, t(lang, "forget_already"))
        with contextlib.suppress(BadRequest):  # it may say so already
            await query.edit_message_text(t(lang, "forget_already"))
        return
    kinds = ("snapshots", "minute_rows", "viewer_rows", "past_sessions")
    rows = sum(counts.get(k, 0) for k in kinds)
    text = t(
        lang,
        "forget_done",
        sessions=counts.get("sessions", 0),
        rows=rows,
        imports=counts.get("imports", 0),
        sends=counts.get("scheduled_sends", 0),
    )
    await answer_button(query)
    await edit_button_message(query, text)
