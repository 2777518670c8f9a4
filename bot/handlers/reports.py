"""/summary [id], /sessions, /digest HH:MM|off|now, /nudges on|off — and what a live push
adds (the forecast line, the nudge)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import Message, Update

from bot.context import CachedInsight, Context
from bot.formatting import fmt_duration, fmt_money
from bot.handlers.common import in_compute_worker, in_worker, reply, workspace_of
from bot.i18n import t
from bot.services.digests import configure_digest
from bot.services.live import StatResult
from bot.services.nudges import forecast_line, live_insight, set_nudges
from bot.services.sending import ChatGone, split_text
from bot.services.summaries import last_session_id, list_session_lines
from bot.services.workspaces import WorkspaceInfo

__all__ = [
    "digest_command",
    "nudges_command",
    "parse_hhmm",
    "push_reply",
    "sessions_command",
    "summary_command",
]

INSIGHT_EVERY_S = 60.0
"""How often a chat's pushes recompute the forecast and check for a nudge."""

_HHMM = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def parse_hhmm(text: str) -> str | None:
    """`9:05`, `09:05`, `21：30` → `HH:MM`; None for anything else."""
    match = _HHMM.match(text.strip())
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


async def summary_command(update: Update, context: Context) -> None:
    """/summary [id]: the session's summary now (the last session's without an id)."""
    ws = await workspace_of(update, context)
    args = context.args or []
    if args:
        raw = args[0].lstrip("#")
        if not raw.isdigit():
            await reply(update, ws.language, "summary_usage")
            return
        session_id: int | None = int(raw)
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
                gmv=fmt_money(line.gmv, ws.language),
            )
        )
    out.append(t(ws.language, "sessions_footer"))
    message = update.effective_message
    assert message is not None
    for part in split_text("\n".join(out)):
        await message.reply_text(part)


async def digest_command(update: Update, context: Context) -> None:
    """/digest HH:MM | off | now."""
    ws = await workspace_of(update, context)
    args = [a.lower() for a in (context.args or [])]
    scheduler = context.state.scheduler
    engine = context.state.engine
    if args == ["now"]:
        try:
            sent = await scheduler.send_digest_now(ws.id)
        except ChatGone:
            return
        if not sent:
            await reply(update, ws.language, "digest_now_empty")
        return
    if args in (["off"], ["关"], ["关闭"]):
        await in_worker(
            context, configure_digest, engine, workspace_id=ws.id, now=scheduler.now(),
            enabled=False,
        )
        await reply(update, ws.language, "digest_off")
        return
    hhmm = parse_hhmm(args[0]) if len(args) == 1 else None
    if args in (["on"], ["开"], ["开启"]):
        hhmm = None
    elif hhmm is None:
        await reply(update, ws.language, "digest_usage")
        return
    setting = await in_worker(
        context, configure_digest, engine, workspace_id=ws.id, now=scheduler.now(), time=hhmm,
        enabled=True,
    )
    if setting.next_key is not None and setting.next_due is not None:
        scheduler.watch(setting.next_key, setting.next_due)
    next_local = (
        setting.next_due.astimezone(ZoneInfo(setting.timezone)).strftime("%Y-%m-%d %H:%M")
        if setting.next_due is not None
        else "—"
    )
    await reply(
        update, ws.language, "digest_set", time=setting.time, tz=setting.timezone,
        next=next_local,
    )


async def nudges_command(update: Update, context: Context) -> None:
    """/nudges on|off."""
    ws = await workspace_of(update, context)
    args = [a.lower() for a in (context.args or [])]
    if args not in (["on"], ["off"], ["开"], ["关"]):
        await reply(update, ws.language, "nudges_usage")
        return
    enabled = args[0] in ("on", "开")
    await in_worker(
        context, set_nudges, context.state.engine, workspace_id=ws.id, enabled=enabled
    )
    await reply(update, ws.language, "nudges_on" if enabled else "nudges_off")


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
    if cached is not None and cached.session_id == result.session_id and (
        (now - cached.at).total_seconds() < INSIGHT_EVERY_S
    ):
        await message.reply_text(text + forecast_line(cached.insight.forecast, ws.language))
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
    await message.reply_text(text + forecast_line(insight.forecast, ws.language))
    if insight.nudge_key is not None and insight.nudge_due is not None:
        context.state.scheduler.watch(insight.nudge_key, insight.nudge_due)
