"""What every handler shares: the workspace of the chat, worker threads, replies."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import TypeVar

from telegram import Update

from bot.context import Context
from bot.i18n import t
from bot.services.workspaces import ChatRef, WorkspaceInfo, ensure_workspace

__all__ = ["in_compute_worker", "in_import_worker", "in_worker", "reply", "workspace_of"]

T = TypeVar("T")


async def in_worker(
    context: Context, fn: Callable[..., T], /, *args: object, **kwargs: object
) -> T:
    """Run quick blocking work (database) off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        context.state.executor, functools.partial(fn, *args, **kwargs)
    )


async def in_import_worker(
    context: Context, fn: Callable[..., T], /, *args: object, **kwargs: object
) -> T:
    """Run a file import (seconds of parsing and writing) off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        context.state.import_executor, functools.partial(fn, *args, **kwargs)
    )


async def in_compute_worker(
    context: Context, fn: Callable[..., T], /, *args: object, **kwargs: object
) -> T:
    """Run compute-heavy work (figures, history, forecasts) off the event loop and off
    the database thread that answers pushes."""
    loop = asyncio.get_running_loop()
    executor = getattr(context.state, "compute_executor", None) or context.state.executor
    return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))


async def workspace_of(update: Update, context: Context) -> WorkspaceInfo:
    """The chat's workspace, created on first contact (cached in chat_data on SQLite)."""
    chat_state = context.chat_data if context.state.cache_workspaces else None
    if chat_state is not None and chat_state.workspace is not None:
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
    return info


def forget_cached_workspace(context: Context) -> None:
    """Drop the cached workspace after a change (language, time zone, deletion)."""
    if context.chat_data is not None:
        context.chat_data.workspace = None


async def reply(update: Update, lang: str, key: str, /, **params: object) -> None:
    """Answer the message with a catalog text."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(t(lang, key, **params))
