"""An .xlsx read row by row in bounded memory (after `guard.check_xlsx` passed).

openpyxl's read-only mode still keeps one (cleared) XML element per row and per shared
string until the part is read to its end, and it yields a filler row for every row number
it skips, so a sheet of a million empty rows costs seconds and a hundred megabytes. Here
openpyxl reads only what is small (the manifest, the workbook, the styles that say which
numbers are dates) and converts the cells of one row at a time (`WorkSheetParser.parse_row`,
so numbers, dates and booleans read as openpyxl reads them), while this module:

* streams the shared strings into a list, one `<si>` element alive at a time;
* streams a sheet through an XML pull parser, dropping each element once read, after a
  byte-level filter has removed the rows that hold no value (`<row r="9"/>`, or rows of
  styled empty cells), so empty rows cost a regular-expression pass and nothing more;
* yields only rows with at least one cell, as lists of values by column (trailing empty
  cells dropped). A row naming a column past `MAX_COLUMNS` is refused ("not_a_table").
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any, Final, cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from storage.importers.errors import ImportRejected
from storage.importers.source import Blob

__all__ = ["MAX_COLUMNS", "Workbook"]

MAX_COLUMNS: Final = 1_024
_BLOCK: Final = 1 << 20
_MAIN: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW: Final = _MAIN + "row"
_SI: Final = _MAIN + "si"
_T: Final = _MAIN + "t"
_RPH: Final = _MAIN + "rPh"
# A row without values: self-closing, or holding only self-closing (styled, empty) cells.
_EMPTY_ROW = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?row\b[^<>]*/>"
    rb"|<((?:[A-Za-z_][\w.-]*:)?)row\b[^<>]*>(?:\s*<\1c\b[^<>]*/>)*\s*</\1row>"
)


def _bad(exc: BaseException) -> ImportRejected:
    return ImportRejected.for_code(
        "not_a_table", reason="bad_xlsx", detail=f"not a readable .xlsx workbook: {exc}"
    )


def _blocks(part: IO[bytes], *, drop_empty_rows: bool) -> Iterator[bytes]:
    """The part's bytes in blocks; empty rows removed when asked (cut at a '<')."""
    carry = b""
    while block := part.read(_BLOCK):
        if not drop_empty_rows:
            yield block
            continue
        data = carry + block
        cut = data.rfind(b"<")
        head, carry = (data, b"") if cut < 0 else (data[:cut], data[cut:])
        yield _EMPTY_ROW.sub(b"", head)
    if carry:
        yield _EMPTY_ROW.sub(b"", carry)


def _elements(part: IO[bytes], *, depth: int, drop_empty_rows: bool = False) -> Iterator[Element]:
    """Each element of the part as it ends. Elements `depth` levels down (a sheet's rows:
    2, a table's shared strings: 1) and above are cut from their parent once the caller
    moves on, so only the element being read and its ancestors are alive; deeper ones (a
    row's cells) stay with their parent, at most `MAX_COLUMNS` of them."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    stack: list[Element] = []
    for block in _blocks(part, drop_empty_rows=drop_empty_rows):
        parser.feed(block)
        for pair in parser.read_events():
            event, element = cast(tuple[str, Element], pair)
            if event == "start":
                stack.append(element)
                continue
            stack.pop()
            yield element
            if not stack:
                continue
            parent = stack[-1]
            if len(stack) <= depth:
                if len(parent) and parent[-1] is element:
                    del parent[-1]
                else:
                    parent.remove(element)
            elif len(parent) > MAX_COLUMNS:
                raise _too_wide()
    parser.close()


def _si_text(si: Element) -> str:
    """The text of one shared string: its `<t>` runs, phonetic runs (`<rPh>`) left out."""
    parts: list[str] = []
    for child in si:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag != _RPH:
            parts.extend(t.text or "" for t in child.iter(_T))
    return "".join(parts).replace("x005F_", "")


class Workbook:
    """An .xlsx: its worksheets' titles, and the rows of one of them (module doc)."""

    def __init__(self, blob: Blob) -> None:
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet
        from openpyxl.xml.constants import SHARED_STRINGS

        self._stream = blob.open()
        try:
            reader = ExcelReader(self._stream, read_only=True, data_only=True)
            reader.read_manifest()
            strings: list[str] = []
            part = reader.package.find(SHARED_STRINGS)
            if part is not None:
                with reader.archive.open(part.PartName[1:]) as src:
                    strings.extend(_si_text(e) for e in _elements(src, depth=1) if e.tag == _SI)
            reader.shared_strings = strings
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            # Not `read_worksheets`: its read-only sheets parse a sheet without a
            # <dimension> to its end just to size it.
            valid = set(reader.valid_files)
            sheets = [
                (sheet.name, rel.target)
                for sheet, rel in reader.parser.find_sheets()
                if rel.target in valid and "chartsheet" not in rel.Type
            ]
        except ImportRejected:
            self._stream.close()
            raise
        except Exception as exc:  # BadZipFile, KeyError, ParseError, TypeError, …
            self._stream.close()
            raise _bad(exc) from exc
        self._archive: zipfile.ZipFile = reader.archive
        self._wb: Any = reader.wb
        self._strings = strings
        self._paths: dict[str, str] = dict(sheets)

    @property
    def titles(self) -> list[str]:
        return list(self._paths)

    def rows(self, title: str) -> Iterator[list[Any]]:
        """The rows of sheet `title` that hold a cell, as values by column."""
        from openpyxl.worksheet._reader import WorkSheetParser

        wb = self._wb
        try:
            with self._archive.open(self._paths[title]) as src:
                cells = WorkSheetParser(
                    src,
                    self._strings,
                    data_only=True,
                    epoch=wb.epoch,
                    date_formats=wb._date_formats,
                    timedelta_formats=wb._timedelta_formats,
                )
                for element in _elements(src, depth=2, drop_empty_rows=True):
                    if element.tag != _ROW:
                        continue
                    if len(element) > MAX_COLUMNS:
                        raise _too_wide()
                    _, parsed = cells.parse_row(element)
                    cells.row_dimensions.clear()
                    yield _values(parsed)
        except ImportRejected:
            raise
        except (
            ParseError,
            zipfile.BadZipFile,
            OSError,
            EOFError,
            ValueError,
            KeyError,
            TypeError,
            OverflowError,
        ) as exc:
            raise _bad(exc) from exc
        except IndexError as exc:  # a shared-string index past the table
            raise _bad(exc) from exc

    def close(self) -> None:
        self._archive.close()
        self._stream.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _too_wide() -> ImportRejected:
    return ImportRejected.for_code(
        "not_a_table",
        reason="no_table",
        detail=f"a row with cells past column {MAX_COLUMNS}",
    )


def _values(parsed: list[dict[str, Any]]) -> list[Any]:
    """Cells (openpyxl's dicts with `column` and `value`) as values by column."""
    width = 0
    for cell in parsed:
        if cell["value"] is not None:
            width = max(width, cell["column"])
    if width > MAX_COLUMNS:
        raise _too_wide()
    values: list[Any] = [None] * width
    for cell in parsed:
        column = cell["column"]
        if column <= width:
            values[column - 1] = cell["value"]
    return values
