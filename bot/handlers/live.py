"""/golive, /stat (and plain text: in a private chat, or in a group as a reply to the bot
or a message that mentions it), /undo, /endlive — and the answer to a push (its forecast
line, its "details" button, the nudge it may bring).

Each is timed by the message's own date, not by when it is processed: pushes queued while
the bot was down keep their moments.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from bot.context import CachedInsight, Context
from bot.formatting import fmt_duration
from bot.handlers.common import (
    forget_cached_workspace,
    in_worker,
    may_manage,
    reply,
    workspace_of,
)
from bot.i18n import t
from bot.presenters import stat_reply_parts, undo_reply
from bot.services.details import details_keyboard
from bot.services.live import (
    EndLiveResult,
    StatResult,
    answered_pushes,
    end_live,
    go_live,
    note_answer,
    push_stat,
    undo_push,
)
from bot.services.nudges import LiveInsight, forecast_line, live_insight
from bot.services.outbox import BoxedReply
from bot.services.summaries import summary_key
from bot.services.workspaces import WorkspaceInfo, register_start
from bot.timeline_text import recognise

__all__ = [
    "AddressedToBot",
    "endlive_command",
    "golive_command",
    "message_time",
    "plain_text",
    "push_reply",
    "stat_command",
    "undo_command",
]

UNDO_WORDS = frozenset({"undo", "撤回", "撤销", "撤回上一条", "撤销上一条", "撤回这条"})
"""Plain text that means /undo."""

INSIGHT_EVERY_S = 60.0
"""How often a chat's pushes recompute the forecast and check for a nudge."""


def message_time(message: Message) -> datetime:
    """When the message was sent (Telegram's date, UTC)."""
    return message.date.astimezone(UTC)


def _mention(username: str | None) -> re.Pattern[str] | None:
    if not username:
        return None
    return re.compile(rf"@{re.escape(username)}(?![A-Za-z0-9_])", re.IGNORECASE)


class AddressedToBot(filters.MessageFilter):
    """A message that replies to the bot or mentions it by @username — what Telegram
    delivers to a bot in privacy mode in a group."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        replied = message.reply_to_message
        replied_by = replied.from_user if replied is not None else None
        if replied_by is not None and replied_by.id == bot.id:
            return True
        pattern = _mention(bot.username)
        return pattern is not None and pattern.search(message.text or "") is not None


async def golive_command(update: Update, context: Context) -> None:
    """Open a live session (one open per workspace)."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None
    if ws.is_private and not ws.started:  # going live is a start: no greeting mid-stream
        ws = await in_worker(
            context,
            register_start,
            context.state.engine,
            workspace_id=ws.id,
            user_id=message.chat_id,
        )
        forget_cached_workspace(context)
    now = message_time(message)
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
        now=message_time(message),
        dedupe_key=_message_key(message),
        author_id=_author(message),
    )
    if result.status == "ok" and result.currency != ws.currency:  # a first money symbol
        forget_cached_workspace(context)
        ws = replace(ws, currency=result.currency)
    await push_reply(context, message, ws, result, explicit=explicit)  # + forecast, nudge


async def stat_command(update: Update, context: Context) -> None:
    """Store a snapshot: /stat online=1200 gmv=3.4k orders=35."""
    message = update.effective_message
    assert message is not None and message.text is not None
    parts = message.text.split(maxsplit=1)
    await _push(update, context, parts[1] if len(parts) > 1 else "", explicit=True)


async def plain_text(update: Update, context: Context) -> None:
    """Plain text is a stat push: in a private chat, and in a group when it replies to the bot
    or mentions it (the mention itself is not part of the numbers)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    text = message.text
    pattern = _mention(message.get_bot().username)
    if pattern is not None:
        text = pattern.sub(" ", text)
    if text.strip().lower() in UNDO_WORDS:
        await undo_command(update, context)
        return
    cue = recognise(text)  # a product presented or an event, before the numbers
    if cue is not None:
        from bot.handlers.timeline import timeline_cue

        await timeline_cue(update, context, cue)
        return
    await _push(update, context, text, explicit=False)


async def undo_command(update: Update, context: Context) -> None:
    """Take back a push: the one this replies to, else the open session's latest."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None
    target = message.reply_to_message
    key: str | None = None
    author: int | None = None
    if target is not None and _author(target) == context.bot.id:
        # a reply to one of the bot's answers: the push that answer answered
        pushes = await in_worker(
            context,
            answered_pushes,
            context.state.engine,
            workspace_id=ws.id,
            answer_id=target.message_id,
        )
        if len(pushes) != 1:
            name = "undo_answer_of_several" if pushes else "undo_answer_unknown"
            await reply(update, ws.language, name, n=len(pushes))
            return
        key, author = pushes[0].dedupe_key, pushes[0].author_id
    elif target is not None:
        key, author = _message_key(target), _author(target)
    if not ws.is_private:
        user = update.effective_user
        own = key is not None and user is not None and author == user.id
        if not own and not await may_manage(update, context, ws):
            await reply(update, ws.language, "undo_not_yours")
            return
    result = await in_worker(
        context,
        undo_push,
        context.state.engine,
        workspace_id=ws.id,
        dedupe_key=key,
        request_key=_message_key(message),
    )
    if result.status == "removed" and context.chat_data is not None:
        context.chat_data.insight = None  # the next push forecasts without the one taken back
    await message.reply_text(undo_reply(result, ws.language, ws.currency))


def _author(message: Message) -> int | None:
    return message.from_user.id if message.from_user is not None else None


def _message_key(message: Message) -> str:
    """A message's key, under which the push it carried is stored: chat and message id."""
    return f"{message.chat_id}:{message.message_id}"


def _ended_before_text(
    lang: str, result: EndLiveResult, now: datetime
) -> tuple[str, dict[str, object]]:
    """The answer to an /endlive applied before (sent again after a crash): which session
    it ended and where its summary is."""
    if not result.session_id:
        return "no_open_session", {}
    params: dict[str, object] = {
        "id": result.session_id,
        "title": result.title,
        "duration": fmt_duration(result.duration_s, lang),
    }
    if result.summary_state == "pending" and result.summary_due is not None:
        left = (result.summary_due - now).total_seconds()
        return "endlive_again_pending", {**params, "delay": fmt_duration(max(left, 60.0), lang)}
    state = "sent" if result.summary_state == "sent" else "none"
    return f"endlive_again_{state}", params


async def endlive_command(update: Update, context: Context) -> None:
    """Close the open session and say when the summary comes."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None
    now = message_time(message)
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
    if result is not None and result.duplicate:  # applied before: its answer may be lost
        key, params = _ended_before_text(ws.language, result, context.state.scheduler.now())
        await reply(update, ws.language, key, **params)
        return
    if result is None:
        await reply(update, ws.language, "no_open_session")
        return
    if result.summary_due is not None:  # the due time the service scheduled, not a second one
        context.state.scheduler.watch(summary_key(result.session_id), result.summary_due)
    delay = fmt_duration(context.state.settings.summary_delay_seconds, ws.language)
    await reply(
        update,
        ws.language,
        "endlive_ok",
        id=result.session_id,
        duration=fmt_duration(result.duration_s, ws.language),
        delay=delay,
    )


async def push_reply(
    context: Context, message: Message, ws: WorkspaceInfo, result: StatResult, *, explicit: bool
) -> None:
    """Answer a push (`bot.presenters.stat_reply`) plus, while live, the GMV forecast and a
    button to the figures behind it; then let the scheduler send the nudge made when
    attention slipped (after the answer). In a group the answer joins the group's box
    (`bot.services.outbox`): answers waiting for the group's pace go out as one.

    The forecast and the nudge check read the session's history: they run at most once
    per ``INSIGHT_EVERY_S`` per chat, and pushes in between reuse the last forecast."""
    own, live = stat_reply_parts(result, ws.language, explicit=explicit)
    insight = None
    if result.status == "ok" and result.session_id is not None:
        insight = await _insight(context, ws, result.session_id)
        forecast = forecast_line(insight.forecast, ws.language, ws.currency).strip()
        if forecast:
            live = [*live, forecast]
    markup = _details_markup(message, ws, result)
    pushed = (_message_key(message),) if result.status == "ok" else ()
    if ws.is_private:
        text = "\n".join(own[:1] + live + own[1:])
        sent = await message.reply_text(text, reply_markup=markup)
        if pushed:  # so that /undo replying to this answer finds the push
            await in_worker(
                context,
                note_answer,
                context.state.engine,
                dedupe_keys=pushed,
                answer_id=sent.message_id,
            )
    else:
        boxed = BoxedReply(message.message_id, ws.language, own, live, markup, pushed)
        context.state.outbox.post(context.bot, message.chat_id, boxed)
    if insight is not None and insight.nudge_key is not None and insight.nudge_due is not None:
        context.state.scheduler.watch(insight.nudge_key, insight.nudge_due)


async def _insight(context: Context, ws: WorkspaceInfo, session_id: int) -> LiveInsight:
    chat = context.chat_data
    now = context.state.scheduler.now()
    cached = chat.insight if chat is not None else None
    if (
        cached is not None
        and cached.session_id == session_id
        and ((now - cached.at).total_seconds() < INSIGHT_EVERY_S)
    ):
        return replace(cached.insight, nudge_key=None, nudge_due=None)
    insight = await in_worker(  # stored history and a small fit: quick
        context,
        live_insight,
        context.state.engine,
        workspace_id=ws.id,
        session_id=session_id,
        now=now,
        models_dir=context.state.settings.models_dir,
    )
    if chat is not None:
        chat.insight = CachedInsight(session_id, now, insight)
    return insight


def _details_markup(
    message: Message, ws: WorkspaceInfo, result: StatResult
) -> InlineKeyboardMarkup | None:
    """The "details" button under an answer that has figures behind it (λ and its counts);
    in a group only the one who pushed may press it."""
    if result.status != "ok" or result.session_id is None or result.lambda_per_s is None:
        return None
    asker = message.from_user.id if message.from_user is not None and not ws.is_private else 0
    return details_keyboard(ws.language, "p", result.session_id, asker)
