"""Update processing: every update stored before Telegram is told it arrived, then processed
from the database once, in order per chat, different chats in parallel.

The way in (both modes write to the inbox, `storage.repositories.store_updates`):

- polling (:class:`InboxUpdater`, the Application's updater): a batch from `getUpdates` is
  stored first; only then does the next `getUpdates` carry the offset past it, which is what
  tells Telegram the batch arrived. A crash before the store means Telegram sends it again.
- webhook (`bot.webhook`): the update is stored, then answered 200; a failed store is a 500
  and Telegram tries again.

An update stored twice (a replayed webhook, a batch fetched again after a crash) is ignored by
its `update_id`. Updates of kinds the bot does not ask for (`ALLOWED_UPDATES`) are not stored.

The way out (:class:`UpdateInbox`, started and stopped with the Application): claim the oldest
unfinished update of each chat with a lease (renewed while it runs), hand it to PTB's
`Application.process_update` (the handlers as they are), then mark it done. A chat's next
update is claimable once the handlers of the one before returned; work a handler left running
in the background (a file import) keeps its update unfinished until it ends. After a crash the
unfinished updates are processed again when the bot comes back (SQLite: at start, one
process; PostgreSQL: when the lease of the dead instance runs out); an import cut off that way
starts again from the file, and the chat is told so first.

A state change a handler made and committed just before the crash is not applied twice on the
second run: the services record the message they applied (`processed_update`, snapshot
dedupe keys, an import's content hash) in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import functools
import itertools
import logging
import os
import socket
import uuid
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseUpdateProcessor, Updater

from bot.context import App
from bot.i18n import language_from_telegram, t
from storage import repositories as repo
from storage.engine import session_scope

__all__ = [
    "ALLOWED_UPDATES",
    "InboxApplication",
    "InboxUpdater",
    "PerChatUpdateProcessor",
    "UpdateInbox",
    "chat_of",
    "kind_of",
]

log = logging.getLogger("livehost.updates")

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
MAX_ATTEMPTS = 20
"""An update whose processing was cut off this many times is given up (logged, the chat
gets the apology): it is probably what brings the process down. (Every update in hand when
a process dies counts one, so this is far above the restarts one crash loop needs.)"""

KEEP_DONE_S = 2 * 86400.0
"""How long a processed update is kept (its id recognises a late redelivery: Telegram
gives up on an update after a day)."""
FORGET_EVERY_S = 3600.0

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


def kind_of(payload: dict[str, Any]) -> str | None:
    """The update's kind (`message`, `callback_query`, …)."""
    return next((key for key in payload if key != "update_id"), None)


def chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its updates are processed in order), or None."""
    kind = kind_of(payload)
    body = payload.get(kind) if kind else None
    if not isinstance(body, dict):
        return None
    chat = body.get("chat")
    if chat is None and isinstance(body.get("message"), dict):  # a button under a message
        chat = body["message"].get("chat")
    if isinstance(chat, dict) and isinstance(chat.get("id"), int):
        return int(chat["id"])
    sender = body.get("from")
    if isinstance(sender, dict) and isinstance(sender.get("id"), int):
        return int(sender["id"])
    return None


def _rows_of(
    payloads: Sequence[dict[str, Any]], allowed: Sequence[str]
) -> list[tuple[int, int | None, dict[str, Any]]]:
    rows = []
    for payload in payloads:
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            continue
        if kind_of(payload) not in allowed:
            log.info("update %d of kind %s ignored", update_id, kind_of(payload))
            continue
        rows.append((update_id, chat_of(payload), payload))
    return rows


def store_payloads(
    engine: Engine, payloads: Sequence[dict[str, Any]], allowed: Sequence[str] = ALLOWED_UPDATES
) -> list[int]:
    """Store updates (a worker thread): the ids that were new."""
    rows = _rows_of(payloads, allowed)
    if not rows:
        return []
    with session_scope(engine) as session:
        return repo.store_updates(session, updates=rows)


class UpdateInbox:
    """Processes stored updates: claims, leases, order per chat, done marks."""

    def __init__(
        self,
        application: App,
        engine: Engine,
        executor: Executor,
        *,
        lease_s: float = 30.0,
        max_concurrent: int = 64,
        allowed: Sequence[str] = ALLOWED_UPDATES,
        worker_id: str | None = None,
    ) -> None:
        self.application = application
        self.engine = engine
        self.executor = executor
        # one process serves an SQLite file: its claims last until it stops (a restart
        # releases them); on PostgreSQL a claim lapses when its instance stops renewing it
        self.lease_s = lease_s if engine.dialect.name == "postgresql" else 7 * 86400.0
        self.max_concurrent = max_concurrent
        self.allowed = list(allowed)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.poll_s = 0.5 if engine.dialect.name == "postgresql" else 2.0
        self.processed = 0
        self._active: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._lease_task: asyncio.Task[None] | None = None

    # ----------------------------------------------------------------- the way in

    async def _db(self, fn: Callable[[*_Ts], _T], *args: *_Ts) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def store(self, payloads: Sequence[dict[str, Any]]) -> list[int]:
        """Store updates (raises when the database cannot take them) and wake processing."""
        new = await self._db(store_payloads, self.engine, list(payloads), self.allowed)
        if new:
            self._wake.set()
        return new

    # ----------------------------------------------------------------- the way out

    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    async def start(self) -> None:
        """Start processing (the stored updates not done yet first)."""
        if self.running:
            return
        self._stopping = False
        if self.engine.dialect.name == "sqlite":  # one process serves an SQLite file
            released = await self._db(self._release)
            if released:
                log.info("%d updates cut off by the last stop are processed again", released)
        self._loop_task = asyncio.create_task(self._run(), name="livehost-inbox")
        self._lease_task = asyncio.create_task(self._renew(), name="livehost-inbox-lease")

    async def stop(self) -> None:
        """Stop claiming; let the updates in hand finish."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._active:
            await asyncio.gather(*self._active.values(), return_exceptions=True)
        if self._lease_task is not None:
            self._lease_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lease_task
        self._loop_task = self._lease_task = None

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until nothing is in hand and nothing is claimable (tests)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if not self._active and not await self._db(self._unfinished):
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("updates still unfinished")

    def _release(self) -> int:
        with session_scope(self.engine) as session:
            return repo.release_update_claims(session)

    def _unfinished(self) -> int:
        with session_scope(self.engine) as session:
            return repo.unfinished_updates(session)

    def _claim(self, limit: int) -> list[tuple[int, int, dict[str, Any]]]:
        with session_scope(self.engine) as session:
            rows = repo.claim_updates(
                session,
                worker_id=self.worker_id,
                now=datetime.now(UTC),
                lease_s=self.lease_s,
                limit=limit,
            )
            return [(int(r.update_id), int(r.attempts), dict(r.payload)) for r in rows]

    def _finish(self, update_id: int, running: bool = False) -> bool:
        with session_scope(self.engine) as session:
            if running:
                return repo.set_update_running(
                    session, update_id=update_id, worker_id=self.worker_id
                )
            return repo.finish_update(session, update_id=update_id, worker_id=self.worker_id)

    def _renew_now(self) -> int:
        with session_scope(self.engine) as session:
            return repo.renew_update_leases(
                session,
                worker_id=self.worker_id,
                until=datetime.now(UTC) + timedelta(seconds=self.lease_s),
            )

    def _forget_done(self) -> int:
        with session_scope(self.engine) as session:
            return repo.forget_done_updates(
                session, before=datetime.now(UTC) - timedelta(seconds=KEEP_DONE_S)
            )

    async def _renew(self) -> None:
        """Renew the leases held here; now and then, forget updates done long ago. On
        PostgreSQL in a thread of its own, so that busy handlers never make a lease lapse."""
        loop = asyncio.get_running_loop()
        forget_at = loop.time()
        own = self.engine.dialect.name == "postgresql"
        thread = ThreadPoolExecutor(1, thread_name_prefix="livehost-lease") if own else None
        try:
            await self._renew_loop(loop, forget_at, thread)
        finally:
            if thread is not None:
                thread.shutdown(wait=False, cancel_futures=True)

    async def _renew_loop(
        self, loop: asyncio.AbstractEventLoop, forget_at: float, thread: Executor | None
    ) -> None:
        executor = thread if thread is not None else self.executor
        while True:
            try:
                if loop.time() >= forget_at:
                    forget_at = loop.time() + FORGET_EVERY_S
                    await loop.run_in_executor(executor, self._forget_done)
                await loop.run_in_executor(executor, self._renew_now)
            except Exception as exc:
                log.warning("could not renew update leases: %s", exc)
            await asyncio.sleep(min(self.lease_s / 3, FORGET_EVERY_S))

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            free = self.max_concurrent - len(self._active)
            claimed: list[tuple[int, int, dict[str, Any]]] = []
            if free > 0:
                try:
                    claimed = await self._db(self._claim, free)
                except Exception as exc:
                    log.warning("could not claim updates: %s", exc)
            for update_id, attempts, payload in claimed:
                if update_id in self._active:  # still in hand here (a lease renewed late)
                    continue
                task = asyncio.create_task(self._process(update_id, attempts, payload))
                self._active[update_id] = task
                task.add_done_callback(functools.partial(self._done, update_id))
            if not claimed or len(claimed) >= free:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)

    def _done(self, update_id: int, _task: object = None) -> None:
        self._active.pop(update_id, None)
        self._wake.set()

    async def _process(self, update_id: int, attempts: int, payload: dict[str, Any]) -> None:
        try:
            if attempts > MAX_ATTEMPTS:
                log.error("update %d given up after %d cut-off runs", update_id, attempts - 1)
                await self._say(Update.de_json(payload, self.application.bot), "error")
            else:
                await self._handle(update_id, attempts, payload)
        except Exception:
            log.exception("update %d could not be processed", update_id)
        await self._mark_done(update_id)
        self.processed += 1

    async def _mark_done(self, update_id: int) -> None:
        """Mark the update done, retried while the database refuses (until it holds its
        chat's next updates back only as long as the database is away); on a stop it stays
        unfinished and is processed again at the next start."""
        for attempt in itertools.count():
            try:
                if not await self._db(self._finish, update_id):
                    log.warning("update %d was taken over by another instance", update_id)
                return
            except Exception as exc:
                if attempt == 0:
                    log.warning("could not mark update %d done, retrying: %s", update_id, exc)
                if self._stopping:
                    return
                await asyncio.sleep(min(0.2 * 2**attempt, 5.0))

    async def _handle(self, update_id: int, attempts: int, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.application.bot)
        if attempts > 1:
            await self._tell_cut_off(update)
        app = self.application
        if isinstance(app, InboxApplication):
            background = await app.process_update_tracked(update)
        else:
            await app.process_update(update)
            background = []
        if background:
            await self._db(self._finish, update_id, True)  # the chat may go on meanwhile
            self._wake.set()
            await asyncio.gather(*background, return_exceptions=True)

    async def _say(self, update: Update, key: str, **params: object) -> None:
        """Send the chat the message `key` in the workspace's language (else the user's);
        best effort."""
        chat = update.effective_chat
        if chat is None:
            return
        chat_id = chat.id
        user = update.effective_user
        fallback = language_from_telegram(user.language_code if user else None)

        def language() -> str:
            with session_scope(self.engine) as session:
                ws = repo.get_workspace(session, chat_id=chat_id)
                return ws.language if ws is not None else fallback

        try:
            lang = await self._db(language)
        except Exception:
            lang = fallback
        with contextlib.suppress(Exception):
            await self.application.bot.send_message(chat_id=chat_id, text=t(lang, key, **params))

    async def _tell_cut_off(self, update: Update) -> None:
        """A file import cut off by a crash is read again: say so before it starts."""
        message = update.effective_message
        if message is None or message.document is None:
            return
        await self._say(update, "import_restarted", name=message.document.file_name or "file")


class InboxApplication(App):
    """PTB's Application with the inbox: started and stopped with it, and the tasks a
    handler leaves running (``block=False``) known per update."""

    inbox: UpdateInbox | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._background: dict[int, list[asyncio.Task[Any]]] = {}

    def create_task(  # type: ignore[override]
        self,
        coroutine: Awaitable[_T] | Coroutine[Any, Any, _T],
        update: object | None = None,
        *,
        name: str | None = None,
    ) -> asyncio.Task[_T]:
        task = super().create_task(coroutine, update=update, name=name)
        if update is not None and id(update) in self._background:
            self._background[id(update)].append(task)
        return task

    async def process_update_tracked(self, update: Update) -> list[asyncio.Task[Any]]:
        """`process_update`; the tasks its handlers left running."""
        self._background[id(update)] = []
        try:
            await self.process_update(update)
        finally:
            tasks = self._background.pop(id(update))
        return tasks

    async def start(self) -> None:
        await super().start()
        if self.inbox is not None:
            await self.inbox.start()

    async def stop(self) -> None:
        if self.inbox is not None:
            await self.inbox.stop()
        await super().stop()


class InboxUpdater(Updater):
    """Long polling that stores each batch before the offset moves past it."""

    RETRY_S = (0.5, 1.0, 2.0, 5.0)

    def __init__(self, bot: Any, update_queue: asyncio.Queue[object], inbox: UpdateInbox) -> None:
        super().__init__(bot, update_queue)
        self.inbox = inbox
        self._poll_task: asyncio.Task[None] | None = None
        self._halt = asyncio.Event()

    async def start_polling(
        self,
        poll_interval: float = 0.0,
        timeout: int | dtm.timedelta = dtm.timedelta(seconds=10),
        bootstrap_retries: int = 0,
        allowed_updates: Sequence[str] | None = None,
        drop_pending_updates: bool | None = None,
        error_callback: Callable[..., None] | None = None,
    ) -> asyncio.Queue[object]:
        if self._running:
            raise RuntimeError("This Updater is already running!")
        if not self._initialized:
            raise RuntimeError("This Updater was not initialized via `Updater.initialize`!")
        seconds = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else timeout
        await self.bot.delete_webhook(drop_pending_updates=bool(drop_pending_updates))
        self._running = True
        self._halt.clear()
        allowed = list(allowed_updates) if allowed_updates is not None else None
        self._poll_task = asyncio.create_task(
            self._poll(float(poll_interval), int(seconds), allowed), name="livehost-polling"
        )
        return self.update_queue

    async def _poll(self, interval: float, timeout: int, allowed: list[str] | None) -> None:
        offset: int | None = None
        failures = 0
        while not self._halt.is_set():
            try:
                fetch = asyncio.ensure_future(
                    self.bot.get_updates(
                        offset=offset,
                        timeout=timeout,
                        allowed_updates=allowed,
                        read_timeout=timeout + 10,
                    )
                )
                stop = asyncio.ensure_future(self._halt.wait())
                await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():  # stopping: what it would bring is fetched next time
                    fetch.cancel()
                    with contextlib.suppress(BaseException):
                        await fetch
                    return
                stop.cancel()
                updates = fetch.result()
                if updates:
                    payloads = [u.to_dict() for u in updates]
                    await self._store(payloads)
                    offset = max(u.update_id for u in updates) + 1
                failures = 0
            except (InvalidToken, Conflict) as exc:
                log.error("polling: %s", exc)
                failures += 1
            except RetryAfter as exc:
                with warnings.catch_warnings():  # PTB 22 warns that the type will change
                    warnings.simplefilter("ignore")
                    wait = exc.retry_after
                await asyncio.sleep(
                    wait.total_seconds() if isinstance(wait, dtm.timedelta) else float(wait)
                )
                continue
            except (NetworkError, TimedOut) as exc:
                log.warning("polling: %s", exc)
                failures += 1
            if failures:
                await asyncio.sleep(self.RETRY_S[min(failures, len(self.RETRY_S)) - 1])
            elif interval:
                await asyncio.sleep(interval)

    async def _store(self, payloads: list[dict[str, Any]]) -> None:
        """Store a batch; retried until the database takes it (the offset waits)."""
        attempt = 0
        while True:
            try:
                await self.inbox.store(payloads)
                return
            except Exception as exc:
                log.warning("could not store %d updates, retrying: %s", len(payloads), exc)
                await asyncio.sleep(self.RETRY_S[min(attempt, len(self.RETRY_S) - 1)])
                attempt += 1
                if self._halt.is_set():
                    raise

    async def stop(self) -> None:
        if not self._running:
            raise RuntimeError("This Updater is not running!")
        self._running = False
        self._halt.set()
        if self._poll_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
            self._poll_task = None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` at once, serialised per chat (updates put on the
    Application's queue directly; the inbox orders the stored ones itself)."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        key = chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued for this chat: forget its lock
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
