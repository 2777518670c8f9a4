"""Instances starting together on one PostgreSQL database migrate one after the other."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from storage.engine import MIGRATION_LOCK_KEY, current_revision, head_revision, upgrade

pytestmark = pytest.mark.postgres

INSTANCES = 4


@pytest.fixture
def pg_backend(backend: str) -> str:
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's (SQLite has one writer at a time)")
    return backend


def test_concurrent_upgrades_of_an_empty_database_all_succeed(
    pg_backend: str, make_test_engine
) -> None:
    engines = [make_test_engine() for _ in range(INSTANCES)]
    barrier = threading.Barrier(INSTANCES)
    errors: list[BaseException] = []

    def start(engine: sa.engine.Engine) -> None:
        barrier.wait()
        try:
            upgrade(engine)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert current_revision(engines[0]) == head_revision()
    with engines[0].connect() as connection:
        versions = connection.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar()
    assert versions == 1


def test_upgrade_waits_for_the_lock_holder(pg_backend: str, make_test_engine) -> None:
    holder, waiter = make_test_engine(), make_test_engine()
    done = threading.Event()
    with holder.begin() as connection:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        thread = threading.Thread(target=lambda: (upgrade(waiter), done.set()))
        thread.start()
        assert not done.wait(1.0), "upgrade ran while another connection held the lock"
        assert current_revision(holder) is None
    thread.join(timeout=60)
    assert done.is_set()
    assert current_revision(waiter) == head_revision()
