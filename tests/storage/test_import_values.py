# mypy: disable-error-code="arg-type, union-attr"
"""Values as platforms and hosts write them: numbers, durations, times."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.importers.values import (
    MISSING_MARKERS,
    NUMBER_STYLES,
    ValueParseError,
    format_number,
    parse_bool,
    parse_datetime,
    parse_duration,
    parse_number,
    parse_value,
    style_tolerance,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", 1200.0),
        ("1,200", 1200.0),
        ("1.2k", 1200.0),
        ("1.2K", 1200.0),
        ("1.2万", 12000.0),
        ("3.5亿", 350_000_000.0),
        ("1.2w", 12000.0),
        ("￥3,400", 3400.0),
        ("¥3,400.00", 3400.0),
        ("$3.4k", 3400.0),
        ("１２００", 1200.0),
        ("１，２００", 1200.0),
        ("１．５万", 15000.0),
        ("-3", -3.0),
        ("−3", -3.0),
        ("3.5亿元", 350_000_000.0),
        ("1.2E+07", 12_000_000.0),
        ("  42  ", 42.0),
        (".5", 0.5),
        ("12%", 0.12),
        ("3.2%", 0.032),
        ("1,234,567.89", 1234567.89),
        # the currencies of South-East Asia's exports; rupiah and dong group with dots
        ("S$12.50", 12.5),
        ("HK$1,234.5", 1234.5),
        ("NT$300", 300.0),
        ("RM 99.90", 99.9),
        ("₱1,000", 1000.0),
        ("฿99", 99.0),
        ("JP¥1,200", 1200.0),
        ("Rp1.234.567", 1234567.0),
        ("Rp 1.234.567,50", 1234567.5),
        ("IDR 1.500", 1500.0),
        ("Rp12.5", 12.5),
        ("1.234.567 ₫", 1234567.0),
        ("12 VND", 12.0),
    ],
)
def test_numbers_as_written(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected, rel=1e-15)


def test_multipliers_are_exact() -> None:
    # Decimal arithmetic: no 12000.000000000002
    assert parse_number("1.2万") == 12000.0
    assert parse_number("0.7k") == 700.0


def test_percent_is_flagged() -> None:
    parsed = parse_value("12%")
    assert parsed is not None
    assert parsed.percent
    assert parsed.value == pytest.approx(0.12)
    plain = parse_value("12")
    assert plain is not None and not plain.percent
    money = parse_value("￥3,400")
    assert money is not None and money.currency == "¥"
    written = {"S$1": "S$", "SGD 1": "S$", "Rp1": "Rp", "IDR 1": "Rp", "1 đ": "₫", "1元": "¥",
               "MYR 1": "RM", "US$1": "$", "JPY 1": "JP¥", "1": None}  # fmt: skip
    assert {text: parse_value(text).currency for text in written} == written


@given(n=st.integers(0, 10**12), symbol=st.sampled_from(["Rp", "Rp ", "IDR "]))
def test_rupiah_grouped_with_dots_read_as_written(n: int, symbol: str) -> None:
    grouped = f"{n:,}".replace(",", ".")
    assert parse_number(symbol + grouped) == n
    for written in (f"{grouped} ₫", f"₫{grouped}", f"{grouped} IDR", f"{grouped}Rp"):
        assert parse_number(written) == n, written


@pytest.mark.parametrize("text", ["--", "-", "—", "暂无", "N/A", "", "   ", "n/a", "nan", "null"])
def test_missing_markers_are_none(text: str) -> None:
    assert parse_number(text) is None
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    "text",
    ["thirty", "12abc", "1,20", "1.2.3", "inf", "1e5k", "$5%", "+-3", "1 200", "1,2345", "万",
     "12 34", "0x10", "1_000", "٣", "1.234.567", "$1.234.567", "1.234,5", "Rp5 ₫", "S$3元"],
)  # fmt: skip
def test_junk_raises_with_reason(text: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_number(text)
    assert info.value.reason == "not_a_number"
    assert info.value.text == text


def test_negative_refused_where_not_allowed() -> None:
    assert parse_number("-3") == -3.0
    with pytest.raises(ValueParseError) as info:
        parse_number("-3", allow_negative=False)
    assert info.value.reason == "negative"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5分30秒", 330.0),
        ("1小时20分", 4800.0),
        ("1小时20分钟", 4800.0),
        ("1h 20min", 4800.0),
        ("2h 55min", 10500.0),
        ("00:05:30", 330.0),
        ("05:30", 330.0),
        ("330", 330.0),
        ("330s", 330.0),
        ("103s", 103.0),
        ("1.5h", 5400.0),
        ("45 seconds", 45.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["abc", "20min 1h", "1h1h", "5分钟半", "-5", "1:2:3:4"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parse_duration(text)
    assert info.value.reason == "not_a_duration"


def test_datetimes_local_to_utc() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    expected = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    for text in ("2026-11-20 20:00", "2026/11/20 20:00:00", "2026年11月20日 20:00"):
        assert parse_datetime(text, tz=shanghai) == expected
    assert parse_datetime("2026-11-20T20:00:00Z", tz=shanghai) == datetime(
        2026, 11, 20, 20, tzinfo=UTC
    )
    assert parse_datetime("20:00", tz=shanghai, base_date=date(2026, 11, 20)) == expected
    assert parse_datetime("--") is None
    with pytest.raises(ValueParseError) as info:
        parse_datetime("20:00")
    assert info.value.reason == "no_date"
    for bad in ("yesterday", "2026-13-01", "2026-11-20 25:00", "2026-11-20 20:00 later"):
        with pytest.raises(ValueParseError):
            parse_datetime(bad)


def test_bools() -> None:
    assert parse_bool("1") is True
    assert parse_bool("是") is True
    assert parse_bool("false") is False
    assert parse_bool("") is None
    with pytest.raises(ValueParseError):
        parse_bool("maybe")


# ------------------------------------------------------------------------------ properties

_finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=400)
@given(x=_finite, style=st.sampled_from(NUMBER_STYLES), decimals=st.integers(0, 4))
def test_format_then_parse_round_trips(x: float, style: str, decimals: int) -> None:
    text = format_number(x, style, decimals=decimals)
    parsed = parse_number(text)
    assert parsed is not None
    assert math.isclose(parsed, x, abs_tol=style_tolerance(style, x, decimals=decimals)), text


_GRAMMAR = re.compile(
    r"[+-]?\s*(?:US\$|S\$|HK\$|NT\$|JP¥|[$¥€£₱฿₩₫]|RMB|Rp|RM|CNY|USD|SGD|HKD|TWD|JPY|MYR|IDR"
    r"|THB|PHP|VND|KRW|EUR|GBP)?\s*[+-]?\s*"
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?"
    r"|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE][+-]?[0-9]{1,3})?\s*[kKwWmM千万亿]?\s*元?\s*(?:₫|đ|VND|IDR|Rp)?\s*%?"
)


@settings(max_examples=600)
@given(
    text=st.text(
        alphabet=st.sampled_from("0123456789.,-+kKw万亿%$¥￥ abcxyz元e１，RpS₫"), max_size=12
    )
)
def test_text_becomes_a_number_only_by_the_grammar(text: str) -> None:
    import unicodedata

    norm = unicodedata.normalize("NFKC", text).strip()
    try:
        value = parse_number(text)
    except ValueParseError:
        assert norm.lower() not in MISSING_MARKERS
        return
    if value is None:
        assert norm.lower() in MISSING_MARKERS
    else:
        assert _GRAMMAR.fullmatch(norm), text
        assert math.isfinite(value)


@given(text=st.text(min_size=1, max_size=20).filter(lambda t: not any(c.isdigit() for c in t)))
def test_text_without_digits_is_never_a_number(text: str) -> None:
    try:
        value = parse_number(text)
    except ValueParseError:
        return
    assert value is None  # only a missing marker reads without a digit


@given(marker=st.sampled_from(sorted(MISSING_MARKERS)), pad=st.sampled_from(["", " ", "　"]))
def test_missing_markers_are_never_zero(marker: str, pad: str) -> None:
    assert parse_number(pad + marker + pad) is None
    assert parse_duration(pad + marker + pad) is None


@given(h=st.integers(0, 30), m=st.integers(0, 59), s=st.integers(0, 59))
def test_duration_forms_agree(h: int, m: int, s: int) -> None:
    total = h * 3600 + m * 60 + s
    forms = [f"{h:02d}:{m:02d}:{s:02d}", str(total), f"{total}s"]
    zh = (f"{h}小时" if h else "") + (f"{m}分" if m else "") + (f"{s}秒" if s else "")
    en = " ".join(part for part, n in ((f"{h}h", h), (f"{m}min", m), (f"{s}s", s)) if n)
    forms += [f for f in (zh, en) if f]
    for form in forms:
        assert parse_duration(form) == total, form


def test_every_currency_code_reads_as_the_sign_the_bot_shows_it_with() -> None:
    """Storage keeps its own table (it imports nothing of core); it must name every code of
    `core.money` with the sign the summary and the charts write, and nothing else."""
    from core.money import CURRENCY_SIGNS, currency_mark
    from storage.importers.values import _SYMBOL_OF

    for code in CURRENCY_SIGNS:
        assert _SYMBOL_OF[code] == currency_mark(code), code
    codes = {k for k in _SYMBOL_OF if k.isascii() and k.isalpha() and len(k) == 3 and k.isupper()}
    assert codes - {"RMB"} == set(CURRENCY_SIGNS)
