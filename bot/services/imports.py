"""File imports: one code path for uploads in chat and `livehost import FILE --chat ID`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.services.figures import refresh_session_figures
from storage import repositories as repo
from storage.engine import session_scope
from storage.importers import ImportRejected, import_file

__all__ = ["ImportOutcome", "import_upload", "session_from_caption"]

_CAPTION_ID = re.compile(r"#\s*(\d+)")


@dataclass(slots=True)
class ImportOutcome:
    """What became of one file: imported (kind, rows, target) or rejected (code, params)."""

    ok: bool
    kind: str | None = None
    rows: int = 0
    session_id: int | None = None
    session_title: str | None = None
    past_sessions: int = 0
    code: str | None = None
    params: dict[str, object] = field(default_factory=dict)


def session_from_caption(caption: str | None) -> int | None:
    """The session a caption names with `#id`, if any."""
    match = _CAPTION_ID.search(caption or "")
    return int(match.group(1)) if match else None


def import_upload(
    engine: Engine,
    *,
    workspace_id: int,
    data: bytes,
    filename: str,
    caption: str | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import a file whole or not at all, into the session the caption names, else the open
    one, else the last one. Runs in a worker thread (it parses and writes)."""
    named = session_from_caption(caption)
    try:
        with session_scope(engine) as session:
            if named is not None:
                target = repo.get_session(session, workspace_id=workspace_id, session_id=named)
                if target is None:
                    raise ImportRejected.for_code("unknown_session", id=named)
            else:
                target = repo.get_open_session(session, workspace_id=workspace_id)
                if target is None:
                    target = repo.last_session(session, workspace_id=workspace_id)
            result = import_file(
                session,
                workspace_id=workspace_id,
                data=data,
                filename=filename,
                session_id=target.id if target is not None else None,
                now=now,
                progress=progress,
            )
            refresh_session_figures(session, result.session_id, workspace_id=workspace_id)
            title = target.title if target is not None else None
    except ImportRejected as rejected:
        return ImportOutcome(ok=False, code=rejected.code, params=dict(rejected.params))
    return ImportOutcome(
        ok=True,
        kind=result.kind,
        rows=result.rows,
        session_id=result.session_id,
        session_title=title if result.session_id is not None else None,
        past_sessions=result.created_sessions,
    )
