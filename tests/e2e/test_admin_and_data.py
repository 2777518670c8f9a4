"""Admins and the hosts' data, end to end: the real bot over HTTP against the fake Bot API.

Refusals (also of a user whose username is an admin's id), retrain with progress, promote /
no-promote / force / rollback, /models, /adminstats, a stat push answered while a retrain
runs in its process, the weekly retrain reported to admins, /export as a zip sent with
sendDocument, /forget behind a confirm button (cancel, confirm, twice).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from bot.sends.retrain import next_weekly_retrain, weekly_key
from core.simulate import simulate_viewers
from fakebot import FakeBotApi
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ModelVersion, row_id
from tests.e2e.conftest import RunningBot, make_settings, start_bot, stop_bot
from tests.utils.factories import T0, make_session, make_workspace

DATA = Path(__file__).resolve().parents[1] / "data"
ADMIN = 9001
HOST = 3003
OTHER = 3004
ZH_USER = 3005
RETRAIN_TIMEOUT = 180


@pytest.fixture
async def admin_bot(
    fake_api: FakeBotApi, tmp_path: Path, make_test_engine: Callable[[], Engine]
) -> AsyncIterator[RunningBot]:
    settings = make_settings(fake_api, tmp_path, admin_ids=[ADMIN])
    app = await start_bot(fake_api, settings, engine=make_test_engine())
    try:
        yield RunningBot(fake_api, app, app.bot_data.engine, settings)
    finally:
        await stop_bot(app)


async def say(
    bot: RunningBot,
    chat_id: int,
    text: str,
    *,
    contains: str | None = None,
    timeout: float = 10,
    **kw: object,
) -> str:
    update = bot.api.send_text(chat_id, text, **kw)  # type: ignore[arg-type]
    call = await bot.api.wait_for_message(chat_id, contains=contains, since=update, timeout=timeout)
    return call.text or ""


def seed_viewers(engine: Engine, *, rows: int = 600, sessions: int = 2, seed: int = 1) -> None:
    """Closed sessions with viewer rows in a workspace of their own (training data)."""
    with session_scope(engine) as s:
        ws = make_workspace(s)
        for k in range(sessions):
            live = make_session(
                s,
                workspace=ws,
                closed=True,
                started_at=T0 + timedelta(days=k),
                ended_at=T0 + timedelta(days=k, hours=2),
            )
            repo.bulk_insert_viewers(
                s, session_id=row_id(live), rows=simulate_viewers(rows, seed=seed + k)
            )


def versions(bot: RunningBot) -> list[tuple[int, bool]]:
    with session_scope(bot.engine) as s:
        rows = repo.list_model_versions(s, kind="buying_power")
        return sorted((r.version, r.active) for r in rows)


def rows_of_every_table(engine: Engine) -> dict[str, int]:
    """Rows per table; not the inbox, to which every message adds itself."""
    with engine.connect() as connection:
        return {
            t.name: int(connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables
            if t.name != "inbox_update"
        }


async def retrain(bot: RunningBot, args: str = "buying_power") -> str:
    """/retrain from the admin; the report that follows."""
    return await say(
        bot, ADMIN, f"/retrain {args}".strip(), contains="Retrain results", timeout=RETRAIN_TIMEOUT
    )


# ---------------------------------------------------------------------------- refusals


async def test_anyone_but_an_admin_id_is_refused_and_nothing_runs(admin_bot: RunningBot) -> None:
    bot = admin_bot
    seed_viewers(bot.engine)
    for command in (
        "/retrain",
        "/retrain buying_power force",
        "/models",
        "/rollback 1",
        "/adminstats",
    ):
        assert "admins only" in await say(bot, HOST, command)
        # a username equal to the admin's id (or an admin-like name) is not an admin id
        assert "admins only" in await say(bot, OTHER, command, username=str(ADMIN))
    assert "管理员" in await say(bot, ZH_USER, "/retrain", language_code="zh-hans")
    # an admin's id in a group counts; the group's members do not
    assert "admins only" in await say(bot, -100700, "/adminstats")
    assert "Workspaces" in await say(bot, -100700, "/adminstats", user_id=ADMIN)
    assert versions(bot) == []
    assert bot.app.bot_data.retrainer._executor is None  # no training process was started


# ---------------------------------------------------------------------- retrain in chat


async def test_retrain_promote_keep_force_and_rollback_through_chat(admin_bot: RunningBot) -> None:
    bot = admin_bot
    seed_viewers(bot.engine)
    bot.app.bot_data.retrainer.progress_every_s = 0.5
    start = len(bot.api.sent)
    report = await retrain(bot)
    assert "buying power v1" in report and "promoted: the first version" in report
    assert "R²" in report and "baseline" in report
    edits = [c.text or "" for c in bot.api.calls("editMessageText")[0:] if c.index >= start]
    assert any("Training buying power…" in e and e.endswith(" s") for e in edits)  # progress
    assert any("Training finished" in e for e in edits)
    assert versions(bot) == [(1, True)]

    # the active version claims a cross-validated R² no new one reaches: kept
    with session_scope(bot.engine) as s:
        row = s.exec(select(ModelVersion).where(ModelVersion.version == 1)).one()
        row.metrics = {**(row.metrics or {}), "r2": 0.999}
        s.add(row)
    report = await retrain(bot)
    assert "v2" in report and "not promoted" in report and "R² 0.999" in report
    assert versions(bot) == [(1, True), (2, False)]

    report = await retrain(bot, "buying_power force")
    assert "v3" in report and "promoted (forced)" in report
    assert versions(bot) == [(1, False), (2, False), (3, True)]

    text = await say(bot, ADMIN, "/rollback 1")
    assert "v1 is active again" in text and "v3" in text
    assert versions(bot) == [(1, True), (2, False), (3, False)]
    assert "no version 3" in await say(bot, ADMIN, "/rollback forecast 3")
    assert "Usage" in await say(bot, ADMIN, "/rollback")

    text = await say(bot, ADMIN, "/models", timeout=30)
    assert "✅ v1" in text and "▫️ v3" in text and "GMV forecast" in text
    assert "no new data since v1" in text  # drift: nothing came after it was trained
    text = await say(bot, ADMIN, "/adminstats")
    assert "1,200 viewer rows" in text and "Last retrain: buying power 20" in text


async def test_retrain_without_data_says_so(admin_bot: RunningBot) -> None:
    report = await retrain(admin_bot)
    assert "not enough data" in report
    assert versions(admin_bot) == []


async def test_a_stat_push_is_answered_while_a_retrain_runs(admin_bot: RunningBot) -> None:
    bot = admin_bot
    seed_viewers(bot.engine, rows=40_000, sessions=2)
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive")
    started = bot.api.send_text(ADMIN, "/retrain buying_power")
    await bot.api.wait_for_message(ADMIN, contains="Training", since=started, timeout=10)
    push = bot.api.send_text(HOST, "/stat online=1200 gmv=3.4k")
    answer = await bot.api.wait_for_message(HOST, contains="Got it", since=push, timeout=10)
    report = await bot.api.wait_for_message(
        ADMIN, contains="Retrain results", since=started, timeout=RETRAIN_TIMEOUT
    )
    assert answer.time < report.time  # answered while the model was training
    latency = bot.api.reply_latency(push)
    assert latency is not None and latency < 5.0
    assert versions(bot) == [(1, True)]


async def test_the_weekly_retrain_runs_on_its_schedule_and_reports_to_admins(
    admin_bot: RunningBot,
) -> None:
    bot = admin_bot
    seed_viewers(bot.engine)
    await say(bot, ADMIN, "/start")
    now = datetime.now(UTC)
    next_key = weekly_key(next_weekly_retrain(now))
    with session_scope(bot.engine) as s:  # planned at start, like every schedule
        assert repo.get_send(s, key=next_key) is not None
        repo.schedule_send(
            s, kind="retrain", key="retrain:test", due_at=now, payload={"due": now.isoformat()}
        )
    mark = len(bot.api.sent)
    bot.app.bot_data.scheduler.watch("retrain:test", now)
    report = await bot.api.wait_for_message(
        ADMIN, contains="Weekly retrain results", since=mark, timeout=RETRAIN_TIMEOUT
    )
    assert "buying power v1" in (report.text or "") and "GMV forecast v1" in (report.text or "")
    with session_scope(bot.engine) as s:
        assert repo.get_send(s, key="retrain:test").status == "sent"  # type: ignore[union-attr]
        upcoming = [r.key for r in repo.pending_sends(s, kind="retrain")]
    assert upcoming == [next_key]
    assert {k for k, _ in versions(bot)} == {1}


# ------------------------------------------------------------------------------ export


async def test_export_sends_a_zip_of_csvs_with_formulas_neutralised(admin_bot: RunningBot) -> None:
    bot = admin_bot
    assert "nothing to export" in await say(bot, HOST, "/export")
    await say(bot, HOST, "/start")
    await say(bot, HOST, "/golive Tea")
    await say(bot, HOST, "/stat online=1200 gmv=3.4k orders=35")
    update = bot.api.send_document(
        HOST, (DATA / "broken" / "formula_injection.csv").read_bytes(), "viewers.csv"
    )
    await bot.api.wait_for_message(HOST, contains="Imported", since=update, timeout=30)
    with session_scope(bot.engine) as s:  # a refund: a real negative number
        ws = repo.get_workspace(s, chat_id=HOST)
        assert ws is not None
        live = repo.get_open_session(s, workspace_id=row_id(ws))
        assert live is not None
        refund = simulate_viewers(1, seed=3)
        refund["spend"] = -3.5
        repo.bulk_insert_viewers(s, session_id=row_id(live), rows=refund)

    update = bot.api.send_text(HOST, "/export")
    call = await bot.api.wait_for(
        lambda c: c.method == "sendDocument" and c.chat_id == HOST, timeout=15, since=update
    )
    assert "1 session," in (call.text or "") and "4 viewer rows" in (call.text or "")
    (upload,) = call.files
    assert upload.filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(upload.data)) as archive:
        viewers = list(csv.DictReader(io.StringIO(archive.read("viewers.csv").decode("utf-8-sig"))))
        snapshots = list(
            csv.DictReader(io.StringIO(archive.read("snapshots.csv").decode("utf-8-sig")))
        )
    ids = [v["user_id"] for v in viewers]
    assert ids[:3] == ["'=cmd|' /C calc'!A0", "'+SUM(A1:A9)", "'@evil"]
    assert viewers[3]["spend"] == "-3.5"
    assert snapshots[0]["online"] == "1200" and snapshots[0]["gmv"] == "3400"


# ------------------------------------------------------------------------------ forget


async def _forget_prompt(bot: RunningBot, chat_id: int) -> int:
    update = bot.api.send_text(chat_id, "/forget")
    call = await bot.api.wait_for_message(chat_id, contains="cannot be undone", since=update)
    (message_id,) = call.message_ids
    return message_id


async def test_forget_after_confirm_deletes_everything_once(admin_bot: RunningBot) -> None:
    bot = admin_bot
    before = rows_of_every_table(bot.engine)
    for chat in (OTHER, HOST):  # the other host's data must stay
        await say(bot, chat, "/start")
        opened = await say(bot, chat, "/golive")
        await say(bot, chat, "/stat online=1200 gmv=3.4k")
        await say(bot, chat, "/digest 09:00")
        # another stream's viewers (they watched up to 43 minutes), named into this one
        caption = re.search(r"#\d+", opened)
        assert caption is not None, opened
        update = bot.api.send_document(
            chat, (DATA / "viewers_seed_format.csv").read_bytes(), "v.csv", caption=caption.group()
        )
        await bot.api.wait_for_message(chat, contains="Imported", since=update, timeout=30)
    with_both = rows_of_every_table(bot.engine)

    message_id = await _forget_prompt(bot, HOST)
    press = bot.api.press_button(
        HOST,
        message_id,
        next(d for d in bot.api.message(HOST, message_id).button_data if d.startswith("forget:no")),
    )
    await bot.api.wait_for_message(HOST, contains="Cancelled", since=press)
    assert rows_of_every_table(bot.engine) == with_both

    message_id = await _forget_prompt(bot, HOST)
    yes = next(
        d for d in bot.api.message(HOST, message_id).button_data if d.startswith("forget:yes")
    )
    press = bot.api.press_button(HOST, message_id, yes)
    done = await bot.api.wait_for_message(HOST, contains="Deleted", since=press)
    assert "1 session," in (done.text or "") and "1 imported file," in (done.text or "")
    after = rows_of_every_table(bot.engine)
    for table in after:  # not one row of the host is left; the other host's are
        # models are the team's; send_pace holds when a chat may next be sent to (the
        # confirmation just sent set it), dropped by itself within minutes of the last send
        if table in ("model_version", "send_pace"):
            continue
        mine = with_both[table] - before[table]
        assert after[table] - before[table] == mine // 2, table
    with session_scope(bot.engine) as s:
        assert repo.get_workspace(s, chat_id=HOST) is None
        assert repo.get_workspace(s, chat_id=OTHER) is not None

    # pressed again (a stale keyboard): nothing more happens, and it says so
    answers = len(bot.api.callback_answers)
    again = bot.api.press_button(HOST, message_id, yes, check=False)
    await bot.api.wait_until(lambda: len(bot.api.callback_answers) > answers, timeout=10)
    assert "Already deleted" in bot.api.callback_answers[-1].get("text", "")
    await bot.api.wait_for_message(HOST, contains="Already deleted", since=again)
    assert rows_of_every_table(bot.engine) == after

    # the chat starts afresh: /start works and the same file imports again
    assert "LiveHost" in await say(bot, HOST, "/start")
    opened = await say(bot, HOST, "/golive")
    caption = re.search(r"#\d+", opened)
    assert caption is not None, opened
    update = bot.api.send_document(
        HOST, (DATA / "viewers_seed_format.csv").read_bytes(), "v.csv", caption=caption.group()
    )
    text = await bot.api.wait_for_message(HOST, contains="Imported", since=update, timeout=30)
    assert "already" not in (text.text or "").lower()
