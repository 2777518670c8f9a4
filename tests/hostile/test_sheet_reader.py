"""The bounded .xlsx reader reads what openpyxl reads, row for row (blank rows aside)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from storage.importers import ImportRejected
from storage.importers.sheets import MAX_COLUMNS, Workbook
from storage.importers.source import Blob
from tests.hostile import corpus

DATA = Path(__file__).resolve().parents[1] / "data"


def _openpyxl_rows(path: Path, title: str) -> list[list[object]]:
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = []
        for row in wb[title].iter_rows(values_only=True):
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            if values:
                rows.append(values)
        return rows
    finally:
        wb.close()


def _ours(path: Path, title: str) -> list[list[object]]:
    with Workbook(Blob(path)) as wb:
        return [row for row in wb.rows(title) if row]


def test_the_tiktok_sample_reads_as_openpyxl_reads_it() -> None:
    path = DATA / "tiktok_live_performance.xlsx"
    with Workbook(Blob(path)) as wb:
        titles = wb.titles
    for title in titles:
        assert _ours(path, title) == _openpyxl_rows(path, title)


def test_dates_numbers_booleans_shared_and_rich_strings(tmp_path: Path) -> None:
    wb = OpenpyxlWorkbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["user_id", "watch_time", "when", "flag", "note"])
    ws.append(["u1", 30.5, datetime(2026, 11, 20, 20, 0), True, "同一个"])
    ws.append([None, None, None, None, None])  # a blank row
    ws.append(["u2", 7, datetime(2026, 11, 20, 21, 30), False, "同一个"])
    ws["E5"] = CellRichText(["bold ", TextBlock(InlineFont(b=True), "part")])
    ws["A5"] = "u3"
    ws.cell(row=9, column=2, value=1e15)
    path = tmp_path / "mixed.xlsx"
    wb.save(path)
    ours = _ours(path, "数据")
    assert ours == _openpyxl_rows(path, "数据")
    assert ours[3] == ["u3", None, None, None, "bold part"]


def test_a_row_past_the_column_limit_is_refused(tmp_path: Path) -> None:
    cells = "".join(f'<c r="{_col(i)}1"><v>1</v></c>' for i in range(1, MAX_COLUMNS + 3))
    path = corpus.xlsx_workbook(tmp_path / "wide.xlsx", [f'<row r="1">{cells}</row>'])
    with pytest.raises(ImportRejected) as info, Workbook(Blob(path)) as wb:
        list(wb.rows(wb.titles[0]))
    assert info.value.code == "not_a_table"


def _col(n: int) -> str:
    name = ""
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name
