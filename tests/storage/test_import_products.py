# mypy: disable-error-code="arg-type, union-attr"
"""Product exports (罗盘 直播商品, TikTok Shop LIVE product list) import into a session, and
their totals agree with the session's own exports where both exist."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from storage import repositories as repo
from storage.importers.errors import ImportConflict, ImportRejected
from storage.importers.importer import import_file
from storage.importers.kinds import match_header
from storage.importers.validate import parse_file
from tests.utils.factories import make_session, make_workspace

DATA = Path(__file__).resolve().parents[1] / "data"
STARTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai


def _import(db: Session, ws_id: int, session_id: int | None, name: str):
    return import_file(
        db,
        workspace_id=ws_id,
        data=(DATA / name).read_bytes(),
        filename=name,
        session_id=session_id,
    )


def test_the_douyin_product_sample_imports_and_matches_the_minute_export(db: Session) -> None:
    ws = make_workspace(db, timezone="Asia/Shanghai")
    live = make_session(db, workspace=ws, started_at=STARTED)
    products = _import(db, ws.id, live.id, "douyin_products_gbk.csv")
    assert products.kind == "products" and products.rows == 8
    minutes = _import(db, ws.id, live.id, "douyin_minutes_gbk.csv")
    assert minutes.kind == "minutes"
    frame = repo.products_frame(db, session_id=live.id)
    assert frame["name"].iloc[0] == "明前龙井 250g"
    assert frame["product_id"].iloc[0] == "3589000000000000"
    assert frame["explain_s"].iloc[0] == 6 * 60 + 31  # 6分31秒
    timeline = repo.minutes_frame(db, session_id=live.id)
    assert frame["gmv"].sum() == pytest.approx(90_450.73, abs=0.005)
    assert frame["gmv"].sum() == pytest.approx(timeline["gmv"].sum(), abs=0.005)
    assert frame["orders"].sum() == timeline["orders"].sum() == 671
    assert frame["buyers"].sum() == timeline["buyers"].sum()


def test_the_tiktok_product_sample_matches_its_session_in_the_performance_export(
    db: Session,
) -> None:
    ws = make_workspace(db)
    live = make_session(db, workspace=ws, started_at=datetime(2026, 10, 25, 20, 0, tzinfo=UTC))
    products = _import(db, ws.id, live.id, "tiktok_live_products.xlsx")  # header on row 3
    assert products.kind == "products" and products.rows == 6
    past = _import(db, ws.id, None, "tiktok_live_performance.xlsx")
    assert past.kind == "sessions"
    frame = repo.products_frame(db, session_id=live.id)
    sessions = repo.past_sessions_frame(db, workspace_id=ws.id)
    same = sessions[sessions["started_at"] == live.started_at].iloc[0]
    assert frame["gmv"].sum() == pytest.approx(same["gmv"], abs=0.005)
    assert frame["orders"].sum() == same["orders"]
    assert frame["impressions"].sum() == same["impressions"]
    assert frame["clicks"].sum() == same["clicks"]
    assert frame["explain_s"].isna().all()  # TikTok gives no presentation time
    # the session export keeps the platform's own items sold, CTR, CTOR and watch GPM
    assert frame["items"].sum() == same["items"] == 72
    assert same["ctr"] == pytest.approx(0.0379) and same["ctor"] == pytest.approx(0.1031)
    assert same["gpm"] == pytest.approx(54.82)


def test_the_platforms_items_ctr_ctor_and_gpm_are_the_sessions_figures(db: Session) -> None:
    from bot.services.figures import compute_session_figures

    ws = make_workspace(db)
    live = make_session(db, workspace=ws, started_at=datetime(2026, 10, 25, 20, 0, tzinfo=UTC))
    _import(db, ws.id, None, "tiktok_live_performance.xlsx")
    figures = compute_session_figures(db, live=live)
    assert figures.values["items"].value == 72 and figures.values["items"].source == "platform"
    assert figures.get("ctr") == pytest.approx(543 / 14324)  # agrees with the stated 3.79 %
    assert figures.get("ctor") == pytest.approx(50 / 543)  # ours counts buyers
    assert figures.get("gpm") == pytest.approx(1505.95 / 27473 * 1000)  # the stated 54.82
    assert not {r.figure for r in figures.reconciliation} & {"ctr", "ctor", "gpm", "items"}
    # the product list agrees with the platform's totals: nothing to reconcile
    _import(db, ws.id, live.id, "tiktok_live_products.xlsx")
    figures = compute_session_figures(db, live=live)
    assert not {r.figure for r in figures.reconciliation} & {"gmv", "orders", "items"}


def test_a_stated_rate_stands_in_for_one_the_figures_cannot_give() -> None:
    from core.figures import compute_figures

    stated = {"gmv": 1000.0, "views": 20_000.0, "ctr": 0.05, "ctor": 0.1, "gpm": 60.0}
    figures = compute_figures(platform=stated)
    assert figures.get("ctr") == 0.05 and figures.values["ctr"].source == "platform"
    assert figures.get("ctor") == 0.1
    assert figures.get("gpm") == pytest.approx(50.0)  # ours: GMV / views × 1000
    (off,) = [r for r in figures.reconciliation if r.figure == "gpm"]
    assert off.other_value == 60.0 and off.rel_diff == pytest.approx(50 / 60 - 1)


def test_a_product_export_needs_a_session_and_is_imported_once(db: Session) -> None:
    ws = make_workspace(db)
    with pytest.raises(ImportRejected) as caught:
        _import(db, ws.id, None, "douyin_products_gbk.csv")
    assert caught.value.code == "no_session" and isinstance(caught.value, ImportConflict)
    live = make_session(db, workspace=ws)
    _import(db, ws.id, live.id, "douyin_products_gbk.csv")
    with pytest.raises(ImportRejected) as again:
        _import(db, ws.id, live.id, "douyin_products_gbk.csv")
    assert again.value.code == "duplicate"
    assert len(repo.products_frame(db, session_id=live.id)) == 8


def test_product_headers_are_told_from_minute_and_session_headers() -> None:
    assert match_header(["商品名称", "商品曝光人数", "成交金额"]).kind.name == "products"
    assert match_header(["Product name", "Product ID", "GMV"]).kind.name == "products"
    assert match_header(["时间", "实时在线人数", "商品曝光人数", "成交金额"]).kind.name == "minutes"
    assert (
        match_header(["Start time", "Product impressions", "Customers", "GMV"]).kind.name
        == "sessions"
    )
    for name, kind in (
        ("douyin_minutes_gbk.csv", "minutes"),
        ("tiktok_live_performance.xlsx", "sessions"),
        ("viewers_zh.csv", "viewers"),
    ):
        assert parse_file((DATA / name).read_bytes()).kind == kind


def test_a_bad_value_in_a_product_export_leaves_nothing(db: Session) -> None:
    ws = make_workspace(db)
    live = make_session(db, workspace=ws)
    data = "商品名称,成交金额,讲解时长\n口红,100,5分\n面霜,abc,3分\n".encode()
    with pytest.raises(ImportRejected) as caught:
        import_file(db, workspace_id=ws.id, data=data, filename="x.csv", session_id=live.id)
    assert caught.value.code == "bad_values"
    assert len(repo.products_frame(db, session_id=live.id)) == 0
    assert repo.list_imports(db, workspace_id=ws.id) == []


# --------------------------------------------------------------- filed by the title's window


def _tiktok(db: Session, ws_id: int, data: bytes, session_id: int | None = None, **kw: object):
    return import_file(
        db,
        workspace_id=ws_id,
        data=data,
        filename="products.xlsx",
        session_id=session_id,
        **kw,  # type: ignore[arg-type]
    )


OCT25 = (datetime(2026, 10, 25, 20, 0, tzinfo=UTC), datetime(2026, 10, 25, 22, 55, tzinfo=UTC))


def test_a_product_list_is_filed_by_the_window_in_its_title_line(db: Session) -> None:
    """TikTok Shop writes the stream's window above the header: the list goes into the
    session it overlaps, even with another session open; else it is a past stream of
    that window; a caption naming a session it does not overlap is refused."""
    from tests.utils.factories import tiktok_products_for

    ws = make_workspace(db)
    sample = (DATA / "tiktok_live_products.xlsx").read_bytes()
    # nothing overlaps: a past stream of the window (where the bot may make one)
    made = _tiktok(db, ws.id, sample, create_sessions=True)
    assert made.created_session and made.rows == 6
    (past,) = repo.list_sessions(db, workspace_id=ws.id)
    assert (past.started_at, past.ended_at) == OCT25 and past.source == "import"
    assert (made.first_ts, made.last_ts) == OCT25
    # another stream's list, with a session open now: it goes to the session it overlaps
    open_now = make_session(db, workspace=ws, started_at=datetime(2026, 11, 29, 20, tzinfo=UTC))
    older = make_session(
        db, workspace=ws, started_at=datetime(2026, 11, 20, 12, tzinfo=UTC), closed=True
    )
    later = tiktok_products_for(
        datetime(2026, 11, 20, 12, 30, tzinfo=UTC),
        datetime(2026, 11, 20, 13, 30, tzinfo=UTC),
        tag="(Nov 20)",
    )
    into = _tiktok(db, ws.id, later, default_session_id=open_now.id, create_sessions=True)
    assert into.session_id == older.id and not into.created_session
    assert len(repo.products_frame(db, session_id=open_now.id)) == 0
    # a caption naming the open session, which the window does not overlap
    other = tiktok_products_for(
        datetime(2026, 11, 21, 12, 30, tzinfo=UTC),
        datetime(2026, 11, 21, 13, 30, tzinfo=UTC),
        tag="(Nov 21)",
    )
    with pytest.raises(ImportConflict) as refused:
        _tiktok(db, ws.id, other, session_id=older.id)
    assert refused.value.code == "dates_conflict"
    # without the right to make a session, nothing to put it in
    with pytest.raises(ImportRejected) as nowhere:
        _tiktok(db, ws.id, other)
    assert nowhere.value.code == "no_session"


def test_a_period_of_days_above_a_product_list_is_no_stream_window() -> None:
    from zoneinfo import ZoneInfo

    from storage.importers.importer import stream_window

    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert stream_window([["2026-10-25 ~ 2026-11-18"]], tz=shanghai, now=now) is None
    assert stream_window([["2026-10-25 20:00 ~ 2026-10-27 20:00"]], tz=UTC, now=now) is None
    assert stream_window([["2026-10-25 22:00 ~ 2026-10-25 20:00"]], tz=UTC, now=now) is None
    assert stream_window([["Spring tea sale"], []], tz=UTC, now=now) is None
    assert stream_window([["2030-01-01 20:00 ~ 2030-01-01 22:00"]], tz=UTC, now=now) is None
    # a start still to come is a clock read in the wrong zone, not a stream
    assert stream_window([["2026-11-30 07:00 ~ 2026-11-30 09:00"]], tz=UTC, now=now) is None
    # in the workspace's time; the end may leave out the date; 至 as well as ~
    got = stream_window([["", "2026年11月20日 20:00 至 22:30"]], tz=shanghai, now=now)
    assert got == (
        datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 14, 30, tzinfo=UTC),
    )
    assert stream_window([["2026-10-25 20:00 ~ 2026-10-25 22:55"]], tz=UTC, now=now) == OCT25
