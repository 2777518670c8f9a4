"""Durable updates end to end, polling the fake Bot API: Telegram is told an update arrived
only once it is stored; stored updates left unprocessed by a stop are processed at the next
start; replies too long for Telegram are shortened rather than lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.updates import InboxApplication, chat_of
from fakebot import FakeBotApi
from storage import repositories as repo
from storage.engine import session_scope, upgrade
from storage.models import (
    ImportRecord,
    InboxUpdate,
    LiveSession,
    ScheduledSend,
    Snapshot,
    ViewerRow,
    Workspace,
)
from tests.e2e.conftest import RunningBot, make_settings, start_bot, stop_bot
from tests.e2e.test_data_out import (
    Clock,
    add_past_stream,
    add_workspace,
    digests_to,
    sends,
    settle,
    start,
)

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


async def test_a_button_press_processed_again_after_a_crash_still_does_its_work(
    fake_api: FakeBotApi, tmp_path: Path, make_test_engine: Callable[[], Engine]
) -> None:
    """The process died after it answered a press of "Cancel" and before it changed the
    message: Telegram refuses a second answer to that press; the message still says that
    nothing was deleted."""
    engine = make_test_engine()
    upgrade(engine)
    settings = make_settings(fake_api, tmp_path)
    app = await start_bot(fake_api, settings, engine=engine)
    try:
        await fake_api.wait_for_message(HOST, since=fake_api.send_text(HOST, "/start"), timeout=30)
        confirm = await fake_api.wait_for_message(
            HOST,
            contains="cannot be undone",
            since=fake_api.send_text(HOST, "/forget"),
            timeout=30,
        )
    finally:
        await stop_bot(app)
    data = next(d for d in confirm.button_data if d.startswith("forget:no:"))
    press = fake_api.press_button(HOST, confirm.message_id, data)
    fake_api._pending.clear()  # stored: Telegram was told
    fake_api._callback_queries[press["callback_query"]["id"]]["answered"] = True  # first run
    with session_scope(engine) as session:
        repo.store_updates(session, updates=[(press["update_id"], HOST, press)])
        claimed = repo.claim_updates(session, worker_id="dead", now=datetime.now(UTC), lease_s=-1)
        assert [row.update_id for row in claimed] == [press["update_id"]]
    marks = len(fake_api.sent)
    app = await start_bot(fake_api, settings, engine=engine)
    try:
        await fake_api.wait_until(
            lambda: "Cancelled" in (fake_api.text_of(HOST, confirm.message_id) or ""),
            timeout=30,
        )
        assert isinstance(app, InboxApplication) and app.inbox is not None
        await app.inbox.idle(timeout=30)
    finally:
        await stop_bot(app)
    assert not [m for m in fake_api.sent[marks:] if "Sorry" in (m.text or "")]
    assert count(engine, Workspace, chat_id=HOST) == 1
    assert count(engine, InboxUpdate, update_id=press["update_id"], status="done") == 1


async def test_an_endlive_processed_again_after_a_crash_says_the_stream_has_ended(
    bot: RunningBot,
) -> None:
    """The process died after /endlive closed the session and before its answer went out:
    processed again, it closes nothing more and says which stream ended and where its summary
    is, in the workspace's language."""
    api, engine = bot.api, bot.engine
    await api.wait_for_message(HOST, since=api.send_text(HOST, "/start"), timeout=10)
    await api.wait_for_message(HOST, contains="中文", since=api.send_text(HOST, "/lang zh"))
    opened = api.send_text(HOST, "/golive 晚场")
    await api.wait_for_message(HOST, contains="晚场", since=opened, timeout=10)
    end = api.send_text(HOST, "/endlive")
    first = await api.wait_for_message(HOST, contains="已结束", since=end, timeout=10)
    await api.wait_until(
        lambda: count(engine, InboxUpdate, update_id=end["update_id"], status="done") == 1,
        timeout=10,
    )
    with engine.begin() as connection:  # as if its answer had not gone out before a crash
        connection.execute(
            sa.update(InboxUpdate)
            .where(InboxUpdate.update_id == end["update_id"])  # type: ignore[arg-type]
            .values(status="pending", claimed_by=None, lease_until=None)
        )
    again = await api.wait_for_message(HOST, contains="已经结束", since=first, timeout=20)
    assert "晚场" in (again.text or "") and "/summary" in (again.text or "")
    assert "复盘约" in (again.text or "")  # the summary is still to come
    assert count(engine, LiveSession, status="closed") == 1


async def test_a_digest_delivered_before_a_crash_is_not_sent_again(
    fake_api: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    """Its photo went out and was recorded; the process died before the digest was marked
    sent. Due again, it is marked sent with nothing sent twice (a digest not recorded goes
    out, once)."""
    settings = make_settings(fake_api, tmp_path)
    recorded, fresh = HOST, HOST + 1
    due = datetime(2026, 5, 12, 9, tzinfo=UTC)
    for chat_id in (recorded, fresh):
        wid = add_workspace(engine, chat_id)
        for back in range(1, 8):
            add_past_stream(engine, wid, due - timedelta(days=back, hours=-11), 900.0 + back)
    clock = Clock(due - timedelta(hours=1))
    bot = await start(fake_api, settings, engine, clock, sweep_interval_s=3600)
    try:
        await settle(bot.scheduler)
        planned = {r.workspace_id: r for r in sends(engine, "digest")}
        assert len(planned) == 2 and all(r.status == "pending" for r in planned.values())
        first = planned[min(planned)]
        with session_scope(engine) as session:  # as recorded by the run that died
            row = session.get(ScheduledSend, first.id)
            assert row is not None
            row.payload = {**(row.payload or {}), "parts_sent": 1}
            session.add(row)
        clock.now = due
        await settle(bot.scheduler)
    finally:
        await stop_bot(bot.app)
    assert not digests_to(fake_api, recorded)
    assert len(digests_to(fake_api, fresh)) == 1
    assert {r.status for r in sends(engine, "digest") if r.due_at <= due} == {"sent"}


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
