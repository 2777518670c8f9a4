"""Errors raised by the storage layer: one tree rooted at `StorageError`.

```
StorageError
├── NotFound (also LookupError)           a row the caller named does not exist
│   ├── WorkspaceNotFound
│   ├── SessionNotFound
│   ├── SendNotFound
│   └── ModelVersionNotFound
├── Conflict                              the change would break a uniqueness rule
│   ├── SessionAlreadyOpen                a workspace has at most one open live session
│   └── DuplicateImport                   the same content (or dedupe key) was imported before
├── InvalidValue (also ValueError)        a value or field the schema does not accept
│   └── UnknownColumns                    bulk rows carry columns the table does not have
└── MigrationError                        the schema could not be brought to the head revision
```

Callers catch `StorageError` for anything the database refused on the project's own rules;
driver errors (lost connection, disk full) are not wrapped and propagate as SQLAlchemy errors.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "Conflict",
    "DuplicateImport",
    "InvalidValue",
    "MigrationError",
    "ModelVersionNotFound",
    "NotFound",
    "SendNotFound",
    "SessionAlreadyOpen",
    "SessionNotFound",
    "StorageError",
    "UnknownColumns",
    "WorkspaceNotFound",
]


class StorageError(Exception):
    """Root of every error the storage layer raises on purpose."""


class NotFound(StorageError, LookupError):
    """A row the caller named does not exist (or belongs to another workspace)."""


class WorkspaceNotFound(NotFound):
    """No workspace with that id or chat id."""


class SessionNotFound(NotFound):
    """No live session with that id in that workspace."""


class SendNotFound(NotFound):
    """No scheduled send with that id or key."""


class ModelVersionNotFound(NotFound):
    """No stored model of that kind and version."""


class Conflict(StorageError):
    """The change would break a uniqueness rule."""


class SessionAlreadyOpen(Conflict):
    """The workspace already has an open live session."""

    def __init__(self, workspace_id: int, open_session_id: int | None = None) -> None:
        self.workspace_id = workspace_id
        self.open_session_id = open_session_id
        detail = f" (#{open_session_id})" if open_session_id is not None else ""
        super().__init__(f"workspace {workspace_id} already has an open session{detail}")


class DuplicateImport(Conflict):
    """The same file content (or dedupe key) was already imported into the workspace."""

    def __init__(self, workspace_id: int, content_hash: str, existing_id: int | None = None):
        self.workspace_id = workspace_id
        self.content_hash = content_hash
        self.existing_id = existing_id
        super().__init__(f"content {content_hash[:12]} already imported (workspace {workspace_id})")


class InvalidValue(StorageError, ValueError):
    """A value or field name the schema does not accept."""


class UnknownColumns(InvalidValue):
    """Bulk rows carry columns that the target table does not have."""

    def __init__(self, table: str, columns: Iterable[str]) -> None:
        self.table = table
        self.columns = sorted(columns)
        super().__init__(f"{table}: unknown columns {', '.join(self.columns)}")


class MigrationError(StorageError):
    """The schema could not be brought to the head revision."""
