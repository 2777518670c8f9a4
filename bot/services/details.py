"""The technical figures behind a push reply or a summary ("details" button): the attention
model's λ and its uncertainty, the buying-power model's R² and MAE. The main texts speak of
stay and leaving; these are for the host who wants the numbers behind them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.engine import Engine
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.services.live import RECENT_WINDOW_S, push_attention
from storage import repositories as repo
from storage.engine import session_scope

__all__ = ["DetailsKind", "SessionDetails", "details_keyboard", "has_details", "session_details"]

DetailsKind = Literal["p", "s"]
"""``p``: behind a push reply (the pushes so far); ``s``: behind a summary (every source)."""


@dataclass(frozen=True)
class SessionDetails:
    """What the details button shows; None where the data carry no such figure."""

    session_id: int
    kind: DetailsKind
    pushes: int
    attention: Any = None  # core.attention.AttentionEstimate
    recent: Any = None  # the last RECENT_WINDOW_S's estimate (pushes only)
    recent_window_s: float = RECENT_WINDOW_S
    buying_power: Any = None  # core.report.BuyingPowerSummary


def session_details(
    engine: Engine, *, workspace_id: int, session_id: int, kind: DetailsKind, model: Any = None
) -> SessionDetails | None:
    """The details of one of the workspace's sessions (None when it has no such session):
    from its pushes for ``p``, from its whole report for ``s``."""
    with session_scope(engine) as session:
        live = repo.get_session(session, workspace_id=workspace_id, session_id=session_id)
        if live is None:
            return None
        frame = repo.snapshots_frame(session, session_id=session_id)
    pushes = len(frame)
    if kind == "p":
        rows = [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
        estimate, recent = push_attention(rows)
        return SessionDetails(session_id, kind, pushes, estimate, recent)
    from bot.services.reports import session_report

    bundle = session_report(
        engine, session_id=session_id, workspace_id=workspace_id, charts=False, model=model
    )
    if bundle is None:
        return None
    report = bundle.report
    return SessionDetails(
        session_id, kind, pushes, report.attention, None, buying_power=report.buying_power
    )


def details_keyboard(
    lang: str, kind: DetailsKind, session_id: int, owner: int = 0
) -> InlineKeyboardMarkup:
    """The "details" button (``owner`` 0: anyone in the chat may press it)."""
    data = f"det:{kind}:{session_id}:{owner}"
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "details_button"), callback_data=data)]]
    )


def has_details(report: Any) -> bool:
    """Whether a summary's report has technical figures to show (λ, R², MAE)."""
    attention = report.attention
    return report.buying_power is not None or (attention is not None and attention.supported)
