"""The scheduler: every scheduled send lives in the database; the JobQueue only wakes us.

At start (``post_init``) :meth:`Scheduler.start` plans the digests, closes streams left
silent, and adds one JobQueue job per pending send (named by its key) plus a repeating
sweeper. Any of them runs :meth:`Scheduler.sweep`, which claims due sends in the database
with a lease (``claim_due_sends``), performs them — several at once, paced by the
application's rate limiter — and marks each sent. So a restart, a retry or a second
instance never sends one twice, and a send claimed by an instance that died goes out once
its lease runs out. A send found more than :data:`CATCH_UP` late (the bot was down) is
dropped and logged.

When the application stops, a running fan-out claims nothing more and lets the sends in
flight finish (``Application.stop`` waits for running jobs): nothing is left half-done.

Charts render in a process pool (forkserver, else spawn; created on first use and shut
down with the application). Digests are built in that pool too, reading the database from
there, so the threads that answer pushes share no interpreter lock with them (an in-memory
database, which no other process can open, builds them in the compute threads).
Digests are prepared ahead, for those due within :data:`PREPARE_AHEAD` whose day is
over, in a second pool whose processes run at the lowest CPU priority (replies to pushes
come first): built and rendered in batches of ``DIGEST_BATCH`` into a cache keyed by the
chart's data, so a digest fan-out is held back by Telegram's limits rather than by
rendering; a digest whose data changed after that is rendered again when it is sent.

What each kind of send does lives in its own module of :mod:`bot.sends` (summary,
digest, nudge, retrain), registered in :attr:`Scheduler.kinds`; this module keeps the
JobQueue glue and the claim, lease and retry loop.

The clock is :attr:`Scheduler.clock` (UTC now): tests replace it to travel in time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.sends import digest, nudge, retrain, summary
from bot.sends.kind import PARTS_SENT, Outcome, SendKind
from bot.sends.retrain import plan_weekly_retrain
from bot.services.chart_render import ChartRenderer
from bot.services.digests import DigestContent, plan_digests
from bot.services.sending import ChatGone
from bot.services.summaries import close_idle_sessions
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend, row_id

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.context import App, Context

__all__ = [
    "CATCH_UP",
    "KINDS",
    "LEASE_S",
    "PARTS_SENT",
    "PREPARE_AHEAD",
    "SWEEPER_JOB",
    "SWEEP_INTERVAL_S",
    "Scheduler",
    "SendKind",
    "run_cli_digests",
]

log = logging.getLogger("livehost.scheduler")

KINDS = ("summary", "digest", "nudge", "retrain")
"""The kinds of send this scheduler performs (others are left to their own workers)."""
SWEEP_INTERVAL_S = 15.0
SWEEPER_JOB = "sweeper"
LEASE_S = 180.0
CATCH_UP = timedelta(hours=6)
PREPARE_AHEAD = timedelta(minutes=20)
PLAN_EVERY = timedelta(seconds=60)
MAX_ATTEMPTS = 5
"""A send that met network errors this many times fails for good."""
MAX_ERROR_ATTEMPTS = 3
"""A send whose own work raised this many times fails for good (a bug does not mend by
retrying, and each try renders and computes again)."""
CONCURRENCY = 32

T = TypeVar("T")
P = ParamSpec("P")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _original_due(row: ScheduledSend) -> datetime:
    raw = (row.payload or {}).get("due")
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return row.due_at


class Scheduler:
    """Plans, wakes and performs the scheduled sends of one application instance."""

    def __init__(
        self,
        application: App,
        *,
        clock: Callable[[], datetime] = _utcnow,
        concurrency: int = CONCURRENCY,
        lease_s: float = LEASE_S,
        catch_up: timedelta = CATCH_UP,
        prepare_ahead: timedelta = PREPARE_AHEAD,
        sweep_interval_s: float = SWEEP_INTERVAL_S,
        render_workers: int | None = None,
    ) -> None:
        self.application = application
        self.clock = clock
        self.concurrency = concurrency
        self.lease_s = lease_s
        self.catch_up = catch_up
        self.kinds: dict[str, SendKind] = {
            "summary": SendKind(functools.partial(summary.perform, self), catch_up),
            "digest": SendKind(functools.partial(digest.perform, self), catch_up),
            "nudge": SendKind(functools.partial(nudge.perform, self), nudge.CATCH_UP),
            "retrain": SendKind(functools.partial(retrain.perform, self), catch_up),
        }
        """The registry of kinds this scheduler claims and performs (``KINDS``)."""
        self.prepare_ahead = prepare_ahead
        self.sweep_interval_s = sweep_interval_s
        self.render_workers = render_workers
        self.charts = ChartRenderer(render_workers)
        """Chart rendering: the process pool and the digest charts rendered ahead."""
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.sent_count = 0
        self._started = False
        self._closing = False
        self._sweeping = False
        self._again = False
        self._watched: set[str] = set()
        self._last_plan: datetime | None = None
        self._preparing: asyncio.Task[None] | None = None
        self._db_url: str | None = None
        self._db_url_known = False

    # ------------------------------------------------------------------ plumbing

    def now(self) -> datetime:
        return self.clock()

    @property
    def engine(self) -> Engine:
        return self.application.bot_data.engine

    async def thread(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.application.bot_data.executor, functools.partial(fn, *args, **kwargs)
        )

    async def compute(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Reports, digests and their figures: in the compute pool, so the database
        thread that answers pushes stays free (the database thread when there is none)."""
        loop = asyncio.get_running_loop()
        state = self.application.bot_data
        executor = getattr(state, "compute_executor", None) or state.executor
        return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))

    async def worker_url(self) -> str | None:
        """The URL the pool's processes open the database with; None for an in-memory
        database (no other process can reach it)."""
        if not self._db_url_known:
            from bot.services.worker_db import worker_db_url

            try:
                self._db_url = await self.thread(worker_db_url, self.engine)
            except ValueError:
                self._db_url = None
            self._db_url_known = True
        return self._db_url

    async def build_digest(
        self,
        workspace_id: int,
        *,
        covers: date | None = None,
        last_24h_until: datetime | None = None,
    ) -> DigestContent | None:
        """A digest's content (`bot.sends.digest.build`)."""
        return await digest.build(self, workspace_id, covers=covers, last_24h_until=last_24h_until)

    @property
    def stats(self) -> Counter[str]:
        """Digest charts taken from the render-ahead cache or rendered when sent."""
        return self.charts.stats

    def stopping(self) -> bool:
        """True once the application stops: claim nothing more, prepare nothing more."""
        return self._closing or (self._started and not self.application.running)

    # --------------------------------------------------------------- start, jobs

    async def start(self) -> None:
        """Rebuild the JobQueue from the database: the sweeper and a job per pending send."""
        now = self.now()
        for key, due in await self.thread(close_idle_sessions, self.engine, now=now):
            log.info("closed a silent stream; %s due %s", key, due)
        await self.thread(plan_digests, self.engine, now=now)
        await self.thread(plan_weekly_retrain, self.engine, now=now)
        self._last_plan = now
        rows = await self.thread(self._pending)
        for key, due in rows:
            self.watch(key, due)
        job_queue = self.application.job_queue
        if job_queue is not None:
            for job in job_queue.get_jobs_by_name(SWEEPER_JOB):
                job.schedule_removal()
            job_queue.run_repeating(
                _sweep_job, interval=self.sweep_interval_s, first=0.5, name=SWEEPER_JOB
            )
        self._started = True
        log.info("scheduler %s up: %d sends pending", self.worker_id, len(rows))

    def _pending(self) -> list[tuple[str, datetime]]:
        with session_scope(self.engine) as session:
            rows = repo.pending_sends(session, kinds=tuple(self.kinds))
            return [(row.key, row.due_at) for row in rows]

    def watch(self, key: str, due: datetime) -> None:
        """A JobQueue job named ``key`` that sweeps when the send is due (once per key)."""
        job_queue = self.application.job_queue
        if job_queue is None or key in self._watched:
            return
        self._watched.add(key)
        delay = max((due - self.now()).total_seconds(), 0.0)
        job_queue.run_once(_due_job, when=delay, name=key)

    async def shutdown(self) -> None:
        """Stop claiming; shut the chart pool down (after ``Application.stop``)."""
        self._closing = True
        if self._preparing is not None and not self._preparing.done():
            self._preparing.cancel()
            await asyncio.gather(self._preparing, return_exceptions=True)
        self.charts.shutdown()

    async def wait_idle(self) -> None:
        """Wait until no sweep is running (tests and tools)."""
        while self._sweeping:
            await asyncio.sleep(0.01)

    async def wait_prepared(self) -> None:
        """Wait until the digests due soon have their charts rendered ahead."""
        task = self._preparing
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    # --------------------------------------------------------------------- sweep

    async def sweep(self) -> int:
        """Claim and perform every due send; the number performed. Re-entrant calls while
        a sweep runs make it look again when done instead of running twice."""
        if self._sweeping:
            self._again = True
            return 0
        self._sweeping = True
        done = 0
        try:
            while True:
                self._again = False
                await self._housekeeping()
                done += await self._drain()
                if not self._again or self.stopping():
                    break
        finally:
            self._sweeping = False
        return done

    async def run_due(self) -> int:
        """Perform what is due now, without the JobQueue (the CLI)."""
        return await self.sweep()

    async def _housekeeping(self) -> None:
        now = self.now()
        for key, due in await self.thread(close_idle_sessions, self.engine, now=now):
            self.watch(key, due)
        if self._last_plan is None or now - self._last_plan >= PLAN_EVERY:
            self._last_plan = now
            for key, due in await self.thread(plan_digests, self.engine, now=now):
                self.watch(key, due)
        if self._started and (self._preparing is None or self._preparing.done()):
            self._preparing = asyncio.get_running_loop().create_task(digest.prepare(self))

    async def _drain(self) -> int:
        tasks: set[asyncio.Task[None]] = set()
        done = 0
        exhausted = False
        while True:
            if not exhausted and not self.stopping() and len(tasks) <= self.concurrency // 2:
                rows = await self.thread(self._claim, self.concurrency - len(tasks))
                exhausted = not rows
                for row in rows:
                    tasks.add(asyncio.get_running_loop().create_task(self._perform(row)))
            if not tasks:
                break
            finished, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            done += len(finished)
            if exhausted and not self.stopping():
                exhausted = False  # look again: more may have come due meanwhile
        return done

    def _claim(self, limit: int) -> list[ScheduledSend]:
        with session_scope(self.engine) as session:
            rows = repo.claim_due_sends(
                session,
                now=self.now(),
                worker_id=self.worker_id,
                lease_s=self.lease_s,
                limit=limit,
                kinds=tuple(self.kinds),
            )
            for row in rows:
                session.expunge(row)
            return rows

    # ------------------------------------------------------------------- perform

    async def _perform(self, row: ScheduledSend) -> None:
        send_id = row_id(row)
        now = self.now()
        late = now - _original_due(row)
        kind = self.kinds[row.kind]
        window = kind.catch_up
        self._watched.discard(row.key)
        if late > window:
            log.warning("dropped %s: %s late (catch-up window %s)", row.key, late, window)
            await self.thread(self._finish, send_id, "dropped", f"late by {late}")
            return
        try:
            outcome = await kind.perform(row)
        except ChatGone as exc:
            log.warning("%s: chat of workspace %s is gone (%s)", row.key, row.workspace_id, exc)
            await self.thread(self._gone, send_id, row.workspace_id, str(exc))
            chat_state = self.application.chat_data.get(exc.chat_id)
            if chat_state is not None:  # its next message finds the workspace inactive
                chat_state.workspace = None
            return
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type will change
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await self.thread(self._retry, send_id, f"429: {exc}", seconds + 1.0)
            return
        except (TimedOut, NetworkError) as exc:
            if row.attempts >= MAX_ATTEMPTS:
                await self.thread(self._finish, send_id, "failed", f"network: {exc}")
            else:
                await self.thread(self._retry, send_id, f"network: {exc}", 30.0 * row.attempts)
            return
        except Exception as exc:
            log.exception("%s failed", row.key)
            if row.attempts >= MAX_ERROR_ATTEMPTS:
                await self.thread(self._finish, send_id, "failed", repr(exc)[:500])
            else:
                await self.thread(self._retry, send_id, repr(exc)[:500], 60.0 * row.attempts)
            return
        if outcome == Outcome.EMPTY:
            await self.thread(self._finish, send_id, "dropped", "nothing to say")
        else:
            self.sent_count += 1
            await self.thread(self._finish, send_id, "sent", None)

    def _finish(self, send_id: int, status: str, reason: str | None) -> None:
        with session_scope(self.engine) as session:
            if status == "sent":
                repo.mark_sent(
                    session, send_id=send_id, worker_id=self.worker_id, sent_at=self.now()
                )
            elif status == "dropped":
                row = session.get(ScheduledSend, send_id)
                if row is not None:
                    repo.drop_send(session, key=row.key)
                    row.last_error = reason
                    session.add(row)
            else:
                repo.mark_failed(
                    session, send_id=send_id, error=reason or status, worker_id=self.worker_id
                )

    def _retry(self, send_id: int, reason: str, after_s: float) -> None:
        with session_scope(self.engine) as session:
            repo.mark_failed(
                session,
                send_id=send_id,
                error=reason,
                retry_at=self.now() + timedelta(seconds=after_s),
                worker_id=self.worker_id,
            )

    def _gone(self, send_id: int, workspace_id: int | None, reason: str) -> None:
        with session_scope(self.engine) as session:
            if workspace_id is not None:
                repo.update_workspace(session, workspace_id=workspace_id, active=False)
            repo.mark_failed(
                session, send_id=send_id, error=f"forbidden: {reason}", worker_id=self.worker_id
            )

    # ----------------------------------------------------------------- on demand

    async def send_digest_now(self, workspace_id: int) -> bool:
        """The last 24 hours' digest at once (`bot.sends.digest.send_now`)."""
        return await digest.send_now(self, workspace_id)

    async def send_summary_now(
        self, workspace_id: int, session_id: int, asker: int = 0
    ) -> summary.NowOutcome:
        """/summary at once (`bot.sends.summary.send_now`)."""
        return await summary.send_now(self, workspace_id, session_id, asker)


async def _sweep_job(context: Context) -> None:
    await context.state.scheduler.sweep()


async def _due_job(context: Context) -> None:
    await context.state.scheduler.sweep()


async def run_cli_digests(
    application: App,
    *,
    all_workspaces: bool = False,
    on_date: date | None = None,
) -> int:
    """`livehost digest`: send what is due now; with ``all_workspaces`` first make every
    active workspace's digest of ``on_date`` (default: its yesterday) due. Idempotent per
    workspace and date: the claims in the database decide. The number of sends made."""
    from bot.services.digests import force_digests

    state = application.bot_data
    scheduler = state.scheduler
    await application.initialize()
    try:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(state.executor, _upgrade, state.engine)
        if all_workspaces:
            await loop.run_in_executor(
                state.executor,
                functools.partial(
                    force_digests, state.engine, now=scheduler.now(), on_date=on_date
                ),
            )
        await scheduler.run_due()
        return scheduler.sent_count
    finally:
        await scheduler.shutdown()
        await application.shutdown()
        application.bot_data.executor.shutdown(wait=True)


def _upgrade(engine: Engine) -> None:
    from storage.engine import upgrade

    upgrade(engine)
