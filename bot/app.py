"""The one wiring function: settings in, a ready python-telegram-bot Application out."""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.context import App, AppState, ChatState, Context
from bot.handlers.admin import (
    adminstats_command,
    models_command,
    retrain_command,
    rollback_command,
)
from bot.handlers.common import ChatAdmins
from bot.handlers.data import FORGET_PATTERN, export_command, forget_button, forget_command
from bot.handlers.errors import ErrorAlerts, error_handler
from bot.handlers.files import (
    COLUMN_PATTERN,
    SUMMARY_PATTERN,
    column_button,
    document_message,
    summary_button,
)
from bot.handlers.live import (
    AddressedToBot,
    endlive_command,
    golive_command,
    plain_text,
    stat_command,
    undo_command,
)
from bot.handlers.misc import (
    edited_message,
    photo_message,
    sticker_message,
    unknown_command,
    unsupported,
)
from bot.handlers.reports import (
    DETAILS_PATTERN,
    details_button,
    sessions_command,
    summary_command,
)
from bot.handlers.timeline import event_command, product_command
from bot.handlers.workspace import (
    HELLO_PATTERN,
    TZ_PATTERN,
    currency_command,
    digest_command,
    first_contact_text,
    hello_button,
    help_command,
    lang_command,
    nudges_command,
    start_command,
    tz_button,
    tz_command,
)
from bot.i18n import command_descriptions
from bot.scheduler import Scheduler
from bot.services.live import note_answer
from bot.services.outbox import GroupOutbox
from bot.services.retrain import Retrainer
from bot.services.sending import DatabasePaces, MemoryPaces, PacedRateLimiter
from bot.updates import (
    ALLOWED_UPDATES,
    InboxApplication,
    InboxUpdater,
    PerChatUpdateProcessor,
    UpdateInbox,
)
from storage.engine import make_engine, upgrade

__all__ = ["ALLOWED_UPDATES", "build_application", "command_menus", "publish_command_menus"]

log = logging.getLogger("livehost.bot")


def build_application(settings: Settings, *, engine: Engine | None = None) -> App:
    """Build the bot: API endpoints, rate limiter, typed context, handlers, error handler."""
    context_types = ContextTypes(context=Context, chat_data=ChatState, bot_data=AppState)
    engine = engine if engine is not None else make_engine(settings.database_url)
    # Telegram's limits are the bot's: instances on one PostgreSQL pace their sends together
    paces = DatabasePaces(engine) if engine.dialect.name == "postgresql" else MemoryPaces()
    built = (
        Application.builder()
        .application_class(InboxApplication)
        .token(settings.bot_token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.file_base_url)
        .context_types(context_types)
        .rate_limiter(
            PacedRateLimiter(ceiling=settings.max_messages_per_second, max_retries=3, paces=paces)
        )
        .concurrent_updates(PerChatUpdateProcessor())
        # httpcore scans every pooled connection on each request: a pool sized for ~30
        # sends a second at Telegram's round trip, not PTB's default of 256
        .connection_pool_size(32)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    # the builder's types lose the context types it was given: the class it built has them
    assert isinstance(built, InboxApplication)
    application = built
    state: AppState = application.bot_data
    state.settings = settings
    state.engine = engine
    state.cache_workspaces = engine.dialect.name == "sqlite"
    # SQLite has one writer: its quick database work goes through one thread, so that
    # concurrent updates queue here instead of sleeping in SQLite's busy handler.
    db_threads = 1 if state.engine.dialect.name == "sqlite" else 8
    state.executor = ThreadPoolExecutor(max_workers=db_threads, thread_name_prefix="livehost-db")
    state.import_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="livehost-import")
    state.compute_executor = ThreadPoolExecutor(
        max_workers=2, thread_name_prefix="livehost-compute"
    )
    state.scheduler = Scheduler(application)
    state.chat_admins = ChatAdmins()
    state.error_alerts = ErrorAlerts(engine)
    state.outbox = GroupOutbox(on_sent=functools.partial(_note_answer, state))
    state.retrainer = Retrainer()
    # every update goes through the database: stored first, then processed from there
    inbox = UpdateInbox(application, engine, state.executor, lease_s=settings.update_lease_seconds)
    application.inbox = inbox
    application.updater = InboxUpdater(application.bot, application.update_queue, inbox)
    _add_handlers(application)
    return application


async def _note_answer(
    state: AppState, chat_id: int, message_id: int, keys: tuple[str, ...]
) -> None:
    """Store which pushes a group's merged answer answered (off the event loop)."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(
        state.executor,
        functools.partial(note_answer, state.engine, dedupe_keys=keys, answer_id=message_id),
    )


def _add_handlers(application: App) -> None:
    commands = {
        "start": start_command,
        "help": help_command,
        "lang": lang_command,
        "tz": tz_command,
        "golive": golive_command,
        "stat": stat_command,
        "endlive": endlive_command,
        "undo": undo_command,
        "summary": summary_command,
        "sessions": sessions_command,
        "digest": digest_command,
        "nudges": nudges_command,
        "currency": currency_command,
        "export": export_command,
        "forget": forget_command,
        "retrain": retrain_command,
        "models": models_command,
        "rollback": rollback_command,
        "adminstats": adminstats_command,
        "product": product_command,
        "event": event_command,
    }
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message))
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(CallbackQueryHandler(forget_button, pattern=FORGET_PATTERN))
    application.add_handler(CallbackQueryHandler(hello_button, pattern=HELLO_PATTERN))
    application.add_handler(CallbackQueryHandler(tz_button, pattern=TZ_PATTERN))
    # first contact looks at private text before the push parser (and may stop it)
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, first_contact_text
        ),
        group=-1,
    )
    application.add_handler(CallbackQueryHandler(column_button, pattern=COLUMN_PATTERN))
    application.add_handler(CallbackQueryHandler(summary_button, pattern=SUMMARY_PATTERN))
    application.add_handler(CallbackQueryHandler(details_button, pattern=DETAILS_PATTERN))
    application.add_handler(MessageHandler(filters.Document.ALL, document_message, block=False))
    application.add_handler(MessageHandler(filters.Sticker.ALL, sticker_message))
    application.add_handler(MessageHandler(filters.PHOTO, photo_message))
    application.add_handler(
        MessageHandler(
            filters.TEXT
            & ~filters.COMMAND
            & (filters.ChatType.PRIVATE | (filters.ChatType.GROUPS & AddressedToBot())),
            plain_text,
        )
    )
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL & ~filters.TEXT, unsupported
        )
    )
    application.add_error_handler(error_handler)


async def _post_init(application: App) -> None:
    """Migrate the database and publish the command menu (en default, zh for Chinese users)."""
    state: AppState = application.bot_data
    await asyncio.get_running_loop().run_in_executor(state.executor, upgrade, state.engine)
    await state.scheduler.start()  # the JobQueue rebuilt from the scheduled sends
    await publish_command_menus(application)
    log.info("LiveHost is up as @%s", application.bot.username)


def command_menus(admin_ids: list[int]) -> list[tuple[BotCommandScope, str]]:
    """(scope, level of `bot.i18n.command_descriptions`) of each command menu: a group's
    members see the live commands; its administrators and private chats also the settings
    and /forget; LiveHost's admins, in their private chats, also the admin commands."""
    menus: list[tuple[BotCommandScope, str]] = [
        (BotCommandScopeDefault(), "member"),
        (BotCommandScopeAllGroupChats(), "member"),
        (BotCommandScopeAllChatAdministrators(), "owner"),
        (BotCommandScopeAllPrivateChats(), "owner"),
    ]
    menus.extend((BotCommandScopeChat(admin_id), "admin") for admin_id in admin_ids)
    return menus


async def publish_command_menus(application: App) -> None:
    """Set every command menu in English (the default) and Chinese."""
    state: AppState = application.bot_data
    for scope, level in command_menus(state.settings.admin_ids):
        for lang, code in (("en", None), ("zh", "zh")):
            commands = [BotCommand(n, text) for n, text in command_descriptions(lang, level)]
            try:
                await application.bot.set_my_commands(commands, scope=scope, language_code=code)
            except TelegramError:  # e.g. an admin who never opened a chat with the bot
                log.warning("command menu %s (%s) not set", scope.type, code or "en")


async def _post_shutdown(application: App) -> None:
    state: AppState = application.bot_data
    await state.outbox.flush()  # the answers still waiting for a group's pace
    await state.scheduler.shutdown()
    await state.retrainer.shutdown()  # a retrain in flight ends with the bot
    state.executor.shutdown(wait=True, cancel_futures=True)
    state.import_executor.shutdown(wait=True, cancel_futures=True)
    state.compute_executor.shutdown(wait=True, cancel_futures=True)
