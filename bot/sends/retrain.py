"""The weekly retrain: plans next week's, then trains in the background (minutes in a
process pool, so the sweep goes on) and reports to the admins when done.

The weekly retrain is a ``scheduled_send`` of kind ``retrain`` keyed by its ISO week
(``retrain:2026-W48``), due every Monday at 03:00 UTC: :func:`plan_weekly_retrain`
schedules the next one (idempotent on the key).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.sends.kind import Outcome
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

__all__ = [
    "WEEKLY_HOUR_UTC",
    "next_weekly_retrain",
    "perform",
    "plan_weekly_retrain",
    "weekly_key",
]

WEEKLY_WEEKDAY = 0  # Monday
WEEKLY_HOUR_UTC = 3


async def perform(scheduler: Scheduler, row: ScheduledSend) -> str:
    """A claimed weekly retrain: started, not awaited."""
    from bot.services.retrain import weekly_retrain

    key, due = await scheduler.thread(plan_weekly_retrain, scheduler.engine, now=scheduler.now())
    scheduler.watch(key, due)
    state = scheduler.application.bot_data
    retrainer = state.retrainer
    retrainer.spawn(
        weekly_retrain(
            retrainer,
            scheduler.application.bot,
            scheduler.engine,
            admin_ids=state.settings.admin_ids,
            models_dir=state.settings.models_dir,
        )
    )
    return Outcome.SENT


def weekly_key(due: datetime) -> str:
    """``retrain:YYYY-Www`` of the ISO week of ``due``."""
    year, week, _ = due.astimezone(UTC).isocalendar()
    return f"retrain:{year}-W{week:02d}"


def next_weekly_retrain(now: datetime) -> datetime:
    """The first Monday 03:00 UTC strictly after ``now``."""
    moment = now.astimezone(UTC)
    monday = (moment - timedelta(days=moment.weekday())).replace(
        hour=WEEKLY_HOUR_UTC, minute=0, second=0, microsecond=0
    )
    monday += timedelta(days=WEEKLY_WEEKDAY)
    while monday <= moment:
        monday += timedelta(days=7)
    return monday


def plan_weekly_retrain(engine: Engine, *, now: datetime) -> tuple[str, datetime]:
    """Make sure the next weekly retrain is scheduled; its (key, due)."""
    due = next_weekly_retrain(now)
    key = weekly_key(due)
    with session_scope(engine) as session:
        row = repo.schedule_send(
            session, kind="retrain", key=key, due_at=due, payload={"due": due.isoformat()}
        )
        return row.key, row.due_at
