"""Model files: written with skops, read back only after every check passes.

A model file is a skops archive (a zip of JSON and numpy arrays; loading it never runs
pickle). :func:`load_model` refuses, with :class:`ModelRefused`, before anything is
deserialised:

* a file whose SHA-256 differs from the one recorded when it was written;
* a file that is not a zip archive (a pickle, for instance: its bytes are never handed to
  any loader);
* a file naming any type outside the caller's explicit allow-list
  (:func:`skops.io.get_untrusted_types` is read first; then :func:`skops.io.load` runs
  with ``trusted`` set to that allow-list only);
* an object that is not of the expected class.

:data:`ALLOWED_TYPES` lists the fully-qualified type names our two models are made of
(checked against :func:`skops.io.get_untrusted_types` in the tests).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import skops.io as sio

__all__ = [
    "ALLOWED_TYPES",
    "PICKLE_MAGIC",
    "ModelRefused",
    "dump_model",
    "load_model",
    "sha256_file",
    "untrusted_types",
]

ALLOWED_TYPES: tuple[str, ...] = (
    "core.buying_power.BuyingPowerModel",
    "core.buying_power.LinearBuyingPower",
    "core.forecast_model.GmvForecaster",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)
"""Types a model file may contain besides those skops trusts by default."""

PICKLE_MAGIC = b"\x80"
"""First byte of a pickle of protocol 2 or later."""


class ModelRefused(Exception):
    """A model file failed a check; ``reason`` is one of "missing", "hash", "format",
    "untrusted", "type", "corrupt"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def dump_model(obj: Any, path: str | Path) -> str:
    """Write ``obj`` to ``path`` in skops format (atomically: a temporary file in the same
    folder, then a rename) and return the file's SHA-256."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".skops", dir=target.parent)
    os.close(fd)
    try:
        sio.dump(obj, tmp)
        digest = sha256_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def untrusted_types(path: str | Path) -> list[str]:
    """The types in a skops file that skops does not trust by default."""
    return list(sio.get_untrusted_types(file=str(path)))


def load_model(
    path: str | Path,
    *,
    sha256: str,
    allowed: Iterable[str] = ALLOWED_TYPES,
    expected: type | tuple[type, ...] | None = None,
) -> Any:
    """The object stored at ``path`` after the checks of the module docstring; raises
    :class:`ModelRefused` on the first that fails."""
    p = Path(path)
    if not p.is_file():
        raise ModelRefused("missing", f"{p} does not exist")
    actual = sha256_file(p)
    if actual.lower() != sha256.lower():
        raise ModelRefused("hash", f"{p}: sha256 {actual} ≠ recorded {sha256}")
    with open(p, "rb") as fh:
        head = fh.read(4)
    if head[:1] == PICKLE_MAGIC:
        raise ModelRefused("format", f"{p} is a pickle, not a skops file")
    if not zipfile.is_zipfile(p):
        raise ModelRefused("format", f"{p} is not a skops archive")
    allow = set(allowed)
    try:
        unknown = sorted(set(untrusted_types(p)) - allow)
    except Exception as exc:
        raise ModelRefused("corrupt", f"{p}: cannot read its schema ({exc})") from exc
    if unknown:
        raise ModelRefused("untrusted", f"{p} holds types outside the allow-list: {unknown}")
    try:
        obj = sio.load(p, trusted=sorted(allow))
    except Exception as exc:
        raise ModelRefused("corrupt", f"{p}: {exc}") from exc
    if expected is not None and not isinstance(obj, expected):
        raise ModelRefused("type", f"{p} holds a {type(obj).__name__}")
    return obj
