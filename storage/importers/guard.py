"""Limits checked before a file is read, so a hostile file costs little to refuse.

An .xlsx is a ZIP of XML parts. Before openpyxl sees it, `check_xlsx` reads the ZIP's
central directory and then streams every XML part through the decompressor once, in
blocks, keeping nothing but counters:

| limit | value | refused with |
| --- | --- | --- |
| entries in the ZIP | `MAX_ENTRIES` (1,000) | too_many_entries |
| bytes all entries unpack to | `MAX_UNPACKED` (200 MB) | unpacked_too_large |
| unpacked ÷ packed size of one entry over 1 MB | `MAX_RATIO` (250; sheets run 5–30) | zip_ratio |
| shared strings (`<si>` elements) | `MAX_SHARED_STRINGS` (1,000,000) | too_many_strings |
| bytes of XML between two tags (one cell's text) | `MAX_CELL_BYTES` (128 KiB) | cell_too_long |

The declared sizes are what `zipfile` decompresses at most, so a part that lies about its
size cannot unpack to more than it declared. Memory while checking: one block.

A CSV line longer than `MAX_LINE_BYTES` (64 KiB) is refused with "line_too_long" by the
structural pass in `readers` before pandas reads it; the longest real export line is a few
hundred bytes.

Cells that pass are capped again by meaning after reading (`validate.TEXT_LIMITS`).
"""

from __future__ import annotations

import re
import zipfile
from typing import Final

import numpy as np

from storage.importers.errors import ImportRejected
from storage.importers.source import Blob

__all__ = [
    "MAX_CELL_BYTES",
    "MAX_ENTRIES",
    "MAX_LINE_BYTES",
    "MAX_RATIO",
    "MAX_SHARED_STRINGS",
    "MAX_UNPACKED",
    "check_xlsx",
]

MAX_ENTRIES: Final = 1_000
MAX_UNPACKED: Final = 200 * 1024 * 1024
MAX_RATIO: Final = 250
MAX_SHARED_STRINGS: Final = 1_000_000
MAX_CELL_BYTES: Final = 128 * 1024
MAX_LINE_BYTES: Final = 64 * 1024
_RATIO_FROM: Final = 1 << 20  # small parts compress well and cost nothing
_BLOCK: Final = 1 << 20
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
_LT: Final = ord("<")


def _bad_zip(exc: Exception) -> ImportRejected:
    return ImportRejected.for_code(
        "not_a_table", reason="bad_xlsx", detail=f"not a readable .xlsx workbook: {exc}"
    )


def check_xlsx(blob: Blob) -> None:
    """Refuse an .xlsx whose ZIP or XML passes a limit (module doc); else return."""
    stream = blob.open()
    try:
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise _bad_zip(exc) from exc
        with archive:
            infos = archive.infolist()
            if len(infos) > MAX_ENTRIES:
                raise ImportRejected.for_code(
                    "too_many_entries", count=len(infos), limit=MAX_ENTRIES
                )
            total = sum(i.file_size for i in infos)
            if total > MAX_UNPACKED:
                raise ImportRejected.for_code("unpacked_too_large", size=total, limit=MAX_UNPACKED)
            for info in infos:
                if info.file_size > _RATIO_FROM:
                    ratio = info.file_size / max(info.compress_size, 1)
                    if ratio > MAX_RATIO:
                        raise ImportRejected.for_code(
                            "zip_ratio", ratio=round(ratio), limit=MAX_RATIO, entry=info.filename
                        )
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels")):
                    _scan_part(archive, info)
    finally:
        stream.close()


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Stream one XML part: its longest text between tags, and its shared strings."""
    count_strings = info.filename.lower().endswith("sharedstrings.xml")
    strings = 0
    since_tag = 0  # bytes since the last '<' carried over from earlier blocks
    carry = b""  # an unfinished tag at a block's end, for the shared-string count
    try:
        with archive.open(info) as part:
            while block := part.read(_BLOCK):
                arr = np.frombuffer(block, dtype=np.uint8)
                tags = np.flatnonzero(arr == _LT)
                if len(tags) == 0:
                    since_tag += len(block)
                else:
                    longest = max(since_tag + int(tags[0]), int(np.diff(tags).max(initial=0)))
                    since_tag = len(block) - int(tags[-1])
                    if longest > MAX_CELL_BYTES:
                        raise ImportRejected.for_code(
                            "cell_too_long", length=longest, limit=MAX_CELL_BYTES
                        )
                if since_tag > MAX_CELL_BYTES:
                    raise ImportRejected.for_code(
                        "cell_too_long", length=since_tag, limit=MAX_CELL_BYTES
                    )
                if count_strings:
                    data = carry + block
                    cut = data.rfind(b"<")
                    head, carry = (data, b"") if cut < 0 else (data[:cut], data[cut:])
                    strings += len(_SHARED_STRING.findall(head))
                    if strings > MAX_SHARED_STRINGS:
                        raise ImportRejected.for_code(
                            "too_many_strings", count=strings, limit=MAX_SHARED_STRINGS
                        )
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise _bad_zip(exc) from exc
    if count_strings and _SHARED_STRING.match(carry + b" "):
        strings += 1
        if strings > MAX_SHARED_STRINGS:
            raise ImportRejected.for_code(
                "too_many_strings", count=strings, limit=MAX_SHARED_STRINGS
            )
