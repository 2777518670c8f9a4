"""The one error handler: log the failure, apologise in the chat's language, tell the bot's
admins (at most once an hour per kind of error)."""

from __future__ import annotations

import logging
import time
import traceback

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import Context
from bot.handlers.common import in_worker
from bot.i18n import language_from_telegram, t
from bot.services.admin import claim_error_alert
from bot.services.workspaces import chat_language

__all__ = ["ErrorAlerts", "error_handler", "error_kind"]

log = logging.getLogger("livehost.bot")

DETAIL_CHARS = 300


def error_kind(error: BaseException) -> str:
    """A kind of error: its type and where in our code it was raised (the innermost frame
    of ``bot``, ``core`` or ``storage``), so that one bug is one kind."""
    where = ""
    for frame in traceback.extract_tb(error.__traceback__):
        path = frame.filename.replace("\\", "/")
        if any(f"/{pkg}/" in path for pkg in ("bot", "core", "storage")):
            where = f"{path.rsplit('/', 2)[-2]}/{path.rsplit('/', 1)[-1]}:{frame.lineno}"
    name = type(error).__name__
    return f"{name}@{where}" if where else name


class ErrorAlerts:
    """When each kind of error was last reported to the bot's admins: in this process,
    and, given the database, across every instance on it (at most one alert an hour per
    kind, whichever instance met it)."""

    EVERY_S = 3600.0

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self._last: dict[str, float] = {}

    def due(self, kind: str, now: float | None = None) -> bool:
        """True (and noted) when ``kind`` was not reported within the last hour: by this
        process (``now``: its monotonic clock), then by any instance on the database (a
        database that cannot answer does not hold the alert back). Blocking: call it in a
        worker thread."""
        now = time.monotonic() if now is None else now
        last = self._last.get(kind)
        if last is not None and now - last < self.EVERY_S:
            return False
        self._last[kind] = now
        if self.engine is None:
            return True
        try:
            return claim_error_alert(self.engine, kind=kind, every_s=self.EVERY_S)
        except Exception:  # the database may be what failed: alert from here alone
            log.warning("error alerts are limited by this instance alone", exc_info=True)
            return True


async def _language(update: Update, context: Context) -> str:
    """The workspace's language (cached, else from the database), else the user's."""
    cached = context.chat_data.workspace if context.chat_data is not None else None
    if cached is not None:
        return cached.language
    chat = update.effective_chat
    if chat is not None:
        try:
            found = await in_worker(context, chat_language, context.state.engine, chat_id=chat.id)
        except Exception:  # the database may be what failed
            log.warning("no workspace language for chat %s", chat.id, exc_info=True)
            found = None
        if found is not None:
            return found
    user = update.effective_user
    return language_from_telegram(user.language_code if user else None)


async def _alert_admins(update: object, context: Context, error: BaseException) -> None:
    admin_ids = context.state.settings.admin_ids
    kind = error_kind(error)
    if not admin_ids or not await in_worker(context, context.state.error_alerts.due, kind):
        return
    chat = update.effective_chat if isinstance(update, Update) else None
    detail = f"{type(error).__name__}: {error}"[:DETAIL_CHARS]
    for admin_id in admin_ids:
        try:
            lang = await in_worker(context, chat_language, context.state.engine, chat_id=admin_id)
        except Exception:
            lang = None
        text = t(
            lang or "en",
            "error_alert",
            kind=kind,
            update=getattr(update, "update_id", "—"),
            chat=chat.id if chat is not None else "—",
            detail=detail,
        )
        try:
            await context.bot.send_message(admin_id, text)
        except TelegramError:
            log.warning("could not alert admin %s", admin_id)


async def error_handler(update: object, context: Context) -> None:
    """Log the exception with the update that caused it, apologise in the chat's language
    and alert the bot's admins (once an hour per kind)."""
    error = context.error
    log.error("update %s failed", getattr(update, "update_id", None), exc_info=error)
    if isinstance(error, Forbidden):
        return
    if error is not None:
        await _alert_admins(update, context, error)
    if not isinstance(update, Update) or update.effective_message is None:
        return
    lang = await _language(update, context)
    try:
        await update.effective_message.reply_text(t(lang, "error"))
    except Exception:  # the chat may be gone; the log has the cause
        log.warning(
            "could not apologise in chat %s", update.effective_chat and update.effective_chat.id
        )
