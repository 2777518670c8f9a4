"""Migrations from the previous release's schema, on SQLite and PostgreSQL.

A database the last release wrote (revision 0001, with rows in it) upgrades to head with
every row kept, matches the models afterwards, and steps back down and up again. Released
migrations are never edited: their files are pinned by hash, so the schema a released
database has is the schema these tests start from.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (tables on the metadata)
from storage import repositories as repo
from storage.engine import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    session_scope,
    upgrade,
)
from storage.models import LiveSession, ScheduledSend, Snapshot, Workspace
from tests.utils.factories import make_send, make_session, make_workspace

PREVIOUS_RELEASE = "0001"
RELEASED = {
    "0001_initial.py": "6b8cded773aea5f2a4d37c712b173dbcb74c9f661e497cbc9e8a54c7c47e9533",
}


def test_released_migrations_are_unchanged() -> None:
    for name, digest in RELEASED.items():
        data = (MIGRATIONS_DIR / "versions" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{name} was released; add a new one"


def fill_release_database(engine: Engine) -> dict[str, int]:
    """Rows of every kind the previous release wrote; their counts."""
    with session_scope(engine) as session:
        workspace = make_workspace(session, chat_id=5151, language="zh", timezone="Asia/Shanghai")
        live = make_session(session, workspace=workspace)
        for minute in range(3):  # the previous release's columns only
            session.execute(
                sa.text(
                    "INSERT INTO snapshot (session_id, ts, online, gmv, dedupe_key, created_at) "
                    "VALUES (:sid, :ts, 1200, 3400, :key, :ts)"
                ),
                {
                    "sid": live.id,
                    "ts": live.started_at.replace(minute=minute, tzinfo=None),
                    "key": f"release:{minute}",
                },
            )
        make_send(session, kind="digest", key="digest:5151:2026-11-27", workspace=workspace)
    return {"workspace": 1, "live_session": 1, "snapshot": 3, "scheduled_send": 1}


def counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return {
            model.__tablename__: int(  # type: ignore[attr-defined]
                session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
            )
            for model in (Workspace, LiveSession, Snapshot, ScheduledSend)
        }


def schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_previous_release_schema_upgrades_to_head_keeping_every_row(
    empty_engine: Engine,
) -> None:
    upgrade(empty_engine, PREVIOUS_RELEASE)
    assert current_revision(empty_engine) == PREVIOUS_RELEASE
    assert "send_pace" not in sa.inspect(empty_engine).get_table_names()
    before = fill_release_database(empty_engine)

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision()
    assert head_revision() != PREVIOUS_RELEASE
    assert counts(empty_engine) == before
    assert schema_diff(empty_engine) == []
    with session_scope(empty_engine) as session:
        workspace = repo.get_workspace(session, chat_id=5151)
        assert workspace is not None and workspace.timezone == "Asia/Shanghai"
        assert repo.reserve_send(session, pace=repo.Pace("global", 1.0), now=1.0) == repo.Slot(
            0.0, reserved=True
        )


def test_head_steps_back_to_the_previous_release_and_up_again(engine: Engine) -> None:
    before = fill_release_database(engine)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, PREVIOUS_RELEASE)
    assert current_revision(engine) == PREVIOUS_RELEASE
    assert "send_pace" not in sa.inspect(engine).get_table_names()
    assert counts(engine) == before
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert schema_diff(engine) == []


def test_the_previous_release_schema_differs_from_the_models(empty_engine: Engine) -> None:
    """The comparison above can fail: the previous release lacks the newer tables."""
    upgrade(empty_engine, PREVIOUS_RELEASE)
    diff = schema_diff(empty_engine)
    tables = [(entry[0], entry[1].name) for entry in diff if entry[0] == "add_table"]  # type: ignore[index,attr-defined]
    assert sorted(tables) == [
        ("add_table", "product_row"),
        ("add_table", "send_pace"),
        ("add_table", "timeline_mark"),
    ]
    columns = {entry[3].name for entry in diff if entry[0] == "add_column"}  # type: ignore[index,attr-defined]
    assert columns == {
        "items",
        "avg_stay_s",
        "conversion",
        "ctr",
        "gpm",
        "impressions",
        "product_impressions",
    }
