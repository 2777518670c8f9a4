# mypy: disable-error-code="arg-type, union-attr"
"""Snapshots, imports, bulk inserts and the frames handed to core (NaN stays NaN)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from storage import repositories as repo
from storage.errors import (
    DuplicateImport,
    InvalidValue,
    SessionNotFound,
    UnknownColumns,
    WorkspaceNotFound,
)
from storage.models import MINUTE_COLUMNS, PAST_SESSION_COLUMNS, SNAPSHOT_COLUMNS, VIEWER_COLUMNS
from tests.utils.factories import (
    T0,
    make_import,
    make_minutes_frame,
    make_past_sessions_frame,
    make_session,
    make_snapshot,
    make_viewers_frame,
    make_workspace,
)

FLOAT_VIEWER_COLUMNS = [c for c in VIEWER_COLUMNS if c not in ("user_id", "censored")]


def _assert_float_columns_equal(got: pd.DataFrame, want: pd.DataFrame, columns) -> None:
    for name in columns:
        np.testing.assert_array_equal(
            got[name].to_numpy(dtype="float64"), want[name].to_numpy(dtype="float64"), err_msg=name
        )


# ---------------------------------------------------------------------------- snapshots


def test_snapshot_dedupe_key_is_applied_once(db: Session) -> None:
    live = make_session(db)
    first = make_snapshot(db, live=live, values={"online": 1200, "gmv": 3400}, dedupe_key="9:77")
    assert first is not None and first.online == 1200.0
    again = make_snapshot(db, live=live, values={"online": 5, "gmv": 5}, dedupe_key="9:77")
    assert again is None
    frame = repo.snapshots_frame(db, session_id=live.id)
    assert len(frame) == 1 and frame.loc[0, "online"] == 1200.0


def test_snapshot_dedupe_survives_commit_and_new_session(engine, db: Session) -> None:
    live = make_session(db)
    make_snapshot(db, live=live, dedupe_key="1:1")
    db.commit()
    with Session(engine) as other:
        assert (
            repo.add_snapshot(
                other, session_id=live.id, ts=T0, values={"online": 1}, dedupe_key="1:1"
            )
            is None
        )
        other.commit()
    assert len(repo.snapshots_frame(db, session_id=live.id)) == 1


def test_snapshots_frame_has_canonical_columns_and_missing_as_nan(db: Session) -> None:
    live = make_session(db)
    make_snapshot(db, live=live, ts=T0 + timedelta(minutes=5), values={"online": 900, "orders": 3})
    make_snapshot(db, live=live, ts=T0, values={"online": 1000, "gmv": float("nan")})
    frame = repo.snapshots_frame(db, session_id=live.id)
    assert list(frame.columns) == ["ts", *SNAPSHOT_COLUMNS]
    assert str(frame["ts"].dt.tz) == "UTC"
    assert list(frame["ts"]) == [pd.Timestamp(T0), pd.Timestamp(T0 + timedelta(minutes=5))]
    assert frame["online"].tolist() == [1000.0, 900.0]
    assert math.isnan(frame.loc[0, "gmv"]) and math.isnan(frame.loc[0, "orders"])
    assert frame.loc[1, "orders"] == 3.0
    assert all(frame[c].dtype == "float64" for c in SNAPSHOT_COLUMNS)
    db.refresh(live)
    assert live.last_push_at == T0 + timedelta(minutes=5)


def test_snapshot_rejects_unknown_keys_and_non_numbers(db: Session) -> None:
    live = make_session(db)
    with pytest.raises(UnknownColumns):
        make_snapshot(db, live=live, values={"onlin": 5})
    with pytest.raises(InvalidValue):
        make_snapshot(db, live=live, values={"online": "many"})  # type: ignore[dict-item]
    with pytest.raises(SessionNotFound):
        repo.add_snapshot(db, session_id=10**9, ts=T0, values={}, dedupe_key="x")


def test_empty_frames_keep_their_columns(db: Session) -> None:
    live = make_session(db)
    assert list(repo.snapshots_frame(db, session_id=live.id).columns) == ["ts", *SNAPSHOT_COLUMNS]
    assert list(repo.minutes_frame(db, session_id=live.id).columns) == ["ts", *MINUTE_COLUMNS]
    assert list(repo.viewers_frame(db, session_id=live.id).columns) == list(VIEWER_COLUMNS)
    past = repo.past_sessions_frame(db, workspace_id=live.workspace_id)
    assert list(past.columns) == list(PAST_SESSION_COLUMNS) and past.empty


# ------------------------------------------------------------------------------ imports


def test_same_content_is_recognised_per_workspace(db: Session) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    record = make_import(db, workspace=ws, content_hash="ab" * 32, rows=10)
    assert repo.find_import(db, workspace_id=ws.id, content_hash="ab" * 32).id == record.id
    assert repo.find_import(db, workspace_id=other.id, content_hash="ab" * 32) is None
    with pytest.raises(DuplicateImport) as caught:
        make_import(db, workspace=ws, content_hash="ab" * 32)
    assert caught.value.existing_id == record.id
    assert make_import(db, workspace=other, content_hash="ab" * 32).id != record.id
    assert [r.id for r in repo.list_imports(db, workspace_id=ws.id)] == [record.id]


def test_import_rejects_a_session_of_another_workspace(db: Session) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    foreign = make_session(db, workspace=other)
    with pytest.raises(SessionNotFound):
        make_import(db, workspace=ws, live=foreign)
    with pytest.raises(InvalidValue):
        make_import(db, workspace=ws, kind="pictures")


def test_import_rolled_back_leaves_nothing(engine) -> None:
    from storage.engine import session_scope

    with session_scope(engine) as session:
        live = make_session(session)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        record = make_import(
            session,
            workspace=repo.get_workspace(session, workspace_id=live.workspace_id),
            live=live,
            content_hash="cd" * 32,
        )
        repo.bulk_insert_viewers(
            session, session_id=live.id, import_id=record.id, rows=make_viewers_frame(100)
        )
        raise RuntimeError("validation failed after the insert")
    with session_scope(engine) as session:
        assert repo.viewers_frame(session, session_id=live.id).empty
        assert (
            repo.find_import(session, workspace_id=live.workspace_id, content_hash="cd" * 32)
            is None
        )


# --------------------------------------------------------------------------- bulk + frames


def test_viewers_round_trip_keeps_nan_as_nan(db: Session) -> None:
    live = make_session(db)
    frame = make_viewers_frame(2_000, seed=3, missing=0.2)
    frame.loc[5, "user_id"] = None
    assert repo.bulk_insert_viewers(db, session_id=live.id, rows=frame) == 2_000
    back = repo.viewers_frame(db, session_id=live.id)
    assert list(back.columns) == list(VIEWER_COLUMNS)
    assert len(back) == 2_000
    _assert_float_columns_equal(back, frame, FLOAT_VIEWER_COLUMNS)
    assert back["watch_time_s"].isna().sum() == frame["watch_time_s"].isna().sum() > 0
    assert pd.isna(back.loc[5, "user_id"])
    assert back["user_id"].drop(index=5).tolist() == frame["user_id"].drop(index=5).tolist()
    want_censored = [None if pd.isna(v) else bool(v) for v in frame["censored"]]
    got_censored = [None if pd.isna(v) else v for v in back["censored"]]
    assert got_censored == want_censored
    assert {type(v) for v in got_censored} == {bool, type(None)}


def test_viewers_may_omit_columns_and_come_as_dicts(db: Session) -> None:
    live = make_session(db)
    rows = [{"user_id": "a", "watch_time_s": 10.0}, {"user_id": "b", "spend": 5.5}]
    assert repo.bulk_insert_viewers(db, session_id=live.id, rows=rows) == 2
    back = repo.viewers_frame(db, session_id=live.id)
    assert back["user_id"].tolist() == ["a", "b"]
    assert back.loc[0, "watch_time_s"] == 10.0 and math.isnan(back.loc[1, "watch_time_s"])
    assert math.isnan(back.loc[0, "spend"]) and back.loc[1, "spend"] == 5.5
    assert back["likes"].isna().all() and back["censored"].isna().all()


def test_numeric_user_ids_are_stored_as_text(db: Session) -> None:
    live = make_session(db)
    frame = pd.DataFrame({"user_id": [12345.0, np.nan, 7.0], "watch_time_s": [1.0, 2.0, 3.0]})
    repo.bulk_insert_viewers(db, session_id=live.id, rows=frame)
    back = repo.viewers_frame(db, session_id=live.id)
    assert back.loc[0, "user_id"] == "12345" and back.loc[2, "user_id"] == "7"
    assert pd.isna(back.loc[1, "user_id"])


def test_bulk_insert_refuses_unknown_columns_and_bad_values(db: Session) -> None:
    live = make_session(db)
    with pytest.raises(UnknownColumns) as caught:
        repo.bulk_insert_viewers(
            db, session_id=live.id, rows=pd.DataFrame({"user_id": ["a"], "buy_power": [1.0]})
        )
    assert caught.value.columns == ["buy_power"]
    with pytest.raises(InvalidValue):
        repo.bulk_insert_viewers(
            db, session_id=live.id, rows=pd.DataFrame({"watch_time_s": ["ten"]})
        )
    with pytest.raises(InvalidValue):  # minutes need a time on every row
        repo.bulk_insert_minutes(
            db, session_id=live.id, rows=pd.DataFrame({"ts": [T0, None], "online": [1.0, 2.0]})
        )
    with pytest.raises(SessionNotFound):
        repo.bulk_insert_viewers(db, session_id=10**9, rows=[{"user_id": "a"}])
    with pytest.raises(WorkspaceNotFound):
        repo.bulk_insert_past_sessions(db, workspace_id=10**9, rows=[{"gmv": 1.0}])
    assert repo.bulk_insert_viewers(db, session_id=live.id, rows=[]) == 0
    assert repo.viewers_frame(db, session_id=live.id).empty


def test_minutes_round_trip_in_time_order_with_nan(db: Session) -> None:
    live = make_session(db)
    frame = make_minutes_frame(120, seed=5, missing=0.25)
    shuffled = frame.sample(frac=1.0, random_state=1)
    # naive times are UTC; aware ones are converted to UTC
    shuffled["ts"] = shuffled["ts"].dt.tz_convert("Asia/Shanghai")
    assert repo.bulk_insert_minutes(db, session_id=live.id, rows=shuffled) == 120
    back = repo.minutes_frame(db, session_id=live.id)
    assert list(back.columns) == ["ts", *MINUTE_COLUMNS]
    assert (back["ts"] == frame["ts"]).all()
    _assert_float_columns_equal(back, frame, MINUTE_COLUMNS)
    assert back[list(MINUTE_COLUMNS)].isna().to_numpy().sum() > 0


def test_past_sessions_round_trip_and_since(db: Session) -> None:
    ws = make_workspace(db)
    frame = make_past_sessions_frame(14, seed=2, missing=0.3)
    frame.loc[3, "title"] = None
    record = make_import(db, workspace=ws, kind="sessions")
    repo.bulk_insert_past_sessions(db, workspace_id=ws.id, import_id=record.id, rows=frame)
    back = repo.past_sessions_frame(db, workspace_id=ws.id)
    assert list(back.columns) == list(PAST_SESSION_COLUMNS)
    assert (back["started_at"] == frame["started_at"]).all()
    numeric = [c for c in PAST_SESSION_COLUMNS if c not in ("started_at", "title", "room_id")]
    _assert_float_columns_equal(back, frame, numeric)
    assert back["room_id"].tolist() == frame["room_id"].tolist()
    assert pd.isna(back.loc[3, "title"]) and back.loc[4, "title"] == "Stream 4"
    since = T0 - timedelta(days=3)
    recent = repo.past_sessions_frame(db, workspace_id=ws.id, since=since)
    assert len(recent) == 4 and (recent["started_at"] >= since).all()
    assert repo.past_sessions_frame(db, workspace_id=make_workspace(db).id).empty


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
cell = st.one_of(st.none(), finite)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=12)),
            cell,
            cell,
            st.sampled_from([True, False, None]),
        ),
        max_size=30,
    )
)
def test_viewer_values_round_trip_exactly(db: Session, rows) -> None:
    """Any finite float, any missing cell, any text: what goes in comes out."""
    rows = [(u.replace("\x00", "") if u is not None else None, w, s, c) for u, w, s, c in rows]
    seen: set[str] = set()  # one row per viewer id and session (a unique index)
    rows = [r for r in rows if r[0] is None or not (r[0] in seen or seen.add(r[0]))]
    live = make_session(db)
    frame = pd.DataFrame(
        {
            "user_id": pd.Series([r[0] for r in rows], dtype=object),
            "watch_time_s": pd.Series([r[1] for r in rows], dtype="float64"),
            "spend": pd.Series([r[2] for r in rows], dtype="float64"),
            "censored": pd.Series([r[3] for r in rows], dtype=object),
        }
    )
    repo.bulk_insert_viewers(db, session_id=live.id, rows=frame)
    back = repo.viewers_frame(db, session_id=live.id)
    assert [None if pd.isna(v) else v for v in back["user_id"]] == [r[0] for r in rows]
    for name, index in (("watch_time_s", 1), ("spend", 2)):
        got = back[name].tolist()
        assert [None if math.isnan(v) else v for v in got] == [r[index] for r in rows]
    assert [None if pd.isna(v) else v for v in back["censored"]] == [r[3] for r in rows]
    db.rollback()


def test_frames_only_read_their_own_session(db: Session) -> None:
    a, b = make_session(db), make_session(db)
    repo.bulk_insert_viewers(db, session_id=a.id, rows=make_viewers_frame(10))
    repo.bulk_insert_minutes(db, session_id=b.id, rows=make_minutes_frame(5))
    assert len(repo.viewers_frame(db, session_id=a.id)) == 10
    assert repo.viewers_frame(db, session_id=b.id).empty
    assert repo.minutes_frame(db, session_id=a.id).empty
    assert len(repo.minutes_frame(db, session_id=b.id)) == 5


def test_times_before_and_after_dst_and_microseconds(db: Session) -> None:
    live = make_session(db)
    stamps = [
        datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, 0, 1, tzinfo=UTC),
    ]
    repo.bulk_insert_minutes(
        db, session_id=live.id, rows=pd.DataFrame({"ts": stamps, "online": [1.0, 2.0]})
    )
    back = repo.minutes_frame(db, session_id=live.id)
    assert [t.to_pydatetime() for t in back["ts"]] == stamps
