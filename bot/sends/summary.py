"""The summary of a stream, sent when it ends (scheduled) or on /summary (at once): built
in the compute threads, its charts rendered in the chart pool, sent once per data."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Literal

from bot.i18n import t
from bot.sends.kind import PARTS_SENT, Outcome, parts_recorder
from bot.services.active_model import active_model
from bot.services.details import details_keyboard, has_details
from bot.services.filing import (
    SCHEDULED,
    claim_summary_sending,
    release_summary_sending,
    remember_summary,
    summary_fingerprint,
    summary_is_stale_repeat,
)
from bot.services.sending import deliver
from bot.services.summaries import SummaryContent, build_summary, render_summary_charts
from storage.models import ScheduledSend, row_id

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

__all__ = ["NOT_SENT_KEYS", "NowOutcome", "perform", "send_now"]

NowOutcome = Literal["sent", "missing", "underway", "just_sent"]
"""What /summary did: sent the summary; found no such session; or stood back because the
same summary is being sent to the chat right now, or went out moments ago."""
NOT_SENT_KEYS: dict[NowOutcome, str] = {
    "missing": "summary_not_found",
    "underway": "summary_underway",
    "just_sent": "summary_just_sent",
}
"""The catalogue's answer when /summary sent nothing."""


async def perform(scheduler: Scheduler, row: ScheduledSend) -> str:
    """A claimed summary: sent unless this data's summary went out already."""
    payload = row.payload or {}
    session_id = int(payload.get("session_id") or row.key.split(":")[1])
    engine = scheduler.engine
    fingerprint = await scheduler.thread(summary_fingerprint, engine, session_id=session_id)
    if await scheduler.thread(
        summary_is_stale_repeat, engine, session_id=session_id, fingerprint=fingerprint
    ):
        return Outcome.EMPTY  # this data's summary was sent already
    content = await scheduler.compute(
        build_summary,
        engine,
        session_id=session_id,
        model=await scheduler.thread(_buying_power_model, scheduler),
        auto_closed=bool(payload.get("auto_closed")),
    )
    if content is None:
        return Outcome.EMPTY
    charts = await _charts(scheduler, content)
    skip = int(payload.get(PARTS_SENT) or 0)
    if not skip and await scheduler.thread(
        summary_is_stale_repeat, engine, session_id=session_id, fingerprint=fingerprint
    ):
        return Outcome.EMPTY  # a /summary of this data went out while this one was built
    claimed = await scheduler.thread(
        claim_summary_sending, engine, session_id=session_id, fingerprint=fingerprint, by=SCHEDULED
    )
    if not skip and claimed != "claimed":
        return Outcome.EMPTY  # a /summary of this data is being sent
    await deliver(
        scheduler.application.bot,
        content.chat_id,
        content.text,
        charts,
        skip=skip,
        on_part=parts_recorder(scheduler, row_id(row)),
        **_details(content),
    )
    await scheduler.thread(remember_summary, engine, session_id=session_id, fingerprint=fingerprint)
    await scheduler.thread(
        release_summary_sending, engine, session_id=session_id, by=SCHEDULED, sent=True
    )
    return Outcome.SENT


async def send_now(
    scheduler: Scheduler, workspace_id: int, session_id: int, asker: int = 0
) -> NowOutcome:
    """/summary: the session's summary at once ("missing" when there is no such session).
    Its "details" button is for ``asker`` (0: anyone in the chat). The data's summary is
    noted as given before it is built, so that the scheduled summary of the same data, due
    meanwhile, is not sent as well; and while that one (or another /summary) is sending
    it, or moments after it went out, this one stands back ("underway", "just_sent")
    rather than send the chat a copy."""
    engine = scheduler.engine
    me = f"now:{uuid.uuid4().hex}"
    fingerprint = await scheduler.thread(summary_fingerprint, engine, session_id=session_id)
    claimed = await scheduler.thread(
        claim_summary_sending, engine, session_id=session_id, fingerprint=fingerprint, by=me
    )
    if claimed != "claimed":
        return claimed
    sent = False
    try:
        await scheduler.thread(
            remember_summary, engine, session_id=session_id, fingerprint=fingerprint
        )
        content = await scheduler.compute(
            build_summary,
            engine,
            session_id=session_id,
            workspace_id=workspace_id,
            model=await scheduler.thread(_buying_power_model, scheduler),
        )
        if content is None:
            return "missing"
        charts = await _charts(scheduler, content)
        await deliver(
            scheduler.application.bot,
            content.chat_id,
            content.text,
            charts,
            **_details(content, asker),
        )
        sent = True
        return "sent"
    finally:
        await scheduler.thread(
            release_summary_sending, engine, session_id=session_id, by=me, sent=sent
        )


async def _charts(scheduler: Scheduler, content: SummaryContent) -> list[tuple[str, bytes]]:
    """The summary's charts, rendered in the chart pool."""
    return await scheduler.charts.render(
        render_summary_charts,
        content.report,
        content.lang,
        content.marks,
        content.timezone,
        content.timeline,
        content.currency,
    )


def _buying_power_model(scheduler: Scheduler) -> Any:
    settings = scheduler.application.bot_data.settings
    return active_model("buying_power", scheduler.engine, models_dir=settings.models_dir)


def _details(content: SummaryContent, owner: int = 0) -> dict[str, Any]:
    """The summary's "details" button for `deliver` (none when it has no such figures)."""
    if not has_details(content.report):
        return {}
    return {
        "markup": details_keyboard(content.lang, "s", content.session_id, owner),
        "markup_text": t(content.lang, "details_offer"),
    }
