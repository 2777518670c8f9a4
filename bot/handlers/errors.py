"""The one error handler: log the failure, answer the user politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden

from bot.context import Context
from bot.i18n import t

__all__ = ["error_handler"]

log = logging.getLogger("livehost.bot")


async def error_handler(update: object, context: Context) -> None:
    """Log the exception with the update that caused it and apologise in the chat's language."""
    log.error("update %s failed", getattr(update, "update_id", None), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_message is None:
        return
    if isinstance(context.error, Forbidden):
        return
    cached = context.chat_data.workspace if context.chat_data is not None else None
    lang = cached.language if cached is not None else "en"
    try:
        await update.effective_message.reply_text(t(lang, "error"))
    except Exception:  # the chat may be gone; the log has the cause
        log.warning(
            "could not apologise in chat %s", update.effective_chat and update.effective_chat.id
        )
