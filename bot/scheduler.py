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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.i18n import t
from bot.services.active_models import active_model
from bot.services.admin import plan_weekly_retrain
from bot.services.chart_render import ChartRenderer
from bot.services.details import details_keyboard, has_details
from bot.services.digests import (
    DigestContent,
    build_digest,
    digest_batches,
    digest_in_worker,
    plan_digests,
    prepare_digests,
)
from bot.services.filing import remember_summary, summary_fingerprint, summary_is_stale_repeat
from bot.services.nudges import nudge_text
from bot.services.sending import ChatGone, deliver
from bot.services.summaries import (
    SummaryContent,
    build_summary,
    close_idle_sessions,
    render_summary_charts,
)
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

PARTS_SENT = "parts_sent"
"""Payload key of a summary: how many of its parts (the album, then each text message)
were delivered, so that a retry sends only the rest (`bot.services.sending.deliver`)."""

KINDS = ("summary", "digest", "nudge", "retrain")
"""The kinds of send this scheduler performs (others are left to their own workers)."""
SWEEP_INTERVAL_S = 15.0
SWEEPER_JOB = "sweeper"
LEASE_S = 180.0
CATCH_UP = timedelta(hours=6)
NUDGE_CATCH_UP = timedelta(minutes=10)
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


class _Outcome:
    SENT = "sent"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class SendKind:
    """One kind of scheduled send: how it is performed (an outcome of ``_Outcome``) and
    how late it may still go out."""

    perform: Callable[[ScheduledSend], Awaitable[str]]
    catch_up: timedelta


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
            "summary": SendKind(self._send_summary, catch_up),
            "digest": SendKind(self._send_digest, catch_up),
            "nudge": SendKind(self._send_nudge, NUDGE_CATCH_UP),
            "retrain": SendKind(self._start_retrain, catch_up),
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
    def _engine(self) -> Engine:
        return self.application.bot_data.engine

    async def _thread(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.application.bot_data.executor, functools.partial(fn, *args, **kwargs)
        )

    async def _compute(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Reports, digests and their figures: in the compute pool, so the database
        thread that answers pushes stays free (the database thread when there is none)."""
        loop = asyncio.get_running_loop()
        state = self.application.bot_data
        executor = getattr(state, "compute_executor", None) or state.executor
        return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))

    async def _worker_url(self) -> str | None:
        """The URL the pool's processes open the database with; None for an in-memory
        database (no other process can reach it)."""
        if not self._db_url_known:
            from bot.services.admin import worker_db_url

            try:
                self._db_url = await self._thread(worker_db_url, self._engine)
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
        """A scheduled digest's content, built in the process pool (the compute threads
        when the database is in memory): a fan-out builds thousands."""
        url = await self._worker_url()
        if url is None:
            return await self._compute(
                build_digest,
                self._engine,
                workspace_id=workspace_id,
                covers=covers,
                last_24h_until=last_24h_until,
            )
        return await self.charts.render(digest_in_worker, url, workspace_id, covers, last_24h_until)

    @property
    def stats(self) -> Counter[str]:
        """Digest charts taken from the render-ahead cache or rendered when sent."""
        return self.charts.stats

    def _stopping(self) -> bool:
        return self._closing or (self._started and not self.application.running)

    # --------------------------------------------------------------- start, jobs

    async def start(self) -> None:
        """Rebuild the JobQueue from the database: the sweeper and a job per pending send."""
        now = self.now()
        for key, due in await self._thread(close_idle_sessions, self._engine, now=now):
            log.info("closed a silent stream; %s due %s", key, due)
        await self._thread(plan_digests, self._engine, now=now)
        await self._thread(plan_weekly_retrain, self._engine, now=now)
        self._last_plan = now
        rows = await self._thread(self._pending)
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
        with session_scope(self._engine) as session:
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
                if not self._again or self._stopping():
                    break
        finally:
            self._sweeping = False
        return done

    async def run_due(self) -> int:
        """Perform what is due now, without the JobQueue (the CLI)."""
        return await self.sweep()

    async def _housekeeping(self) -> None:
        now = self.now()
        for key, due in await self._thread(close_idle_sessions, self._engine, now=now):
            self.watch(key, due)
        if self._last_plan is None or now - self._last_plan >= PLAN_EVERY:
            self._last_plan = now
            for key, due in await self._thread(plan_digests, self._engine, now=now):
                self.watch(key, due)
        if self._started and (self._preparing is None or self._preparing.done()):
            self._preparing = asyncio.get_running_loop().create_task(self._prepare())

    async def _drain(self) -> int:
        tasks: set[asyncio.Task[None]] = set()
        done = 0
        exhausted = False
        while True:
            if not exhausted and not self._stopping() and len(tasks) <= self.concurrency // 2:
                rows = await self._thread(self._claim, self.concurrency - len(tasks))
                exhausted = not rows
                for row in rows:
                    tasks.add(asyncio.get_running_loop().create_task(self._perform(row)))
            if not tasks:
                break
            finished, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            done += len(finished)
            if exhausted and not self._stopping():
                exhausted = False  # look again: more may have come due meanwhile
        return done

    def _claim(self, limit: int) -> list[ScheduledSend]:
        with session_scope(self._engine) as session:
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
            await self._thread(self._finish, send_id, "dropped", f"late by {late}")
            return
        try:
            outcome = await kind.perform(row)
        except ChatGone as exc:
            log.warning("%s: chat of workspace %s is gone (%s)", row.key, row.workspace_id, exc)
            await self._thread(self._gone, send_id, row.workspace_id, str(exc))
            chat_state = self.application.chat_data.get(exc.chat_id)
            if chat_state is not None:  # its next message finds the workspace inactive
                chat_state.workspace = None
            return
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type will change
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await self._thread(self._retry, send_id, f"429: {exc}", seconds + 1.0)
            return
        except (TimedOut, NetworkError) as exc:
            if row.attempts >= MAX_ATTEMPTS:
                await self._thread(self._finish, send_id, "failed", f"network: {exc}")
            else:
                await self._thread(self._retry, send_id, f"network: {exc}", 30.0 * row.attempts)
            return
        except Exception as exc:
            log.exception("%s failed", row.key)
            if row.attempts >= MAX_ERROR_ATTEMPTS:
                await self._thread(self._finish, send_id, "failed", repr(exc)[:500])
            else:
                await self._thread(self._retry, send_id, repr(exc)[:500], 60.0 * row.attempts)
            return
        if outcome == _Outcome.EMPTY:
            await self._thread(self._finish, send_id, "dropped", "nothing to say")
        else:
            self.sent_count += 1
            await self._thread(self._finish, send_id, "sent", None)

    def _finish(self, send_id: int, status: str, reason: str | None) -> None:
        with session_scope(self._engine) as session:
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
        with session_scope(self._engine) as session:
            repo.mark_failed(
                session,
                send_id=send_id,
                error=reason,
                retry_at=self.now() + timedelta(seconds=after_s),
                worker_id=self.worker_id,
            )

    def _gone(self, send_id: int, workspace_id: int | None, reason: str) -> None:
        with session_scope(self._engine) as session:
            if workspace_id is not None:
                repo.update_workspace(session, workspace_id=workspace_id, active=False)
            repo.mark_failed(
                session, send_id=send_id, error=f"forbidden: {reason}", worker_id=self.worker_id
            )

    async def _send_summary(self, row: ScheduledSend) -> str:
        payload = row.payload or {}
        session_id = int(payload.get("session_id") or row.key.split(":")[1])
        fingerprint = await self._thread(summary_fingerprint, self._engine, session_id=session_id)
        if await self._thread(
            summary_is_stale_repeat, self._engine, session_id=session_id, fingerprint=fingerprint
        ):
            return _Outcome.EMPTY  # this data's summary was sent already
        content = await self._compute(
            build_summary,
            self._engine,
            session_id=session_id,
            model=await self._thread(self._buying_power_model),
            auto_closed=bool(payload.get("auto_closed")),
        )
        if content is None:
            return _Outcome.EMPTY
        charts = await self.charts.render(
            render_summary_charts,
            content.report,
            content.lang,
            content.marks,
            content.timezone,
            content.timeline,
        )
        skip = int(payload.get(PARTS_SENT) or 0)
        if not skip and await self._thread(
            summary_is_stale_repeat, self._engine, session_id=session_id, fingerprint=fingerprint
        ):
            return _Outcome.EMPTY  # a /summary of this data went out while this one rendered
        await deliver(
            self.application.bot,
            content.chat_id,
            content.text,
            charts,
            skip=skip,
            on_part=functools.partial(self._parts_sent, row_id(row)),
            **_details(content),
        )
        await self._thread(
            remember_summary, self._engine, session_id=session_id, fingerprint=fingerprint
        )
        return _Outcome.SENT

    async def _parts_sent(self, send_id: int, parts: int) -> None:
        """Record that ``parts`` of the send are delivered (a retry skips them)."""
        await self._thread(self._record_parts, send_id, parts)

    def _record_parts(self, send_id: int, parts: int) -> None:
        with session_scope(self._engine) as session:
            repo.record_send_parts(session, send_id=send_id, parts=parts, key=PARTS_SENT)

    def _buying_power_model(self) -> Any:
        settings = self.application.bot_data.settings
        return active_model("buying_power", self._engine, models_dir=settings.models_dir)

    @staticmethod
    def _covers(row: ScheduledSend) -> date:
        raw = (row.payload or {}).get("local_date") or row.key.rsplit(":", 1)[1]
        return date.fromisoformat(str(raw)) - timedelta(days=1)

    async def _send_digest(self, row: ScheduledSend) -> str:
        assert row.workspace_id is not None
        content = await self.build_digest(row.workspace_id, covers=self._covers(row))
        if content is None:
            log.info("%s: no stream that day, nothing sent", row.key)
            return _Outcome.EMPTY
        parts = [] if not content.chart else [("digest", await self.charts.digest_chart(content))]
        await deliver(
            self.application.bot,
            content.chat_id,
            content.text,
            parts,
            skip=int((row.payload or {}).get(PARTS_SENT) or 0),
            on_part=functools.partial(self._parts_sent, row_id(row)),
        )
        return _Outcome.SENT

    async def _start_retrain(self, row: ScheduledSend) -> str:
        """The weekly retrain: plan next week's, then train in the background (minutes in
        a process pool, so the sweep goes on) and report to the admins when done."""
        from bot.services.retrain import retrainer_of, weekly_retrain

        key, due = await self._thread(plan_weekly_retrain, self._engine, now=self.now())
        self.watch(key, due)
        state = self.application.bot_data
        retrainer = retrainer_of(state)
        retrainer.spawn(
            weekly_retrain(
                retrainer,
                self.application.bot,
                self._engine,
                admin_ids=state.settings.admin_ids,
                models_dir=state.settings.models_dir,
            )
        )
        return _Outcome.SENT

    async def _send_nudge(self, row: ScheduledSend) -> str:
        payload = row.payload or {}
        workspace_id = row.workspace_id
        assert workspace_id is not None
        chat = await self._thread(self._chat_of, workspace_id)
        if chat is None:
            return _Outcome.EMPTY
        chat_id, lang, nudges_on = chat
        if not nudges_on:
            return _Outcome.EMPTY
        label = payload.get("label")
        text = nudge_text(
            str(payload.get("code")),
            dict(payload.get("params") or {}),
            lang,
            label if isinstance(label, str) else None,
        )
        await deliver(self.application.bot, chat_id, text)
        return _Outcome.SENT

    def _chat_of(self, workspace_id: int) -> tuple[int, str, bool] | None:
        with session_scope(self._engine) as session:
            ws = repo.get_workspace(session, workspace_id=workspace_id)
            if ws is None or not ws.active:
                return None
            return ws.chat_id, ws.language, ws.nudges_enabled

    # ------------------------------------------------------------------- prepare

    async def _prepare(self) -> None:
        """Build and render the digests due soon whose day is over: in batches in the
        preparing pool (lowest priority), one batch a worker at a time."""
        try:
            rows = await self._thread(self._due_soon)
            url = await self._worker_url()
            if url is None:
                await self._prepare_in_threads(rows)
                return
            semaphore = asyncio.Semaphore(self.charts.workers or os.cpu_count() or 2)

            async def batch(items: list[tuple[int, date]]) -> None:
                async with semaphore:
                    if self._stopping() or self.charts.cache_full():
                        return
                    made = await self.charts.prepare(prepare_digests, url, items)
                    for done in made:
                        if done is not None:
                            self.charts.keep(*done)

            await asyncio.gather(*(batch(items) for items in digest_batches(rows)))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("preparing digests failed; they render when sent")

    async def _prepare_in_threads(self, rows: list[tuple[int, date]]) -> None:
        semaphore = asyncio.Semaphore(self.charts.parallel)

        async def one(workspace_id: int, covers: date) -> None:
            async with semaphore:
                if self._stopping() or self.charts.cache_full():
                    return
                content = await self._compute(
                    build_digest, self._engine, workspace_id=workspace_id, covers=covers
                )
                if content is None or not content.chart:
                    return
                await self.charts.prepare_digest_chart(content)

        await asyncio.gather(*(one(w, c) for w, c in rows))

    def _due_soon(self) -> list[tuple[int, date]]:
        from zoneinfo import ZoneInfo

        now = self.now()
        out: list[tuple[int, date]] = []
        with session_scope(self._engine) as session:
            # due ones render as they are sent
            rows = repo.sends_due_between(
                session, kind="digest", after=now, until=now + self.prepare_ahead
            )
            zones: dict[int, str] = {}
            for row in rows:
                if row.workspace_id is None:
                    continue
                if row.workspace_id not in zones:
                    ws = repo.get_workspace(session, workspace_id=row.workspace_id)
                    zones[row.workspace_id] = ws.timezone if ws is not None else "UTC"
                covers = self._covers(row)
                zone = ZoneInfo(zones[row.workspace_id])
                day_over = datetime.combine(
                    covers + timedelta(days=1), datetime.min.time(), tzinfo=zone
                )
                if day_over.astimezone(UTC) <= now:
                    out.append((row.workspace_id, covers))
        return out

    # ----------------------------------------------------------------- on demand

    async def send_digest_now(self, workspace_id: int) -> bool:
        """The last 24 hours' digest at once (the scheduled one is untouched); False when
        there was no stream in them."""
        # one digest while the host waits: in the compute threads, without a process's start
        content = await self._compute(
            build_digest, self._engine, workspace_id=workspace_id, last_24h_until=self.now()
        )
        if content is None:
            return False
        if not content.chart:
            await deliver(self.application.bot, content.chat_id, content.text)
            return True
        png = await self.charts.digest_chart(content)
        await deliver(self.application.bot, content.chat_id, content.text, [("digest", png)])
        return True

    async def send_summary_now(self, workspace_id: int, session_id: int, asker: int = 0) -> bool:
        """/summary: the session's summary at once; False when there is no such session.
        Its "details" button is for ``asker`` (0: anyone in the chat). The data's summary is
        recorded as given before it is built, so that the scheduled summary of the same data,
        due meanwhile, is not sent as well."""
        fingerprint = await self._thread(summary_fingerprint, self._engine, session_id=session_id)
        await self._thread(
            remember_summary, self._engine, session_id=session_id, fingerprint=fingerprint
        )
        content = await self._compute(
            build_summary,
            self._engine,
            session_id=session_id,
            workspace_id=workspace_id,
            model=await self._thread(self._buying_power_model),
        )
        if content is None:
            return False
        charts = await self.charts.render(
            render_summary_charts,
            content.report,
            content.lang,
            content.marks,
            content.timezone,
            content.timeline,
        )
        await deliver(
            self.application.bot, content.chat_id, content.text, charts, **_details(content, asker)
        )
        return True


def _details(content: SummaryContent, owner: int = 0) -> dict[str, Any]:
    """The summary's "details" button for `deliver` (none when it has no such figures)."""
    if not has_details(content.report):
        return {}
    return {
        "markup": details_keyboard(content.lang, "s", content.session_id, owner),
        "markup_text": t(content.lang, "details_offer"),
    }


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
