"""What every kind of scheduled send shares: its entry in the scheduler's registry, its
outcomes and the record of the parts already delivered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

__all__ = ["PARTS_SENT", "Outcome", "SendKind", "parts_recorder"]

PARTS_SENT = "parts_sent"
"""Payload key of a summary: how many of its parts (the album, then each text message)
were delivered, so that a retry sends only the rest (`bot.services.sending.deliver`)."""


class Outcome:
    """What a performed send came to: sent, or nothing to say (the send is dropped)."""

    SENT = "sent"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class SendKind:
    """One kind of scheduled send: how it is performed (an :class:`Outcome`) and how late
    it may still go out."""

    perform: Callable[[ScheduledSend], Awaitable[str]]
    catch_up: timedelta


def parts_recorder(scheduler: Scheduler, send_id: int) -> Callable[[int], Awaitable[None]]:
    """The ``on_part`` callback of `deliver`: records that ``parts`` of the send are
    delivered (a retry skips them)."""

    def record(parts: int) -> None:
        with session_scope(scheduler.engine) as session:
            repo.record_send_parts(session, send_id=send_id, parts=parts, key=PARTS_SENT)

    async def on_part(parts: int) -> None:
        await scheduler.thread(record, parts)

    return on_part
