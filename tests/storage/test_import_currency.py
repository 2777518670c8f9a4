# mypy: disable-error-code="arg-type, union-attr"
"""A file's money is held to one currency, the workspace's — on SQLite and PostgreSQL: a $
file in a workspace that counts in yuan is refused with both currencies and stores nothing;
a workspace without a currency takes the file's; a file mixing $ and ¥ is refused; a file
without symbols imports as it always did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.presenters import rejection_reason
from bot.settings_input import currencies_of_symbol
from storage import repositories as repo
from storage.engine import session_scope
from storage.importers import ImportRejected, import_file
from storage.importers.errors import FileInvalid, ImportConflict, MoneyCell
from storage.importers.importer import ImportResult
from storage.models import ImportRecord, LiveSession, MinuteRow, PastSession, ViewerRow

DATA = Path(__file__).resolve().parents[1] / "data"
TIKTOK = (DATA / "tiktok_live_performance.xlsx").read_bytes()  # "$1,505.95"
DOUYIN = (DATA / "douyin_minutes_gbk.csv").read_bytes()  # "￥0.00"
VIEWERS = (DATA / "viewers_zh.csv").read_bytes()  # money without a symbol
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
            currencies_of=currencies_of_symbol, **kw,  # type: ignore[arg-type]
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


def _closed_session(engine: Engine, ws: int, started: datetime) -> int:
    with session_scope(engine) as s:
        live = repo.add_closed_session(
            s, workspace_id=ws, title="t", started_at=started,
            ended_at=started + timedelta(hours=2), source="live",
        )  # fmt: skip
        assert live.id is not None
        return live.id


def _minutes(
    cells: list[str], start: datetime = datetime(2026, 11, 20, 20, tzinfo=SHANGHAI)
) -> bytes:
    """A dated minute export, one row a minute, with these 成交金额 cells."""
    rows = ["时间,实时在线人数,成交金额"]
    for i, gmv in enumerate(cells):
        stamp = (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M")
        rows.append(f'{stamp},{100 + i},"{gmv}"')
    return ("\n".join(rows) + "\n").encode()


def test_a_dollar_file_in_a_yuan_workspace_is_refused_and_stores_nothing(engine: Engine) -> None:
    ws = _workspace(engine, "CNY")
    with pytest.raises(ImportConflict) as info:
        _import(engine, ws, TIKTOK)
    assert info.value.code == "currency_conflict"
    assert info.value.params == {"symbol": "$", "currency": "USD", "workspace_currency": "CNY"}
    assert _counts(engine) == NOTHING
    assert _currency(engine, ws) == "CNY"
    # a dated minute file in dollars would have made a past stream of its own: not even that
    with pytest.raises(ImportConflict) as info:
        _import(engine, ws, _minutes(["$12.50", "$13.00", "--"]))
    assert info.value.code == "currency_conflict"
    assert _counts(engine) == NOTHING


def test_a_dollar_file_sets_a_workspace_without_a_currency_to_usd(engine: Engine) -> None:
    ws = _workspace(engine)
    result = _import(engine, ws, TIKTOK)
    assert (result.kind, result.rows, result.currency_set) == ("sessions", 24, "USD")
    assert _currency(engine, ws) == "USD"
    with session_scope(engine) as s:
        gmv = repo.past_sessions_frame(s, workspace_id=ws)["gmv"]
    assert pytest.approx(1505.95) in list(gmv)  # "$1,505.95": the dollars as they are
    # from now on the workspace counts in dollars: yuan are refused, dollars are not
    with pytest.raises(ImportConflict) as info:
        _import(engine, ws, DOUYIN)
    assert info.value.params == {"symbol": "¥", "currency": "CNY", "workspace_currency": "USD"}
    again = _import(engine, ws, _minutes(["US$1.00", "USD 2"]))
    assert again.rows == 2 and again.currency_set is None
    assert _counts(engine)["ImportRecord"] == 2


def test_a_yuan_file_in_a_yuan_workspace_imports(engine: Engine) -> None:
    ws = _workspace(engine, "CNY")
    result = _import(engine, ws, DOUYIN)
    assert (result.kind, result.rows, result.currency_set) == ("minutes", 120, None)
    assert _counts(engine)["MinuteRow"] == 120
    # 元 after the number and RMB before it are yuan too
    day = datetime(2026, 11, 21, 20, tzinfo=SHANGHAI)
    assert _import(engine, ws, _minutes(["12元", "RMB 3", "1.2万"], start=day)).rows == 3
    assert _currency(engine, ws) == "CNY"


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


def test_a_file_without_symbols_imports_as_before(engine: Engine) -> None:
    for n, currency in enumerate((None, "CNY", "USD")):
        ws = _workspace(engine, currency, chat_id=900 + n)
        started = datetime(2026, 11, 20, 12, tzinfo=UTC)
        live = _closed_session(engine, ws, started)
        result = _import(engine, ws, VIEWERS, session_id=live)
        assert (result.kind, result.rows, result.currency_set) == ("viewers", 7202, None)
        assert _currency(engine, ws) == currency
        plain = _import(engine, ws, _minutes(["12.50", "1,300", "1.2万"]))
        assert plain.rows == 3 and _currency(engine, ws) == currency


def test_a_bare_symbol_is_taken_in_the_currency_it_also_writes(engine: Engine) -> None:
    """Exports write Singapore dollars as `$` and yen as `¥` too: a chat set to SGD or JPY
    takes them as its own."""
    sgd = _workspace(engine, "SGD")
    assert _import(engine, sgd, TIKTOK).rows == 24
    jpy = _workspace(engine, "JPY", chat_id=881)
    assert _import(engine, jpy, DOUYIN).rows == 120
    assert (_currency(engine, sgd), _currency(engine, jpy)) == ("SGD", "JPY")
    eur = _workspace(engine, "EUR", chat_id=882)
    with pytest.raises(ImportConflict):
        _import(engine, eur, TIKTOK)


def test_of_two_files_at_once_the_first_currency_is_kept(engine: Engine) -> None:
    """A file read while another set the currency is held to the one that was set."""
    ws = _workspace(engine)
    with Session(engine, expire_on_commit=False) as late:
        seen = repo.get_workspace(late, workspace_id=ws)
        assert seen is not None and seen.currency is None  # read before the other file
        _import(engine, ws, TIKTOK)  # commits USD
        with pytest.raises(ImportRejected) as info:
            import_file(
                late, workspace_id=ws, data=DOUYIN, filename="f", session_id=None, now=NOW,
                create_sessions=True, currencies_of=currencies_of_symbol,
            )  # fmt: skip
        late.rollback()
    assert info.value.code == "currency_conflict"
    assert info.value.params["workspace_currency"] == "USD"
    assert _currency(engine, ws) == "USD"
    assert _counts(engine)["MinuteRow"] == 0 and _counts(engine)["LiveSession"] == 0


def test_adopt_currency_keeps_the_first(engine: Engine) -> None:
    ws = _workspace(engine)
    with session_scope(engine) as s:
        assert repo.adopt_currency(s, workspace_id=ws, currency="USD") == "USD"
        assert repo.adopt_currency(s, workspace_id=ws, currency="CNY") == "USD"
        assert repo.adopt_currency(s, workspace_id=ws + 999, currency="CNY") is None
    assert _currency(engine, ws) == "USD"


def test_south_east_asian_money_is_read_and_sets_its_own_currency(engine: Engine) -> None:
    # TikTok Shop's exports in Indonesia group rupiah with dots
    ws = _workspace(engine)
    result = _import(engine, ws, _minutes(["Rp1.234.567", "Rp 25.000", "--"]))
    assert (result.rows, result.currency_set) == (3, "IDR")
    with session_scope(engine) as s:
        gmv = s.execute(sa.select(MinuteRow.gmv).order_by(MinuteRow.ts)).scalars().all()
    assert gmv[:2] == [1_234_567.0, 25_000.0]
    # Singapore dollars in a chat that counts in them; ringgit there are refused
    sg = _workspace(engine, chat_id=881)
    day = datetime(2026, 11, 22, 20, tzinfo=SHANGHAI)
    result = _import(engine, sg, _minutes(["S$12.50", "SGD 3"], start=day))
    assert (result.rows, result.currency_set) == (2, "SGD")
    with pytest.raises(ImportConflict) as info:
        _import(engine, sg, _minutes(["RM 99.90"], start=day + timedelta(days=1)))
    assert info.value.params == {"symbol": "RM", "currency": "MYR", "workspace_currency": "SGD"}
