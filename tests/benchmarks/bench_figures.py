"""Benchmark of the push path against history: ``python -m tests.benchmarks.bench_figures``.

The work a push reply waits for — storing the push and its live insight (the forecast
from the workspace's past streams and the nudge check), both on the database thread — is
timed on SQLite, each figure beside a baseline from the same run:

* history: a workspace with 365 days × 2 streams of history (minute rows each) against a
  workspace with none (target ≤ 1.2×). Beside it, the naive way this used to work: every
  push recomputing every past session of the last 90 days from its frames to keep 10.
  The first read after the migration computes and stores the missing figures once; it
  is printed apart and not in the p95.
* fan-out: push p95 while the digests of 2,000 workspaces are being prepared against the
  same pushes idle (target ≤ 1.5×), pushes back to back until 300 digests are made (the
  preparation's throughput printed beside), into live streams of 120 pushes each (a push's
  work grows with its stream, so idle and during meet the same stream lengths): as the
  scheduler prepares them, in batches in its
  preparing process pool (two processes at the lowest priority, each reading the
  database and rendering the charts), and beside it the way it used to: in two compute threads of the
  bot's own process (charts not counted), sharing its interpreter lock with the pushes.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlmodel import col, select

from bot.services.chart_render import PREPARE_NICENESS, chart_pool
from bot.services.digests import build_digest, digest_batches, prepare_digests
from bot.services.figures import compute_session_figures
from bot.services.live import go_live, push_stat
from bot.services.nudges import live_insight
from bot.services.worker_db import worker_db_url
from storage import repositories as repo
from storage.engine import make_engine, session_scope, upgrade
from storage.models import LiveSession, PastSession, row_id

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _minutes(start: datetime, rng: np.random.Generator, n: int = 120) -> pd.DataFrame:
    online = np.maximum(0, 800 + np.cumsum(rng.normal(0, 30, n))).round()
    return pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=n, freq="min"),
            "online": online,
            "entries": rng.poisson(60, n).astype(float),
            "exits": rng.poisson(58, n).astype(float),
            "gmv": rng.gamma(2, 150, n).round(2),
            "orders": rng.poisson(6, n).astype(float),
        }
    )


def _workspace(engine, chat_id: int, days: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(chat_id)
    with session_scope(engine) as s:
        ws = repo.get_or_create_workspace(
            s, chat_id=chat_id, chat_type="private", title="b", language="en", timezone="UTC"
        )
        wid = row_id(ws)
        for day in range(days, 0, -1):
            for hour in (4, 12):
                start = NOW - timedelta(days=day) + timedelta(hours=hour - 12)
                live = repo.add_closed_session(
                    s,
                    workspace_id=wid,
                    title="h",
                    started_at=start,
                    ended_at=start + timedelta(hours=2),
                )
                repo.bulk_insert_minutes(s, session_id=row_id(live), rows=_minutes(start, rng))
    opened = go_live(engine, workspace_id=wid, title="now", now=NOW, chat_id=chat_id, message_id=1)
    return wid, opened.session_id


def _push(engine, wid: int, sid: int, i: int) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    at = NOW + timedelta(seconds=30 * (i + 1))
    push_stat(
        engine,
        workspace_id=wid,
        text=f"online={800 + i} viewers={2000 + 40 * i} gmv={100 * i + 5} orders={i}",
        now=at,
        dedupe_key=f"{wid}:{i}",
    )
    live_insight(engine, workspace_id=wid, session_id=sid, now=at)
    return time.perf_counter() - t0


PER_STREAM = 120
"""Pushes in one live stream of the fan-out section: two hours at a push a minute."""


class LiveStreams:
    """Pushes into live streams of :data:`PER_STREAM` pushes each, a new workspace going
    live after each: a push's own work grows with the pushes of its stream, so every phase
    meets streams of the same lengths (whole streams for the idle baselines)."""

    def __init__(self, engine, first_chat: int) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.chat = first_chat
        self.count = 0
        self.live: tuple[int, int] | None = None

    def fresh(self) -> None:
        """The next push opens a new stream."""
        self.count = 0

    def push(self, _: int = 0) -> float:
        if self.live is None or self.count % PER_STREAM == 0:
            self.chat += 1
            self.live = _workspace(self.engine, self.chat, 0)
            self.count = 0
        self.count += 1
        return _push(self.engine, *self.live, self.count)


def _naive_insight_history(engine, wid: int, sid: int) -> float:  # type: ignore[no-untyped-def]
    """What each push used to do: recompute every session of the last 90 days."""
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        lives = s.exec(
            select(LiveSession).where(
                LiveSession.workspace_id == wid,
                col(LiveSession.started_at) >= NOW - timedelta(days=90),
                LiveSession.id != sid,
            )
        ).all()
        figures = [compute_session_figures(s, live=live) for live in lives]
    assert len(figures) >= 10
    return time.perf_counter() - t0


def _p95(samples: list[float]) -> float:
    return float(np.percentile(np.array(samples) * 1000, 95))


def _series(fn: Callable[[int], float], n: int, offset: int = 0) -> list[float]:
    return [fn(offset + i) for i in range(n)]


def _fleet(engine, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with session_scope(engine) as s:
        for i in range(n):
            ws = repo.get_or_create_workspace(
                s, chat_id=50_000 + i, chat_type="private", title="f", language="en", timezone="UTC"
            )
            wid = row_id(ws)
            for day in (1, 2, 3):
                start = NOW - timedelta(days=day, hours=3)
                s.add(
                    PastSession(
                        workspace_id=wid,
                        started_at=start,
                        duration_s=7200.0,
                        gmv=1000.0 + i + day,
                        peak_online=900.0,
                        avg_watch_s=180.0,
                    )
                )
            ids.append(wid)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pushes", type=int, default=60)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--fleet", type=int, default=2000, help="0: no fan-out")
    parser.add_argument("--workers", type=int, default=2, help="threads or processes")
    parser.add_argument(
        "--digests", type=int, default=300, help="pushes go on until this many are prepared"
    )
    parser.add_argument(
        "--no-threads", dest="threads", action="store_false", help="skip the way before"
    )
    parser.add_argument("--skip-history", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        empty = _workspace(engine, 2, 0)
        _push(engine, *empty, 0)
        if not args.skip_history:
            t0 = time.perf_counter()
            busy = _workspace(engine, 1, args.days)
            built = time.perf_counter() - t0
            first = _push(engine, *busy, 0)  # computes and stores the missing figures once
            with_history = _series(lambda i: _push(engine, *busy, i), args.pushes, 1)
            without = _series(lambda i: _push(engine, *empty, i), args.pushes, 1)
            naive = [_naive_insight_history(engine, *busy) for _ in range(5)]

            print(
                f"history: {args.days} days × 2 streams ({2 * args.days} sessions, built in "
                f"{built:.0f} s); {args.pushes} pushes each, push + live insight"
            )
            print(
                f"  first push after the migration (computes and stores the figures of the 10 sessions it reads): "
                f"{first * 1000:.0f} ms, once"
            )
            h, e = _p95(with_history), _p95(without)
            print(f"  {'':<34}{'p50 ms':>9}{'p95 ms':>9}")
            for name, xs in (
                ("with history (stored figures)", with_history),
                ("no history", without),
                ("naive: recompute 90 days/push", naive),
            ):
                print(f"  {name:<34}{np.percentile(np.array(xs) * 1000, 50):>9.1f}{_p95(xs):>9.1f}")
            print(
                f"  ratio with / without history: p95 ×{h / e:.2f} (target ≤ 1.2); "
                f"naive history alone / ours whole push: ×{_p95(naive) / h:.1f}"
            )

        if args.fleet == 0:
            return
        fleet = _fleet(engine, args.fleet)
        covers = (NOW - timedelta(days=1)).date()
        streams = LiveStreams(engine, 10_000)
        whole = 2 * PER_STREAM  # the idle baselines: two whole streams
        idle = _series(streams.push, whole)
        runs: list[tuple[str, list[float], float, int]] = []
        if args.threads:
            compute = ThreadPoolExecutor(max_workers=args.workers, thread_name_prefix="compute")
            futures = [
                compute.submit(build_digest, engine, workspace_id=w, covers=covers) for w in fleet
            ]
            streams.fresh()
            during, took, made = _during(streams, futures, args.pushes)
            compute.shutdown(cancel_futures=True)
            runs.append((f"{args.workers} threads (before)", during, took, made))
        pool = chart_pool(args.workers, niceness=PREPARE_NICENESS)  # as the scheduler's
        pool.submit(int).result()  # the processes are up
        url = worker_db_url(engine)
        batches = digest_batches([(w, covers) for w in fleet])
        futures = [pool.submit(prepare_digests, url, batch) for batch in batches]
        streams.fresh()
        during, took, made = _during(
            streams, futures, args.pushes, -(-args.digests // len(batches[0]))
        )
        t_mid = time.perf_counter()
        streams.fresh()
        paused, running = _interleaved(streams, pool, args.pushes)
        t_mid = time.perf_counter() - t_mid
        batches_done = sum(f.done() and not f.cancelled() for f in futures)
        pool.shutdown(cancel_futures=True)
        runs.append((f"{args.workers} processes (ours)", during, took, made * len(batches[0])))
        # the machine is shared: the same pushes idle again, after the fan-out
        streams.fresh()
        after = _series(streams.push, whole)
        print(
            f"digest fan-out of {args.fleet} workspaces, pushes back to back while it is "
            f"prepared (at least {4 * args.pushes}, and until {args.digests} digests are made "
            "by the processes; the preparation is stopped after them): "
            + "; ".join(
                f"{name}: {len(xs)} pushes in {took:.1f} s, ~{made} digests made "
                f"({made / took:.1f}/s)"
                for name, xs, took, made in runs
            )
        )
        print(f"  {'':<34}{'p50 ms':>9}{'p95 ms':>9}{'p95 / idle':>12}")
        rows = (("idle", idle), *((f"during, {n}", xs) for n, xs, _, _ in runs))
        for name, xs in (*rows, ("idle again, after", after)):
            print(
                f"  {name:<34}{np.percentile(np.array(xs) * 1000, 50):>9.1f}{_p95(xs):>9.1f}"
                f"{_p95(xs) / _p95(idle):>11.2f}×"
            )
        print(
            "  interleaved (blocks of 10 pushes, the preparing processes stopped, then running; "
            "the machine's other load alike in both):"
        )
        for name, xs in (("idle (processes stopped)", paused), ("during (running)", running)):
            print(f"  {name:<34}{np.percentile(np.array(xs) * 1000, 50):>9.1f}{_p95(xs):>9.1f}")
        print(
            f"  ratio during / idle, interleaved: p95 ×{_p95(running) / _p95(paused):.2f}; "
            f"digests made by its end: {batches_done * len(batches[0])} "
            f"(interleaving took {t_mid:.1f} s)"
        )
        ours = _p95(runs[-1][1])
        print(
            f"  ratio during / idle (ours): p95 ×{ours / _p95(idle):.2f} against idle before, "
            f"×{ours / _p95(after):.2f} against idle after (target ≤ 1.5)"
        )


def _interleaved(streams: LiveStreams, pool, pushes: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Pushes in blocks of 10, alternately with the pool's processes stopped (SIGSTOP) and
    running, while they prepare digests: (stopped, running) durations."""
    import os
    import signal

    pids = list(pool._processes)  # the benchmark's own pool
    paused: list[float] = []
    running: list[float] = []
    while len(running) < 2 * pushes:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(0.05)
        paused.extend(_series(streams.push, 10))
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.05)
        running.extend(_series(streams.push, 10))
    return paused, running


def _during(  # type: ignore[no-untyped-def]
    streams: LiveStreams, futures: list, pushes: int, digests: int = 0
) -> tuple[list[float], float, int]:
    """Pushes while ``futures`` run: at least 4 × ``pushes``, and on until ``digests``
    futures have finished (the caller cancels the rest); the pushes' durations, the
    seconds it took and how many futures finished."""
    done = threading.Event()
    left = [len(futures)]
    finished_count = [0]
    lock = threading.Lock()

    def one_done(_: object) -> None:
        with lock:
            left[0] -= 1
            finished_count[0] += 1
            if left[0] == 0:
                done.set()

    t0 = time.perf_counter()
    for f in futures:
        f.add_done_callback(one_done)
    time.sleep(0.2)  # the fan-out is under way
    during: list[float] = []
    while not done.is_set() and (len(during) < 4 * pushes or finished_count[0] < digests):
        during.append(streams.push())
    took = time.perf_counter() - t0
    finished = [f for f in futures if f.done() and not f.cancelled()]
    for f in finished:
        result = f.result()
        assert result is not None and (not isinstance(result, list) or any(result))
    return during, took, len(finished)


if __name__ == "__main__":
    main()
