"""Which pushes each of the bot's answers answered, so that /undo sent as a reply to the
answer can take back the push: Telegram gives a bot the message replied to, but not the
message that one replied to.

Kept in memory for the latest answers only (:data:`KEEP`): after a restart, or for an
answer this process did not send, /undo says to reply to the numbers themselves.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["KEEP", "AnsweredPushes", "PushRef"]

KEEP = 20_000
"""Answers remembered, over all chats (the oldest are forgotten first)."""


@dataclass(frozen=True, slots=True)
class PushRef:
    """A push as /undo finds it: its key (chat and message) and who sent it."""

    key: str
    author_id: int | None


class AnsweredPushes:
    """The pushes behind the latest answers: (chat, answer's message id) → pushes."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._pushes: OrderedDict[tuple[int, int], tuple[PushRef, ...]] = OrderedDict()

    def note(self, chat_id: int, message_id: int, pushes: tuple[PushRef, ...]) -> None:
        """Remember that answer ``message_id`` in ``chat_id`` answered ``pushes``."""
        if not pushes:
            return
        self._pushes[(chat_id, message_id)] = pushes
        self._pushes.move_to_end((chat_id, message_id))
        while len(self._pushes) > self._keep:
            self._pushes.popitem(last=False)

    def of(self, chat_id: int, message_id: int) -> tuple[PushRef, ...]:
        """The pushes answer ``message_id`` answered (empty when not known)."""
        return self._pushes.get((chat_id, message_id), ())
