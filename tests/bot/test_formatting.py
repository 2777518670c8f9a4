"""Numbers and durations as a host reads them."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.formatting import fmt_duration, fmt_money, fmt_num, fmt_pct
from bot.statparse import parse_stats


def test_numbers_in_both_languages() -> None:
    assert fmt_num(1200) == "1,200"
    assert fmt_num(12345, "zh") == "1.2万"
    assert fmt_num(3.5e8, "zh") == "3.5亿"
    assert fmt_num(250_000) == "250k"
    assert fmt_num(2_500_000) == "2.5M"
    assert fmt_num(12.34) == "12.3"


def test_missing_is_a_dash_never_zero() -> None:
    for fn in (fmt_num, fmt_money, fmt_duration):
        assert fn(None) == "—"
        assert fn(math.nan) == "—"
    assert fmt_pct(None) == "—"


def test_money_and_ratios() -> None:
    assert fmt_money(54.32) == "54.32"
    assert fmt_money(34000, "zh") == "3.4万"
    assert fmt_pct(0.1234) == "12.3%"


def test_a_typed_figure_is_shown_back_with_every_digit() -> None:
    assert fmt_num(13_500, "zh", exact=True) == "1.35万"
    assert fmt_num(12_345, "zh", exact=True) == "1.2345万"
    assert fmt_num(12_000, "zh", exact=True) == "1.2万"  # not 1.20万
    assert fmt_num(30_000, "zh", exact=True) == "3万"
    assert fmt_num(1_200, "zh", exact=True) == "1,200"
    assert fmt_num(1.35e8, "zh", exact=True) == "1.35亿"
    assert fmt_num(123_456_789, "zh", exact=True) == "123,456,789"  # not 1.23456789亿
    assert fmt_num(13_500, exact=True) == "13,500"
    assert fmt_num(250_000, exact=True) == "250,000"  # not 250k
    assert fmt_num(1_350_000, exact=True) == "1.35M"
    assert fmt_num(1_234_567, exact=True) == "1,234,567"
    assert fmt_num(1.5e9, exact=True) == "1.5B"
    assert fmt_num(None, "zh", exact=True) == "—"
    # computed figures keep their one decimal
    assert fmt_num(13_500, "zh") == "1.4万"
    assert fmt_money(1_350_000, "en", "USD") == "$1.4M"


def test_typed_money_and_rates_are_shown_back_with_every_digit() -> None:
    assert fmt_money(13_500, "zh", "CNY", exact=True) == "¥1.35万"
    assert fmt_money(12_345.67, "zh", "CNY", exact=True) == "¥12,345.67"
    assert fmt_money(1_350_000, "en", "USD", exact=True) == "$1.35M"
    assert fmt_money(13_500, "en", "USD", exact=True) == "$13,500"
    assert fmt_money(12.5, "en", "USD", exact=True) == "$12.50"  # cents stay cents
    assert fmt_money(-12.5, "en", "USD", exact=True) == "-$12.50"
    assert fmt_money(12_000, "en", "VND", exact=True) == "12,000 ₫"
    assert fmt_money(math.nan, "en", "USD", exact=True) == "—"
    assert fmt_pct(0.0325, exact=True) == "3.25%"
    assert fmt_pct(0.03, exact=True) == "3%"
    assert fmt_pct(0.0325) == "3.2%"


_UNITS = {"": 1, "万": 10**4, "w": 10**4, "亿": 10**8, "k": 10**3, "M": 10**6}
_LABELS = {  # a key of each kind, as hosts label it in each language
    "count": {"zh": "场观", "en": "viewers"},
    "money": {"zh": "成交额", "en": "gmv"},
    "rate": {"zh": "转化率", "en": "conversion"},
}
_EXPONENTS = {"count": (0, 6), "money": (-2, 7), "rate": (-4, -2)}  # whole, cents, ≤ 99.99%


@st.composite
def _typed(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, lang, a push of one value of up to four significant digits, as a host types
    it: `场观 1.35万`, `gmv 0.25k`, `转化率 3.25%`)."""
    kind = draw(st.sampled_from(sorted(_LABELS)))
    lang = draw(st.sampled_from(["en", "zh"]))
    number = Decimal(draw(st.integers(1, 9999))).scaleb(draw(st.integers(*_EXPONENTS[kind])))
    if kind == "rate":
        return kind, lang, f"{_LABELS[kind][lang]} {number:f}%"
    unit = draw(st.sampled_from(sorted(_UNITS)))
    return kind, lang, f"{_LABELS[kind][lang]} {number / _UNITS[unit]:f}{unit}"


@given(typed=_typed(), currency=st.sampled_from([None, "CNY", "USD"]))
def test_a_typed_value_shown_back_reads_as_the_same_value(
    typed: tuple[str, str, str], currency: str | None
) -> None:
    kind, lang, text = typed
    ((key, value),) = parse_stats(text).values.items()
    if kind == "money":
        shown = fmt_money(value, lang, currency, exact=True)
    elif kind == "rate":
        shown = fmt_pct(value, exact=True)
    else:
        shown = fmt_num(value, lang, exact=True)
    label = text.split(" ")[0]
    assert parse_stats(f"{label} {shown}").values == {key: value}, (text, shown)


def test_durations() -> None:
    assert fmt_duration(45) == "45 s"
    assert fmt_duration(270) == "4 min 30 s"
    assert fmt_duration(600) == "10 min"
    assert fmt_duration(3900) == "1 h 5 min"
    assert fmt_duration(7200) == "2 h"
    assert fmt_duration(45, "zh") == "45秒"
    assert fmt_duration(270, "zh") == "4分30秒"
    assert fmt_duration(600, "zh") == "10分钟"
    assert fmt_duration(3900, "zh") == "1小时5分"
    assert fmt_duration(7200, "zh") == "2小时"  # not 2小时0分


def test_money_with_the_workspace_currency() -> None:
    assert fmt_money(34000, "zh", "CNY") == "¥3.4万"
    assert fmt_money(3400, "en", "USD") == "$3,400"
    assert fmt_money(-12.5, "en", "USD") == "-$12.50"
    assert fmt_money(1_200_000, "en", "IDR") == "Rp 1.2M"
    assert fmt_money(12000, "en", "VND") == "12,000 ₫"
    assert fmt_money(99.5, "en", "THB") == "฿99.50"
    assert fmt_money(5, "en", "CHF") == "5 CHF"  # a code without a sign follows the number
    assert fmt_money(None, "en", "USD") == "—"
    assert fmt_money(54.32, "en", None) == "54.32"


def test_a_change_is_signed_with_a_true_minus() -> None:
    from bot.formatting import fmt_change_pct

    assert fmt_change_pct(0.044) == "+4.4%"
    assert fmt_change_pct(-0.035) == "−3.5%"
    assert fmt_change_pct(-0.2, digits=0) == "−20%"
    assert fmt_change_pct(0.0001) == "±0.0%"


def test_chart_labels_group_thousands_like_the_text() -> None:
    from core.charts import _num

    assert _num(2714, "zh") == "2,714" == fmt_num(2714, "zh")
    assert _num(4321, "zh") == "4,321"
    assert _num(12_345, "zh") == "1.2万"


def test_a_title_is_quoted_and_a_missing_one_leaves_no_empty_quotes() -> None:
    from bot.formatting import fmt_title
    from bot.i18n import t

    line = t(
        "zh",
        "sessions_line",
        id=2,
        title=fmt_title(None, "zh"),
        when="11-20",
        duration="2小时",
        gmv="9万",
    )
    assert line.startswith("#2 — 11-20") and "“" not in line
    line = t(
        "zh",
        "sessions_line",
        id=1,
        title=fmt_title("周末专场", "zh"),
        when="11-30",
        duration="1小时",
        gmv="9万",
    )
    assert line.startswith("#1“周末专场”— 11-30")
    assert (
        t("en", "summary_title", id=2, title=fmt_title("", "en"), when="x") == "📊 Session #2 — x"
    )
    assert (
        t("en", "summary_title", id=2, title=fmt_title("Sale", "en"), when="x")
        == "📊 Session #2 “Sale” — x"
    )
