"""Service results as the text a host reads, in the workspace's language."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.formatting import fmt_duration, fmt_money, fmt_num
from bot.i18n import CATALOG, t
from bot.services.imports import ImportOutcome
from bot.services.live import StatResult
from storage.importers import RowError

__all__ = ["KEY_NAMES", "column_question", "fmt_window", "import_reply", "stat_reply"]

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
    if code == "dates_conflict":
        return dates_conflict_reason(params, lang)
    if code in ("empty", "not_a_table", "no_session"):
        return t(lang, f"reject_{code}")
    return t(lang, "reject_other", detail=params.get("detail", code))


def import_reply(outcome: ImportOutcome, name: str, lang: str, tz: str = "UTC") -> str:
    """The answer to an upload (times in the workspace's time zone `tz`)."""
    if not outcome.ok:
        if outcome.code == "ask_column" and outcome.question is not None:
            return column_question(outcome.question, name, lang)
        return t(
            lang,
            "import_rejected",
            name=name,
            reason=rejection_reason(outcome.code or "other", outcome.params, lang),
        )
    kind = t(lang, f"kind_{outcome.kind}") if outcome.kind else ""
    if outcome.created_session and outcome.session_id is not None:
        text = t(
            lang,
            "filed_as_past_stream",
            name=name,
            rows=f"{outcome.rows:,}",
            kind=kind,
            id=outcome.session_id,
            window=fmt_window(outcome.session_start, outcome.session_end, tz),
        )
    else:
        if outcome.session_id is not None:
            target = t(
                lang,
                "filed_target_session",
                id=outcome.session_id,
                title=(("" if lang == "zh" else " ") + f"“{outcome.session_title}”")
                if outcome.session_title
                else "",
                date=fmt_window(outcome.session_start, None, tz, date_only=True),
            )
        else:
            target = t(lang, "import_target_history", sessions=outcome.past_sessions)
        text = t(lang, "import_ok", name=name, rows=f"{outcome.rows:,}", kind=kind, target=target)
    if outcome.updated:
        text += " " + t(
            lang, "filed_new_updated", new=f"{outcome.new:,}", updated=f"{outcome.updated:,}"
        )
    if outcome.moved and outcome.session_id is not None:
        sep = "，" if lang == "zh" else ", "
        items = sep.join(
            t(
                lang,
                "filed_moved_item",
                figure=t(lang, f"figure_{m.name}"),
                before=_figure(m.name, m.before, lang),
                after=_figure(m.name, m.after, lang),
            )
            for m in outcome.moved
        )
        text += "\n" + t(lang, "filed_moved", id=outcome.session_id, items=items)
    return text


def _figure(name: str, value: float | None, lang: str) -> str:
    if name == "gmv":
        return fmt_money(value, lang)
    if name == "avg_watch_s":
        return fmt_duration(value, lang)
    return fmt_num(value, lang)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def fmt_window(
    start: datetime | None, end: datetime | None, tz: str, *, date_only: bool = False
) -> str:
    """`11-20 20:00–22:00` in the time zone `tz` (`11-20` with `date_only`; the end's day
    is shown when it is another day)."""
    if start is None:
        return "—"
    zone = _zone(tz)
    local = start.astimezone(zone)
    if date_only:
        return local.strftime("%Y-%m-%d")
    text = local.strftime("%m-%d %H:%M")
    if end is None:
        return text
    last = end.astimezone(zone)
    return text + "–" + last.strftime("%H:%M" if last.date() == local.date() else "%m-%d %H:%M")


def dates_conflict_reason(params: dict[str, object], lang: str, tz: str = "UTC") -> str:
    """A caption's session and the file's dates disagree: both spans."""

    def when(key: str) -> datetime | None:
        value = params.get(key)
        return value if isinstance(value, datetime) else None

    tz = str(params.get("tz") or tz)
    return t(
        lang,
        "reject_dates_conflict",
        id=params.get("id"),
        file=fmt_window(when("file_start"), when("file_end"), tz),
        session=fmt_window(when("session_start"), when("session_end"), tz),
    )


def column_question(field_name: str, name: str, lang: str) -> str:
    """ "Which column is the watch time?" about an upload."""
    return t(
        lang,
        "filed_ask",
        name=name,
        question=t(
            lang,
            "filed_which_column",
            field=t(lang, f"field_{field_name}")
            if f"field_{field_name}" in CATALOG
            else field_name,
        ),
    )
