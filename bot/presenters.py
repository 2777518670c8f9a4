"""Service results as the text a host reads, in the workspace's language."""

from __future__ import annotations

import math
from datetime import datetime

from bot.formatting import fmt_duration, fmt_money, fmt_num
from bot.i18n import CATALOG, t
from bot.services.imports import ImportOutcome
from bot.services.live import StatResult
from storage.importers import RowError

__all__ = ["KEY_NAMES", "import_reply", "stat_reply"]

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
    if result.lambda_per_s is not None and result.half_life_s is not None:
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


# hostile files: refusals before a file is read (storage.importers.guard, detect)
_HOSTILE = frozenset({
    "unpacked_too_large", "zip_ratio", "too_many_entries", "too_many_strings",
    "cell_too_long", "line_too_long", "mixed_encoding",
})  # fmt: skip


def _limit(n: object) -> str:
    if not isinstance(n, (int, float)) or math.isnan(float(n)):
        return "20 MB"
    if n < 1024 * 1024:
        return f"{float(n) / 1024:.0f} KB"
    return f"{float(n) / 1024 / 1024:g} MB"


def _count(n: object) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def _hostile_reason(code: str, params: dict[str, object], lang: str) -> str:
    if code == "unpacked_too_large":
        return t(
            lang,
            "reject_unpacked_too_large",
            size=_size(params.get("size")),
            limit=_limit(params.get("limit")),
        )
    if code == "mixed_encoding":
        return t(
            lang,
            "reject_mixed_encoding",
            line=_count(params.get("line")),
            encoding=params.get("encoding", "UTF-8"),
        )
    shown = {k: _count(v) for k, v in params.items()}
    return t(lang, f"reject_{code}", **shown)


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
        return t(
            lang,
            "reject_too_large",
            size=_size(params.get("size")),
            limit=_limit(params.get("limit")),
        )
    if code in _HOSTILE:
        return _hostile_reason(code, params, lang)
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
    text = t(lang, "import_ok", name=name, rows=f"{outcome.rows:,}", kind=kind, target=target)
    if outcome.duplicates:
        text += "\n" + t(lang, "import_duplicates", count=f"{outcome.duplicates:,}")
    return text
