"""Repositories: keyword-only functions taking a `Session` first.

Import the package and call through it (`from storage import repositories as repo`). The
functions flush but never commit: the caller's unit of work (`storage.engine.session_scope`)
decides. Errors come from `storage.errors`.
"""

from __future__ import annotations

from storage.repositories.bulk import (
    CHUNK_ROWS,
    Upserted,
    bulk_insert_minutes,
    bulk_insert_past_sessions,
    bulk_insert_viewers,
    upsert_minutes,
    upsert_past_sessions,
    upsert_viewers,
)
from storage.repositories.figures import (
    SessionHistoryRow,
    drop_session_figures,
    session_history,
    store_session_figures,
)
from storage.repositories.filing import (
    add_pending_upload,
    answer_pending_upload,
    column_mapping,
    drop_pending_upload,
    get_pending_upload,
    remember_summary_hash,
    save_column_mapping,
    session_data_hash,
    summary_hashes,
)
from storage.repositories.frames import (
    minutes_frame,
    past_sessions_frame,
    snapshots_frame,
    viewers_frame,
)
from storage.repositories.imports import create_import, find_import, list_imports
from storage.repositories.model_versions import (
    activate_model_version,
    active_model_version,
    add_model_version,
    list_model_versions,
)
from storage.repositories.pace import Pace, Slot, forget_idle_paces, reserve_send
from storage.repositories.sends import (
    claim_due_sends,
    drop_send,
    get_send,
    mark_failed,
    mark_sent,
    pending_sends,
    schedule_send,
)
from storage.repositories.sessions import (
    add_closed_session,
    all_sessions,
    close_session,
    get_open_session,
    get_session,
    get_session_any,
    last_session,
    list_sessions,
    open_session,
    overlapping_sessions,
    session_window,
    widen_session,
)
from storage.repositories.snapshots import PushRecord, add_snapshot, record_push, snapshot_rows
from storage.repositories.updates import is_update_processed, mark_update_processed
from storage.repositories.workspaces import (
    UPDATABLE_WORKSPACE_FIELDS,
    delete_workspace_data,
    get_or_create_workspace,
    get_workspace,
    list_workspaces,
    lock_workspace,
    update_workspace,
)

__all__ = [
    "CHUNK_ROWS",
    "UPDATABLE_WORKSPACE_FIELDS",
    "Pace",
    "PushRecord",
    "SessionHistoryRow",
    "Slot",
    "Upserted",
    "activate_model_version",
    "active_model_version",
    "add_closed_session",
    "add_model_version",
    "add_pending_upload",
    "add_snapshot",
    "all_sessions",
    "answer_pending_upload",
    "bulk_insert_minutes",
    "bulk_insert_past_sessions",
    "bulk_insert_viewers",
    "claim_due_sends",
    "close_session",
    "column_mapping",
    "create_import",
    "delete_workspace_data",
    "drop_pending_upload",
    "drop_send",
    "drop_session_figures",
    "find_import",
    "forget_idle_paces",
    "get_open_session",
    "get_or_create_workspace",
    "get_pending_upload",
    "get_send",
    "get_session",
    "get_session_any",
    "get_workspace",
    "is_update_processed",
    "last_session",
    "list_imports",
    "list_model_versions",
    "list_sessions",
    "list_workspaces",
    "lock_workspace",
    "mark_failed",
    "mark_sent",
    "mark_update_processed",
    "minutes_frame",
    "open_session",
    "overlapping_sessions",
    "past_sessions_frame",
    "pending_sends",
    "record_push",
    "remember_summary_hash",
    "reserve_send",
    "save_column_mapping",
    "schedule_send",
    "session_data_hash",
    "session_history",
    "session_window",
    "snapshot_rows",
    "snapshots_frame",
    "store_session_figures",
    "summary_hashes",
    "update_workspace",
    "upsert_minutes",
    "upsert_past_sessions",
    "upsert_viewers",
    "viewers_frame",
    "widen_session",
]
