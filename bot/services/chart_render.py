"""Chart rendering for scheduled sends: a process pool (matplotlib off the event loop and
off the bot's threads) and the cache of digest charts rendered ahead of their send."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar, TypeVarTuple

from bot.services.digests import DigestContent, render_digest_chart

__all__ = [
    "PREPARE_NICENESS",
    "RENDER_CACHE_MAX",
    "ChartRenderer",
    "chart_pool",
    "digest_chart_key",
]

RENDER_CACHE_MAX = 5000
"""Digest charts kept rendered ahead at most."""
PREPARE_NICENESS = 19
"""The processes preparing digests ahead run at the lowest CPU priority: pushes first."""

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


def _lower_priority(niceness: int) -> None:
    if hasattr(os, "nice"):
        os.nice(niceness)


def chart_pool(max_workers: int | None = None, *, niceness: int = 0) -> ProcessPoolExecutor:
    """A process pool for charts and digests: forkserver where available, else spawn
    (never a fork of the running bot with its threads and sockets); its processes run
    ``niceness`` lower in CPU priority."""
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    return ProcessPoolExecutor(
        max_workers=max_workers or os.cpu_count() or 2,
        mp_context=multiprocessing.get_context(method),
        initializer=functools.partial(_lower_priority, niceness) if niceness else None,
    )


def digest_chart_key(content: DigestContent) -> str:
    """What a digest chart depends on: its days, its language and its currency."""
    raw = json.dumps([content.daily, content.lang, content.currency], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


class ChartRenderer:
    """Renders charts in a process pool created on first use; prepares digests ahead in a
    second pool of the lowest priority and keeps their charts until their digest is sent."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers
        self.stats: Counter[str] = Counter()
        """Digest charts taken from the cache (``charts_prepared``) or rendered when sent
        (``charts_rendered``)."""
        self._pool: ProcessPoolExecutor | None = None
        self._prepare_pool: ProcessPoolExecutor | None = None
        self._ahead: dict[str, bytes] = {}

    @property
    def pool(self) -> ProcessPoolExecutor:
        """The chart process pool, created on first use."""
        if self._pool is None:
            self._pool = chart_pool(self.workers)
        return self._pool

    @property
    def parallel(self) -> int:
        """How many renders are worth keeping in flight."""
        return 2 * (self.workers or os.cpu_count() or 2)

    async def render(self, fn: Callable[[*Ts], T], /, *args: *Ts) -> T:
        """Run a chart function in the process pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, fn, *args)

    async def prepare(self, fn: Callable[[*Ts], T], /, *args: *Ts) -> T:
        """Run work done ahead (digests due soon) in the low-priority pool."""
        if self._prepare_pool is None:
            self._prepare_pool = chart_pool(self.workers, niceness=PREPARE_NICENESS)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._prepare_pool, fn, *args)

    def keep(self, content: DigestContent, png: bytes) -> None:
        """Keep a digest chart rendered ahead until its digest is sent."""
        self._ahead.setdefault(digest_chart_key(content), png)

    async def digest_chart(self, content: DigestContent) -> bytes:
        """The digest's chart, from the cache when its data has not changed."""
        png = self._ahead.pop(digest_chart_key(content), None)
        if png is None:
            self.stats["charts_rendered"] += 1
            return await self.render(
                render_digest_chart, content.daily, content.lang, content.currency
            )
        self.stats["charts_prepared"] += 1
        return png

    def cache_full(self) -> bool:
        return len(self._ahead) >= RENDER_CACHE_MAX

    async def prepare_digest_chart(self, content: DigestContent) -> None:
        """Render a digest's chart ahead of its send (once per data)."""
        key = digest_chart_key(content)
        if key not in self._ahead:
            self._ahead[key] = await self.render(
                render_digest_chart, content.daily, content.lang, content.currency
            )

    def shutdown(self) -> None:
        """Stop the pools (cancelling what has not started)."""
        for pool in (self._pool, self._prepare_pool):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._prepare_pool = None
