"""Uploaded exports (.csv / .xlsx): size check, download, import off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import BadRequest

from bot.context import Context
from bot.handlers.common import in_import_worker, reply, workspace_of
from bot.i18n import t
from bot.presenters import import_reply, rejection_reason
from bot.services.imports import import_upload

__all__ = ["PROGRESS_EVERY_S", "document_message"]

PROGRESS_EVERY_S = 2.0


async def document_message(update: Update, context: Context) -> None:
    """Import an uploaded export whole or not at all, showing progress on long files."""
    ws = await workspace_of(update, context)
    message = update.effective_message
    assert message is not None and message.document is not None
    doc = message.document
    name = doc.file_name or "file"
    limit = context.state.settings.max_upload_bytes
    if doc.file_size is not None and doc.file_size > limit:
        reason = rejection_reason("too_large", {"size": doc.file_size, "limit": limit}, ws.language)
        await reply(update, ws.language, "import_rejected", name=name, reason=reason)
        return
    status = await message.reply_text(t(ws.language, "import_started", name=name))
    await message.chat.send_action(ChatAction.TYPING)
    file = await doc.get_file()
    data = bytes(await file.download_as_bytearray())
    done = [0]
    task = asyncio.ensure_future(
        in_import_worker(
            context,
            import_upload,
            context.state.engine,
            workspace_id=ws.id,
            data=data,
            filename=name,
            caption=message.caption,
            now=datetime.now(UTC),
            progress=lambda rows: done.__setitem__(0, rows),
            max_bytes=limit,
        )
    )
    shown = 0
    while not (await asyncio.wait({task}, timeout=PROGRESS_EVERY_S))[0]:
        if done[0] != shown:
            shown = done[0]
            text = t(ws.language, "import_progress", name=name, rows=f"{shown:,}")
            with contextlib.suppress(BadRequest):
                await status.edit_text(text)
    try:
        outcome = task.result()
    except Exception:
        # The status must not stay at "Reading…": say the file was not imported, then let
        # the error handler report the error.
        with contextlib.suppress(Exception):
            await status.edit_text(t(ws.language, "import_failed", name=name))
        raise
    await status.edit_text(import_reply(outcome, name, ws.language))
