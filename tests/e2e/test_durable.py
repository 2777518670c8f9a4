"""Durable updates end to end, polling the fake Bot API: Telegram is told an update arrived
only once it is stored; stored updates left unprocessed by a stop are processed at the next
start; replies too long for Telegram are shortened rather than lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.updates import InboxApplication, chat_of
from fakebot import FakeBotApi
from storage import repositories as repo
from storage.engine import session_scope, upgrade
from storage.models import ImportRecord, InboxUpdate, LiveSession, Snapshot, ViewerRow, Workspace
from tests.e2e.conftest import RunningBot, make_settings, start_bot, stop_bot

HOST = 1001


def count(engine: Engine, model: type, **where: object) -> int:
    with session_scope(engine) as session:
        stmt = sa.select(sa.func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(session.execute(stmt).scalar_one())


async def test_the_offset_moves_past_an_update_only_once_it_is_stored(bot: RunningBot) -> None:
    api, engine = bot.api, bot.engine
    await api.wait_for_message(HOST, since=api.send_text(HOST, "/start"), timeout=10)
    with engine.begin() as connection:  # the database refuses the update
        connection.execute(sa.text("ALTER TABLE inbox_update RENAME TO inbox_away"))
    try:
        update = api.send_text(HOST, "/help")
        await api.wait_until(lambda: api.delivered(update), timeout=10)
        await api.wait_until(lambda: api.deliveries[update["update_id"]] >= 1, timeout=10)
        # fetched, not stored: Telegram still holds it, and nobody answered
        assert update["update_id"] in [u["update_id"] for u in api.pending_updates]
        after = int(update["message"]["message_id"])
        assert not [m for m in api.messages_to(HOST) if m.message_id > after]
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE inbox_away RENAME TO inbox_update"))
    await api.wait_for_message(HOST, contains="How to use me", since=update, timeout=20)
    await api.wait_until(
        lambda: update["update_id"] not in [u["update_id"] for u in api.pending_updates],
        timeout=20,
    )
    await api.wait_until(
        lambda: count(engine, InboxUpdate, update_id=update["update_id"], status="done") == 1,
        timeout=10,
    )


async def test_updates_stored_before_a_stop_are_processed_at_the_next_start(
    fake_api: FakeBotApi, tmp_path: Path, make_test_engine: Callable[[], Engine]
) -> None:
    """As after kill -9 between the store and the handlers: the updates are in the inbox,
    Telegram has forgotten them; the next start processes them in order, once."""
    engine = make_test_engine()
    upgrade(engine)
    settings = make_settings(fake_api, tmp_path)
    updates = [
        fake_api.send_text(HOST, text)
        for text in ("/start", "/golive Stored", "/stat online=10", "/stat online=20")
    ]
    fake_api._pending.clear()  # Telegram was told: it will not send them again
    with session_scope(engine) as session:
        repo.store_updates(session, updates=[(u["update_id"], chat_of(u), u) for u in updates])
        # the first was in hand when the process died (its lease has run out since)
        claimed = repo.claim_updates(session, worker_id="dead", now=datetime.now(UTC), lease_s=-1)
        assert [row.update_id for row in claimed] == [updates[0]["update_id"]]
    app = await start_bot(fake_api, settings, engine=engine)
    try:
        await fake_api.wait_for_message(HOST, contains="20 online", timeout=30)
        assert isinstance(app, InboxApplication) and app.inbox is not None
        await app.inbox.idle(timeout=30)
    finally:
        await stop_bot(app)
    assert count(engine, Workspace, chat_id=HOST) == 1
    assert count(engine, LiveSession) == 1
    assert count(engine, Snapshot) == 2
    assert count(engine, InboxUpdate, status="done") == 4
    texts = [m.text or "" for m in fake_api.messages_to(HOST)]
    assert sum("How to use me" in t for t in texts) == 1
    assert sum("is open" in t for t in texts) == 1
    assert sum("Got it" in t for t in texts) == 2


async def test_an_import_cut_off_starts_again_from_the_file_and_says_so(
    fake_api: FakeBotApi, tmp_path: Path, make_test_engine: Callable[[], Engine]
) -> None:
    engine = make_test_engine()
    upgrade(engine)
    settings = make_settings(fake_api, tmp_path)
    rows = "\n".join(f"u{i},{i % 600 + 5},{i % 3}" for i in range(2000))
    data = f"user_id,watch_time,likes\n{rows}\n".encode()
    app = await start_bot(fake_api, settings, engine=engine)
    try:
        await fake_api.wait_for_message(HOST, since=fake_api.send_text(HOST, "/start"), timeout=30)
        golive = fake_api.send_text(HOST, "/golive Cut")
        await fake_api.wait_for_message(HOST, contains="is open", since=golive, timeout=30)
    finally:
        await stop_bot(app)
    # the upload was stored and being read when the process died
    upload = fake_api.send_document(HOST, data, "viewers.csv")
    fake_api._pending.clear()  # stored: Telegram was told
    with session_scope(engine) as session:
        repo.store_updates(session, updates=[(upload["update_id"], HOST, upload)])
        session.execute(
            sa.update(InboxUpdate)
            .where(InboxUpdate.update_id == upload["update_id"])  # type: ignore[arg-type]
            .values(
                status="running",
                claimed_by="dead",
                attempts=1,
                lease_until=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    assert count(engine, ImportRecord) == 0
    marks = len(fake_api.sent)
    app = await start_bot(fake_api, settings, engine=engine)
    try:
        told = await fake_api.wait_for_message(HOST, contains="cut off", since=marks, timeout=30)
        done = await fake_api.wait_for_message(HOST, contains="Imported", since=marks, timeout=60)
        assert told.index < done.index
        assert "viewers.csv" in (told.text or "")
        assert isinstance(app, InboxApplication) and app.inbox is not None
        await app.inbox.idle(timeout=30)
    finally:
        await stop_bot(app)
    assert count(engine, ImportRecord) == 1
    assert count(engine, ViewerRow) == 2000


async def test_a_huge_title_and_a_huge_answer_are_answered(bot: RunningBot) -> None:
    api, engine = bot.api, bot.engine
    await api.wait_for_message(HOST, since=api.send_text(HOST, "/start"), timeout=10)
    title = "Big sale " + "x" * 4079
    assert len(f"/golive {title}") == 4096
    golive = api.send_text(HOST, f"/golive {title}")
    answer = await api.wait_for_message(HOST, since=golive, timeout=10)
    assert "is open" in (answer.text or "")
    with session_scope(engine) as session:
        (stored,) = session.execute(sa.select(LiveSession.title)).scalars()
    assert stored is not None and len(stored) <= 100 and stored.startswith("Big sale x")
    # a later /golive names it again without failing
    again = api.send_text(HOST, "/golive")
    assert "still open" in ((await api.wait_for_message(HOST, since=again, timeout=10)).text or "")

    bad = " ".join(f"key{i}=bad{i}" for i in range(440))
    stat = api.send_text(HOST, f"/stat {bad}")
    reply = await api.wait_for_message(HOST, since=stat, timeout=10)
    assert "Sorry" not in (reply.text or "")
    assert len(reply.text or "") <= 4096
    assert all(r.status == 200 for r in api.requests if r.method.startswith("send"))
