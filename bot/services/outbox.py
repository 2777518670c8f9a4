"""Push replies in a group, merged while they wait for the group's pace.

Telegram lets a bot send about one message every 3–4 s to a group
(`bot.services.sending.GROUP_INTERVAL`). A team pushing numbers faster than that would
get each answer later than the one before (24 pushes in a minute: the last answer 25 s
late). Here each group's answers wait in one box instead: when the group's pace allows a
send, everything waiting goes out as one message — each push's own lines (what was
stored, what was left out) and the newest push's live lines (how long viewers stay, the
forecast), which supersede the older ones. An answer is never later than one interval
behind its push.

The box lives in this process: the pushes themselves are stored before their answer is
boxed, so a crash loses at most the few seconds of answers still waiting, never data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.error import TelegramError

from bot.i18n import t
from bot.services.sending import GROUP_BURST, GROUP_INTERVAL, MemoryPaces
from storage.repositories import Pace

__all__ = ["BoxedReply", "GroupOutbox", "merge_replies"]

log = logging.getLogger("livehost.outbox")


@dataclass(frozen=True)
class BoxedReply:
    """One push's answer: its own lines and the lines a later answer supersedes."""

    message_id: int
    lang: str
    own: list[str]
    live: list[str] = field(default_factory=list)
    markup: InlineKeyboardMarkup | None = None
    pushes: tuple[str, ...] = ()
    """The key of the push it answers (for /undo sent as a reply to the answer)."""


def merge_replies(replies: list[BoxedReply]) -> tuple[str, InlineKeyboardMarkup | None]:
    """One message for the answers in ``replies`` (oldest first): with a single one, its
    text as it would go alone; with several, a line saying how many, each one's own lines
    and the newest one's live lines and button."""
    newest = replies[-1]
    if len(replies) == 1:
        lines = newest.own[:1] + newest.live + newest.own[1:]
        return "\n".join(lines), newest.markup
    lines = [t(newest.lang, "push_merged", n=len(replies))]
    for reply in replies:
        lines.extend(reply.own)
    lines.extend(newest.live)
    return "\n".join(lines), newest.markup


class GroupOutbox:
    """The boxes of the groups' push answers (one sender task per group while it has any)."""

    def __init__(
        self,
        *,
        interval: float = GROUP_INTERVAL,
        burst: int = GROUP_BURST,
        clock: Callable[[], float] = time.monotonic,
        on_sent: Callable[[int, int, tuple[str, ...]], Awaitable[None]] | None = None,
    ) -> None:
        self._interval = interval
        self._on_sent = on_sent
        self._burst = burst
        self._paces = MemoryPaces(clock)
        self._boxes: dict[int, list[BoxedReply]] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}
        self.sent: int = 0
        """Messages sent (each one or more answers)."""

    def post(self, bot: Bot, chat_id: int, reply: BoxedReply) -> None:
        """Box ``reply`` for ``chat_id``; it goes out with the next send the pace allows."""
        self._boxes.setdefault(chat_id, []).append(reply)
        if chat_id not in self._senders:
            self._senders[chat_id] = asyncio.create_task(self._drain(bot, chat_id))

    async def _drain(self, bot: Bot, chat_id: int) -> None:
        pace = Pace(f"chat:{chat_id}", self._interval, self._burst)
        try:
            while self._boxes.get(chat_id):
                slot = self._paces.reserve_now(pace)
                if slot.wait > 0:
                    await asyncio.sleep(slot.wait)  # answers arriving meanwhile join the box
                replies = self._boxes.pop(chat_id, [])
                if not replies:
                    continue
                text, markup = merge_replies(replies)
                try:
                    sent = await bot.send_message(
                        chat_id=chat_id,
                        text=text,
                        reply_parameters=ReplyParameters(
                            replies[-1].message_id, allow_sending_without_reply=True
                        ),
                        reply_markup=markup,
                    )
                    self.sent += 1
                except TelegramError as exc:  # the group is gone or refused: nothing to retry
                    log.warning("answers to %s not sent: %s", chat_id, exc)
                    continue
                pushes = tuple(key for r in replies for key in r.pushes)
                if self._on_sent is not None and pushes:
                    try:  # which pushes this message answered, for /undo replying to it
                        await self._on_sent(chat_id, sent.message_id, pushes)
                    except Exception:
                        log.exception("the pushes answered in %s were not noted", chat_id)
        finally:
            self._senders.pop(chat_id, None)

    async def flush(self) -> None:
        """Wait until every box is sent (at shutdown)."""
        while self._senders:
            with contextlib.suppress(Exception):
                await asyncio.gather(*list(self._senders.values()))
