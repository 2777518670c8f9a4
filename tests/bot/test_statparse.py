"""Snapshot text → values, in English and Chinese forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.statparse import ALIASES, KEYS, parse_stats
from storage.importers.values import format_number, style_tolerance


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("online=1200 gmv=3.4k orders=35", {"online": 1200, "gmv": 3400, "orders": 35}),
        ("online 1200", {"online": 1200}),
        ("在线1200 成交1.2万 订单35", {"online": 1200, "gmv": 12000, "orders": 35}),
        ("在线人数：1200，成交额 3.4万", {"online": 1200, "gmv": 34000}),
        ("ONLINE＝１２００；GMV：￥3,400", {"online": 1200, "gmv": 3400}),
        ("在线1200成交1.2万订单35", {"online": 1200, "gmv": 12000, "orders": 35}),
        ("成交人数 5、成交 3万", {"buyers": 5, "gmv": 30000}),
        ("成交订单数12 成交额1.5万", {"orders": 12, "gmv": 15000}),
        ("likes=1,200,shares=3", {"likes": 1200, "shares": 3}),
        (
            "场观3.5万 进场1200 涨粉88 点击560",
            {"viewers": 35000, "entries": 1200, "followers": 88, "clicks": 560},
        ),
        ("gmv=$3.4k", {"gmv": 3400}),
        ("Views 12k | comments 300", {"viewers": 12000, "comments": 300}),
    ],
)
def test_forms(text: str, values: dict[str, float]) -> None:
    result = parse_stats(text)
    assert result.values == values
    assert result.unknown == [] and result.errors == []
    assert result.ok


def test_buyers_wins_over_gmv() -> None:
    assert parse_stats("成交人数35").values == {"buyers": 35}
    assert parse_stats("成交35").values == {"gmv": 35}


def test_unknown_keys_are_named_back() -> None:
    result = parse_stats("温度25 online=3 mood=5")
    assert result.values == {"online": 3}
    assert result.unknown == ["温度", "mood"]
    assert not result.ok


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("online=thirty", "online"),
        ("online=12%", "online"),  # a rate is not a count
        ("online=1.5", "online"),  # people come whole
        ("gmv=-5", "gmv"),
        ("orders=$5", "orders"),  # money is not a count
        ("在线=12abc", "online"),
        ("online=", "online"),
        ("online --", "online"),  # missing is not 0
    ],
)
def test_bad_values_are_errors_not_zero(text: str, key: str) -> None:
    result = parse_stats(text)
    assert key not in result.values
    assert [k for k, _ in result.errors] == [key]


def test_value_without_key_is_an_error() -> None:
    result = parse_stats("1200")
    assert result.values == {} and result.errors == [("", "1200")]


# ------------------------------------------------------------------------------ properties

_COUNT_STYLES = ("plain", "grouped", "k", "wan", "w", "fullwidth")
_MONEY_STYLES = (*_COUNT_STYLES, "yuan", "yen", "dollar", "dollar_k", "yuan_wan")


@st.composite
def pushes(draw: st.DrawFn) -> tuple[str, dict[str, float], dict[str, float]]:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True))
    zh = draw(st.booleans())
    parts: list[str] = []
    expected: dict[str, float] = {}
    tolerance: dict[str, float] = {}
    for key in keys:
        aliases = [a for a in ALIASES[key] if (not a.isascii()) == zh] or list(ALIASES[key])
        alias = draw(st.sampled_from(aliases))
        if draw(st.booleans()):
            alias = alias.upper()
        if key == "gmv":
            value = draw(st.floats(0, 1e9, allow_nan=False)).__round__(2)
            style = draw(st.sampled_from(_MONEY_STYLES))
            text = format_number(value, style, decimals=2)
            tol = style_tolerance(style, value, decimals=2)
        else:
            value = float(draw(st.integers(0, 10**7)))
            style = draw(st.sampled_from(("plain", "grouped", "fullwidth")))
            text = format_number(value, style, decimals=0)
            tol = 0.0
        joiner = draw(st.sampled_from(["=", "＝", ":", "：", " ", ""] if zh else ["=", ":", " "]))
        parts.append(f"{alias}{joiner}{text}")
        expected[key] = value
        tolerance[key] = tol
    separator = draw(st.sampled_from([" ", "，", "、", "；", ", "] if zh else [" ", ", ", "; "]))
    return separator.join(parts), expected, tolerance


@settings(max_examples=400)
@given(push=pushes())
def test_generated_pushes_round_trip(push: tuple[str, dict[str, float], dict[str, float]]) -> None:
    text, expected, tolerance = push
    result = parse_stats(text)
    assert result.unknown == [] and result.errors == [], text
    assert set(result.values) == set(expected), text
    for key, value in expected.items():
        assert math.isclose(result.values[key], value, abs_tol=tolerance[key] + 1e-9), text


@given(junk=st.text(alphabet="abcdefghijxyz!?#&*", min_size=1, max_size=10))
def test_junk_values_never_become_numbers(junk: str) -> None:
    result = parse_stats(f"online={junk}")
    assert "online" not in result.values
    assert result.errors or result.unknown


@given(text=st.text(max_size=40))
def test_any_text_reads_without_crashing_and_values_are_finite(text: str) -> None:
    result = parse_stats(text)
    assert set(result.values) <= set(KEYS)
    assert all(math.isfinite(v) and v >= 0 for v in result.values.values())
