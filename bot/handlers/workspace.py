"""/start, /help and the settings: /lang, /tz, /digest, /nudges, /currency — plus first
contact (text before /start gets a greeting with buttons) and the time-zone question
/start asks.

Every setting command without an argument shows the current value. In a group, a change
is for the chat's administrators and the member who ran /start (`require_manager`); a
button works only for the person it was made for.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.handlers.common import (
    answer_button,
    button_owner_ok,
    edit_button_message,
    forget_cached_workspace,
    in_worker,
    may_manage,
    reply,
    require_manager,
    workspace_of,
)
from bot.i18n import LANGUAGE_NAMES, t
from bot.services.digests import configure_digest
from bot.services.nudges import set_nudges
from bot.services.sending import ChatGone
from bot.services.workspaces import (
    TimezoneSet,
    UnknownCurrency,
    UnknownLanguage,
    UnknownTimezone,
    WorkspaceInfo,
    register_start,
    set_currency,
    set_language,
    set_timezone,
)
from bot.settings_input import COMMON_ZONES, parse_digest, parse_onoff, parse_zone

__all__ = [
    "HELLO_PATTERN",
    "TZ_PATTERN",
    "currency_command",
    "digest_command",
    "first_contact_text",
    "hello_button",
    "help_command",
    "lang_command",
    "nudges_command",
    "start_command",
    "tz_button",
    "tz_command",
]

HELLO_PATTERN = r"^hello:(en|zh|start):\d+$"
"""Callback data of the greeting's buttons: ``hello:{en|zh|start}:{user id}``."""
TZ_PATTERN = r"^tz:[A-Za-z_/+\-0-9]+:\d+$"
"""Callback data of the time-zone buttons: ``tz:{zone}:{user id}``."""

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGIT = re.compile(r"[0-9\uff10-\uff19]")


def _help_text(lang: str, is_private: bool) -> str:
    return t(lang, "help", plain_hint=t(lang, "help_plain_hint") if is_private else "")


def _local_now(zone: str) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).strftime("%H:%M")


def _user_id(update: Update) -> int:
    user = update.effective_user
    return user.id if user is not None else 0


def _tz_keyboard(lang: str, user_id: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(t(lang, f"zone_{zone}"), callback_data=f"tz:{zone}:{user_id}")
        for zone, _, _ in COMMON_ZONES
    ]
    return InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])


async def _started(update: Update, context: Context, ws: WorkspaceInfo) -> None:
    """Register the sender as the workspace's owner (first /start), greet with the guide,
    and ask the time zone while it is not chosen."""
    user_id = _user_id(update)
    ws = await in_worker(
        context, register_start, context.state.engine, workspace_id=ws.id, user_id=user_id or None
    )
    forget_cached_workspace(context)
    message = update.effective_message
    assert message is not None
    text = t(ws.language, "start", help=_help_text(ws.language, ws.is_private))
    if ws.tz_confirmed:
        await message.reply_text(text)
        return
    # one message: the guide, then the question with its buttons at the bottom
    question = t(ws.language, "tz_question", tz=ws.timezone, now=_local_now(ws.timezone))
    await message.reply_text(
        f"{text}\n\n{question}", reply_markup=_tz_keyboard(ws.language, user_id)
    )


async def start_command(update: Update, context: Context) -> None:
    """Register the chat as a workspace, show the short guide, ask the time zone."""
    ws = await workspace_of(update, context)
    await _started(update, context, ws)


async def help_command(update: Update, context: Context) -> None:
    """Show the short guide with examples."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    if message is not None:
        await message.reply_text(_help_text(ws.language, ws.is_private))


async def lang_command(update: Update, context: Context) -> None:
    """/lang: the language; /lang english|中文|chinese|zh-CN… sets it."""
    ws = await workspace_of(update, context)
    if not context.args:
        await reply(update, ws.language, "lang_current")
        return
    if not await require_manager(update, context, ws):
        return
    try:
        choice = await in_worker(
            context,
            set_language,
            context.state.engine,
            workspace_id=ws.id,
            language=" ".join(context.args),
        )
    except UnknownLanguage:
        await reply(update, ws.language, "lang_not_known")
        return
    forget_cached_workspace(context)
    await reply(update, choice, "lang_set")


def _tz_set_text(lang: str, result: TimezoneSet) -> str:
    now = _local_now(result.zone)
    if result.next_digest is None:
        return t(lang, "tz_set_no_digest", tz=result.zone, now=now)
    nxt = result.next_digest[1].astimezone(ZoneInfo(result.zone)).strftime("%Y-%m-%d %H:%M")
    return t(lang, "tz_set_digest", tz=result.zone, now=now, time=result.digest_time, next=nxt)


def _tz_problem_text(lang: str, exc: UnknownTimezone) -> str:
    answer, raw = exc.answer, exc.name.strip()
    if answer.problem == "region":
        return t(lang, "tz_region", tz=raw, examples=", ".join(answer.examples))
    if answer.problem == "not_canonical" and answer.examples:
        return t(lang, "tz_not_canonical", tz=raw, zone=answer.examples[0])
    return t(lang, "tz_not_known", tz=raw)


async def _apply_timezone(context: Context, ws: WorkspaceInfo, text: str) -> TimezoneSet:
    """Set the zone (UnknownTimezone propagates) and let the job queue see the digest
    re-planned on it."""
    result = await in_worker(
        context,
        set_timezone,
        context.state.engine,
        workspace_id=ws.id,
        timezone=text,
        now=context.state.scheduler.now(),
    )
    forget_cached_workspace(context)
    if result.next_digest is not None:
        context.state.scheduler.watch(*result.next_digest)
    return result


async def tz_command(update: Update, context: Context) -> None:
    """/tz: the time zone; /tz Beijing|北京|UTC+8|Asia/Shanghai sets it (and re-plans the
    pending digest on the new local time)."""
    ws = await workspace_of(update, context)
    if not context.args:
        await reply(update, ws.language, "tz_current", tz=ws.timezone, now=_local_now(ws.timezone))
        return
    if not await require_manager(update, context, ws):
        return
    text = " ".join(context.args)
    try:
        result = await _apply_timezone(context, ws, text)
    except UnknownTimezone as exc:
        message = update.effective_message
        assert message is not None
        await message.reply_text(_tz_problem_text(ws.language, exc))
        return
    message = update.effective_message
    assert message is not None
    await message.reply_text(_tz_set_text(ws.language, result))


async def tz_button(update: Update, context: Context) -> None:
    """A time-zone button of the /start question (for the one who ran /start)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, zone, raw_owner = query.data.split(":")
    ws = await workspace_of(update, context)
    if not button_owner_ok(update, int(raw_owner)):
        await answer_button(query, t(ws.language, "button_not_yours"), show_alert=True)
        return
    if not await may_manage(update, context, ws):  # a later /start by a group's member
        await answer_button(query, t(ws.language, "settings_admins_only"), show_alert=True)
        return
    try:
        result = await _apply_timezone(context, ws, zone)
    except UnknownTimezone as exc:
        await answer_button(query)
        await edit_button_message(query, _tz_problem_text(ws.language, exc))
        return
    await answer_button(query)
    await edit_button_message(query, _tz_set_text(ws.language, result))


async def digest_command(update: Update, context: Context) -> None:
    """/digest: the current setting; /digest 21:30|9am|早上9点|off|on|now changes it."""
    ws = await workspace_of(update, context)
    raw = " ".join(context.args or []).strip()
    if not raw:
        key = "digest_current_on" if ws.digest_enabled else "digest_current_off"
        await reply(update, ws.language, key, time=ws.digest_time, tz=ws.timezone)
        return
    choice = parse_digest(raw)
    scheduler = context.state.scheduler
    if choice == "now":  # a digest now changes nothing: anyone may ask
        try:
            sent = await scheduler.send_digest_now(ws.id)
        except ChatGone:
            return
        if not sent:
            await reply(update, ws.language, "digest_now_empty")
        return
    if choice is None:
        await reply(update, ws.language, "digest_not_understood", raw=raw)
        return
    if not await require_manager(update, context, ws):
        return
    engine = context.state.engine
    if choice == "off":
        await in_worker(
            context,
            configure_digest,
            engine,
            workspace_id=ws.id,
            now=scheduler.now(),
            enabled=False,
        )
        forget_cached_workspace(context)
        await reply(update, ws.language, "digest_off")
        return
    setting = await in_worker(
        context,
        configure_digest,
        engine,
        workspace_id=ws.id,
        now=scheduler.now(),
        time=None if choice == "on" else choice,
        enabled=True,
    )
    forget_cached_workspace(context)
    if setting.next_key is not None and setting.next_due is not None:
        scheduler.watch(setting.next_key, setting.next_due)
    next_local = (
        setting.next_due.astimezone(ZoneInfo(setting.timezone)).strftime("%Y-%m-%d %H:%M")
        if setting.next_due is not None
        else "—"
    )
    await reply(
        update,
        ws.language,
        "digest_set",
        time=setting.time,
        tz=setting.timezone,
        next=next_local,
    )


async def nudges_command(update: Update, context: Context) -> None:
    """/nudges: whether they are on; /nudges on|off|开|关 switches them."""
    ws = await workspace_of(update, context)
    raw = " ".join(context.args or []).strip()
    if not raw:
        key = "nudges_current_on" if ws.nudges_enabled else "nudges_current_off"
        await reply(update, ws.language, key)
        return
    enabled = parse_onoff(raw)
    if enabled is None:
        await reply(update, ws.language, "nudges_not_understood", raw=raw)
        return
    if not await require_manager(update, context, ws):
        return
    await in_worker(context, set_nudges, context.state.engine, workspace_id=ws.id, enabled=enabled)
    forget_cached_workspace(context)
    await reply(update, ws.language, "nudges_on" if enabled else "nudges_off")


async def currency_command(update: Update, context: Context) -> None:
    """/currency: the workspace's currency; /currency CNY|USD|IDR|￥|泰铢… sets it."""
    ws = await workspace_of(update, context)
    raw = " ".join(context.args or []).strip()
    if not raw:
        if ws.currency is None:
            await reply(update, ws.language, "currency_none")
        else:
            await reply(update, ws.language, "currency_current", currency=ws.currency)
        return
    if not await require_manager(update, context, ws):
        return
    try:
        code = await in_worker(
            context, set_currency, context.state.engine, workspace_id=ws.id, currency=raw
        )
    except UnknownCurrency:
        await reply(update, ws.language, "currency_not_known", raw=raw)
        return
    forget_cached_workspace(context)
    await reply(update, ws.language, "currency_set", currency=code)


# --------------------------------------------------------------------------- first contact


def _greeting_keyboard(lang: str, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(LANGUAGE_NAMES["zh"], callback_data=f"hello:zh:{user_id}"),
                InlineKeyboardButton(LANGUAGE_NAMES["en"], callback_data=f"hello:en:{user_id}"),
            ],
            [
                InlineKeyboardButton(
                    t(lang, "greeting_start"), callback_data=f"hello:start:{user_id}"
                )
            ],
        ]
    )


async def first_contact_text(update: Update, context: Context) -> None:
    """Plain text in a private chat, looked at before it is read as numbers:

    - before /start, text without digits (hi, 你好, help, "what can you do?") gets the
      greeting with 中文 / English / Start buttons (in Chinese when written in Chinese);
    - after /start, while the time zone is not chosen, a city or offset sets it;
    - Chinese text without digits in an English workspace is offered 中文.

    Anything else goes on to the push parser."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = message.text.strip()
    ws = await workspace_of(update, context)
    has_digits = _DIGIT.search(text) is not None
    chinese = _CJK.search(text) is not None
    user_id = _user_id(update)
    if not ws.started:
        if has_digits:
            return
        lang = "zh" if chinese else ws.language
        await message.reply_text(
            t(lang, "greeting"), reply_markup=_greeting_keyboard(lang, user_id)
        )
        raise ApplicationHandlerStop
    if not ws.tz_confirmed and len(text) <= 40 and parse_zone(text).zone is not None:
        result = await _apply_timezone(context, ws, text)
        await message.reply_text(_tz_set_text(ws.language, result))
        raise ApplicationHandlerStop
    if chinese and not has_digits and ws.language == "en":
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(LANGUAGE_NAMES["zh"], callback_data=f"hello:zh:{user_id}")]]
        )
        await message.reply_text(t("zh", "offer_chinese"), reply_markup=keyboard)
        raise ApplicationHandlerStop


async def hello_button(update: Update, context: Context) -> None:
    """The greeting's buttons: 中文 / English set the language and start; Start starts."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, choice, raw_owner = query.data.split(":")
    ws = await workspace_of(update, context)
    if not button_owner_ok(update, int(raw_owner)):
        await answer_button(query, t(ws.language, "button_not_yours"), show_alert=True)
        return
    if choice in ("en", "zh") and await may_manage(update, context, ws):
        await in_worker(
            context, set_language, context.state.engine, workspace_id=ws.id, language=choice
        )
        forget_cached_workspace(context)
        ws = await workspace_of(update, context)
    await answer_button(query)
    with contextlib.suppress(BadRequest):  # gone already: the press processed again
        await query.edit_message_reply_markup(reply_markup=None)
    if ws.started and choice != "start":
        await reply(update, ws.language, "lang_set")
        return
    await _started(update, context, ws)
