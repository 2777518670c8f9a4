"""File imports: one code path for uploads in chat and `livehost import FILE --chat ID`.

A file is filed by its dates (`storage.importers.import_file`); this layer picks the
session a file without dates goes to (the caption's `#id`, else the open session, else the
last one), keeps an upload whose columns could not all be placed until the host answers
which column is which, and tells what an upload changed in a closed session's figures: its
stored figures before the file against those stored once after it. A file's money is held
to the workspace's currency by the symbols hosts type (`settings_input`): a `$` file is
refused in a chat that counts in yuan, and sets the currency of a chat that has none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.services.figures import refresh_session_figures, session_values
from bot.settings_input import currencies_of_symbol
from storage import repositories as repo
from storage.engine import session_scope
from storage.importers import MAX_BYTES, ImportRejected, import_file

if TYPE_CHECKING:
    from core.figures import Contradiction

__all__ = [
    "FIGURES_COMPARED",
    "Answer",
    "ImportOutcome",
    "Moved",
    "answer_column",
    "import_upload",
    "parse_mapping",
    "session_figures",
    "session_from_caption",
]

_CAPTION_ID = re.compile(r"#\s*(\d+)")

FIGURES_COMPARED = ("gmv", "orders", "buyers", "viewers", "peak_online", "avg_watch_s")
"""The figures an upload into a closed session is said to have moved, in this order."""


@dataclass(frozen=True, slots=True)
class Moved:
    """One figure an upload changed: its name, value before and after."""

    name: str
    before: float | None
    after: float | None


@dataclass(slots=True)
class ImportOutcome:
    """What became of one file: imported (kind, rows, target) or rejected (code, params), or
    waiting for the host to say which column holds a required field (`pending_id`)."""

    ok: bool
    kind: str | None = None
    rows: int = 0
    session_id: int | None = None
    session_title: str | None = None
    past_sessions: int = 0
    duplicates: int = 0  # exact duplicate rows of the file stored once
    code: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    new: int = 0
    updated: int = 0
    created_session: bool = False
    session_start: datetime | None = None
    session_end: datetime | None = None
    moved: list[Moved] = field(default_factory=list)
    pending_id: int | None = None
    question: str | None = None  # the field asked about
    choices: list[str] = field(default_factory=list)  # the file's headers
    caption_unused: int | None = None  # the caption's #id, which a sessions list does not take
    currency_set: str | None = None  # the workspace's currency, when this file set it
    contradictions: list[Contradiction] = field(default_factory=list)
    """Figures now left out as impossible beside another, of those `moved` to nothing."""


def session_from_caption(caption: str | None) -> int | None:
    """The session a caption names with `#id`, if any."""
    match = _CAPTION_ID.search(caption or "")
    return int(match.group(1)) if match else None


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """`field=Header` pairs (the CLI's `--map`) as a mapping; ValueError on a bad pair."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, header = pair.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise ValueError(f"--map takes field=Header, got {pair!r}")
        mapping[name.strip()] = header.strip()
    return mapping


_STORED_AS = {"avg_watch_s": "avg_stay_s"}
"""Names of `FIGURES_COMPARED` whose figure is stored under another name."""


def session_figures(session: Session, *, session_id: int) -> dict[str, float]:
    """The session's stored figures (`FIGURES_COMPARED`), the ones every summary, digest and
    list shows (`bot.services.figures.session_values`)."""
    values = session_values(session, session_id=session_id)
    out: dict[str, float] = {}
    for name in FIGURES_COMPARED:
        value = values.get(_STORED_AS.get(name, name))
        if value is not None and math.isfinite(value):
            out[name] = float(value)
    return out


def _moved(before: Mapping[str, float], after: Mapping[str, float]) -> list[Moved]:
    out = []
    for name in FIGURES_COMPARED:
        old, new = before.get(name), after.get(name)
        if old is None and new is None:
            continue
        if old is not None and new is not None and math.isclose(old, new, rel_tol=1e-9):
            continue
        out.append(Moved(name, old, new))
    return out


def _rejected(rejected: ImportRejected) -> ImportOutcome:
    return ImportOutcome(ok=False, code=rejected.code, params=dict(rejected.params))


def _ask(
    session: Session,
    rejected: ImportRejected,
    *,
    workspace_id: int,
    file_id: str,
    user_id: int | None,
    filename: str,
    caption: str | None,
) -> ImportOutcome:
    """Keep the upload and ask about its first missing column."""
    params = rejected.params
    headers = [str(h) for h in list(params.get("header") or []) if str(h).strip()]
    missing = [str(c) for c in list(params.get("columns") or [])]
    pending = repo.add_pending_upload(
        session,
        workspace_id=workspace_id,
        user_id=user_id,
        file_id=file_id,
        filename=filename,
        caption=caption,
        signature=str(params["signature"]),
        kind=str(params.get("kind") or ""),
        headers=headers,
        missing=missing,
    )
    return ImportOutcome(
        ok=False,
        code="ask_column",
        kind=pending.kind,
        params=dict(params),
        pending_id=pending.id,
        question=missing[0],
        choices=headers,
    )


def import_upload(
    engine: Engine,
    *,
    workspace_id: int,
    data: bytes,
    filename: str,
    caption: str | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    file_id: str | None = None,
    user_id: int | None = None,
    mapping: Mapping[str, str] | None = None,
    create_sessions: bool = True,
    max_bytes: int | None = MAX_BYTES,
) -> ImportOutcome:
    """Import a file whole or not at all (runs in a worker thread: it parses and writes).

    A dated minute file is filed by its dates (a new past stream when no session overlaps
    them and `create_sessions`); a file without dates goes into the session the caption
    names, else the open one, else the last one. With `file_id`, a file missing a required
    column is kept and the outcome asks about it (`code` "ask_column"). `max_bytes` is the
    largest file accepted (`Settings.max_upload_bytes`).
    """
    named = session_from_caption(caption)
    before: dict[str, float] = {}
    was_closed: list[bool] = []

    def remember(session: Session, target_id: int) -> None:
        live = repo.get_session_any(session, session_id=target_id)
        if live is not None and live.status == "closed":
            was_closed.append(True)
            before.update(session_figures(session, session_id=target_id))

    try:
        with session_scope(engine) as session:
            fallback = repo.get_open_session(session, workspace_id=workspace_id)
            if fallback is None:
                fallback = repo.last_session(session, workspace_id=workspace_id)
            try:
                result = import_file(
                    session,
                    workspace_id=workspace_id,
                    data=data,
                    filename=filename,
                    session_id=named,
                    default_session_id=fallback.id if fallback is not None else None,
                    create_sessions=create_sessions,
                    mapping=mapping,
                    now=now,
                    progress=progress,
                    before_write=remember,
                    max_bytes=max_bytes,
                    currencies_of=currencies_of_symbol,
                )
            except ImportRejected as rejected:
                if (
                    rejected.code == "missing_columns"
                    and file_id is not None
                    and rejected.params.get("signature")
                    and rejected.params.get("header")
                ):
                    return _ask(
                        session,
                        rejected,
                        workspace_id=workspace_id,
                        file_id=file_id,
                        user_id=user_id,
                        filename=filename,
                        caption=caption,
                    )
                raise
            outcome = ImportOutcome(
                ok=True,
                kind=result.kind,
                rows=result.rows,
                session_id=result.session_id,
                past_sessions=result.created_sessions,
                new=result.new,
                updated=result.updated,
                created_session=result.created_session,
                duplicates=result.duplicates,
                caption_unused=named if result.kind == "sessions" else None,
                currency_set=result.currency_set,
            )
            if result.session_id is not None:
                live = repo.get_session_any(session, session_id=result.session_id)
                assert live is not None
                outcome.session_title = live.title
                outcome.session_start, outcome.session_end = live.started_at, live.ended_at
            # the session's stored figures (a sessions file: every session of the workspace)
            figures = refresh_session_figures(session, result.session_id, workspace_id=workspace_id)
            if result.session_id is not None and was_closed and not result.created_session:
                # the stored figures before the file against those stored after it
                after = session_figures(session, session_id=result.session_id)
                outcome.moved = _moved(before, after)
                gone = {m.name for m in outcome.moved if m.after is None}
                if figures is not None:
                    outcome.contradictions = [c for c in figures.contradictions if c.figure in gone]
    except ImportRejected as rejected:
        return _rejected(rejected)
    return outcome


@dataclass(frozen=True, slots=True)
class Answer:
    """The state of a waiting upload after one answer."""

    status: str  # "gone", "not_yours", "next", "ready"
    pending_id: int | None = None
    question: str | None = None
    field_index: int = 0
    choices: list[str] = field(default_factory=list)
    file_id: str | None = None
    filename: str | None = None
    caption: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)


def answer_column(
    engine: Engine,
    *,
    workspace_id: int,
    pending_id: int,
    field_index: int,
    header_index: int,
    user_id: int | None,
) -> Answer:
    """Record "the `field_index`-th missing field is the `header_index`-th header"; says
    what to ask next, or that the upload is ready to import with its mapping."""
    with session_scope(engine) as session:
        pending = repo.get_pending_upload(session, workspace_id=workspace_id, pending_id=pending_id)
        if pending is None:
            return Answer("gone")
        if pending.user_id is not None and user_id != pending.user_id:
            return Answer("not_yours", pending_id)
        if not (
            0 <= field_index < len(pending.missing) and 0 <= header_index < len(pending.headers)
        ):
            return Answer("gone")
        pending = repo.answer_pending_upload(
            session,
            workspace_id=workspace_id,
            pending_id=pending_id,
            field=pending.missing[field_index],
            header=pending.headers[header_index],
        )
        assert pending is not None
        left = [f for f in pending.missing if f not in pending.answers]
        if left:
            return Answer(
                "next",
                pending_id,
                left[0],
                pending.missing.index(left[0]),
                list(pending.headers),
            )
        answer = Answer(
            "ready",
            pending_id,
            file_id=pending.file_id,
            filename=pending.filename,
            caption=pending.caption,
            mapping=dict(pending.answers),
        )
        repo.drop_pending_upload(session, workspace_id=workspace_id, pending_id=pending_id)
        return answer
