"""The live push's hot path: plain SQL that must agree with the ORM on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from storage import repositories as repo
from storage.models import LiveSession, row_id
from tests.utils.factories import T0, make_session, make_workspace


def test_record_push_stores_once_moves_last_push_and_reads_back(db: Session) -> None:
    ws = make_workspace(db)
    assert (
        repo.record_push(
            db, workspace_id=row_id(ws), ts=T0, values={"online": 5}, dedupe_key="k0"
        ).status
        == "no_session"
    )
    live = make_session(db, workspace=ws)
    first = repo.record_push(
        db,
        workspace_id=row_id(ws),
        ts=T0 + timedelta(minutes=1),
        values={"online": 1200, "gmv": 3400.5},
        dedupe_key="k1",
    )
    later = T0 + timedelta(minutes=2, microseconds=7)
    second = repo.record_push(
        db,
        workspace_id=row_id(ws),
        ts=later,
        values={"online": 1100, "viewers": None},
        dedupe_key="k2",
    )
    assert first.status == second.status == "ok" and second.session_id == row_id(live)
    assert [r["online"] for r in second.rows] == [1200, 1100]
    assert second.rows[0]["gmv"] == 3400.5 and second.rows[1]["gmv"] is None
    assert second.rows[1]["viewers"] is None and second.rows[1]["likes"] is None
    assert second.rows[1]["ts"] == later and second.rows[1]["ts"].tzinfo == UTC
    assert second.started_at == live.started_at.replace(tzinfo=UTC)  # minutes from /golive
    assert second.started_at is not None and second.started_at.tzinfo == UTC
    new_keys = {"items": 34, "avg_stay_s": 90, "conversion": 0.032, "ctr": 0.045, "gpm": 450}
    third = repo.record_push(
        db, workspace_id=row_id(ws), ts=later, values=new_keys, dedupe_key="k2b"
    )
    assert {k: third.rows[-1][k] for k in new_keys} == new_keys  # the keys added in 0004
    again = repo.record_push(
        db, workspace_id=row_id(ws), ts=later, values={"online": 1}, dedupe_key="k2"
    )
    assert again.status == "duplicate"
    # an older push (out of order) does not move last_push_at back
    repo.record_push(db, workspace_id=row_id(ws), ts=T0, values={"online": 7}, dedupe_key="k3")
    db.expire_all()
    stored = db.get(LiveSession, row_id(live))
    assert stored is not None and stored.last_push_at == later
    frame = repo.snapshots_frame(db, session_id=row_id(live))
    # the ORM read agrees, ordered by time
    assert list(frame["online"].fillna(-1)) == [7, 1200, 1100, -1]
    assert frame["ts"].iloc[-1].to_pydatetime() == later
    assert isinstance(stored.last_push_at, datetime)
