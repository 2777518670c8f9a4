"""Service results as the text a host reads, in the workspace's language."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from bot.formatting import fmt_duration, fmt_money, fmt_num, fmt_pct
from bot.i18n import CATALOG, t
from bot.services.imports import ImportOutcome
from bot.services.live import StatResult
from bot.statparse import KEYS, KINDS, Ignored
from storage.importers import RowError

__all__ = ["ignored_list", "import_reply", "key_name", "stat_reply"]

PUSH_KEYS = KEYS
"""Snapshot keys in the order a push reply names them."""

MAX_IGNORED_NAMED = 8
"""A push reply names this many parts it did not store, then "…and N more"."""

RECENT_RATIO = 1.2
"""The recent half-life differs from the session's by this factor before the reply says so."""


def key_name(key: str, lang: str) -> str:
    """The snapshot key as a host calls it (`online`, `在线`)."""
    name = f"push_key_{key}"
    return t(lang, name) if name in CATALOG else key


def known_keys(lang: str) -> str:
    return _join((key_name(k, lang) for k in PUSH_KEYS), lang)


def _join(items: Iterable[str], lang: str) -> str:
    return ("，" if lang == "zh" else ", ").join(items)


def _money(value: float, lang: str, currency: str | None) -> str:
    text = fmt_money(value, lang)
    return f"{currency}{text}" if currency else text


def _amount(key: str, value: float, lang: str, currency: str | None) -> str:
    """The number alone, as its kind is written (money with its currency, rates as %)."""
    kind = KINDS.get(key, "count")
    if kind == "money":
        return _money(value, lang, currency)
    if kind == "rate":
        return fmt_pct(value)
    if kind == "duration":
        return fmt_duration(value, lang)
    return fmt_num(value, lang)


def _change(key: str, value: float, lang: str, currency: str | None) -> str | None:
    if KINDS.get(key) not in ("count", "money"):
        return None  # a rate or an average is read as it stands, not as a difference
    sign = "+" if value >= 0 else "−"
    return sign + _amount(key, abs(value), lang, currency)


def _ignored_item(item: Ignored, lang: str) -> str:
    label = key_name(item.key, lang) if item.key else ""
    if item.reason == "unknown_label" and item.suggestions:
        quoted = [t(lang, "push_quoted", text=label) for label in item.suggestions]
        labels = t(lang, "push_or").join(quoted)
        return t(lang, "push_why_suggest", text=item.text, labels=labels)
    return t(lang, f"push_why_{item.reason}", text=item.text, label=label)


def ignored_list(ignored: list[Ignored], lang: str) -> str:
    """The parts not stored, the first few named and the rest counted (fits any message)."""
    named = [_ignored_item(item, lang) for item in ignored[:MAX_IGNORED_NAMED]]
    if len(ignored) > MAX_IGNORED_NAMED:
        named.append(t(lang, "push_more", n=f"{len(ignored) - MAX_IGNORED_NAMED:,}"))
    return _join(named, lang)


def _stay_line(result: StatResult, lang: str) -> str | None:
    if result.half_life_s is None:
        return None
    half = fmt_duration(result.half_life_s, lang)
    recent = result.recent_half_life_s
    if recent is not None:
        params = {
            "half": half,
            "recent": fmt_duration(recent, lang),
            "window": fmt_duration(result.recent_window_s, lang),
        }
        if recent * RECENT_RATIO < result.half_life_s:
            return t(lang, "push_stay_faster", **params)
        if recent > result.half_life_s * RECENT_RATIO:
            return t(lang, "push_stay_slower", **params)
    return t(lang, "push_stay", half=half)


def stat_reply(result: StatResult, lang: str, *, explicit: bool) -> str:
    """The answer to a push: what was stored with its change since the last push, when in
    the stream, how long viewers stay, and what was left out (and why)."""
    if result.status == "bad_values":
        lines = [t(lang, "push_nothing_stored", items=ignored_list(result.ignored, lang))]
        if any(i.reason == "unknown_label" and not i.suggestions for i in result.ignored):
            lines.append(t(lang, "push_known", keys=known_keys(lang)))
        return "\n".join(lines)
    if result.status == "nothing":
        return t(lang, "stat_usage", keys=known_keys(lang)) if explicit else t(lang, "stat_nothing")
    if result.status == "no_session":
        return t(lang, "stat_not_live_private" if not explicit else "no_open_session")
    if result.status == "duplicate":
        return t(lang, "stat_duplicate")
    values = []
    for key in result.values:  # in the order the host wrote them
        value = t(
            lang, f"push_val_{key}", n=_amount(key, result.values[key], lang, result.currency)
        )
        change = (
            _change(key, result.changes[key], lang, result.currency)
            if (key in result.changes and result.since_s is not None)
            else None
        )
        if change is not None:
            value = t(lang, "push_with_change", value=value, change=change)
        values.append(value)
    when = ""
    if result.live_s is not None and result.live_s >= 60:
        elapsed = fmt_duration(result.live_s, lang)
        when = (
            t(lang, "push_when_since", elapsed=elapsed, ago=fmt_duration(result.since_s, lang))
            if result.since_s is not None
            else t(lang, "push_when", elapsed=elapsed)
        )
    lines = [t(lang, "push_got", when=when, values=_join(values, lang))]
    stay = _stay_line(result, lang)
    if stay is not None:
        lines.append(stay)
    if result.ignored:
        lines.append(t(lang, "push_ignored", items=ignored_list(result.ignored, lang)))
        if any(i.reason == "unknown_label" and not i.suggestions for i in result.ignored):
            lines.append(t(lang, "push_known", keys=known_keys(lang)))
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
