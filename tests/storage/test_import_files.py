# mypy: disable-error-code="arg-type, union-attr"
"""Importing files end to end: the samples, the broken samples, duplicates, size, layouts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlmodel import Session

from storage import repositories as repo
from storage.engine import make_engine, upgrade
from storage.importers.errors import (
    CODES,
    FileInvalid,
    FileUnreadable,
    ImportConflict,
    ImportRejected,
)
from storage.importers.importer import import_file
from storage.importers.readers import read_layout
from storage.importers.source import Blob
from storage.importers.validate import parse_file

DATA = Path(__file__).resolve().parents[1] / "data"
BROKEN = DATA / "broken"
STARTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def _csv_rows(path: Path, encoding: str) -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as f:
        return [row for row in csv.reader(f) if row]


def _xlsx_rows(path: Path) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    rows = [
        r for r in wb.worksheets[0].iter_rows(values_only=True) if any(v is not None for v in r)
    ]
    wb.close()
    return rows


# The expected counts come from the files themselves: rows under the header line.
EXPECTED = {
    "viewers_seed_format.csv": (
        "viewers",
        len(_csv_rows(DATA / "viewers_seed_format.csv", "utf-8-sig")) - 1,
    ),
    "viewers_zh.csv": ("viewers", len(_csv_rows(DATA / "viewers_zh.csv", "utf-8")) - 1),
    "douyin_minutes_gbk.csv": (
        "minutes",
        len(_csv_rows(DATA / "douyin_minutes_gbk.csv", "gbk")) - 1,
    ),
    # A title row above the header: header and title are not data.
    "tiktok_live_performance.xlsx": (
        "sessions",
        len(_xlsx_rows(DATA / "tiktok_live_performance.xlsx")) - 2,
    ),
}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'import.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def ids(engine: sa.Engine) -> tuple[int, int]:
    with Session(engine) as s:
        ws = repo.get_or_create_workspace(
            s,
            chat_id=42,
            chat_type="private",
            title=None,
            language="en",
            timezone="Asia/Shanghai",
        )
        assert ws.id is not None
        live = repo.open_session(s, workspace_id=ws.id, title="tea", started_at=STARTED)
        assert live.id is not None
        s.commit()
        return ws.id, live.id


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("import_record", "minute_row", "viewer_row", "past_session")
        }


def _import(engine: sa.Engine, ids: tuple[int, int], data: bytes, name: str, **kw: object):
    workspace_id, session_id = ids
    with Session(engine) as s:
        try:
            result = import_file(
                s,
                workspace_id=workspace_id,
                data=data,
                filename=name,
                session_id=kw.pop("session_id", session_id),
                now=NOW,
                **kw,  # type: ignore[arg-type]
            )
        except ImportRejected:
            s.commit()  # even a caller that commits after a refusal stores nothing of it
            raise
        s.commit()
        return result


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_imports_with_its_kind_and_rows(
    engine: sa.Engine, ids: tuple[int, int], name: str
) -> None:
    kind, rows = EXPECTED[name]
    result = _import(engine, ids, (DATA / name).read_bytes(), name)
    assert (result.kind, result.rows) == (kind, rows)
    table = {"viewers": "viewer_row", "minutes": "minute_row", "sessions": "past_session"}[kind]
    counts = _counts(engine)
    assert counts[table] == rows
    assert counts["import_record"] == 1
    with Session(engine) as s:
        record = repo.list_imports(s, workspace_id=ids[0])[0]
        assert (record.kind, record.rows, record.filename) == (kind, rows, name)
        assert record.created_at == NOW
    if kind == "sessions":
        assert result.session_id is None and result.created_sessions == rows
    else:
        assert result.session_id == ids[1] and result.created_sessions == 0


def test_viewer_values_match_the_file(engine: sa.Engine, ids: tuple[int, int]) -> None:
    _import(engine, ids, (DATA / "viewers_zh.csv").read_bytes(), "viewers_zh.csv")
    source = pd.read_csv(DATA / "viewers_zh.csv", dtype={"用户ID": str})
    with Session(engine) as s:
        frame = repo.viewers_frame(s, session_id=ids[1])
    assert list(frame["user_id"]) == list(source["用户ID"])
    pd.testing.assert_series_equal(
        frame["watch_time_s"].reset_index(drop=True),
        source["观看时长(秒)"].astype(float).rename("watch_time_s"),
    )
    assert frame["spend"].sum() == pytest.approx(source["本场消费金额"].sum())
    assert frame["purchase_count"].sum() == source["历史购买次数"].sum()


def test_minutes_gbk_values_and_missing(engine: sa.Engine, ids: tuple[int, int]) -> None:
    raw = _csv_rows(DATA / "douyin_minutes_gbk.csv", "gbk")
    header, body = raw[0], raw[1:]
    _import(engine, ids, (DATA / "douyin_minutes_gbk.csv").read_bytes(), "m.csv")
    with Session(engine) as s:
        frame = repo.minutes_frame(s, session_id=ids[1])
    assert len(frame) == len(body)
    # 20:00 local (Asia/Shanghai) is 12:00 UTC
    assert frame["ts"].iloc[0] == pd.Timestamp("2026-11-20 12:00", tz="UTC")
    comments = header.index("评论次数")
    dashes = [i for i, row in enumerate(body) if row[comments] == "--"]
    assert dashes, "the sample has missing comment counts"
    assert frame["comments"].iloc[dashes].isna().all()  # missing, never 0
    gmv = header.index("成交金额")
    expected = sum(float(r[gmv].lstrip("￥").replace(",", "")) for r in body)
    assert frame["gmv"].sum() == pytest.approx(expected)


def test_xlsx_title_block_and_values(engine: sa.Engine, ids: tuple[int, int]) -> None:
    _import(engine, ids, (DATA / "tiktok_live_performance.xlsx").read_bytes(), "t.xlsx")
    rows = _xlsx_rows(DATA / "tiktok_live_performance.xlsx")
    header, first = rows[1], rows[2]
    with Session(engine) as s:
        frame = repo.past_sessions_frame(s, workspace_id=ids[0])
    frame = frame.sort_values("started_at").reset_index(drop=True)
    assert frame["room_id"].iloc[0] == first[header.index("Room ID")]
    assert frame["title"].iloc[0] == first[header.index("Room Title")]
    assert frame["duration_s"].iloc[0] == 2 * 3600 + 55 * 60  # "2h 55min"
    assert frame["gmv"].iloc[0] == pytest.approx(1505.95)  # "$1,505.95"
    assert frame["avg_watch_s"].iloc[0] == 103  # "103s"
    assert frame["started_at"].iloc[0] == pd.Timestamp("2026-10-25 12:00", tz="UTC")
    assert frame["peak_online"].isna().all()  # not in the file: missing, not 0


BROKEN_CODES = {
    "empty.csv": "empty",
    "header_only.csv": "header_only",
    "not_a_csv.csv": "not_a_table",
    "utf16.csv": "encoding",
    "ragged_rows.csv": "ragged",
    "text_in_numbers.csv": "bad_values",
}


@pytest.mark.parametrize("name", sorted(BROKEN_CODES))
def test_broken_samples_are_refused_and_store_nothing(
    engine: sa.Engine, ids: tuple[int, int], name: str
) -> None:
    with pytest.raises(ImportRejected) as info:
        _import(engine, ids, (BROKEN / name).read_bytes(), name)
    assert info.value.code == BROKEN_CODES[name]
    assert info.value.code in CODES
    assert _counts(engine) == dict.fromkeys(_counts(engine), 0)


def test_broken_codes_are_distinct() -> None:
    assert len(set(BROKEN_CODES.values())) == len(BROKEN_CODES)


def test_ragged_names_the_rows(engine: sa.Engine, ids: tuple[int, int]) -> None:
    with pytest.raises(FileInvalid) as info:
        _import(engine, ids, (BROKEN / "ragged_rows.csv").read_bytes(), "r.csv")
    assert info.value.params["rows"] == [(2, 2), (3, 5)]
    assert info.value.params["expected"] == 3


def test_bad_values_name_rows_columns_and_reasons(engine: sa.Engine, ids: tuple[int, int]) -> None:
    with pytest.raises(FileInvalid) as info:
        _import(engine, ids, (BROKEN / "text_in_numbers.csv").read_bytes(), "t.csv")
    errors = info.value.params["errors"]
    assert [(e.row_number, e.column, e.value) for e in errors] == [
        (1, "watch_time", "thirty"),
        (2, "likes", "-3"),
    ]
    assert errors[1].reason == "negative"
    assert info.value.params["count"] == 2


def test_formula_like_ids_are_kept_as_text(engine: sa.Engine, ids: tuple[int, int]) -> None:
    """A viewers file whose ids start with = + @ has the required columns; it is data."""
    result = _import(engine, ids, (BROKEN / "formula_injection.csv").read_bytes(), "f.csv")
    assert (result.kind, result.rows) == ("viewers", 3)
    with Session(engine) as s:
        frame = repo.viewers_frame(s, session_id=ids[1])
    written = _csv_rows(BROKEN / "formula_injection.csv", "utf-8")
    assert list(frame["user_id"]) == [r[0] for r in written[1:]]
    assert frame["purchase_amount"].isna().all()


def test_same_content_twice_is_a_duplicate(engine: sa.Engine, ids: tuple[int, int]) -> None:
    data = (DATA / "viewers_seed_format.csv").read_bytes()
    first = _import(engine, ids, data, "a.csv")
    before = _counts(engine)
    with pytest.raises(ImportConflict) as info:
        _import(engine, ids, data, "b.csv")
    assert info.value.code == "duplicate"
    assert info.value.params["imported_at"] == NOW
    assert info.value.params["import_id"] == first.import_id
    assert _counts(engine) == before
    # The same table re-saved as CRLF without the BOM is the same content.
    text = data.decode("utf-8-sig").replace("\n", "\r\n")
    with pytest.raises(ImportConflict):
        _import(engine, ids, text.encode("utf-8"), "c.csv")
    assert _counts(engine) == before


def test_gbk_and_utf8_of_one_table_are_one_content(engine: sa.Engine, ids: tuple[int, int]) -> None:
    raw = (DATA / "douyin_minutes_gbk.csv").read_bytes()
    _import(engine, ids, raw, "gbk.csv")
    with pytest.raises(ImportRejected) as info:
        _import(engine, ids, raw.decode("gbk").encode("utf-8-sig"), "utf8.csv")
    assert info.value.code == "duplicate"


def test_too_large_is_refused_before_reading(engine: sa.Engine, ids: tuple[int, int]) -> None:
    payload = b"\x00" * (25 * 1024 * 1024)  # would be "not_a_table" if it were read
    with pytest.raises(FileUnreadable) as info:
        _import(engine, ids, payload, "big.csv")
    assert info.value.code == "too_large"
    assert info.value.params["size"] == len(payload)
    assert _counts(engine)["import_record"] == 0


def test_minutes_and_viewers_need_a_session(engine: sa.Engine, ids: tuple[int, int]) -> None:
    for name in ("viewers_zh.csv", "douyin_minutes_gbk.csv"):
        with pytest.raises(ImportConflict) as info:
            _import(engine, ids, (DATA / name).read_bytes(), name, session_id=999)
        assert info.value.code == "unknown_session"
    with pytest.raises(ImportConflict) as info:
        _import(engine, ids, (DATA / "viewers_zh.csv").read_bytes(), "v.csv", session_id=None)
    assert info.value.code == "no_session"
    assert _counts(engine) == dict.fromkeys(_counts(engine), 0)
    # a dated minute file needs no session named: its dates overlap the open one
    result = _import(
        engine, ids, (DATA / "douyin_minutes_gbk.csv").read_bytes(), "m.csv", session_id=None
    )
    assert result.session_id == ids[1] and not result.created_session


def test_bad_row_late_in_a_big_file_undoes_the_written_chunks(
    engine: sa.Engine, ids: tuple[int, int]
) -> None:
    lines = ["user_id,watch_time,likes"] + [f"u{i},{i % 300},{i % 7}" for i in range(2500)]
    lines[2400] = "u2399,--,abc"
    data = ("\n".join(lines) + "\n").encode()
    done: list[int] = []
    with pytest.raises(FileInvalid) as info:
        _import(engine, ids, data, "late.csv", chunk_rows=500, progress=done.append)
    first = info.value.params["errors"][0]
    # watch_time is required: "--" is missing there, so that cell is named first
    assert (first.row_number, first.column, first.reason) == (2400, "watch_time", "missing")
    assert done == [500, 1000, 1500, 2000, 2500]
    assert _counts(engine) == dict.fromkeys(_counts(engine), 0)


def test_chunked_parse_equals_whole_parse() -> None:
    data = (DATA / "viewers_seed_format.csv").read_bytes()
    whole = parse_file(data, chunk_rows=1_000_000)
    small = parse_file(data, chunk_rows=333)
    pd.testing.assert_frame_equal(whole.frame, small.frame)
    assert whole.rows == small.rows == EXPECTED["viewers_seed_format.csv"][1]


# ------------------------------------------------------------------------- layouts and forms


def _layout(data: bytes):
    return read_layout(Blob(data))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(delimiter: str) -> None:
    text = delimiter.join(["user_id", "watch_time", "likes"]) + "\n"
    text += delimiter.join(["u1", "30", "2"]) + "\n" + delimiter.join(["u2", "45", "1"]) + "\n"
    layout = _layout(text.encode())
    assert (layout.kind, layout.rows, layout.delimiter) == ("viewers", 2, delimiter)


def test_title_rows_and_blank_lines_in_csv() -> None:
    text = (
        "直播数据导出,2026-11-20\n\n时间,实时在线人数,直播间离开人数\n"
        '2026-11-20 20:00,12,1\n\n2026-11-20 20:01,35,"1,000"\n'
    )
    parsed = parse_file(text.encode("gb18030"))
    assert parsed.kind == "minutes"
    assert parsed.rows == 2
    assert list(parsed.frame["exits"]) == [1.0, 1000.0]
    assert parsed.layout is not None and parsed.layout.preamble == [["直播数据导出", "2026-11-20"]]


def test_header_found_by_columns_not_by_name() -> None:
    text = 'Room ID,Start Time,Duration,Attributed GMV\n1,2026-10-25 20:00,1h,"$1,000"\n'
    assert _layout(text.encode()).kind == "sessions"
    # The file name plays no part: import_file records it only.


def test_xlsx_with_title_rows(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["观众明细"])
    ws.append([])
    ws.append(["用户ID", "观看时长(秒)", "本场消费金额"])
    ws.append(["a1", 30, "￥1,200.00"])
    ws.append(["a2", "5分30秒", "--"])
    buffer = io.BytesIO()
    wb.save(buffer)
    parsed = parse_file(buffer.getvalue())
    assert (parsed.kind, parsed.rows) == ("viewers", 2)
    assert list(parsed.frame["watch_time_s"]) == [30.0, 330.0]
    assert parsed.frame["spend"].iloc[0] == 1200.0
    assert pd.isna(parsed.frame["spend"].iloc[1])


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"   \n\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"hello there\nthis is a letter\n", "not_a_table"),
        (b"colour,size,weight\nred,1,2\n", "unknown_kind"),
        (b"watch_time,likes\n30,2\n", "missing_columns"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "not_a_table"),
        (b"PK\x03\x04garbage", "not_a_table"),
        ("user_id,watch_time\nu1,30\n".encode("utf-16-le"), "encoding"),
        (b"user_id,watch_time\nu1,\xff\xfe\xfd30\n", "encoding"),
        (b"user_id,watch_time\n,\n , \n", "header_only"),
    ],
)
def test_refusal_codes(data: bytes, code: str) -> None:
    with pytest.raises(ImportRejected) as info:
        parse_file(data)
    assert info.value.code == code


def test_percent_and_junk_in_numeric_columns_are_bad_values() -> None:
    text = "user_id,watch_time,likes,本场消费金额\nu1,30,2,12%\nu2,30,1.5,1\nu3,30,inf,1\nu4,,1,1\n"
    parsed = parse_file(text.encode())
    reasons = [(e.row_number, e.reason) for e in parsed.errors]
    # pandas reads "inf" as it reads 1e309: a number beyond a float, refused as too large.
    assert reasons == [(1, "percent"), (2, "not_whole"), (3, "too_large"), (4, "missing")]
    with pytest.raises(FileInvalid):
        parsed.check()


def test_only_first_five_bad_rows_are_named() -> None:
    lines = ["user_id,watch_time"] + [f"u{i},bad{i}" for i in range(12)]
    parsed = parse_file(("\n".join(lines)).encode(), chunk_rows=4)
    assert [e.row_number for e in parsed.errors] == [1, 2, 3, 4, 5]
    assert parsed.bad_rows == 12
