"""Numbers and durations as a host reads them."""

from __future__ import annotations

import math

from bot.formatting import fmt_duration, fmt_money, fmt_num, fmt_pct


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
