"""Admin commands: who is an admin, the arguments of /retrain and /rollback, the
figures of /adminstats, and the limit on error alerts shared by every instance. (The
trained models' overview and drift, for /models: `bot.services.model_overview`; the weekly
retrain's schedule: `bot.sends.retrain`.)

Admins are the numeric Telegram user ids of ``LIVEHOST_ADMIN_IDS``; nothing else (a
username, a chat id, a title) ever counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope
from storage.models import (
    MODEL_KINDS,
    LiveSession,
    MinuteRow,
    PastSession,
    Snapshot,
    ViewerRow,
    Workspace,
)

__all__ = [
    "AdminStats",
    "admin_stats",
    "claim_error_alert",
    "is_admin",
    "parse_retrain_args",
    "parse_rollback_args",
]

KINDS: tuple[str, ...] = MODEL_KINDS
_ALIASES = {"bp": "buying_power", "buying": "buying_power", "buyingpower": "buying_power"}


def is_admin(admin_ids: Sequence[int], user_id: int | None) -> bool:
    """True only for a numeric user id listed in the settings."""
    return user_id is not None and isinstance(user_id, int) and user_id in set(admin_ids)


def _kind(word: str) -> str | None:
    word = word.lower().replace("-", "_")
    word = _ALIASES.get(word.replace("_", ""), word)
    return word if word in KINDS else None


def parse_retrain_args(args: Sequence[str]) -> tuple[tuple[str, ...], bool] | None:
    """``[buying_power|forecast|all] [force]`` → (kinds, force); None when unreadable.
    No kind means all."""
    kinds: tuple[str, ...] | None = None
    force = False
    for raw in args:
        word = raw.lower()
        if word in ("force", "--force", "-f"):
            force = True
        elif word == "all" and kinds is None:
            kinds = KINDS
        elif (kind := _kind(word)) is not None and kinds is None:
            kinds = (kind,)
        else:
            return None
    return (kinds or KINDS), force


def parse_rollback_args(args: Sequence[str]) -> tuple[str, int] | None:
    """``N``, ``KIND N`` or ``N KIND`` (``#N`` and ``vN`` too) → (kind, N); the kind
    defaults to buying power. None when unreadable."""
    kind: str | None = None
    version: int | None = None
    for raw in args:
        digits = raw.lower().lstrip("#").removeprefix("v")
        if digits.isdigit() and version is None:
            version = int(digits)
        elif (found := _kind(raw)) is not None and kind is None:
            kind = found
        else:
            return None
    if version is None or version <= 0:
        return None
    return kind or "buying_power", version


# ------------------------------------------------------------------------------ /adminstats


@dataclass(frozen=True)
class AdminStats:
    """The figures of /adminstats (``db_bytes`` None when unknown)."""

    workspaces_active: int
    workspaces_inactive: int
    sessions: int
    snapshots: int
    minute_rows: int
    viewer_rows: int
    past_sessions: int
    db_bytes: int | None
    last_retrain: dict[str, datetime | None]


def _db_bytes(engine: Engine) -> int | None:
    if engine.dialect.name == "sqlite":
        database = engine.url.database or ""
        if not database or database == ":memory:":
            return None
        total = 0
        for suffix in ("", "-wal"):
            path = Path(database + suffix)
            if path.is_file():
                total += path.stat().st_size
        return total
    with session_scope(engine) as session:
        return repo.database_bytes(session)


def admin_stats(engine: Engine) -> AdminStats:
    """Workspaces (active, inactive), sessions, rows, database size, last retrain."""
    with session_scope(engine) as session:
        active = repo.count_active_workspaces(session)
        inactive = repo.count_rows(session, model=Workspace) - active
        last = {kind: repo.last_trained_at(session, kind=kind) for kind in KINDS}
        stats = AdminStats(
            workspaces_active=active,
            workspaces_inactive=inactive,
            sessions=repo.count_rows(session, model=LiveSession),
            snapshots=repo.count_rows(session, model=Snapshot),
            minute_rows=repo.count_rows(session, model=MinuteRow),
            viewer_rows=repo.count_rows(session, model=ViewerRow),
            past_sessions=repo.count_rows(session, model=PastSession),
            db_bytes=None,
            last_retrain={k: _aware(v) for k, v in last.items()},
        )
    try:
        size = _db_bytes(engine)
    except Exception:
        size = None
    return AdminStats(**{**stats.__dict__, "db_bytes": size})


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def claim_error_alert(engine: Engine, *, kind: str, every_s: float) -> bool:
    """Whether this instance is the one to alert the admins of ``kind`` now: no instance
    on the database did within ``every_s`` seconds (noted when True)."""
    with session_scope(engine) as session:
        return repo.claim_once_per(session, key=f"alert:{kind}", every=every_s)
