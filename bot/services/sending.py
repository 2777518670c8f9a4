"""Sending within Telegram's limits: paced sends, albums with captions, texts split whole.

:class:`PacedRateLimiter` is the application's rate limiter: even pacing of sends, and
``retry_after`` honoured for what it covers (one chat, or everything when the limit hit
was the bot's). PTB's ``AIORateLimiter`` pauses every request on any 429 (one group's 40 s
held up every private chat) and its leaky bucket lets a full second's worth of messages
out at once and then keeps going at the full rate, so a fan-out puts up to twice the
limit into one second and Telegram answers 429. Here message sends leave evenly spaced
(:data:`GLOBAL_RATE` per second in all), with a short burst per chat and then about one
a second in a private chat and 15 a minute in a group. Sends to one chat leave in the
order they were made: a group holding back a push's answer, the answer to /endlive and
the summary sends them in that order.

The paces are GCRA schedules (:class:`storage.repositories.Pace`) kept in
:class:`MemoryPaces` when one process sends (SQLite, one machine) or in
:class:`DatabasePaces` when several instances share one PostgreSQL: Telegram counts the
bot's messages, not an instance's, so the 30 a second hold for all of them together.

:func:`split_text` cuts a long text at line boundaries (a line longer than the limit at
spaces, and only a single unbroken word at the limit); nothing is dropped.
:func:`deliver` sends an album (photos, the caption on the first), a photo or a text,
followed by the rest of the text; ``Forbidden`` becomes :class:`ChatGone`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.i18n import t
from storage import repositories as repo
from storage.engine import session_scope
from storage.repositories import Pace, Slot

__all__ = [
    "CAPTION_LIMIT",
    "GLOBAL_RATE",
    "TEXT_LIMIT",
    "ChatGone",
    "DatabasePaces",
    "MemoryPaces",
    "PacedRateLimiter",
    "Paces",
    "PartSent",
    "deliver",
    "fit_request",
    "fit_text",
    "split_caption",
    "split_text",
]

log = logging.getLogger("livehost.sending")

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
GLOBAL_RATE = 28.0
"""Message sends per second in all with Telegram's ceiling of 30."""
PACE_SHARE = GLOBAL_RATE / 30.0
"""Share of the ceiling the pacer uses: room for the jitter between here and Telegram."""
CHAT_INTERVAL = 1.05
"""Seconds between sends to one private chat after its burst (Telegram: about one a second)."""
CHAT_BURST = 3
GROUP_INTERVAL = 4.0
GROUP_BURST = 4
"""A group gets 4 at once, then one each 4 s: at most 19 in any minute (Telegram: 20)."""
_PACED_PREFIXES = ("send", "copyMessage", "forwardMessage")
_UNPACED = {"sendChatAction"}


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TEXT_FIELDS = {
    "sendMessage": ("text", TEXT_LIMIT),
    "editMessageText": ("text", TEXT_LIMIT),
    "sendPhoto": ("caption", CAPTION_LIMIT),
    "sendDocument": ("caption", CAPTION_LIMIT),
    "editMessageCaption": ("caption", CAPTION_LIMIT),
}


def _units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut(text: str, units: int) -> str:
    """The longest start of ``text`` of at most ``units`` UTF-16 code units."""
    out = text[:units]
    while _units(out) > units:
        out = out[:-1]
    return out


def fit_text(text: str, limit: int = TEXT_LIMIT, lang: str | None = None) -> str:
    """``text`` when it fits in ``limit`` (UTF-16 code units, as Telegram counts), else its
    first lines and "…and N more" (N: the lines left out); a first line longer than the
    limit is cut and ends with "…". The language of the note follows ``lang``, else the
    text (Chinese characters in it: zh)."""
    if _units(text) <= limit:
        return text
    language = lang or ("zh" if _CJK.search(text) else "en")
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        note = "\n" + t(language, "text_more", count=f"{len(lines) - index - 1:,}")
        cost = _units(line) + (1 if kept else 0)
        if used + cost + _units(note) > limit:
            break
        kept.append(line)
        used += cost
    if not kept:  # one line longer than everything: cut it
        head = _cut(lines[0], limit - 2 - _units(note)).rstrip() + "…"
        rest = len(lines) - 1
        if not rest:
            return head
        return head + "\n" + t(language, "text_more", count=f"{rest:,}")
    rest = len(lines) - len(kept)
    return "\n".join(kept) + "\n" + t(language, "text_more", count=f"{rest:,}")


def fit_request(endpoint: str, data: dict[str, Any]) -> bool:
    """Make a request's text (or caption) fit Telegram's limit, in place; whether it was
    changed. Every reply passes here (the rate limiter calls it), so nothing the bot says
    is refused for its length after the change it reports was made."""
    field = _TEXT_FIELDS.get(endpoint)
    if field is None:
        return False
    key, limit = field
    value = data.get(key)
    if not isinstance(value, str) or _units(value) <= limit:
        return False
    data[key] = fit_text(value, limit)
    return True


class ChatGone(Exception):
    """The chat blocked the bot, removed it, or no longer exists (Telegram's 403)."""

    def __init__(self, message: str, chat_id: int) -> None:
        super().__init__(message)
        self.chat_id = chat_id


class Paces(Protocol):
    """Where the pace schedules live: ``await paces.reserve(pace, chat)`` asks for the next
    send under ``pace`` once ``chat`` (if any) allows one (`storage.repositories.Slot`)."""

    async def reserve(self, pace: Pace, chat: Pace | None = None) -> Slot: ...

    def close(self) -> None: ...


class MemoryPaces:
    """GCRA schedules in this process: right when it is the only one sending. The same
    rules as `storage.repositories.reserve_send`, without the database."""

    MAX_KEYS = 4096

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[str, float] = {}

    def reserve_now(self, pace: Pace, chat: Pace | None = None) -> Slot:
        """Take the next send under ``pace`` unless ``chat`` does not allow one yet."""
        now = self._clock()
        if chat is not None:
            early = self._tat.get(chat.key, now) - chat.tolerance - now
            if early > 0:
                return Slot(early, reserved=False)
        tat = max(self._tat.get(pace.key, now), now) + pace.interval
        self._tat[pace.key] = tat
        wait = max(0.0, tat - pace.interval - pace.tolerance - now)
        if chat is not None:
            self._tat[chat.key] = max(self._tat.get(chat.key, now), now + wait) + chat.interval
        if len(self._tat) > self.MAX_KEYS:  # an idle key is as good as no key
            for key in [k for k, due in self._tat.items() if due < now][: self.MAX_KEYS // 2]:
                del self._tat[key]
        return Slot(wait, reserved=True)

    async def reserve(self, pace: Pace, chat: Pace | None = None) -> Slot:
        return self.reserve_now(pace, chat)

    def close(self) -> None:
        self._tat.clear()


class DatabasePaces:
    """GCRA schedules in the database (`send_pace`), shared by every instance on it.

    Each reservation is one short transaction in a thread of its own (the event loop never
    waits on the database). When the database cannot answer, sends fall back to this
    process's own schedule, logged, rather than fail.
    """

    FORGET_EVERY_S = 600.0
    IDLE_S = 60.0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._thread: ThreadPoolExecutor | None = None  # made on first use, again after close
        self._fallback = MemoryPaces()
        self._forget_at = 0.0
        self._failing = False

    def _reserve(self, pace: Pace, chat: Pace | None) -> Slot:
        with session_scope(self.engine) as session:
            slot = repo.reserve_send(session, pace=pace, chat=chat)
        if time.monotonic() >= self._forget_at:
            self._forget_at = time.monotonic() + self.FORGET_EVERY_S
            with session_scope(self.engine) as session:
                repo.forget_idle_paces(session, before=time.time() - self.IDLE_S)
        return slot

    async def reserve(self, pace: Pace, chat: Pace | None = None) -> Slot:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livehost-pace")
        loop = asyncio.get_running_loop()
        try:
            slot = await loop.run_in_executor(self._thread, self._reserve, pace, chat)
        except Exception as exc:  # the database is away: pace here alone meanwhile
            if not self._failing:
                log.warning("send pacing falls back to this instance alone: %s", exc)
            self._failing = True
            return self._fallback.reserve_now(pace, chat)
        if self._failing:
            log.info("send pacing is shared through the database again")
            self._failing = False
        return slot

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True, cancel_futures=True)


GLOBAL_SIGNAL_CHATS = 3
"""429s for this many different chats within one retry_after mean the bot as a whole is over
Telegram's limit: everything pauses, not only those chats."""


@dataclass
class _Turn:
    """The sends to one chat waiting for their slots, first come, first served."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class PacedRateLimiter(BaseRateLimiter[int]):
    """Even pacing of sends (a slot on the bot's global pace once the chat's own pace allows
    a send) and ``retry_after`` honoured for what it covers.

    Telegram's 429 does not say which limit was hit. A 429 on a request to one chat pauses
    that chat for ``retry_after``; the other chats go on. When 429s arrive for
    :data:`GLOBAL_SIGNAL_CHATS` different chats within one pause, or for a request that
    names no chat, the limit is the bot's: every send waits. The request is then retried,
    at most ``max_retries`` times (the last ``RetryAfter`` is raised).

    The schedule alone is not enough: Telegram counts the sends that *arrive* in any second,
    and a send arrives at some moment between when it leaves and when its answer comes
    back. When this process stalls (a long stretch of work holding the interpreter, a
    collection of garbage), the sends due meanwhile leave together once it resumes; when
    the other side stalls (or the connection pool holds requests back), sends that left on
    time arrive together. A stall of 70 ms at 28/s puts 31 sends in one second, a 429. So
    each paced send also waits, at the moment it leaves, until fewer than
    :attr:`window_sends` sends are either still waiting for their answer or were answered
    within the last second (:meth:`_leave`). Any second then holds at most that many
    arrivals whatever the stalls: a send arriving in it either is one of those the last
    of them saw at its leaving, or is that last one. The price is throughput when answers
    are slow: each send holds its place for its round trip plus a second.
    """

    WINDOW_S = 1.0

    def __init__(
        self,
        *,
        ceiling: float = 30.0,
        rate: float | None = None,
        chat_interval: float = CHAT_INTERVAL,
        chat_burst: int = CHAT_BURST,
        group_interval: float = GROUP_INTERVAL,
        group_burst: int = GROUP_BURST,
        max_retries: int = 3,
        paces: Paces | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.paces: Paces = paces if paces is not None else MemoryPaces()
        per_second = rate if rate is not None else ceiling * PACE_SHARE
        self.global_pace = Pace("global", 1.0 / per_second)
        self.window_sends = max(1, math.ceil(ceiling) - 1)
        """Paced sends that may be unanswered, or answered within the last
        :data:`WINDOW_S`, when one more leaves: one under Telegram's ceiling."""
        self._in_flight = 0
        self._answered: deque[float] = deque()
        self._wake: asyncio.Event | None = None
        self._private = (chat_interval, chat_burst)
        self._group = (group_interval, group_burst)
        self.max_retries = max_retries
        self._clock = clock
        self._paused: dict[str, float] = {}
        """Pause key (`chat:<id>` or `*` for everything) -> until when (clock seconds)."""
        self._recent: dict[str, float] = {}
        """Chat key -> when its last 429 came (to tell a global limit from a chat's)."""
        self.pauses: list[tuple[str, float]] = []
        """Every pause taken, as (key, seconds): `*` for a global one."""
        self._turns: dict[str, _Turn] = {}
        """Chat key -> the queue of its sends waiting for a slot (while any is)."""

    async def initialize(self) -> None:
        """Nothing to set up."""

    def chat_pace(self, chat_id: object) -> Pace | None:
        """The pace of one chat: a private chat's (a positive id) or a group's (a negative
        id or an @username)."""
        if isinstance(chat_id, bool) or not isinstance(chat_id, int | str) or chat_id == "":
            return None
        private = isinstance(chat_id, int) and chat_id > 0
        interval, burst = self._private if private else self._group
        return Pace(f"chat:{chat_id}", interval, burst)

    def paused_for(self, chat_key: str | None) -> float:
        """Seconds until a request to ``chat_key`` (None: no chat) may go out."""
        now = self._clock()
        until = self._paused.get("*", 0.0)
        if chat_key is not None:
            until = max(until, self._paused.get(chat_key, 0.0))
        return max(0.0, until - now)

    def note_retry_after(self, chat_key: str | None, seconds: float) -> str:
        """Record a 429 for ``chat_key``; the key paused (`*` when it was global)."""
        now = self._clock()
        until = now + seconds
        key = "*"
        if chat_key is not None:
            self._recent = {k: at for k, at in self._recent.items() if at > now - seconds}
            self._recent[chat_key] = now
            if len(self._recent) < GLOBAL_SIGNAL_CHATS:
                key = chat_key
        self._paused[key] = max(self._paused.get(key, 0.0), until)
        if len(self._paused) > MemoryPaces.MAX_KEYS:
            self._paused = {k: u for k, u in self._paused.items() if u > now}
        self.pauses.append((key, seconds))
        return key

    async def _slot(self, chat_id: object) -> None:
        """Wait for this send's slot. Sends to one chat take their slots in the order they
        were made: each waits its turn behind the one before (an asyncio lock is first
        come, first served), since the chat's pace, checked first and not queued, would
        let whichever woke first go."""
        chat = self.chat_pace(chat_id)
        if chat is None:
            await self._reserve(None)
            return
        turn = self._turns.get(chat.key)
        if turn is None:
            turn = self._turns[chat.key] = _Turn()
        turn.waiting += 1
        try:
            async with turn.lock:
                await self._reserve(chat)
        finally:
            turn.waiting -= 1
            if turn.waiting == 0:
                del self._turns[chat.key]

    async def _reserve(self, chat: Pace | None) -> None:
        while True:
            slot = await self.paces.reserve(self.global_pace, chat)
            if slot.wait > 0:
                await asyncio.sleep(slot.wait)
            if slot.reserved:
                return

    async def _leave(self) -> None:
        """Wait until a send may leave now: fewer than `window_sends` paced sends are
        waiting for their answer or were answered within the last window. Pair with
        :meth:`_answered_now`."""
        while True:
            now = self._clock()
            answered = self._answered
            while answered and answered[0] <= now - self.WINDOW_S:
                answered.popleft()
            if self._in_flight + len(answered) < self.window_sends:
                self._in_flight += 1
                return
            if self._wake is None:
                self._wake = asyncio.Event()
            wake = self._wake
            timeout = answered[0] + self.WINDOW_S - now + 0.001 if answered else None
            # a send answered (or an answer aging out of the window) frees a place
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)

    def _answered_now(self) -> None:
        """A send that left through :meth:`_leave` has its answer (or failed)."""
        self._in_flight -= 1
        self._answered.append(self._clock())
        wake, self._wake = self._wake, None
        if wake is not None:
            wake.set()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if fit_request(endpoint, data):
            log.info("%s: a text over Telegram's limit was shortened", endpoint)
        chat_id = data.get("chat_id")
        pace = self.chat_pace(chat_id)
        chat_key = pace.key if pace is not None else None
        paced = endpoint.startswith(_PACED_PREFIXES) and endpoint not in _UNPACED
        retries = rate_limit_args or self.max_retries
        attempt = 0
        while True:
            while (wait := self.paused_for(chat_key)) > 0:
                await asyncio.sleep(wait)
            if paced:
                await self._slot(chat_id)
                await self._leave()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    log.warning("%s to %s refused after %d retries", endpoint, chat_id, retries)
                    raise
                attempt += 1
                with warnings.catch_warnings():  # PTB 22 warns that the type will change
                    warnings.simplefilter("ignore")
                    seconds = exc.retry_after
                delay = seconds.total_seconds() if not isinstance(seconds, int) else float(seconds)
                key = self.note_retry_after(chat_key, delay + 0.1)
                log.info("%s: retry after %.1f s (pauses %s)", endpoint, delay, key)
            finally:
                if paced:
                    self._answered_now()

    async def shutdown(self) -> None:
        self.paces.close()


def _hard_split(line: str, limit: int) -> list[str]:
    out: list[str] = []
    rest = line
    while _units(rest) > limit:
        head = _cut(rest, limit)
        cut = head.rfind(" ")
        if cut <= 0:
            cut = max(len(head), 1)
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" ")
    out.append(rest)
    return out


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most ``limit`` UTF-16 code units (as Telegram counts: an emoji is two),
    cut at line boundaries; no character is lost but the line breaks (and spaces) at the
    cuts."""
    if _units(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        pieces = _hard_split(line, limit) if _units(line) > limit else [line]
        for piece in pieces:
            candidate = piece if not current else f"{current}\n{piece}"
            if _units(candidate) <= limit:
                current = candidate
                continue
            if current.strip():
                parts.append(current)
            current = piece
    if current.strip():
        parts.append(current)
    return parts


def split_caption(text: str, limit: int = CAPTION_LIMIT) -> tuple[str, str]:
    """(caption, rest): the whole text as the caption when it fits in ``limit`` UTF-16 code
    units, else its first lines up to ``limit`` as the caption and everything after them as
    the rest."""
    if _units(text) <= limit:
        return text, ""
    lines = text.split("\n")
    caption = ""
    used = 0
    for i, line in enumerate(lines):
        candidate = line if not caption else f"{caption}\n{line}"
        if _units(candidate) > limit:
            break
        caption, used = candidate, i + 1
    if not caption:
        return "", text
    return caption, "\n".join(lines[used:]).strip("\n")


@dataclass(frozen=True)
class Delivered:
    """What went out: message ids, in order."""

    message_ids: tuple[int, ...]


PartSent = Callable[[int], Awaitable[None]]
"""Told the number of parts delivered so far, after each part Telegram accepted."""


async def deliver(
    bot: Bot,
    chat_id: int,
    text: str,
    photos: Sequence[tuple[str, bytes]] = (),
    *,
    skip: int = 0,
    on_part: PartSent | None = None,
    markup: InlineKeyboardMarkup | None = None,
    markup_text: str = "",
) -> Delivered:
    """Send ``photos`` (an album when several, the caption on the first) and ``text``: as
    the caption when it fits in 1,024 characters, else the first lines as the caption and
    the rest after it in messages of at most 4,096 characters. Raises :class:`ChatGone`
    when the chat is out of reach (403); ``RetryAfter`` once the retries are spent.

    The parts are numbered in order: the photos with their caption are part 1 (one album
    request), each text message after them one more. ``skip`` leaves out the parts already
    delivered by an earlier attempt, so a failed text is retried alone and the photos are
    not sent again; ``on_part(n)`` is awaited after each part Telegram accepted (``n``:
    parts delivered so far) for the caller to record. A crash between Telegram's answer and
    that record can repeat one part on the next attempt: the album (one request) if it
    came right after the album, else that one text message; never more.

    ``markup`` (buttons) goes under the last message; when that is an album (which
    cannot carry buttons), under one more message saying ``markup_text``."""
    ids: list[int] = []
    parts: list[Callable[[], Awaitable[list[int]]]] = []
    rest = text
    if len(photos) >= 2:
        caption, rest = split_caption(text)
        media = [
            InputMediaPhoto(media=png, filename=f"{name}.png", caption=caption if i == 0 else None)
            for i, (name, png) in enumerate(photos[:10])
        ]

        async def album() -> list[int]:
            sent = await bot.send_media_group(chat_id=chat_id, media=media)
            return [m.message_id for m in sent]

        parts.append(album)
    elif len(photos) == 1:
        caption, rest = split_caption(text)
        name, png = photos[0]

        pieces = split_text(rest)

        async def photo() -> list[int]:
            message = await bot.send_photo(
                chat_id=chat_id,
                photo=png,
                filename=f"{name}.png",
                caption=caption or None,
                reply_markup=None if pieces else markup,
            )
            return [message.message_id]

        parts.append(photo)
    pieces = split_text(rest)
    if markup is not None and not pieces and len(photos) >= 2 and markup_text:
        pieces = [markup_text]
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1

        async def message(piece: str = piece, last: bool = last) -> list[int]:
            sent = await bot.send_message(
                chat_id=chat_id, text=piece, reply_markup=markup if last else None
            )
            return [sent.message_id]

        parts.append(message)
    try:
        for number, part in enumerate(parts, start=1):
            if number <= skip:
                continue
            ids.extend(await part())
            if on_part is not None:
                await on_part(number)
    except Forbidden as exc:
        raise ChatGone(str(exc), chat_id) from exc
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            raise ChatGone(str(exc), chat_id) from exc
        raise
    return Delivered(tuple(ids))
