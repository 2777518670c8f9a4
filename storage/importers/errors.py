"""Why a file was refused: one exception tree with machine-readable codes.

```
ImportRejected                  code + params, phrased by the caller (en or zh)
├── FileUnreadable              empty, not_a_table, encoding, too_large, and the hostile
│                               ones: unpacked_too_large, zip_ratio, too_many_entries,
│                               too_many_strings, cell_too_long, line_too_long,
│                               mixed_encoding
├── FileUnrecognised            unknown_kind, missing_columns, header_only
├── FileInvalid                 ragged, bad_values, mixed_currencies
└── ImportConflict              duplicate, no_session, unknown_session, dates_conflict,
                                outlasts_session, currency_conflict
```

`params` per code (all JSON-friendly except `imported_at`, an aware datetime):

| code | params |
| --- | --- |
| empty | – |
| not_a_table | `reason`: "binary", "xls", "no_table", "bad_xlsx"; `detail` |
| encoding | `detail`: what the bytes look like ("UTF-16", "UTF-32", or a guess) |
| too_large | `size`, `limit` (bytes) |
| unpacked_too_large | `size`, `limit`: bytes an .xlsx unpacks to, and the most allowed |
| zip_ratio | `ratio`, `limit`, `entry`: an entry unpacking to `ratio` × its packed size |
| too_many_entries | `count`, `limit`: files inside the .xlsx |
| too_many_strings | `count`, `limit`: the workbook's shared strings |
| cell_too_long | `length`, `limit`: characters (bytes of XML for an .xlsx) in one cell |
| line_too_long | `line`, `limit`: the line (1 = first) and the most bytes a line may have |
| mixed_encoding | `line`, `encoding`: first line not in the file's `encoding` (1 = first) |
| unknown_kind | `columns`: the header cells read |
| missing_columns | `kind`, `columns`: required columns that are absent; `header`: the cells |
| header_only | `kind`, `columns` |
| ragged | `rows`: [(row, cells)…] first 5, `expected`, `count` |
| bad_values | `errors`: first 5 `RowError`s, `count`: bad rows in all |
| mixed_currencies | `cells`: the first `MoneyCell` of each currency in the money columns |
| duplicate | `imported_at`, `import_id`, `filename` |
| no_session | `kind` |
| unknown_session | `id` |
| dates_conflict | `id`, `file_start`, `file_end`, `session_start`, `session_end` (aware), `tz` |
| outlasts_session | `id`, `span_s` (its run), `longest_s`, `count` (viewers who watched longer) |
| currency_conflict | `symbol` (¥, $, €, £), `currency` (its ISO code), `workspace_currency` |

A file's money columns (type "amount") write one currency or none: a file mixing two is
"mixed_currencies". With a currency, it must be the workspace's ("currency_conflict"
otherwise, checked before the file is filed); a workspace without one takes the file's
(`importer.import_file`, `currencies_of`).

Row numbers count data rows: row 1 is the first row under the header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "CODES",
    "FileInvalid",
    "FileUnreadable",
    "FileUnrecognised",
    "ImportConflict",
    "ImportRejected",
    "MoneyCell",
    "RowError",
]


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell: data row number (1 = first row under the header), column, text, why.

    `column` is the header cell as written in the file; `reason` is one of
    "not_a_number", "negative", "not_whole", "not_a_duration", "not_a_time", "no_date",
    "not_a_bool", "missing", "ragged"; for values out of their bounds (`values.FIELD_BOUNDS`)
    "too_large", "too_early", "too_late" (times from 2015-01-01 to tomorrow), and
    "too_long" (an id longer than `validate.TEXT_LIMITS` allows).
    """

    row_number: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}={self.value!r}: {self.reason}"


@dataclass(frozen=True, slots=True)
class MoneyCell:
    """A money cell and the currency it is written in: data row number (1 = first row under
    the header), column (the header cell as written), text, symbol (¥, $, €, £)."""

    row_number: int
    column: str
    value: str
    symbol: str

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}={self.value!r}: {self.symbol}"


class ImportRejected(Exception):
    """A file that was not imported; nothing of it was stored."""

    codes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, code: str, message: str | None = None, **params: Any) -> None:
        self.code = code
        self.params: dict[str, Any] = params
        super().__init__(message or _describe(code, params))

    @classmethod
    def for_code(cls, code: str, message: str | None = None, **params: Any) -> ImportRejected:
        """The exception of the right subclass for `code`."""
        for sub in (FileUnreadable, FileUnrecognised, FileInvalid, ImportConflict):
            if code in sub.codes:
                return sub(code, message, **params)
        return cls(code, message, **params)


class FileUnreadable(ImportRejected):
    """The bytes are not a table this reads."""

    codes = (
        "empty",
        "not_a_table",
        "encoding",
        "too_large",
        "unpacked_too_large",
        "zip_ratio",
        "too_many_entries",
        "too_many_strings",
        "cell_too_long",
        "line_too_long",
        "mixed_encoding",
    )


class FileUnrecognised(ImportRejected):
    """A table, but not one of the known kinds, or without rows."""

    codes = ("unknown_kind", "missing_columns", "header_only")


class FileInvalid(ImportRejected):
    """A known kind with rows that do not hold."""

    codes = ("ragged", "bad_values", "mixed_currencies")


class ImportConflict(ImportRejected):
    """A good file that cannot go where it was sent."""

    codes = (
        "duplicate",
        "no_session",
        "unknown_session",
        "dates_conflict",
        "outlasts_session",
        "currency_conflict",
    )


CODES: tuple[str, ...] = (
    FileUnreadable.codes + FileUnrecognised.codes + FileInvalid.codes + ImportConflict.codes
)


def _describe(code: str, params: dict[str, Any]) -> str:
    if code == "bad_values":
        shown = "; ".join(str(e) for e in params.get("errors", ()))
        return f"bad_values ({params.get('count', '?')} rows): {shown}"
    if code == "mixed_currencies":
        return "mixed_currencies: " + "; ".join(str(c) for c in params.get("cells", ()))
    if code == "ragged":
        shown = ", ".join(f"row {r} has {n} cells" for r, n in params.get("rows", ()))
        return f"ragged (expected {params.get('expected')} cells): {shown}"
    detail = ", ".join(f"{k}={v}" for k, v in params.items())
    return f"{code}: {detail}" if detail else code
