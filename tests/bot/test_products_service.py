# mypy: disable-error-code="arg-type, union-attr"
"""Products, segments and event effects of a stored session: the service, its JSON, the
summary section, the charts, the CLI, and the product nudge's words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.presenters_timeline import (
    event_effect_lines,
    product_nudge,
    timeline_summary_lines,
    timeline_summary_section,
)
from bot.services.products import timeline_charts, timeline_json, timeline_report
from core.events import EventEffect
from core.products import Segment
from storage import repositories as repo
from storage.engine import make_engine, session_scope, upgrade
from storage.importers.importer import import_file
from tests.core.event_streams import Planted, event_stream
from tests.utils.factories import make_session, make_workspace

DATA = Path(__file__).resolve().parents[1] / "data"
STARTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai


def _douyin_session(engine: Engine) -> int:
    """The Douyin minute and product samples in one session, with chat marks on it."""
    with session_scope(engine) as db:
        ws = make_workspace(db, timezone="Asia/Shanghai", language="zh")
        live = make_session(
            db, workspace=ws, started_at=STARTED, closed=True, ended_at=STARTED + timedelta(hours=2)
        )
        for name in ("douyin_minutes_gbk.csv", "douyin_products_gbk.csv"):
            import_file(
                db,
                workspace_id=ws.id,
                data=(DATA / name).read_bytes(),
                filename=name,
                session_id=live.id,
            )
        for i, (minute, kind, label, no) in enumerate(
            [
                (10, "product", "明前龙井 250g", 1),
                (30, "giveaway", "福袋", None),
                (40, "product", "白毫银针礼盒", 2),
                (70, "product_end", None, None),
            ]
        ):
            repo.add_mark(
                db,
                session_id=live.id,
                ts=STARTED + timedelta(minutes=minute),
                kind=kind,
                label=label,
                product_no=no,
                dedupe_key=f"d{i}",
            )
        return int(live.id)


def test_a_session_with_products_and_marks(engine: Engine) -> None:
    sid = _douyin_session(engine)
    report = timeline_report(engine, session_id=sid)
    assert report is not None
    assert [p.name for p in report.top][:1] == ["明前龙井 250g"]
    gmvs = [p.gmv for p in report.products]
    assert gmvs == sorted(gmvs, reverse=True)
    assert sum(p.gmv_share for p in report.products) == pytest.approx(1.0, abs=1e-6)
    first = report.products[0]
    assert first.ctr == pytest.approx(2306 / 15537)
    assert first.presented_min == pytest.approx(391 / 60)  # 讲解时长 6分31秒
    kinds = [s.segment.kind for s in report.segments]
    assert kinds.count("product") == 2 and "between_events" in kinds
    labels = [s.segment.label for s in report.segments if s.segment.kind == "product"]
    assert labels == ["明前龙井 250g", "白毫银针礼盒"]
    assert report.segments[0].minutes == pytest.approx(30.0)
    assert [k for _, k in report.event_marks] == ["giveaway"]

    out = timeline_json(engine, session_id=sid)
    assert set(out) == {"products", "segments", "events"}
    text = json.dumps(out, allow_nan=False, ensure_ascii=False)  # JSON-safe, no NaN
    assert "明前龙井 250g" in text
    assert out["events"][0]["kind"] == "giveaway" and out["events"][0]["occurrences"] == 1
    assert not out["events"][0]["hazard_said"]  # one occurrence is never told
    assert timeline_json(engine, session_id=sid + 999) == {}

    lines = timeline_summary_lines(report, "zh")
    assert lines[0] == "🛍 商品排行"
    assert lines[1].startswith("1. 明前龙井 250g —— 成交额 2.8万（占本场 31%），点击率 14.8%")
    assert not any("活动效果" in line for line in lines)

    charts = dict(timeline_charts(report, "zh", "Asia/Shanghai"))
    assert set(charts) == {"timeline", "products"}
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in charts.values())


def test_a_session_without_products_or_marks_says_nothing(engine: Engine) -> None:
    with session_scope(engine) as db:
        live = make_session(db, workspace=make_workspace(db))
        sid = int(live.id)
    report = timeline_report(engine, session_id=sid)
    assert report is not None and report.products == [] and report.segments == []
    assert timeline_summary_section(report, "en") == ""
    assert timeline_charts(report, "en") == []
    assert timeline_json(engine, session_id=sid) == {
        "products": {"items": [], "top": [], "exposed_not_converting": None},
        "segments": [],
        "events": [],
    }


def _store_stream(
    engine: Engine, ws_id: int, seed: int, minute: int, kind: str, hazard_mult: float
) -> None:
    start = pd.Timestamp("2026-10-01 12:00", tz="UTC") + pd.Timedelta(days=seed)
    stream = event_stream(
        seed, [Planted(minute, kind, hazard_mult=hazard_mult, lasts_min=10)], start=start
    )
    with session_scope(engine) as db:
        ws = repo.get_workspace(db, workspace_id=ws_id)
        live = make_session(
            db,
            workspace=ws,
            started_at=start.to_pydatetime(),
            closed=True,
            ended_at=(start + pd.Timedelta(minutes=150)).to_pydatetime(),
        )
        repo.bulk_insert_minutes(db, session_id=live.id, rows=stream.minutes)
        repo.add_mark(
            db,
            session_id=live.id,
            ts=(start + pd.Timedelta(minutes=minute)),
            kind=kind,
            label="福袋",
            dedupe_key=f"s{seed}",
        )


def test_a_giveaway_that_halves_leaving_is_told_across_the_workspaces_streams(
    engine: Engine,
) -> None:
    with session_scope(engine) as db:
        ws_id = int(make_workspace(db, language="zh").id)
    for seed in range(6):
        _store_stream(engine, ws_id, seed, 60 + 5 * seed, "giveaway", 0.5)
    with session_scope(engine) as db:
        sessions = repo.list_sessions(db, workspace_id=ws_id)
        last = max(int(s.id) for s in sessions)
    report = timeline_report(engine, session_id=last)
    (effect,) = report.events
    assert effect.kind == "giveaway" and effect.occurrences == 6
    assert effect.hazard_said and effect.hazard_change < 0
    assert effect.hazard_low <= -0.5 <= effect.hazard_high  # the planted effect, recovered
    lines = timeline_summary_lines(report, "zh")
    assert lines[0] == "🎁 活动效果"
    assert lines[1].startswith("福袋后 10 分钟流失率平均降 ")
    assert "（6 场，区间 −" in lines[1]


def test_effect_lines_follow_the_example() -> None:
    effect = EventEffect("giveaway", 5, -0.18, -0.26, -0.09, 0.05, -0.1, 0.2, True, False)
    assert event_effect_lines([effect], "zh") == [
        "福袋后 10 分钟流失率平均降 18%（5 场，区间 −26%…−9%）"
    ]
    quiet = EventEffect("coupon", 3, -0.3, -0.6, 0.1, None, None, None, False, False)
    assert event_effect_lines([quiet], "en") == []
    up = EventEffect("flash_sale", 7, None, None, None, 0.4, 0.1, 0.8, False, True)
    assert event_effect_lines([up], "en") == [
        "In the 10 minutes after a flash sale, GMV per minute rose 40% on average "
        "(7 times, range +10%…+80%)"
    ]


def test_the_product_nudge_names_the_product() -> None:
    start = pd.Timestamp("2026-11-20 12:00", tz="UTC")
    seg = Segment("product", start, start + pd.Timedelta(minutes=30), "口红", 3)
    now = datetime(2026, 11, 20, 12, 12, tzinfo=UTC)
    text = product_nudge(seg, now=now, ctr=0.011, session_ctr=0.024, lang="zh")
    assert text == "3号 口红 讲解 12 分钟，点击率 1.1%，低于本场均值 2.4%：换品或上福利"
    assert product_nudge(seg, now=now, ctr=0.022, session_ctr=0.024, lang="zh") is None
    early = datetime(2026, 11, 20, 12, 3, tzinfo=UTC)
    assert product_nudge(seg, now=early, ctr=0.011, session_ctr=0.024, lang="zh") is None
    assert product_nudge(seg, now=now, ctr=None, session_ctr=0.024, lang="en") is None
    assert "#3 口红: presented 12 min, CTR 1.1%" in product_nudge(
        seg, now=now, ctr=0.011, session_ctr=0.024, lang="en"
    )


def test_report_json_carries_products_segments_and_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    monkeypatch.setenv("LIVEHOST_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    sid = _douyin_session(engine)
    engine.dispose()
    assert main(["report", str(sid), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "kpis" in report  # the session report is still there
    assert report["products"]["top"][0]["name"] == "明前龙井 250g"
    assert len(report["segments"]) >= 2 and report["events"][0]["kind"] == "giveaway"


def test_the_product_list_is_a_source_of_the_sessions_figures(engine: Engine) -> None:
    from bot.services.reports import session_report

    sid = _douyin_session(engine)
    with session_scope(engine) as db:
        products = repo.products_frame(db, session_id=sid)
        minutes = repo.minutes_frame(db, session_id=sid)
    bundle = session_report(engine, session_id=sid, timeline=True)
    assert bundle is not None and bundle.timeline is not None
    figures = bundle.report.figures
    # the product list comes before the minute rows: the sales group is its sums
    assert figures.values["gmv"].source == "products"
    assert figures.values["gmv"].value == pytest.approx(products["gmv"].sum())
    assert figures.values["items"].value == pytest.approx(products["items"].sum())
    others = {(r.figure, r.other_source) for r in figures.reconciliation}
    minute_gmv = minutes["gmv"].sum()
    assert (("gmv", "minutes") in others) == (abs(products["gmv"].sum() / minute_gmv - 1) > 0.015)
