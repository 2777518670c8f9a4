"""Stat pushes end to end in webhook mode: one instance against two on the same PostgreSQL.

Run: `LIVEHOST_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
python -m tests.benchmarks.bench_webhook [--chats 20] [--pushes 15]`

Each instance is a real `livehost run --webhook` process. The in-repo fake Bot API posts the
updates (with the secret header) to a tiny round-robin load balancer in front of them, and
receives the bot's replies. Every chat is a host who has gone live and pushes `/stat …`,
sending the next push when the reply to the last one came (so `--chats` pushes are in
flight at once). Printed side by side: pushes per second and the p50/p95 time from queuing
a push to the bot's reply, with the ratio two/one. Each case gets a fresh schema.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot.webhook import HEALTH_PATH, WEBHOOK_PATH
from fakebot import FakeBotApi
from storage.engine import make_engine, normalize_url
from tests.utils.loadbalancer import LoadBalancer

__all__ = ["main"]

SECRET = "bench-secret-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _wait_healthy(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"instance exited: {log.read_text()[-2000:]}")
            try:
                async with http.get(f"http://127.0.0.1:{port}{HEALTH_PATH}") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"instance on {port} not healthy: {log.read_text()[-2000:]}")


async def run_case(instances: int, *, pg_url: str, chats: int, pushes: int) -> dict[str, float]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = normalize_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    procs: list[subprocess.Popen[bytes]] = []
    logdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    lb = LoadBalancer()
    await lb.start()
    try:
        async with FakeBotApi() as api:
            ports = [_free_port() for _ in range(instances)]
            for index, port in enumerate(ports):
                env = dict(
                    os.environ,
                    PYTHONPATH=str(ROOT),
                    LIVEHOST_BOT_TOKEN=api.token,
                    LIVEHOST_TELEGRAM_API_URL=api.url,
                    LIVEHOST_DATABASE_URL=url.render_as_string(hide_password=False),
                    LIVEHOST_WEBHOOK_URL=lb.url + WEBHOOK_PATH,
                    LIVEHOST_WEBHOOK_SECRET=SECRET,
                    LIVEHOST_LISTEN="127.0.0.1",
                    LIVEHOST_PORT=str(port),
                    LIVEHOST_MODELS_DIR=str(logdir / "models"),
                    # measure the bot, not Telegram's 30 messages/s (as bench_stats does)
                    LIVEHOST_MAX_MESSAGES_PER_SECOND="1000",
                )
                args = [sys.executable, "-m", "bot.cli", "run", "--webhook"]
                if index:
                    args.append("--no-register")
                log = logdir / f"instance-{index}.log"
                with log.open("wb") as out:
                    procs.append(
                        subprocess.Popen(args, env=env, cwd=logdir, stdout=out, stderr=out)
                    )
            for port, proc, index in zip(ports, procs, range(instances), strict=True):
                await _wait_healthy(port, proc, logdir / f"instance-{index}.log")
            lb.backends = [f"http://127.0.0.1:{port}{WEBHOOK_PATH}" for port in ports]
            await api.wait_until(lambda: api.webhook is not None, timeout=30)

            hosts = [10_001 + i for i in range(chats)]
            for host in hosts:  # set up: a workspace and an open session per host
                for text, reply in (("/start", "LiveHost"), ("/golive bench", "is open")):
                    update = api.send_text(host, text)
                    await api.wait_for_message(host, contains=reply, since=update, timeout=30)

            latencies: list[float] = []

            async def host_pushes(host: int) -> None:
                for i in range(pushes):
                    update = api.send_text(host, f"/stat online={1000 + i} gmv={i}k")
                    await api.wait_for_message(host, contains="Got it", since=update, timeout=60)
                    latency = api.reply_latency(update)
                    assert latency is not None
                    latencies.append(latency)

            started = time.perf_counter()
            await asyncio.gather(*(host_pushes(host) for host in hosts))
            elapsed = time.perf_counter() - started
            assert not api.webhook_errors, api.webhook_errors[:3]
        with admin.connect() as connection:
            stored = connection.execute(
                sa.text(f'SELECT count(*) FROM "{schema}".snapshot')
            ).scalar()
        assert stored == chats * pushes, (stored, chats * pushes)
        return {
            "per_s": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": _p(latencies, 0.95) * 1000,
            "pushes": float(len(latencies)),
        }
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await lb.close()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # many hosts: Telegram lets a bot answer one chat about once a second, so with few hosts
    # the per-chat pacing, not the bot, would set the rate
    parser.add_argument("--chats", type=int, default=200, help="hosts pushing at the same time")
    parser.add_argument("--pushes", type=int, default=3, help="pushes per host")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("LIVEHOST_TEST_POSTGRES_URL")
    if not pg_url:
        print("LIVEHOST_TEST_POSTGRES_URL is not set: two instances need PostgreSQL.")
        return 2
    results = {}
    for n in (1, 2):
        results[n] = asyncio.run(run_case(n, pg_url=pg_url, chats=args.chats, pushes=args.pushes))
    one, two = results[1], results[2]
    print(
        f"stat pushes through the fake Bot API in webhook mode, {args.chats} hosts x "
        f"{args.pushes} pushes, PostgreSQL, {os.cpu_count()} CPUs"
    )
    print(f"{'':16}{'1 instance':>14}{'2 instances':>14}{'2 / 1':>10}")
    for key, label in (("per_s", "pushes/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms")):
        print(f"{label:16}{one[key]:>14.1f}{two[key]:>14.1f}{two[key] / one[key]:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
