"""The offline demo: a simulated stream stored through the bot's storage code and reported
through the bot's report service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.services.reports import session_report, write_charts
from bot.services.workspaces import ChatRef, ensure_workspace
from storage import repositories as repo
from storage.engine import session_scope

__all__ = ["DEMO_CHAT_ID", "DemoResult", "run_demo"]

DEMO_CHAT_ID = 0
"""The demo's workspace: no Telegram chat has id 0."""


@dataclass(frozen=True, slots=True)
class DemoResult:
    session_id: int
    text: str
    chart_paths: list[Path]


def run_demo(engine: Engine, *, out_dir: Path, seed: int = 7, lang: str = "en") -> DemoResult:
    """Simulate a two-hour stream, store it, and write its summary and charts to `out_dir`."""
    from core.simulate import simulate_stream

    stream = simulate_stream(seed=seed)
    ws = ensure_workspace(
        engine,
        chat=ChatRef(DEMO_CHAT_ID, "private", "LiveHost demo"),
        default_timezone="Asia/Shanghai",
    )
    started = stream.minutes["ts"].iloc[0].to_pydatetime()
    ended = stream.minutes["ts"].iloc[-1].to_pydatetime()
    with session_scope(engine) as session:
        repo.update_workspace(session, workspace_id=ws.id, language=lang)
        live = repo.open_session(
            session, workspace_id=ws.id, title=f"Demo stream (seed {seed})", started_at=started
        )
        session_id = live.id
        assert session_id is not None
        for i, row in enumerate(stream.snapshots.to_dict("records")):
            values = {str(k): v for k, v in row.items() if k != "ts" and v == v}
            repo.add_snapshot(
                session,
                session_id=session_id,
                ts=row["ts"].to_pydatetime(),
                values=values,
                dedupe_key=f"demo:{session_id}:{i}",
            )
        repo.bulk_insert_minutes(
            session, session_id=session_id, import_id=None, rows=stream.minutes
        )
        repo.bulk_insert_viewers(
            session, session_id=session_id, import_id=None, rows=stream.viewers
        )
        repo.close_session(session, session_id=session_id, ended_at=ended)
    bundle = session_report(engine, session_id=session_id, lang=lang, charts=True)
    assert bundle is not None
    return DemoResult(session_id, bundle.text, write_charts(bundle.charts, out_dir))
