"""Shared fixtures: databases on SQLite and, when configured, PostgreSQL.

`engine` and `db` are parametrised over both backends: SQLite in a temporary file, and
PostgreSQL at `LIVEHOST_TEST_POSTGRES_URL` (e.g. `postgresql+psycopg://postgres@127.0.0.1:5432/test`),
skipped when that variable is unset. On PostgreSQL each test gets a schema of its own,
dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.engine import make_engine, upgrade

POSTGRES_ENV = "LIVEHOST_TEST_POSTGRES_URL"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_url() -> str | None:
    """The PostgreSQL URL for tests, or None when not configured."""
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A URL of a fresh SQLite file (in a folder that does not exist yet)."""
    return f"sqlite:///{tmp_path / 'db' / 'livehost.db'}"


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The backend under test: `sqlite` or `postgresql`."""
    if request.param == "postgresql" and postgres_url() is None:
        pytest.skip(f"{POSTGRES_ENV} not set")
    return str(request.param)


@pytest.fixture
def make_test_engine(backend: str, sqlite_url: str) -> Iterator:
    """A factory of engines on one empty database of the current backend.

    Every engine it returns points at the same database (SQLite file or PostgreSQL
    schema), so tests can open several independent connections to it.
    """
    engines: list[Engine] = []
    admin: Engine | None = None
    schema = f"t_{uuid.uuid4().hex[:16]}"
    if backend == "postgresql":
        url = postgres_url()
        assert url is not None
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def factory() -> Engine:
        if backend == "sqlite":
            engine = make_engine(sqlite_url)
        else:
            engine = make_engine(
                postgres_url() or "", connect_args={"options": f"-c search_path={schema}"}
            )
        engines.append(engine)
        return engine

    yield factory
    for engine in engines:
        engine.dispose()
    if admin is not None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def empty_engine(make_test_engine) -> Engine:
    """An engine on an empty database (no tables) of the current backend."""
    return make_test_engine()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a database migrated to head, on SQLite and on PostgreSQL."""
    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database; uncommitted work is rolled back at the end."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite engine, for tests that need one backend only."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()
