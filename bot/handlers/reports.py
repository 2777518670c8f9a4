"""/summary [id], /sessions — and what a live push adds (the forecast line, the nudge).
(/digest and /nudges are settings: `bot.handlers.workspace`.)"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Message, Update

from bot.context import CachedInsight, Context
from bot.formatting import fmt_duration, fmt_money
from bot.handlers.common import in_compute_worker, in_worker, reply, workspace_of
from bot.i18n import t
from bot.services.live import StatResult
from bot.services.nudges import forecast_line, live_insight
from bot.services.sending import ChatGone, split_text
from bot.services.summaries import last_session_id, list_session_lines
from bot.services.workspaces import WorkspaceInfo
from bot.settings_input import parse_int_arg

__all__ = [
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
        found = await context.state.scheduler.send_summary_now(ws.id, session_id)
    except ChatGone:
        return
    if not found:
        await reply(update, ws.language, "summary_not_found", id=session_id)


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
    context: Context, message: Message, ws: WorkspaceInfo, result: StatResult, text: str
) -> None:
    """Answer a push with ``text`` plus, while live, the GMV forecast; then let the
    scheduler send the nudge made when attention slipped (after the answer).

    The forecast and the nudge check read the session's history: they run at most once
    per ``INSIGHT_EVERY_S`` per chat, and pushes in between reuse the last forecast."""
    if result.status != "ok" or result.session_id is None:
        await message.reply_text(text)
        return
    chat = context.chat_data
    now = datetime.now(UTC)
    cached = chat.insight if chat is not None else None
    if (
        cached is not None
        and cached.session_id == result.session_id
        and ((now - cached.at).total_seconds() < INSIGHT_EVERY_S)
    ):
        await message.reply_text(
            text + forecast_line(cached.insight.forecast, ws.language, ws.currency)
        )
        return
    insight = await in_worker(  # stored history and a small fit: quick
        context,
        live_insight,
        context.state.engine,
        workspace_id=ws.id,
        session_id=result.session_id,
        now=now,
        models_dir=context.state.settings.models_dir,
    )
    if chat is not None:
        chat.insight = CachedInsight(result.session_id, now, insight)
    await message.reply_text(text + forecast_line(insight.forecast, ws.language, ws.currency))
    if insight.nudge_key is not None and insight.nudge_due is not None:
        context.state.scheduler.watch(insight.nudge_key, insight.nudge_due)
