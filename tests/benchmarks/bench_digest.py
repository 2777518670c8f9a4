"""Benchmark of a digest fan-out: ``python -m tests.benchmarks.bench_digest [--workspaces N]``.

2,000 workspaces (each with 14 days of streams, so every chart differs) get their 09:00
digest — one photo with its caption each — from the real application against the fake Bot
API enforcing Telegram's limits (30 messages/s in all, 1/s per chat). The scheduler's
clock is moved: at 08:40 the digests due within 20 minutes whose day is over are rendered
ahead in the chart process pool; at 09:00 the fan-out starts. Printed beside Telegram's
ceiling: the messages per second sustained (goal ≥ 27, 90 % of it) and the 429 answers
(goal 0); the time to render one digest chart and what the pool renders per second; and
the fan-out rate of a smaller cold run whose charts are rendered while sending.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bot.app import build_application
from bot.config import Settings
from bot.scheduler import Scheduler
from core.charts import digest_chart
from fakebot import FakeBotApi
from storage import repositories as repo
from storage.engine import make_engine, session_scope, upgrade
from storage.models import row_id

CEILING = 30.0
GOAL = 27.0
DUE = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed(url: str, n: int, first_chat: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    rng = np.random.default_rng(first_chat)
    with session_scope(engine) as session:
        for i in range(n):
            ws = repo.get_or_create_workspace(
                session,
                chat_id=first_chat + i,
                chat_type="private",
                title=None,
                language="en" if i % 3 else "zh",
                timezone="UTC",
            )
            days = pd.date_range(DUE - timedelta(days=14), periods=14, freq="D") + pd.Timedelta(
                hours=12
            )
            rows = pd.DataFrame(
                {
                    "started_at": days,
                    "duration_s": rng.integers(3600, 10_800, 14).astype(float),
                    "gmv": rng.gamma(3, 4000, 14).round(2),
                    "peak_online": rng.integers(300, 3000, 14).astype(float),
                    "avg_watch_s": rng.gamma(4, 30, 14).round(1),
                    "title": [f"Stream {d:%m-%d}" for d in days],
                }
            )
            repo.bulk_insert_past_sessions(session, workspace_id=row_id(ws), rows=rows)
    engine.dispose()


async def fan_out(n: int, *, prepare: bool, first_chat: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-digest-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    seed(url, n, first_chat)
    async with FakeBotApi() as api:
        api.enforce_limits = True
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=api.token,
            telegram_api_url=api.url,
            database_url=url,
            models_dir=folder / "models",
        )
        app = build_application(settings)
        scheduler: Scheduler = app.bot_data.scheduler
        clock = Clock(DUE - timedelta(minutes=20))
        scheduler.clock = clock
        scheduler.sweep_interval_s = 3600.0
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        prepared_s = 0.0
        try:
            scheduler.prepare_ahead = timedelta(minutes=20 if prepare else 0)
            await scheduler.sweep()  # first sweep at 08:40: renders ahead (when asked)
            if prepare:
                started = time.perf_counter()
                await scheduler.wait_prepared()
                prepared_s = time.perf_counter() - started
            clock.now = DUE
            started = time.perf_counter()
            await scheduler.sweep()
            elapsed = time.perf_counter() - started
        finally:
            await app.stop()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
            await app.shutdown()
        photos = api.calls("sendPhoto")
        per_chat = Counter(c.chat_id for c in photos)
        assert len(per_chat) == n and set(per_chat.values()) == {1}, "lost or doubled"
        times = sorted(c.time for c in photos)
        sustained = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        return {
            "sent": float(len(photos)),
            "sustained": sustained,
            "overall": len(photos) / elapsed,
            "elapsed": elapsed,
            "prepared_s": prepared_s,
            "429": float(api.count_429),
            "prepared": float(scheduler.stats["charts_prepared"]),
        }


def render_ms(repeat: int = 7) -> float:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2026-06-01", periods=14, freq="D"),
            "gmv": rng.gamma(3, 4000, 14),
            "half_life_s": rng.gamma(4, 30, 14),
        }
    )
    digest_chart(frame, "en")
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        digest_chart(frame, "en")
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspaces", type=int, default=2000)
    parser.add_argument("--cold", type=int, default=200, help="workspaces of the cold run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    workers = os.cpu_count() or 2
    ms = render_ms()
    pool_rate = workers * 1000 / ms
    print(
        f"render one digest chart: {ms:.0f} ms  (pool of {workers}: {pool_rate:.1f} charts/s "
        f"= {pool_rate / CEILING:.2f} × the ceiling of {CEILING:.0f} messages/s)"
    )
    hot = asyncio.run(fan_out(args.workspaces, prepare=True, first_chat=100_000))
    print(
        f"charts rendered ahead for {args.workspaces} digests in {hot['prepared_s']:.0f} s "
        f"(the 20 minutes before they are due)"
    )
    print(
        f"fan-out to {args.workspaces:.0f} workspaces: {hot['sent']:.0f} photos in "
        f"{hot['elapsed']:.1f} s; sustained {hot['sustained']:.1f} messages/s = "
        f"{hot['sustained'] / CEILING:.2f} × the ceiling (goal ≥ {GOAL / CEILING:.2f}: "
        f"{'met' if hot['sustained'] >= GOAL else 'NOT met'}); overall "
        f"{hot['overall']:.1f}/s; 429 answers: {hot['429']:.0f} (goal 0); charts from the "
        f"render-ahead cache: {hot['prepared']:.0f}"
    )
    if args.cold:
        cold = asyncio.run(fan_out(args.cold, prepare=False, first_chat=500_000))
        print(
            f"cold fan-out (charts rendered while sending), {args.cold} workspaces: "
            f"{cold['sustained']:.1f} messages/s = {cold['sustained'] / CEILING:.2f} × the "
            f"ceiling; 429 answers: {cold['429']:.0f}"
        )


if __name__ == "__main__":
    main()
