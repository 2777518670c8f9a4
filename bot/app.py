"""The one wiring function: settings in, a ready python-telegram-bot Application out."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.context import AppState, ChatState, Context
from bot.handlers.errors import error_handler
from bot.handlers.files import document_message
from bot.handlers.live import endlive_command, golive_command, plain_text, stat_command
from bot.handlers.misc import (
    edited_message,
    photo_message,
    sticker_message,
    unknown_command,
    unsupported,
)
from bot.handlers.workspace import help_command, lang_command, start_command, tz_command
from bot.i18n import command_descriptions
from storage.engine import make_engine, upgrade

__all__ = ["ALLOWED_UPDATES", "build_application"]

log = logging.getLogger("livehost.bot")

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


def build_application(settings: Settings, *, engine: Engine | None = None) -> Application:  # type: ignore[type-arg]
    """Build the bot: API endpoints, rate limiter, typed context, handlers, error handler."""
    context_types = ContextTypes(context=Context, chat_data=ChatState, bot_data=AppState)
    application = (
        Application.builder()
        .token(settings.bot_token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.file_base_url)
        .context_types(context_types)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    state: AppState = application.bot_data
    state.settings = settings
    state.engine = engine if engine is not None else make_engine(settings.database_url)
    state.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="livehost")
    _add_handlers(application)
    return application


def _add_handlers(application: Application) -> None:  # type: ignore[type-arg]
    commands = {
        "start": start_command,
        "help": help_command,
        "lang": lang_command,
        "tz": tz_command,
        "golive": golive_command,
        "stat": stat_command,
        "endlive": endlive_command,
    }
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited_message))
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(MessageHandler(filters.Document.ALL, document_message, block=False))
    application.add_handler(MessageHandler(filters.Sticker.ALL, sticker_message))
    application.add_handler(MessageHandler(filters.PHOTO, photo_message))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, plain_text)
    )
    application.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL & ~filters.TEXT, unsupported
        )
    )
    application.add_error_handler(error_handler)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Migrate the database and publish the command menu (en default, zh for Chinese users)."""
    state: AppState = application.bot_data
    await asyncio.get_running_loop().run_in_executor(state.executor, upgrade, state.engine)
    for lang, code in (("en", None), ("zh", "zh")):
        commands = [BotCommand(name, text) for name, text in command_descriptions(lang)]
        await application.bot.set_my_commands(commands, language_code=code)
    log.info("LiveHost is up as @%s", application.bot.username)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    state: AppState = application.bot_data
    state.executor.shutdown(wait=True, cancel_futures=True)
