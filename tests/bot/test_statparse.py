"""Snapshot text → values, as hosts type them in Chinese and English.

The corpus (tests/data/push_corpus.yaml) holds real-looking pushes from Douyin, Kuaishou,
Taobao and TikTok screens with the values each must give and what must be named back.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.statparse import ALIASES, KEYS, KINDS, LIMITS, NOT_NOW, parse_stats, suggest_labels
from storage.importers.values import format_number, style_tolerance

CORPUS_PATH = Path(__file__).resolve().parents[1] / "data" / "push_corpus.yaml"
CORPUS: list[dict[str, Any]] = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))


def test_the_corpus_is_large_and_in_both_languages() -> None:
    assert len(CORPUS) >= 150
    chinese = [c for c in CORPUS if any("\u4e00" <= ch <= "\u9fff" for ch in c["text"])]
    assert len(chinese) >= 60 and len(CORPUS) - len(chinese) >= 60
    assert len({c["text"] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[repr(c["text"])[:40] for c in CORPUS])
def test_corpus(case: dict[str, Any]) -> None:
    result = parse_stats(case["text"])
    expected = {k: float(v) for k, v in case["values"].items()}
    assert set(result.values) == set(expected), result
    for key, value in expected.items():
        assert math.isclose(result.values[key], value, rel_tol=1e-12, abs_tol=1e-12), key
    wanted = case.get("ignored", [])
    assert len(result.ignored) == len(wanted), result.ignored
    for got, want in zip(result.ignored, wanted, strict=True):
        assert got.reason == want["reason"], got
        if "key" in want:
            assert got.key == want["key"], got
        if "text" in want:
            assert got.text == want["text"], got
        if "suggestion" in want:
            assert want["suggestion"] in got.suggestions, got


def test_one_unknown_label_never_throws_the_valid_values_away() -> None:
    result = parse_stats("online 410, GMV $1.2k, mood 34")
    assert result.values == {"online": 410, "gmv": 1200}
    assert [(i.text, i.reason) for i in result.ignored] == [("mood 34", "unknown_label")]
    assert result.ignored[0].suggestions == ()
    assert result.currency == "$"
    assert not result.ok


def test_generic_label_takes_its_key_from_the_unit() -> None:
    assert parse_stats("成交56单").values == {"orders": 56}
    assert parse_stats("成交34件").values == {"items": 34}
    assert parse_stats("成交12人").values == {"buyers": 12}
    assert parse_stats("成交35").values == {"gmv": 35}
    assert parse_stats("成交人数35").values == {"buyers": 35}  # the longest label wins


def test_typos_are_answered_from_both_languages_labels() -> None:
    assert suggest_labels("再线") == ("在线",)
    assert suggest_labels("onlien") == ("online",)
    assert "gmv" in suggest_labels("gvm")
    assert suggest_labels("涨分") == ("涨粉",)
    assert set(suggest_labels("点攒")) == {"点赞", "点击"}  # a tie names both
    assert suggest_labels("likse") == ("likes",)  # one label a key
    assert suggest_labels("online") == ()  # a label is no typo
    assert suggest_labels("weather") == ()
    assert suggest_labels("x") == ()


def test_what_is_quoted_back_is_short() -> None:
    result = parse_stats("x" * 5000 + " 12")
    assert len(result.ignored) == 1 and len(result.ignored[0].text) <= 30


def test_440_bad_values_are_each_named_and_nothing_is_stored() -> None:
    text = " ".join(f"online={i}abc" for i in range(440))
    result = parse_stats(text)
    assert result.values == {}
    assert len(result.ignored) == 440
    assert {i.reason for i in result.ignored} == {"not_a_number"}


def test_limits_bound_every_key_and_stay_finite() -> None:
    assert set(LIMITS) == set(KEYS) == set(KINDS)
    assert parse_stats("online 10000000").values == {"online": 1e7}  # the limit itself is fine
    assert parse_stats("online 10000001").values == {}
    assert parse_stats("gmv 1e11").values == {"gmv": 1e11}
    assert parse_stats("gmv 1.0001e11").values == {}


# ------------------------------------------------------------------------------ properties

_COUNT_STYLES = ("plain", "grouped", "k", "wan", "w", "fullwidth")
_WRITTEN: dict[str, tuple[str, float]] = {
    # styles the importers do not write: the amount over the scale, formatted
    "won": ("₩{:,}", 1.0),
    "won_after": ("{:,}원", 1.0),
    "krw": ("KRW {:,}", 1.0),
    "man": ("{}만", 1e4),
    "man_won": ("{}만원", 1e4),
    "eok": ("₩{}억", 1e8),
    "baht": ("{:,}บาท", 1.0),
    "baht_word": ("{:,} baht", 1.0),
    "muen": ("{}หมื่น", 1e4),
    "lan_baht": ("{}ล้านบาท", 1e6),
}
_MONEY_STYLES = (*_COUNT_STYLES, "yuan", "yen", "dollar", "dollar_k", "yuan_wan", *_WRITTEN)
_STORED_KEYS = [k for k in KEYS if KINDS[k] in ("count", "money")]


def _write(value: float, style: str, decimals: int) -> tuple[str, float]:
    """`value` written in `style` (one of the importers' or of `_WRITTEN`), and how far what
    is read back may be from it."""
    if style not in _WRITTEN:
        tolerance = style_tolerance(style, value, decimals=decimals)
        return format_number(value, style, decimals=decimals), tolerance
    form, scale = _WRITTEN[style]
    amount = Decimal(repr(value)) / Decimal(repr(scale))  # exact: 1234.5 is 0.12345만
    if scale == 1.0:
        return form.format(round(amount, decimals)), 10.0**-decimals / 2 + 1e-9
    return form.format(f"{amount.normalize():f}"), 1e-9


@st.composite
def pushes(draw: st.DrawFn) -> tuple[str, dict[str, float], dict[str, float]]:
    keys = draw(st.lists(st.sampled_from(_STORED_KEYS), min_size=1, max_size=6, unique=True))
    zh = draw(st.booleans())
    parts: list[str] = []
    expected: dict[str, float] = {}
    tolerance: dict[str, float] = {}
    for key in keys:
        aliases = [a for a in ALIASES[key] if (not a.isascii()) == zh and a not in ("成交",)]
        alias = draw(st.sampled_from(aliases or [a for a in ALIASES[key] if a != "成交"]))
        if draw(st.booleans()):
            alias = alias.upper()
        if KINDS[key] == "money":
            value = round(draw(st.floats(0, 1e8, allow_nan=False)), 2)
            style = draw(st.sampled_from(_MONEY_STYLES))
            text, tol = _write(value, style, 2)
        else:
            value = float(draw(st.integers(0, int(min(LIMITS[key], 10**7)))))
            style = draw(st.sampled_from(("plain", "grouped", "fullwidth", "man", "muen")))
            text, tol = _write(value, style, 0)
        if draw(st.booleans()):
            joiner = draw(
                st.sampled_from(["=", "＝", ":", "：", " ", ""] if zh else ["=", ":", " "])
            )
            parts.append(f"{alias}{joiner}{text}")
        else:  # number before the label
            parts.append(f"{text} {alias}")
        expected[key] = value
        tolerance[key] = tol
    separator = draw(
        st.sampled_from([" , ", "，", "、", "；", "\n", " | "] if zh else [", ", "; ", "\n", " | "])
    )
    text = separator.join(parts)
    # "场观=1，100 进场" reads as 1,100 to anyone: a comma between a number and three digits is
    # a thousands separator, so such a message is ambiguous, not a parser error
    assume(not re.search(r"[0-9０-９][,，][0-9０-９]{3}(?![0-9０-９])", text))
    return text, expected, tolerance


@settings(max_examples=400, deadline=None)
@given(push=pushes())
def test_generated_pushes_round_trip(push: tuple[str, dict[str, float], dict[str, float]]) -> None:
    text, expected, tolerance = push
    result = parse_stats(text)
    assert result.ignored == [], text
    assert set(result.values) == set(expected), text
    for key, value in expected.items():
        assert math.isclose(result.values[key], value, abs_tol=tolerance[key] + 1e-9), text


@given(junk=st.text(alphabet="abcdefghijxyz!?#&*", min_size=1, max_size=10))
def test_junk_values_never_become_numbers(junk: str) -> None:
    result = parse_stats(f"online={junk}")
    assert "online" not in result.values
    assert result.ignored


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_reads_without_crashing_and_values_are_finite_and_bounded(text: str) -> None:
    result = parse_stats(text)
    assert set(result.values) <= set(KEYS)
    for key, value in result.values.items():
        assert math.isfinite(value) and 0 <= value <= LIMITS[key], (key, value)


@given(
    key=st.sampled_from(KEYS),
    low=st.integers(1, 10**5),
    more=st.integers(1, 10**5),
    mark=st.sampled_from(["-", "~", "～", "到", "至", "—", " - ", " ~ ", " 到 "]),
    after=st.booleans(),
)
def test_a_range_is_named_back_and_never_stored(
    key: str, low: int, more: int, mark: str, after: bool
) -> None:
    alias = next(a for a in ALIASES[key] if not a.isascii() or len(a) > 2)
    figure = f"{low}{mark}{low + more}"
    result = parse_stats(f"{figure} {alias}" if after else f"{alias} {figure}")
    assert key not in result.values
    assert [(i.reason, i.key) for i in result.ignored][-1:] == [("range", key)], result


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    form=st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "{m}月{d}日", "{m}月{d}号"]),
    before=st.booleans(),
    online=st.integers(0, 10**6),
)
def test_a_date_is_named_back_whole_and_the_figures_beside_it_stored(
    day: date, form: str, before: bool, online: int
) -> None:
    written = form.format(m=day.month, d=day.day) if "{" in form else day.strftime(form)
    text = f"{written} 在线{online}" if before else f"在线{online} {written}"
    result = parse_stats(text)
    assert result.values == {"online": online}
    assert [(i.text, i.reason) for i in result.ignored] == [(written, "date")]


_NUMBERISH = st.text(alphabet="0123456789.,e+-万亿kKwW$￥%人单件 ", min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(value=_NUMBERISH, key=st.sampled_from(KEYS))
def test_no_number_text_ever_stores_a_non_finite_or_unbounded_value(value: str, key: str) -> None:
    alias = ALIASES[key][0]
    result = parse_stats(f"{alias} {value}")
    for stored_key, stored in result.values.items():
        assert math.isfinite(stored) and 0 <= stored <= LIMITS[stored_key]


_COMPOUNDS = {
    "十万": 10**5, "百万": 10**6, "千万": 10**7, "十亿": 10**9, "百亿": 10**10,
    "백만": 10**6, "천만": 10**7, "백억": 10**10, "천억": 10**11,
    "ร้อยล้าน": 10**8, "พันล้าน": 10**9, "หมื่นล้าน": 10**10, "แสนล้าน": 10**11,
}  # fmt: skip


@given(
    tenths=st.integers(1, 999),
    compound=st.sampled_from(sorted(_COMPOUNDS)),
    label=st.sampled_from(["成交额", "销售额", "GMV", "매출", "ยอดขาย"]),
)
def test_compound_multipliers_multiply(tenths: int, compound: str, label: str) -> None:
    number = f"{tenths // 10}.{tenths % 10}" if tenths % 10 else str(tenths // 10)
    value = tenths / 10 * _COMPOUNDS[compound]
    result = parse_stats(f"{label} {number}{compound}")
    if value > LIMITS["gmv"]:
        assert result.values == {}
        assert [i.reason for i in result.ignored] == ["too_large"]
    else:
        assert result.ignored == []
        assert math.isclose(result.values["gmv"], value, rel_tol=1e-12)


@given(
    number=st.sampled_from(["3", "1.2", "45", "0.5"]),
    pair=st.sampled_from(
        [(a, b) for a in ("万", "亿", "千", "k") for b in ("万", "亿", "千", "十", "百")]
        + [(a, b) for a in ("만", "억", "천") for b in ("만", "억", "천")]
        + [(a, b) for a in ("พัน", "หมื่น", "แสน", "ล้าน") for b in ("พัน", "หมื่น", "แสน", "ล้าน")]
    ),
)
def test_a_multiplier_doubled_by_a_slip_is_named_back_not_stored(
    number: str, pair: tuple[str, str]
) -> None:
    first, second = pair
    text = f"{number}{first}{second}"
    compounds = (
        "千万",
        "万亿",
        "千亿",
        "百亿",
        "十亿",
        "천만",
        "천억",
        "พันล้าน",
        "หมื่นล้าน",
        "แสนล้าน",
    )
    assume(f"{first}{second}" not in compounds)
    result = parse_stats(f"在线1200 成交 {text}")
    assert result.values == {"online": 1200}
    assert [(i.reason, i.key) for i in result.ignored] == [("not_a_number", "gmv")]


@given(
    whole=st.integers(1, 9999),
    digit=st.integers(0, 9),
    mult=st.sampled_from([("万", 10**4), ("千", 10**3), ("亿", 10**8), ("w", 10**4),
                          ("k", 10**3), ("m", 10**6), ("만", 10**4), ("천", 10**3),
                          ("억", 10**8), ("พัน", 10**3), ("หมื่น", 10**4), ("แสน", 10**5),
                          ("ล้าน", 10**6)]),
)  # fmt: skip
def test_a_digit_after_a_multiplier_is_the_next_place_down(
    whole: int, digit: int, mult: tuple[str, int]
) -> None:
    word, factor = mult
    assume(whole * factor + digit * factor // 10 <= LIMITS["gmv"])
    result = parse_stats(f"成交{whole}{word}{digit}")
    assert result.values == {"gmv": whole * factor + digit * factor // 10}, result


@given(
    n=st.integers(1000, 10**10),
    cents=st.sampled_from(["", ",5", ",50"]),
    written=st.sampled_from(["Rp{}", "Rp {}", "{} IDR", "{}đ", "{} ₫", "{} VND", "{} rupiah"]),
)
def test_rupiah_and_dong_grouped_with_dots_read_as_written(
    n: int, cents: str, written: str
) -> None:
    """`Rp1.200.000`, `12.500đ`, `5.000.000 VND`: dots group thousands in these two currencies,
    whether the sign comes before the amount or after it."""
    grouped = f"{n:,}".replace(",", ".")
    result = parse_stats("gmv " + written.format(f"{grouped}{cents}"))
    expected = n + (0.5 if cents else 0.0)
    assert result.values == {"gmv": expected}, result


@given(
    n=st.integers(1000, 10**7),
    label=st.sampled_from(["penonton online", "penonton", "pesanan", "đang xem", "đơn",
                           "online", "在线", "订单"]),
    spaced=st.booleans(),
)  # fmt: skip
def test_a_count_with_dots_between_groups_of_three_is_thousands(
    n: int, label: str, spaced: bool
) -> None:
    """`penonton online 1.020`, `đang xem 12.500`: a count is whole, so dots between groups
    of three digits are thousands as Indonesia and Vietnam write them (it was refused as not
    whole, and `1.000` was stored as 1)."""
    grouped = f"{n:,}".replace(",", ".")
    result = parse_stats(f"{label}{' ' if spaced else ''}{grouped}")
    (key,) = result.values
    assert result.values == {key: n}, result
    # a decimal that is not groups of three is still not a count
    assert [i.reason for i in parse_stats(f"{label} {n // 1000}.5").ignored] == ["not_whole"]


def test_a_worked_out_figure_says_what_to_push_and_is_never_suggested() -> None:
    """`客单价 89` is named back with the figures it comes from, in both languages; and no
    "did you mean" ever offers a label of a figure that is not stored."""
    from bot.i18n import CATALOG
    from bot.presenters import ignored_list
    from bot.statparse import WORKED_OUT

    for name, aliases in WORKED_OUT.items():
        assert f"worked_from_{name}" in CATALOG
        for alias in aliases:
            parsed = parse_stats(f"{alias} 12")
            assert not parsed.values, alias
            assert [(i.reason, i.key) for i in parsed.ignored] == [("worked_out", name)], alias
            assert "成交" in ignored_list(parsed.ignored, "zh") or "场观" in ignored_list(
                parsed.ignored, "zh"
            )
    every = {alias for aliases in WORKED_OUT.values() for alias in aliases}
    for alias in every:
        typo = alias[:-1] + ("x" if alias.isascii() else "某")
        assert not set(suggest_labels(typo)) & every, typo


def test_a_target_another_days_figure_or_a_peak_is_never_stored() -> None:
    """`目标 成交 10万`, `yesterday gmv 5k`, `峰值在线2万`: whatever label follows the word,
    nothing is stored; with a space between them the pair is named back, word first, for
    what the word says. Glued (`上场观看人数`) nothing is stored either, unless the two make
    a label of their own (`平均停留时长`). Every word and every label, both ways."""
    labels = sorted({alias for aliases in ALIASES.values() for alias in aliases})
    every = {alias.lower() for alias in labels}
    for reason, words in NOT_NOW.items():
        for word in words:
            for label in labels:
                text = f"{word} {label} 12"
                parsed = parse_stats(text)
                assert not parsed.values, text
                assert [i.reason for i in parsed.ignored] == [reason], text
                assert parsed.ignored[0].text.startswith(word), parsed.ignored
                glued = f"{word}{label}"
                if word.isascii() or label.isascii() or glued.lower() in every:
                    continue
                parsed = parse_stats(f"{glued} 12")
                assert not parsed.values and parsed.ignored, glued


def test_words_of_the_moment_before_a_label_change_nothing() -> None:
    for text in (
        "现在在线1200", "目前在线1200", "今天成交5万", "online now 1200", "total gmv 5k",
        "현재 매출 120만원", "지금 동시접속 1200", "오늘 매출 300만", "ตอนนี้ยอดขาย 3หมื่น",
        "วันนี้ยอดขาย 3หมื่น",
    ):  # fmt: skip
        assert parse_stats(text).values, text
        assert not parse_stats(text).ignored, text


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 10**8),
    st.sampled_from([("在线", "online"), ("成交额", "gmv"), ("订单", "orders"), ("点赞", "likes")]),
)
def test_a_number_in_chinese_numerals_reads_as_its_digits(n: int, label: tuple[str, str]) -> None:
    """`在线一千二百` is `在线1200`: every whole number as Chinese writes it (cn2an's an2cn
    writes them; a different function from the one that reads them), after a label and
    before a unit."""
    import cn2an

    written = cn2an.an2cn(n, "low")
    text, key = label
    parsed = parse_stats(f"{text}{written}")
    if n > LIMITS[key]:
        assert [i.reason for i in parsed.ignored] == ["too_large"], written
        return
    assert parsed.values == {key: n}, written
    if key == "online":
        assert parse_stats(f"{written}人在线").values == {"online": n}, written


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("gmv RM 3.4k", "MYR"),
        ("gmv RM3,400", "MYR"),
        ("gmv 3.4k myr", "MYR"),
        ("sales THB 12k", "THB"),
        ("gmv 12,000 thb", "THB"),
        ("gmv 5000000 VND", "VND"),
        ("gmv SGD 3.4k", "SGD"),
        ("gmv php 12k", "PHP"),
        ("gmv NT$ 3k", "TWD"),
        ("gmv 3k twd", "TWD"),
        ("gmv HKD 3k", "HKD"),
        ("gmv 1200 eur", "EUR"),
        ("gmv gbp 1.2k", "GBP"),
        ("gmv jpy 12万", "JPY"),
        ("gmv ₩ 120만", "KRW"),
        ("gmv ₩1,200,000", "KRW"),
        ("매출 120만원", "KRW"),
        ("매출 1,200,000원", "KRW"),
        ("매출 120만 원", "KRW"),
        ("gmv KRW 1.2m", "KRW"),
        ("gmv 1.2m krw", "KRW"),
        ("매출 120만 ₩", "KRW"),
        ("ยอดขาย12000บาท", "THB"),
        ("ยอดขาย 1.2ล้านบาท", "THB"),
        ("ยอดขาย 3หมื่นกว่าบาท", "THB"),
        ("ยอดขาย ฿3หมื่น", "THB"),
        ("sales 12k baht", "THB"),
    ],
)
def test_money_written_with_a_code_or_a_symbol_keeps_its_currency(text: str, code: str) -> None:
    """The symbol read is the one the workspace's currency is set from (bot.settings_input)."""
    from bot.settings_input import currency_from_symbol

    parsed = parse_stats(text)
    assert parsed.values.get("gmv") and not parsed.ignored, parsed
    assert parsed.currency is not None and currency_from_symbol(parsed.currency) == code


def test_a_thai_word_is_named_back_whole() -> None:
    """Thai vowel and tone marks are of the letter before them: a word is never cut at one."""
    parsed = parse_stats("สวัสดีค่ะ 12")
    assert [(i.text, i.reason) for i in parsed.ignored] == [("สวัสดีค่ะ 12", "unknown_label")]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("최고 동시접속 2000", "최고 동시접속 2000"),
        ("어제 매출 500만원", "어제 매출 500만원"),
        ("peak online 2000", "peak online 2000"),
        ("目标 成交10万", "目标成交 10万"),
        ("เป้ายอดขาย 5หมื่น", "เป้ายอดขาย 5หมื่น"),
    ],
)
def test_a_word_that_keeps_a_pair_out_is_quoted_back_as_its_script_writes_it(
    text: str, quoted: str
) -> None:
    """Korean and English words keep their space before the label; Chinese and Thai, which
    write none, are quoted glued (`최고 동시접속` was quoted back as `최고동시접속`)."""
    assert [i.text for i in parse_stats(text).ignored] == [quoted]


_CN_DIGITS = str.maketrans("一二三四五六七八九", "123456789")


@given(n=st.integers(1000, 10**10))
def test_a_chinese_number_of_digits_and_multipliers_reads_as_said(n: int) -> None:
    """`1万5百` is 10,500, `2亿3万` 200,030,000, `1亿2千3百4十5万6千7百8十9` 123,456,789: every
    whole amount as cn2an's other function says it, its numerals written as digits. It was
    read as the next place down and the rest dropped (`1万5百` stored 15,000, `2亿3万`
    230,000,000)."""
    import cn2an

    said = cn2an.an2cn(n)
    assume("零" not in said and said[0] != "十" and said[1] not in "百十")
    mixed = said.translate(_CN_DIGITS)
    read = parse_stats(f"成交{mixed}")
    if re.search("亿[^万]+$", mixed):  # `1亿8千`: hosts mean 1亿8千万 as often as 100,008,000
        assert [i.reason for i in read.ignored] == ["ambiguous"], mixed
    else:
        assert read.values == {"gmv": n}, mixed


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1万2000", 12_000),
        ("12万3456", 123_456),
        ("1万0500", 10_500),
        ("1亿2000万", 120_000_000),
        ("1亿2000万5000", 120_005_000),
        ("2亿3万", 200_030_000),
        ("1万5百", 10_500),
        ("1万2", 12_000),
        ("12万5", 125_000),
        ("2亿3", 230_000_000),
        ("1亿2000", "ambiguous"),  # 1亿2000万 or 100,002,000: hosts write both
        ("1万25", "not_a_number"),  # 10,025 or 12,500?
        ("1万200", "not_a_number"),
        ("2亿3千", "ambiguous"),  # 200,003,000 or 230,000,000?
        ("1千亿2000", "ambiguous"),
        ("1千万1千1百", 10_001_100),  # a tail after a compound multiplier was refused
        ("5千万3千", 50_003_000),
        ("3百万2千", 3_002_000),
        ("1千万1100", 10_001_100),
        ("3亿0500万", 305_000_000),  # a section's leading zero: cn2an refused it
        ("2亿0030万", 200_300_000),
        ("1万2千万", "not_a_number"),
    ],
)
def test_chinese_figures_glued_after_a_multiplier(text: str, value: int | str) -> None:
    parsed = parse_stats(f"成交额 {text}")
    if isinstance(value, str):
        assert not parsed.values and [(i.reason, i.key) for i in parsed.ignored] == [
            (value, "gmv")
        ], parsed
    else:
        assert parsed.values == {"gmv": value} and not parsed.ignored, parsed


# ------------------------------------------------------------------------------ Korean

_KO_GMV = [a for a in ALIASES["gmv"] if "\uac00" <= a[0] <= "\ud7a3"]


@st.composite
def korean_amounts(draw: st.DrawFn) -> tuple[str, int]:
    """A whole amount as Korean hosts write it: sections of 억 and 만, each figure in digits
    or with 천 (`2천만`, `1천5억`), the sections glued or apart (`1억 2천만`, `3억5000만`),
    what is below 만 glued after it (`1만2000`, `1만2천50`) or apart with 천 (`1만 2천`)."""
    n = draw(st.integers(1, int(LIMITS["gmv"])))
    eok, man, rest = n // 10**8, n // 10**4 % 10**4, n % 10**4
    assume(not (eok and not man and rest))  # `1억500` reads as neither (statparse)

    def figure(v: int) -> str:  # `2500`, `2천500`, `2천5백`
        if v < 100 or draw(st.booleans()):
            return str(v)
        thousands, hundreds, below = v // 1000, v // 100 % 10, v % 100
        text = f"{thousands}천" if thousands else ""
        if hundreds and draw(st.booleans()):
            return f"{text}{hundreds}백{below or ''}"
        return f"{text}{v % 1000 or ''}" if thousands else str(v)

    text = ""
    for value, word in ((eok, "억"), (man, "만")):
        if value:
            text += draw(st.sampled_from(["", " "])) if text else ""
            text += f"{figure(value)}{word}"
    if rest:
        below = figure(rest)
        if text:  # a single digit after a lone multiplier is the next place down
            assume(rest >= 10 and not re.search(r"[천백][0-9]$", below))
            if "천" in below and draw(st.booleans()):
                below = " " + below  # `1만 2천`: apart, with its multiplier
        elif re.search(r"[천백][0-9]$", below):
            assume(False)  # `2천5` is 2,500
        text += below
    return text, n


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("120만", 1_200_000),
        ("1.2만", 12_000),
        ("1,200만", 12_000_000),
        ("2천만", 20_000_000),
        ("5백만", 5_000_000),
        ("1천200만", 12_000_000),
        ("1억2000만", 120_000_000),
        ("1억 2천만", 120_000_000),
        ("1억 2,000만", 120_000_000),
        ("3억5", 350_000_000),
        ("1만2", 12_000),
        ("1만2000", 12_000),
        ("1만 2천", 12_000),
        ("1만2천50", 12_050),
        ("3천500", 3_500),
        ("5백", 500),
        ("3천5백", 3_500),
        ("1억2천5백만", 125_000_000),
        ("1억2000만5000", 120_005_000),
        ("1억2000", "ambiguous"),  # 1억2000만 or 100,002,000: hosts write both
        ("1억 2천", "ambiguous"),
        ("1억2000만5", None),  # a digit after more than one multiplier
        ("1.5만2천", None),
        ("2천3천", None),
        ("1만2만", None),
        ("3천5000", None),
        ("2천만5", None),
    ],
)
def test_korean_sections(text: str, value: int | str | None) -> None:
    parsed = parse_stats(f"매출 {text}")
    if value is None or isinstance(value, str):
        assert not parsed.values and [(i.reason, i.key) for i in parsed.ignored] == [
            (value or "not_a_number", "gmv")
        ], parsed
    else:
        assert parsed.values == {"gmv": value} and not parsed.ignored, parsed


def test_a_figure_apart_after_a_korean_section_is_its_own_number() -> None:
    """Apart, only a figure with its multiplier after 만 or 억 goes on the number; `5천 1만`
    are two numbers, and `1만 2000` is named back (12,000, or 10,000 and a stray 2000?)
    with nothing stored, where 10,000 was."""
    parsed = parse_stats("시청자 1만 2000")
    assert parsed.values == {}
    assert [(i.text, i.reason) for i in parsed.ignored] == [("시청자 1만 2000", "split_figure")]
    assert parse_stats("시청자 5천 1만 좋아요").values == {"viewers": 5000, "likes": 10_000}
    for text, values in (  # nor on the next line, nor a Thai one after a Korean one
        ("매출 1억\n2천만 좋아요", {"gmv": 100_000_000, "likes": 20_000_000}),
        ("ยอดขาย 1ล้าน\n2แสน ไลค์", {"gmv": 1_000_000, "likes": 200_000}),
        ("매출 1만 2หมื่น ไลค์", {"gmv": 10_000, "likes": 20_000}),
    ):
        assert parse_stats(text).values == values, text


def test_a_korean_word_that_begins_like_a_multiplier_or_unit_is_a_word() -> None:
    """만, 원, 명, 회 written apart from a number are read only where their word ends there
    (or goes on with a currency, unit or label): `120 만족` is no 1,200,000. Glued to the
    number they are always read (`120만이에요`)."""
    assert parse_stats("시청자 1200 만족").values == {"viewers": 1200}
    assert parse_stats("시청자 1200 만 좋아요 30").values == {"viewers": 12_000_000, "likes": 30}
    assert parse_stats("매출 120 만원").values == {"gmv": 1_200_000}
    assert parse_stats("매출 120만이에요").values == {"gmv": 1_200_000}
    for text, word in (("시청자 1200 명단 30", "명단 30"), ("시청자 1200 회원 30", "회원 30")):
        parsed = parse_stats(text)
        assert parsed.values == {"viewers": 1200}, text
        assert [(i.text, i.reason) for i in parsed.ignored] == [(word, "unknown_label")], text
    parsed = parse_stats("gmv 12,000 원피스 30")
    assert parsed.values == {"gmv": 12_000} and parsed.currency is None


def test_korean_units_count_what_they_count() -> None:
    """명 counts people, 회 times, 건 orders and other events, 개 anything counted."""
    assert parse_stats("구매자 30명 주문 35건 댓글 30건").values == {
        "buyers": 30,
        "orders": 35,
        "comments": 30,
    }
    assert parse_stats("조회수 1200회 판매 수량 50개 댓글 320개").values == {
        "entries": 1200,
        "items": 50,
        "comments": 320,
    }
    for text, key in (("주문 30명", "orders"), ("동시접속 35건", "online")):
        parsed = parse_stats(text)
        assert [(i.reason, i.key) for i in parsed.ignored] == [("wrong_unit", key)], text


def test_a_currency_after_an_approximation_is_the_amounts() -> None:
    """`3万多元` is thirty thousand yuan and some: the yuan were left unread."""
    parsed = parse_stats("成交3万多元 订单30")
    assert parsed.values == {"gmv": 30_000, "orders": 30} and not parsed.ignored
    assert parsed.currency == "¥"
    assert parse_stats("成交3万元多").currency == "¥"


# ------------------------------------------------------------------------------ Thai

_TH_GMV = [a for a in ALIASES["gmv"] if "\u0e01" <= a[0] <= "\u0e4e"]
_TH_PLACES = (("แสน", 10**5), ("หมื่น", 10**4), ("พัน", 10**3), ("ร้อย", 10**2))


@st.composite
def thai_amounts(draw: st.DrawFn) -> tuple[str, int]:
    """A whole amount as Thai hosts write it: millions before ล้าน, then the places (`แสน`,
    `หมื่น`, `พัน`) down to where the rest is written in digits (`1ล้าน2แสน3หมื่น500`,
    `3แสน45000`, `12ล้าน 5แสน`), all glued, or ล้าน apart from what follows it."""
    n = draw(st.integers(1, int(LIMITS["gmv"])))
    millions, below = divmod(n, 10**6)
    text = f"{millions}ล้าน" if millions else ""
    if below and text and draw(st.booleans()):
        text += " "  # apart after ล้าน: `12ล้าน 5แสน`
    worded = draw(st.integers(0, len(_TH_PLACES)))  # how many places are written as words
    rest = below
    for word, place in _TH_PLACES[:worded]:
        digit, rest = divmod(rest, place)
        if digit:
            text += f"{digit}{word}"
    if rest:
        if text.strip():  # a single digit after a multiplier is the next place down
            assume(rest >= 10)
        if text.endswith(" "):
            assume(False)  # `1ล้าน 500`: apart, a figure needs its multiplier
        text += str(rest)
    return text.strip(), n


_SECTIONED_AMOUNTS = {
    "korean": (korean_amounts(), _KO_GMV, ("{}", "₩{}", "₩ {}", "KRW {}", "{}원", "{} 원"), "₩"),
    "thai": (thai_amounts(), _TH_GMV, ("{}", "{}บาท", "{} บาท", "฿{}", "THB {}", "{}กว่าบาท"), "฿"),
}


@pytest.mark.parametrize("language", sorted(_SECTIONED_AMOUNTS))
@settings(max_examples=300, deadline=None)
@given(data=st.data(), joiner=st.sampled_from([" ", "", ": "]))
def test_an_amount_in_korean_sections_or_thai_places_reads_as_written(
    language: str, data: st.DataObject, joiner: str
) -> None:
    """`매출 1억 2천만원` is 120,000,000 won, `ยอดขาย 1ล้าน2แสนบาท` 1,200,000 baht: every
    amount up to the GMV limit, in the forms Korean and Thai hosts write."""
    amounts, labels, forms, sign = _SECTIONED_AMOUNTS[language]
    written, n = data.draw(amounts, label="amount")
    label = data.draw(st.sampled_from(labels), label="label")
    form = data.draw(st.sampled_from(forms), label="currency")
    parsed = parse_stats(f"{label}{joiner}{form.format(written)}")
    assert parsed.values == {"gmv": n} and not parsed.ignored, (written, parsed)
    assert parsed.currency == (None if form == "{}" else sign), parsed


@settings(max_examples=200, deadline=None)
@given(
    first=st.sampled_from(["คนดู", "ผู้ชม", "ผู้ชมออนไลน์", "ยอดขาย", "คนซื้อ", "ผู้ซื้อ"]),
    second=st.sampled_from(["คนดู", "คนดูสด", "คนดูตอนนี้", "คนซื้อ", "ออเดอร์", "ไลค์"]),
    a=st.integers(0, 99_999),
    b=st.integers(0, 99_999),
    unit=st.sampled_from(["", "คน", " คน"]),
)
def test_thai_labels_glued_to_numbers_and_to_each_other_read(
    first: str, second: str, a: int, b: int, unit: str
) -> None:
    """`คนดู1200คนคนซื้อ30`: a Thai label reads glued to its number and to the label after
    it, and the unit คน never takes the first letters of a label after it (คนดู, คนซื้อ)."""
    from bot.statparse import _ALIAS_KEY

    first_key, second_key = _ALIAS_KEY[first], _ALIAS_KEY[second]
    assume(first_key != second_key)
    people = unit and first_key in ("online", "viewers", "buyers")
    parsed = parse_stats(f"{first}{a}{unit if people else ''}{second}{b}")
    assert parsed.values == {first_key: a, second_key: b} and not parsed.ignored, parsed


def test_orders_spelled_as_the_label_is_a_unit_only_where_it_cannot_be_the_label() -> None:
    """`ออเดอร์` is the orders label and their unit: after a number that a label of orders
    comes before, and before no number, it is the unit; elsewhere, the label."""
    for text in ("ออเดอร์ 35 ออเดอร์", "คำสั่งซื้อ 35 ออเดอร์", "35 ออเดอร์", "ออเดอร์35ออเดอร์"):
        parsed = parse_stats(text)
        assert parsed.values == {"orders": 35} and not parsed.ignored, text
    parsed = parse_stats("ยอดขาย 12000 ออเดอร์ 35")
    assert parsed.values == {"gmv": 12000, "orders": 35} and not parsed.ignored
    parsed = parse_stats("คำสั่งซื้อ 35 ออเดอร์ 40")  # the label of the next number
    assert parsed.values == {"orders": 40}
    assert [(i.text, i.reason) for i in parsed.ignored] == [("คำสั่งซื้อ 35", "repeated")]
    parsed = parse_stats("ยอดขาย 3หมื่น ออเดอร์")  # no unit of money: a label with no number
    assert parsed.values == {"gmv": 30000}
    assert [(i.reason, i.key) for i in parsed.ignored] == [("missing", "orders")]
    parsed = parse_stats("คนดู 1200 ออเดอร์")
    assert [(i.reason, i.key) for i in parsed.ignored] == [("missing", "orders")]


def test_thai_units_count_what_they_count() -> None:
    """คน counts people, ชิ้น items; after the generic ยอดขาย the unit says what was sold."""
    assert parse_stats("ผู้ซื้อ 30 คน สินค้าที่ขายได้ 50 ชิ้น").values == {"buyers": 30, "items": 50}
    assert parse_stats("ยอดขาย 50 ชิ้น").values == {"items": 50}
    assert parse_stats("ยอดขาย 30 คน").values == {"buyers": 30}
    assert parse_stats("ยอดขาย 3หมื่น").values == {"gmv": 30000}
    parsed = parse_stats("ไลค์ 30 คน")
    assert [(i.reason, i.key) for i in parsed.ignored] == [("wrong_unit", "likes")]
    parsed = parse_stats("คนดู 1200 คนละ")  # `คนละ` (each) is a word, not the unit
    assert parsed.values == {"viewers": 1200}


def test_a_thai_label_with_sara_am_reads_as_it_is_typed() -> None:
    """NFKC writes `ำ` as two characters: `คำสั่งซื้อ` is found either way it is typed, and
    what is named back keeps the one it was typed with (`ต่ำสุด`)."""
    decomposed = "ค\u0e4d\u0e32สั่งซื้อ"
    assert parse_stats("คำสั่งซื้อ 35").values == {"orders": 35}
    assert parse_stats(f"{decomposed} 35").values == {"orders": 35}
    assert [i.text for i in parse_stats("คำสั่งซื้อ 3.5").ignored] == ["คำสั่งซื้อ 3.5"]
    assert [i.text for i in parse_stats("ต่ำสุด คนดู 800").ignored] == ["ต่ำสุดคนดู 800"]


def test_a_target_or_a_peak_written_after_the_label_is_never_stored() -> None:
    """Thai writes the word after the label (`ยอดขายเมื่อวาน 2หมื่น`, `คนดูสูงสุด 2000`),
    Korean and English often do (`매출 목표 1억`, `gmv target 10k`): between a label and its
    number the word keeps the pair from being stored too, named back, label first, for what
    the word says. Every word and every label, apart and (in scripts without spaces) glued."""
    labels = sorted({alias for aliases in ALIASES.values() for alias in aliases})
    every = {alias.lower() for alias in labels}
    for reason, words in NOT_NOW.items():
        for word in words:
            for label in labels:
                for text in (f"{label} {word} 12", f"{label}{word} 12"):
                    if text.startswith(f"{label}{word}") and (
                        word.isascii() or label.isascii() or f"{label}{word}".lower() in every
                    ):
                        continue
                    parsed = parse_stats(text)
                    assert not parsed.values, text
                    assert [(i.reason, i.key) for i in parsed.ignored] == [
                        (reason, _key_of(label))
                    ], text
                    assert parsed.ignored[0].text.startswith(label), parsed.ignored


def _key_of(label: str) -> str:
    return next(key for key, aliases in ALIASES.items() if label in aliases)


@pytest.mark.parametrize(
    ("text", "values", "named"),
    [
        ("在线 1万 2千", {"online": 12_000}, []),  # one figure written apart, as Korean does
        ("成交 ¥1万 2千5百 订单 9", {"gmv": 12_500, "orders": 9}, []),
        ("成交1亿 3000万", {"gmv": 130_000_000}, []),
        ("成交1万 2000", {}, [("成交 1万 2000", "split_figure")]),  # was 10,000 stored
        ("gmv 1万 5 orders 3", {"orders": 3}, [("gmv 1万 5", "split_figure")]),
        ("成交1.5万 2千", {}, [("成交 1.5万 2千", "split_figure")]),  # 15,000 + 2,000?
        ("成交1万 2000在线", {"gmv": 10_000, "online": 2000}, []),  # its label after it
        ("成交1万 2000人", {"gmv": 10_000}, [("2000人", "no_label")]),  # people: not money
        ("成交1万 20000", {"gmv": 10_000}, [("20000", "no_label")]),  # not below 万
        ("成交1万\n2000", {"gmv": 10_000}, [("2000", "no_label")]),  # another line
        ("成交3万 2万", {"gmv": 30_000}, [("2万", "no_label")]),
        ("成交3万 2026-11-30", {"gmv": 30_000}, [("2026-11-30", "date")]),
        # thousands grouped with a space: `online 1 200` stored 1
        ("online 1 200 orders 35", {"orders": 35}, [("online 1 200", "split_figure")]),
        ("在线 12 300人", {}, [("在线 12 300人", "split_figure")]),
        ("gmv $1 200.50", {}, [("gmv $1 200.50", "split_figure")]),
        ("在线 1200 300人", {"online": 1200}, [("300人", "no_label")]),  # 4 digits: no group
        ("online 1 2000", {"online": 1}, [("2000", "no_label")]),
        ("在线1200 +300", {"online": 1200}, [("+300", "no_label")]),
        ("成交目标 1万 2000", {}, [("成交目标 1万", "not_now"), ("2000", "no_label")]),
    ],
)
def test_a_figure_written_apart(
    text: str, values: dict[str, float], named: list[tuple[str, str]]
) -> None:
    """After 万 or 亿 and a space, a figure with a place of its own below it goes on the
    number; a bare one makes the figure unclear, and nothing of it is stored; so does a
    group of three digits after one to three (`1 200`: 1,200 or 1 and a stray 200?)."""
    parsed = parse_stats(text)
    assert parsed.values == values, parsed
    assert [(i.text, i.reason) for i in parsed.ignored] == named, parsed


@settings(max_examples=300, deadline=None)
@given(
    head=st.integers(1, 9999),
    tail=st.text("0123456789", min_size=1, max_size=6).filter(lambda d: len(d) != 3),
    label=st.sampled_from(["在线", "成交", "gmv", "orders", "penonton"]),
)
def test_a_comma_that_groups_no_thousands_stores_nothing(head: int, tail: str, label: str) -> None:
    """`在线 1,2000` stored 1 and `gmv 3,5` 3 (the digits before the comma, the rest named
    back as a number without a label): a comma glued between digits is a thousands
    separator only before groups of three; otherwise nothing of the figure is stored."""
    parsed = parse_stats(f"{label} {head},{tail}")
    assert parsed.values == {}, parsed
    assert [i.reason for i in parsed.ignored] == ["not_a_number"], parsed


@settings(max_examples=200, deadline=None)
@given(
    head=st.integers(1, 999),
    group=st.integers(0, 999),
    label=st.sampled_from(["在线", "online", "gmv", "成交", "penonton", "시청자", "คนดู"]),
)
def test_thousands_grouped_with_a_space_are_never_stored_as_the_first_group(
    head: int, group: int, label: str
) -> None:
    """`online 1 200` stored 1: whatever the label, the figure is named back, nothing stored,
    with the figure written together, which reads as one."""
    parsed = parse_stats(f"{label} {head} {group:03d}")
    assert parsed.values == {}, parsed
    assert [i.reason for i in parsed.ignored] == ["split_figure"], parsed
    (joined,) = parsed.ignored[0].suggestions
    assert list(parse_stats(f"{label} {joined}").values.values()) == [head * 1000 + group]


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("成交1亿8千", ("1亿8千万", "180000000", "100008000")),
        ("成交2亿3千5百", ("2亿3千5百万", "235000000", "200003500")),
        ("成交额 1亿2000", ("1亿2000万", "120000000", "100002000")),
        ("成交 ¥3亿0500", ("¥3亿0500万", "305000000", "300000500")),
        ("매출 1억2000", ("1억2000만", "120000000", "100002000")),
        ("매출 1억 2천", ("1억 2천만", "120000000", "100002000")),
    ],
)
def test_an_ambiguous_figure_carries_both_readings(text: str, readings: tuple[str, ...]) -> None:
    """With 万 (만) left out and as written, each read by the rules that read the rest."""
    (item,) = parse_stats(text).ignored
    assert item.reason == "ambiguous" and item.suggestions == readings
    written, with_wan, _ = readings
    label = text.split(" ")[0] if " " in text else text[:2]
    assert parse_stats(f"{label} {written}").values == {"gmv": float(with_wan)}


@pytest.mark.parametrize(
    ("text", "values", "named"),
    [
        ("在线掉到800", {"online": 800}, []),
        ("成交突破10万 订单35", {"gmv": 100_000, "orders": 35}, []),
        ("在线还有800人", {"online": 800}, []),
        ("成交额目前3.4万", {"gmv": 34_000}, []),
        ("gmv is 3.4k", {"gmv": 3400}, []),
        ("online reached 1500", {"online": 1500}, []),
        ("gmv是3.4k", {"gmv": 3400}, []),
        ("omset sekarang 3,1jt", {"gmv": 3_100_000}, []),
        ("omset hari ini 3jt", {"gmv": 3_000_000}, []),  # through a phrase of two words
        ("doanh thu hôm nay 12tr", {"gmv": 12_000_000}, []),
        ("매출 현재 120만원", {"gmv": 1_200_000}, []),
        ("ยอดขายตอนนี้ 12000บาท", {"gmv": 12_000}, []),
        ("gmv today", {}, [("gmv today", "not_a_number")]),
        # by how much, not the figure: named back, never stored as the figure
        ("在线掉了300", {}, [("在线掉了 300", "unknown_label")]),
        ("online down 300", {}, [("online down", "not_a_number"), ("300", "no_label")]),
        ("在线有点少", {}, [("在线 有点少", "not_a_number")]),
    ],
)
def test_a_word_between_a_label_and_its_number(
    text: str, values: dict[str, float], named: list[tuple[str, str]]
) -> None:
    """`在线掉到800`, `成交突破10万`, `gmv is 3.4k` were unknown labels; a word that says by
    how much (`掉了`, `down`) still keeps the number from being stored as the figure."""
    parsed = parse_stats(text)
    assert parsed.values == values, parsed
    assert [(i.text, i.reason) for i in parsed.ignored] == named, parsed


@pytest.mark.parametrize(
    ("text", "values", "named"),
    [
        ("đơn hàng mới 35", {}, [("đơn hàng mới", "not_a_number"), ("35", "no_label")]),
        (
            "doanh thu tiền mặt 12tr",
            {},
            [("doanh thu tiền", "not_a_number"), ("mặt 12tr", "unknown_label")],
        ),
        ("doanh thu hiện tại 12tr", {"gmv": 12_000_000}, []),
        ("doanh thu hôm qua 12tr", {}, [("doanh thu hôm qua 12tr", "not_now")]),
        ("hôm qua doanh thu 12tr", {}, [("hôm qua doanh thu 12tr", "not_now")]),
        ("doanh thu dự kiến 12tr", {}, [("doanh thu dự kiến 12tr", "not_now")]),
        ("người xem cao nhất 1200", {}, [("người xem cao nhất 1200", "not_a_reading")]),
        ("omset kemarin 3jt", {}, [("omset kemarin 3jt", "not_now")]),
        ("rata-rata penonton 800", {}, [("rata rata penonton 800", "not_a_reading")]),
        ("penonton tertinggi 1.500", {}, [("penonton tertinggi 1.500", "not_a_reading")]),
    ],
)
def test_vietnamese_and_indonesian_words(
    text: str, values: dict[str, float], named: list[tuple[str, str]]
) -> None:
    """A Vietnamese word is read whole with its marks (`hiện` was read as `hi` and `ện`, and
    `ệntại 12tr` quoted back), two words make one where they are a phrase (`hôm qua` is
    yesterday, `hôm nay` today), and a target, another day's figure or a peak is named
    back in these languages too (`rata-rata penonton 800` stored 800 viewers)."""
    parsed = parse_stats(text)
    assert parsed.values == values, parsed
    assert [(i.text, i.reason) for i in parsed.ignored] == named, parsed
