"""/summary [id], /sessions — and what a live push adds (the forecast line, the nudge).
(/digest and /nudges are settings: `bot.handlers.workspace`.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Message, Update

from bot.context import CachedInsight, Context
from bot.formatting import fmt_duration, fmt_money
from bot.handlers.common import (
    button_owner_ok,
    in_compute_worker,
    in_worker,
    reply,
    workspace_of,
)
from bot.i18n import t
from bot.presenters import details_text, stat_reply_parts
from bot.services.details import details_keyboard, session_details
from bot.services.live import StatResult
from bot.services.nudges import LiveInsight, forecast_line, live_insight
from bot.services.outbox import BoxedReply
from bot.services.sending import ChatGone, split_text
from bot.services.summaries import last_session_id, list_session_lines
from bot.services.workspaces import WorkspaceInfo
from bot.settings_input import parse_int_arg

__all__ = [
    "DETAILS_PATTERN",
    "details_button",
    "push_reply",
    "sessions_command",
    "summary_command",
]

INSIGHT_EVERY_S = 60.0
"""How often a chat's pushes recompute the forecast and check for a nudge."""


async def summary_command(update: Update, context: Context) -> None:
    """/summary [id]: the session's summary now (the last session's without an id)."""
    ws = await workspace_of(update, context)
    args = context.args or []
    if args:
        parsed = parse_int_arg(args[0])
        if parsed.value is None:
            too_large = parsed.problem == "too_large"
            key = "summary_id_too_large" if too_large else "summary_id_not_number"
            await reply(update, ws.language, key, raw=args[0])
            return
        session_id: int | None = parsed.value
    else:
        session_id = await in_worker(
            context, last_session_id, context.state.engine, workspace_id=ws.id
        )
        if session_id is None:
            await reply(update, ws.language, "summary_none")
            return
    assert session_id is not None
    try:
        found = await context.state.scheduler.send_summary_now(
            ws.id, session_id, asker=_asker(update, ws)
        )
    except ChatGone:
        return
    if not found:
        await reply(update, ws.language, "summary_not_found", id=session_id)


def _asker(update: Update, ws: WorkspaceInfo) -> int:
    """Who may press the buttons of an answer: in a group the one who asked (0: anyone)."""
    user = update.effective_user
    return user.id if user is not None and not ws.is_private else 0


async def sessions_command(update: Update, context: Context) -> None:
    """/sessions: the latest sessions, newest first."""
    ws = await workspace_of(update, context)
    lines = await in_compute_worker(
        context, list_session_lines, context.state.engine, workspace_id=ws.id
    )
    if not lines:
        await reply(update, ws.language, "sessions_none")
        return
    zone = ZoneInfo(ws.timezone)
    out = [t(ws.language, "sessions_header")]
    for line in lines:
        out.append(
            t(
                ws.language,
                "sessions_line",
                id=line.session_id,
                title=line.title or "—",
                when=line.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                duration=(
                    t(ws.language, "sessions_open")
                    if line.status == "open"
                    else fmt_duration(line.duration_s, ws.language)
                ),
                gmv=fmt_money(line.gmv, ws.language, ws.currency),
            )
        )
    out.append(t(ws.language, "sessions_footer"))
    message = update.effective_message
    assert message is not None
    for part in split_text("\n".join(out)):
        await message.reply_text(part)


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
    if ws.is_private:
        text = "\n".join(own[:1] + live + own[1:])
        await message.reply_text(text, reply_markup=markup)
    else:
        boxed = BoxedReply(message.message_id, ws.language, own, live, markup)
        context.state.outbox.post(context.bot, message.chat_id, boxed)
    if insight is not None and insight.nudge_key is not None and insight.nudge_due is not None:
        context.state.scheduler.watch(insight.nudge_key, insight.nudge_due)


async def _insight(context: Context, ws: WorkspaceInfo, session_id: int) -> LiveInsight:
    chat = context.chat_data
    now = datetime.now(UTC)
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


DETAILS_PATTERN = r"^det:[ps]:\d+:\d+$"


async def details_button(update: Update, context: Context) -> None:
    """The "details" button: the figures behind an answer or a summary, in the workspace's
    language; in a group only for the one who asked (0: anyone)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, kind, raw_session, raw_owner = query.data.split(":")
    ws = await workspace_of(update, context)
    if not button_owner_ok(update, int(raw_owner) or None):
        await query.answer(t(ws.language, "button_not_yours"), show_alert=True)
        return
    await query.answer()
    details = await in_compute_worker(
        context,
        session_details,
        context.state.engine,
        workspace_id=ws.id,
        session_id=int(raw_session),
        kind="s" if kind == "s" else "p",
    )
    if details is None:
        await reply(update, ws.language, "summary_not_found", id=raw_session)
        return
    message = update.effective_message
    assert message is not None
    await message.reply_text(details_text(details, ws.language, ws.currency))
