# mypy: disable-error-code="arg-type, union-attr"
"""Engine construction, sessions and migrations on an empty database."""

from __future__ import annotations

from datetime import UTC

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

import storage.models  # noqa: F401  (tables on the metadata)
from storage.engine import (
    current_revision,
    head_revision,
    make_engine,
    normalize_url,
    session_scope,
    upgrade,
)
from storage.models import Workspace
from tests.utils.factories import make_workspace

TABLES = {
    "workspace",
    "live_session",
    "snapshot",
    "minute_row",
    "viewer_row",
    "past_session",
    "import_record",
    "processed_update",
    "session_figures",
    "inbox_update",
    "model_version",
    "scheduled_send",
    "send_pace",
    "column_mapping",
    "pending_upload",
    "product_row",
    "timeline_mark",
}


@pytest.mark.parametrize(
    ("url", "driver", "database"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg", "d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg", "d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg", "d"),
        ("sqlite:///data/x.db", "sqlite", "data/x.db"),
    ],
)
def test_normalize_url_binds_postgres_to_psycopg(url: str, driver: str, database: str) -> None:
    parsed = normalize_url(url)
    assert parsed.drivername == driver
    assert parsed.database == database


def test_sqlite_engine_creates_folder_and_sets_pragmas(tmp_path) -> None:
    path = tmp_path / "a" / "b" / "live.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
        assert path.parent.is_dir()
        assert pragma == {
            "journal_mode": "wal",
            "busy_timeout": 30000,
            "foreign_keys": 1,
            "synchronous": 1,  # NORMAL
        }
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_shared_across_threads() -> None:
    engine = make_engine("sqlite://")
    upgrade(engine)
    with session_scope(engine) as session:
        make_workspace(session, chat_id=5)
    import threading

    seen: list[int] = []

    def read() -> None:
        with session_scope(engine) as session:
            seen.extend(w.chat_id for w in session.exec(select(Workspace)).all())

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == [5]


def test_upgrade_on_empty_database_reaches_head(empty_engine) -> None:
    assert current_revision(empty_engine) is None
    assert sa.inspect(empty_engine).get_table_names() == []
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision() == "0011_push_answers"
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert tables == TABLES | {"alembic_version"}
    upgrade(empty_engine)  # a second run is a no-op
    assert current_revision(empty_engine) == "0011_push_answers"


def test_migrated_schema_matches_the_models(engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_autogenerate_compare_sees_a_missing_index(engine) -> None:
    """The comparison above can fail: drop an index and it is reported."""
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_viewer_row_import_id")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert [entry[0] for entry in diff] == ["add_index"]
    assert diff[0][1].name == "ix_viewer_row_import_id"


def test_partial_unique_index_exists_with_its_condition(engine) -> None:
    indexes = {ix["name"]: ix for ix in sa.inspect(engine).get_indexes("live_session")}
    one_open = indexes["uq_live_session_one_open"]
    assert one_open["unique"]
    assert one_open["column_names"] == ["workspace_id"]
    where = one_open.get("dialect_options", {})
    condition = where.get("postgresql_where") or where.get("sqlite_where")
    assert condition is not None and "open" in str(condition)


def test_session_scope_commits_and_rolls_back(engine) -> None:
    with session_scope(engine) as session:
        make_workspace(session, chat_id=11)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        make_workspace(session, chat_id=12)
        raise RuntimeError("boom")
    with Session(engine) as session:
        chats = sorted(w.chat_id for w in session.exec(select(Workspace)).all())
    assert chats == [11]


def test_timestamps_come_back_as_aware_utc(db) -> None:
    from datetime import datetime, timedelta, timezone

    from storage import repositories as repo

    ws = make_workspace(db)
    shanghai = timezone(timedelta(hours=8))
    live = repo.open_session(
        db, workspace_id=ws.id, title="t", started_at=datetime(2026, 11, 27, 20, 0, tzinfo=shanghai)
    )
    db.commit()
    db.expire_all()
    again = repo.get_session(db, workspace_id=ws.id, session_id=live.id)
    assert again is not None
    assert again.started_at.utcoffset() == timedelta(0)
    assert again.started_at == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
