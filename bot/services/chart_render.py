"""Chart rendering for scheduled sends: a process pool (matplotlib off the event loop and
off the bot's threads) and the cache of digest charts rendered ahead of their send."""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar, TypeVarTuple

from bot.services.digests import DigestContent, render_digest_chart

__all__ = ["RENDER_CACHE_MAX", "ChartRenderer", "chart_pool", "digest_chart_key"]

RENDER_CACHE_MAX = 5000
"""Digest charts kept rendered ahead at most."""

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


def chart_pool(max_workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool for charts: forkserver where available, else spawn (never a fork of
    the running bot with its threads and sockets)."""
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    return ProcessPoolExecutor(
        max_workers=max_workers or os.cpu_count() or 2,
        mp_context=multiprocessing.get_context(method),
    )


def digest_chart_key(content: DigestContent) -> str:
    """What a digest chart depends on: its days and its language."""
    raw = json.dumps([content.daily, content.lang], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


class ChartRenderer:
    """Renders charts in a process pool created on first use; keeps the digest charts
    rendered ahead until their digest is sent."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers
        self.stats: Counter[str] = Counter()
        """Digest charts taken from the cache (``charts_prepared``) or rendered when sent
        (``charts_rendered``)."""
        self._pool: ProcessPoolExecutor | None = None
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

    async def digest_chart(self, content: DigestContent) -> bytes:
        """The digest's chart, from the cache when its data has not changed."""
        png = self._ahead.pop(digest_chart_key(content), None)
        if png is None:
            self.stats["charts_rendered"] += 1
            return await self.render(render_digest_chart, content.daily, content.lang)
        self.stats["charts_prepared"] += 1
        return png

    def cache_full(self) -> bool:
        return len(self._ahead) >= RENDER_CACHE_MAX

    async def prepare_digest_chart(self, content: DigestContent) -> None:
        """Render a digest's chart ahead of its send (once per data)."""
        key = digest_chart_key(content)
        if key not in self._ahead:
            self._ahead[key] = await self.render(render_digest_chart, content.daily, content.lang)

    def shutdown(self) -> None:
        """Stop the pool (cancelling what has not started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
