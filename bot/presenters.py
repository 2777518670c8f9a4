"""Service results as the text a host reads, in the workspace's language."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from bot.formatting import fmt_duration, fmt_money, fmt_num, fmt_pct
from bot.i18n import CATALOG, t
from bot.services.imports import ImportOutcome
from bot.services.live import StatResult
from storage.importers import RowError

__all__ = ["KEY_NAMES", "attention_line", "buying_power_line", "import_reply", "stat_reply"]

KEY_NAMES: dict[str, tuple[str, str]] = {
    "online": ("online", "在线"),
    "viewers": ("viewers", "场观"),
    "entries": ("entries", "进场"),
    "likes": ("likes", "点赞"),
    "comments": ("comments", "评论"),
    "shares": ("shares", "分享"),
    "followers": ("followers", "涨粉"),
    "clicks": ("clicks", "点击"),
    "orders": ("orders", "订单"),
    "buyers": ("buyers", "成交人数"),
    "gmv": ("GMV", "成交额"),
}


def key_name(key: str, lang: str) -> str:
    names = KEY_NAMES.get(key)
    if names is None:
        return key
    return names[1] if lang == "zh" else names[0]


def _value(key: str, value: float, lang: str) -> str:
    return fmt_money(value, lang) if key == "gmv" else fmt_num(value, lang)


def _signed(key: str, value: float, lang: str) -> str:
    sign = "+" if value >= 0 else "−"
    return sign + _value(key, abs(value), lang)


def known_keys(lang: str) -> str:
    return ", ".join(key_name(k, lang) for k in KEY_NAMES)


def stat_reply(result: StatResult, lang: str, *, explicit: bool) -> str:
    """The answer to a push: what was understood, the change, the live attention."""
    sep = "，" if lang == "zh" else ", "
    if result.status == "bad_values":
        items = sep.join(f"{key_name(k, lang)} “{v}”" for k, v in result.errors)
        return t(lang, "stat_bad_values", items=items)
    if result.status == "nothing":
        if result.unknown:
            return t(
                lang, "stat_unknown_keys", keys=sep.join(result.unknown), known=known_keys(lang)
            )
        return t(lang, "stat_usage", keys=known_keys(lang)) if explicit else t(lang, "stat_nothing")
    if result.status == "no_session":
        return t(lang, "stat_not_live_private" if not explicit else "no_open_session")
    if result.status == "duplicate":
        return t(lang, "stat_duplicate")
    understood = sep.join(
        f"{key_name(k, lang)} {_value(k, v, lang)}" for k, v in result.values.items()
    )
    lines = [t(lang, "stat_ok", values=understood)]
    if result.changes and result.since_s is not None:
        changes = sep.join(
            f"{key_name(k, lang)} {_signed(k, v, lang)}" for k, v in result.changes.items()
        )
        lines.append(
            t(lang, "stat_change", ago=fmt_duration(result.since_s, lang), changes=changes)
        )
    if result.attention_reason is not None:
        why = t(lang, f"att_why_{result.attention_reason}")
        lines.append(t(lang, "att_not_enough", why=why))
    elif result.lambda_per_s is not None and result.half_life_s is not None:
        recent = ""
        if result.recent_lambda_per_s is not None:
            ratio = result.recent_lambda_per_s / result.lambda_per_s
            trend = (
                "trend_worse" if ratio > 1.2 else "trend_better" if ratio < 0.8 else "trend_same"
            )
            recent = t(
                lang,
                "stat_recent",
                lam=f"{result.recent_lambda_per_s * 60:.3f}",
                trend=t(lang, trend),
            )
        lines.append(
            t(
                lang,
                "stat_attention",
                lam=f"{result.lambda_per_s * 60:.3f}",
                half_life=fmt_duration(result.half_life_s, lang),
                recent=recent,
            )
        )
    if result.unknown:
        lines.append(
            t(lang, "stat_unknown_keys", keys=sep.join(result.unknown), known=known_keys(lang))
        )
    return "\n".join(lines)


def _size(n: object) -> str:
    if not isinstance(n, (int, float)) or math.isnan(float(n)):
        return "?"
    return f"{float(n) / 1024 / 1024:.1f} MB"


def _row_errors(errors: object, lang: str) -> str:
    described = []
    for item in list(errors)[:5]:  # type: ignore[call-overload]
        if isinstance(item, RowError):
            why = t(lang, f"why_{item.reason}") if f"why_{item.reason}" in CATALOG else item.reason
            described.append(t(lang, "bad_row", row=item.row_number, column=item.column,
                               value=item.value, reason=why))
        else:
            described.append(str(item))
    return "; ".join(described) or "?"


def rejection_reason(code: str, params: dict[str, object], lang: str) -> str:
    """One clear sentence for an import that was refused."""
    sep = "，" if lang == "zh" else ", "
    if code == "bad_values":
        return t(lang, "reject_bad_values", rows=_row_errors(params.get("errors") or [], lang),
                 count=params.get("count", "?"))
    if code == "ragged":
        rows = [str(row[0]) if isinstance(row, tuple | list) else str(row)
                for row in list(params.get("rows") or [])[:5]]  # type: ignore[call-overload]
        return t(lang, "reject_ragged", rows=sep.join(rows), expected=params.get("expected", "?"))
    if code == "too_large":
        return t(lang, "reject_too_large", size=_size(params.get("size")))
    if code == "duplicate":
        imported = params.get("imported_at")
        when = imported.strftime("%Y-%m-%d %H:%M UTC") if isinstance(imported, datetime) else "?"
        return t(lang, "reject_duplicate", date=when)
    if code in ("unknown_kind", "missing_columns", "header_only"):
        columns = [str(c) for c in list(params.get("columns") or [])[:8]]  # type: ignore[call-overload]
        return t(lang, f"reject_{code}", columns=sep.join(columns))
    if code == "encoding":
        return t(lang, "reject_encoding", detail=params.get("detail", "?"))
    if code == "unknown_session":
        return t(lang, "reject_unknown_session", id=params.get("id"))
    if code in ("empty", "not_a_table", "no_session"):
        return t(lang, f"reject_{code}")
    return t(lang, "reject_other", detail=params.get("detail", code))


def import_reply(outcome: ImportOutcome, name: str, lang: str) -> str:
    """The answer to an upload."""
    if not outcome.ok:
        return t(
            lang,
            "import_rejected",
            name=name,
            reason=rejection_reason(outcome.code or "other", outcome.params, lang),
        )
    if outcome.session_id is not None:
        target = t(
            lang, "import_target_session", id=outcome.session_id, title=outcome.session_title or ""
        )
    else:
        target = t(lang, "import_target_history", sessions=outcome.past_sessions)
    kind = t(lang, f"kind_{outcome.kind}") if outcome.kind else ""
    return t(
        lang, "import_ok", name=name, rows=f"{outcome.rows:,}", kind=kind, target=target
    )


# ------------------------------------------------------------- attention and buying power


def attention_line(a: Any, lang: str) -> str | None:
    """The summary's attention line in words (an ``AttentionEstimate``, or None): the
    share who left within a minute, the (engaged) half-life, the median stay — or "not
    enough data yet" and why."""
    if a is None:
        return None
    if not a.supported:
        return t(lang, "att_not_enough", why=t(lang, f"att_why_{a.reason}"))
    source = t(lang, f"source_{a.source}")
    left = fmt_pct(a.left_first_min_share, digits=0)
    if a.model == "two_phase" and a.engaged_half_life_s and a.median_stay_s is not None:
        return t(
            lang,
            "att_line_two_phase",
            left=left,
            engaged=fmt_duration(a.engaged_half_life_s, lang),
            median=fmt_duration(a.median_stay_s, lang),
            source=source,
        )
    return t(
        lang,
        "att_line_single",
        half_life=fmt_duration(a.half_life_s, lang),
        left=left,
        source=source,
    )


def buying_power_line(bp: Any, lang: str) -> str:
    """The summary's buying-power line (a ``BuyingPowerSummary``): how sure in words from
    the held-out R², predicted against actual GMV, the top tier's share. R² and MAE stay
    in the JSON."""
    total = sum(row.predicted_spend for row in bp.tiers) or None
    top = next((row.predicted_spend for row in bp.tiers if row.tier == "top"), None)
    model = (
        t(lang, "model_baseline")
        if bp.source == "baseline"
        else t(lang, "model_trained", name=bp.model_name)
    )
    return t(
        lang,
        "bp_line",
        model=model,
        sure=t(lang, f"bp_sure_{bp.how_sure}"),
        predicted=fmt_money(bp.predicted_gmv, lang),
        actual=fmt_money(bp.actual_gmv, lang),
        top_share=fmt_pct(top / total if top is not None and total else None, digits=0),
    )
