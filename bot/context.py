"""Typed context for handlers and jobs: `context.state` instead of string keys in bot_data."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config import Settings
    from bot.services.workspaces import WorkspaceInfo

__all__ = ["AppState", "ChatState", "Context"]


class AppState:
    """What every handler and job needs; filled in by `bot.app.build_application`."""

    settings: Settings
    engine: Engine
    executor: Executor


class ChatState:
    """Typed chat_data: a cache of the chat's workspace (the database is the truth)."""

    def __init__(self) -> None:
        self.workspace: WorkspaceInfo | None = None


class Context(CallbackContext[ExtBot[None], dict, ChatState, AppState]):
    """The CallbackContext of LiveHost, with the typed application state."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def state(self) -> AppState:
        return self.bot_data
