# mypy: disable-error-code="arg-type, union-attr"
"""Timeline marks told from chat and a session's products, on both databases."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import pytest
from sqlmodel import Session

from storage import repositories as repo
from storage.errors import InvalidValue, SessionNotFound, UnknownColumns
from storage.models import PRODUCT_COLUMNS, TIMELINE_KINDS
from tests.utils.factories import T0, make_import, make_session, make_workspace


def test_marks_are_kept_once_per_message_in_time_order(db: Session) -> None:
    live = make_session(db, workspace=make_workspace(db))
    later = repo.add_mark(
        db,
        session_id=live.id,
        ts=T0 + timedelta(minutes=12),
        kind="giveaway",
        label="福袋",
        dedupe_key="m:1:2",
    )
    first = repo.add_mark(
        db,
        session_id=live.id,
        ts=T0 + timedelta(minutes=3),
        kind="product",
        label="口红",
        product_no=3,
        dedupe_key="m:1:1",
    )
    again = repo.add_mark(
        db,
        session_id=live.id,
        ts=T0 + timedelta(minutes=40),
        kind="coupon",
        dedupe_key="m:1:2",
    )
    assert later is not None and first is not None and again is None
    frame = repo.marks_frame(db, session_id=live.id)
    assert list(frame.columns) == ["ts", "kind", "label", "product_no"]
    assert list(frame["kind"]) == ["product", "giveaway"]
    assert list(frame["label"]) == ["口红", "福袋"]
    assert frame["product_no"].iloc[0] == 3 and math.isnan(frame["product_no"].iloc[1])
    assert frame["ts"].iloc[0] == pd.Timestamp(T0 + timedelta(minutes=3))
    assert str(frame["ts"].dt.tz) == "UTC"


def test_a_mark_without_label_reads_as_none_and_long_labels_are_capped(db: Session) -> None:
    live = make_session(db, workspace=make_workspace(db))
    repo.add_mark(db, session_id=live.id, ts=T0, kind="product_end", dedupe_key="a")
    repo.add_mark(db, session_id=live.id, ts=T0, kind="pin", label="x" * 500, dedupe_key="b")
    frame = repo.marks_frame(db, session_id=live.id)
    assert frame["label"].iloc[0] is None
    assert frame["label"].iloc[1] == "x" * 200


def test_bad_marks_are_refused(db: Session) -> None:
    live = make_session(db, workspace=make_workspace(db))
    with pytest.raises(InvalidValue):
        repo.add_mark(db, session_id=live.id, ts=T0, kind="dance", dedupe_key="x")
    with pytest.raises(SessionNotFound):
        repo.add_mark(db, session_id=live.id + 999, ts=T0, kind="pin", dedupe_key="y")
    assert len(repo.marks_frame(db, session_id=live.id)) == 0


def test_every_timeline_kind_is_accepted(db: Session) -> None:
    live = make_session(db, workspace=make_workspace(db))
    for i, kind in enumerate(TIMELINE_KINDS):
        assert repo.add_mark(db, session_id=live.id, ts=T0, kind=kind, dedupe_key=f"k{i}")
    assert sorted(repo.marks_frame(db, session_id=live.id)["kind"]) == sorted(TIMELINE_KINDS)


def test_workspace_marks_cover_its_sessions_only(db: Session) -> None:
    ws, other = make_workspace(db), make_workspace(db)
    a = make_session(db, workspace=ws)
    b = make_session(db, workspace=other)
    repo.add_mark(db, session_id=a.id, ts=T0, kind="giveaway", dedupe_key="1")
    repo.add_mark(db, session_id=a.id, ts=T0, kind="product", label="x", dedupe_key="2")
    repo.add_mark(db, session_id=b.id, ts=T0, kind="giveaway", dedupe_key="3")
    frame = repo.workspace_marks_frame(db, workspace_id=ws.id, kinds=("giveaway",))
    assert list(frame["session_id"]) == [a.id]
    assert len(repo.workspace_marks_frame(db, workspace_id=ws.id)) == 2


def test_products_round_trip_with_missing_values(db: Session) -> None:
    ws = make_workspace(db)
    live = make_session(db, workspace=ws)
    imp = make_import(db, workspace=ws, live=live, kind="products")
    rows = pd.DataFrame(
        {
            "product_id": ["3577", None],
            "name": ["口红 " + "长" * 300, "面霜"],
            "impressions": [1200.0, float("nan")],
            "clicks": [96.0, 10.0],
            "gmv": [5600.5, 0.0],
            "explain_s": [829.0, None],
        }
    )
    assert repo.bulk_insert_products(db, session_id=live.id, rows=rows, import_id=imp.id) == 2
    frame = repo.products_frame(db, session_id=live.id)
    assert tuple(frame.columns) == PRODUCT_COLUMNS
    assert list(frame["product_id"]) == ["3577", None]
    assert len(frame["name"].iloc[0]) == 200 and frame["name"].iloc[1] == "面霜"
    assert frame["impressions"].iloc[0] == 1200.0 and math.isnan(frame["impressions"].iloc[1])
    assert frame["gmv"].iloc[1] == 0.0  # a zero stays a zero
    assert math.isnan(frame["orders"].iloc[0])  # a column left out is missing


def test_products_refuse_unknown_columns_and_sessions(db: Session) -> None:
    live = make_session(db, workspace=make_workspace(db))
    with pytest.raises(UnknownColumns):
        repo.bulk_insert_products(db, session_id=live.id, rows=[{"colour": "red"}])
    with pytest.raises(SessionNotFound):
        repo.bulk_insert_products(db, session_id=live.id + 999, rows=[{"gmv": 1.0}])


def test_deleting_a_session_removes_its_marks_and_products(db: Session) -> None:
    from storage.models import LiveSession

    live = make_session(db, workspace=make_workspace(db))
    repo.add_mark(db, session_id=live.id, ts=T0, kind="pin", dedupe_key="p")
    repo.bulk_insert_products(db, session_id=live.id, rows=[{"name": "a", "gmv": 1.0}])
    sid = live.id
    db.delete(db.get(LiveSession, sid))
    db.flush()
    db.expire_all()
    assert len(repo.marks_frame(db, session_id=sid)) == 0
    assert len(repo.products_frame(db, session_id=sid)) == 0


def _kind_accepted(engine, kind: str) -> bool:
    import sqlalchemy as sa

    from storage.engine import session_scope

    try:
        with session_scope(engine) as session:
            ws = make_workspace(session)
            session.execute(
                sa.text(
                    "INSERT INTO import_record (workspace_id, kind, content_hash, rows, created_at)"
                    " VALUES (:ws, :kind, :h, 0, :ts)"
                ),
                {"ws": ws.id, "kind": kind, "h": f"h-{kind}", "ts": T0.replace(tzinfo=None)},
            )
    except sa.exc.IntegrityError:
        return False
    return True


def test_the_products_import_kind_is_checked_by_the_database(engine) -> None:
    assert _kind_accepted(engine, "products")
    assert not _kind_accepted(engine, "bogus")


def test_stepping_back_refuses_the_products_kind_again(engine) -> None:
    from alembic import command

    from storage.engine import alembic_config

    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0007_update_inbox")
    assert not _kind_accepted(engine, "products")
    assert _kind_accepted(engine, "minutes")
