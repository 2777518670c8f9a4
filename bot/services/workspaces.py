"""Workspaces: one per Telegram chat; registration, who may change them, and their
settings (language, time zone with the digest re-planned on it, currency)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.i18n import LANGUAGES
from bot.settings_input import (
    ZoneAnswer,
    currency_from_symbol,
    parse_currency,
    parse_language,
    parse_zone,
)
from storage import errors as repo_errors
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import Workspace, row_id

__all__ = [
    "ChatRef",
    "TimezoneSet",
    "UnknownCurrency",
    "UnknownLanguage",
    "UnknownTimezone",
    "WorkspaceInfo",
    "chat_language",
    "ensure_workspace",
    "may_change_settings",
    "note_currency_symbol",
    "register_start",
    "set_currency",
    "set_language",
    "set_timezone",
    "validate_timezone",
    "workspace_info",
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
    owner_user_id: int | None = None
    """The member who ran /start (None before anyone did)."""
    currency: str | None = None
    tz_confirmed: bool = False
    digest_time: str = "09:00"
    digest_enabled: bool = True
    nudges_enabled: bool = True

    @property
    def started(self) -> bool:
        """Whether someone ran /start here (before that, text gets a greeting)."""
        return self.owner_user_id is not None


class UnknownTimezone(ValueError):
    """The name is not a canonical IANA time zone; ``answer`` says why."""

    def __init__(self, name: str, answer: ZoneAnswer | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.answer = answer if answer is not None else ZoneAnswer(None, "unknown")


class UnknownLanguage(ValueError):
    """Neither English nor Chinese."""


class UnknownCurrency(ValueError):
    """Not a currency we know."""


def _info(ws: Workspace, created: bool = False) -> WorkspaceInfo:
    return WorkspaceInfo(
        id=row_id(ws),
        chat_id=ws.chat_id,
        language=ws.language,
        timezone=ws.timezone,
        is_private=ws.chat_type == "private",
        created=created,
        owner_user_id=ws.owner_user_id,
        currency=ws.currency,
        tz_confirmed=ws.tz_confirmed,
        digest_time=ws.digest_time,
        digest_enabled=ws.digest_enabled,
        nudges_enabled=ws.nudges_enabled,
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


def workspace_info(engine: Engine, *, workspace_id: int) -> WorkspaceInfo | None:
    """The workspace as it is in the database now (None when it was deleted)."""
    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        return _info(ws) if ws is not None else None


def chat_language(engine: Engine, *, chat_id: int) -> str | None:
    """The language of the chat's workspace, read from the database; None without one."""
    with session_scope(engine) as session:
        ws = repo.get_workspace(session, chat_id=chat_id)
        return ws.language if ws is not None else None


def register_start(engine: Engine, *, workspace_id: int, user_id: int | None) -> WorkspaceInfo:
    """/start: the first member who runs it becomes the workspace's owner (in a group,
    a later /start by someone else changes nothing)."""
    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        if ws is None:
            raise repo_errors.WorkspaceNotFound(f"workspace {workspace_id}")
        if ws.owner_user_id is None and user_id is not None:
            ws = repo.update_workspace(session, workspace_id=workspace_id, owner_user_id=user_id)
        return _info(ws)


def may_change_settings(
    ws: WorkspaceInfo, user_id: int | None, chat_admin_ids: Collection[int] | None
) -> bool:
    """Who may change or delete a workspace: anyone in a private chat (it is theirs); in a
    group, the chat's administrators and the member who ran /start."""
    if ws.is_private:
        return True
    if user_id is None:
        return False
    if ws.owner_user_id is not None and user_id == ws.owner_user_id:
        return True
    return chat_admin_ids is not None and user_id in chat_admin_ids


def set_language(engine: Engine, *, workspace_id: int, language: str) -> str:
    """Set the workspace's language from the words hosts use (en, english, 中文, zh-CN…);
    raises UnknownLanguage."""
    found = parse_language(language)
    if found is None or found not in LANGUAGES:
        raise UnknownLanguage(language)
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=workspace_id, language=found)
    return found


def validate_timezone(name: str) -> str:
    """The canonical IANA zone for what a host typed (a zone in any case, a city in English
    or Chinese, an offset: see `bot.settings_input`), or UnknownTimezone."""
    answer = parse_zone(name)
    if answer.zone is None:
        raise UnknownTimezone(name, answer)
    return answer.zone


@dataclass(frozen=True, slots=True)
class TimezoneSet:
    """A workspace's new time zone and its digest re-planned on it."""

    zone: str
    digest_time: str
    digest_enabled: bool
    next_digest: tuple[str, datetime] | None
    """(key, due) of the pending digest, for the job queue; None when digests are off."""


def set_timezone(
    engine: Engine, *, workspace_id: int, timezone: str, now: datetime | None = None
) -> TimezoneSet:
    """Set the workspace's time zone and re-plan its pending digest on the new local
    time (the one planned on the old zone is removed); raises UnknownTimezone."""
    from bot.services.digests import replan_digest

    zone = validate_timezone(timezone)
    with session_scope(engine) as session:
        ws = repo.update_workspace(
            session, workspace_id=workspace_id, timezone=zone, tz_confirmed=True
        )
        hhmm, enabled = ws.digest_time, ws.digest_enabled
    planned = replan_digest(
        engine, workspace_id=workspace_id, now=now if now is not None else datetime.now(UTC)
    )
    return TimezoneSet(zone, hhmm, enabled, planned)


def set_currency(engine: Engine, *, workspace_id: int, currency: str) -> str:
    """Set the workspace's currency from a code, word or symbol; raises UnknownCurrency."""
    code = parse_currency(currency)
    if code is None:
        raise UnknownCurrency(currency)
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=workspace_id, currency=code)
    return code


def note_currency_symbol(session: Session, workspace_id: int, symbol: str) -> str | None:
    """A money symbol seen in the workspace's data (``￥``, ``$``, ``Rp``, ``₫``, ``฿``…):
    the first one sets the workspace's currency when none is set yet, inside the caller's
    transaction, by the one conditional update imports use (`repo.adopt_currency`), so a
    push and an upload at once cannot both set it. The workspace's currency afterwards
    (None when still unknown)."""
    code = currency_from_symbol(symbol)
    if code is not None:
        return repo.adopt_currency(session, workspace_id=workspace_id, currency=code)
    ws = repo.get_workspace(session, workspace_id=workspace_id)
    return ws.currency if ws is not None else None
