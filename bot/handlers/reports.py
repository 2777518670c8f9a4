"""/summary [id], /sessions and the "details" button. (What a live push adds — the
forecast line, the nudge — is in `bot.handlers.live`; /digest and /nudges are settings:
`bot.handlers.workspace`.)"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update

from bot.context import Context
from bot.formatting import fmt_duration, fmt_money, fmt_title
from bot.handlers.common import (
    button_owner_ok,
    in_compute_worker,
    in_worker,
    reply,
    workspace_of,
)
from bot.i18n import t
from bot.presenters import details_text
from bot.sends.summary import NOT_SENT_KEYS
from bot.services.details import session_details
from bot.services.sending import ChatGone, split_text
from bot.services.summaries import last_session_id, list_session_lines
from bot.services.workspaces import WorkspaceInfo
from bot.settings_input import parse_int_arg

__all__ = [
    "DETAILS_PATTERN",
    "details_button",
    "sessions_command",
    "summary_command",
]


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
        outcome = await context.state.scheduler.send_summary_now(
            ws.id, session_id, asker=_asker(update, ws)
        )
    except ChatGone:
        return
    if outcome != "sent":
        await reply(update, ws.language, NOT_SENT_KEYS[outcome], id=session_id)


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
                "sessions_line" if line.session_id is not None else "sessions_line_platform",
                id=line.session_id,
                title=fmt_title(line.title, ws.language),
                when=line.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                duration=(
                    t(ws.language, "sessions_open")
                    if line.status == "open"
                    else fmt_duration(line.duration_s, ws.language)
                ),
                gmv=fmt_money(line.gmv, ws.language, ws.currency),
            )
        )
    if any(line.session_id is not None for line in lines):
        out.append(t(ws.language, "sessions_footer"))
    if any(line.session_id is None for line in lines):
        out.append(t(ws.language, "sessions_footer_platform"))
    message = update.effective_message
    assert message is not None
    for part in split_text("\n".join(out)):
        await message.reply_text(part)


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
