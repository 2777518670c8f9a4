"""One import path for the bot and the CLI: bytes → checked rows → filed → one transaction.

`import_file` refuses a file before reading it when it is too large, reads its layout, then
converts every row once to check it (a bad row anywhere refuses the whole file before
anything is written), to fingerprint the data and to find the span of its timestamps:

* The fingerprint hashes the parsed, canonical rows (`rows_hash`), not the bytes, so the same
  table saved with `;`, as GBK or as .xlsx is the same data; data the workspace already has
  is refused as "duplicate".
* A minute file with dates is filed by them: into the session it names when its dates
  overlap that session's window (else "dates_conflict" with both spans), else into the
  session whose window it overlaps most, else — when `create_sessions` — into a new closed
  session of its own dates (source "import"). A minute file with clock times only is dated
  by the session it goes to (named, else `default_session_id`); times that go back
  (23:59 → 00:00) roll to the next day. Viewer lists go to the named or default session;
  one sent to the default session with viewers who watched longer than that session has
  run (`OUTLAST_MARGIN`, `OUTLAST_SHARE`) is refused as "outlasts_session": it is another
  stream's, and the caption should say which.
* A product list whose title line gives the stream's window (`2026-10-25 20:00 ~ 2026-10-25
  22:55` above the header, as in the TikTok Shop LIVE product list of tests/data;
  `stream_window`) is filed by it as a minute file is by its dates; one without a window
  (a range of whole days covers many streams) goes to the named or default session.
* Money is held to one currency: a file whose money columns write two symbols ($ and ¥) is
  refused as "mixed_currencies". Given `currencies_of`, the file's currency must be the
  workspace's (else "currency_conflict", naming both); a workspace without a currency takes
  the file's, in the same transaction as its rows. A file without symbols is taken as it is.
* Rows are then written with upserts (`repositories.upsert_*`): a minute, viewer or past
  stream already stored is updated, and the result says how many rows were new and how
  many updated.

Columns the aliases do not place can be named by a `mapping` (field → header cell); the
workspace's stored answers for the file's header signature are used too. A file still
missing a required column is refused with "missing_columns", its header cells and
signature in the params, so the caller can ask.

Exact duplicate rows within the file are stored once and counted (`ImportResult.duplicates`).
Times must lie from 2015-01-01 to the day after `now` (the clock when `now` is None).

Times without a zone are the workspace's local time (`Workspace.timezone`). The function
flushes and never commits: the caller's unit of work (`storage.engine.session_scope`) does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlmodel import Session

from storage import repositories as repo
from storage.errors import DuplicateImport, WorkspaceNotFound
from storage.importers.detect import MAX_BYTES
from storage.importers.errors import ImportRejected, MoneyCell, RowError
from storage.importers.kinds import header_signature
from storage.importers.readers import DEFAULT_CHUNK_ROWS, Layout, iter_chunks, read_layout
from storage.importers.source import Blob, BlobData
from storage.importers.validate import (
    MAX_REPORTED,
    ConvertContext,
    DuplicateFilter,
    convert_chunk,
)
from storage.importers.values import (
    ValueParseError,
    check_time,
    normalize_text,
    parse_datetime,
)
from storage.models import ImportRecord, LiveSession, Workspace

__all__ = ["STREAM_MAX", "ImportResult", "import_file", "rows_hash", "stream_window"]

RETAIN_ROWS: Final = 200_000
"""Up to this many converted rows are kept between checking and writing; a bigger file is
converted again for writing, so memory follows the chunk size."""
_MINUTE: Final = timedelta(minutes=1)
OUTLAST_MARGIN: Final = timedelta(minutes=10)
"""A viewer who watched longer than the stream had run by more than this (a late /golive
is allowed for) watched another stream."""
OUTLAST_SHARE: Final = 0.01
"""An undated viewer file with at least this share of such viewers (and one at least) is
not put into the open or last stream on its own say-so: it belongs to another."""
_ROLL_BACK: Final = pd.Timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored: kind, rows, its import record, the session it went to, how
    many rows were new and how many updated, and whether the session was made for it."""

    kind: str
    rows: int
    import_id: int
    session_id: int | None
    created_sessions: int
    new: int = 0
    updated: int = 0
    created_session: bool = False
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    duplicates: int = 0
    """Exact duplicate rows of the file, stored once."""
    currency_set: str | None = None
    """The workspace's currency (ISO code) when this file set it, else None."""


def _zone(workspace: Workspace) -> tzinfo:
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


# ------------------------------------------------------------------------- fingerprint


def _hashable(frame: pd.DataFrame) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
            series.dtype
        ):
            stamps = pd.to_datetime(series, utc=True)
            ints = stamps.astype("int64").to_numpy()
            out[name] = np.where(stamps.isna().to_numpy(), np.iinfo(np.int64).min, ints)
        elif pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            out[name] = series.astype("float64").round(6).fillna(np.inf).to_numpy()
        else:
            out[name] = series.astype(object).where(series.notna(), "\x00").astype(str)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


class _RowsDigest:
    """An order-free fingerprint of canonical rows: the sum of per-row hashes (mod 2⁶⁴)
    and the row count, over the kind and its columns."""

    def __init__(self, kind: str, columns: list[str]) -> None:
        self.head = f"{kind}\x1f" + "\x1f".join(columns)
        self.total = 0
        self.count = 0

    def update(self, frame: pd.DataFrame) -> None:
        if len(frame) == 0:
            return
        hashed = pd.util.hash_pandas_object(_hashable(frame), index=False).to_numpy()
        self.total = (self.total + int(hashed.sum(dtype=np.uint64))) % (1 << 64)
        self.count += len(frame)

    def hexdigest(self) -> str:
        text = f"rows-v1\x1e{self.head}\x1e{self.count}\x1e{self.total}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rows_hash(kind: str, frame: pd.DataFrame) -> str:
    """The fingerprint `import_file` gives these canonical rows of `kind`."""
    digest = _RowsDigest(kind, [str(c) for c in frame.columns])
    digest.update(frame)
    return digest.hexdigest()


# ------------------------------------------------------------------------ clock times


def _time_only(raw: pd.DataFrame) -> bool:
    """True when the chunk's first timestamp cell gives a clock time without a date."""
    if "ts" not in raw.columns:
        return False
    for cell in raw["ts"].head(20):
        text = "" if cell is None else str(cell)
        try:
            if parse_datetime(text) is not None:
                return False
        except ValueParseError as exc:
            return exc.reason == "no_date"
    return False


class _DayRoll:
    """Moves clock-time-only rows to the next day each time the clock goes back (23:59 →
    00:00), carried over chunks."""

    def __init__(self) -> None:
        self.days = 0
        self.previous: pd.Timestamp | None = None
        self.shift = pd.Timedelta(0)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) == 0:
            return frame
        ts = frame["ts"]
        steps = ts.diff()
        if self.previous is not None:
            steps.iloc[0] = ts.iloc[0] - self.previous
        wraps = (steps < -_ROLL_BACK).cumsum().to_numpy() + self.days
        self.days = int(wraps[-1])
        self.previous = ts.iloc[-1]
        out = frame.copy()
        out["ts"] = ts + pd.to_timedelta(wraps, unit="D") + self.shift
        return out


# --------------------------------------------------------------------------- passes


@dataclass
class _Checked:
    digest: str
    rows: int
    first: datetime | None
    last: datetime | None
    frames: list[pd.DataFrame] | None
    duplicates: int = 0
    outlasting: int = 0
    """Viewers who watched longer than the limit :func:`_check` was given."""
    longest_watch_s: float | None = None
    currency: str | None = None
    """The one currency symbol the file's money cells write (None: no symbol)."""


def _converted(
    blob: Blob,
    layout: Layout,
    ctx: ConvertContext,
    roll: _DayRoll | None,
    chunk_rows: int,
    unique: DuplicateFilter | None = None,
) -> Iterator[tuple[int, pd.DataFrame, Any]]:
    """Each chunk converted (clock times rolled over midnight), exact repeats of earlier
    rows of the file left out."""
    unique = unique if unique is not None else DuplicateFilter()
    for first, raw in iter_chunks(blob, layout, chunk_rows):
        result = convert_chunk(raw, layout.match, first, ctx, max_errors=MAX_REPORTED)
        frame = unique(result.frame)
        frame = roll.apply(frame) if roll is not None else frame
        yield len(raw), frame, result


def _check(
    blob: Blob,
    layout: Layout,
    ctx: ConvertContext,
    roll: _DayRoll | None,
    *,
    chunk_rows: int,
    progress: Callable[[int], None] | None,
    watch_limit_s: float | None = None,
) -> _Checked:
    """Convert every row once: refuse bad rows and money in two currencies, fingerprint the
    rest, find their span, the currency of their money and (viewer files) the longest watch
    time and how many watched longer than ``watch_limit_s``."""
    errors: list[RowError] = []
    bad = done = 0
    digest = _RowsDigest(layout.kind, list(layout.match.kind.output_columns))
    frames: list[pd.DataFrame] | None = [] if layout.rows <= RETAIN_ROWS else None
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    time_column = {"minutes": "ts", "sessions": "started_at"}.get(layout.kind)
    unique = DuplicateFilter()
    outlasting = 0
    longest: float | None = None
    money: dict[str, MoneyCell] = {}  # the first cell of each currency symbol
    for n, frame, result in _converted(blob, layout, ctx, roll, chunk_rows, unique):
        errors.extend(result.errors[: MAX_REPORTED - len(errors)])
        for symbol, cell in result.currencies.items():
            money.setdefault(symbol, cell)
        bad += result.bad_rows
        if not bad:
            digest.update(frame)
            if frames is not None:
                frames.append(frame)
            if time_column is not None and len(frame):
                stamps = frame[time_column].dropna()
                if len(stamps):
                    low, high = stamps.min(), stamps.max()
                    first = low if first is None else min(first, low)
                    last = high if last is None else max(last, high)
            if layout.kind == "viewers" and len(frame):
                watch = pd.to_numeric(frame["watch_time_s"], errors="coerce")
                if watch.notna().any():
                    top = float(watch.max())
                    longest = top if longest is None else max(longest, top)
                    if watch_limit_s is not None:
                        outlasting += int((watch > watch_limit_s).sum())
        done += n
        if progress is not None:
            progress(done)
    if bad:
        raise ImportRejected.for_code("bad_values", errors=errors, count=bad)
    if digest.count == 0:
        raise ImportRejected.for_code(
            "header_only", kind=layout.kind, columns=[c.strip() for c in layout.header]
        )
    if len(money) > 1:
        raise ImportRejected.for_code("mixed_currencies", cells=list(money.values()))
    return _Checked(
        digest.hexdigest(),
        digest.count,
        first.to_pydatetime() if first is not None else None,
        last.to_pydatetime() if last is not None else None,
        frames,
        unique.dropped,
        outlasting,
        longest,
        next(iter(money), None),
    )


def _write(
    session: Session,
    kind: str,
    frame: pd.DataFrame,
    *,
    workspace_id: int,
    session_id: int | None,
    import_id: int,
) -> repo.Upserted:
    if kind == "minutes":
        assert session_id is not None
        return repo.upsert_minutes(session, session_id=session_id, rows=frame, import_id=import_id)
    if kind == "viewers":
        assert session_id is not None
        return repo.upsert_viewers(session, session_id=session_id, rows=frame, import_id=import_id)
    if kind == "products":
        assert session_id is not None
        added = repo.bulk_insert_products(
            session, session_id=session_id, rows=frame, import_id=import_id
        )
        return repo.Upserted(new=added)
    return repo.upsert_past_sessions(
        session,
        workspace_id=workspace_id,
        rows=frame,
        import_id=import_id,
    )


# --------------------------------------------------------------------------- filing


def _duplicate(record: ImportRecord) -> ImportRejected:
    return ImportRejected.for_code(
        "duplicate",
        imported_at=record.created_at,
        import_id=record.id,
        filename=record.filename,
    )


def _layout(
    session: Session, blob: Blob, workspace_id: int, mapping: Mapping[str, str] | None
) -> tuple[Layout, str | None, dict[str, str]]:
    """The layout with the workspace's stored answers (and `mapping`) applied; also the
    header signature and the answers used. Stores `mapping` for the signature."""
    given = dict(mapping or {})
    try:
        layout = read_layout(blob, given or None)
    except ImportRejected as rejected:
        # unknown_kind names the first row's cells: a header the aliases barely know
        header = rejected.params.get("header") or (
            rejected.params.get("columns") if rejected.code == "unknown_kind" else None
        )
        if rejected.code not in ("missing_columns", "unknown_kind") or not header:
            raise
        signature = header_signature(header)
        stored = repo.column_mapping(session, workspace_id=workspace_id, signature=signature)
        answers = {**stored, **given}
        if not stored or answers == given:
            rejected.params["signature"] = signature
            raise
        try:
            layout = read_layout(blob, answers)
        except ImportRejected as again:
            if again.code == "missing_columns":
                again.params["signature"] = signature
            raise
        return layout, signature, answers
    signature = header_signature(layout.header)
    return layout, signature, given


_RANGE: Final = re.compile(r"\s*(?:~|至|到|—|–|\s-\s)\s*")
_CLOCK: Final = re.compile(r"[0-9]{1,2}\s*[:时][0-9]{2}")
STREAM_MAX: Final = timedelta(hours=24)
"""A window longer than this above a product list is a period of many streams."""


def stream_window(
    preamble: Sequence[Sequence[str]], *, tz: tzinfo, now: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """The stream a file covers, from a line above its header such as `2026-10-25 20:00 ~
    2026-10-25 22:55` or `2026-10-25 20:00 至 22:55`: both ends with a time of day (the end
    may leave out the date), the end after the start and at most :data:`STREAM_MAX` later,
    both within the dates a file may hold, and a start that has come (one still ahead is
    a clock read in the wrong zone, not a stream). None when no line says so."""
    for row in preamble:
        for cell in row:
            parts = _RANGE.split(normalize_text(str(cell or "")).strip())
            if len(parts) != 2 or not all(_CLOCK.search(p) for p in parts):
                continue
            try:
                start = parse_datetime(parts[0], tz=tz)
                if start is None:
                    continue
                end = parse_datetime(parts[1], tz=tz, base_date=_local_day(start, tz))
                if end is None or not timedelta(0) < end - start <= STREAM_MAX:
                    continue
                if start > (now or datetime.now(UTC)):
                    continue
                return check_time(start, now=now), check_time(end, now=now)
            except ValueParseError:
                continue
    return None


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _conflict(target: LiveSession, first: datetime, last: datetime, tz_name: str) -> ImportRejected:
    start, end = repo.session_window(target, now=last)
    return ImportRejected.for_code(
        "dates_conflict",
        id=target.id,
        tz=tz_name,
        file_start=first,
        file_end=last + _MINUTE,
        session_start=start,
        session_end=end if target.status == "closed" else None,
    )


def _file_by_time(
    session: Session,
    *,
    workspace: Workspace,
    named: LiveSession | None,
    start: datetime,
    end: datetime,
    kind: str,
    create_sessions: bool,
    now: datetime | None,
) -> tuple[LiveSession, bool]:
    """The session a file covering ``start``..``end`` goes to, and whether it was made for
    it: the named one when they overlap (else "dates_conflict"), else the one overlapping
    most, else — with ``create_sessions`` — a new closed session of those times (else
    "no_session")."""
    assert workspace.id is not None
    if named is not None:
        first, last = repo.session_window(named, now=now or datetime.now(UTC))
        if first > end or last < start:
            raise _conflict(named, start, end - _MINUTE, workspace.timezone or "UTC")
        return named, False
    found = repo.overlapping_sessions(session, workspace_id=workspace.id, start=start, end=end)
    if found:
        return found[0], False
    if not create_sessions:
        raise ImportRejected.for_code("no_session", kind=kind)
    made = repo.add_closed_session(
        session,
        workspace_id=workspace.id,
        title=None,
        started_at=start,
        ended_at=end,
        source="import",
    )
    return made, True


def import_file(
    session: Session,
    *,
    workspace_id: int,
    data: BlobData,
    filename: str | None,
    session_id: int | None,
    default_session_id: int | None = None,
    create_sessions: bool = False,
    mapping: Mapping[str, str] | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    max_bytes: int | None = MAX_BYTES,
    before_write: Callable[[Session, int], None] | None = None,
    currencies_of: Callable[[str], Sequence[str]] | None = None,
) -> ImportResult:
    """Import one uploaded file into the workspace (see module doc).

    `data` is the file's bytes (or a path to them); `filename` is only recorded, never used
    to guess the format. `session_id` is the session the caller names (a caption's `#id`):
    an id of another workspace is "unknown_session", and a dated minute file must overlap
    it. `default_session_id` takes files without dates when none is named. Minute and
    viewer files with nowhere to go are "no_session". `mapping` (field → header cell) places
    columns, and is remembered for the workspace. `progress(rows_done)` is called after each
    chunk read. `max_bytes=None` lifts the 20 MB limit (for the CLI on trusted files).
    `before_write(session, session_id)` is called once the file's session is known and
    before anything is written to it (not for a session made for the file).
    `currencies_of(symbol)` names the currencies (ISO codes) a money symbol of the file
    (¥, $, €, £) may stand for, the one it stands for on its own first (`$` → USD, and
    SGD… for a workspace that uses them); an empty answer leaves the symbol unplaced.
    Without it the file is only held to one currency, not to the workspace's.
    Raises `ImportRejected`, with nothing written; on success the rows are flushed in the
    caller's transaction, which the caller commits.
    """
    blob = Blob(data)
    if max_bytes is not None and blob.size > max_bytes:
        raise ImportRejected.for_code("too_large", size=blob.size, limit=max_bytes)
    workspace = repo.get_workspace(session, workspace_id=workspace_id)
    if workspace is None:
        raise WorkspaceNotFound(f"workspace {workspace_id}")
    layout, signature, answers = _layout(session, blob, workspace_id, mapping)
    kind = layout.kind
    tz = _zone(workspace)

    named: LiveSession | None = None
    if session_id is not None and kind != "sessions":
        named = repo.get_session(session, workspace_id=workspace_id, session_id=session_id)
        if named is None:
            raise ImportRejected.for_code("unknown_session", id=session_id)
    fallback: LiveSession | None = None
    if default_session_id is not None:
        fallback = repo.get_session(
            session, workspace_id=workspace_id, session_id=default_session_id
        )

    roll: _DayRoll | None = None
    base_date: date | None = None
    window = stream_window(layout.preamble, tz=tz, now=now) if kind == "products" else None
    undated = kind == "viewers" or (kind == "products" and window is None)
    if kind == "minutes":
        first_chunk = next(iter_chunks(blob, layout, min(chunk_rows, 50)), None)
        if first_chunk is not None and _time_only(first_chunk[1]):
            undated = True
            roll = _DayRoll()
    target = named or fallback
    if undated and target is None:
        raise ImportRejected.for_code("no_session", kind=kind)
    if roll is not None:
        assert target is not None
        base_date = _local_day(target.started_at, tz)
    ctx = ConvertContext(tz=tz, base_date=base_date, now=now)
    if roll is not None:
        assert target is not None
        probe = _DayRoll()
        sample = next(_converted(blob, layout, ctx, probe, min(chunk_rows, 50)), None)
        if sample is not None and len(sample[1]):
            first_ts = sample[1]["ts"].iloc[0]
            if first_ts < pd.Timestamp(target.started_at) - pd.Timedelta(hours=12):
                roll.shift = pd.Timedelta(days=1)  # the stream began just before midnight
    span: timedelta | None = None  # how long the session an undated viewer file goes to ran
    if kind == "viewers" and named is None and target is not None:
        start, end = repo.session_window(target, now=now or datetime.now(UTC))
        span = end - start
    limit_s = (span + OUTLAST_MARGIN).total_seconds() if span is not None else None
    checked = _check(
        blob, layout, ctx, roll, chunk_rows=chunk_rows, progress=progress, watch_limit_s=limit_s
    )
    currencies: tuple[str, ...] = ()  # what the file's money may be in
    if checked.currency is not None and currencies_of is not None:
        currencies = tuple(currencies_of(checked.currency))
    if currencies and workspace.currency is not None and workspace.currency not in currencies:
        raise ImportRejected.for_code(
            "currency_conflict",
            symbol=checked.currency,
            currency=currencies[0],
            workspace_currency=workspace.currency,
        )
    earlier = repo.find_import(session, workspace_id=workspace_id, content_hash=checked.digest)
    if earlier is not None:
        raise _duplicate(earlier)
    if span is not None and checked.outlasting >= max(1, OUTLAST_SHARE * checked.rows):
        assert target is not None
        raise ImportRejected.for_code(
            "outlasts_session",
            id=target.id,
            span_s=span.total_seconds(),
            longest_s=checked.longest_watch_s,
            count=checked.outlasting,
        )

    created = False
    if kind == "sessions":
        target = None
    elif kind == "minutes" and not undated:
        assert checked.first is not None and checked.last is not None
        target, created = _file_by_time(
            session,
            workspace=workspace,
            named=named,
            start=checked.first,
            end=checked.last + _MINUTE,
            kind=kind,
            create_sessions=create_sessions,
            now=now,
        )
    elif kind == "products" and window is not None:
        target, created = _file_by_time(
            session,
            workspace=workspace,
            named=named,
            start=window[0],
            end=window[1],
            kind=kind,
            create_sessions=create_sessions,
            now=now,
        )
    target_id = target.id if target is not None else None
    currency_set: str | None = None
    if currencies and workspace.currency is None:  # the first money symbol seen sets it
        now_in = repo.adopt_currency(session, workspace_id=workspace_id, currency=currencies[0])
        if now_in not in currencies:  # another file or push set another one meanwhile
            raise ImportRejected.for_code(
                "currency_conflict",
                symbol=checked.currency,
                currency=currencies[0],
                workspace_currency=now_in,
            )
        currency_set = now_in if now_in == currencies[0] else None
    if before_write is not None and target_id is not None and not created:
        before_write(session, target_id)
    if kind == "minutes" and not undated and target_id is not None:
        assert checked.first is not None and checked.last is not None
        repo.widen_session(
            session, session_id=target_id, start=checked.first, end=checked.last + _MINUTE
        )

    try:
        record = repo.create_import(
            session,
            workspace_id=workspace_id,
            kind=kind,
            content_hash=checked.digest,
            rows=checked.rows,
            filename=filename,
            session_id=target_id,
        )
    except DuplicateImport as exc:
        found_record = repo.find_import(
            session, workspace_id=workspace_id, content_hash=exc.content_hash
        )
        if found_record is None:  # pragma: no cover - the duplicate was removed meanwhile
            raise
        raise _duplicate(found_record) from exc
    assert record.id is not None
    if signature is not None and answers:
        repo.save_column_mapping(
            session, workspace_id=workspace_id, signature=signature, mapping=answers
        )

    frames: Any = checked.frames
    if (
        frames is not None and len(frames) > 1
    ):  # one upsert: the store is counted twice, not per chunk
        frames = [pd.concat(frames, ignore_index=True)]
    if frames is None:
        frames = (frame for _, frame, _ in _converted(blob, layout, ctx, _fresh(roll), chunk_rows))
    written = repo.Upserted()
    for frame in frames:
        written += _write(
            session,
            kind,
            frame,
            workspace_id=workspace_id,
            session_id=target_id,
            import_id=record.id,
        )
    record.rows = written.total
    if now is not None:
        record.created_at = now
    session.add(record)
    session.flush()
    return ImportResult(
        kind=kind,
        rows=written.total,
        import_id=record.id,
        session_id=target_id,
        created_sessions=written.new if kind == "sessions" else 0,
        new=written.new,
        updated=written.updated,
        created_session=created,
        first_ts=window[0] if window is not None else checked.first,
        last_ts=window[1] if window is not None else _end(kind, checked.last),
        duplicates=checked.duplicates,
        currency_set=currency_set,
    )


def _end(kind: str, last: datetime | None) -> datetime | None:
    """A minute file's rows cover the minute after their last stamp."""
    return last + _MINUTE if last is not None and kind == "minutes" else last


def _fresh(roll: _DayRoll | None) -> _DayRoll | None:
    if roll is None:
        return None
    again = _DayRoll()
    again.shift = roll.shift
    return again
