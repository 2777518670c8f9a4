"""Raw chunks → canonical frames, row by row checked; and `parse_file` for a whole file.

Every cell of a column the header names is read with the value grammar of its type
(`values`): counts (whole, ≥ 0), amounts (≥ 0, no percent), durations (seconds, ≥ 0), times
(aware UTC), text (kept verbatim, surrounding spaces removed: `=cmd|…` stays text), yes/no.
A cell that does not read is a `RowError`; missing stays missing (NaN / NaT / None).

Bounds: a number must be finite and inside its field's bounds (`values.FIELD_BOUNDS`:
"too_large" above the cap or beyond a float, "negative" below 0); a time must lie from
2015-01-01 to tomorrow ("too_early" / "too_late"; tomorrow from `ConvertContext.now`).
Text is capped by meaning (`TEXT_LIMITS`): an id longer than its cap is refused
("too_long": a cut id would name another viewer or room); a title longer than its cap is
cut to the cap (a title is only shown).

Exact duplicate rows (every canonical value equal) are kept once and counted
(`DuplicateFilter`), so a file pasted twice into itself does not double the figures.
A row whose every cell is empty is skipped, not counted. Required columns (the kind's
`required`) must have a value in every row.

The currency a money cell is written in (`$1,505.95`, `￥3,400`, `12元`) is not part of its
value: each chunk names the first cell of every currency its money columns write
(`ChunkResult.currencies`), for the importer to hold the file to one currency and to the
workspace's.

The work is vectorised: numbers pandas' C parser already read are only range-checked, and
text cells are read once per distinct value, with a regular-expression fast path for plain
decimals, so a million rows convert in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Final

import numpy as np
import pandas as pd

from storage.importers.errors import ImportRejected, MoneyCell, RowError
from storage.importers.kinds import ColumnSpec, HeaderMatch, KindSpec
from storage.importers.readers import DEFAULT_CHUNK_ROWS, Layout, iter_chunks, read_layout
from storage.importers.source import Blob, BlobData
from storage.importers.values import (
    ValueParseError,
    bounds_of,
    check_time,
    parse_bool,
    parse_datetime,
    parse_duration,
    parse_value,
)

__all__ = [
    "MAX_REPORTED",
    "TEXT_LIMITS",
    "ChunkResult",
    "ConvertContext",
    "DuplicateFilter",
    "ParsedFile",
    "convert_chunk",
    "empty_frame",
    "parse_file",
]

MAX_REPORTED: Final = 5
_PLAIN: Final = r"\s*\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*"
_ANY_SPACE: Final = re.compile(r"\s")
_EDGE_SPACE: Final = re.compile(r"(?:^|\x00)\s|\s(?:\x00|$)")

#: Longest text per column, in characters: (cap, rule). "refuse": a longer cell is a bad
#: value ("too_long"); "cut": it is cut to the cap. Other text columns: `DEFAULT_TEXT_LIMIT`.
TEXT_LIMITS: Final[dict[str, tuple[int, str]]] = {
    "user_id": (128, "refuse"),
    "room_id": (128, "refuse"),
    "title": (200, "cut"),
}
DEFAULT_TEXT_LIMIT: Final = (200, "cut")


@dataclass(frozen=True, slots=True)
class ConvertContext:
    """What times are read against: the local zone, and the day of a time-only cell."""

    tz: tzinfo = UTC
    base_date: date | None = None
    now: datetime | None = None  # "tomorrow" is the day after this (None: the clock)


@dataclass
class ChunkResult:
    """One converted chunk: canonical frame (good rows), first errors, bad-row count, and
    the first cell of each currency symbol its money columns write (in row order)."""

    frame: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    bad_rows: int = 0
    currencies: dict[str, MoneyCell] = field(default_factory=dict)


@dataclass
class ParsedFile:
    """A whole file read: kind, canonical frame, row count, and the rows that did not read."""

    kind: str
    frame: pd.DataFrame
    rows: int
    errors: list[RowError]
    bad_rows: int = 0
    layout: Layout | None = None
    duplicates: int = 0  # exact duplicate rows left out

    @property
    def ok(self) -> bool:
        return self.bad_rows == 0

    def check(self) -> None:
        """Raise `ImportRejected` ("bad_values") when any row did not read."""
        if self.bad_rows:
            raise ImportRejected.for_code(
                "bad_values", errors=list(self.errors[:MAX_REPORTED]), count=self.bad_rows
            )


def empty_frame(kind: KindSpec) -> pd.DataFrame:
    """A frame with the kind's canonical columns and no rows."""
    return pd.DataFrame({name: _empty_column(kind.column(name)) for name in kind.output_columns})


def _empty_column(spec: ColumnSpec, n: int = 0) -> Any:
    if spec.type == "datetime":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    if spec.type in ("text", "bool"):
        return pd.Series([None] * n, dtype=object)
    return pd.Series(np.full(n, np.nan), dtype="float64")


# ----------------------------------------------------------------------------- conversion


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )


def _as_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
        return series.fillna("").astype(str)
    return series.astype(str)


def _by_unique(
    series: pd.Series, read: Callable[[str], Any], fast: Callable[[pd.Series], Any] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read each distinct text once: (values per row, error reason per row or None, empty)."""
    text = _as_text(series)
    codes, uniques = pd.factorize(text, sort=False)
    u = pd.Series(uniques, dtype=object)
    values = np.empty(len(u), dtype=object)
    reasons = np.full(len(u), None, dtype=object)
    done = np.zeros(len(u), dtype=bool)
    if fast is not None and len(u):
        plain = u.str.fullmatch(_PLAIN).fillna(False).to_numpy(dtype=bool)
        if plain.any():
            values[plain] = fast(u[plain])
            done = plain
    for i in np.flatnonzero(~done):
        try:
            values[i] = read(str(u.iat[int(i)]))
        except ValueParseError as exc:
            reasons[i] = exc.reason
    empties = u.str.strip().eq("").to_numpy(dtype=bool)
    return values[codes], reasons[codes], empties[codes]


def _number_reader(
    spec: ColumnSpec, symbols: dict[str, str] | None = None
) -> Callable[[str], float | None]:
    """Reads one cell of the column; a money cell's currency symbol goes into `symbols`
    (cell text → symbol)."""
    if spec.type == "duration":
        return parse_duration

    def read(text: str) -> float | None:
        parsed = parse_value(text)
        if parsed is None:
            return None
        if spec.type == "percent":  # "3.79%", or 3.79 meaning the same; a share as it is
            return parsed.value if parsed.percent or parsed.value <= 1 else parsed.value / 100
        if parsed.percent:
            raise ValueParseError(text, "percent", f"a percent where a number is due: {text!r}")
        if spec.type == "count" and parsed.currency:
            raise ValueParseError(text, "not_a_number", f"money where a count is due: {text!r}")
        if parsed.currency and symbols is not None:
            symbols[text] = parsed.currency
        return parsed.value

    return read


def _numbers(
    series: pd.Series, spec: ColumnSpec, factor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(float values with NaN for missing, reason per row or None, and for a money column
    whose cells write a currency the symbol per row or None — else None)."""
    n = len(series)
    reasons = np.full(n, None, dtype=object)
    symbols: dict[str, str] = {}
    marks: np.ndarray | None = None
    if _is_numeric(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan).copy()
    else:
        raw, reasons, _ = _by_unique(
            series,
            _number_reader(spec, symbols if spec.type == "amount" else None),
            fast=lambda u: u.astype(str).str.strip().astype("float64").to_numpy(dtype=object),
        )
        if symbols:
            marks = _as_text(series).map(symbols).to_numpy(dtype=object)
        values = np.array([np.nan if v is None else v for v in raw], dtype="float64")
        values[reasons != None] = np.nan  # noqa: E711 - elementwise comparison
    if factor != 1.0:
        with np.errstate(over="ignore", invalid="ignore"):
            values = values * factor
    ok = reasons == None  # noqa: E711 - elementwise comparison
    reasons[ok & np.isinf(values)] = "too_large"
    values[np.isinf(values)] = np.nan
    finite = np.isfinite(values)
    reasons[ok & finite & (values < 0)] = "negative"
    bounds = bounds_of(spec.name, spec.type)
    if bounds is not None:
        ok = reasons == None  # noqa: E711
        reasons[ok & finite & (values > bounds.high)] = "too_large"
    if spec.type == "count":
        ok = reasons == None  # noqa: E711
        whole = np.equal(np.floor(values), values)
        reasons[ok & finite & ~whole] = "not_whole"
    values[reasons != None] = np.nan  # noqa: E711
    return values, reasons, marks


def _times(series: pd.Series, ctx: ConvertContext) -> tuple[pd.Series, np.ndarray]:
    def read(text: str) -> datetime | None:
        when = parse_datetime(text, tz=ctx.tz, base_date=ctx.base_date)
        return None if when is None else check_time(when, now=ctx.now)

    raw, reasons, _ = _by_unique(series, read)
    good: list[Any] = [v if r is None else None for v, r in zip(raw, reasons, strict=True)]
    stamps = pd.Series(pd.to_datetime(good, utc=True), index=series.index)
    return stamps.astype("datetime64[ns, UTC]"), reasons


def _strip(series: pd.Series) -> np.ndarray:
    """The cells as an object array of str, surrounding whitespace removed."""
    values = _as_text(series).to_numpy(dtype=object)
    joined = "\x00".join(values)
    if _ANY_SPACE.search(joined) and _EDGE_SPACE.search(joined):
        values = np.array([v.strip() for v in values], dtype=object)
    return values


def _texts(series: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, np.ndarray]:
    values = _strip(series)
    reasons = np.full(len(series), None, dtype=object)
    cap, rule = TEXT_LIMITS.get(spec.name, DEFAULT_TEXT_LIMIT)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    long = lengths > cap
    if long.any():
        if rule == "refuse":
            reasons[long] = "too_long"
            values[long] = ""
        else:
            for i in np.flatnonzero(long):
                values[i] = values[i][:cap]
    values[values == ""] = None
    return pd.Series(values, index=series.index, dtype=object), reasons


def _bools(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    raw, reasons, _ = _by_unique(series, parse_bool)
    values = pd.Series(
        [v if r is None else None for v, r in zip(raw, reasons, strict=True)],
        index=series.index,
        dtype=object,
    )
    return values, reasons


def _empty_cells(series: pd.Series) -> np.ndarray:
    if _is_numeric(series):
        return series.isna().to_numpy(dtype=bool)
    return np.asarray(_strip(series) == "", dtype=bool)


def convert_chunk(
    raw: pd.DataFrame,
    match: HeaderMatch,
    first_row: int,
    ctx: ConvertContext | None = None,
    *,
    max_errors: int = MAX_REPORTED,
) -> ChunkResult:
    """Read one chunk (`readers.iter_chunks`) into the kind's canonical columns.

    `first_row` is the data-row number of the chunk's first row. Rows with an error are
    left out of the frame and named (the first `max_errors`) in the result.
    """
    ctx = ctx or ConvertContext()
    kind = match.kind
    n = len(raw)
    if n == 0:
        return ChunkResult(empty_frame(kind))
    blank = np.ones(n, dtype=bool)
    for name in match.columns:
        blank &= _empty_cells(raw[name])
    out: dict[str, Any] = {}
    problems: list[tuple[str, str, np.ndarray]] = []  # (column, header cell, reason per row)
    money: list[tuple[str, str, np.ndarray]] = []  # (column, header cell, symbol per row)
    for spec in kind.columns:
        if spec.name not in match.columns:
            continue
        _, header_cell, factor = match.columns[spec.name]
        series = raw[spec.name]
        reasons: np.ndarray
        if spec.type in ("count", "amount", "percent", "duration"):
            values, reasons, marks = _numbers(series, spec, factor)
            out[spec.name] = pd.Series(values, index=raw.index)
            if marks is not None:
                money.append((spec.name, header_cell, marks))
        elif spec.type == "datetime":
            out[spec.name], reasons = _times(series, ctx)
        elif spec.type == "text":
            out[spec.name], reasons = _texts(series, spec)
        else:
            out[spec.name], reasons = _bools(series)
        if spec.required:
            missing = (reasons == None) & pd.isna(out[spec.name]).to_numpy()  # noqa: E711
            reasons[missing & ~blank] = "missing"
        problems.append((spec.name, header_cell, reasons))
    _derive(kind, out)
    bad = np.zeros(n, dtype=bool)
    for _, _, reasons in problems:
        bad |= reasons != None  # noqa: E711
    bad &= ~blank
    errors: list[RowError] = []
    if bad.any() and max_errors > 0:
        for i in np.flatnonzero(bad)[:max_errors]:
            for name, header_cell, reasons in problems:
                if reasons[i] is not None:
                    text = _shown(str(raw[name].iat[int(i)]))
                    errors.append(RowError(first_row + int(i), header_cell, text, reasons[i]))
                    break
    keep = ~(bad | blank)
    frame = pd.DataFrame(
        {
            name: (out[name][keep] if name in out else _empty_column(kind.column(name), 0))
            for name in kind.output_columns
        }
    )
    count = int(keep.sum())
    for name in kind.output_columns:
        if name not in out:
            frame[name] = _empty_column(kind.column(name), count).to_numpy()
    frame.index = pd.RangeIndex(count)
    return ChunkResult(frame, errors, int(bad.sum()), _currencies(raw, money, first_row))


def _currencies(
    raw: pd.DataFrame, money: list[tuple[str, str, np.ndarray]], first_row: int
) -> dict[str, MoneyCell]:
    """The first cell of each currency symbol in the money columns, in row order."""
    found: dict[str, tuple[int, int, MoneyCell]] = {}
    for order, (name, header_cell, marks) in enumerate(money):
        firsts = pd.Series(marks).dropna().drop_duplicates()  # index: the row
        for at, symbol in zip(firsts.index.tolist(), firsts.tolist(), strict=True):
            i = int(at)
            if symbol not in found or (i, order) < found[symbol][:2]:
                text = _shown(str(raw[name].iat[i]))
                found[symbol] = (i, order, MoneyCell(first_row + i, header_cell, text, symbol))
    return {s: cell for s, (_, _, cell) in sorted(found.items(), key=lambda item: item[1][:2])}


def _shown(text: str, limit: int = 40) -> str:
    """A cell as quoted in an error: at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DuplicateFilter:
    """Drops rows equal in every canonical column to a row seen before in the same file.

    Rows are compared by a 64-bit hash of their values (`pandas.util.hash_pandas_object`),
    kept sorted in one array: 8 bytes per distinct row.
    """

    def __init__(self) -> None:
        self._seen = np.empty(0, dtype=np.uint64)
        self.dropped = 0

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
        again = pd.Series(hashes).duplicated().to_numpy().copy()
        if len(self._seen):
            at = np.searchsorted(self._seen, hashes).clip(max=len(self._seen) - 1)
            again |= self._seen[at] == hashes
        self._seen = np.sort(np.concatenate((self._seen, hashes[~again])))
        if not again.any():
            return frame
        self.dropped += int(again.sum())
        kept = frame[~again]
        kept.index = pd.RangeIndex(len(kept))
        return kept


def _derive(kind: KindSpec, out: dict[str, Any]) -> None:
    """Columns computed from others: a session's duration from its start and end."""
    if kind.name != "sessions" or "ended_at" not in out or "started_at" not in out:
        return
    span = (out["ended_at"] - out["started_at"]).dt.total_seconds()
    span = span.where(span >= 0)
    if "duration_s" in out:
        out["duration_s"] = out["duration_s"].fillna(span)
    else:
        out["duration_s"] = span


# ------------------------------------------------------------------------------ whole file


def parse_file(
    data: BlobData,
    *,
    tz: tzinfo = UTC,
    base_date: date | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    now: datetime | None = None,
) -> ParsedFile:
    """Read a whole file into a `ParsedFile` (the frame holds the rows that read).

    Structural problems (empty, not a table, encoding, unknown kind, missing columns,
    header only, ragged, and the limits of `guard`) raise `ImportRejected`; bad values are
    listed in `errors` and `bad_rows` — call `check()` to refuse the file when there are
    any. Exact duplicate rows are kept once and counted in `duplicates`.
    """
    blob = Blob(data)
    layout = read_layout(blob)
    ctx = ConvertContext(tz=tz, base_date=base_date, now=now)
    unique = DuplicateFilter()
    frames: list[pd.DataFrame] = []
    errors: list[RowError] = []
    bad = 0
    for first, raw in iter_chunks(blob, layout, chunk_rows):
        result = convert_chunk(raw, layout.match, first, ctx, max_errors=MAX_REPORTED - len(errors))
        frames.append(unique(result.frame))
        errors.extend(result.errors)
        bad += result.bad_rows
    frame = pd.concat(frames, ignore_index=True) if frames else empty_frame(layout.match.kind)
    if frame.empty and not bad:  # only rows of empty cells
        raise ImportRejected.for_code(
            "header_only", kind=layout.kind, columns=[c.strip() for c in layout.header]
        )
    return ParsedFile(layout.kind, frame, len(frame), errors, bad, layout, unique.dropped)
