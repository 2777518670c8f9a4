"""The workspace services on both databases: the owner, who may change settings, time
zones with the digest re-planned on them, currency, languages, and /forget's counts."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.services.data import forget_workspace
from bot.services.digests import configure_digest, digest_due_at
from bot.services.live import end_live, go_live
from bot.services.summaries import summary_key
from bot.services.workspaces import (
    ChatRef,
    UnknownCurrency,
    UnknownLanguage,
    UnknownTimezone,
    chat_language,
    ensure_workspace,
    may_change_settings,
    note_currency_symbol,
    register_start,
    set_currency,
    set_language,
    set_timezone,
    workspace_info,
)
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend, Snapshot
from tests.utils.factories import make_session, make_snapshot, make_workspace, next_id

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, 10:00 in Jakarta


def _group(engine: Engine) -> int:
    return ensure_workspace(
        engine, chat=ChatRef(chat_id=-next_id(), chat_type="supergroup"), default_timezone="UTC"
    ).id


def test_the_first_member_to_run_start_owns_the_group_workspace(engine: Engine) -> None:
    wid = _group(engine)
    info = workspace_info(engine, workspace_id=wid)
    assert info is not None and not info.started and info.owner_user_id is None
    assert register_start(engine, workspace_id=wid, user_id=501).owner_user_id == 501
    # a later /start by someone else takes nothing over
    owned = register_start(engine, workspace_id=wid, user_id=502)
    assert owned.owner_user_id == 501 and owned.started


def test_who_may_change_settings(engine: Engine) -> None:
    wid = _group(engine)
    ws = register_start(engine, workspace_id=wid, user_id=501)
    assert may_change_settings(ws, 501, set())  # the owner
    assert may_change_settings(ws, 777, {777, 1})  # a chat administrator
    assert not may_change_settings(ws, 778, {777})  # a member
    assert not may_change_settings(ws, 778, None)
    assert not may_change_settings(ws, None, {777})
    private = ensure_workspace(
        engine, chat=ChatRef(chat_id=next_id(), chat_type="private"), default_timezone="UTC"
    )
    assert may_change_settings(private, 12345, None)  # a private chat is its user's


def test_set_timezone_replans_the_pending_digest(engine: Engine) -> None:
    wid = _group(engine)
    before = configure_digest(engine, workspace_id=wid, now=NOW, time="09:00", enabled=True)
    # 03:00 UTC: today's 09:00 UTC is still ahead
    assert before.next_due == digest_due_at(datetime(2026, 11, 27).date(), "UTC", "09:00")

    result = set_timezone(engine, workspace_id=wid, timezone="北京", now=NOW)

    assert result.zone == "Asia/Shanghai" and result.digest_time == "09:00"
    # 11:00 in Shanghai: the next 09:00 there is tomorrow's (01:00 UTC), not 09:00 UTC
    due = digest_due_at(datetime(2026, 11, 28).date(), "Asia/Shanghai", "09:00")
    assert due == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert result.next_digest is not None and result.next_digest[1] == due
    with session_scope(engine) as session:
        pending = repo.pending_sends(session, kind="digest", workspace_id=wid)
        assert [(row.key, row.due_at) for row in pending] == [result.next_digest]
        ws = repo.get_workspace(session, workspace_id=wid)
        assert ws is not None and ws.timezone == "Asia/Shanghai" and ws.tz_confirmed


def test_set_timezone_with_digests_off_plans_nothing(engine: Engine) -> None:
    wid = _group(engine)
    configure_digest(engine, workspace_id=wid, now=NOW, enabled=False)
    result = set_timezone(engine, workspace_id=wid, timezone="UTC+7", now=NOW)
    assert result.zone == "Asia/Bangkok" and result.next_digest is None
    with session_scope(engine) as session:
        assert repo.pending_sends(session, kind="digest", workspace_id=wid) == []


@pytest.mark.parametrize(
    ("typed", "problem"), [("Asia", "region"), ("right/UTC", "not_canonical"), ("Mars", "unknown")]
)
def test_set_timezone_refuses_with_a_reason_and_changes_nothing(
    engine: Engine, typed: str, problem: str
) -> None:
    wid = _group(engine)
    with pytest.raises(UnknownTimezone) as caught:
        set_timezone(engine, workspace_id=wid, timezone=typed, now=NOW)
    assert caught.value.answer.problem == problem
    info = workspace_info(engine, workspace_id=wid)
    assert info is not None and info.timezone == "UTC" and not info.tz_confirmed


def test_languages_from_words_and_read_back_from_the_database(engine: Engine) -> None:
    chat_id = -next_id()
    wid = ensure_workspace(
        engine, chat=ChatRef(chat_id=chat_id, chat_type="group"), default_timezone="UTC"
    ).id
    assert chat_language(engine, chat_id=chat_id) == "en"
    assert set_language(engine, workspace_id=wid, language="中文") == "zh"
    assert chat_language(engine, chat_id=chat_id) == "zh"
    assert set_language(engine, workspace_id=wid, language="English") == "en"
    with pytest.raises(UnknownLanguage):
        set_language(engine, workspace_id=wid, language="klingon")
    assert chat_language(engine, chat_id=-next_id()) is None


def test_currency_set_by_command_or_by_the_first_symbol_seen(engine: Engine) -> None:
    wid = _group(engine)
    with Session(engine) as session:
        assert note_currency_symbol(session, wid, "?") is None
        assert note_currency_symbol(session, wid, "Rp") == "IDR"
        assert note_currency_symbol(session, wid, "$") == "IDR"  # the first one stays
        session.commit()
    info = workspace_info(engine, workspace_id=wid)
    assert info is not None and info.currency == "IDR"
    assert set_currency(engine, workspace_id=wid, currency="泰铢") == "THB"
    with pytest.raises(UnknownCurrency):
        set_currency(engine, workspace_id=wid, currency="bitcoin")
    info = workspace_info(engine, workspace_id=wid)
    assert info is not None and info.currency == "THB"


def test_end_live_schedules_the_summary_once_and_says_when(engine: Engine) -> None:
    wid = _group(engine)
    go_live(engine, workspace_id=wid, title="t", now=NOW, chat_id=-1, message_id=1)
    closed = end_live(engine, workspace_id=wid, now=NOW + timedelta(hours=1), summary_delay_s=600.0)
    assert closed is not None and closed.summary_due == NOW + timedelta(hours=1, minutes=10)
    with session_scope(engine) as session:
        row = repo.get_send(session, key=summary_key(closed.session_id))
        assert row is not None and row.due_at == closed.summary_due


def test_forget_counts_rows_added_by_a_transaction_in_flight(engine: Engine) -> None:
    """An import still writing when /forget runs: the rows it commits are deleted and
    counted (before, the count was taken first and said 0 while they went by cascade)."""
    chat_id = next_id()
    with session_scope(engine) as session:
        ws = make_workspace(session, chat_id=chat_id)
        live = make_session(session, workspace=ws)
        for minute in range(5):
            make_snapshot(session, live=live, ts=live.started_at + timedelta(minutes=minute))
        wid, sid = ws.id, live.id
    assert wid is not None and sid is not None

    writing, release = threading.Event(), threading.Event()

    def importer() -> None:
        with Session(engine) as session:
            rows = [
                {"session_id": sid, "ts": NOW + timedelta(seconds=i), "online": 1.0,
                 "dedupe_key": f"import:{chat_id}:{i}", "created_at": NOW}
                for i in range(300)
            ]  # fmt: skip
            session.execute(sa.insert(Snapshot), rows)
            writing.set()
            release.wait(10)
            session.commit()

    counts: dict[str, int] = {}

    def forget() -> None:
        result = forget_workspace(engine, workspace_id=wid, chat_id=chat_id)
        assert result is not None
        counts.update(result)

    writer = threading.Thread(target=importer)
    writer.start()
    assert writing.wait(10)
    deleter = threading.Thread(target=forget)
    deleter.start()
    time.sleep(0.5)  # /forget is now waiting for the import
    assert deleter.is_alive()
    release.set()
    writer.join(10)
    deleter.join(30)
    assert counts["snapshots"] == 305 and counts["sessions"] == 1 and counts["workspaces"] == 1
    with session_scope(engine) as session:
        left = session.exec(select(Snapshot).where(col(Snapshot.session_id) == sid)).all()
        assert left == []
        assert (
            session.exec(select(ScheduledSend).where(col(ScheduledSend.workspace_id) == wid)).all()
            == []
        )


def test_forget_of_another_chat_or_twice_deletes_nothing(engine: Engine) -> None:
    chat_id = next_id()
    with session_scope(engine) as session:
        ws = make_workspace(session, chat_id=chat_id)
        make_session(session, workspace=ws)
        wid = ws.id
    assert wid is not None
    assert forget_workspace(engine, workspace_id=wid, chat_id=chat_id + 1) is None
    assert workspace_info(engine, workspace_id=wid) is not None
    first = forget_workspace(engine, workspace_id=wid, chat_id=chat_id)
    assert first is not None and first["sessions"] == 1
    assert forget_workspace(engine, workspace_id=wid, chat_id=chat_id) is None
