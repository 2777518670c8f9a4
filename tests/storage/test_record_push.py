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


def test_remove_push_takes_back_the_latest_or_the_one_named_and_moves_last_push(
    db: Session,
) -> None:
    ws = make_workspace(db)
    wid = row_id(ws)
    assert repo.remove_push(db, workspace_id=wid).status == "no_session"
    live = make_session(db, workspace=ws)
    assert repo.remove_push(db, workspace_id=wid).status == "nothing"
    times = [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    for i, (ts, gmv) in enumerate(zip(times, (26000.0, 1e8, 27000.0), strict=True)):
        repo.record_push(
            db, workspace_id=wid, ts=ts, values={"gmv": gmv, "online": 1200}, dedupe_key=f"c:{i}"
        )
    # another workspace's push is never touched
    other = make_workspace(db, chat_id=-77)
    other_live = make_session(db, workspace=other)
    repo.record_push(db, workspace_id=row_id(other), ts=T0, values={"gmv": 5}, dedupe_key="o:1")
    assert repo.remove_push(db, workspace_id=wid, dedupe_key="o:1").status == "not_found"

    named = repo.remove_push(db, workspace_id=wid, dedupe_key="c:1")
    assert named.status == "removed" and named.session_id == row_id(live)
    assert named.values == {"gmv": 1e8, "online": 1200.0} and named.ts == times[1]
    assert repo.remove_push(db, workspace_id=wid, dedupe_key="c:1").status == "not_found"
    assert [r["gmv"] for r in repo.snapshot_rows(db, session_id=row_id(live))] == [26000, 27000]

    latest = repo.remove_push(db, workspace_id=wid)
    assert latest.values["gmv"] == 27000 and latest.ts == times[2]
    db.expire_all()
    stored = db.get(LiveSession, row_id(live))
    assert stored is not None and stored.last_push_at == times[0]
    assert repo.remove_push(db, workspace_id=wid).status == "removed"
    db.expire_all()
    stored = db.get(LiveSession, row_id(live))
    assert stored is not None and stored.last_push_at is None
    assert repo.remove_push(db, workspace_id=wid).status == "nothing"
    assert len(repo.snapshot_rows(db, session_id=row_id(live))) == 0
    others = repo.snapshot_rows(db, session_id=row_id(other_live))
    assert [r["gmv"] for r in others] == [5]


def test_the_answer_to_a_push_finds_the_push_and_its_sender(db: Session) -> None:
    ws = make_workspace(db)
    live = make_session(db, workspace=ws)
    for i, author in enumerate((778, 779, 778, None)):
        repo.record_push(
            db, workspace_id=row_id(ws), ts=T0 + timedelta(minutes=i), values={"online": i},
            dedupe_key=f"-100:{i}", author_id=author,
        )  # fmt: skip
    assert repo.note_push_answer(db, dedupe_keys=["-100:0"], answer_id=50) == 1
    # one answer merged from two pushes; an answer to a push never stored notes nothing
    assert repo.note_push_answer(db, dedupe_keys=["-100:1", "-100:2"], answer_id=51) == 2
    assert repo.note_push_answer(db, dedupe_keys=["-100:99"], answer_id=52) == 0
    assert repo.note_push_answer(db, dedupe_keys=[], answer_id=53) == 0

    def answered(answer_id: int) -> list[tuple[str, int | None]]:
        found = repo.pushes_answered(db, workspace_id=row_id(ws), answer_id=answer_id)
        return [(p.dedupe_key, p.author_id) for p in found]

    assert answered(50) == [("-100:0", 778)]
    assert answered(51) == [("-100:1", 779), ("-100:2", 778)]
    assert answered(52) == [] and answered(7) == []
    # another workspace's answer with the same id is not this one's
    other = make_workspace(db, chat_id=-200)
    make_session(db, workspace=other)
    assert repo.pushes_answered(db, workspace_id=row_id(other), answer_id=50) == []
    # once the stream is closed there is nothing to take back
    live.status = "closed"
    db.add(live)
    db.flush()
    assert answered(50) == []
