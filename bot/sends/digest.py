"""The daily digest of a workspace: built in the chart pool's processes (reading the
database from there; the compute threads for an in-memory database), prepared ahead for
those due within the scheduler's ``prepare_ahead`` whose day is over (built and rendered
in batches in the preparing pool, at the lowest CPU priority, into a cache keyed by the
chart's data), and sent — or at once for /digest."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.sends.kind import PARTS_SENT, Outcome, parts_recorder
from bot.services.digests import (
    DigestContent,
    build_digest,
    digest_batches,
    digest_in_worker,
    prepare_digests,
)
from bot.services.sending import deliver
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend, row_id

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

__all__ = ["build", "covers", "perform", "prepare", "send_now"]

log = logging.getLogger("livehost.scheduler")


def covers(row: ScheduledSend) -> date:
    """The day a scheduled digest covers (the day before its local date)."""
    raw = (row.payload or {}).get("local_date") or row.key.rsplit(":", 1)[1]
    return date.fromisoformat(str(raw)) - timedelta(days=1)


async def build(
    scheduler: Scheduler,
    workspace_id: int,
    *,
    covers: date | None = None,
    last_24h_until: datetime | None = None,
) -> DigestContent | None:
    """A scheduled digest's content, built in the process pool (the compute threads
    when the database is in memory): a fan-out builds thousands."""
    url = await scheduler.worker_url()
    if url is None:
        return await scheduler.compute(
            build_digest,
            scheduler.engine,
            workspace_id=workspace_id,
            covers=covers,
            last_24h_until=last_24h_until,
        )
    return await scheduler.charts.render(
        digest_in_worker, url, workspace_id, covers, last_24h_until
    )


async def perform(scheduler: Scheduler, row: ScheduledSend) -> str:
    """A claimed digest: its chart from the cache when rendered ahead and still true."""
    assert row.workspace_id is not None
    content = await build(scheduler, row.workspace_id, covers=covers(row))
    if content is None:
        log.info("%s: no stream that day, nothing sent", row.key)
        return Outcome.EMPTY
    charts = scheduler.charts
    parts = [] if not content.chart else [("digest", await charts.digest_chart(content))]
    await deliver(
        scheduler.application.bot,
        content.chat_id,
        content.text,
        parts,
        skip=int((row.payload or {}).get(PARTS_SENT) or 0),
        on_part=parts_recorder(scheduler, row_id(row)),
    )
    return Outcome.SENT


async def send_now(scheduler: Scheduler, workspace_id: int) -> bool:
    """The last 24 hours' digest at once (the scheduled one is untouched); False when
    there was no stream in them."""
    # one digest while the host waits: in the compute threads, without a process's start
    content = await scheduler.compute(
        build_digest, scheduler.engine, workspace_id=workspace_id, last_24h_until=scheduler.now()
    )
    if content is None:
        return False
    bot = scheduler.application.bot
    if not content.chart:
        await deliver(bot, content.chat_id, content.text)
        return True
    png = await scheduler.charts.digest_chart(content)
    await deliver(bot, content.chat_id, content.text, [("digest", png)])
    return True


async def prepare(scheduler: Scheduler) -> None:
    """Build and render the digests due soon whose day is over: in batches in the
    preparing pool (lowest priority), one batch a worker at a time."""
    charts = scheduler.charts
    try:
        rows = await scheduler.thread(_due_soon, scheduler)
        url = await scheduler.worker_url()
        if url is None:
            await _prepare_in_threads(scheduler, rows)
            return
        semaphore = asyncio.Semaphore(charts.workers or os.cpu_count() or 2)

        async def batch(items: list[tuple[int, date]]) -> None:
            async with semaphore:
                if scheduler.stopping() or charts.cache_full():
                    return
                made = await charts.prepare(prepare_digests, url, items)
                for done in made:
                    if done is not None:
                        charts.keep(*done)

        await asyncio.gather(*(batch(items) for items in digest_batches(rows)))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("preparing digests failed; they render when sent")


async def _prepare_in_threads(scheduler: Scheduler, rows: list[tuple[int, date]]) -> None:
    charts = scheduler.charts
    semaphore = asyncio.Semaphore(charts.parallel)

    async def one(workspace_id: int, day: date) -> None:
        async with semaphore:
            if scheduler.stopping() or charts.cache_full():
                return
            content = await scheduler.compute(
                build_digest, scheduler.engine, workspace_id=workspace_id, covers=day
            )
            if content is None or not content.chart:
                return
            await charts.prepare_digest_chart(content)

    await asyncio.gather(*(one(w, c) for w, c in rows))


def _due_soon(scheduler: Scheduler) -> list[tuple[int, date]]:
    from zoneinfo import ZoneInfo

    now = scheduler.now()
    out: list[tuple[int, date]] = []
    with session_scope(scheduler.engine) as session:
        # due ones render as they are sent
        rows = repo.sends_due_between(
            session, kind="digest", after=now, until=now + scheduler.prepare_ahead
        )
        zones: dict[int, str] = {}
        for row in rows:
            if row.workspace_id is None:
                continue
            if row.workspace_id not in zones:
                ws = repo.get_workspace(session, workspace_id=row.workspace_id)
                zones[row.workspace_id] = ws.timezone if ws is not None else "UTC"
            day = covers(row)
            zone = ZoneInfo(zones[row.workspace_id])
            day_over = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
            if day_over.astimezone(UTC) <= now:
                out.append((row.workspace_id, day))
    return out
