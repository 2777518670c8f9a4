"""Words about products and events: chat confirmations, the summary section, the nudge."""

from __future__ import annotations

from bot.formatting import fmt_duration
from bot.i18n import t
from bot.services.timeline import MarkResult

__all__ = ["event_name", "mark_reply", "product_name"]


def product_name(product_no: int | None, label: str | None, lang: str) -> str:
    """`3号 口红` / `#3 口红`; the label alone, or the number alone, when that is all."""
    parts = []
    if product_no is not None:
        parts.append(t(lang, "timeline_product_no", n=product_no))
    if label:
        parts.append(label)
    return " ".join(parts) or t(lang, "timeline_product_unnamed")


def event_name(kind: str, lang: str) -> str:
    return t(lang, f"timeline_event_{kind}")


def _live(seconds: float | None, lang: str) -> str:
    if seconds is None:
        return "—"
    return fmt_duration(round(seconds / 60.0) * 60.0, lang)


def mark_reply(result: MarkResult, lang: str) -> str:
    """ "🛍 讲解 3号 口红（开播 12分钟）", "🛍 讲解结束（开播 40分钟）", "🎁 已标记：福袋"."""
    live = _live(result.live_s, lang)
    if result.kind == "product":
        name = product_name(result.product_no, result.label, lang)
        return t(lang, "timeline_product_ok", product=name, live=live)
    if result.kind == "product_end":
        return t(lang, "timeline_product_end", live=live)
    assert result.kind is not None
    label = result.label or event_name(result.kind, lang)
    return t(lang, "timeline_event_ok", label=label)
