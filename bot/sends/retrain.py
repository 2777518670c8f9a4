"""The weekly retrain: plans next week's, then trains in the background (minutes in a
process pool, so the sweep goes on) and reports to the admins when done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sends.kind import Outcome
from bot.services.admin import plan_weekly_retrain
from storage.models import ScheduledSend

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

__all__ = ["perform"]


async def perform(scheduler: Scheduler, row: ScheduledSend) -> str:
    """A claimed weekly retrain: started, not awaited."""
    from bot.services.retrain import retrainer_of, weekly_retrain

    key, due = await scheduler.thread(plan_weekly_retrain, scheduler.engine, now=scheduler.now())
    scheduler.watch(key, due)
    state = scheduler.application.bot_data
    retrainer = retrainer_of(state)
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
