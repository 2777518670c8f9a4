"""/start, /help, /lang and /tz."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import Context
from bot.handlers.common import forget_cached_workspace, in_worker, reply, workspace_of
from bot.i18n import t
from bot.services.workspaces import UnknownTimezone, set_language, set_timezone

__all__ = ["help_command", "lang_command", "start_command", "tz_command"]


def _help_text(lang: str, is_private: bool) -> str:
    return t(lang, "help", plain_hint=t(lang, "help_plain_hint") if is_private else "")


async def start_command(update: Update, context: Context) -> None:
    """Register the chat as a workspace and show the short guide."""
    ws = await workspace_of(update, context)
    await reply(update, ws.language, "start", help=_help_text(ws.language, ws.is_private))


async def help_command(update: Update, context: Context) -> None:
    """Show the short guide with examples."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    if message is not None:
        await message.reply_text(_help_text(ws.language, ws.is_private))


async def lang_command(update: Update, context: Context) -> None:
    """Set the workspace's language: /lang en|zh."""
    ws = await workspace_of(update, context)
    choice = (context.args or [""])[0].lower()
    if choice not in ("en", "zh"):
        await reply(update, ws.language, "lang_usage")
        return
    await in_worker(
        context, set_language, context.state.engine, workspace_id=ws.id, language=choice
    )
    forget_cached_workspace(context)
    await reply(update, choice, "lang_set")


async def tz_command(update: Update, context: Context) -> None:
    """Set the workspace's IANA time zone: /tz Area/City."""
    ws = await workspace_of(update, context)
    if not context.args:
        await reply(update, ws.language, "tz_usage", tz=ws.timezone)
        return
    try:
        zone = await in_worker(
            context,
            set_timezone,
            context.state.engine,
            workspace_id=ws.id,
            timezone=context.args[0],
        )
    except UnknownTimezone:
        await reply(update, ws.language, "tz_unknown", tz=context.args[0])
        return
    forget_cached_workspace(context)
    now = datetime.now(UTC).astimezone(ZoneInfo(zone)).strftime("%H:%M")
    await reply(update, ws.language, "tz_set", tz=zone, now=now)
