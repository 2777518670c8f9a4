"""Words about products and events: chat confirmations, the summary section, the nudge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.formatting import fmt_change_pct, fmt_duration, fmt_money, fmt_num, fmt_pct
from bot.i18n import t
from bot.services.products import TimelineReport
from bot.services.timeline import MarkResult
from core.events import EventEffect
from core.products import ProductFigures, Segment

__all__ = [
    "event_effect_lines",
    "event_name",
    "mark_reply",
    "product_name",
    "product_nudge",
    "timeline_summary_lines",
    "timeline_summary_section",
]


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


# ------------------------------------------------------------------------------- summary


def _pct_change(value: float) -> str:
    """A share as a whole percent without its sign (the words say up or down)."""
    return f"{abs(value) * 100:.0f}%"


def _signed(value: float | None) -> str:
    return "—" if value is None else fmt_change_pct(value, digits=0)


def _product_label(p: ProductFigures, lang: str) -> str:
    return p.name or p.product_id or t(lang, "timeline_product_unnamed")


def event_effect_lines(effects: Sequence[EventEffect], lang: str, window: int = 10) -> list[str]:
    """Only the effects that may be told:
    "福袋后 10 分钟流失率平均降 18%（5 场，区间 −26%…−9%）"."""
    lines: list[str] = []
    for e in effects:
        name = event_name(e.kind, lang)
        if e.hazard_said and e.hazard_change is not None:
            key = (
                "timeline_effect_hazard_down"
                if e.hazard_change < 0
                else "timeline_effect_hazard_up"
            )
            lines.append(
                t(
                    lang,
                    key,
                    event=name,
                    window=window,
                    change=_pct_change(e.hazard_change),
                    n=e.occurrences,
                    low=_signed(e.hazard_low),
                    high=_signed(e.hazard_high),
                )
            )
        if e.gmv_said and e.gmv_change is not None:
            key = "timeline_effect_gmv_up" if e.gmv_change > 0 else "timeline_effect_gmv_down"
            lines.append(
                t(
                    lang,
                    key,
                    event=name,
                    window=window,
                    change=_pct_change(e.gmv_change),
                    n=e.occurrences,
                    low=_signed(e.gmv_low),
                    high=_signed(e.gmv_high),
                )
            )
    return lines


def timeline_summary_lines(
    report: TimelineReport, lang: str, currency: str | None = None
) -> list[str]:
    """The summary's products-and-events section (empty when there is nothing to say): the
    top products, the most-exposed least-converting one, and the event effects told."""
    lines: list[str] = []
    if report.top:
        lines.append(t(lang, "timeline_summary_products"))
        for i, p in enumerate(report.top, 1):
            lines.append(
                t(
                    lang,
                    "timeline_summary_product",
                    i=i,
                    name=_product_label(p, lang),
                    gmv=fmt_money(p.gmv, lang, currency),
                    share=fmt_pct(p.gmv_share, digits=0),
                    ctr=fmt_pct(p.ctr),
                )
            )
    worst = report.exposed_not_converting
    if worst is not None:
        bought = worst.buyers if worst.buyers is not None else worst.orders
        rate = bought / worst.impressions if bought is not None and worst.impressions else None
        lines.append(
            t(
                lang,
                "timeline_summary_worst",
                name=_product_label(worst, lang),
                impressions=fmt_num(worst.impressions, lang),
                conversion=fmt_pct(rate, digits=2),
            )
        )
    effects = event_effect_lines(report.events, lang)
    if effects:
        lines.append(t(lang, "timeline_summary_events"))
        lines.extend(effects)
    return lines


def timeline_summary_section(
    report: TimelineReport | None, lang: str, currency: str | None = None
) -> str:
    """The section as text to append to the summary ("" when there is nothing to say)."""
    if report is None:
        return ""
    return "\n".join(timeline_summary_lines(report, lang, currency))


# --------------------------------------------------------------------------------- nudge


def product_nudge_text(
    *,
    product_no: int | None,
    label: str | None,
    minutes: float,
    ctr: float,
    mean: float,
    lang: str,
) -> str:
    """ "3号 口红 讲解 12 分钟，点击率 1.1%，低于本场均值 2.4%：换品或上福利"."""
    return t(
        lang,
        "timeline_nudge_product",
        product=product_name(product_no, label, lang),
        minutes=int(minutes),
        ctr=fmt_pct(ctr),
        mean=fmt_pct(mean),
    )


def product_nudge(
    segment: Segment,
    *,
    now: datetime,
    ctr: float | None,
    session_ctr: float | None,
    lang: str,
    min_minutes: float = 5.0,
    below: float = 0.75,
) -> str | None:
    """The product nudge's words for ``segment`` at ``now`` — when the product being
    presented has run `min_minutes` and its click rate is under `below` × the session's
    mean; None otherwise."""
    if ctr is None or session_ctr is None or session_ctr <= 0:
        return None
    start = segment.start.to_pydatetime()
    minutes = (now.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60.0
    if minutes < min_minutes or ctr >= below * session_ctr:
        return None
    return product_nudge_text(
        product_no=segment.product_no,
        label=segment.label,
        minutes=minutes,
        ctr=ctr,
        mean=session_ctr,
        lang=lang,
    )
