"""Stored figures: written on close and after an import, read as history in one query,
recomputed after a definitions change; the summary, digest, /sessions and /export agree."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.services.data import export_zip
from bot.services.digests import build_digest
from bot.services.figures import refresh_session_figures, stream_history
from bot.services.imports import import_upload
from bot.services.live import end_live, go_live
from bot.services.reports import session_report
from bot.services.summaries import build_summary, list_session_lines
from core.figures import DEFINITIONS_VERSION
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import SessionFigures, row_id
from tests.utils.factories import T0, make_session, make_workspace


def _minutes(start, gmv_per_minute: float, n: int = 30) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=n, freq="min"),
            "online": [100.0 + i for i in range(n)],
            "entries": [20.0] * n,
            "exits": [19.0] * n,
            "gmv": [gmv_per_minute] * n,
            "orders": [2.0] * n,
        }
    )


def _workspace_with_history(
    engine: Engine, days: int, language: str = "en"
) -> tuple[int, list[int]]:
    with session_scope(engine) as s:
        ws = make_workspace(s, language=language)
        ids = []
        for day in range(days):
            start = T0 - timedelta(days=days - day)
            live = make_session(
                s,
                workspace=ws,
                started_at=start,
                closed=True,
                ended_at=start + timedelta(minutes=30),
            )
            repo.bulk_insert_minutes(s, session_id=row_id(live), rows=_minutes(start, 100.0 + day))
            ids.append(row_id(live))
        return row_id(ws), ids


class _Queries:
    def __init__(self, engine: Engine) -> None:
        self.engine, self.statements = engine, []  # type: ignore[var-annotated]

    def __enter__(self) -> _Queries:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, params, context, many) -> None:  # type: ignore[no-untyped-def]
        self.statements.append(statement)


class _RawReads:
    """Every statement SQLite runs, also those of the frames (read on the DBAPI cursor)."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.statements = engine, []  # type: ignore[var-annotated]
        self.traced: list[object] = []

    def __enter__(self) -> _RawReads:
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "checkout", self._trace)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.engine.dialect.name == "sqlite":
            sa.event.remove(self.engine, "checkout", self._trace)
            for connection in self.traced:
                connection.set_trace_callback(None)  # type: ignore[attr-defined]

    def _trace(self, dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.set_trace_callback(self.statements.append)
        self.traced.append(dbapi_connection)


def test_history_is_computed_once_then_read_in_one_query(engine: Engine) -> None:
    ws_id, ids = _workspace_with_history(engine, 6)
    with session_scope(engine) as s:
        first = stream_history(s, workspace_id=ws_id, limit=4, include_platform_rows=False)
    assert [r.session_id for r in first] == ids[-4:]
    assert [r.gmv for r in first] == [30 * (100.0 + d) for d in range(2, 6)]
    with session_scope(engine) as s:
        stored = s.exec(sa.select(SessionFigures)).all()  # type: ignore[call-overload]
        assert len(stored) == 4
    with _Queries(engine) as q, session_scope(engine) as s:
        again = stream_history(s, workspace_id=ws_id, limit=4, include_platform_rows=False)
    assert again == first
    reads = [st for st in q.statements if st.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, reads  # no frame is read: the stored rows are the history
    assert "minute_row" not in reads[0]


def test_a_definitions_change_recomputes(engine: Engine) -> None:
    ws_id, ids = _workspace_with_history(engine, 2)
    with session_scope(engine) as s:
        stream_history(s, workspace_id=ws_id)
        row = s.get(SessionFigures, ids[0])
        assert row is not None and row.definitions_version == DEFINITIONS_VERSION
        row.definitions_version = DEFINITIONS_VERSION - 1
        row.gmv = -1.0  # what an older definition said
        s.add(row)
    with session_scope(engine) as s:
        records = stream_history(s, workspace_id=ws_id)
        assert records[0].gmv == 3000.0
        row = s.get(SessionFigures, ids[0])
        assert row is not None and row.definitions_version == DEFINITIONS_VERSION
        assert row.gmv == 3000.0


def test_close_and_import_store_the_figures(engine: Engine) -> None:
    with session_scope(engine) as s:
        ws_id = row_id(make_workspace(s))
    opened = go_live(engine, workspace_id=ws_id, title="t", now=T0, chat_id=1, message_id=1)
    with session_scope(engine) as s:
        repo.bulk_insert_minutes(s, session_id=opened.session_id, rows=_minutes(T0, 10.0))
        assert s.get(SessionFigures, opened.session_id) is None  # open: not stored
    end_live(engine, workspace_id=ws_id, now=T0 + timedelta(minutes=30))
    with session_scope(engine) as s:
        row = s.get(SessionFigures, opened.session_id)
        assert row is not None and row.gmv == 300.0 and row.duration_s == 1800.0
    viewers = "user_id,watch_time,buy_power\n" + "".join(
        f"u{i},{60 + i},{100.0 if i < 4 else 0}\n" for i in range(40)
    )
    outcome = import_upload(
        engine,
        workspace_id=ws_id,
        data=viewers.encode(),
        filename="v.csv",
        caption=f"#{opened.session_id}",
        now=T0 + timedelta(hours=1),
    )
    assert outcome.ok, outcome
    with session_scope(engine) as s:
        row = s.get(SessionFigures, opened.session_id)
        assert row is not None
        # the viewer rows come before the minutes: GMV 400 from 4 buyers, 40 viewers
        assert row.gmv == 400.0 and row.buyers == 4 and row.viewers == 40
        assert row.conversion == pytest.approx(0.1)
        assert row.figures is not None
        recon = row.figures["reconciliation"]
        assert any(r["figure"] == "gmv" and r["other_source"] == "minutes" for r in recon)


def test_summary_states_the_disagreement_in_one_line_in_chinese(engine: Engine) -> None:
    with session_scope(engine) as s:
        ws = make_workspace(s, language="zh")
        live = make_session(s, workspace=ws, closed=True, ended_at=T0 + timedelta(minutes=30))
        sid = row_id(live)
        repo.bulk_insert_minutes(s, session_id=sid, rows=_minutes(T0, 3000.0))  # 9.0万
        n = 688
        repo.bulk_insert_viewers(
            s,
            session_id=sid,
            rows=pd.DataFrame(
                {
                    "user_id": [f"u{i}" for i in range(1000)],
                    "watch_time_s": [120.0] * 1000,
                    "spend": [94_000 / n] * n + [0.0] * (1000 - n),
                }
            ),
        )
    content = build_summary(engine, session_id=sid)
    assert content is not None
    line = "成交额：分钟数据 9.0万，观众明细 9.4万（+4.4%），采用观众明细"
    assert content.text.count(line) == 1, content.text
    assert "成交额 9.4万" in content.text and "成交额 9.0万" not in content.text
    # per buyer from the buyers; no orders, so no per-order figure (left out, not "—")
    assert "客单价 9.4万" not in content.text and "客单价 " in content.text
    assert "笔单价" not in content.text
    # the minutes' 60 orders cannot stand beside 688 buyers: said, not silently dropped
    said = "订单：分钟数据 60，比成交人数（观众明细 688）还少，两者不能同时成立，未采用订单"
    assert content.text.count(said) == 1, content.text


def test_summary_comparison_digest_sessions_and_export_agree(engine: Engine) -> None:
    ws_id, _ids = _workspace_with_history(engine, 3)
    with session_scope(engine) as s:
        ws = repo.get_workspace(s, workspace_id=ws_id)
        assert ws is not None
        live = make_session(
            s, workspace=ws, started_at=T0, closed=True, ended_at=T0 + timedelta(minutes=30)
        )
        sid = row_id(live)
        repo.bulk_insert_minutes(s, session_id=sid, rows=_minutes(T0, 200.0))
    bundle = session_report(engine, session_id=sid)
    assert bundle is not None and bundle.report.kpis.gmv == 6000.0
    content = build_summary(engine, session_id=sid)
    assert content is not None
    # the usual is the median of the three before: 30 × 101
    assert "3,030" in content.text and "6,000" in content.text
    digest = build_digest(engine, workspace_id=ws_id, covers=T0.date())
    assert digest is not None and "6,000" in digest.text
    lines = list_session_lines(engine, workspace_id=ws_id)
    assert [line.gmv for line in lines] == [6000.0, 3060.0, 3030.0, 3000.0]
    with zipfile.ZipFile(io.BytesIO(export_zip(engine, workspace_id=ws_id).data)) as z:
        figures = pd.read_csv(io.BytesIO(z.read("figures.csv")), encoding="utf-8-sig")
    assert dict(zip(figures["session_id"], figures["gmv"], strict=True))[sid] == 6000.0


def test_a_platform_row_is_the_sessions_own_total(engine: Engine) -> None:
    ws_id, ids = _workspace_with_history(engine, 1)
    sessions_file = (
        "Start Time,Duration,Attributed GMV,Views,Room title\n"
        f"{(T0 - timedelta(days=1) + timedelta(minutes=5)):%Y-%m-%d %H:%M},30min,3300,800,a\n"
        f"{(T0 - timedelta(days=5)):%Y-%m-%d %H:%M},1h,5000,900,b\n"
    )
    with session_scope(engine) as s:
        stream_history(s, workspace_id=ws_id)  # stored before the file
    outcome = import_upload(
        engine,
        workspace_id=ws_id,
        data=sessions_file.encode(),
        filename="s.csv",
        caption=None,
        now=T0,
    )
    assert outcome.ok, outcome
    with session_scope(engine) as s:
        records = stream_history(s, workspace_id=ws_id, since=T0 - timedelta(days=10))
        assert refresh_session_figures(s, ids[0]) is not None
    assert [(r.session_id, r.gmv) for r in records] == [(None, 5000.0), (ids[0], 3300.0)]


def test_what_moved_compares_the_stored_rows(engine: Engine) -> None:
    with session_scope(engine) as s:
        ws_id = row_id(make_workspace(s))
    opened = go_live(engine, workspace_id=ws_id, title="t", now=T0, chat_id=1, message_id=1)
    sid = opened.session_id
    with session_scope(engine) as s:
        repo.bulk_insert_minutes(s, session_id=sid, rows=_minutes(T0, 10.0))
    end_live(engine, workspace_id=ws_id, now=T0 + timedelta(minutes=30))
    with session_scope(engine) as s:
        row = repo.get_session_figures(s, session_id=sid)
        assert row is not None and row.figures is not None and row.gmv == 300.0
        # what is stored is what the host was shown: the reply's "before" is read from here
        figures = dict(row.figures)
        figures["values"] = {**figures["values"], "gmv": {"value": 290.0, "source": "minutes"}}
        row.figures = figures
        s.add(row)
    viewers = "user_id,watch_time,buy_power\n" + "".join(
        f"u{i},{60 + i},{100.0 if i < 4 else 0}\n" for i in range(40)
    )
    with _RawReads(engine) as q:
        outcome = import_upload(
            engine,
            workspace_id=ws_id,
            data=viewers.encode(),
            filename="v.csv",
            caption=f"#{sid}",
            now=T0 + timedelta(hours=1),
        )
    assert outcome.ok, outcome
    moved = {m.name: (m.before, m.after) for m in outcome.moved}
    assert moved["gmv"] == (290.0, 400.0)
    assert moved["buyers"] == (None, 4.0) and moved["viewers"] == (None, 40.0)
    with session_scope(engine) as s:
        row = repo.get_session_figures(s, session_id=sid)
        assert row is not None and row.gmv == 400.0 and row.buyers == 4.0
    if engine.dialect.name == "sqlite":
        # the session's frames are read once: by the one computation stored after the file
        frame_reads = [st for st in q.statements if "FROM minute_row" in st]
        assert len(frame_reads) == 1, frame_reads


def test_one_gmv_on_every_surface_when_the_sources_disagree(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Minutes say 90,000 and the viewer rows 94,000: the viewer rows come first, and the
    report, its JSON, the summary, the digest, /sessions, /export, the history that
    comparisons read, the forecast replay's actual and the upload's reply all say 94,000."""
    from bot.formatting import fmt_money
    from bot.services.nudges import replay_forecast

    ws_id, _ids = _workspace_with_history(engine, 3)
    with session_scope(engine) as s:
        ws = repo.get_workspace(s, workspace_id=ws_id)
        assert ws is not None
        live = make_session(
            s, workspace=ws, started_at=T0, closed=True, ended_at=T0 + timedelta(minutes=30)
        )
        sid = row_id(live)
        repo.bulk_insert_minutes(s, session_id=sid, rows=_minutes(T0, 3000.0))
    buyers = 688
    viewers = "user_id,watch_time,buy_power\n" + "".join(
        f"u{i},{120 + i % 60},{94_000 / buyers if i < buyers else 0}\n" for i in range(1000)
    )
    outcome = import_upload(
        engine,
        workspace_id=ws_id,
        data=viewers.encode(),
        filename="v.csv",
        caption=f"#{sid}",
        now=T0 + timedelta(hours=2),
    )
    assert outcome.ok, outcome
    gmv = next(m for m in outcome.moved if m.name == "gmv")
    assert gmv.before == pytest.approx(90_000.0) and gmv.after == pytest.approx(94_000.0)

    truth = pytest.approx(94_000.0)
    bundle = session_report(engine, session_id=sid)
    assert bundle is not None
    data = bundle.report.to_dict()
    assert data["figures"]["gmv"] == {"value": truth, "source": "viewers"}
    assert data["kpis"]["gmv"] == truth
    assert any(r["figure"] == "gmv" for r in data["reconciliation"])
    shown, other = fmt_money(94_000.0, "en"), fmt_money(90_000.0, "en")
    summary = build_summary(engine, session_id=sid)
    assert summary is not None and shown in summary.text
    # 90,000 appears once: in the line that states the disagreement, beside 94,000
    assert summary.text.count(other) == 1
    assert shown in next(line for line in summary.text.splitlines() if other in line)
    digest = build_digest(engine, workspace_id=ws_id, covers=T0.date())
    assert digest is not None and shown in digest.text and other not in digest.text
    assert {ln.session_id: ln.gmv for ln in list_session_lines(engine, workspace_id=ws_id)}[
        sid
    ] == truth
    with zipfile.ZipFile(io.BytesIO(export_zip(engine, workspace_id=ws_id).data)) as z:
        figures = pd.read_csv(io.BytesIO(z.read("figures.csv")), encoding="utf-8-sig")
    assert dict(zip(figures["session_id"], figures["gmv"], strict=True))[sid] == truth
    with session_scope(engine) as s:
        history = stream_history(s, workspace_id=ws_id)
    assert next(r for r in history if r.session_id == sid).gmv == truth
    replay = replay_forecast(engine, session_id=sid, at_s=600.0, models_dir=tmp_path)
    assert replay is not None and replay.actual_gmv == truth


def test_a_session_without_a_title_goes_by_the_platforms_name(engine: Engine) -> None:
    start = T0 - timedelta(days=1)
    with session_scope(engine) as s:
        ws = make_workspace(s)
        untitled = make_session(
            s,
            workspace=ws,
            title=None,
            started_at=start,
            closed=True,
            ended_at=start + timedelta(minutes=30),
            source="import",
        )
        named = make_session(
            s,
            workspace=ws,
            title="Our own name",
            started_at=start - timedelta(days=2),
            closed=True,
            ended_at=start - timedelta(days=2) + timedelta(minutes=30),
        )
        for live in (untitled, named):
            repo.bulk_insert_minutes(
                s, session_id=row_id(live), rows=_minutes(live.started_at, 50.0)
            )
        ws_id, ids = row_id(ws), (row_id(untitled), row_id(named))
    sessions_file = (
        "Start Time,Duration,Attributed GMV,Views,Room title\n"
        f"{start + timedelta(minutes=2):%Y-%m-%d %H:%M},30min,1500,800,Spring tea sale #7\n"
        f"{start - timedelta(days=2):%Y-%m-%d %H:%M},30min,1500,800,Spring tea sale #5\n"
    )
    outcome = import_upload(
        engine,
        workspace_id=ws_id,
        data=sessions_file.encode(),
        filename="s.csv",
        caption=None,
        now=T0,
    )
    assert outcome.ok, outcome
    lines = list_session_lines(engine, workspace_id=ws_id)
    assert [(line.session_id, line.title) for line in lines] == [
        (ids[0], "Spring tea sale #7"),
        (ids[1], "Our own name"),
    ]
    bundle = session_report(engine, session_id=ids[0], workspace_id=ws_id)
    assert bundle is not None and bundle.report.title == "Spring tea sale #7"
    # the stored title is the host's alone: nothing was written
    with session_scope(engine) as s:
        assert repo.get_session_any(s, session_id=ids[0]).title is None  # type: ignore[union-attr]
