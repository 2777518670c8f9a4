# mypy: disable-error-code="arg-type, union-attr"
"""Hostile files and numbers (issue "Safe by default"): one test per case.

The large files are written by the tests (`corpus`), never kept in the repository. Each is
imported in a fresh process (`measure`) that reports how much the import added to the
process's peak resident memory and how long it took; the bound is the issue's: at most
150 MB more, on a shared two-core machine within 20 s. Refusals leave nothing stored.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot.i18n import CATALOG
from bot.presenters import import_reply, rejection_reason
from bot.services.imports import import_upload
from storage.importers import ImportRejected, guard, import_file, parse_file
from storage.importers.source import Blob
from tests.hostile import corpus
from tests.utils.factories import make_session

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PEAK_MB = 150.0
SECONDS = 20.0
STARTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
NOTHING_NEW = {"import_record": 1, "viewer_row": 2}  # what the warm-up import stored


def measure(path: Path, *flags: str) -> dict[str, Any]:
    """Import `path` in a fresh process (tests/hostile/measure.py) and read its report."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.measure", str(path), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(path.name, flags, report)
    assert report["growth_mb"] <= PEAK_MB, report
    assert report["seconds"] < SECONDS, report
    return report


def refused(report: dict[str, Any], code: str) -> dict[str, Any]:
    assert not report["ok"] and report["code"] == code, report
    assert report["stored"] == NOTHING_NEW, report
    return report


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


# ----------------------------------------------------------- files that cost memory or time


def test_100kb_xlsx_with_a_100m_character_inline_string(files: Path) -> None:
    path = corpus.xlsx_inline_string(files / "inline.xlsx")
    assert path.stat().st_size < 120_000
    refused(measure(path), "zip_ratio")
    # Past the ratio (a file packed less tightly), the cell's length refuses it.
    report = refused(measure(path, "--no-ratio"), "cell_too_long")
    assert int(report["params"]["length"]) > guard.MAX_CELL_BYTES


def test_222kb_xlsx_with_5m_shared_strings(files: Path) -> None:
    path = corpus.xlsx_shared_strings(files / "shared.xlsx")
    assert path.stat().st_size < 260_000
    refused(measure(path), "zip_ratio")
    report = refused(measure(path, "--no-ratio"), "too_many_strings")
    assert report["params"]["limit"] == str(guard.MAX_SHARED_STRINGS)


def test_zip_bomb(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = corpus.xlsx_bomb(files / "bomb.xlsx")
    refused(measure(path), "zip_ratio")
    refused(measure(path, "--no-ratio"), "cell_too_long")
    # Several parts that together unpack past the limit: refused from the directory alone.
    monkeypatch.setattr(guard, "MAX_UNPACKED", 100 << 20)
    with pytest.raises(ImportRejected) as info:
        parse_file(path)
    assert info.value.code == "unpacked_too_large"
    assert info.value.params["size"] > 150 << 20


def test_xlsx_with_1m_empty_rows(files: Path) -> None:
    path = corpus.xlsx_empty_rows(files / "empty.xlsx")
    report = measure(path)
    # Imported: the rows with values, the million empty ones skipped.
    assert report["ok"] and report["rows"] == 4, report
    assert report["stored"] == {"import_record": 2, "viewer_row": 6}
    assert report["growth_mb"] > 0  # the measure sees this process's own memory


def test_csv_with_a_10mb_cell(files: Path) -> None:
    path = corpus.csv_with_big_cell(files / "cell.csv")
    report = refused(measure(path), "line_too_long")
    assert report["params"]["line"] == "3"
    # 1 million empty lines are no burden either: blank lines are skipped.
    blank = files / "blank.csv"
    with blank.open("wb") as f:
        f.write(b"user_id,watch_time\nu1,30\n" + b"\n" * 1_000_000 + b"u2,40\n")
    report = measure(blank)
    assert report["ok"] and report["rows"] == 2, report


# ------------------------------------------------------------------ numbers, dates, text


@pytest.fixture
def target(engine: sa.Engine) -> tuple[int, int]:
    """A workspace with an open session: (workspace id, session id)."""
    with Session(engine) as s:
        live = make_session(s, started_at=STARTED)
        s.commit()
        return int(live.workspace_id), int(live.id)


def stored(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {
            t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("import_record", "minute_row", "viewer_row", "past_session")
        }


def run_import(engine: sa.Engine, target: tuple[int, int], data: bytes, **kw: Any) -> Any:
    """Import in one transaction that the caller commits even after a refusal."""
    with Session(engine) as s:
        try:
            result = import_file(
                s,
                workspace_id=target[0],
                data=data,
                filename="f.csv",
                session_id=target[1],
                now=NOW,
                **kw,
            )
        finally:
            s.commit()
        return result


def test_viewer_file_with_1e309_minus_1e309_and_a_400_digit_number(
    engine: sa.Engine, target: tuple[int, int]
) -> None:
    huge = "9" * 400
    text = (
        "user_id,watch_time,likes,本场消费金额\n"
        "u1,30,1,￥12\n"
        "u2,30,1e309,￥12\n"
        "u3,30,1,-1e309\n"
        f"u4,30,1,{huge}\n"
        "u5,1e309,1,￥12\n"
    )
    with pytest.raises(ImportRejected) as info:
        run_import(engine, target, text.encode())
    rejected = info.value
    assert rejected.code == "bad_values" and rejected.params["count"] == 4
    named = [(e.row_number, e.column, e.reason) for e in rejected.params["errors"]]
    assert named == [
        (2, "likes", "too_large"),
        (3, "本场消费金额", "too_large"),
        (4, "本场消费金额", "too_large"),
        (5, "watch_time", "too_large"),
    ]
    assert all(len(e.value) <= 40 for e in rejected.params["errors"])  # no 400-digit quote
    assert stored(engine) == {
        "import_record": 0,
        "minute_row": 0,
        "viewer_row": 0,
        "past_session": 0,
    }
    for lang, words, row in (("en", "too large", "row 2, likes"), ("zh", "数值过大", "第 2 行")):
        reason = rejection_reason(rejected.code, rejected.params, lang)
        assert words in reason and row in reason, reason


def test_values_beyond_their_field_bounds_are_refused(
    engine: sa.Engine, target: tuple[int, int]
) -> None:
    # 49 hours of watching, ten billion and one likes: finite, but beyond the field's cap.
    text = "user_id,watch_time,likes\nu1,30,1\nu2,176400,1\nu3,30,10000000001\n"
    with pytest.raises(ImportRejected) as info:
        run_import(engine, target, text.encode())
    named = [(e.row_number, e.reason) for e in info.value.params["errors"]]
    assert named == [(2, "too_large"), (3, "too_large")]
    assert stored(engine)["viewer_row"] == 0


def test_sessions_file_dated_2300(engine: sa.Engine, target: tuple[int, int]) -> None:
    text = (
        "Start Time,End Time,Attributed GMV,Views\n"
        "2026-10-25 20:00,2026-10-25 22:00,$10,100\n"
        "2300-10-26 20:00,2300-10-26 22:00,$10,100\n"
        "2014-06-01 20:00,2014-06-01 22:00,$10,100\n"
    )
    outcome = import_upload(
        engine,
        workspace_id=target[0],
        data=text.encode(),
        filename="s.csv",
        caption=None,
        now=NOW,
    )
    assert not outcome.ok and outcome.code == "bad_values"
    named = [(e.row_number, e.reason) for e in outcome.params["errors"]]  # type: ignore[attr-defined]
    assert named == [(2, "too_late"), (3, "too_early")]
    assert "later than tomorrow" in import_reply(outcome, "s.csv", "en")
    assert "晚于明天" in import_reply(outcome, "s.csv", "zh")
    assert stored(engine)["past_session"] == 0


async def test_sessions_file_dated_2300_gets_its_answer_in_chat(bot: Any) -> None:
    from tests.e2e.test_data_in import say, upload

    await say(bot, 1001, "/start")
    text = "Start Time,End Time,Attributed GMV,Views\n2300-10-26 20:00,2300-10-26 22:00,$10,100\n"
    reply = await upload(bot, 1001, data=text.encode(), name="sessions_2300.csv")
    assert "not imported, nothing was stored" in reply and "later than tomorrow" in reply
    edits = [c.text for c in bot.api.calls("editMessageText")]
    assert edits and "Reading" not in edits[-1], edits


async def test_an_import_that_fails_unexpectedly_does_not_leave_reading(
    bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.handlers.files as files
    from tests.e2e.test_data_in import say, upload

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(files, "import_upload", broken)
    await say(bot, 1001, "/start")
    reply = await upload(bot, 1001, DATA / "viewers_zh.csv")
    assert "not imported, nothing was stored: something went wrong" in reply
    edits = [c.text for c in bot.api.calls("editMessageText")]
    assert edits and "Reading" not in edits[-1], edits


def test_mixed_encodings(engine: sa.Engine, target: tuple[int, int]) -> None:
    lines = ["用户ID,观看时长(秒),点赞数"] + [f"观众{i},{30 + i},{i}" for i in range(9)]
    raw = [line.encode("utf-8") for line in lines]
    raw[6] = lines[6].encode("gbk")  # one line saved in GBK
    with pytest.raises(ImportRejected) as info:
        run_import(engine, target, b"\n".join(raw) + b"\n")
    assert info.value.code == "mixed_encoding"
    assert info.value.params == {"line": 7, "encoding": "UTF-8"}
    assert "line 7" in rejection_reason("mixed_encoding", info.value.params, "en")
    assert "第 7 行" in rejection_reason("mixed_encoding", info.value.params, "zh")
    # The same with a BOM: still the first line that is not UTF-8.
    with pytest.raises(ImportRejected) as info:
        run_import(engine, target, b"\xef\xbb\xbf" + b"\n".join(raw) + b"\n")
    assert info.value.params == {"line": 7, "encoding": "UTF-8"}
    assert stored(engine)["viewer_row"] == 0
    # Pure GBK and UTF-8 with a BOM still import, the names read right.
    gbk = "\n".join(lines).encode("gbk") + b"\n"
    assert run_import(engine, target, gbk).rows == 9
    renamed = [lines[0], *(x.replace("观众", "观众乙") for x in lines[1:])]
    bom = b"\xef\xbb\xbf" + "\n".join(renamed).encode()
    assert run_import(engine, target, bom).rows == 9
    with engine.connect() as c:
        names = set(c.execute(sa.text("SELECT user_id FROM viewer_row")).scalars())
    assert {f"观众{i}" for i in range(9)} <= names
    assert parse_file((DATA / "douyin_minutes_gbk.csv").read_bytes()).rows > 0


def test_exact_duplicate_rows_in_a_file_are_reported(
    engine: sa.Engine, target: tuple[int, int]
) -> None:
    rows = ["u1,30,1", "u2,40,2", "u1,30,1", "u3,50,3", "u1,30,1", "u2,40,2", "u2,41,2"]
    text = "user_id,watch_time,likes\n" + "\n".join(rows) + "\n"
    outcome = import_upload(
        engine,
        workspace_id=target[0],
        data=text.encode(),
        filename="v.csv",
        caption=None,
        now=NOW,
    )
    # three exact repeats left out; u2's two different rows are one viewer (the last kept)
    assert outcome.ok and outcome.rows == 3 and outcome.duplicates == 3
    assert stored(engine)["viewer_row"] == 3
    assert "3 rows were exact repeats" in import_reply(outcome, "v.csv", "en")
    assert "3 行" in import_reply(outcome, "v.csv", "zh")
    # Across chunks too.
    again = "user_id,watch_time,likes\n" + "\n".join(f"w{i % 50},30,1" for i in range(500))
    parsed = parse_file(again.encode(), chunk_rows=64)
    assert (parsed.rows, parsed.duplicates) == (50, 450)


def test_max_upload_bytes_reaches_the_importer(engine: sa.Engine, target: tuple[int, int]) -> None:
    data = (DATA / "viewers_zh.csv").read_bytes()
    outcome = import_upload(
        engine,
        workspace_id=target[0],
        data=data,
        filename="v.csv",
        caption=None,
        now=NOW,
        max_bytes=100 * 1024,
    )
    assert not outcome.ok and outcome.code == "too_large"
    assert outcome.params == {"size": len(data), "limit": 100 * 1024}
    assert "the limit is 100 KB" in rejection_reason("too_large", outcome.params, "en")
    assert stored(engine)["import_record"] == 0
    ok = import_upload(
        engine,
        workspace_id=target[0],
        data=data,
        filename="v.csv",
        caption=None,
        now=NOW,
        max_bytes=len(data),
    )
    assert ok.ok


def test_long_ids_are_refused_and_long_titles_cut() -> None:
    long_id = "u" * 129
    text = f"user_id,watch_time\nu1,30\n{long_id},40\n"
    parsed = parse_file(text.encode())
    assert [(e.row_number, e.reason) for e in parsed.errors] == [(2, "too_long")]
    title = "t" * 500
    sessions = f"Start Time,Room Title\n2026-10-25 20:00,{title}\n"
    frame = parse_file(sessions.encode(), now=NOW).frame
    assert frame["title"].iloc[0] == "t" * 200


def test_every_hostile_refusal_reads_in_english_and_chinese() -> None:
    samples: dict[str, dict[str, object]] = {
        "unpacked_too_large": {"size": 300 << 20, "limit": guard.MAX_UNPACKED},
        "zip_ratio": {"ratio": 1025, "limit": guard.MAX_RATIO, "entry": "xl/sheet1.xml"},
        "too_many_entries": {"count": 5000, "limit": guard.MAX_ENTRIES},
        "too_many_strings": {"count": 1_048_567, "limit": guard.MAX_SHARED_STRINGS},
        "cell_too_long": {"length": 1_048_271, "limit": guard.MAX_CELL_BYTES},
        "line_too_long": {"line": 3, "limit": guard.MAX_LINE_BYTES},
        "mixed_encoding": {"line": 7, "encoding": "UTF-8"},
        "too_large": {"size": 25 << 20, "limit": 20 << 20},
    }
    for code, params in samples.items():
        assert f"reject_{code}" in CATALOG
        for lang in ("en", "zh"):
            text = rejection_reason(code, params, lang)
            assert text and "{" not in text and text != code, (code, lang, text)
    for reason in ("too_large", "too_early", "too_late", "too_long", "percent"):
        assert {"en", "zh"} <= set(CATALOG[f"why_{reason}"])


def test_a_bad_workbook_is_refused_before_it_is_read(files: Path) -> None:
    # Not a ZIP behind the signature, and a ZIP with too many parts.
    with pytest.raises(ImportRejected) as info:
        parse_file(b"PK\x03\x04" + b"\x00" * 200)
    assert info.value.code == "not_a_table"
    import zipfile

    many = files / "many.xlsx"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(guard.MAX_ENTRIES + 1):
            z.writestr(f"x/{i}.xml", "<a/>")
    with pytest.raises(ImportRejected) as info:
        guard.check_xlsx(Blob(many))
    assert info.value.code == "too_many_entries"


def test_viewer_workbook_with_1e309_and_a_400_digit_number(tmp_path: Path) -> None:
    def row(r: int, user: str, likes: str) -> str:
        return (
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{user}</t></is></c>'
            f'<c r="B{r}"><v>30</v></c><c r="C{r}"><v>{likes}</v></c></row>'
        )

    header = (
        '<row r="1">'
        + "".join(
            f'<c r="{c}1" t="inlineStr"><is><t>{name}</t></is></c>'
            for c, name in zip("ABC", ("user_id", "watch_time", "likes"), strict=True)
        )
        + "</row>"
    )
    sheet = [header, row(2, "u1", "3"), row(3, "u2", "1E309"), row(4, "u3", "9" * 400 + ".0")]
    path = corpus.xlsx_workbook(tmp_path / "numbers.xlsx", sheet)
    parsed = parse_file(path)
    assert [(e.row_number, e.column) for e in parsed.errors] == [(2, "likes"), (3, "likes")]
    assert {e.reason for e in parsed.errors} <= {"too_large", "not_a_number"}
    assert parsed.frame["likes"].tolist() == [3.0]
