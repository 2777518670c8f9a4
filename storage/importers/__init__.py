"""Importers: an uploaded file → a validated canonical frame → one transaction.

`import_file` (importer) is the one path for the bot and the CLI; `parse_file` (validate)
reads a file without storing it; `ImportRejected` (errors) says why a file was refused,
with a machine-readable `code`; `values` reads numbers, durations and times as the
platforms and hosts write them.
"""

from storage.importers.detect import MAX_BYTES
from storage.importers.errors import CODES, ImportRejected, MoneyCell, RowError
from storage.importers.importer import ImportResult, import_file
from storage.importers.validate import ParsedFile, parse_file

__all__ = [
    "CODES",
    "MAX_BYTES",
    "ImportRejected",
    "ImportResult",
    "MoneyCell",
    "ParsedFile",
    "RowError",
    "import_file",
    "parse_file",
]
