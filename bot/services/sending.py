"""Sending within Telegram's limits: paced sends, albums with captions, texts split whole.

:class:`PacedRateLimiter` is the application's rate limiter: PTB's ``AIORateLimiter``
(which honours ``retry_after`` on 429 and retries) with even pacing in front of it. The
leaky bucket of ``AIORateLimiter`` lets a full second's worth of messages out at once and
then keeps going at the full rate, so a fan-out puts up to twice the limit into one
second and Telegram answers 429. Here message sends leave evenly spaced
(:data:`GLOBAL_RATE` per second in all) and at most a short burst per private chat.

:func:`split_text` cuts a long text at line boundaries (a line longer than the limit at
spaces, and only a single unbroken word at the limit); nothing is dropped.
:func:`deliver` sends an album (photos, the caption on the first), a photo or a text,
followed by the rest of the text; ``Forbidden`` becomes :class:`ChatGone`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InputMediaPhoto
from telegram.error import BadRequest, Forbidden
from telegram.ext import AIORateLimiter

__all__ = [
    "CAPTION_LIMIT",
    "GLOBAL_RATE",
    "TEXT_LIMIT",
    "ChatGone",
    "PacedRateLimiter",
    "Pacer",
    "deliver",
    "split_caption",
    "split_text",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
GLOBAL_RATE = 28.0
"""Message sends per second in all with Telegram's ceiling of 30."""
PACE_SHARE = GLOBAL_RATE / 30.0
"""Share of the ceiling the pacer uses: room for the jitter between here and Telegram."""
CHAT_RATE = 1.0
CHAT_BURST = 3.0
_PACED_PREFIXES = ("send", "copyMessage", "forwardMessage")
_UNPACED = {"sendChatAction"}


class ChatGone(Exception):
    """The chat blocked the bot, removed it, or no longer exists (Telegram's 403)."""


class Pacer:
    """Evenly spaced slots at ``rate`` per second: ``await pacer.wait()`` takes the next."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0

    def reserve(self) -> float:
        """Take the next slot; the seconds to wait for it."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    async def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


class _ChatBucket:
    """A token bucket per private chat: ``burst`` at once, then ``rate`` per second."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.state: dict[int, tuple[float, float]] = {}

    def reserve(self, chat_id: int, now: float) -> float:
        tokens, last = self.state.get(chat_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
        self.state[chat_id] = (tokens - 1.0, now)
        if len(self.state) > 4096:  # forget chats whose bucket is full again
            full = [c for c, (tk, t0) in self.state.items() if tk + (now - t0) * self.rate >= 3]
            for chat in full[:2048]:
                self.state.pop(chat, None)
        return wait


class PacedRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` (429 → wait ``retry_after`` and retry) with even pacing of sends."""

    def __init__(
        self,
        *,
        ceiling: float = 30.0,
        rate: float | None = None,
        chat_rate: float = CHAT_RATE,
        chat_burst: float = CHAT_BURST,
        max_retries: int = 3,
    ) -> None:
        super().__init__(overall_max_rate=ceiling, max_retries=max_retries)
        self.pacer = Pacer(rate if rate is not None else ceiling * PACE_SHARE)
        self._chats = _ChatBucket(chat_rate, chat_burst)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint.startswith(_PACED_PREFIXES) and endpoint not in _UNPACED:
            chat_id = data.get("chat_id")
            if isinstance(chat_id, int) and chat_id > 0:
                delay = self._chats.reserve(chat_id, time.monotonic())
                if delay > 0:
                    await asyncio.sleep(delay)
            await self.pacer.wait()
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def _hard_split(line: str, limit: int) -> list[str]:
    out: list[str] = []
    rest = line
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" ")
    out.append(rest)
    return out


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most ``limit`` characters, cut at line boundaries; no character is lost
    but the line breaks (and spaces) at the cuts."""
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = _hard_split(line, limit) if len(line) > limit else [line]
        for piece in pieces:
            candidate = piece if not current else f"{current}\n{piece}"
            if len(candidate) <= limit:
                current = candidate
                continue
            if current.strip():
                parts.append(current)
            current = piece
    if current.strip():
        parts.append(current)
    return parts


def split_caption(text: str, limit: int = CAPTION_LIMIT) -> tuple[str, str]:
    """(caption, rest): the whole text as the caption when it fits, else its first lines
    up to ``limit`` as the caption and everything after them as the rest."""
    if len(text) <= limit:
        return text, ""
    lines = text.split("\n")
    caption = ""
    used = 0
    for i, line in enumerate(lines):
        candidate = line if not caption else f"{caption}\n{line}"
        if len(candidate) > limit:
            break
        caption, used = candidate, i + 1
    if not caption:
        return "", text
    return caption, "\n".join(lines[used:]).strip("\n")


@dataclass(frozen=True)
class Delivered:
    """What went out: message ids, in order."""

    message_ids: tuple[int, ...]


async def deliver(
    bot: Bot,
    chat_id: int,
    text: str,
    photos: Sequence[tuple[str, bytes]] = (),
) -> Delivered:
    """Send ``photos`` (an album when several, the caption on the first) and ``text``: as
    the caption when it fits in 1,024 characters, else the first lines as the caption and
    the rest after it in messages of at most 4,096 characters. Raises :class:`ChatGone`
    when the chat is out of reach (403); ``RetryAfter`` once the retries are spent."""
    ids: list[int] = []
    try:
        rest = text
        if len(photos) >= 2:
            caption, rest = split_caption(text)
            media = [
                InputMediaPhoto(
                    media=png, filename=f"{name}.png", caption=caption if i == 0 else None
                )
                for i, (name, png) in enumerate(photos[:10])
            ]
            sent = await bot.send_media_group(chat_id=chat_id, media=media)
            ids.extend(m.message_id for m in sent)
        elif len(photos) == 1:
            caption, rest = split_caption(text)
            name, png = photos[0]
            message = await bot.send_photo(
                chat_id=chat_id, photo=png, filename=f"{name}.png", caption=caption or None
            )
            ids.append(message.message_id)
        for part in split_text(rest):
            message = await bot.send_message(chat_id=chat_id, text=part)
            ids.append(message.message_id)
    except Forbidden as exc:
        raise ChatGone(str(exc)) from exc
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            raise ChatGone(str(exc)) from exc
        raise
    return Delivered(tuple(ids))
