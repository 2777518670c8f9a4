"""Workspaces: one per Telegram chat; registration, language and time zone."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.engine import Engine

from bot.i18n import LANGUAGES
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import Workspace, row_id

__all__ = [
    "ChatRef",
    "UnknownTimezone",
    "WorkspaceInfo",
    "ensure_workspace",
    "set_language",
    "set_timezone",
]


@dataclass(frozen=True, slots=True)
class ChatRef:
    """The chat an update came from, as the services need it."""

    chat_id: int
    chat_type: str
    title: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class WorkspaceInfo:
    id: int
    chat_id: int
    language: str
    timezone: str
    is_private: bool
    created: bool = False


class UnknownTimezone(ValueError):
    """The name is not an IANA time zone."""


def _info(ws: Workspace, created: bool = False) -> WorkspaceInfo:
    return WorkspaceInfo(
        id=row_id(ws),
        chat_id=ws.chat_id,
        language=ws.language,
        timezone=ws.timezone,
        is_private=ws.chat_type == "private",
        created=created,
    )


def ensure_workspace(engine: Engine, *, chat: ChatRef, default_timezone: str) -> WorkspaceInfo:
    """The chat's workspace, created on first contact (language from Telegram)."""
    from bot.i18n import language_from_telegram

    with session_scope(engine) as session:
        existing = repo.get_workspace(session, chat_id=chat.chat_id)
        if existing is not None:
            if not existing.active:
                repo.update_workspace(session, workspace_id=row_id(existing), active=True)
            return _info(existing)
        ws = repo.get_or_create_workspace(
            session,
            chat_id=chat.chat_id,
            chat_type=chat.chat_type,
            title=chat.title,
            language=language_from_telegram(chat.language_code),
            timezone=default_timezone,
        )
        return _info(ws, created=True)


def set_language(engine: Engine, *, workspace_id: int, language: str) -> str:
    """Set the workspace's language; raises ValueError for anything but en/zh."""
    language = language.strip().lower()
    if language not in LANGUAGES:
        raise ValueError(language)
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=workspace_id, language=language)
    return language


def validate_timezone(name: str) -> str:
    """The canonical IANA name for `name` (case-insensitive), or UnknownTimezone."""
    candidate = name.strip()
    try:
        ZoneInfo(candidate)
        if "/" in candidate or candidate == "UTC":
            return candidate
    except (ZoneInfoNotFoundError, ValueError):
        pass
    lowered = candidate.lower()
    for zone in available_timezones():
        if zone.lower() == lowered:
            return zone
    raise UnknownTimezone(name)


def set_timezone(engine: Engine, *, workspace_id: int, timezone: str) -> str:
    """Set the workspace's IANA time zone; raises UnknownTimezone."""
    zone = validate_timezone(timezone)
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=workspace_id, timezone=zone)
    return zone
