"""/product and /event (and their plain-text forms): products and events on the timeline."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers.common import in_worker, reply, workspace_of
from bot.handlers.live import message_time
from bot.presenters_timeline import mark_reply
from bot.services.timeline import mark_timeline
from bot.timeline_text import EventCue, ProductCue, event_args, product_args

__all__ = ["event_command", "product_command", "timeline_cue"]


def _args(update: Update) -> str:
    message = update.effective_message
    assert message is not None and message.text is not None
    parts = message.text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


async def timeline_cue(update: Update, context: Context, cue: ProductCue | EventCue) -> None:
    """Store a product or event cue on the open session and confirm it."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None
    result = await in_worker(
        context,
        mark_timeline,
        context.state.engine,
        workspace_id=ws.id,
        cue=cue,
        now=message_time(message),
        chat_id=ws.chat_id,
        message_id=message.message_id,
    )
    if result.status == "duplicate":  # applied and answered by an earlier delivery
        return
    if result.status == "no_session":
        await reply(update, ws.language, "no_open_session")
        return
    await message.reply_text(mark_reply(result, ws.language))


async def product_command(update: Update, context: Context) -> None:
    """/product 3 口红 starts presenting a product; /product alone ends it."""
    await timeline_cue(update, context, product_args(_args(update)))


async def event_command(update: Update, context: Context) -> None:
    """/event 福袋 marks an event on the timeline."""
    cue = event_args(_args(update))
    if cue is None:
        ws = await workspace_of(update, context)
        await reply(update, ws.language, "timeline_event_usage")
        return
    await timeline_cue(update, context, cue)
