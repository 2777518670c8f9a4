"""A nudge during a stream (a coaching hint): sent to the workspace's chat in its language,
unless the workspace turned nudges off or is gone. Late nudges are dropped sooner
(:data:`CATCH_UP`): a hint is only worth its moment."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.sends.kind import Outcome
from bot.services.nudges import nudge_text
from bot.services.sending import deliver
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

__all__ = ["CATCH_UP", "perform"]

CATCH_UP = timedelta(minutes=10)
"""A nudge later than this is dropped."""


async def perform(scheduler: Scheduler, row: ScheduledSend) -> str:
    """A claimed nudge: its text in the chat's language."""
    payload = row.payload or {}
    workspace_id = row.workspace_id
    assert workspace_id is not None
    chat = await scheduler.thread(_chat_of, scheduler, workspace_id)
    if chat is None:
        return Outcome.EMPTY
    chat_id, lang, nudges_on = chat
    if not nudges_on:
        return Outcome.EMPTY
    label = payload.get("label")
    text = nudge_text(
        str(payload.get("code")),
        dict(payload.get("params") or {}),
        lang,
        label if isinstance(label, str) else None,
    )
    await deliver(scheduler.application.bot, chat_id, text)
    return Outcome.SENT


def _chat_of(scheduler: Scheduler, workspace_id: int) -> tuple[int, str, bool] | None:
    with session_scope(scheduler.engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        if ws is None or not ws.active:
            return None
        return ws.chat_id, ws.language, ws.nudges_enabled
