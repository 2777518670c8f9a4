"""The bytes of an upload, in memory or on disk, read in blocks without copying the whole.

`Blob(data)` takes `bytes` (or a `bytearray`/`memoryview`) or a path. `open(start)` gives a
binary stream from an offset (for pandas and openpyxl); `blocks(start, size)` yields slices.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["Blob", "BlobData"]

BlobData = bytes | bytearray | memoryview | str | os.PathLike[str]


class _MemoryReader(io.RawIOBase):
    """A raw stream over a memoryview (no copy of the buffer)."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self._view) - self._pos)
        memoryview(buffer).cast("B")[:n] = self._view[self._pos : self._pos + n]
        self._pos += n
        return n


class Blob:
    """An upload's bytes: its size, its first bytes, blocks, and streams from an offset."""

    def __init__(self, data: BlobData) -> None:
        if isinstance(data, (bytes, bytearray, memoryview)):
            self._view: memoryview | None = memoryview(data).cast("B")
            self._path: Path | None = None
            self.size = len(self._view)
        else:
            self._view = None
            self._path = Path(data)
            self.size = self._path.stat().st_size

    def head(self, n: int) -> bytes:
        if self._view is not None:
            return bytes(self._view[:n])
        assert self._path is not None
        with self._path.open("rb") as f:
            return f.read(n)

    def blocks(self, start: int = 0, size: int = 1 << 20) -> Iterator[bytes | memoryview]:
        if self._view is not None:
            for pos in range(start, self.size, size):
                yield self._view[pos : pos + size]
            return
        assert self._path is not None
        with self._path.open("rb") as f:
            f.seek(start)
            while block := f.read(size):
                yield block

    def open(self, start: int = 0) -> BinaryIO:
        """A buffered binary stream positioned at `start` (close it when done)."""
        if self._view is not None:
            return io.BufferedReader(_MemoryReader(self._view[start:]), 1 << 16)
        assert self._path is not None
        f = self._path.open("rb")
        f.seek(start)
        return f
