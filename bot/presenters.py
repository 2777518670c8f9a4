"""Service results as the text a host reads, in the workspace's language."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.formatting import CURRENCY_SIGNS, fmt_duration, fmt_money, fmt_num, fmt_pct
from bot.i18n import CATALOG, t
from bot.services.imports import ImportOutcome
from bot.services.live import StatResult, UndoResult
from bot.services.reports import contradiction_line
from bot.settings_input import currency_from_symbol
from bot.statparse import KEYS, KINDS, Ignored
from storage.importers import MoneyCell, RowError

__all__ = [
    "attention_line",
    "buying_power_line",
    "column_question",
    "currency_named",
    "details_text",
    "fmt_window",
    "ignored_list",
    "import_reply",
    "key_name",
    "stat_reply",
    "stat_reply_parts",
    "undo_reply",
]

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


def _amount(key: str, value: float, lang: str, currency: str | None, *, exact: bool = False) -> str:
    """The number alone, as its kind is written (money with its currency, rates as %);
    ``exact`` for a value the host typed: every digit of it (`1.35万`, not `1.4万`)."""
    kind = KINDS.get(key, "count")
    if kind == "money":
        return fmt_money(value, lang, currency, exact=exact)
    if kind == "rate":
        return fmt_pct(value, exact=exact)
    if kind == "duration":
        return fmt_duration(value, lang)
    return fmt_num(value, lang, exact=exact)


def _change(key: str, value: float, lang: str, currency: str | None) -> str | None:
    if KINDS.get(key) not in ("count", "money"):
        return None  # a rate or an average is read as it stands, not as a difference
    sign = "+" if value >= 0 else "−"
    return sign + _amount(key, abs(value), lang, currency)


def _ignored_item(item: Ignored, lang: str) -> str:
    if item.reason == "worked_out":
        inputs = t(lang, f"worked_from_{item.key}")
        return t(lang, "push_why_worked_out", text=item.text, inputs=inputs)
    label = key_name(item.key, lang) if item.key else ""
    if item.reason == "ambiguous" and len(item.suggestions) == 3:
        written, with_wan, as_written = item.suggestions
        return t(
            lang,
            "push_why_ambiguous_readings",
            text=item.text,
            written=written,
            a=f"{int(with_wan):,}",
            b=f"{int(as_written):,}",
            digits=as_written,
        )
    if item.reason == "split_figure" and len(item.suggestions) == 1:
        return t(lang, "push_why_split_figure_as", text=item.text, joined=item.suggestions[0])
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
    if result.attention_reason is not None:
        return t(lang, "push_stay_not_enough", why=t(lang, f"att_why_{result.attention_reason}"))
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
    """The answer to a push: what was stored (each value with every digit the host typed)
    with its change since the last push, when in the stream, how long viewers stay, and
    what was left out (and why)."""
    own, live = stat_reply_parts(result, lang, explicit=explicit)
    return "\n".join(own[:1] + live + own[1:])


def stat_reply_parts(
    result: StatResult, lang: str, *, explicit: bool
) -> tuple[list[str], list[str]]:
    """The answer to a push as (its own lines: what was stored or left out, the lines a
    later push's answer supersedes: how long viewers stay). Replies merged into one
    message keep each one's own lines and the newest one's stay."""
    if result.status == "bad_values":
        lines = [t(lang, "push_nothing_stored", items=ignored_list(result.ignored, lang))]
        if any(i.reason == "unknown_label" and not i.suggestions for i in result.ignored):
            lines.append(t(lang, "push_known", keys=known_keys(lang)))
        lines.extend(_foreign_currency_line(result, lang))
        return lines, []
    if result.status == "nothing":
        text = t(lang, "stat_usage", keys=known_keys(lang)) if explicit else t(lang, "stat_nothing")
        return [text], []
    if result.status == "no_session":
        return [t(lang, "stat_not_live_private" if not explicit else "no_open_session")], []
    if result.status == "duplicate":
        return [t(lang, "stat_duplicate")], []
    values = []
    for key in result.values:  # in the order the host wrote them, as they wrote them
        typed = _amount(key, result.values[key], lang, result.currency, exact=True)
        value = t(lang, f"push_val_{key}", n=typed)
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
    for key, (kind, previous) in result.suspicious.items():
        lines.append(
            t(
                lang,
                f"push_{kind}",
                name=key_name(key, lang),
                previous=_amount(key, previous, lang, result.currency, exact=True),
                value=_amount(key, result.values[key], lang, result.currency, exact=True),
            )
        )
    stay = _stay_line(result, lang)
    if result.ignored:
        lines.append(t(lang, "push_ignored", items=ignored_list(result.ignored, lang)))
        if any(i.reason == "unknown_label" and not i.suggestions for i in result.ignored):
            lines.append(t(lang, "push_known", keys=known_keys(lang)))
        lines.extend(_foreign_currency_line(result, lang))
    return lines, [stay] if stay is not None else []


def _foreign_currency_line(result: StatResult, lang: str) -> list[str]:
    """Why money in another currency was left out, and how to change the chat's."""
    if result.foreign_currency is None or result.currency is None:
        return []
    return [
        t(
            lang,
            "push_other_currency",
            ours=currency_named(result.currency, lang),
            theirs=currency_named(result.foreign_currency, lang),
            code=result.foreign_currency,
        )
    ]


def undo_reply(result: UndoResult, lang: str, currency: str | None) -> str:
    """The answer to /undo: what was taken back and what the session reads now."""
    if result.status == "no_session":
        return t(lang, "no_open_session")
    if result.status != "removed":
        return t(lang, f"undo_{result.status}")

    def listed(values: dict[str, float]) -> str:
        return _join(
            (
                t(lang, f"push_val_{key}", n=_amount(key, v, lang, currency, exact=True))
                for key, v in values.items()
            ),
            lang,
        )

    now = (
        t(lang, "undo_now", values=listed(result.now)) if result.now else t(lang, "undo_none_left")
    )
    return t(lang, "undo_done", values=listed(result.removed), now=now)


def _size(n: object) -> str:
    if not isinstance(n, (int, float)) or math.isnan(float(n)):
        return "?"
    return f"{float(n) / 1024 / 1024:.1f} MB"


def _row_errors(errors: object, lang: str) -> str:
    described = []
    for item in list(errors)[:5]:  # type: ignore[call-overload]
        if isinstance(item, RowError):
            why = t(lang, f"why_{item.reason}") if f"why_{item.reason}" in CATALOG else item.reason
            described.append(
                t(
                    lang,
                    "bad_row",
                    row=item.row_number,
                    column=item.column,
                    value=item.value,
                    reason=why,
                )
            )
        else:
            described.append(str(item))
    return "; ".join(described) or "?"


def currency_named(code: str, lang: str, sign: str | None = None) -> str:
    """A currency as a host reads it, its name and sign (`US dollars ($)`, `人民币（¥）`);
    `sign` as the file writes it, else the one money figures show. An unknown code as it is."""
    key = f"currency_name_{code.lower()}"
    name = t(lang, key) if key in CATALOG else code
    if sign is None:
        sign = "".join(CURRENCY_SIGNS.get(code, ("", ""))).strip()
    return t(lang, "currency_named", name=name, sign=sign) if sign else name


def _currency_cells(cells: object, lang: str) -> str:
    """The first cell of each currency of a file: `row 1, GMV “$12”: US dollars ($)`."""
    described = []
    for cell in list(cells)[:5]:  # type: ignore[call-overload]
        if isinstance(cell, MoneyCell):
            code = currency_from_symbol(cell.symbol) or cell.symbol
            described.append(
                t(
                    lang,
                    "bad_row",
                    row=cell.row_number,
                    column=cell.column,
                    value=cell.value,
                    reason=currency_named(code, lang, cell.symbol),
                )
            )
        else:
            described.append(str(cell))
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


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


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
        return t(
            lang,
            "reject_bad_values",
            rows=_row_errors(params.get("errors") or [], lang),
            count=params.get("count", "?"),
        )
    if code == "ragged":
        rows = [
            str(row[0]) if isinstance(row, tuple | list) else str(row)
            for row in list(params.get("rows") or [])[:5]  # type: ignore[call-overload]
        ]
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
    if code == "dates_conflict":
        return dates_conflict_reason(params, lang)
    if code == "outlasts_session":
        return t(
            lang,
            "reject_outlasts_session",
            id=params.get("id"),
            count=_count(params.get("count")),
            span=fmt_duration(_seconds(params.get("span_s")), lang),
            longest=fmt_duration(_seconds(params.get("longest_s")), lang),
        )
    if code == "currency_conflict":
        ours = str(params.get("workspace_currency") or "?")
        theirs = str(params.get("currency") or "?")
        symbol = params.get("symbol")
        return t(
            lang,
            "reject_currency_conflict",
            file=currency_named(theirs, lang, str(symbol) if symbol else None),
            workspace=currency_named(ours, lang),
            code=theirs,
        )
    if code == "mixed_currencies":
        return t(lang, "reject_mixed_currencies", cells=_currency_cells(params.get("cells"), lang))
    if code in ("empty", "not_a_table", "no_session"):
        return t(lang, f"reject_{code}")
    return t(lang, "reject_other", detail=params.get("detail", code))


def import_reply(
    outcome: ImportOutcome, name: str, lang: str, tz: str = "UTC", currency: str | None = None
) -> str:
    """The answer to an upload (times in the workspace's time zone `tz`, money in its
    ``currency``, or in the one the file set)."""
    currency = outcome.currency_set or currency
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
                before=_figure(m.name, m.before, lang, currency),
                after=_figure(m.name, m.after, lang, currency),
            )
            for m in outcome.moved
        )
        text += "\n" + t(lang, "filed_moved", id=outcome.session_id, items=items)
        for c in outcome.contradictions:  # why a figure is no longer shown
            line = contradiction_line(c, lang, currency)
            if line is not None:
                text += "\n" + t(lang, "filed_left_out", line=line)
    if outcome.duplicates:
        text += "\n" + t(lang, "import_duplicates", count=f"{outcome.duplicates:,}")
    if outcome.caption_unused is not None:
        text += "\n" + t(lang, "import_caption_unused", id=outcome.caption_unused)
    if outcome.currency_set is not None:
        text += "\n" + t(
            lang, "import_currency_set", currency=currency_named(outcome.currency_set, lang)
        )
    return text


def _figure(name: str, value: float | None, lang: str, currency: str | None = None) -> str:
    if name == "gmv":
        return fmt_money(value, lang, currency)
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


AS_EXPECTED = 0.05
"""Viewers' spend within this share of the model's expectation reads "about what the model
expected"."""


def buying_power_line(bp: Any, lang: str, currency: str | None = None) -> str:
    """The summary's buying-power line (a ``BuyingPowerSummary``): how sure in words from
    the held-out R², what these viewers spent against what a trained model expected of
    them, the top tier's share. R² and MAE stay in the JSON.

    The comparison is of the viewer rows with themselves, so it states a share, not a
    second GMV figure beside the session's; the baseline is fitted on these very viewers
    (its predictions sum to their spend), so it compares nothing."""
    from core.report import top_tier_share

    model = (
        t(lang, "model_baseline")
        if bp.source == "baseline"
        else t(lang, "model_trained", name=bp.model_name)
    )
    versus = ""
    if bp.source != "baseline" and bp.predicted_gmv > 0:
        if bp.actual_gmv is None:
            versus = t(
                lang, "bp_expected_spend", predicted=fmt_money(bp.predicted_gmv, lang, currency)
            )
        else:
            change = bp.actual_gmv / bp.predicted_gmv - 1.0
            if abs(change) < AS_EXPECTED:
                versus = t(lang, "bp_spent_as_expected")
            else:
                key = "bp_spent_less" if change < 0 else "bp_spent_more"
                versus = t(lang, key, gap=fmt_pct(abs(change), digits=0))
    return t(
        lang,
        "bp_line",
        model=model,
        sure=t(lang, f"bp_sure_{bp.how_sure}"),
        versus=versus,
        top_share=fmt_pct(top_tier_share(bp.tiers), digits=0),
    )


# ------------------------------------------------------------------------------ details


def _per_min(lambda_per_s: float) -> str:
    return f"{lambda_per_s * 60:.3f}"


def _attention_details(a: Any, lang: str) -> list[str]:
    if not a.supported:
        return [t(lang, "details_no_attention", why=t(lang, f"att_why_{a.reason}"))]
    ci = t(lang, "details_ci", ci=fmt_pct(a.ci_rel, digits=0)) if a.ci_rel is not None else ""
    lines = [
        t(
            lang,
            "details_attention",
            lam=_per_min(a.lambda_per_s),
            half_life=fmt_duration(a.half_life_s, lang),
            ci=ci,
            source=t(lang, f"source_{a.source}"),
            exits=fmt_num(a.events, lang, digits=0),
            exposure=fmt_duration(a.exposure_s, lang),
        )
    ]
    if a.model == "two_phase" and a.bounce_share is not None:
        lines.append(
            t(
                lang,
                "details_two_phase",
                bounce=fmt_pct(a.bounce_share, digits=0),
                bounce_half=fmt_duration(a.bounce_half_life_s, lang),
                engaged=fmt_duration(a.engaged_half_life_s, lang),
                ks="—" if a.ks is None else f"{a.ks:.2f}",
            )
        )
    return lines


def _r2(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.2f}"


def details_text(d: Any, lang: str, currency: str | None = None) -> str:
    """The figures behind a push reply or a summary (a ``SessionDetails``): λ with its
    interval and counts, the recent λ, the buying-power model's R² and MAE."""
    lines = [t(lang, "details_title", id=d.session_id)]
    if d.pushes:
        lines.append(t(lang, "details_pushes", n=d.pushes))
    if d.attention is not None:
        lines.extend(_attention_details(d.attention, lang))
    if d.recent is not None and d.attention is not None and d.attention.supported:
        lines.append(
            t(
                lang,
                "details_recent",
                window=fmt_duration(d.recent_window_s, lang),
                lam=_per_min(d.recent.lambda_per_s),
                half_life=fmt_duration(d.recent.half_life_s, lang),
            )
        )
    bp = d.buying_power
    if bp is not None:
        model = (
            t(lang, "model_baseline")
            if bp.source == "baseline"
            else t(lang, "model_trained", name=bp.model_name)
        )
        held_on = {"sessions": "details_held_sessions", "viewers": "details_held_viewers"}
        lines.append(
            t(
                lang,
                "details_bp",
                model=model,
                r2=_r2(bp.r2),
                in_sample=t(lang, "details_in_sample") if bp.in_sample else "",
                held=_r2(bp.held_out_r2),
                held_on=t(lang, held_on.get(bp.held_out or "", "details_held_none")),
                mae=fmt_money(bp.mae, lang, currency),
            )
        )
    if len(lines) == 1 + bool(d.pushes):
        lines.append(t(lang, "details_none"))
    return "\n".join(lines)
