"""The chat's cached workspace (kept on SQLite only) expires, as a safety net."""

from __future__ import annotations

import pytest

import bot.context as context_module
from bot.context import ChatState
from bot.services.workspaces import WorkspaceInfo


def test_cached_workspace_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(context_module.time, "monotonic", lambda: clock[0])
    state = ChatState()
    info = WorkspaceInfo(1, 42, "en", "UTC", True)
    state.workspace = info
    clock[0] += ChatState.TTL_S - 1
    assert state.workspace is info
    clock[0] += 2
    assert state.workspace is None
