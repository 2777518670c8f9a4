"""What every handler shares: the workspace of the chat, worker threads, replies."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from telegram import Bot, CallbackQuery, ChatMember, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError

from bot.context import Context
from bot.i18n import t
from bot.services.workspaces import (
    ChatRef,
    WorkspaceInfo,
    ensure_workspace,
    may_change_settings,
)

__all__ = [
    "ChatAdmins",
    "answer_button",
    "button_owner_ok",
    "edit_button_message",
    "forget_cached_workspace",
    "in_compute_worker",
    "in_import_worker",
    "in_worker",
    "may_manage",
    "reply",
    "require_manager",
    "workspace_of",
]

log = logging.getLogger("livehost.bot")


T = TypeVar("T")
P = ParamSpec("P")


async def in_worker(
    context: Context, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run quick blocking work (database) off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        context.state.executor, functools.partial(fn, *args, **kwargs)
    )


async def in_import_worker(
    context: Context, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a file import (seconds of parsing and writing) off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        context.state.import_executor, functools.partial(fn, *args, **kwargs)
    )


async def in_compute_worker(
    context: Context, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run compute-heavy work (figures, history, forecasts) off the event loop and off
    the database thread that answers pushes."""
    loop = asyncio.get_running_loop()
    executor = getattr(context.state, "compute_executor", None) or context.state.executor
    return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))


async def workspace_of(update: Update, context: Context) -> WorkspaceInfo:
    """The chat's workspace, created on first contact (cached in chat_data on SQLite)."""
    if context.workspace_seen is not None:
        return context.workspace_seen
    chat_state = context.chat_data if context.state.cache_workspaces else None
    if chat_state is not None and chat_state.workspace is not None:
        context.workspace_seen = chat_state.workspace
        return chat_state.workspace
    chat = update.effective_chat
    user = update.effective_user
    assert chat is not None
    ref = ChatRef(
        chat_id=chat.id,
        chat_type=chat.type,
        title=chat.title or chat.full_name,
        language_code=user.language_code if user else None,
    )
    info = await in_worker(
        context,
        ensure_workspace,
        context.state.engine,
        chat=ref,
        default_timezone=context.state.settings.default_timezone,
    )
    if chat_state is not None:
        chat_state.workspace = info
    context.workspace_seen = info
    return info


def forget_cached_workspace(context: Context) -> None:
    """Drop the cached workspace after a change (language, time zone, deletion)."""
    context.workspace_seen = None
    if context.chat_data is not None:
        context.chat_data.workspace = None


async def reply(update: Update, lang: str, key: str, /, **params: object) -> None:
    """Answer the message with a catalog text."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(t(lang, key, **params))


_PRESS_GONE = ("query is too old", "query id is invalid")
_SAME_TEXT = "message is not modified"


async def answer_button(
    query: CallbackQuery, text: str | None = None, show_alert: bool = False
) -> None:
    """Answer a pressed button (ends its spinner, or shows `text`). Telegram takes one
    answer per press, and none after a few seconds: a press processed again after a restart
    (or late) cannot be answered, and what the press does goes on without it."""
    try:
        await query.answer(text, show_alert=show_alert)
    except BadRequest as exc:
        if not any(part in str(exc).lower() for part in _PRESS_GONE):
            raise
        log.info("button press %s could not be answered any more: %s", query.id, exc)


async def edit_button_message(
    query: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the text of the message under a pressed button; the same text already there
    (the press processed again after a restart) is not an error."""
    try:
        await query.edit_message_text(text, reply_markup=reply_markup)
    except BadRequest as exc:
        if _SAME_TEXT not in str(exc).lower():
            raise


class ChatAdmins:
    """The administrators of each group, asked of Telegram (getChatAdministrators) and
    kept for ``TTL_S``: a promotion or demotion counts within minutes, and a burst of
    setting commands costs one request. When the list cannot be had (the bot lacks
    rights, a network error) one member is asked about (getChatMember)."""

    TTL_S = 300.0

    def __init__(self) -> None:
        self._lists: dict[int, tuple[float, frozenset[int]]] = {}

    def forget(self, chat_id: int) -> None:
        self._lists.pop(chat_id, None)

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = time.monotonic()
        cached = self._lists.get(chat_id)
        if cached is not None and now - cached[0] < self.TTL_S:
            return user_id in cached[1]
        try:
            members = await bot.get_chat_administrators(chat_id)
        except TelegramError:
            log.warning("no administrator list for chat %s; asking about one member", chat_id)
        else:
            ids = frozenset(member.user.id for member in members)
            self._lists[chat_id] = (now, ids)
            return user_id in ids
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            log.warning("could not check user %s in chat %s", user_id, chat_id)
            return False
        return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def may_manage(update: Update, context: Context, ws: WorkspaceInfo) -> bool:
    """Whether the sender may change or delete the workspace (see
    `bot.services.workspaces.may_change_settings`): the owner and, in a group, its
    administrators — an anonymous administrator writes as the group itself."""
    if ws.is_private:
        return True
    message = update.effective_message
    user = update.effective_user
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == ws.chat_id  # an anonymous admin of this group
    if user is None:
        return False
    if may_change_settings(ws, user.id, None):
        return True
    admins = context.state.chat_admins
    is_admin = await admins.is_admin(context.bot, ws.chat_id, user.id)
    return may_change_settings(ws, user.id, {user.id} if is_admin else set())


async def require_manager(update: Update, context: Context, ws: WorkspaceInfo) -> bool:
    """`may_manage`, with the clear answer when not (the workspace's language)."""
    if await may_manage(update, context, ws):
        return True
    await reply(update, ws.language, "settings_admins_only")
    return False


def button_owner_ok(update: Update, owner_id: int | None) -> bool:
    """Whether the person pressing a button is the one it was made for."""
    query = update.callback_query
    return owner_id is None or (query is not None and query.from_user.id == owner_id)
