"""The parts of a scheduled send already delivered, kept in its payload across retries."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from storage import repositories as repo
from storage.models import row_id
from tests.utils.factories import T0, make_send


def test_parts_sent_survive_a_retry_and_end_with_the_send(db: Session) -> None:
    send = make_send(db, payload={"session_id": 7, "due": T0.isoformat()})
    send_id = row_id(send)
    assert len(repo.claim_due_sends(db, now=T0, worker_id="w", lease_s=60)) == 1
    assert repo.record_send_parts(db, send_id=send_id, parts=1, key="parts_sent")
    # the text failed: pending again later, the album's record kept with the rest
    assert repo.mark_failed(
        db, send_id=send_id, error="500", retry_at=T0 + timedelta(minutes=1), worker_id="w"
    )
    db.expire_all()
    row = repo.get_send(db, key=send.key)
    assert row is not None and row.payload == {
        "session_id": 7,
        "due": T0.isoformat(),
        "parts_sent": 1,
    }
    assert (
        len(repo.claim_due_sends(db, now=T0 + timedelta(minutes=2), worker_id="w", lease_s=60)) == 1
    )
    assert repo.record_send_parts(db, send_id=send_id, parts=2, key="parts_sent")
    assert repo.mark_sent(db, send_id=send_id, worker_id="w")
    assert not repo.record_send_parts(db, send_id=send_id, parts=3, key="parts_sent")
    assert not repo.record_send_parts(db, send_id=send_id + 1000, parts=1, key="parts_sent")
    db.expire_all()
    row = repo.get_send(db, key=send.key)
    assert row is not None and (row.payload or {})["parts_sent"] == 2
