"""Session reports: frames from storage → core report → text (and charts) in the workspace's
language. Shared by /summary, the scheduled summary, `livehost report` and the demo."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.formatting import fmt_change_pct, fmt_duration, fmt_money, fmt_num, fmt_pct, fmt_title
from bot.i18n import CATALOG, t
from bot.services.figures import platform_row, platform_title, store_figures
from storage import repositories as repo
from storage.engine import session_scope

if TYPE_CHECKING:
    from bot.services.products import TimelineReport
    from core.figures import Contradiction
    from core.report import SessionReport

__all__ = [
    "SHORT_SESSION_S",
    "ReportBundle",
    "contradiction_line",
    "contradiction_lines",
    "format_summary",
    "is_too_short",
    "session_report",
    "slip_lines",
    "write_charts",
]


@dataclass
class ReportBundle:
    """A session's report, its text, and its charts (PNG bytes by name) when asked for."""

    session_id: int
    workspace_id: int
    lang: str
    report: SessionReport
    text: str
    charts: dict[str, bytes] = field(default_factory=dict)
    timeline: TimelineReport | None = None
    """Products, segments and event effects, when asked for."""


def session_report(
    engine: Engine,
    *,
    session_id: int,
    workspace_id: int | None = None,
    lang: str | None = None,
    charts: bool = False,
    model: Any = None,
    timeline: bool = False,
) -> ReportBundle | None:
    """Build the report of a stored session (only the given workspace's when one is given);
    with ``timeline``, its products, segments and event effects too, from the same reads."""
    from bot.services.products import build_timeline, read_timeline
    from core.report import build_report

    with session_scope(engine) as session:
        if workspace_id is None:
            live = repo.get_session_any(session, session_id=session_id)
        else:
            live = repo.get_session(session, workspace_id=workspace_id, session_id=session_id)
        if live is None:
            return None
        ws = repo.get_workspace(session, workspace_id=live.workspace_id)
        assert ws is not None
        language = lang or ws.language
        tz = ws.timezone
        currency = ws.currency
        title, started_at, ended_at = live.title, live.started_at, live.ended_at
        frames = {
            "snapshots": repo.snapshots_frame(session, session_id=session_id),
            "minutes": repo.minutes_frame(session, session_id=session_id),
            "viewers": repo.viewers_frame(session, session_id=session_id),
            "products": repo.products_frame(session, session_id=session_id),
        }
        owner = live.workspace_id
        closed = live.status != "open"
        platform = platform_row(session, workspace_id=owner, started_at=started_at)
        title = title or platform_title(platform)
        timeline_frames = (
            read_timeline(
                session, live=live, minutes=frames["minutes"], products=frames["products"]
            )
            if timeline
            else None
        )
    report = build_report(
        snapshots=frames["snapshots"] if len(frames["snapshots"]) else None,
        minutes=frames["minutes"] if len(frames["minutes"]) else None,
        viewers=frames["viewers"] if len(frames["viewers"]) else None,
        platform=platform,
        products=frames["products"] if len(frames["products"]) else None,
        model=model,
        title=title,
        started_at=started_at,
        ended_at=ended_at,
    )
    if closed:  # the report computed them: keep them for history
        with session_scope(engine) as session:
            if repo.get_session_any(session, session_id=session_id) is not None:
                store_figures(session, session_id=session_id, figures=report.figures)
    text = format_summary(report, language, session_id=session_id, timezone=tz, currency=currency)
    bundle = ReportBundle(session_id, owner, language, report, text)
    if timeline_frames is not None:
        bundle.timeline = build_timeline(
            timeline_frames, session_gmv=report.figures.values_dict().get("gmv")
        )
    if charts:
        from core.charts import summary_charts

        bundle.charts = summary_charts(report, language, tz=tz, currency=currency)
    return bundle


def write_charts(charts: dict[str, bytes], out_dir: Path) -> list[Path]:
    """Write PNG charts as `<name>.png` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, png in charts.items():
        path = out_dir / f"{name}.png"
        path.write_bytes(png)
        paths.append(path)
    return paths


def _when(report: SessionReport, timezone: str) -> str:
    start = report.started_at
    if start is None:
        return "—"
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return start.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _suggestion(
    code: str, params: dict[str, Any], lang: str, currency: str | None = None
) -> str | None:
    key = f"sugg_{code}"
    if key not in CATALOG:
        return None
    shown: dict[str, object] = {}
    for name, value in params.items():
        if name == "base":
            shown[name] = t(lang, f"stage_{'views' if value == 'viewers' else value}")
        elif name.endswith(("_gmv", "spend", "per_10min")) and isinstance(value, int | float):
            shown[name] = fmt_money(float(value), lang, currency)
        elif name.endswith("_s") and isinstance(value, int | float):
            # written as the summary's other durations are: the same figure, the same words
            shown[name] = fmt_duration(float(value), lang)
        elif isinstance(value, float):
            shown[name] = f"{value:.1f}".rstrip("0").rstrip(".")
        else:
            shown[name] = value
    try:
        return t(lang, key, **shown)
    except KeyError:
        return None


_MONEY = ("gmv",)
_DURATION = ("duration_s", "watch_s", "platform_avg_stay_s")


def _figure_value(name: str, value: float, lang: str, currency: str | None = None) -> str:
    if name in _MONEY:
        return fmt_money(value, lang, currency)
    if name in _DURATION:
        return fmt_duration(value, lang)
    return fmt_num(value, lang)


def disagreement_lines(report: SessionReport, lang: str, currency: str | None = None) -> list[str]:
    """One line for each figure its sources disagree on: the other sources' values, the
    one used with its difference to the first of them, and which one was used."""
    by_figure: dict[str, list[Any]] = {}
    for r in report.figures.reconciliation:
        if f"figname_{r.figure}" in CATALOG:
            by_figure.setdefault(r.figure, []).append(r)
    sep = "，" if lang == "zh" else ", "
    out = []
    for figure, entries in by_figure.items():
        first = entries[0]
        others = sep.join(
            t(lang, f"figsrc_{r.other_source}")
            + " "
            + _figure_value(figure, r.other_value, lang, currency)
            for r in entries
        )
        diff = "—" if not math.isfinite(first.rel_diff) else fmt_change_pct(first.rel_diff)
        out.append(
            t(
                lang,
                "figures_disagree",
                figure=t(lang, f"figname_{figure}"),
                others=others,
                chosen_source=t(lang, f"figsrc_{first.chosen_source}"),
                chosen=_figure_value(figure, first.chosen_value, lang, currency),
                diff=diff,
            )
        )
    return out


def contradiction_lines(report: SessionReport, lang: str, currency: str | None = None) -> list[str]:
    """One line for each sales figure left out because another contradicts it (more
    buyers than orders): both values with their sources."""
    lines = (contradiction_line(c, lang, currency) for c in report.figures.contradictions)
    return [line for line in lines if line is not None]


def contradiction_line(c: Contradiction, lang: str, currency: str | None = None) -> str | None:
    """The line for one figure left out against another (None for figures without words)."""
    if f"figname_{c.figure}" not in CATALOG or f"figname_{c.against}" not in CATALOG:
        return None
    if c.moment:
        return t(
            lang,
            "figures_other_moment" if c.gmv_then is not None else "figures_other_moment_before",
            figure=t(lang, f"figname_{c.figure}"),
            value=_figure_value(c.figure, c.value, lang, currency),
            gmv_then=_figure_value("gmv", c.gmv_then or 0.0, lang, currency),
            against_source=t(
                lang,
                "figsrc_pushes_last"
                if c.against_source == "pushes"
                else f"figsrc_{c.against_source}",
            ),
            against_value=_figure_value(c.against, c.against_value, lang, currency),
        )
    return t(
        lang,
        "figures_contradict" if c.value > c.against_value else "figures_contradict_fewer",
        figure=t(lang, f"figname_{c.figure}"),
        source=t(lang, f"figsrc_{c.source}"),
        value=_figure_value(c.figure, c.value, lang, currency),
        against=t(lang, f"figname_{c.against}"),
        against_source=t(lang, f"figsrc_{c.against_source}"),
        against_value=_figure_value(c.against, c.against_value, lang, currency),
    )


def slip_lines(report: SessionReport, lang: str, currency: str | None = None) -> list[str]:
    """One line for each pushed reading left out as a slip of the keyboard: its value, the
    minute of the stream it was pushed at and, for a running total, the reading used."""
    out = []
    for slip in report.figures.slips:
        when = ""
        if report.started_at is not None:
            since = _aware(slip.at) - _aware(report.started_at)
            minute = max(0, int(since.total_seconds() // 60))
            when = t(lang, "figures_slip_when", minute=minute)
        out.append(
            t(
                lang,
                "figures_slip" if slip.instead is None else "figures_slip_jump",
                figure=t(lang, f"figname_{slip.figure}"),
                value=_figure_value(slip.figure, slip.value, lang, currency),
                when=when,
                instead=_figure_value(slip.figure, slip.instead or 0.0, lang, currency),
            )
        )
    return out


def _aware(x: datetime) -> datetime:
    return x.replace(tzinfo=UTC) if x.tzinfo is None else x


SHORT_SESSION_S = 300
"""A session shorter than this with pushes alone (a test, a false start) gets one line."""


def is_too_short(report: SessionReport) -> bool:
    """Nothing to summarise: no data at all, or under five minutes of pushes alone."""
    files = report.sources.get("minutes", 0) + report.sources.get("viewers", 0)
    beyond_pushes = any(
        fig.source not in ("pushes", "session") for fig in report.figures.values.values()
    )
    if files or beyond_pushes:  # exports, a platform's totals, products
        return False
    if not report.sources.get("snapshots", 0):
        return True
    duration = report.kpis.duration_s
    return duration is None or duration < SHORT_SESSION_S


_Item = tuple[str, float | None, Callable[[float], str]]
"""A figure of a line: its catalogue key, its value, how to write the value."""


def _items(lang: str, *items: _Item) -> str:
    """`GMV ¥3.4万 · orders 35`: the figures the data carry, the missing ones left out."""
    shown = [
        t(lang, key, v=fmt(value))
        for key, value, fmt in items
        if value is not None and math.isfinite(value)
    ]
    text = " · ".join(shown)
    return text[:1].upper() + text[1:]  # a line starts with a capital


def _lines(lang: str, *groups: list[_Item]) -> list[str]:
    """One line (`_items`) per group of figures that has any."""
    return [line for group in groups if (line := _items(lang, *group))]


def format_summary(
    report: SessionReport,
    lang: str,
    *,
    session_id: int | None = None,
    timezone: str = "UTC",
    currency: str | None = None,
) -> str:
    """The summary text: headline figures, attention, sales, funnel, audience, suggestions.
    Lines whose figures the data cannot support are left out."""
    k = report.kpis
    lines = [
        t(
            lang,
            "summary_title",
            id=session_id if session_id is not None else "—",
            title=fmt_title(report.title, lang),
            when=_when(report, timezone),
        )
    ]
    if is_too_short(report):
        if report.sources.get("snapshots", 0):
            duration = fmt_duration(k.duration_s, lang)
            lines.append(t(lang, "summary_too_short", duration=duration, id=session_id))
        else:
            lines.append(t(lang, "summary_no_data", id=session_id))
        return "\n".join(lines)
    num = lambda v: fmt_num(v, lang)  # noqa: E731
    dur = lambda v: fmt_duration(v, lang)  # noqa: E731
    money = lambda v: fmt_money(v, lang, currency)  # noqa: E731
    lines += _lines(
        lang,
        [
            ("line_duration", k.duration_s, dur),
            ("line_peak", k.peak_online, num),
            ("line_avg_online", k.avg_online, num),
        ],
        [
            ("line_viewers", k.viewers, num),
            ("line_avg_watch", k.avg_watch_s, dur),
            ("line_engagement", k.engagement_rate, num),
            ("line_followers", k.followers, num),
        ],
    )
    from bot.presenters import attention_line, buying_power_line

    if (line := attention_line(report.attention, lang)) is not None:
        lines.append(line)
    lines += _lines(
        lang,
        [
            ("sales_gmv", k.gmv, money),
            ("sales_orders", k.orders, num),
            ("sales_buyers", k.buyers, num),
            ("sales_per_buyer", k.per_buyer, money),
            ("sales_aov", k.aov, money),
        ],
        [
            ("value_conversion", k.conversion, lambda v: fmt_pct(v, digits=2)),
            ("value_gpm", k.gpm, money),
            ("value_uv", k.uv_value, money),
        ],
        [
            ("products_ctr", k.ctr, fmt_pct),
            ("products_ctor", k.ctor, fmt_pct),
            ("products_items", k.items, num),
        ],
    )
    if len(report.funnel) >= 2:
        sep = " → "
        stages = sep.join(
            f"{t(lang, 'stage_' + s.stage)} {fmt_num(s.value, lang)}" for s in report.funnel
        )
        lines.append(t(lang, "summary_line_funnel", stages=stages))
    if report.segments is not None and len(report.segments.table):
        name_col = "name_zh" if lang == "zh" else "name_en"
        parts = [
            f"{row[name_col]} {fmt_pct(row['share'], digits=0)}"
            for row in report.segments.table.to_dict("records")
        ]
        sep = "、" if lang == "zh" else ", "
        lines.append(t(lang, "summary_line_segments", segments=sep.join(parts)))
    if report.buying_power is not None:
        lines.append(buying_power_line(report.buying_power, lang, currency=currency))
    tips = [
        tip
        for s in report.suggestions
        if (tip := _suggestion(s.code, s.params, lang, currency)) is not None
    ]
    if tips:
        lines.append("")
        lines.append(t(lang, "summary_suggestions"))
        lines.extend(f"{i}. {tip}" for i, tip in enumerate(tips, 1))
    disagreements = disagreement_lines(report, lang, currency)
    disagreements += contradiction_lines(report, lang, currency)
    disagreements += slip_lines(report, lang, currency)
    if disagreements:  # last: the figures above are the ones used
        lines.append("")
        lines.extend(disagreements)
    return "\n".join(lines)
