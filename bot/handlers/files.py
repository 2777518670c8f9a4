"""Uploaded exports (.csv / .xlsx): size check, download, import off the event loop; the
buttons that answer "which column is …?" and ask for a refreshed summary."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest

from bot.context import Context
from bot.handlers.common import (
    answer_button,
    forget_cached_workspace,
    in_import_worker,
    in_worker,
    reply,
    workspace_of,
)
from bot.i18n import t
from bot.presenters import column_question, import_reply, rejection_reason
from bot.sends.summary import NOT_SENT_KEYS
from bot.services.imports import ImportOutcome, answer_column, import_upload
from bot.services.sending import ChatGone

__all__ = [
    "COLUMN_PATTERN",
    "PROGRESS_EVERY_S",
    "SUMMARY_PATTERN",
    "column_button",
    "document_message",
    "summary_button",
]

PROGRESS_EVERY_S = 2.0
COLUMN_PATTERN = r"^fmap:\d+:\d+:\d+$"
SUMMARY_PATTERN = r"^fsum:\d+$"
_BUTTONS_PER_ROW = 2


def _column_keyboard(pending_id: int, field_index: int, headers: list[str]) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(header[:60], callback_data=f"fmap:{pending_id}:{field_index}:{i}")
        for i, header in enumerate(headers)
    ]
    rows = [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


def _keyboard(outcome: ImportOutcome, lang: str) -> InlineKeyboardMarkup | None:
    if outcome.code == "ask_column" and outcome.pending_id is not None:
        return _column_keyboard(outcome.pending_id, 0, outcome.choices)
    if outcome.ok and outcome.moved and outcome.session_id is not None:
        button = InlineKeyboardButton(
            t(lang, "filed_summary_button"), callback_data=f"fsum:{outcome.session_id}"
        )
        return InlineKeyboardMarkup([[button]])
    return None


async def _run_import(
    context: Context,
    status: Message,
    *,
    workspace_id: int,
    lang: str,
    tz: str,
    currency: str | None = None,
    data: bytes,
    name: str,
    caption: str | None,
    file_id: str | None = None,
    user_id: int | None = None,
    mapping: Mapping[str, str] | None = None,
) -> None:
    done = [0]
    task = asyncio.ensure_future(
        in_import_worker(
            context,
            import_upload,
            context.state.engine,
            workspace_id=workspace_id,
            data=data,
            filename=name,
            now=datetime.now(UTC),
            progress=lambda rows: done.__setitem__(0, rows),
            max_bytes=context.state.settings.max_upload_bytes,
            caption=caption,
            file_id=file_id,
            user_id=user_id,
            mapping=mapping,
        )
    )
    shown = 0
    while not (await asyncio.wait({task}, timeout=PROGRESS_EVERY_S))[0]:
        if done[0] != shown:
            shown = done[0]
            text = t(lang, "import_progress", name=name, rows=f"{shown:,}")
            with contextlib.suppress(BadRequest):
                await status.edit_text(text)
    try:
        outcome = task.result()
    except Exception:
        # The status must not stay at "Reading…": say the file was not imported, then let
        # the error handler report the error.
        with contextlib.suppress(Exception):
            await status.edit_text(t(lang, "import_failed", name=name))
        raise
    if outcome.currency_set is not None:  # the file's money set the workspace's currency
        forget_cached_workspace(context)
    await status.edit_text(
        import_reply(outcome, name, lang, tz, currency), reply_markup=_keyboard(outcome, lang)
    )


async def document_message(update: Update, context: Context) -> None:
    """Import an uploaded export whole or not at all, showing progress on long files."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None and message.document is not None
    doc = message.document
    name = doc.file_name or "file"
    limit = context.state.settings.max_upload_bytes
    if doc.file_size is not None and doc.file_size > limit:
        reason = rejection_reason("too_large", {"size": doc.file_size, "limit": limit}, ws.language)
        await reply(update, ws.language, "import_rejected", name=name, reason=reason)
        return
    status = await message.reply_text(t(ws.language, "import_started", name=name))
    await message.chat.send_action(ChatAction.TYPING)
    file = await doc.get_file()
    data = bytes(await file.download_as_bytearray())
    user = update.effective_user
    await _run_import(
        context,
        status,
        workspace_id=ws.id,
        lang=ws.language,
        tz=ws.timezone,
        currency=ws.currency,
        data=data,
        name=name,
        caption=message.caption,
        file_id=doc.file_id,
        user_id=user.id if user is not None else None,
    )


async def column_button(update: Update, context: Context) -> None:
    """A header tapped as the answer to "which column is …?"; the last answer imports the
    waiting file with the columns placed (and remembered for the workspace)."""
    ws = await workspace_of(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    _, pending, field_index, header_index = query.data.split(":")
    answer = await in_worker(
        context,
        answer_column,
        context.state.engine,
        workspace_id=ws.id,
        pending_id=int(pending),
        field_index=int(field_index),
        header_index=int(header_index),
        user_id=query.from_user.id if query.from_user else None,
    )
    if answer.status == "not_yours":
        await answer_button(query, t(ws.language, "filed_not_yours"), show_alert=True)
        return
    await answer_button(query)
    message = query.message
    if answer.status == "gone" or not isinstance(message, Message):
        with contextlib.suppress(BadRequest):
            await query.edit_message_text(t(ws.language, "filed_gone"))
        return
    name = answer.filename or "file"
    if answer.status == "next":
        assert answer.question is not None and answer.pending_id is not None
        await query.edit_message_text(
            column_question(answer.question, name, ws.language),
            reply_markup=_column_keyboard(answer.pending_id, answer.field_index, answer.choices),
        )
        return
    assert answer.file_id is not None
    await query.edit_message_text(t(ws.language, "import_started", name=name))
    file = await context.bot.get_file(answer.file_id)
    data = bytes(await file.download_as_bytearray())
    await _run_import(
        context,
        message,
        workspace_id=ws.id,
        lang=ws.language,
        tz=ws.timezone,
        currency=ws.currency,
        data=data,
        name=name,
        caption=answer.caption,
        mapping=answer.mapping,
    )


async def summary_button(update: Update, context: Context) -> None:
    """ "Refreshed summary" under an upload that changed a closed session."""
    ws = await workspace_of(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    session_id = int(query.data.split(":")[1])
    await answer_button(query)
    try:
        outcome = await context.state.scheduler.send_summary_now(ws.id, session_id)
    except ChatGone:
        return
    if outcome != "sent":
        await reply(update, ws.language, NOT_SENT_KEYS[outcome], id=session_id)
