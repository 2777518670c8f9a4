"""The database URL a worker process opens (chart and digest pools, training): the same
database as the bot's engine, reached from another process."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope

__all__ = ["worker_db_url"]


def worker_db_url(engine: Engine) -> str:
    """A URL another process can open to reach the same database as ``engine``: the
    password kept, and on PostgreSQL the session's ``search_path`` carried along."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory"):
            raise ValueError("an in-memory SQLite database cannot be shared with a process")
        return url.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)
    with session_scope(engine) as session:
        path = repo.search_path(session)
    if path and path.replace(" ", "") != '"$user",public':
        query = dict(url.query)
        query["options"] = f"-c search_path={path.replace(' ', '')}"
        url = url.set(query=query)
    return url.render_as_string(hide_password=False)
