# mypy: disable-error-code="arg-type, union-attr"
"""A file's money is held to one currency — on SQLite and PostgreSQL: a file mixing $ and ¥
is refused with the first cell of each, and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.presenters import rejection_reason
from storage import repositories as repo
from storage.engine import session_scope
from storage.importers import import_file
from storage.importers.errors import FileInvalid, MoneyCell
from storage.importers.importer import ImportResult
from storage.models import ImportRecord, LiveSession, MinuteRow, PastSession, ViewerRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
TABLES = (ImportRecord, PastSession, MinuteRow, ViewerRow, LiveSession)


def _workspace(engine: Engine, currency: str | None = None, chat_id: int = 880) -> int:
    with session_scope(engine) as s:
        ws = repo.get_or_create_workspace(
            s, chat_id=chat_id, chat_type="private", title=None, language="zh",
            timezone="Asia/Shanghai",
        )  # fmt: skip
        assert ws.id is not None
        if currency is not None:
            repo.update_workspace(s, workspace_id=ws.id, currency=currency)
        return ws.id


def _import(engine: Engine, ws: int, data: bytes, **kw: object) -> ImportResult:
    kw.setdefault("session_id", None)
    kw.setdefault("create_sessions", True)
    with session_scope(engine) as s:
        return import_file(
            s, workspace_id=ws, data=data, filename="f", now=NOW,
            **kw,  # type: ignore[arg-type]
        )  # fmt: skip


def _currency(engine: Engine, ws: int) -> str | None:
    with session_scope(engine) as s:
        workspace = repo.get_workspace(s, workspace_id=ws)
        assert workspace is not None
        return workspace.currency


def _counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return {
            model.__name__: int(
                s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
            )
            for model in TABLES
        }


NOTHING = {model.__name__: 0 for model in TABLES}

TIKTOK_CSV = (
    "Room ID,Start Time,Duration,Attributed GMV,Attributed orders,Watch GPM,Views\n"
    "7300874820262028691,2026-10-25 20:00,2h 55min,$1505.95,56,$54.82,27473\n"
    "7300830731114411002,2026-10-26 18:00,1h 49min,$3362.88,61,$100.34,33515\n"
)


def _minutes(
    cells: list[str], start: datetime = datetime(2026, 11, 20, 20, tzinfo=SHANGHAI)
) -> bytes:
    """A dated minute export, one row a minute, with these 成交金额 cells."""
    rows = ["时间,实时在线人数,成交金额"]
    for i, gmv in enumerate(cells):
        stamp = (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M")
        rows.append(f'{stamp},{100 + i},"{gmv}"')
    return ("\n".join(rows) + "\n").encode()


def test_a_file_mixing_dollars_and_yuan_is_refused_with_the_first_cell_of_each(
    engine: Engine,
) -> None:
    ws = _workspace(engine)
    mixed = _minutes(["--", "$12.50", "$13.00", "14", "￥15.00", "$16.00"])
    with pytest.raises(FileInvalid) as info:
        _import(engine, ws, mixed)
    assert info.value.code == "mixed_currencies"
    assert info.value.params["cells"] == [
        MoneyCell(2, "成交金额", "$12.50", "$"),
        MoneyCell(5, "成交金额", "￥15.00", "¥"),
    ]
    assert _counts(engine) == NOTHING and _currency(engine, ws) is None
    en = rejection_reason("mixed_currencies", info.value.params, "en")
    assert "row 2, 成交金额 “$12.50”: US dollars ($); row 5, 成交金额 “￥15.00”: Chinese yuan" in en
    zh = rejection_reason("mixed_currencies", info.value.params, "zh")
    assert "混用了多种货币 — 第 2 行 成交金额“$12.50”：美元（$）; 第 5 行" in zh, zh
    # the second currency in a later chunk of the file, or in another money column
    with pytest.raises(FileInvalid):
        _import(engine, ws, _minutes(["$1"] * 30 + ["2元"]), chunk_rows=10)
    header, *rows = TIKTOK_CSV.splitlines()
    gpm = header.split(",").index("Watch GPM")
    first = rows[0].split(",")
    first[gpm] = "¥54.82"
    with pytest.raises(FileInvalid) as info:
        _import(engine, ws, "\n".join([header, ",".join(first), *rows[1:]]).encode())
    assert [(c.row_number, c.column, c.symbol) for c in info.value.params["cells"]] == [
        (1, "Attributed GMV", "$"),
        (1, "Watch GPM", "¥"),
    ]
    assert _counts(engine) == NOTHING and _currency(engine, ws) is None
