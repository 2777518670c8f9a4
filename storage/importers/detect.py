"""What the bytes are: size, container, text encoding, delimiter, where the header is.

* `.xlsx` is recognised by its ZIP signature, an old `.xls` by its OLE signature (refused);
  the file name is never consulted.
* Text: UTF-8 (with or without BOM) is tried first, then GB18030 (a superset of GBK), each
  strictly over the whole file. A file that is neither wholly UTF-8 nor free of UTF-8 —
  some lines Chinese in UTF-8, others not UTF-8 — is refused with code "mixed_encoding"
  and the first line in the minority encoding, rather than read whole as GB18030 (which
  reads any bytes, turning the UTF-8 lines into mojibake). UTF-16/UTF-32 (by BOM, or by
  the NUL pattern without one) are refused with code "encoding"; bytes with NULs or other
  control characters are "not_a_table".
* The same pass computes the content hash: SHA-256 of the text as UTF-8 with line ends
  unified and trailing line ends dropped, so one table saved as GBK or as UTF-8 with a BOM
  and CRLF is recognised as the same content.
* Delimiter (`,` `;` tab) and header row are chosen together: the delimiter under which
  some row of the first 30 names a known kind best (see `kinds.match_header`).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from storage.importers.errors import ImportRejected
from storage.importers.kinds import HeaderMatch, match_header
from storage.importers.source import Blob

__all__ = [
    "DELIMITERS",
    "HEADER_SEARCH_ROWS",
    "MAX_BYTES",
    "HeaderLocation",
    "TextInfo",
    "detect_container",
    "find_header",
    "scan_text",
]

MAX_BYTES: Final = 20 * 1024 * 1024
DELIMITERS: Final = (",", ";", "\t")
HEADER_SEARCH_ROWS: Final = 30
_SAMPLE_BYTES: Final = 64 * 1024
_BLOCK: Final = 1 << 20
# Control characters that never occur in a text table (tab, LF, CR and FF are allowed).
_CONTROL: Final = frozenset(range(32)) - {9, 10, 12, 13}
_CONTROL_BYTES: Final = bytes(sorted(_CONTROL))


def detect_container(blob: Blob) -> str:
    """ "xlsx" or "text"; raises `ImportRejected` for empty, too large, and other binaries."""
    head = blob.head(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRejected.for_code(
            "not_a_table", reason="xls", detail="an old Excel .xls workbook; save it as .xlsx"
        )
    return "text"


@dataclass(frozen=True, slots=True)
class TextInfo:
    """A text file's encoding (Python codec name), BOM length and content hash."""

    encoding: str
    bom: int
    content_hash: str


def _refuse_utf16_32(head: bytes) -> None:
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if head.startswith(bom):
            raise ImportRejected.for_code("encoding", detail=name)
    sample = head[:4096]
    if len(sample) >= 4 and b"\x00" in sample:
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        half = len(sample) // 2
        if max(even, odd) > 0.3 * half and min(even, odd) < 0.05 * half:
            raise ImportRejected.for_code("encoding", detail="UTF-16")
        raise ImportRejected.for_code(
            "not_a_table", reason="binary", detail="the file holds binary data"
        )


def _hash_and_check(blob: Blob, encoding: str, start: int) -> str | None:
    """The content hash when the whole text decodes strictly as `encoding`, else None."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    digest = hashlib.sha256()
    pending = ""
    try:
        for block in blob.blocks(start, _BLOCK):
            raw = bytes(block)
            if len(raw.translate(None, _CONTROL_BYTES)) != len(raw):
                raise ImportRejected.for_code(
                    "not_a_table", reason="binary", detail="control characters in the text"
                )
            text = pending + decoder.decode(raw)
            stripped = text.rstrip("\r\n")
            pending = text[len(stripped) :]
            digest.update(stripped.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8"))
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return digest.hexdigest()


def scan_text(blob: Blob) -> TextInfo:
    """The encoding and content hash of a text file (one pass per candidate encoding)."""
    head = blob.head(_SAMPLE_BYTES)
    _refuse_utf16_32(head)
    if head.startswith(codecs.BOM_UTF8):
        digest = _hash_and_check(blob, "utf-8", len(codecs.BOM_UTF8))
        if digest is None:
            _refuse_mixed(blob, declared_utf8=True)
            raise ImportRejected.for_code("encoding", detail="broken UTF-8")
        return TextInfo("utf-8", len(codecs.BOM_UTF8), digest)
    digest = _hash_and_check(blob, "utf-8", 0)
    if digest is not None:
        return TextInfo("utf-8", 0, digest)
    _refuse_mixed(blob)
    digest = _hash_and_check(blob, "gb18030", 0)
    if digest is not None:
        return TextInfo("gb18030", 0, digest)
    raise ImportRejected.for_code("encoding", detail=_guess_encoding(head))


def _is_wide(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _refuse_mixed(blob: Blob, *, declared_utf8: bool = False) -> None:
    """Raise "mixed_encoding" when some lines are Chinese in UTF-8 and others not UTF-8.

    A line is UTF-8 evidence when it decodes as UTF-8 and holds a CJK character (GBK bytes
    rarely form one), and GBK evidence when it does not decode as UTF-8. The first line of
    the smaller group is named (1 = the file's first line). A file that says it is UTF-8
    (a BOM) names its first line that is not.
    """
    utf8_lines = other_lines = 0
    first_utf8 = first_other = 0
    number = 0
    carry = b""
    for block in blob.blocks(0, _BLOCK):
        lines = (carry + bytes(block)).split(b"\n")
        carry = lines.pop()
        for line in lines:
            number += 1
            if line.isascii():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                other_lines += 1
                first_other = first_other or number
                continue
            if any(_is_wide(ch) for ch in text):
                utf8_lines += 1
                first_utf8 = first_utf8 or number
    if carry and not carry.isascii():
        number += 1
        try:
            if any(_is_wide(ch) for ch in carry.decode("utf-8")):
                utf8_lines += 1
                first_utf8 = first_utf8 or number
        except UnicodeDecodeError:
            other_lines += 1
            first_other = first_other or number
    if other_lines and (utf8_lines or declared_utf8):
        if declared_utf8 or utf8_lines >= other_lines:
            raise ImportRejected.for_code("mixed_encoding", line=first_other, encoding="UTF-8")
        raise ImportRejected.for_code("mixed_encoding", line=first_utf8, encoding="GBK")


def _guess_encoding(head: bytes) -> str:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(head).best()
    except Exception:  # pragma: no cover - the guess only decorates the message
        best = None
    return best.encoding if best is not None else "unknown"


@dataclass(frozen=True)
class HeaderLocation:
    """Where the header is: the delimiter, its record index (0-based), the records above."""

    delimiter: str
    index: int
    match: HeaderMatch
    header: list[str]
    preamble: list[list[str]]


def _sample_records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            records.append(row)
            if len(records) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        pass
    return records


def find_header(
    records: list[list[str]], mapping: Mapping[str, str] | None = None
) -> tuple[int, HeaderMatch] | None:
    """The index of the record that names a kind best, with its match (`mapping`: columns
    placed by the host, see `kinds.match_header`)."""
    best: tuple[int, HeaderMatch] | None = None
    for index, record in enumerate(records[:HEADER_SEARCH_ROWS]):
        m = match_header(record, mapping)
        if m is None:
            continue
        if best is None or (m.complete, m.score) > (best[1].complete, best[1].score):
            best = (index, m)
    return best


def locate_header(
    sample_text: str, mapping: Mapping[str, str] | None = None
) -> HeaderLocation | None:
    """The delimiter and header row of a text table from its first rows (see module doc)."""
    best: HeaderLocation | None = None
    for delimiter in DELIMITERS:
        records = _sample_records(sample_text, delimiter)
        found = find_header(records, mapping)
        if found is None:
            continue
        index, m = found
        if best is None or (m.complete, m.score) > (best.match.complete, best.match.score):
            best = HeaderLocation(delimiter, index, m, records[index], records[:index])
    return best


def first_record(sample_text: str) -> list[str]:
    """The first non-blank record under the delimiter that splits it most (for messages)."""
    candidates = [(_sample_records(sample_text, d)[:1] or [[]])[0] for d in DELIMITERS]
    return max(candidates, key=len)
