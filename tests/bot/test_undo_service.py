"""/undo as a use case (both databases): one request takes back one push, even delivered
twice; what the session reads afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.services.live import go_live, push_stat, undo_push
from storage import repositories as repo
from storage.engine import session_scope
from tests.utils.factories import make_workspace

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_one_undo_request_takes_back_one_push_even_delivered_again(engine: Engine) -> None:
    with session_scope(engine) as session:
        ws = make_workspace(session, chat_id=4343)
        assert ws.id is not None
        wid = ws.id
    live = go_live(engine, workspace_id=wid, title="t", now=T0, chat_id=4343, message_id=1)
    for i, text in enumerate(("在线1200 成交1万", "成交2万 订单30", "成交3万")):
        when = T0 + timedelta(minutes=10 + i)
        push_stat(engine, workspace_id=wid, text=text, now=when, dedupe_key=f"4343:{i + 2}")

    first = undo_push(engine, workspace_id=wid, request_key="4343:9")
    assert first.status == "removed" and first.removed == {"gmv": 30_000.0}
    assert first.now == {"gmv": 20_000.0}
    again = undo_push(engine, workspace_id=wid, request_key="4343:9")  # a redelivery
    assert again.status == "already"
    named = undo_push(engine, workspace_id=wid, dedupe_key="4343:2", request_key="4343:10")
    assert named.removed == {"online": 1200.0, "gmv": 10_000.0}
    assert named.now == {"gmv": 20_000.0}  # online has no other reading
    with session_scope(engine) as session:
        rows = repo.snapshot_rows(session, session_id=live.session_id)
    assert [(r["gmv"], r["orders"]) for r in rows] == [(20_000.0, 30.0)]
