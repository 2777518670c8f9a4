"""The hostile files of the corpus, written by the tests themselves (nothing large is kept).

Each writer streams its file to a path so that making it costs little memory; the .xlsx
files are minimal workbooks (one sheet) that openpyxl opens.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "csv_with_big_cell",
    "xlsx_bomb",
    "xlsx_empty_rows",
    "xlsx_inline_string",
    "xlsx_shared_strings",
    "xlsx_workbook",
]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{shared}</Types>"
)
_SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "{shared}</Relationships>"
)
_SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _write_entry(archive: zipfile.ZipFile, name: str, parts: Iterable[str | bytes]) -> None:
    with archive.open(name, "w", force_zip64=True) as out:
        for part in parts:
            out.write(part.encode("utf-8") if isinstance(part, str) else part)


def xlsx_workbook(
    path: Path, sheet: Iterable[str | bytes], shared: Iterable[str | bytes] | None = None
) -> Path:
    """A one-sheet workbook whose sheetData holds `sheet` (and sharedStrings `shared`)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        has_shared = shared is not None
        _write_entry(
            archive,
            "[Content_Types].xml",
            [_CONTENT_TYPES.format(shared=_SHARED_TYPE * has_shared)],
        )
        _write_entry(archive, "_rels/.rels", [_ROOT_RELS])
        _write_entry(archive, "xl/workbook.xml", [_WORKBOOK])
        _write_entry(
            archive,
            "xl/_rels/workbook.xml.rels",
            [_WORKBOOK_RELS.format(shared=_SHARED_REL * has_shared)],
        )
        _write_entry(archive, "xl/worksheets/sheet1.xml", [_SHEET_HEAD, *sheet, _SHEET_TAIL])
        if shared is not None:
            _write_entry(archive, "xl/sharedStrings.xml", shared)
    return path


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _viewer_header() -> str:
    return f'<row r="1">{_inline("A1", "user_id")}{_inline("B1", "watch_time")}</row>'


def _viewer_row(r: int, user: str, seconds: int) -> str:
    return f'<row r="{r}">{_inline(f"A{r}", user)}<c r="B{r}"><v>{seconds}</v></c></row>'


def _repeat(piece: bytes, total: int, block: int = 1 << 20) -> Iterator[bytes]:
    chunk = piece * (block // len(piece))
    left = total
    while left > 0:
        out = chunk[: min(len(chunk), left)]
        left -= len(out)
        yield out


def xlsx_inline_string(path: Path, chars: int = 100_000_000) -> Path:
    """A viewer sheet whose second row's user id is one inline string of `chars` 'a's."""
    sheet: list[str | bytes] = [
        _viewer_header(),
        '<row r="2"><c r="A2" t="inlineStr"><is><t>',
        *_repeat(b"a", chars),
        '</t></is></c><c r="B2"><v>30</v></c></row>',
        _viewer_row(3, "u3", 40),
    ]
    return xlsx_workbook(path, sheet)


def xlsx_shared_strings(path: Path, count: int = 5_000_000) -> Path:
    """A viewer sheet over a shared-string table of `count` entries."""
    sst = b"<si><t>x</t></si>"
    shared: list[str | bytes] = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{count}" uniqueCount="{count}">',
        *_repeat(sst, count * len(sst)),
        "</sst>",
    ]
    sheet = [_viewer_header(), _viewer_row(2, "u2", 30)]
    return xlsx_workbook(path, sheet, shared)


def xlsx_bomb(path: Path, unpacked: int = 150 << 20) -> Path:
    """An .xlsx whose sheet unpacks to `unpacked` bytes of blanks, 1,000 times its packed
    size (a zip bomb; the ratio, not the size, gives it away)."""
    sheet: list[str | bytes] = [_viewer_header(), *_repeat(b" ", unpacked)]
    return xlsx_workbook(path, sheet)


def xlsx_empty_rows(path: Path, empty: int = 1_000_000, data: int = 3) -> Path:
    """A viewer sheet: `data` rows, then `empty` rows with no cells, then one more row."""

    def rows() -> Iterator[str]:
        yield _viewer_header()
        for r in range(2, 2 + data):
            yield _viewer_row(r, f"u{r}", 30 + r)
        start = 2 + data
        batch: list[str] = []
        for r in range(start, start + empty):
            batch.append(f'<row r="{r}"/>')
            if len(batch) >= 10_000:
                yield "".join(batch)
                batch = []
        yield "".join(batch)
        yield _viewer_row(start + empty, "last", 99)

    return xlsx_workbook(path, rows())


def csv_with_big_cell(path: Path, cell_bytes: int = 10 * 1024 * 1024) -> Path:
    """A viewer CSV whose second data row's user id is `cell_bytes` long."""
    with path.open("wb") as f:
        f.write(b"user_id,watch_time\nu1,30\n")
        for block in _repeat(b"x", cell_bytes):
            f.write(block)
        f.write(b",40\nu3,50\n")
    return path
