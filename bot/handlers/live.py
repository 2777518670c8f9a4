"""/golive, /stat (and plain text in a private chat), /endlive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import Context
from bot.formatting import fmt_duration
from bot.handlers.common import in_worker, reply, workspace_of
from bot.handlers.reports import push_reply
from bot.i18n import t
from bot.presenters import stat_reply
from bot.services.live import end_live, go_live, push_stat
from bot.services.summaries import summary_key

__all__ = ["endlive_command", "golive_command", "plain_text", "stat_command"]


async def golive_command(update: Update, context: Context) -> None:
    """Open a live session (one open per workspace)."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None
    now = datetime.now(UTC)
    local_date = now.astimezone(ZoneInfo(ws.timezone)).strftime("%Y-%m-%d")
    title = " ".join(context.args or []) or t(ws.language, "default_title", date=local_date)
    result = await in_worker(
        context,
        go_live,
        context.state.engine,
        workspace_id=ws.id,
        title=title,
        now=now,
        chat_id=ws.chat_id,
        message_id=message.message_id,
    )
    # a duplicate is the same update processed again after a crash: its answer may never
    # have gone out, so it is given (again)
    if not result.created and not result.duplicate:
        await reply(update, ws.language, "golive_already", id=result.session_id, title=result.title)
        return
    plain = t(ws.language, "golive_plain") if ws.is_private else ""
    await reply(
        update, ws.language, "golive_ok", id=result.session_id, title=result.title, plain=plain
    )


async def _push(update: Update, context: Context, text: str, *, explicit: bool) -> None:
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None
    result = await in_worker(
        context,
        push_stat,
        context.state.engine,
        workspace_id=ws.id,
        text=text,
        now=datetime.now(UTC),
        dedupe_key=f"{ws.chat_id}:{message.message_id}",
    )
    answer = stat_reply(result, ws.language, explicit=explicit)
    await push_reply(context, message, ws, result, answer)  # + forecast, nudge


async def stat_command(update: Update, context: Context) -> None:
    """Store a snapshot: /stat online=1200 gmv=3.4k orders=35."""
    message = update.effective_message
    assert message is not None and message.text is not None
    parts = message.text.split(maxsplit=1)
    await _push(update, context, parts[1] if len(parts) > 1 else "", explicit=True)


async def plain_text(update: Update, context: Context) -> None:
    """In a private chat, plain text is a stat push."""
    message = update.effective_message
    assert message is not None and message.text is not None
    await _push(update, context, message.text, explicit=False)


async def endlive_command(update: Update, context: Context) -> None:
    """Close the open session and say when the summary comes."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None
    now = datetime.now(UTC)
    result = await in_worker(
        context,
        end_live,
        context.state.engine,
        workspace_id=ws.id,
        now=now,
        chat_id=ws.chat_id,
        message_id=message.message_id,
        summary_delay_s=context.state.settings.summary_delay_seconds,
    )
    if result is not None and result.duplicate:  # applied and answered by an earlier delivery
        return
    if result is None:
        await reply(update, ws.language, "no_open_session")
        return
    delay_s = context.state.settings.summary_delay_seconds
    context.state.scheduler.watch(summary_key(result.session_id), now + timedelta(seconds=delay_s))
    delay = fmt_duration(delay_s, ws.language)
    await reply(
        update,
        ws.language,
        "endlive_ok",
        id=result.session_id,
        duration=fmt_duration(result.duration_s, ws.language),
        delay=delay,
    )
