# mypy: disable-error-code="arg-type, union-attr"
"""Files filed by their time, overlaps merged, the same data recognised — on SQLite and
PostgreSQL: a minute export goes into the session its dates overlap or becomes a past stream
of its own; a caption that contradicts its dates is refused; clock-only times roll over
midnight; re-imported rows update the stored ones (minute, viewer id, room id / start);
the same table as `;`, GBK or .xlsx is one content; a column answer is remembered."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from storage import repositories as repo
from storage.engine import session_scope
from storage.importers import ImportRejected, import_file
from storage.importers.importer import ImportResult
from storage.models import (
    ImportRecord,
    LiveSession,
    MinuteRow,
    PastSession,
    ScheduledSend,
    ViewerRow,
    Workspace,
)

DATA = Path(__file__).resolve().parents[1] / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV20_20H = datetime(2026, 11, 20, 20, 0, tzinfo=SHANGHAI)  # the Douyin sample's first minute
NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)


def _workspace(engine: Engine) -> int:
    with session_scope(engine) as s:
        ws = repo.get_or_create_workspace(
            s,
            chat_id=777,
            chat_type="private",
            title=None,
            language="zh",
            timezone="Asia/Shanghai",
        )
        assert ws.id is not None
        return ws.id


def _session(
    engine: Engine, ws: int, start: datetime, end: datetime | None = None, *, source: str = "live"
) -> int:
    with session_scope(engine) as s:
        if end is None:
            live = repo.open_session(s, workspace_id=ws, title="live", started_at=start)
        else:
            live = repo.add_closed_session(
                s, workspace_id=ws, title="past", started_at=start, ended_at=end, source=source
            )
        assert live.id is not None
        return live.id


def _import(engine: Engine, ws: int, data: bytes, **kw: object) -> ImportResult:
    kw.setdefault("session_id", None)
    with session_scope(engine) as s:
        return import_file(s, workspace_id=ws, data=data, filename="f", now=NOW, **kw)  # type: ignore[arg-type]


def _count(engine: Engine, model: type, **where: object) -> int:
    with session_scope(engine) as s:
        stmt = sa.select(sa.func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return int(s.execute(stmt).scalar_one())


def _minutes_csv(
    start: datetime, n: int, *, gmv: float = 10.0, clock_only: bool = False, sep: str = ","
) -> bytes:
    rows = ["时间,实时在线人数,成交金额"]
    for i in range(n):
        t = start + timedelta(minutes=i)
        stamp = t.strftime("%H:%M") if clock_only else t.strftime("%Y-%m-%d %H:%M")
        rows.append(sep.join([stamp, str(100 + i), f"{gmv + i:.2f}"]))
    return ("\n".join(r.replace(",", sep) for r in rows) + "\n").encode()


MINUTES = (DATA / "douyin_minutes_gbk.csv").read_bytes()


# ------------------------------------------------------------------------ filed by time


def test_a_dated_file_no_session_overlaps_becomes_a_past_stream(engine: Engine) -> None:
    ws = _workspace(engine)
    today = _session(engine, ws, datetime(2026, 11, 29, 20, 0, tzinfo=SHANGHAI))
    with pytest.raises(ImportRejected) as refused:
        _import(engine, ws, MINUTES)  # not asked to create one
    assert refused.value.code == "no_session"
    result = _import(engine, ws, MINUTES, default_session_id=today, create_sessions=True)
    assert result.created_session and result.session_id != today
    assert (result.new, result.updated) == (120, 0)
    with session_scope(engine) as s:
        past = s.get(LiveSession, result.session_id)
        assert (past.status, past.source) == ("closed", "import")
        assert past.started_at == NOV20_20H
        assert past.ended_at == NOV20_20H + timedelta(hours=2)
    assert _count(engine, MinuteRow, session_id=today) == 0
    assert _count(engine, MinuteRow, session_id=result.session_id) == 120


def test_a_dated_file_goes_into_the_session_it_overlaps(engine: Engine) -> None:
    ws = _workspace(engine)
    _session(engine, ws, datetime(2026, 11, 29, 20, 0, tzinfo=SHANGHAI))  # open, today
    other = _session(
        engine, ws, NOV20_20H - timedelta(days=2), NOV20_20H - timedelta(days=2, hours=-2)
    )
    streamed = _session(
        engine, ws, NOV20_20H + timedelta(minutes=5), NOV20_20H + timedelta(minutes=115)
    )
    result = _import(engine, ws, MINUTES, create_sessions=True)
    assert result.session_id == streamed and not result.created_session
    assert _count(engine, MinuteRow, session_id=other) == 0
    with session_scope(engine) as s:  # a streamed session keeps the window the host gave it
        assert s.get(LiveSession, streamed).started_at == NOV20_20H + timedelta(minutes=5)


def test_a_caption_that_contradicts_the_dates_is_refused_with_both(engine: Engine) -> None:
    ws = _workspace(engine)
    today_start = datetime(2026, 11, 29, 20, 0, tzinfo=SHANGHAI)
    today = _session(engine, ws, today_start, today_start + timedelta(hours=2))
    with pytest.raises(ImportRejected) as refused:
        _import(engine, ws, MINUTES, session_id=today, create_sessions=True)
    error = refused.value
    assert error.code == "dates_conflict" and error.params["id"] == today
    assert error.params["file_start"] == NOV20_20H
    assert error.params["file_end"] == NOV20_20H + timedelta(hours=2)
    assert error.params["session_start"] == today_start
    assert error.params["session_end"] == today_start + timedelta(hours=2)
    assert _count(engine, MinuteRow) == 0 and _count(engine, LiveSession) == 1


def _viewers(*watch_s: float) -> bytes:
    lines = ["user_id,watch_time"] + [f"u{i},{w}" for i, w in enumerate(watch_s)]
    return ("\n".join(lines) + "\n").encode()


def test_a_viewer_file_that_outlasts_the_open_stream_is_refused_unless_named(
    engine: Engine,
) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOW - timedelta(seconds=7))  # opened seven seconds ago
    other = [30.0] * 150 + [2606.0, 1900.0]  # another stream's: two watched for half an hour
    with pytest.raises(ImportRejected) as refused:
        _import(engine, ws, _viewers(*other), default_session_id=live)
    assert refused.value.code == "outlasts_session"
    assert refused.value.params["id"] == live and refused.value.params["count"] == 2
    assert refused.value.params["longest_s"] == 2606.0
    assert refused.value.params["span_s"] == pytest.approx(7.0)
    assert _count(engine, ViewerRow) == 0 and _count(engine, ImportRecord) == 0
    # the caption names the stream: the host knows best
    _import(engine, ws, _viewers(*other), session_id=live)
    assert _count(engine, ViewerRow, session_id=live) == 152


@pytest.mark.parametrize(
    ("watch", "ok"),
    [
        ([30.0] * 200 + [3600.0 + 590.0], True),  # within the margin of a late /golive
        ([30.0] * 200 + [5000.0], True),  # one in 201: fewer than 1 %
        ([30.0] * 200 + [5000.0, 5000.0, 5000.0], False),
    ],
)
def test_a_viewer_file_into_the_last_stream_is_checked_against_its_length(
    engine: Engine, watch: list[float], ok: bool
) -> None:
    ws = _workspace(engine)
    last = _session(engine, ws, NOW - timedelta(hours=3), NOW - timedelta(hours=2))
    if ok:
        assert _import(engine, ws, _viewers(*watch), default_session_id=last).rows == len(watch)
    else:
        with pytest.raises(ImportRejected, match="outlasts_session"):
            _import(engine, ws, _viewers(*watch), default_session_id=last)


def test_clock_only_minutes_roll_over_midnight(engine: Engine) -> None:
    ws = _workspace(engine)
    start = datetime(2026, 11, 20, 23, 50, tzinfo=SHANGHAI)
    live = _session(engine, ws, start, start + timedelta(hours=1))
    data = _minutes_csv(datetime(2026, 11, 20, 23, 55, tzinfo=SHANGHAI), 12, clock_only=True)
    result = _import(engine, ws, data, default_session_id=live)
    assert result.session_id == live
    with session_scope(engine) as s:
        ts = repo.minutes_frame(s, session_id=live)["ts"]
    local = [t.tz_convert(SHANGHAI) for t in ts]
    assert local[0].strftime("%m-%d %H:%M") == "11-20 23:55"
    assert local[-1].strftime("%m-%d %H:%M") == "11-21 00:06"
    assert ts.is_monotonic_increasing and ts.diff().dropna().eq(pd.Timedelta(minutes=1)).all()


def test_clock_only_minutes_after_midnight_of_a_stream_begun_before(engine: Engine) -> None:
    ws = _workspace(engine)
    start = datetime(2026, 11, 20, 23, 40, tzinfo=SHANGHAI)
    live = _session(engine, ws, start, start + timedelta(hours=2))
    data = _minutes_csv(datetime(2026, 11, 21, 0, 10, tzinfo=SHANGHAI), 5, clock_only=True)
    _import(engine, ws, data, default_session_id=live)
    with session_scope(engine) as s:
        first = repo.minutes_frame(s, session_id=live)["ts"].iloc[0]
    assert first.tz_convert(SHANGHAI).strftime("%m-%d %H:%M") == "11-21 00:10"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start_minute=st.integers(0, 24 * 60 - 1), length=st.integers(1, 600), chunk=st.integers(3, 700)
)
def test_clock_only_times_are_consecutive_whatever_the_start_and_chunking(
    sqlite_engine: Engine, start_minute: int, length: int, chunk: int
) -> None:
    """Property: a clock-only minute file read in any chunking is dated minute after minute
    from the session's day, whatever midnights it crosses."""
    with session_scope(sqlite_engine) as s:
        ws = repo.get_or_create_workspace(
            s,
            chat_id=start_minute * 1000 + length,
            chat_type="private",
            title=None,
            language="en",
            timezone="Asia/Shanghai",
        )
        began = datetime(2026, 11, 20, tzinfo=SHANGHAI) + timedelta(minutes=start_minute)
        live = repo.add_closed_session(
            s,
            workspace_id=ws.id,
            title=None,
            started_at=began,
            ended_at=began + timedelta(minutes=length),
        )
        data = _minutes_csv(began, length, clock_only=True)
        result = import_file(
            s,
            workspace_id=ws.id,
            data=data,
            filename="p.csv",
            session_id=None,
            default_session_id=live.id,
            chunk_rows=chunk,
        )
        assert result.session_id == live.id
        ts = repo.minutes_frame(s, session_id=live.id)["ts"]
        expected = pd.date_range(began, periods=length, freq="min").tz_convert(UTC)
        assert list(ts) == list(expected)
        s.rollback()


# ------------------------------------------------------------------ overlaps are merged


def test_overlapping_minute_exports_update_instead_of_adding_copies(engine: Engine) -> None:
    ws = _workspace(engine)
    first = _import(engine, ws, _minutes_csv(NOV20_20H, 30, gmv=10.0), create_sessions=True)
    assert (first.new, first.updated) == (30, 0)
    second = _import(engine, ws, _minutes_csv(NOV20_20H, 60, gmv=20.0), create_sessions=True)
    assert second.session_id == first.session_id and not second.created_session
    assert (second.new, second.updated) == (30, 30)
    assert _count(engine, MinuteRow) == 60
    with session_scope(engine) as s:
        frame = repo.minutes_frame(s, session_id=first.session_id)
        live = s.get(LiveSession, first.session_id)
        assert live.ended_at == NOV20_20H + timedelta(minutes=60)  # the imported window grew
    assert frame["gmv"].sum() == pytest.approx(sum(20.0 + i for i in range(60)))


def test_viewers_are_updated_by_viewer_id(engine: Engine) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOV20_20H, NOV20_20H + timedelta(hours=2))
    head = "user_id,watch_time,buy_power\n"
    half = head + "".join(f"u{i},{i + 1},0\n" for i in range(50))
    full = head + "".join(f"u{i},{i + 1},{i}\n" for i in range(100))
    a = _import(engine, ws, half.encode(), session_id=live)
    b = _import(engine, ws, full.encode(), session_id=live)
    assert (a.new, a.updated, b.new, b.updated) == (50, 0, 50, 50)
    with session_scope(engine) as s:
        frame = repo.viewers_frame(s, session_id=live)
    assert len(frame) == 100 and frame["spend"].sum() == sum(range(100))


def test_a_missing_cell_in_the_new_file_keeps_the_stored_value(engine: Engine) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOV20_20H, NOV20_20H + timedelta(hours=2))
    _import(engine, ws, b"user_id,watch_time,buy_power\nu1,10,5\n", session_id=live)
    _import(engine, ws, b"user_id,watch_time,buy_power\nu1,12,--\n", session_id=live)
    with session_scope(engine) as s:
        row = repo.viewers_frame(s, session_id=live).iloc[0]
    assert (row["watch_time_s"], row["spend"]) == (12.0, 5.0)


def test_past_sessions_are_keyed_by_room_id_else_start_time(engine: Engine) -> None:
    ws = _workspace(engine)
    head = "Room ID,Start Time,Attributed GMV\n"
    first = head + "r1,2026-11-01 20:00,100\nr2,2026-11-02 20:00,200\n,2026-11-03 20:00,300\n"
    again = head + "r1,2026-11-01 20:00,110\nr3,2026-11-04 20:00,400\n,2026-11-03 20:00,330\n"
    a = _import(engine, ws, first.encode())
    b = _import(engine, ws, again.encode())
    assert (a.new, a.updated) == (3, 0)
    assert (b.new, b.updated) == (1, 2)
    with session_scope(engine) as s:
        frame = repo.past_sessions_frame(s, workspace_id=ws)
    assert len(frame) == 4
    assert sorted(frame["gmv"].tolist()) == [110.0, 200.0, 330.0, 400.0]


# ------------------------------------------------------------- the same data recognised


def _variants(frame: pd.DataFrame) -> dict[str, bytes]:
    out = {
        "comma_utf8": frame.to_csv(index=False).encode("utf-8"),
        "semicolon": frame.to_csv(index=False, sep=";").encode("utf-8"),
        "gbk": frame.to_csv(index=False).encode("gbk"),
        "bom_crlf": frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"),
    }
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, startrow=2)  # a title block above, like TikTok's
    out["xlsx"] = buffer.getvalue()
    return out


@pytest.mark.parametrize(
    "table",
    [
        pd.DataFrame(
            {
                "用户ID": [f"u{i}" for i in range(40)],
                "观看时长(秒)": [i * 1.5 for i in range(40)],
                "本场消费金额": [round(i * 3.07, 2) for i in range(40)],
            }
        ),
        pd.DataFrame(
            {
                "时间": [f"2026-11-20 20:{m:02d}" for m in range(40)],
                "实时在线人数": [100 + m for m in range(40)],
                "成交金额": [round(m * 12.34, 2) for m in range(40)],
            }
        ),
    ],
    ids=["viewers", "minutes"],
)
def test_the_same_table_resaved_is_recognised(engine: Engine, table: pd.DataFrame) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOV20_20H - timedelta(minutes=5), NOV20_20H + timedelta(hours=1))
    variants = _variants(table)
    first = _import(engine, ws, variants.pop("comma_utf8"), session_id=live)
    assert first.rows == 40
    for name, data in variants.items():
        with pytest.raises(ImportRejected) as refused:
            _import(engine, ws, data, session_id=live)
        assert refused.value.code == "duplicate", name
        assert refused.value.params["import_id"] == first.import_id
    assert _count(engine, MinuteRow) + _count(engine, ViewerRow) == 40


def test_changed_data_is_not_a_duplicate(engine: Engine) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOV20_20H, NOV20_20H + timedelta(hours=1))
    _import(engine, ws, b"user_id,watch_time\nu1,10\nu2,20\n", session_id=live)
    result = _import(engine, ws, b"user_id,watch_time\nu1,10\nu2,21\n", session_id=live)
    assert (result.new, result.updated) == (0, 2)


# ------------------------------------------------------------------- columns answered


def test_a_column_answer_is_remembered_for_files_laid_out_alike(engine: Engine) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOV20_20H, NOV20_20H + timedelta(hours=1))
    data = "用户ID,停留秒数,点赞数\nu1,10,1\nu2,20,2\n".encode()
    with pytest.raises(ImportRejected) as asked:
        _import(engine, ws, data, session_id=live)
    params = asked.value.params
    assert asked.value.code == "missing_columns" and params["columns"] == ["watch_time_s"]
    assert params["header"] == ["用户ID", "停留秒数", "点赞数"] and params["signature"]
    result = _import(engine, ws, data, session_id=live, mapping={"watch_time_s": "停留秒数"})
    assert result.rows == 2
    with session_scope(engine) as s:
        assert repo.column_mapping(s, workspace_id=ws, signature=params["signature"]) == {
            "watch_time_s": "停留秒数"
        }
        assert repo.viewers_frame(s, session_id=live)["watch_time_s"].tolist() == [10.0, 20.0]
    later = "用户ID,停留秒数,点赞数\nu3,30,3\n".encode()  # the same layout: no question
    assert _import(engine, ws, later, session_id=live).rows == 1
    # another workspace has not answered
    with session_scope(engine) as s:
        other = repo.get_or_create_workspace(
            s, chat_id=778, chat_type="private", title=None, language="en", timezone="UTC"
        )
        other_id = other.id
        other_live = repo.open_session(s, workspace_id=other_id, started_at=NOV20_20H)
        other_live_id = other_live.id
    with pytest.raises(ImportRejected) as again:
        _import(engine, other_id, later, session_id=other_live_id)
    assert again.value.code == "missing_columns"


def test_pending_uploads_take_answers_only_to_their_questions(engine: Engine) -> None:
    ws = _workspace(engine)
    with session_scope(engine) as s:
        pending = repo.add_pending_upload(
            s,
            workspace_id=ws,
            user_id=5,
            file_id="F1",
            filename="v.csv",
            caption=None,
            signature="sig",
            kind="viewers",
            headers=["用户ID", "停留秒数"],
            missing=["watch_time_s"],
        )
        pid = pending.id
    with session_scope(engine) as s:
        from storage.errors import InvalidValue

        with pytest.raises(InvalidValue):
            repo.answer_pending_upload(
                s, workspace_id=ws, pending_id=pid, field="ts", header="停留秒数"
            )
    with session_scope(engine) as s:
        row = repo.answer_pending_upload(
            s, workspace_id=ws, pending_id=pid, field="watch_time_s", header="停留秒数"
        )
        assert row.answers == {"watch_time_s": "停留秒数"}
        assert repo.get_pending_upload(s, workspace_id=ws + 1, pending_id=pid) is None
        repo.drop_pending_upload(s, workspace_id=ws, pending_id=pid)
        assert repo.get_pending_upload(s, workspace_id=ws, pending_id=pid) is None


# ------------------------------------------------------------------ summary fingerprint


def test_the_data_fingerprint_changes_with_the_data_only(engine: Engine) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOV20_20H, NOV20_20H + timedelta(hours=1))
    with session_scope(engine) as s:
        empty = repo.session_data_hash(s, session_id=live)
        assert repo.session_data_hash(s, session_id=live) == empty
    _import(engine, ws, b"user_id,watch_time\nu1,10\n", session_id=live)
    with session_scope(engine) as s:
        one = repo.session_data_hash(s, session_id=live)
    _import(engine, ws, b"user_id,watch_time\nu1,11\n", session_id=live)
    with session_scope(engine) as s:
        changed = repo.session_data_hash(s, session_id=live)
        assert len({empty, one, changed}) == 3
        assert repo.remember_summary_hash(s, key=f"summary:{live}", data_hash=changed) is False
        repo.schedule_send(
            s,
            kind="summary",
            key=f"summary:{live}",
            due_at=NOW,
            workspace_id=ws,
            payload={"session_id": live},
        )
        assert repo.remember_summary_hash(s, key=f"summary:{live}", data_hash=changed)
        assert repo.summary_hashes(s, key=f"summary:{live}") == [changed]


def test_one_sender_at_a_time_sends_the_summary_of_the_same_data(engine: Engine) -> None:
    ws = _workspace(engine)
    live = _session(engine, ws, NOV20_20H, NOV20_20H + timedelta(hours=1))
    key = f"summary:{live}"

    def claim(by: str, data: str = "h1", after_s: float = 0.0) -> str | None:
        with session_scope(engine) as s:
            return repo.claim_summary_sending(
                s,
                key=key,
                data_hash=data,
                by=by,
                now=NOW + timedelta(seconds=after_s),
                hold_s=120.0,
                just_sent_s=30.0,
            )

    def release(by: str, *, sent: bool, after_s: float = 0.0) -> None:
        with session_scope(engine) as s:
            at = NOW + timedelta(seconds=after_s)
            repo.release_summary_sending(s, key=key, by=by, now=at, sent=sent)

    assert claim("scheduled") is None  # nothing scheduled: nobody to race with
    with session_scope(engine) as s:
        repo.schedule_send(
            s, kind="summary", key=key, due_at=NOW, workspace_id=ws, payload={"session_id": live}
        )
    assert claim("scheduled") == "claimed"
    assert claim("scheduled") == "claimed"  # its own mark does not hold it back (a retry)
    assert claim("now:a") == "underway"  # the same data is being sent
    assert claim("now:a", data="h2") == "claimed"  # other data: a summary that says more
    assert claim("scheduled", data="h2") == "underway"
    # a mark left by a sender that died lapses
    assert claim("scheduled", data="h2", after_s=121) == "claimed"
    release("now:a", sent=True)  # not its mark: kept
    with session_scope(engine) as s:
        row = s.execute(sa.select(ScheduledSend).where(ScheduledSend.key == key)).scalar_one()
        assert (row.payload or {})["sending"]["by"] == "scheduled"
        assert (row.payload or {})["session_id"] == live  # the rest of the payload is kept
    release("scheduled", sent=False, after_s=121)  # gave up: others may send at once
    assert claim("now:b", data="h2", after_s=122) == "claimed"
    release("now:b", sent=True, after_s=130)
    assert claim("now:c", data="h2", after_s=150) == "just_sent"  # two /summary at once
    assert claim("now:c", data="h2", after_s=161) == "claimed"  # asked again later


# ----------------------------------------------------------------------- the migration


def test_the_migration_keeps_the_newest_of_duplicate_rows(empty_engine: Engine) -> None:
    from storage.engine import upgrade

    upgrade(empty_engine, "0002")
    with empty_engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO workspace (id, chat_id, chat_type, language, timezone, digest_time,"
                " digest_enabled, nudges_enabled, active, created_at, updated_at) VALUES (1, 1,"
                " 'private', 'en', 'UTC', '09:00', true, true, true, :t, :t)"
            ),
            {"t": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO live_session (id, workspace_id, status, source, started_at, created_at)"
                " VALUES (1, 1, 'closed', 'live', :t, :t)"
            ),
            {"t": NOW},
        )
        for i, value in enumerate((1.0, 2.0, 3.0)):
            c.execute(
                sa.text("INSERT INTO minute_row (id, session_id, ts, gmv) VALUES (:id, 1, :t, :v)"),
                {"id": i + 1, "t": NOW, "v": value},
            )
            c.execute(
                sa.text(
                    "INSERT INTO viewer_row (id, session_id, user_id, spend) VALUES"
                    " (:id, 1, 'u1', :v)"
                ),
                {"id": i + 1, "v": value},
            )
            c.execute(
                sa.text(
                    "INSERT INTO past_session (id, workspace_id, room_id, started_at,"
                    " gmv) VALUES (:id, 1, 'r1', :t, :v)"
                ),
                {"id": i + 1, "t": NOW, "v": value},
            )
            c.execute(
                sa.text(
                    "INSERT INTO past_session (id, workspace_id, started_at, gmv)"
                    " VALUES (:id, 1, :t, :v)"
                ),
                {"id": i + 10, "t": NOW, "v": value},
            )
        c.execute(
            sa.text(
                "INSERT INTO viewer_row (id, session_id, user_id, spend) VALUES"
                " (20, 1, NULL, 7), (21, 1, NULL, 8)"
            )
        )
    upgrade(empty_engine)
    with empty_engine.connect() as c:
        assert c.execute(sa.text("SELECT gmv FROM minute_row")).scalars().all() == [3.0]
        spends = sorted(c.execute(sa.text("SELECT spend FROM viewer_row")).scalars().all())
        assert spends == [3.0, 7.0, 8.0]  # viewers without an id are not one viewer
        gmv = sorted(c.execute(sa.text("SELECT gmv FROM past_session")).scalars().all())
        assert gmv == [3.0, 3.0]
    with pytest.raises(sa.exc.IntegrityError), empty_engine.begin() as c:
        c.execute(sa.text("INSERT INTO minute_row (session_id, ts) VALUES (1, :t)"), {"t": NOW})


def test_workspace_and_models_are_in_the_metadata() -> None:
    assert {"column_mapping", "pending_upload"} <= set(Workspace.metadata.tables)
    assert date(2026, 11, 20) == NOV20_20H.date()
    assert PastSession.__tablename__ == "past_session"
