"""Typed context for handlers and jobs: `context.state` instead of string keys in bot_data."""

from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config import Settings
    from bot.handlers.common import ChatAdmins
    from bot.handlers.errors import ErrorAlerts
    from bot.scheduler import Scheduler
    from bot.services.nudges import LiveInsight
    from bot.services.outbox import GroupOutbox
    from bot.services.retrain import Retrainer
    from bot.services.workspaces import WorkspaceInfo

__all__ = ["App", "AppState", "CachedInsight", "ChatState", "Context", "UserData"]


class AppState:
    """What every handler and job needs; filled in by `bot.app.build_application`."""

    settings: Settings
    engine: Engine
    executor: Executor
    """Quick database work (one thread on SQLite: one writer at a time)."""
    import_executor: Executor
    """File imports: parsing and bulk writes that may take seconds."""
    compute_executor: Executor
    """Compute-heavy work — reports, summaries, digests, history figures, live forecasts —
    kept off the database thread that answers pushes."""
    scheduler: Scheduler
    """Scheduled sends (summaries, digests, nudges) and its clock: `bot.scheduler`."""
    chat_admins: ChatAdmins
    """Who administers each group, as Telegram said a few minutes ago."""
    error_alerts: ErrorAlerts
    """When the bot's admins were last told of each kind of error."""
    outbox: GroupOutbox
    """Push answers in groups, merged while they wait for the group's pace."""
    retrainer: Retrainer
    """The training process pool (made on the first retrain) and the kinds training now."""
    cache_workspaces: bool
    """Whether handlers may keep a chat's workspace in `ChatState`: only when this process
    is the one that changes workspaces (SQLite, one machine). On PostgreSQL another
    instance may change a language or time zone at any moment, so each update reads it."""


@dataclass(frozen=True, slots=True)
class CachedInsight:
    """The last live forecast and nudge check of a chat's open session."""

    session_id: int
    at: datetime
    insight: LiveInsight


class ChatState:
    """Typed chat_data: a short-lived cache of the chat's workspace (the database is the
    truth; kept only where `AppState.cache_workspaces` allows, and dropped whenever this
    process changes the workspace)."""

    TTL_S = 30.0

    def __init__(self) -> None:
        self._workspace: WorkspaceInfo | None = None
        self._cached_at = 0.0
        self.insight: CachedInsight | None = None

    @property
    def workspace(self) -> WorkspaceInfo | None:
        if self._workspace is not None and time.monotonic() - self._cached_at > self.TTL_S:
            self._workspace = None
        return self._workspace

    @workspace.setter
    def workspace(self, info: WorkspaceInfo | None) -> None:
        self._workspace = info
        self._cached_at = time.monotonic()


UserData = dict[Any, Any]
"""PTB's default user_data (LiveHost keeps nothing there)."""


class Context(CallbackContext[ExtBot[None], UserData, ChatState, AppState]):
    """The CallbackContext of LiveHost, with the typed application state."""

    def __init__(
        self,
        application: App,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.workspace_seen: WorkspaceInfo | None = None
        """The workspace as this update's first handler read it (one context serves every
        handler group of an update): a later handler of the same update reuses it."""

    @property
    def state(self) -> AppState:
        return self.bot_data


App = Application[ExtBot[None], Context, UserData, ChatState, AppState, JobQueue[Context]]
"""The Application of LiveHost, with its context types."""
