"""Every money figure a host reads carries the workspace's currency: summaries (with the
comparison, sales, buying power, suggestions, products), digests (with and without the
chart), push replies with the forecast, and what an upload moved.

The data are scaled so that every money figure is 10,000 or more and every count,
duration and date below it: a number of 10,000 or more without the sign before it is a
money figure that lost its currency."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from matplotlib.figure import Figure
from sqlalchemy.engine import Engine

from bot.presenters import import_reply, stat_reply
from bot.services.digests import build_digest, render_digest_chart
from bot.services.imports import ImportOutcome, Moved
from bot.services.live import go_live, push_stat
from bot.services.nudges import forecast_line, live_insight
from bot.services.products import TimelineReport
from bot.services.summaries import build_summary, render_summary_charts
from core.products import ProductFigures
from storage import repositories as repo
from storage.engine import session_scope
from storage.models import PastSession, row_id
from tests.utils.factories import make_minutes_frame, make_viewers_frame, make_workspace

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)
SIGN = "¥"  # CNY

_NUMBER = re.compile(
    r"(?P<before>[¥$]?)[+\-−]?(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s?(?P<mult>万|亿|k|M)?"
    r"(?P<after>%?)"
)
_MULT = {"万": 1e4, "亿": 1e8, "k": 1e3, "M": 1e6, None: 1.0}


def bare_money(text: str) -> list[str]:
    """The figures of 10,000 or more (not a share) without the currency before them."""
    out = []
    for m in _NUMBER.finditer(text):
        value = float(m["n"].replace(",", "")) * _MULT[m["mult"]]
        if value >= 10_000 and not m["after"] and m["before"] != SIGN:
            out.append(m.group(0).strip())
    return out


def test_the_scan_finds_a_bare_figure() -> None:
    assert bare_money("GMV 3.4万，客单价 ¥1.2万") == ["3.4万"]
    assert bare_money("GMV 34,000 vs ¥120k; 12.5% of 2026-11-20 12:00, 9,999 viewers") == ["34,000"]


def _workspace(engine: Engine, lang: str) -> int:
    with session_scope(engine) as session:
        ws = make_workspace(session, language=lang, currency="CNY")
        return row_id(ws)


def _full_session(engine: Engine, wid: int) -> int:
    """90 minutes with minute rows and viewers, money × 1,000 (counts stay small)."""
    minutes = make_minutes_frame(90, start=T0, seed=3, missing=0.0)
    minutes["gmv"] *= 1000
    for name, scale in (("impressions", 0.1), ("likes", 0.01)):
        minutes[name] = (minutes[name] * scale).round()
    viewers = make_viewers_frame(400, seed=3, missing=0.0)
    viewers["spend"] *= 1000
    viewers["purchase_amount"] *= 1000
    with session_scope(engine) as session:
        live = repo.add_closed_session(
            session,
            workspace_id=wid,
            title="Tea night",
            started_at=T0,
            ended_at=T0 + timedelta(minutes=90),
            source="live",
        )
        sid = row_id(live)
        repo.bulk_insert_minutes(session, session_id=sid, rows=minutes)
        repo.bulk_insert_viewers(session, session_id=sid, rows=viewers)
        for days, gmv in ((1, 2.1e6), (2, 3.4e6), (3, 5.6e6)):  # enough for a comparison
            session.add(
                PastSession(
                    workspace_id=wid,
                    started_at=T0 - timedelta(days=days),
                    duration_s=5400.0,
                    gmv=gmv,
                    peak_online=900.0,
                    avg_watch_s=180.0,
                    title=f"Stream {days}",
                )
            )
    return sid


def _checked(kind: str, text: str) -> None:
    assert SIGN in text, f"{kind}: no money figure at all\n{text}"
    assert not bare_money(text), f"{kind}: {bare_money(text)} without the currency\n{text}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_and_digest_show_the_currency_on_every_money_figure(
    engine: Engine, lang: str
) -> None:
    wid = _workspace(engine, lang)
    sid = _full_session(engine, wid)
    summary = build_summary(engine, session_id=sid, workspace_id=wid)
    assert summary is not None
    assert summary.text.count(SIGN) >= 8  # sales, value, comparison, buying power
    _checked("summary", summary.text)
    digest = build_digest(engine, workspace_id=wid, covers=T0.date())
    assert digest is not None and digest.chart  # four days: the chart
    _checked("digest", digest.text)
    quiet = build_digest(engine, workspace_id=wid, covers=date(2026, 11, 17))
    assert quiet is not None and not quiet.chart  # one day: the table
    _checked("digest table", quiet.text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_charts_money_axes_are_in_the_workspace_currency(
    engine: Engine, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import charts

    wid = _workspace(engine, lang)
    sid = _full_session(engine, wid)
    axes: list[str] = []

    def drawn(fig: Figure) -> bytes:  # the charts' axis labels instead of their pictures
        axes.extend(ax.get_ylabel() for ax in fig.axes)
        return b""

    monkeypatch.setattr(charts, "_png", drawn)
    summary = build_summary(engine, session_id=sid, workspace_id=wid)
    assert summary is not None and summary.currency == "CNY"
    render_summary_charts(
        summary.report,
        summary.lang,
        summary.marks,
        summary.timezone,
        summary.timeline,
        summary.currency,
    )
    digest = build_digest(engine, workspace_id=wid, covers=T0.date())
    assert digest is not None and digest.currency == "CNY"
    render_digest_chart(digest.daily, digest.lang, digest.currency)
    _, words = charts.labels(lang)
    money = [words["spend"], words["gmv"], words["gmv_per_min"]]
    assert [w for w in money if w in axes] == []  # none without its currency
    in_cny = [words["in_currency"].format(name=w, mark=SIGN) for w in money[:2]]
    assert set(in_cny) <= set(axes), axes  # buying power and the digest


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_push_reply_forecast_and_upload_show_the_currency(engine: Engine, lang: str) -> None:
    wid = _workspace(engine, lang)
    go_live(engine, workspace_id=wid, title="t", now=T0, chat_id=1, message_id=1)
    result = None
    for i in range(1, 7):
        now = T0 + timedelta(minutes=5 * i)
        result = push_stat(
            engine,
            workspace_id=wid,
            text=f"online {800 + i} gmv {12_000 * i * i} orders {3 * i}",
            now=now,
            dedupe_key=str(i),
        )
    assert result is not None and result.status == "ok"
    insight = live_insight(
        engine, workspace_id=wid, session_id=result.session_id or 0, now=T0 + timedelta(minutes=30)
    )
    assert insight.forecast is not None
    reply = stat_reply(result, lang, explicit=False) + forecast_line(insight.forecast, lang, "CNY")
    _checked("push reply", reply)
    moved = ImportOutcome(
        True,
        kind="minutes",
        rows=90,
        session_id=3,
        session_start=T0,
        moved=[Moved("gmv", 34_000.0, 56_000.0)],
    )
    _checked("upload", import_reply(moved, "m.csv", lang, "UTC", "CNY"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_product_lines_show_the_currency(lang: str) -> None:
    from bot.presenters_timeline import timeline_summary_section

    product = ProductFigures(
        "p1", "Tea", 900.0, 80.0, 0.089, 20.0, 22.0, 25.0, 45_000.0, 0.25, 12.0, 3750.0, 0.6
    )
    report = TimelineReport(1, 1, products=[product], top=[product])
    _checked("products", timeline_summary_section(report, lang, "CNY"))


def test_a_digest_chart_drawn_ahead_is_kept_for_its_currency() -> None:
    import dataclasses

    from bot.services.chart_render import digest_chart_key
    from bot.services.digests import DigestContent

    content = DigestContent(1, 1, "en", "text", daily=[{"date": "2026-11-20", "gmv": 1.0}])
    in_usd = dataclasses.replace(content, currency="USD")
    assert digest_chart_key(content) != digest_chart_key(in_usd)
