"""/export and /forget as services: CSV escaping, every row out, every row gone."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.services.data import EXPORT_FILES, export_zip, forget_workspace, neutralise
from bot.services.imports import import_upload
from bot.services.trained_models import gather_viewers
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ProcessedUpdate, Workspace, row_id
from tests.utils.factories import (
    T0,
    make_minutes_frame,
    make_past_sessions_frame,
    make_send,
    make_session,
    make_snapshot,
    make_viewers_frame,
    make_workspace,
)

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"


def _read(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in archive.namelist()
        }


def _fill(engine: Engine, chat_id: int) -> tuple[int, int]:
    """A workspace with a session of snapshots, minutes, viewers (one with a negative
    spend), past sessions, a schedule and a processed update; (workspace id, session id)."""
    with session_scope(engine) as s:
        ws = make_workspace(s, chat_id=chat_id)
        live = make_session(s, workspace=ws, closed=True, ended_at=T0 + timedelta(hours=1))
        sid = row_id(live)
        for i in range(3):
            make_snapshot(s, live=live, ts=T0 + timedelta(minutes=i), values={"online": 100 + i})
        repo.bulk_insert_minutes(s, session_id=sid, rows=make_minutes_frame(10))
        viewers = make_viewers_frame(20)
        viewers.loc[0, "spend"] = -3.5  # a refund: a real negative number
        repo.bulk_insert_viewers(s, session_id=sid, rows=viewers)
        repo.bulk_insert_past_sessions(s, workspace_id=row_id(ws), rows=make_past_sessions_frame(4))
        make_send(s, workspace=ws)
        repo.mark_update_processed(s, chat_id=chat_id, message_id=7, kind="stat")
        return row_id(ws), sid


@given(st.text(max_size=20))
def test_neutralise_prefixes_exactly_the_formula_starts(text: str) -> None:
    out = neutralise(text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert out == "'" + text
    else:
        assert out == text


def test_export_neutralises_formulas_and_keeps_negative_numbers(engine: Engine) -> None:
    ws_id, sid = _fill(engine, 31)
    outcome = import_upload(
        engine,
        workspace_id=ws_id,
        data=(BROKEN / "formula_injection.csv").read_bytes(),
        filename="viewers.csv",
        caption=f"#{sid}",
        now=T0 + timedelta(hours=2),
    )
    assert outcome.ok, outcome
    result = export_zip(engine, workspace_id=ws_id)
    files = _read(result.data)
    assert sorted(files) == sorted(EXPORT_FILES)
    viewers = files["viewers.csv"]
    header, rows = viewers[0], viewers[1:]
    assert len(rows) == 23 == result.rows["viewers.csv"]
    ids = [r[header.index("user_id")] for r in rows]
    source = list(csv.reader(io.StringIO((BROKEN / "formula_injection.csv").read_text())))[1:]
    for original in (r[0] for r in source):
        assert "'" + original in ids  # shown as text, never run
    assert not any(i[:1] in ("=", "+", "-", "@", "\t", "\r") for i in ids)
    spends = [r[header.index("spend")] for r in rows]
    assert "-3.5" in spends and "'-3.5" not in spends  # a number stays a number
    assert files["sessions.csv"][1][0] == str(sid)
    assert len(files["snapshots.csv"]) == 4 and files["snapshots.csv"][1][2] == "100"
    assert len(files["minutes.csv"]) == 11 and len(files["past_sessions.csv"]) == 5
    assert not result.empty


def test_export_of_an_empty_workspace_is_empty(engine: Engine) -> None:
    with session_scope(engine) as s:
        ws_id = row_id(make_workspace(s))
    result = export_zip(engine, workspace_id=ws_id)
    assert result.empty
    assert all(len(rows) == 1 for rows in _read(result.data).values())  # headers only


def _rows_of_every_table(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
            for table in SQLModel.metadata.sorted_tables
        }


def test_forget_leaves_no_row_behind_and_twice_does_nothing_more(engine: Engine) -> None:
    before_any = _rows_of_every_table(engine)
    ws_id, _ = _fill(engine, 41)
    other_id, _ = _fill(engine, 42)
    with_both = _rows_of_every_table(engine)
    seen_by_training = len(gather_viewers(engine))
    counts = forget_workspace(engine, workspace_id=ws_id, chat_id=41)
    assert counts is not None
    assert counts["sessions"] == 1 and counts["viewer_rows"] == 20
    assert counts["imports"] == 0 and counts["scheduled_sends"] == 1
    assert counts["processed_updates"] == 1
    after = _rows_of_every_table(engine)
    # exactly the other workspace's rows are left: each table holds half of what it held
    for table, n in with_both.items():
        assert after[table] - before_any[table] == (n - before_any[table]) // 2, table
    with session_scope(engine) as s:
        assert repo.get_workspace(s, workspace_id=ws_id) is None
        assert repo.get_workspace(s, workspace_id=other_id) is not None
        assert (
            s.execute(
                sa.select(sa.func.count())
                .select_from(ProcessedUpdate)
                .where(
                    ProcessedUpdate.chat_id == 41  # type: ignore[arg-type]
                )
            ).scalar_one()
            == 0
        )
    assert forget_workspace(engine, workspace_id=ws_id, chat_id=41) is None
    assert _rows_of_every_table(engine) == after
    # the next retrain does not see the rows: only the other workspace's viewers are left
    assert 0 < len(gather_viewers(engine)) == seen_by_training // 2


def test_forget_checks_the_chat(engine: Engine) -> None:
    ws_id, _ = _fill(engine, 51)
    assert forget_workspace(engine, workspace_id=ws_id, chat_id=52) is None
    with session_scope(engine) as s:
        assert s.get(Workspace, ws_id) is not None


def test_export_frame_types_round_trip(engine: Engine) -> None:
    """What /export writes reads back as the same numbers."""
    ws_id, sid = _fill(engine, 61)
    files = _read(export_zip(engine, workspace_id=ws_id).data)
    header, *rows = files["minutes.csv"]
    exported = pd.DataFrame(rows, columns=header).replace("", None)
    with session_scope(engine) as s:
        stored = repo.minutes_frame(s, session_id=sid)
    for column in ("online", "gmv", "exits"):
        a = pd.to_numeric(exported[column], errors="coerce").to_numpy(float)
        b = stored[column].to_numpy(float)
        assert ((a == b) | (pd.isna(a) & pd.isna(b))).all(), column
