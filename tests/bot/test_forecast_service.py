"""The live insight service on a real database (SQLite and PostgreSQL): when a forecast is
shown and how, and the nudge row it makes with what the 30-minute rule reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.services.nudges import forecast_line, last_nudges, live_insight
from core.forecast_live import Forecast
from storage import repositories as repo
from storage.engine import session_scope
from tests.utils.factories import make_session, make_workspace

NOW = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)


def _open_with_pushes(engine: Engine, pushes: list[tuple[float, dict]]) -> tuple[int, int]:
    """A workspace with an open session started 40 minutes before NOW and these pushes
    (minutes since the start, values)."""
    with session_scope(engine) as s:
        ws = make_workspace(s)
        live = make_session(s, workspace=ws, started_at=NOW - timedelta(minutes=40))
        assert ws.id is not None and live.id is not None
        for i, (minute, values) in enumerate(pushes):
            repo.add_snapshot(
                s,
                session_id=live.id,
                ts=live.started_at + timedelta(minutes=minute),
                values=values,
                dedupe_key=f"svc:{i}",
            )
        return ws.id, live.id


def test_no_forecast_until_ten_minutes_and_three_pushes_with_gmv(engine: Engine) -> None:
    ws, sid = _open_with_pushes(
        engine, [(1, {"gmv": 100.0}), (4, {"gmv": 400.0}), (8, {"online": 50.0, "gmv": 900.0})]
    )
    start = NOW - timedelta(minutes=40)
    early = live_insight(engine, workspace_id=ws, session_id=sid, now=start + timedelta(minutes=9))
    assert early.forecast is None and forecast_line(early.forecast, "en") == ""
    at = start + timedelta(minutes=12)
    got = live_insight(engine, workspace_id=ws, session_id=sid, now=at)
    assert got.forecast is not None and got.forecast.method == "run_rate"
    # two hours planned (no past streams), 900 earned in 8 minutes
    assert got.forecast.value == 900.0 * 120 / 8
    assert "Forecast final GMV" in forecast_line(got.forecast, "en")


def test_the_model_forecast_is_read_as_a_range() -> None:
    fc = Forecast(290_000.0, 250_000.0, 330_000.0, "model", 80_000.0, 1800.0)
    assert "expected 250k–330k" in forecast_line(fc, "en")
    assert "预计本场成交额 25.0万–33.0万" in forecast_line(fc, "zh")


def _steady_then_doubled() -> list[tuple[float, dict]]:
    """Online ≈ 1,000, 200 entries a minute, λ = 1/300 s; the last minute leaves twice
    as fast."""
    lam, online, total = 1 / 300, 1000.0, 1000.0
    pushes = []
    for minute in range(1, 40):
        factor = 2.0 if minute == 39 else 1.0
        online = online - factor * lam * 60 * online + 200.0
        total += 200.0
        pushes.append((float(minute), {"online": online, "entries": total}))
    return pushes


def test_a_nudge_row_carries_its_code_and_numbers_for_the_next_check(engine: Engine) -> None:
    ws, sid = _open_with_pushes(engine, _steady_then_doubled())
    now = NOW - timedelta(minutes=1) + timedelta(seconds=5)
    got = live_insight(engine, workspace_id=ws, session_id=sid, now=now)
    assert got.nudge is not None and got.nudge.code == "attention_drop_promo"
    assert got.nudge_key == f"nudge:{sid}:{int(now.timestamp() // 600)}"
    with session_scope(engine) as s:
        seen = last_nudges(s, session_id=sid)
    assert set(seen) == {"attention_drop_promo"}
    when, params = seen["attention_drop_promo"]
    assert when == now and params["lambda_ratio"] >= 1.3 and params["z"] >= 4
    # the same moment checked again makes nothing new (one per 10 minutes)
    again = live_insight(engine, workspace_id=ws, session_id=sid, now=now + timedelta(seconds=30))
    assert again.nudge is None


def test_the_forecast_history_is_read_again_only_when_a_past_stream_changes(
    engine: Engine,
) -> None:
    import pandas as pd

    from bot.services.figures import refresh_session_figures
    from tests.bot.test_figures_history import _RawReads

    def minutes(start: datetime, gmv: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "ts": pd.date_range(start, periods=30, freq="min"),
                "online": [100.0] * 30,
                "gmv": [gmv] * 30,
                "orders": [1.0] * 30,
            }
        )

    ws, sid = _open_with_pushes(
        engine, [(1, {"gmv": 100.0}), (5, {"gmv": 500.0}), (11, {"gmv": 1100.0})]
    )
    with session_scope(engine) as s:
        workspace = repo.get_workspace(s, workspace_id=ws)
        assert workspace is not None
        past = []
        for day in (1, 2):
            start = NOW - timedelta(days=day)
            live = make_session(
                s,
                workspace=workspace,
                started_at=start,
                closed=True,
                ended_at=start + timedelta(minutes=30),
            )
            assert live.id is not None
            repo.bulk_insert_minutes(s, session_id=live.id, rows=minutes(start, 50.0))
            past.append(live.id)
    at = NOW - timedelta(minutes=25)

    def insight_reads() -> tuple[Forecast | None, int]:
        with _RawReads(engine) as q:
            got = live_insight(engine, workspace_id=ws, session_id=sid, now=at)
        return got.forecast, sum("FROM minute_row" in st for st in q.statements)

    first, read_first = insight_reads()
    again, read_again = insight_reads()
    assert first is not None and again == first
    with session_scope(engine) as s:  # a past stream's data changes, and its figures
        repo.bulk_insert_minutes(
            s, session_id=past[0], rows=minutes(NOW - timedelta(days=1, hours=-1), 80.0)
        )
        refresh_session_figures(s, past[0])
    changed, read_changed = insight_reads()
    assert changed is not None
    if engine.dialect.name == "sqlite":
        assert read_first >= 1 and read_again == 0 and read_changed >= 1
