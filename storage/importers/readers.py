"""Bytes → a table: its layout (`read_layout`) and its data rows in chunks (`iter_chunks`).

`read_layout` reads only what it must before any row is converted: the limits of
`guard` (an .xlsx's ZIP and XML, a CSV's longest line), the container, the
encoding and content hash (`detect.scan_text`), the header row, and a structural pass that
counts the data rows and finds rows with the wrong number of cells. It raises
`ImportRejected` with code "empty", "not_a_table", "encoding", "unknown_kind",
"missing_columns", "header_only" or "ragged".

`iter_chunks` then yields `(first_row_number, frame)` pairs: a frame of at most `chunk_rows`
rows with one column per canonical column the header names (text columns as strings; CSV
numbers already numeric where pandas' C parser read them, everything else as text for
`validate` to read with the value grammar). Memory grows with the chunk size, not the file.

The structural pass of a CSV without quote characters is vectorised over the raw bytes
(`,` `;` tab, `"` and line feeds are single bytes in UTF-8 and in GB18030); a CSV with
quotes is walked with the csv module so quoted delimiters and line breaks count right.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from storage.importers.detect import (
    HEADER_SEARCH_ROWS,
    detect_container,
    find_header,
    first_record,
    locate_header,
    scan_text,
)
from storage.importers.errors import ImportRejected
from storage.importers.guard import MAX_LINE_BYTES, check_xlsx
from storage.importers.kinds import HeaderMatch
from storage.importers.sheets import Workbook
from storage.importers.source import Blob

__all__ = ["DEFAULT_CHUNK_ROWS", "Layout", "cell_text", "iter_chunks", "read_layout"]

DEFAULT_CHUNK_ROWS: Final = 50_000
_SAMPLE_BYTES: Final = 64 * 1024
_SCAN_BLOCK: Final = 4 << 20
_MAX_SHOWN: Final = 5


@dataclass
class Layout:
    """Where a table's data is and what it holds."""

    container: str  # "csv" | "xlsx"
    match: HeaderMatch
    header: list[str]
    preamble: list[list[str]]
    rows: int  # data rows (blank lines not counted)
    content_hash: str
    encoding: str | None = None
    bom: int = 0
    delimiter: str | None = None
    skip: int = 0  # csv: records (blank lines included) up to the header; xlsx: header row
    sheet: str | None = None
    ragged: list[tuple[int, int]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.match.kind.name


def read_layout(blob: Blob, mapping: Mapping[str, str] | None = None) -> Layout:
    """The layout of the table in `blob` (see module doc); raises `ImportRejected`.

    `mapping` (canonical column → header cell) places columns the aliases do not know.
    """
    if blob.size == 0:
        raise ImportRejected.for_code("empty")
    if detect_container(blob) == "xlsx":
        check_xlsx(blob)
        return _xlsx_layout(blob, mapping)
    _check_lines(blob)
    return _csv_layout(blob, mapping)


def _check_lines(blob: Blob, limit: int = MAX_LINE_BYTES) -> None:
    """Refuse a text whose longest line passes `limit` bytes ("line_too_long", 1 = first
    line), one block in memory at a time."""
    line = 1  # the line the current block starts in
    since = 0  # bytes of that line in earlier blocks
    for block in blob.blocks(0, _SCAN_BLOCK):
        arr = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)
        if len(ends) == 0:
            since += len(arr)
        else:
            lengths = np.diff(ends, prepend=-1) - 1
            lengths[0] += since
            longest = int(np.argmax(lengths))
            if lengths[longest] > limit:
                raise ImportRejected.for_code("line_too_long", line=line + longest, limit=limit)
            line += len(ends)
            since = len(arr) - int(ends[-1]) - 1
        if since > limit:
            raise ImportRejected.for_code("line_too_long", line=line, limit=limit)


# ------------------------------------------------------------------------------------- CSV


def _sample_text(blob: Blob, encoding: str, bom: int) -> str:
    raw = blob.head(bom + _SAMPLE_BYTES)[bom:]
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=False)
    if blob.size > bom + _SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def _check_match(match: HeaderMatch, header: Sequence[str]) -> None:
    if not match.complete:
        raise ImportRejected.for_code(
            "missing_columns",
            kind=match.kind.name,
            columns=list(match.missing),
            header=[c.strip() for c in header],
        )


def _csv_layout(blob: Blob, mapping: Mapping[str, str] | None = None) -> Layout:
    info = scan_text(blob)
    sample = _sample_text(blob, info.encoding, info.bom)
    if not sample.strip():
        raise ImportRejected.for_code("empty")
    location = locate_header(sample, mapping)
    if location is None:
        first = first_record(sample)
        if len(first) >= 2:
            raise ImportRejected.for_code("unknown_kind", columns=[c.strip() for c in first][:20])
        raise ImportRejected.for_code(
            "not_a_table", reason="no_table", detail="no rows of cells separated by , ; or tab"
        )
    _check_match(location.match, location.header)
    layout = Layout(
        container="csv",
        match=location.match,
        header=location.header,
        preamble=location.preamble,
        rows=0,
        content_hash=info.content_hash,
        encoding=info.encoding,
        bom=info.bom,
        delimiter=location.delimiter,
    )
    if _has_quotes(blob, info.bom):
        bad = _scan_csv_quoted(blob, layout, location.index)
    else:
        bad = _scan_csv_plain(blob, layout, location.index)
    _finish_scan(layout, bad)
    return layout


def _has_quotes(blob: Blob, start: int) -> bool:
    return any(b'"' in bytes(block) for block in blob.blocks(start, _SCAN_BLOCK))


class _Counter:
    """Counts records as pandas does (blank lines skipped) and notes ragged data rows."""

    def __init__(self, layout: Layout, header_index: int) -> None:
        self.layout = layout
        self.header_index = header_index
        self.record = -1  # index among non-blank records
        self.raw = 0  # records including blank lines (pandas' skiprows unit)
        self.expected = len(layout.header)
        self.bad = 0

    def blank(self, n: int = 1) -> None:
        self.raw += n

    def fields(self, counts: Sequence[int] | np.ndarray) -> None:
        """Account for consecutive non-blank records with these cell counts."""
        counts = np.asarray(counts)
        n = len(counts)
        if n == 0:
            return
        first = self.record + 1
        if first <= self.header_index < first + n:
            at = self.header_index - first
            self.expected = int(counts[at])
            self.layout.skip = self.raw + at + 1
            counts = counts[at + 1 :]
            first = self.header_index + 1
            self.record = self.header_index
            self.raw += at + 1
            n = len(counts)
        elif first + n <= self.header_index:
            self.record += n
            self.raw += n
            return
        if n == 0:
            return
        wrong = np.flatnonzero(counts != self.expected)
        self.bad += len(wrong)
        for i in wrong[: max(0, _MAX_SHOWN - len(self.layout.ragged))]:
            self.layout.ragged.append((first + int(i) - self.header_index, int(counts[i])))
        self.layout.rows += n
        self.record += n
        self.raw += n


def _scan_csv_plain(blob: Blob, layout: Layout, header_index: int) -> int:
    assert layout.delimiter is not None
    delim = ord(layout.delimiter)
    counter = _Counter(layout, header_index)
    carry = b""
    for block in blob.blocks(layout.bom, _SCAN_BLOCK):
        data = carry + bytes(block)
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        _count_lines(data[: cut + 1], delim, counter)
        carry = data[cut + 1 :]
    if carry:
        _count_lines(carry + b"\n", delim, counter)
    return counter.bad


def _count_lines(chunk: bytes, delim: int, counter: _Counter) -> None:
    arr = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    positions = np.flatnonzero(arr == delim)
    delimiters = np.searchsorted(positions, ends) - np.searchsorted(positions, starts)
    # Blank lines (nothing but spaces and a CR) are skipped, as pandas skips them; only a
    # line without delimiters can be one, so only those few are looked at byte by byte.
    blank = np.zeros(len(ends), dtype=bool)
    for i in np.flatnonzero(delimiters == 0):
        blank[i] = not chunk[starts[i] : ends[i]].strip(b" \r")
    if not blank.any():
        counter.fields(delimiters + 1)
        return
    # Walk runs of blank / non-blank lines in order.
    change = np.flatnonzero(np.diff(blank.astype(np.int8))) + 1
    bounds = np.concatenate(([0], change, [len(blank)]))
    for lo, hi in itertools.pairwise(bounds.tolist()):
        if blank[lo]:
            counter.blank(int(hi - lo))
        else:
            counter.fields(delimiters[lo:hi] + 1)


def _text_stream(blob: Blob, layout: Layout) -> io.TextIOWrapper:
    assert layout.encoding is not None
    return io.TextIOWrapper(blob.open(layout.bom), encoding=layout.encoding, newline="")


def _scan_csv_quoted(blob: Blob, layout: Layout, header_index: int) -> int:
    counter = _Counter(layout, header_index)
    pending: list[int] = []
    with _text_stream(blob, layout) as stream:
        reader = csv.reader(stream, delimiter=layout.delimiter or ",")
        try:
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip(" \r")):
                    counter.fields(pending)
                    pending = []
                    counter.blank()
                    continue
                pending.append(len(row))
                if len(pending) >= 10_000:
                    counter.fields(pending)
                    pending = []
        except csv.Error as exc:
            raise ImportRejected.for_code(
                "not_a_table", reason="no_table", detail=f"broken CSV quoting: {exc}"
            ) from exc
    counter.fields(pending)
    return counter.bad


def _finish_scan(layout: Layout, bad: int) -> None:
    if bad:
        raise ImportRejected.for_code(
            "ragged", rows=list(layout.ragged), expected=len(layout.header), count=bad
        )
    if layout.rows == 0:
        raise ImportRejected.for_code(
            "header_only", kind=layout.kind, columns=[c.strip() for c in layout.header]
        )


def _csv_chunks(blob: Blob, layout: Layout, chunk_rows: int) -> Iterator[pd.DataFrame]:
    width = len(layout.header)
    names = [f"c{i}" for i in range(width)]
    wanted = {spec_name: pos for spec_name, (pos, _, _) in layout.match.columns.items()}
    text_cols = {
        f"c{pos}" for name, pos in wanted.items() if layout.match.kind.column(name).type == "text"
    }
    usecols = sorted({f"c{pos}" for pos in wanted.values()}, key=lambda c: int(c[1:]))
    rename = {f"c{pos}": name for name, pos in wanted.items()}
    # Numbers are left to pandas' C parser; text columns stay text.
    dtype: dict[str, Any] = {c: str for c in text_cols}
    stream = blob.open(layout.bom)
    try:
        reader = pd.read_csv(
            stream,
            sep=layout.delimiter,
            header=None,
            names=names,
            usecols=usecols,
            skiprows=layout.skip,
            dtype=dtype,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            index_col=False,
            encoding=layout.encoding,
            engine="c",
            chunksize=chunk_rows,
        )
        with reader:
            for frame in reader:
                yield frame.rename(columns=rename)
    finally:
        stream.close()


# ------------------------------------------------------------------------------------ XLSX


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text the value grammar reads."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return repr(value.total_seconds())
    return str(value)


def _sheet_rows(wb: Workbook, title: str) -> Iterator[list[str]]:
    for row in wb.rows(title):
        cells = [cell_text(v) for v in row]
        while cells and not cells[-1].strip():
            cells.pop()
        yield cells


def _xlsx_layout(blob: Blob, mapping: Mapping[str, str] | None = None) -> Layout:
    with Workbook(blob) as wb:
        best: tuple[str, int, HeaderMatch, list[list[str]]] | None = None
        first_cells: list[str] = []
        for title in wb.titles:
            head: list[list[str]] = []
            for cells in _sheet_rows(wb, title):
                head.append(cells)
                if len(head) >= HEADER_SEARCH_ROWS:
                    break
            non_blank = [r for r in head if any(c.strip() for c in r)]
            if non_blank and len(non_blank[0]) > len(first_cells):
                first_cells = non_blank[0]
            found = find_header(head, mapping)
            if found is None:
                continue
            index, m = found
            if best is None or (m.complete, m.score) > (best[2].complete, best[2].score):
                best = (title, index, m, head)
        if best is None:
            if not first_cells:
                raise ImportRejected.for_code("empty")
            raise ImportRejected.for_code("unknown_kind", columns=first_cells[:20])
        title, index, m, head = best
        _check_match(m, head[index])
        layout = Layout(
            container="xlsx",
            match=m,
            header=head[index],
            preamble=[r for r in head[:index] if any(c.strip() for c in r)],
            rows=0,
            content_hash="",
            sheet=title,
            skip=index,
        )
        digest = hashlib.sha256()
        width = len(layout.header)
        bad = 0
        for i, cells in enumerate(_sheet_rows(wb, title)):
            digest.update("\x1f".join(cells).encode("utf-8") + b"\n")
            if i <= index or not any(c.strip() for c in cells):
                continue
            layout.rows += 1
            if len(cells) > width:
                bad += 1
                if len(layout.ragged) < _MAX_SHOWN:
                    layout.ragged.append((layout.rows, len(cells)))
        layout.content_hash = digest.hexdigest()
        _finish_scan(layout, bad)
        return layout


def _xlsx_chunks(blob: Blob, layout: Layout, chunk_rows: int) -> Iterator[pd.DataFrame]:
    assert layout.sheet is not None
    with Workbook(blob) as wb:
        positions = {name: pos for name, (pos, _, _) in layout.match.columns.items()}
        buffer: list[list[str]] = []
        for i, cells in enumerate(_sheet_rows(wb, layout.sheet)):
            if i <= layout.skip or not any(c.strip() for c in cells):
                continue
            buffer.append([cells[p] if p < len(cells) else "" for p in positions.values()])
            if len(buffer) >= chunk_rows:
                yield pd.DataFrame(buffer, columns=list(positions), dtype=object)
                buffer = []
        if buffer:
            yield pd.DataFrame(buffer, columns=list(positions), dtype=object)


def iter_chunks(
    blob: Blob, layout: Layout, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[tuple[int, pd.DataFrame]]:
    """`(first_row_number, frame)` for the data rows, `chunk_rows` at a time.

    Frames have one column per canonical column the header names. Raises `ImportRejected`
    ("not_a_table") when the rows read disagree with the structural pass.
    """
    source = _xlsx_chunks if layout.container == "xlsx" else _csv_chunks
    done = 0
    for frame in source(blob, layout, chunk_rows):
        frame.index = pd.RangeIndex(done, done + len(frame))
        yield done + 1, frame
        done += len(frame)
    if done != layout.rows:
        raise ImportRejected.for_code(
            "not_a_table",
            reason="no_table",
            detail=f"read {done} rows where the layout counted {layout.rows}",
        )
