"""Benchmark of stat pushes end to end: ``python -m tests.benchmarks.bench_stats``.

The bot runs as its own process (`livehost run`, polling) against the in-repo fake Bot API
over HTTP, on SQLite. Printed, each beside a baseline measured in the same run:

* start-up: from spawning `livehost run` to its first getUpdates, and its resident memory
  when idle — beside a process that imports the whole stack eagerly;
* pushes: a sustained rate (default 200/s) from many hosts (400 by default, each pushing
  every 2 s: Telegram lets a bot answer one chat about once a second), the rate the bot kept up and the
  p50/p95 latency from the user's send to the bot's reply — beside a bare python-telegram-bot
  echo bot on the same fake (the floor set by HTTP and PTB alone).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from fakebot import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
ECHO_BOT = """
import os
import signal
from telegram.ext import Application, MessageHandler, filters
async def echo(update, context):
    await update.effective_message.reply_text("ok")
url = os.environ["LIVEHOST_TELEGRAM_API_URL"]
app = (Application.builder().token(os.environ["LIVEHOST_BOT_TOKEN"]).base_url(url + "/bot")
       .base_file_url(url + "/file/bot").concurrent_updates(64).build())
app.add_handler(MessageHandler(filters.ALL, echo))
app.run_polling()
"""
EAGER = (
    "import time, resource; t = time.perf_counter();"
    "import bot.app, pandas, sklearn.ensemble, sklearn.cluster, matplotlib.figure, "
    "core.report, core.charts, storage.importers;"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _spawn(api: FakeBotApi, argv: list[str], db: Path) -> tuple[subprocess.Popen[bytes], float]:
    env = dict(os.environ)
    env.update(
        LIVEHOST_BOT_TOKEN=api.token,
        LIVEHOST_TELEGRAM_API_URL=api.url,
        LIVEHOST_DATABASE_URL=f"sqlite:///{db}",
        LIVEHOST_MAX_MESSAGES_PER_SECOND="1000",
    )
    started = time.monotonic()
    if os.environ.get("BENCH_PROFILE") and "bot.cli" in argv:
        argv = [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-o",
            os.environ["BENCH_PROFILE"],
            "-f",
            "raw",
            "--threads",
            "--",
            *argv,
        ]
    log = open(os.environ.get("BENCH_BOT_LOG") or db.with_suffix(".log"), "wb")  # noqa: SIM115 - the child owns it
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return proc, started


async def _first_poll(api: FakeBotApi, timeout: float = 30.0) -> float:
    """The moment the first getUpdates arrives (a long poll is logged only when answered)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.polling_now > 0:
            return time.monotonic()
        await asyncio.sleep(0.002)
    raise TimeoutError("the bot never polled")


async def _pushes(
    api: FakeBotApi, rate: float, seconds: float, hosts: list[int], text: str
) -> dict[str, float]:
    updates: list[dict[str, Any]] = []
    total = int(rate * seconds)
    start = time.monotonic()
    for i in range(total):
        target = start + i / rate
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        host = hosts[i % len(hosts)]
        updates.append(api.send_text(host, text.format(i=1000 + i), user_id=host))
    await api.wait_until(
        lambda: all(api.reply_latency(u) is not None for u in updates[-50:]), timeout=120
    )
    last_reply = max(c.time for c in api.sent[-len(hosts) :])
    latencies = np.array([lat for u in updates if (lat := api.reply_latency(u)) is not None])
    return {
        "sent": total,
        "answered": len(latencies),
        "rate": len(latencies) / (last_reply - start),
        "p50_ms": float(np.percentile(latencies, 50) * 1000),
        "p95_ms": float(np.percentile(latencies, 95) * 1000),
    }


async def _run(rate: float, seconds: float, hosts_n: int) -> None:
    hosts = [10_000 + i for i in range(hosts_n)]
    with tempfile.TemporaryDirectory() as tmp:
        # --- ours: start-up and idle memory, then pushes ----------------------------------
        async with FakeBotApi() as api:
            proc, spawned = _spawn(
                api, [sys.executable, "-m", "bot.cli", "run"], Path(tmp) / "bot.db"
            )
            try:
                first = await _first_poll(api)
                await asyncio.sleep(2.0)
                idle_rss = _rss_mb(proc.pid)
                for command in ("/start", "/golive bench"):
                    sent = [api.send_text(host, command, user_id=host) for host in hosts]
                    await api.wait_until(
                        lambda sent=sent: all(api.reply_latency(u) is not None for u in sent),
                        timeout=120,
                    )
                # warm-up: every host pushes once (its first push also makes its forecast)
                await _pushes(
                    api, rate / 2, 2 * len(hosts) / rate, hosts, "/stat online={i} viewers={i}0"
                )
                await asyncio.sleep(3.0)  # let the warm-up's backlog drain
                ours = await _pushes(
                    api, rate, seconds, hosts, "/stat online={i} viewers={i}0 gmv={i}.5 orders=3"
                )
            finally:
                proc.send_signal(signal.SIGINT)
                await asyncio.to_thread(proc.wait, 30)
        eager = subprocess.run(
            [sys.executable, "-c", EAGER], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        # --- baseline: a bare PTB echo bot on the same fake --------------------------------
        async with FakeBotApi() as api:
            proc, _ = _spawn(api, [sys.executable, "-c", ECHO_BOT], Path(tmp) / "x.db")
            try:
                await _first_poll(api)
                echo = await _pushes(api, rate, seconds, hosts, "/stat online={i}")
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)

    startup = first - spawned
    print(
        f"start-up to first getUpdates: {startup:.2f} s (target 1.5 s); importing the whole "
        f"stack eagerly: {float(eager[0]):.2f} s (×{startup / float(eager[0]):.2f})"
    )
    print(
        f"idle resident memory: {idle_rss:.0f} MB (target 150 MB); eager stack: "
        f"{float(eager[1]):.0f} MB (×{idle_rss / float(eager[1]):.2f})"
    )
    print(f"stat pushes offered at {rate:.0f}/s for {seconds:.0f} s from {hosts_n} hosts:")
    print(f"  {'':<22}{'answered':>9}{'rate/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for name, r in (("livehost", ours), ("bare PTB echo bot", echo)):
        print(
            f"  {name:<22}{r['answered']:>9.0f}{r['rate']:>9.1f}{r['p50_ms']:>9.1f}"
            f"{r['p95_ms']:>9.1f}"
        )
    print(
        f"  ratio livehost / echo: rate ×{ours['rate'] / echo['rate']:.2f}, "
        f"p95 ×{ours['p95_ms'] / echo['p95_ms']:.2f} (targets: ≥ 200/s, p95 < 100 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--hosts",
        type=int,
        default=400,
        help="hosts pushing in turn (Telegram allows ~1 message/s per chat)",
    )
    args = parser.parse_args()
    asyncio.run(_run(args.rate, args.seconds, args.hosts))


if __name__ == "__main__":
    main()
