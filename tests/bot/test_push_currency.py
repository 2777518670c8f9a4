"""The first money symbol a host pushes sets the workspace's currency (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.services.live import go_live, push_stat
from storage import repositories as repo
from storage.engine import session_scope
from tests.utils.factories import make_workspace

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _currency(engine: Engine, workspace_id: int) -> str | None:
    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        assert ws is not None
        return ws.currency


def test_the_first_symbol_pushed_sets_the_currency(engine: Engine) -> None:
    with session_scope(engine) as session:
        ws = make_workspace(session, chat_id=4242)
        assert ws.id is not None
        wid = ws.id
    go_live(engine, workspace_id=wid, title="t", now=T0, chat_id=4242, message_id=1)
    push_stat(engine, workspace_id=wid, text="在线1200 成交1万", now=T0, dedupe_key="a")
    assert _currency(engine, wid) is None  # no symbol yet
    later = T0 + timedelta(minutes=1)
    push_stat(engine, workspace_id=wid, text="成交额￥3.4w", now=later, dedupe_key="b")
    assert _currency(engine, wid) == "CNY"
    push_stat(engine, workspace_id=wid, text="gmv $5k", now=later, dedupe_key="c")
    assert _currency(engine, wid) == "CNY"  # set once; /currency changes it
