"""Everything that is not a command we know: unknown commands, stickers, photos, edits."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers.common import reply, workspace_of
from bot.i18n import command_descriptions
from bot.settings_input import nearest_command

__all__ = ["edited_message", "photo_message", "sticker_message", "unknown_command", "unsupported"]

NEVER_SUGGESTED = frozenset({"forget", "rollback"})
"""Commands that delete or undo a lot are typed on purpose, never offered for a typo
(/forecast is not a near miss of /forget)."""


async def unknown_command(update: Update, context: Context) -> None:
    """Name the command we do not know, suggest the nearest one we do, point to /help."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    command = (message.text or "").split()[0] if message and message.text else "?"
    command = command.split("@")[0]
    known = [
        name
        for name, _ in command_descriptions(ws.language, "admin")
        if name not in NEVER_SUGGESTED
    ]
    nearest = nearest_command(command, known)
    if nearest is not None:
        await reply(
            update, ws.language, "unknown_command_nearest", command=command, nearest=nearest
        )
        return
    await reply(update, ws.language, "unknown_command", command=command)


async def sticker_message(update: Update, context: Context) -> None:
    """A sticker: say what we read instead."""
    ws = await workspace_of(update, context)
    await reply(update, ws.language, "sticker")


async def photo_message(update: Update, context: Context) -> None:
    """A photo or screenshot: ask for typed numbers or the export."""
    ws = await workspace_of(update, context)
    await reply(update, ws.language, "photo")


async def edited_message(update: Update, context: Context) -> None:
    """An edited push is not applied twice; say how to correct it."""
    ws = await workspace_of(update, context)
    await reply(update, ws.language, "edited_ignored")


async def unsupported(update: Update, context: Context) -> None:
    """Voice, video, location…: say what we read."""
    ws = await workspace_of(update, context)
    await reply(update, ws.language, "unsupported_message")
