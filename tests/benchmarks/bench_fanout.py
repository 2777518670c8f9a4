"""Benchmark of the digest fan-out with the fake Bot API in a process of its own:
``python -m tests.benchmarks.bench_fanout [--workspaces N]``.

The fake (enforcing Telegram's limits: 30 messages/s in all, 1/s per private chat) runs in a
child process, so the bot and the fake do not share one event loop and one core. N workspaces
(14 days of streams each) get their 09:00 digest, one photo each, from the real application:
charts rendered ahead at 08:40, then the fan-out at 09:00. Printed, beside each other from the
same run: the sustained messages per second as a share of Telegram's ceiling (goal ≥ 0.90)
and the 429 answers (goal 0) with the application's rate limiter
(:class:`bot.services.sending.PacedRateLimiter`), and with PTB's ``AIORateLimiter`` (the
previous approach, which lets a second's worth of messages out at once and pauses every chat
on any 429). ``--load K`` keeps K other processes busy on the machine's cores while the
digests are sent (a shared, noisy machine: the bot and the fake stall now and then).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import AIORateLimiter

from bot.app import build_application
from bot.config import Settings
from bot.scheduler import Scheduler
from fakebot import DEFAULT_TOKEN, FakeBotApi
from tests.benchmarks.bench_digest import CEILING, DUE, Clock, seed

GOAL = 0.90
ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------ the fake's process


async def _serve() -> None:
    async with FakeBotApi() as api:
        api.enforce_limits = True
        print(api.url, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)  # until told to report
        photos = api.calls("sendPhoto")
        print(
            json.dumps(
                {
                    "photos": [[c.chat_id, c.time] for c in photos],
                    "count_429": api.count_429,
                }
            ),
            flush=True,
        )


class FakeProcess:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.bench_fanout", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def report(self) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("report\n")
        self.proc.stdin.flush()
        data: dict[str, Any] = json.loads(self.proc.stdout.readline())
        self.proc.wait(timeout=30)
        return data


# ------------------------------------------------------------------------ the bot's side


def _busy() -> None:
    while True:
        pass


async def fan_out(url: str, fake_url: str, folder: Path, *, limiter: str, load: int = 0) -> float:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=DEFAULT_TOKEN,
        telegram_api_url=fake_url,
        database_url=url,
        models_dir=folder / "models",
    )
    app = build_application(settings)
    if limiter == "aio":  # the previous approach: PTB's own limiter, as it comes
        app.bot._rate_limiter = AIORateLimiter(max_retries=3)  # type: ignore[attr-defined]
    scheduler: Scheduler = app.bot_data.scheduler
    clock = Clock(DUE - timedelta(minutes=20))
    scheduler.clock = clock
    scheduler.sweep_interval_s = 3600.0
    scheduler.prepare_ahead = timedelta(minutes=20)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        await scheduler.sweep()
        await scheduler.wait_prepared()
        clock.now = DUE
        hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(load)]
        for hog in hogs:
            hog.start()
        started = time.perf_counter()
        try:
            await scheduler.sweep()
            await scheduler.wait_idle()
        finally:
            for hog in hogs:
                hog.kill()
        elapsed = time.perf_counter() - started
    finally:
        await app.stop()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()
    return elapsed


def run(n: int, limiter: str, first_chat: int, load: int = 0) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-fanout-{limiter}-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    seed(url, n, first_chat)
    fake = FakeProcess()
    try:
        elapsed = asyncio.run(fan_out(url, fake.url, folder, limiter=limiter, load=load))
    finally:
        data = fake.report()
    photos = data["photos"]
    per_chat = Counter(chat for chat, _ in photos)
    times = sorted(at for _, at in photos)
    sustained = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {
        "sent": float(len(photos)),
        "chats": float(len(per_chat)),
        "doubled": float(sum(1 for v in per_chat.values() if v > 1)),
        "sustained": sustained,
        "elapsed": elapsed,
        "429": float(data["count_429"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspaces", type=int, default=2000)
    parser.add_argument("--load", type=int, default=0, help="busy processes while sending")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return
    logging.basicConfig(level=logging.ERROR)
    n = args.workspaces
    results = {
        "PacedRateLimiter (ours)": run(n, "paced", 100_000, args.load),
        "AIORateLimiter (previous)": run(n, "aio", 300_000, args.load),
    }
    busy = f", {args.load} busy processes beside them while sending" if args.load else ""
    print(
        f"digest fan-out to {n} workspaces, the fake Bot API in its own process{busy} "
        f"(Telegram's ceiling {CEILING:.0f} messages/s; goal ≥ {GOAL:.2f} × it, 0 × 429)"
    )
    for name, r in results.items():
        share = r["sustained"] / CEILING
        print(
            f"  {name:<27} {r['sent']:>5.0f} photos to {r['chats']:.0f} chats in "
            f"{r['elapsed']:6.1f} s: sustained {r['sustained']:5.1f}/s = {share:.2f} × the "
            f"ceiling; 429 answers {r['429']:.0f}; chats sent twice {r['doubled']:.0f}"
            + ("  (goal met)" if share >= GOAL and r["429"] == 0 else "")
        )


if __name__ == "__main__":
    main()
