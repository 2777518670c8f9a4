"""Retraining from the bot: :func:`bot.services.trained_models.train` in a separate
process, then the comparison with the active version and the promotion.

:class:`Retrainer` owns the application's one training process pool (created on first
use, so a bot that never retrains never starts it). :meth:`Retrainer.run` trains one
kind — the event loop only waits, so the bot keeps answering hosts — and calls
``on_progress(kind, seconds)`` every few seconds while it runs; one kind trains at a
time, a kind already training is refused with :class:`AlreadyRunning`. The outcome
(:class:`RetrainOutcome`) carries the new metrics, the active version's and whether the
new one was promoted — or why nothing was trained.

:class:`Retrainer` lives on the application's state (``AppState.retrainer``, one per
application); its :meth:`Retrainer.shutdown` ends a training in flight (its half-written
file is never registered).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from bot.formatting import fmt_num, fmt_pct
from bot.i18n import t
from bot.services.worker_db import worker_db_url
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import MODEL_KINDS

if TYPE_CHECKING:  # the models' stack (scikit-learn, skops) loads on the first retrain
    from bot.services.trained_models import PromoteResult, TrainResult

__all__ = [
    "PROGRESS_EVERY_S",
    "AlreadyRunning",
    "RetrainOutcome",
    "Retrainer",
    "kind_name",
    "metrics_text",
    "progress_text",
    "report_to_admins",
    "retrain_report",
    "weekly_retrain",
]

log = logging.getLogger("livehost.retrain")

TRAINING_NICENESS = 10
"""The training process runs at a lower CPU priority: on a busy machine replies come first."""
PROGRESS_EVERY_S = 10.0
"""How often a running retrain reports its progress (an edited message in chat)."""

Progress = Callable[[str, float], Awaitable[None]]


class AlreadyRunning(RuntimeError):
    """That kind is training already."""


@dataclass(frozen=True)
class RetrainOutcome:
    """One kind's retrain. ``error``: None, "not_enough_data", "refused" or "failed"."""

    kind: str
    result: TrainResult | None = None
    promotion: PromoteResult | None = None
    error: str | None = None
    detail: str = ""
    seconds: float = 0.0


def _train_yielding(kind: str, url: str, models_dir: str) -> TrainResult:
    """:func:`bot.services.trained_models.train` at a lower CPU priority (in the training
    process)."""
    from bot.services.trained_models import train

    if hasattr(os, "nice") and os.nice(0) < TRAINING_NICENESS:
        os.nice(TRAINING_NICENESS - os.nice(0))
    return train(kind, url, models_dir=models_dir)


def _training_executor() -> Executor:
    from bot.services.trained_models import training_executor

    return training_executor()


class Retrainer:
    """The training process pool of one application and the kinds training now."""

    def __init__(
        self,
        *,
        executor_factory: Callable[[], Executor] = _training_executor,
        progress_every_s: float = PROGRESS_EVERY_S,
    ) -> None:
        self._factory = executor_factory
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        self._started = False
        self.progress_every_s = progress_every_s
        self.running: set[str] = set()
        self.tasks: set[asyncio.Task[Any]] = set()

    @property
    def executor(self) -> Executor:
        """The process pool, created on first use."""
        with self._lock:
            if self._executor is None:
                self._executor = self._factory()
            return self._executor

    def _start(self) -> Executor:
        """The pool with its worker up and at a lower priority. Blocking (starting a
        process waits for the fork server): call it off the event loop."""
        executor = self.executor
        with self._lock:
            if not self._started:
                if isinstance(executor, ProcessPoolExecutor):
                    executor.submit(os.nice, TRAINING_NICENESS).result()
                self._started = True
        return executor

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background (kept here so that shutdown can end it)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("retrain task failed", exc_info=task.exception())

    async def run(
        self,
        kind: str,
        engine: Engine,
        *,
        models_dir: str | Path,
        force: bool = False,
        on_progress: Progress | None = None,
        thread: Executor | None = None,
    ) -> RetrainOutcome:
        """Train ``kind`` in the process pool, then promote it if better (or ``force``).
        ``thread`` runs the promotion (it loads and checks the new file: not the thread the
        hosts' quick database work waits for; default: the loop's executor)."""
        from bot.services.trained_models import NotEnoughData, promote_if_better
        from core.model_io import ModelRefused

        if kind in self.running:
            raise AlreadyRunning(kind)
        self.running.add(kind)
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            url = await loop.run_in_executor(thread, worker_db_url, engine)
            executor = await loop.run_in_executor(thread, self._start)
            future = loop.run_in_executor(
                executor,
                functools.partial(_train_yielding, kind, url, str(models_dir)),
            )
            while True:
                try:
                    result = await asyncio.wait_for(
                        asyncio.shield(future), timeout=self.progress_every_s
                    )
                    break
                except asyncio.CancelledError:
                    # the bot stops: the pool ends the training, and what it ends with is
                    # read here, not logged as an exception nobody retrieved
                    future.add_done_callback(_retrieved)
                    raise
                except TimeoutError:
                    if on_progress is not None:
                        try:
                            await on_progress(kind, time.monotonic() - started)
                        except Exception:
                            log.warning("progress report failed", exc_info=True)
            promotion = await loop.run_in_executor(
                thread,
                functools.partial(
                    promote_if_better, result, engine, models_dir=models_dir, force=force
                ),
            )
        except NotEnoughData as exc:
            return RetrainOutcome(
                kind,
                error="not_enough_data",
                detail=str(exc),
                seconds=time.monotonic() - started,
            )
        except ModelRefused as exc:
            log.error("%s: the new model was refused: %s", kind, exc)
            return RetrainOutcome(
                kind, error="refused", detail=str(exc), seconds=time.monotonic() - started
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("%s retrain failed", kind)
            return RetrainOutcome(
                kind, error="failed", detail=repr(exc)[:300], seconds=time.monotonic() - started
            )
        finally:
            self.running.discard(kind)
        return RetrainOutcome(kind, result, promotion, seconds=time.monotonic() - started)

    async def run_many(
        self,
        kinds: Sequence[str],
        engine: Engine,
        *,
        models_dir: str | Path,
        force: bool = False,
        on_progress: Progress | None = None,
        thread: Executor | None = None,
    ) -> list[RetrainOutcome]:
        """:meth:`run` for each kind in turn."""
        out = []
        for kind in kinds:
            out.append(
                await self.run(
                    kind,
                    engine,
                    models_dir=models_dir,
                    force=force,
                    on_progress=on_progress,
                    thread=thread,
                )
            )
        return out

    async def shutdown(self) -> None:
        """End the background work and the process pool (a training in flight is ended)."""
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        with self._lock:
            executor, self._executor, self._started = self._executor, None, False
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        if isinstance(executor, ProcessPoolExecutor):
            for process in processes:
                if process.is_alive():
                    process.terminate()
            for process in processes:
                await asyncio.to_thread(process.join, 10)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Read a training's end after the bot stopped waiting for it."""
    if not future.cancelled() and future.exception() is not None:
        log.info("a training ended with the bot: %r", future.exception())


# ------------------------------------------------------------------------------- texts


def kind_name(kind: str, lang: str) -> str:
    """The kind's name in ``lang`` ("buying power", "GMV forecast")."""
    return t(lang, f"kind_{kind}")


def metrics_text(kind: str, metrics: dict[str, Any] | None, lang: str) -> str:
    """The headline metrics (for admins): held-out R² and MAE for buying power and how
    they were held out, MAPE at 15/30/60 min for the forecaster ("—" when there are
    none)."""
    m = metrics or {}
    if kind == "buying_power":
        parts = []
        if m.get("r2") is not None:
            parts.append(f"R² {float(m['r2']):.3f}")
        if m.get("mae") is not None:
            parts.append(f"MAE {fmt_num(float(m['mae']), lang, digits=2)}")
        if m.get("model"):
            parts.append(str(m["model"]))
        if m.get("held_out") in ("sessions", "workspaces"):
            parts.append(t(lang, "metrics_held_out", by=t(lang, f"metrics_by_{m['held_out']}")))
    else:
        parts = [
            f"MAPE@{h} {fmt_pct(float(m[f'mape_{h}']))}"
            for h in ("15m", "30m", "60m")
            if m.get(f"mape_{h}") is not None
        ]
        if parts and m.get("held_out") == "real_streams" and m.get("real_streams"):
            parts.append(t(lang, "metrics_real_streams", n=m["real_streams"]))
    return ", ".join(parts) or "—"


def progress_text(kind: str, seconds: float, lang: str) -> str:
    """``⏳ Training buying power… 20 s``."""
    return t(lang, "retrain_progress", kind=kind_name(kind, lang), seconds=round(seconds))


def _outcome_text(outcome: RetrainOutcome, lang: str) -> str:
    kind = kind_name(outcome.kind, lang)
    if outcome.error is not None:
        return t(lang, f"retrain_{outcome.error}", kind=kind, detail=outcome.detail)
    result, promotion = outcome.result, outcome.promotion
    assert result is not None and promotion is not None
    active = promotion.active_version
    return t(
        lang,
        "retrain_line",
        kind=kind,
        version=result.version,
        rows=f"{result.rows_used:,}",
        seconds=round(outcome.seconds),
        metrics=metrics_text(outcome.kind, result.metrics, lang),
        baseline=metrics_text(outcome.kind, result.metrics.get("baseline"), lang),
        active=f" v{active}" if active is not None else "",
        active_metrics=metrics_text(outcome.kind, promotion.active_metrics, lang),
        verdict=t(
            lang,
            f"retrain_verdict_{promotion.reason}",
            real=result.metrics.get("real_streams", 0),
            min=result.metrics.get("min_real_streams", 0),
        ),
    )


def retrain_report(outcomes: Sequence[RetrainOutcome], lang: str, *, weekly: bool = False) -> str:
    """The report of a retrain: per kind the new metrics beside the baseline's and the
    active version's, and whether the new version was promoted (or why nothing was)."""
    header = t(lang, "retrain_weekly_header" if weekly else "retrain_header")
    return "\n".join([header, *(_outcome_text(o, lang) for o in outcomes)])


# ------------------------------------------------------------------------ weekly retrain


def _admin_languages(engine: Engine, admin_ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    with session_scope(engine) as session:
        for admin in admin_ids:
            ws = repo.get_workspace(session, chat_id=admin)
            out[admin] = ws.language if ws is not None else "en"
    return out


async def report_to_admins(
    bot: Any,
    engine: Engine,
    admin_ids: Sequence[int],
    outcomes: Sequence[RetrainOutcome],
    *,
    thread: Executor | None = None,
) -> int:
    """Send the weekly report to each admin's private chat (in its language); the number
    of admins reached (one out of reach does not stop the others)."""
    from bot.services.sending import ChatGone, deliver

    loop = asyncio.get_running_loop()
    langs = await loop.run_in_executor(thread, _admin_languages, engine, list(admin_ids))
    reached = 0
    for admin, lang in langs.items():
        try:
            await deliver(bot, admin, retrain_report(outcomes, lang, weekly=True))
            reached += 1
        except ChatGone:
            log.warning("admin %s is out of reach for the weekly retrain report", admin)
        except Exception:
            log.exception("weekly retrain report to admin %s failed", admin)
    return reached


async def weekly_retrain(
    retrainer: Retrainer,
    bot: Any,
    engine: Engine,
    *,
    admin_ids: Sequence[int],
    models_dir: str | Path,
    thread: Executor | None = None,
) -> list[RetrainOutcome]:
    """Retrain every kind not already training, then report to the admins."""
    kinds = [k for k in MODEL_KINDS if k not in retrainer.running]
    outcomes = await retrainer.run_many(kinds, engine, models_dir=models_dir, thread=thread)
    log.info("weekly retrain: %s", [(o.kind, o.error or o.promotion) for o in outcomes])
    if admin_ids:
        await report_to_admins(bot, engine, admin_ids, outcomes, thread=thread)
    return outcomes
