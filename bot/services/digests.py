"""Daily digests: when they are due (local time, DST-correct), what they say, and the chart.

A workspace's digest is due each local day at its ``digest_time`` (HH:MM in its time
zone) and covers the local day before: streams tracked live and past sessions imported
from a sessions file alike (an imported row starting within 30 minutes of a live session
is the same stream). It compares the day's GMV with the average of the streaming days of
the 7 days before, the half-life with their median, names the best stream, and draws the
14-day chart. A day without a stream gets no digest. Every figure of it is computed by
`core.figures.digest_figures` from the streams' stored figures; this module loads them
and presents the result.

Each digest is one ``scheduled_send`` row keyed ``digest:{workspace_id}:{local_date}``
(the local date it goes out), so a local day gets one, whatever the clock does: a wall
time that does not exist (spring forward) goes out at the same offset after the jump, one
that exists twice (fall back) at its first occurrence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.formatting import fmt_change_pct, fmt_duration, fmt_money, fmt_pct
from bot.i18n import t
from bot.presenters_timeline import event_effect_lines
from bot.services.figures import SAME_STREAM_S, StreamRecord, stream_history
from bot.services.products import period_event_effects
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import ScheduledSend, Workspace, row_id

__all__ = [
    "CHART_DAYS",
    "DIGEST_BATCH",
    "SAME_STREAM_S",
    "DigestContent",
    "DigestSetting",
    "StreamRecord",
    "build_digest",
    "configure_digest",
    "digest_batches",
    "digest_due_at",
    "digest_in_worker",
    "digest_key",
    "force_digests",
    "next_digest",
    "plan_digests",
    "prepare_digests",
    "render_digest_chart",
    "replan_digest",
    "stream_records",
]

CHART_DAYS = 14
AVERAGE_DAYS = 7
DIGEST_BATCH = 10
"""Digests prepared by one call in a worker process (:func:`prepare_digests`)."""


# ------------------------------------------------------------------------- when it is due


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def digest_due_at(local_date: date, timezone: str, hhmm: str) -> datetime:
    """The UTC moment of the digest of ``local_date`` at wall time ``hhmm`` in ``timezone``
    (a wall time skipped by a DST jump is read with the offset before it, i.e. that much
    after the jump; a repeated one is its first occurrence)."""
    zone = ZoneInfo(timezone)
    wall = datetime.combine(local_date, _hhmm(hhmm), tzinfo=zone)  # fold=0
    return wall.astimezone(UTC)


def next_digest(
    now: datetime, timezone: str, hhmm: str, *, after: date | None = None
) -> tuple[date, datetime]:
    """(local date, UTC due time) of the first digest due after ``now`` (and, with
    ``after``, on a local date later than that)."""
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date() - timedelta(days=1)
    if after is not None and after >= day:
        day = after
    while True:
        day += timedelta(days=1)
        due = digest_due_at(day, timezone, hhmm)
        if due > now:
            return day, due


def digest_key(workspace_id: int, local_date: date) -> str:
    return f"digest:{workspace_id}:{local_date.isoformat()}"


def _plan_one(session: Session, ws: Workspace, now: datetime) -> ScheduledSend | None:
    if not (ws.active and ws.digest_enabled):
        return None
    wid = row_id(ws)
    after: date | None = None
    for _ in range(400):
        day, due = next_digest(now, ws.timezone, ws.digest_time, after=after)
        key = digest_key(wid, day)
        existing = repo.get_send(session, key=key)
        if existing is None:
            return repo.schedule_send(
                session,
                kind="digest",
                key=key,
                due_at=due,
                workspace_id=wid,
                payload={"local_date": day.isoformat(), "due": due.isoformat()},
            )
        if existing.status in ("pending", "claimed"):
            return existing
        after = day  # that day's digest is done: the next one
    return None


def plan_digests(engine: Engine, *, now: datetime) -> list[tuple[str, datetime]]:
    """Give every active workspace with digests on its next digest row (when it has no
    pending one); the (key, due) of each row pending now, for the job queue."""
    with session_scope(engine) as session:
        pending = {row.workspace_id: row for row in repo.pending_sends(session, kind="digest")}
        out = [(row.key, row.due_at) for row in pending.values()]
        for ws in repo.list_workspaces(session):
            if ws.id in pending or not ws.digest_enabled:
                continue
            row = _plan_one(session, ws, now)
            if row is not None and row.status == "pending":
                out.append((row.key, row.due_at))
    return out


def replan_digest(
    engine: Engine, *, workspace_id: int, now: datetime
) -> tuple[str, datetime] | None:
    """After a change of digest time, time zone or switch: remove the workspace's pending
    digest (never sent, so its day is free again) and plan the next one; (key, due) or
    None when digests are off."""
    with session_scope(engine) as session:
        for row in repo.pending_sends(session, kind="digest", workspace_id=workspace_id):
            if row.status == "pending":
                session.delete(row)
        session.flush()
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        if ws is None:
            return None
        planned = _plan_one(session, ws, now)
        return (planned.key, planned.due_at) if planned is not None else None


# ---------------------------------------------------------------------------- the numbers


def stream_records(
    session: Session,
    *,
    workspace_id: int,
    since: datetime,
    until: datetime,
    exclude_session: int | None = None,
    limit: int | None = None,
) -> list[StreamRecord]:
    """The workspace's streams started in [since, until), oldest first: its sessions (live
    or filed from imports) with their stored figures and its imported past sessions that
    match none of them, one record per stream (:func:`bot.services.figures.stream_history`)."""
    return stream_history(
        session,
        workspace_id=workspace_id,
        since=since,
        until=until,
        exclude_session=exclude_session,
        limit=limit,
    )


# ----------------------------------------------------------------------------- the digest


@dataclass
class DigestContent:
    """A digest ready to send: its text and the 14-day records its chart is drawn from."""

    workspace_id: int
    chat_id: int
    lang: str
    text: str
    daily: list[dict[str, Any]] = field(default_factory=list)
    streams: int = 0
    chart: bool = True
    """False when the days are too few for a chart: the text then ends with them as a table."""
    currency: str | None = None
    """The workspace's (ISO code): the chart's GMV axis is in it."""


def _local_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _by_day(records: list[StreamRecord], zone: ZoneInfo) -> dict[date, list[StreamRecord]]:
    out: dict[date, list[StreamRecord]] = {}
    for r in records:
        out.setdefault(r.started_at.astimezone(zone).date(), []).append(r)
    return out


def _values(records: list[StreamRecord]) -> list[dict[str, float | None]]:
    """Each stream's stored figures, as core reads them."""
    return [r.values if r.values is not None else _record_values(r) for r in records]


def _record_values(r: StreamRecord) -> dict[str, float | None]:
    return {
        "gmv": r.gmv if math.isfinite(r.gmv) else None,
        "half_life_s": r.half_life_s if math.isfinite(r.half_life_s) else None,
    }


def _daily(records: list[StreamRecord], zone: ZoneInfo, days: list[date]) -> list[dict[str, Any]]:
    """The chart's days: each day's figures (NaN where unknown, as the chart reads them)."""
    from core.figures import day_figures

    grouped = _by_day(records, zone)
    rows: list[dict[str, Any]] = []
    for day in days:
        figures = day_figures(_values(grouped.get(day, [])))
        rows.append(
            {
                "date": day.isoformat(),
                "gmv": _nan(figures.gmv),
                "half_life_s": _nan(figures.half_life_s),
                "streams": figures.streams,
            }
        )
    return rows


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


_TREND_KEYS = {"better": "trend_better", "worse": "trend_worse", "same": "trend_same"}


def _change(change: float | None, lang: str) -> str:
    return (
        "" if change is None else t(lang, "digest_change", change=fmt_change_pct(change, digits=0))
    )


def build_digest(
    engine: Engine,
    *,
    workspace_id: int,
    covers: date | None = None,
    last_24h_until: datetime | None = None,
) -> DigestContent | None:
    """The digest of local day ``covers`` — or, with ``last_24h_until``, of the 24 hours
    before that moment — in the workspace's language; None when no stream falls in it."""
    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        if ws is None:
            return None
        zone = ZoneInfo(ws.timezone)
        lang = ws.language
        currency = ws.currency
        if last_24h_until is not None:
            end = last_24h_until
            start = end - timedelta(hours=24)
            day = end.astimezone(zone).date()
        else:
            assert covers is not None
            day = covers
            start, end = _local_bounds(day, zone)
        first_day = day - timedelta(days=CHART_DAYS - 1)
        since = min(_local_bounds(first_day, zone)[0], start - timedelta(days=AVERAGE_DAYS))
        records = stream_records(
            session, workspace_id=workspace_id, since=since, until=max(end, start)
        )
        chat_id = ws.chat_id
        period = [r for r in records if start <= r.started_at < end]
        if not period:
            return None
        effects = period_event_effects(
            session,
            workspace_id=workspace_id,
            session_ids=[r.session_id for r in period if r.session_id is not None],
        )
    from core.figures import digest_figures

    days = [first_day + timedelta(days=i) for i in range(CHART_DAYS)]
    daily = _daily([r for r in records if r.started_at < end], zone, days)
    before = [r for r in records if start - timedelta(days=AVERAGE_DAYS) <= r.started_at < start]
    grouped = _by_day(before, zone)
    figures = digest_figures(_values(period), [_values(grouped[d]) for d in sorted(grouped)])

    if last_24h_until is not None:
        lines = [t(lang, "digest_title_24h", date=day.isoformat(), tz=ws_tz(zone))]
    else:
        lines = [t(lang, "digest_title", date=day.isoformat(), tz=ws_tz(zone))]
    avg_text = (
        t(
            lang,
            "digest_vs_average",
            avg=fmt_money(figures.average_gmv, lang, currency),
            change=_change(figures.gmv_change, lang),
        )
        if figures.average_gmv is not None
        else t(lang, "digest_no_average")
    )
    lines.append(
        t(
            lang,
            "digest_gmv",
            streams=figures.streams,
            gmv=fmt_money(figures.gmv, lang, currency),
            average=avg_text,
        )
    )
    if figures.half_life_s is not None:
        if figures.prior_half_life_s is not None and figures.half_life_trend is not None:
            lines.append(
                t(
                    lang,
                    "digest_half_life",
                    half_life=fmt_duration(figures.half_life_s, lang),
                    prior=fmt_duration(figures.prior_half_life_s, lang),
                    trend=t(lang, _TREND_KEYS[figures.half_life_trend]),
                )
            )
        else:
            lines.append(
                t(lang, "digest_half_life_only", half_life=fmt_duration(figures.half_life_s, lang))
            )
    if figures.best is not None:
        best = period[figures.best]
        name = f"#{best.session_id} " if best.session_id is not None else ""
        share = figures.best_share
        lines.append(
            t(
                lang,
                "digest_best",
                name=name,
                title=best.title or "—",
                gmv=fmt_money(best.gmv, lang, currency),
                share=f" ({fmt_pct(share, digits=0)})" if share is not None else "",
            )
        )
    told = event_effect_lines(effects, lang)
    if told:
        lines.append(t(lang, "digest_events", streams=len(period)))
        lines.extend(told)
    from core.charts import digest_has_chart

    chart = digest_has_chart(pd.DataFrame(daily))
    if not chart:  # one or two days say more as a short table than as bars
        lines.extend(_day_table(daily, lang, currency))
    return DigestContent(
        workspace_id,
        chat_id,
        lang,
        "\n".join(lines),
        daily=daily,
        streams=len(period),
        chart=chart,
        currency=currency,
    )


def _day_table(daily: list[dict[str, Any]], lang: str, currency: str | None) -> list[str]:
    """The days of the chart's window that had a stream, one line each."""
    rows = []
    for rec in daily:
        if not rec.get("streams"):
            continue
        half_life = float(rec.get("half_life_s", math.nan))
        rows.append(
            t(
                lang,
                "digest_day_row",
                date=str(rec["date"])[5:],
                streams=t(
                    lang,
                    "digest_day_stream" if rec["streams"] == 1 else "digest_day_streams",
                    n=int(rec["streams"]),
                ),
                gmv=fmt_money(float(rec["gmv"]), lang, currency),
                half_life=t(lang, "digest_day_half_life", half_life=fmt_duration(half_life, lang))
                if math.isfinite(half_life)
                else "",
            )
        )
    if len(rows) < 2:  # the day itself is told above
        return []
    return ["", t(lang, "digest_days_header", days=CHART_DAYS), *rows]


def ws_tz(zone: ZoneInfo) -> str:
    return str(zone.key)


def render_digest_chart(
    daily: list[dict[str, Any]], lang: str, currency: str | None = None
) -> bytes:
    """The 14-day chart, GMV in the workspace's ``currency`` (a top-level function of plain
    data: it runs in a process pool)."""
    from core.charts import digest_chart

    return digest_chart(pd.DataFrame(daily), lang, currency)


# ------------------------------------------------------------- in a worker process

_ENGINES: dict[str, Engine] = {}


def _worker_engine(url: str) -> Engine:
    """The worker process's engine of ``url`` (one a process, made on first use)."""
    engine = _ENGINES.get(url)
    if engine is None:
        from storage.engine import make_engine

        engine = _ENGINES[url] = make_engine(url)
    return engine


def digest_in_worker(
    url: str,
    workspace_id: int,
    covers: date | None = None,
    last_24h_until: datetime | None = None,
) -> DigestContent | None:
    """:func:`build_digest` in a worker process that reaches the database at ``url``
    (``bot.services.worker_db.worker_db_url``): the bot's own threads, which answer pushes,
    share neither its interpreter lock nor its CPU time."""
    return build_digest(
        _worker_engine(url),
        workspace_id=workspace_id,
        covers=covers,
        last_24h_until=last_24h_until,
    )


def prepare_digests(
    url: str, items: list[tuple[int, date]]
) -> list[tuple[DigestContent, bytes] | None]:
    """In a worker process: each (workspace, day)'s digest and its chart, in order (None
    for a day without a stream or a digest without a chart). One call does a batch of
    :data:`DIGEST_BATCH`."""
    out: list[tuple[DigestContent, bytes] | None] = []
    for workspace_id, covers in items:
        content = digest_in_worker(url, workspace_id, covers)
        if content is None or not content.chart:
            out.append(None)
        else:
            png = render_digest_chart(content.daily, content.lang, content.currency)
            out.append((content, png))
    return out


def digest_batches(
    items: list[tuple[int, date]], size: int = DIGEST_BATCH
) -> list[list[tuple[int, date]]]:
    """``items`` cut into batches of ``size`` for :func:`prepare_digests`."""
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class DigestSetting:
    """A workspace's digest after a change: time, zone, on/off and the next one's key."""

    time: str
    timezone: str
    enabled: bool
    next_key: str | None = None
    next_due: datetime | None = None


def configure_digest(
    engine: Engine,
    *,
    workspace_id: int,
    now: datetime,
    time: str | None = None,
    enabled: bool = True,
) -> DigestSetting:
    """Set the digest time (HH:MM, local) and/or switch it on or off, and re-plan it.
    Raises ``storage.errors.InvalidValue`` for a time that is not HH:MM."""
    fields: dict[str, Any] = {"digest_enabled": enabled}
    if time is not None:
        fields["digest_time"] = time
    with session_scope(engine) as session:
        ws = repo.update_workspace(session, workspace_id=workspace_id, **fields)
        hhmm, zone = ws.digest_time, ws.timezone
    planned = replan_digest(engine, workspace_id=workspace_id, now=now)
    if planned is None:
        return DigestSetting(hhmm, zone, enabled)
    return DigestSetting(hhmm, zone, enabled, planned[0], planned[1])


def force_digests(engine: Engine, *, now: datetime, on_date: date | None = None) -> list[str]:
    """Make every active workspace's digest (digests on) of ``on_date`` — default each
    one's yesterday — due now; one that went out already is left alone. The keys due."""
    keys: list[str] = []
    with session_scope(engine) as session:
        for ws in repo.list_workspaces(session):
            if not ws.digest_enabled:
                continue
            covers = on_date or now.astimezone(ZoneInfo(ws.timezone)).date() - timedelta(days=1)
            send_date = covers + timedelta(days=1)
            key = digest_key(row_id(ws), send_date)
            payload = {"local_date": send_date.isoformat(), "due": now.isoformat()}
            row = repo.get_send(session, key=key)
            if row is None:
                repo.schedule_send(
                    session,
                    kind="digest",
                    key=key,
                    due_at=now,
                    workspace_id=row_id(ws),
                    payload=payload,
                )
            elif row.status == "pending" and row.due_at > now:
                row.due_at = now
                row.payload = payload
                session.add(row)
            elif row.status not in ("pending", "claimed"):
                continue
            keys.append(key)
    return keys
