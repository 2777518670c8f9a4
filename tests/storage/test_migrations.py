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
from tests.utils.factories import T0

PREVIOUS_RELEASE = "0001"
RELEASED = {
    "0001_initial.py": "6b8cded773aea5f2a4d37c712b173dbcb74c9f661e497cbc9e8a54c7c47e9533",
    "0002_send_pace.py": "2277106298b90837a6c292182881f8d13e7020defd1cfefca2246a5f6cca7854",
    "0003_workspace_roles.py": "d593a10ccd6fa1ec4786f7fd3822d96e9dd9ec1dc52b8dfb46d557fc65892a0b",
    "0004_snapshot_keys.py": "2954b40c949d3debd7dbd87cebe9f5637c5722edb01dad6b3035f5bef9b3a7e6",
    "0005_filing.py": "a4f7d48593961f2b8b7c425afe9a1dd69108bfbddef18ffbcd64180fb3f3aa65",
    "0006_session_figures.py": "f9228272317095a2fdca278c3a4cbaa6c8b74962c07ae42f18f25bf9ebc10803",
    "0007_update_inbox.py": "9168838ee9b78fb50c3da246a61e66a845514e2adf5a9780c6227168610a7761",
    "0008_products_timeline.py": "a102b1e829fd17f5f311b3d62d1d8372d6e9b0c72ff6af229df0ab5b27047f0e",
}


def test_released_migrations_are_unchanged() -> None:
    for name, digest in RELEASED.items():
        data = (MIGRATIONS_DIR / "versions" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{name} was released; add a new one"


def fill_release_database(engine: Engine) -> dict[str, int]:
    """Rows of every kind the previous release wrote, as it wrote them (only the columns
    of the schema the database has: newer columns are the migrations' business); their
    counts."""
    meta = sa.MetaData()

    def insert(connection: sa.Connection, name: str, **row: object) -> int:
        table = sa.Table(name, meta, autoload_with=connection)
        values = {k: v for k, v in row.items() if k in table.c}
        return int(connection.execute(sa.insert(table).values(**values)).inserted_primary_key[0])

    with engine.begin() as connection:
        workspace_id = insert(
            connection,
            "workspace",
            chat_id=5151,
            chat_type="private",
            title="Host",
            language="zh",
            timezone="Asia/Shanghai",
            digest_time="09:00",
            digest_enabled=True,
            nudges_enabled=True,
            active=True,
            created_at=T0,
            updated_at=T0,
        )
        session_id = insert(
            connection,
            "live_session",
            workspace_id=workspace_id,
            title="Evening stream",
            status="open",
            source="live",
            started_at=T0,
            created_at=T0,
        )
        for minute in range(3):
            insert(
                connection,
                "snapshot",
                session_id=session_id,
                ts=T0.replace(minute=minute),
                online=100.0 + minute,
                dedupe_key=f"release:{minute}",
                created_at=T0,
            )
        insert(
            connection,
            "scheduled_send",
            kind="digest",
            workspace_id=workspace_id,
            key="digest:5151:2026-11-27",
            due_at=T0,
            status="pending",
            attempts=0,
            created_at=T0,
        )
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
        # a private chat's owner is its user; a workspace in use has chosen its time zone
        assert workspace.owner_user_id == 5151 and workspace.tz_confirmed
        assert workspace.currency is None
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


def _entry_name(entry: tuple) -> tuple[str, str]:  # type: ignore[type-arg]
    """An autogenerate difference as (kind, name): tables and indexes by name, columns as
    table.column."""
    kind = entry[0]
    if kind in ("add_column", "remove_column"):
        return kind, f"{entry[2]}.{entry[3].name}"
    return kind, entry[1].name


def test_the_previous_release_schema_differs_from_the_models(empty_engine: Engine) -> None:
    """The comparison above can fail: the previous release lacks the newer tables."""
    upgrade(empty_engine, PREVIOUS_RELEASE)
    diff = schema_diff(empty_engine)
    found = {_entry_name(entry) for entry in diff}
    assert found == {
        ("add_table", "send_pace"),
        ("add_table", "product_row"),
        ("add_table", "timeline_mark"),
        ("add_index", "ix_timeline_mark_session_id_ts"),
        ("add_index", "ix_product_row_import_id"),
        ("add_index", "ix_product_row_session_id"),
        ("add_table", "inbox_update"),
        ("add_index", "ix_inbox_update_status_chat_id"),
        ("add_table", "session_figures"),
        ("add_column", "workspace.owner_user_id"),
        ("add_column", "workspace.currency"),
        ("add_column", "workspace.tz_confirmed"),
        ("add_column", "snapshot.items"),
        ("add_column", "snapshot.avg_stay_s"),
        ("add_column", "snapshot.conversion"),
        ("add_column", "snapshot.ctr"),
        ("add_column", "snapshot.gpm"),
        ("add_column", "snapshot.impressions"),
        ("add_column", "snapshot.product_impressions"),
        # 0005: filing
        ("add_table", "column_mapping"),
        ("add_table", "pending_upload"),
        ("add_index", "ix_pending_upload_workspace_id"),
        ("add_index", "uq_minute_row_session_id_ts"),
        ("remove_index", "ix_minute_row_session_id_ts"),
        ("add_index", "uq_viewer_row_session_id_user_id"),
        ("remove_index", "ix_viewer_row_session_id"),
        ("add_index", "uq_past_session_workspace_id_room_id"),
        ("add_index", "uq_past_session_workspace_id_started_at"),
        # 0009: the platform's own figures of a past session
        ("add_column", "past_session.items"),
        ("add_column", "past_session.ctr"),
        ("add_column", "past_session.ctor"),
        ("add_column", "past_session.gpm"),
        # 0010: the live session a send is about
        ("add_column", "scheduled_send.session_id"),
        ("add_index", "ix_scheduled_send_kind_session_id"),
        # 0011: who sent a push and which answer of the bot's answered it
        ("add_column", "snapshot.author_id"),
        ("add_column", "snapshot.answer_id"),
        ("add_index", "ix_snapshot_session_id_answer_id"),
    }


def test_0010_files_every_summary_and_nudge_under_its_session(empty_engine: Engine) -> None:
    """Sends made before 0010 named their session in the payload alone; after it the
    column holds it, and a session's nudges are found by it."""
    upgrade(empty_engine, "0009_session_export_figures")
    with empty_engine.begin() as connection:
        meta = sa.MetaData()
        meta.reflect(connection, only=["workspace", "live_session", "scheduled_send"])
        ws = meta.tables["workspace"]
        workspace_id = connection.execute(
            sa.insert(ws).values(
                chat_id=77,
                chat_type="private",
                language="en",
                timezone="UTC",
                digest_time="09:00",
                digest_enabled=True,
                nudges_enabled=True,
                active=True,
                created_at=T0,
                updated_at=T0,
                tz_confirmed=True,
            )
        ).inserted_primary_key[0]
        live = meta.tables["live_session"]
        session_id = connection.execute(
            sa.insert(live).values(
                workspace_id=workspace_id,
                status="open",
                source="live",
                started_at=T0,
                created_at=T0,
            )
        ).inserted_primary_key[0]
        sends = meta.tables["scheduled_send"]
        for kind, key, payload in (
            ("nudge", f"nudge:{session_id}:1", {"session_id": session_id, "code": "x"}),
            ("summary", f"summary:{session_id}", {"session_id": session_id}),
            ("digest", "digest:77:2026-11-27", None),
        ):
            connection.execute(
                sa.insert(sends).values(
                    kind=kind,
                    key=key,
                    workspace_id=workspace_id,
                    due_at=T0,
                    status="sent",
                    attempts=0,
                    created_at=T0,
                    payload=payload,
                )
            )
    upgrade(empty_engine)
    with session_scope(empty_engine) as session:
        by_key = {
            row.key: row.session_id for row in session.execute(sa.select(ScheduledSend)).scalars()
        }
        assert by_key == {
            f"nudge:{session_id}:1": session_id,
            f"summary:{session_id}": session_id,
            "digest:77:2026-11-27": None,
        }
        nudges = repo.session_nudges(session, session_id=session_id, statuses=("sent",))
        assert [n.key for n in nudges] == [f"nudge:{session_id}:1"]
