"""Admin services: who is an admin, arguments, /adminstats, drift, the retrainer, the
weekly schedule."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.handlers.admin import _models_text
from bot.sends.retrain import next_weekly_retrain, plan_weekly_retrain, weekly_key
from bot.services import trained_models as svc
from bot.services.admin import admin_stats, is_admin, parse_retrain_args, parse_rollback_args
from bot.services.model_overview import DRIFT_RATIO, model_overview
from bot.services.retrain import AlreadyRunning, Retrainer, retrain_report
from bot.services.worker_db import worker_db_url
from core.simulate import simulate_viewers
from storage import repositories as repo
from storage.engine import make_engine, session_scope
from storage.models import ScheduledSend, row_id
from tests.bot.test_trained_models import _fill
from tests.utils.factories import T0, make_session, make_workspace


@given(st.lists(st.integers(1, 10**12), max_size=5), st.integers(1, 10**12))
def test_admin_is_a_listed_numeric_id_only(admins: list[int], user: int) -> None:
    assert is_admin(admins, user) == (user in admins)
    assert not is_admin(admins, None)
    for admin in admins:  # the id as text (a username, say) never counts
        assert not is_admin(admins, str(admin))  # type: ignore[arg-type]


def test_parse_retrain_args() -> None:
    assert parse_retrain_args([]) == (("buying_power", "forecast"), False)
    assert parse_retrain_args(["buying_power"]) == (("buying_power",), False)
    assert parse_retrain_args(["forecast", "force"]) == (("forecast",), True)
    assert parse_retrain_args(["ALL", "--force"]) == (("buying_power", "forecast"), True)
    assert parse_retrain_args(["bp"]) == (("buying_power",), False)
    assert parse_retrain_args(["weather"]) is None
    assert parse_retrain_args(["forecast", "buying_power"]) is None


def test_parse_rollback_args() -> None:
    assert parse_rollback_args(["3"]) == ("buying_power", 3)
    assert parse_rollback_args(["forecast", "3"]) == ("forecast", 3)
    assert parse_rollback_args(["v2", "forecast"]) == ("forecast", 2)
    assert parse_rollback_args(["#4"]) == ("buying_power", 4)
    for bad in ([], ["forecast"], ["0"], ["x"], ["1", "2"]):
        assert parse_rollback_args(bad) is None, bad


@given(st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC)))
def test_the_weekly_retrain_is_the_next_monday_3am_utc(now: datetime) -> None:
    due = next_weekly_retrain(now)
    assert now < due <= now + timedelta(days=7)
    assert (due.weekday(), due.hour, due.minute, due.second) == (0, 3, 0, 0)
    year, week, _ = due.isocalendar()
    assert weekly_key(due) == f"retrain:{year}-W{week:02d}"


def test_plan_weekly_retrain_is_idempotent(engine: Engine) -> None:
    now = datetime(2026, 11, 25, 10, tzinfo=UTC)  # a Wednesday of ISO week 48
    first = plan_weekly_retrain(engine, now=now)
    again = plan_weekly_retrain(engine, now=now + timedelta(hours=1))
    assert first == again == ("retrain:2026-W49", datetime(2026, 11, 30, 3, tzinfo=UTC))
    with session_scope(engine) as s:
        rows = repo.pending_sends(s, kind="retrain")
        assert [(r.key, r.workspace_id) for r in rows] == [("retrain:2026-W49", None)]


def test_admin_stats(engine: Engine) -> None:
    with session_scope(engine) as s:
        ws = make_workspace(s)
        make_workspace(s, active=False)
        live = make_session(s, workspace=ws, closed=True, ended_at=T0 + timedelta(hours=1))
        repo.bulk_insert_viewers(s, session_id=row_id(live), rows=simulate_viewers(30, seed=1))
    stats = admin_stats(engine)
    assert (stats.workspaces_active, stats.workspaces_inactive) == (1, 1)
    assert (stats.sessions, stats.viewer_rows, stats.snapshots) == (1, 30, 0)
    assert stats.db_bytes is not None and stats.db_bytes > 0
    assert stats.last_retrain == {"buying_power": None, "forecast": None}


def test_worker_db_url_reaches_the_same_database(engine: Engine) -> None:
    with session_scope(engine) as s:
        make_workspace(s, chat_id=777)
    other = make_engine(worker_db_url(engine))
    try:
        with session_scope(other) as s:
            assert repo.get_workspace(s, chat_id=777) is not None
    finally:
        other.dispose()


def test_worker_db_url_refuses_an_in_memory_database() -> None:
    memory = make_engine("sqlite://")
    with pytest.raises(ValueError):
        worker_db_url(memory)
    memory.dispose()


def _viewers_session(engine: Engine, *, spend_factor: float, seed: int) -> None:
    with session_scope(engine) as s:
        ws = make_workspace(s)
        live = make_session(s, workspace=ws, closed=True, ended_at=T0 + timedelta(hours=1))
        frame = simulate_viewers(400, seed=seed)
        frame["spend"] = frame["spend"] * spend_factor
        repo.bulk_insert_viewers(s, session_id=row_id(live), rows=frame)


def test_drift_of_buying_power_grows_when_spending_changes(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    models_dir = tmp_path / "models"
    _fill(sqlite_engine, sessions=3, viewers=400, streams=0)
    result = svc.train("buying_power", sqlite_engine, models_dir=models_dir)
    svc.promote_if_better(result, sqlite_engine, models_dir=models_dir)
    (bp, _fc) = model_overview(sqlite_engine, models_dir=models_dir)
    assert bp.active == 1 and bp.versions[0].active
    assert bp.drift is not None and bp.drift.live is None and bp.drift.n == 0  # nothing new

    _viewers_session(sqlite_engine, spend_factor=1.0, seed=501)
    (bp, _fc) = model_overview(sqlite_engine, models_dir=models_dir)
    assert bp.drift is not None and bp.drift.n > 0 and bp.drift.live is not None
    assert bp.drift.cv == pytest.approx(result.metrics["mae"])
    assert not bp.drift.grew  # the same audience: the error holds

    _viewers_session(sqlite_engine, spend_factor=25.0, seed=502)  # spending changed
    (bp, _fc) = model_overview(sqlite_engine, models_dir=models_dir)
    assert bp.drift is not None and bp.drift.ratio is not None
    assert bp.drift.ratio > DRIFT_RATIO and bp.drift.grew


def test_drift_of_the_forecaster_on_sessions_since(sqlite_engine: Engine, tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    _fill(sqlite_engine, sessions=0, viewers=0, streams=3)  # streams from T0 + 10 days
    result = svc.train("forecast", sqlite_engine, models_dir=models_dir, min_streams=40, now=T0)
    # three real streams are too few to promote it on its own: an admin forces it
    svc.promote_if_better(result, sqlite_engine, models_dir=models_dir, force=True)
    (_bp, fc) = model_overview(sqlite_engine, models_dir=models_dir)
    assert fc.active == 1 and fc.drift is not None
    assert fc.drift.metric == "mape_30m" and fc.drift.n == 3
    assert fc.drift.live is not None and fc.drift.live >= 0
    assert fc.drift.cv == pytest.approx(result.metrics["mape_30m"])
    assert not fc.unchecked  # measured on real streams, and chosen by an admin besides

    # a version stored before retraining checked forecasters on real streams, active by
    # the old rule: /models says live forecasts do not use it, and how to go on
    with session_scope(sqlite_engine) as s:
        row = repo.active_model_version(s, kind="forecast")
        assert row is not None
        row.metrics = {"mape_30m": 0.05, "held_out": "workspaces", "baseline": {}}
        s.add(row)
    overview = model_overview(sqlite_engine, models_dir=models_dir)
    assert overview[1].unchecked
    text = _models_text(overview, "zh", "Asia/Shanghai")
    assert "v1 没有在本店自己的直播上检验过" in text and "/rollback forecast 1" in text
    svc.rollback("forecast", 1, sqlite_engine, models_dir=models_dir)
    assert not model_overview(sqlite_engine, models_dir=models_dir)[1].unchecked


async def test_retrainer_reports_progress_and_refuses_a_second_run(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _fill(sqlite_engine, sessions=2, viewers=300, streams=0)
    retrainer = Retrainer(
        executor_factory=lambda: ThreadPoolExecutor(max_workers=1), progress_every_s=0.02
    )
    seen: list[tuple[str, float]] = []

    async def on_progress(kind: str, seconds: float) -> None:
        seen.append((kind, seconds))

    models_dir = tmp_path / "models"
    first = asyncio.ensure_future(
        retrainer.run("buying_power", sqlite_engine, models_dir=models_dir, on_progress=on_progress)
    )
    await asyncio.sleep(0)  # it has started
    with pytest.raises(AlreadyRunning):
        await retrainer.run("buying_power", sqlite_engine, models_dir=models_dir)
    outcome = await first
    await retrainer.shutdown()
    assert outcome.error is None and outcome.result is not None
    assert outcome.promotion is not None and outcome.promotion.reason == "first"
    assert seen and all(kind == "buying_power" for kind, _ in seen)
    assert [s for _, s in seen] == sorted(s for _, s in seen)
    assert retrainer.running == set()
    text = retrain_report([outcome], "en")
    assert "buying power v1" in text and "promoted" in text and "R²" in text


async def test_a_training_ended_by_the_bot_stopping_leaves_no_unread_error(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """/quit or a restart during a retrain ends the training process; how it ended is read,
    not logged by asyncio as "Future exception was never retrieved"."""
    import gc

    _fill(sqlite_engine, sessions=0, viewers=0, streams=3)
    retrainer = Retrainer(progress_every_s=0.05)  # the real process pool
    task = retrainer.spawn(retrainer.run("forecast", sqlite_engine, models_dir=tmp_path / "m"))
    for _ in range(200):  # until the training runs in its process
        await asyncio.sleep(0.05)
        if retrainer._executor is not None and getattr(retrainer._executor, "_processes", None):
            break
    await asyncio.sleep(0.5)
    with caplog.at_level(logging.INFO):
        await retrainer.shutdown()
        await asyncio.sleep(0.5)  # the pool's end reaches the loop
        gc.collect()
        await asyncio.sleep(0)
    assert task.cancelled()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert any("ended with the bot" in r.getMessage() for r in caplog.records)


async def test_retrainer_without_data_says_so(sqlite_engine: Engine, tmp_path: Path) -> None:
    retrainer = Retrainer(executor_factory=lambda: ThreadPoolExecutor(max_workers=1))
    (outcome,) = await retrainer.run_many(
        ["buying_power"], sqlite_engine, models_dir=tmp_path / "models"
    )
    await retrainer.shutdown()
    assert outcome.error == "not_enough_data" and outcome.result is None
    assert "not enough data" in retrain_report([outcome], "en")
    assert "数据还不够" in retrain_report([outcome], "zh")
    with session_scope(sqlite_engine) as s:
        assert repo.list_model_versions(s) == []
        assert s.execute(sa.select(sa.func.count()).select_from(ScheduledSend)).scalar_one() == 0
