"""Admin commands: /retrain, /models, /rollback, /adminstats — for the numeric user ids
of LIVEHOST_ADMIN_IDS only; anyone else gets a polite refusal and nothing runs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.error import TelegramError

from bot.context import Context
from bot.formatting import fmt_num, fmt_pct
from bot.handlers.common import in_import_worker, in_worker, reply, workspace_of
from bot.i18n import t
from bot.services.admin import (
    AdminStats,
    admin_stats,
    is_admin,
    parse_retrain_args,
    parse_rollback_args,
)
from bot.services.model_overview import KindOverview, model_overview
from bot.services.retrain import (
    AlreadyRunning,
    kind_name,
    metrics_text,
    progress_text,
    retrain_report,
)
from bot.services.workspaces import WorkspaceInfo
from bot.settings_input import INT_LIMIT, ascii_digits

__all__ = ["adminstats_command", "models_command", "retrain_command", "rollback_command"]

log = logging.getLogger("livehost.admin")


async def _admin(update: Update, context: Context) -> WorkspaceInfo | None:
    """The chat's workspace when the sender is an admin; else a refusal and None."""
    ws = await workspace_of(update, context)
    user = update.effective_user
    if not is_admin(context.state.settings.admin_ids, user.id if user else None):
        log.warning("admin command refused for user %s", user.id if user else None)
        await reply(update, ws.language, "admin_only")
        return None
    return ws


async def retrain_command(update: Update, context: Context) -> None:
    """/retrain [buying_power|forecast|all] [force]: train, compare, promote if better."""
    ws = await _admin(update, context)
    if ws is None:
        return
    parsed = parse_retrain_args(context.args or [])
    if parsed is None:
        await reply(update, ws.language, "retrain_usage")
        return
    kinds, force = parsed
    retrainer = context.state.retrainer
    busy = [k for k in kinds if k in retrainer.running]
    if busy:
        await reply(update, ws.language, "retrain_busy", kind=kind_name(busy[0], ws.language))
        return
    names = " + ".join(kind_name(k, ws.language) for k in kinds)
    message = update.effective_message
    assert message is not None
    progress = await message.reply_text(t(ws.language, "retrain_started", kinds=names))
    retrainer.spawn(_retrain_in_chat(context, progress, kinds, force, ws.language))


async def _retrain_in_chat(
    context: Context, progress: Message, kinds: Sequence[str], force: bool, lang: str
) -> None:
    """Train in the process pool, editing ``progress`` meanwhile; then the report."""
    state = context.state

    async def on_progress(kind: str, seconds: float) -> None:
        await progress.edit_text(progress_text(kind, seconds, lang))

    try:
        outcomes = await state.retrainer.run_many(
            kinds,
            state.engine,
            models_dir=state.settings.models_dir,
            force=force,
            on_progress=on_progress,
        )
    except AlreadyRunning as exc:
        await progress.edit_text(t(lang, "retrain_busy", kind=kind_name(str(exc), lang)))
        return
    seconds = round(sum(o.seconds for o in outcomes))
    try:
        await progress.edit_text(t(lang, "retrain_finished", seconds=seconds))
    except TelegramError:
        log.debug("progress message not edited", exc_info=True)
    await progress.reply_text(retrain_report(outcomes, lang))


def _models_text(overview: list[KindOverview], lang: str, zone: str) -> str:
    lines = [t(lang, "models_header")]
    for item in overview:
        lines.append(t(lang, "models_kind", kind=kind_name(item.kind, lang)))
        if not item.versions:
            lines.append(t(lang, "models_none"))
            continue
        for v in item.versions:
            lines.append(
                t(
                    lang,
                    "models_line",
                    mark="✅" if v.active else "▫️",
                    version=v.version,
                    when=v.trained_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"),
                    rows=f"{v.rows_used:,}" if v.rows_used is not None else "—",
                    metrics=metrics_text(item.kind, v.metrics, lang),
                )
            )
        if item.refused is not None:
            lines.append(t(lang, "models_refused", version=item.refused))
        if item.unchecked and item.active is not None:
            lines.append(t(lang, "models_unchecked", version=item.active))
        lines.extend(_drift_lines(item, lang))
    return "\n".join(lines)


def _drift_lines(item: KindOverview, lang: str) -> list[str]:
    drift = item.drift
    if drift is None or item.active is None:
        return []
    if drift.live is None:
        return [t(lang, "models_drift_none", version=item.active)]

    def show(value: float | None) -> str:
        return fmt_pct(value) if drift.metric.startswith("mape") else fmt_num(value, lang)

    unit = "unit_viewers" if item.kind == "buying_power" else "unit_sessions"
    out = [
        t(
            lang,
            "models_drift",
            version=item.active,
            live=show(drift.live),
            n=f"{drift.n:,}",
            unit=t(lang, unit),
            cv=show(drift.cv),
        )
    ]
    if drift.grew and drift.ratio is not None:
        out.append(t(lang, "models_drift_hint", ratio=f"{drift.ratio:.1f}", kind_arg=item.kind))
    return out


async def models_command(update: Update, context: Context) -> None:
    """/models: versions with metrics, the active one, and its drift since training."""
    ws = await _admin(update, context)
    if ws is None:
        return
    overview = await in_import_worker(
        context, model_overview, context.state.engine, models_dir=context.state.settings.models_dir
    )
    message = update.effective_message
    assert message is not None
    await message.reply_text(_models_text(overview, ws.language, ws.timezone))


async def rollback_command(update: Update, context: Context) -> None:
    """/rollback [kind] N: make version N active again (kind: buying_power by default)."""
    ws = await _admin(update, context)
    if ws is None:
        return
    args = [ascii_digits(arg) for arg in context.args or []]
    for arg in args:  # digits Python reads but a version number never has (², ٣…)
        core = arg.lower().lstrip("#").removeprefix("v")
        if any(ch.isdigit() and not "0" <= ch <= "9" for ch in core):
            await reply(update, ws.language, "rollback_not_number", raw=arg)
            return
    parsed = parse_rollback_args(args)
    if parsed is None:
        await reply(update, ws.language, "rollback_usage")
        return
    if parsed[1] > INT_LIMIT:  # beyond any stored version (and any database integer)
        kind_shown = kind_name(parsed[0], ws.language)
        await reply(update, ws.language, "rollback_not_found", kind=kind_shown, version=parsed[1])
        return
    from bot.services.trained_models import rollback
    from core.model_io import ModelRefused
    from storage.errors import ModelVersionNotFound

    kind, version = parsed
    state, name = context.state, kind_name(kind, ws.language)
    try:
        before = await in_worker(
            context, rollback, kind, version, state.engine, models_dir=state.settings.models_dir
        )
    except ModelVersionNotFound:
        await reply(update, ws.language, "rollback_not_found", kind=name, version=version)
        return
    except ModelRefused as exc:
        await reply(
            update, ws.language, "rollback_refused", kind=name, version=version, detail=exc.reason
        )
        return
    shown = f"v{before}" if before is not None else t(ws.language, "never")
    await reply(update, ws.language, "rollback_ok", kind=name, version=version, before=shown)


def _stats_text(stats: AdminStats, lang: str, zone: str) -> str:
    def when(moment: datetime | None) -> str:
        if moment is None:
            return t(lang, "never")
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

    size = "—" if stats.db_bytes is None else f"{stats.db_bytes / 1e6:,.1f} MB"
    return t(
        lang,
        "adminstats",
        active=f"{stats.workspaces_active:,}",
        inactive=f"{stats.workspaces_inactive:,}",
        sessions=f"{stats.sessions:,}",
        snapshots=f"{stats.snapshots:,}",
        minutes=f"{stats.minute_rows:,}",
        viewers=f"{stats.viewer_rows:,}",
        past=f"{stats.past_sessions:,}",
        size=size,
        bp=when(stats.last_retrain.get("buying_power")),
        fc=when(stats.last_retrain.get("forecast")),
    )


async def adminstats_command(update: Update, context: Context) -> None:
    """/adminstats: workspaces, sessions, rows, database size, last retrain."""
    ws = await _admin(update, context)
    if ws is None:
        return
    stats = await in_worker(context, admin_stats, context.state.engine)
    message = update.effective_message
    assert message is not None
    await message.reply_text(_stats_text(stats, ws.language, ws.timezone))
