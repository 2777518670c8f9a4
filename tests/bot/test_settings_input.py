"""How hosts type settings: time zones, languages, digest times, currencies, numbers and
command names."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import command_descriptions
from bot.settings_input import (
    CANONICAL_ZONES,
    COMMON_ZONES,
    INT_LIMIT,
    ascii_digits,
    currencies_of_symbol,
    currency_from_symbol,
    nearest_command,
    parse_currency,
    parse_digest,
    parse_int_arg,
    parse_language,
    parse_onoff,
    parse_zone,
)

FULLWIDTH = str.maketrans("0123456789:+", "０１２３４５６７８９：＋")


# ---------------------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        ("asia/shanghai", "Asia/Shanghai"),
        ("北京", "Asia/Shanghai"),
        ("北京时间", "Asia/Shanghai"),
        ("上海", "Asia/Shanghai"),
        ("深圳", "Asia/Shanghai"),
        ("杭州", "Asia/Shanghai"),
        ("广州", "Asia/Shanghai"),
        ("香港", "Asia/Hong_Kong"),
        ("台北", "Asia/Taipei"),
        ("新加坡", "Asia/Singapore"),
        ("雅加达", "Asia/Jakarta"),
        ("曼谷", "Asia/Bangkok"),
        ("胡志明", "Asia/Ho_Chi_Minh"),
        ("吉隆坡", "Asia/Kuala_Lumpur"),
        ("马尼拉", "Asia/Manila"),
        ("东京", "Asia/Tokyo"),
        ("首尔", "Asia/Seoul"),
        ("伦敦", "Europe/London"),
        ("纽约", "America/New_York"),
        ("洛杉矶", "America/Los_Angeles"),
        ("Beijing", "Asia/Shanghai"),
        ("Shanghai", "Asia/Shanghai"),
        ("Jakarta", "Asia/Jakarta"),
        ("Bangkok", "Asia/Bangkok"),
        ("London", "Europe/London"),
        ("New York", "America/New_York"),
        ("LA", "America/Los_Angeles"),
        ("ho chi minh", "Asia/Ho_Chi_Minh"),
        ("Kuala Lumpur", "Asia/Kuala_Lumpur"),
        ("Lagos", "Africa/Lagos"),  # the last part of any canonical zone
        ("UTC", "UTC"),
        ("gmt", "GMT"),
        ("UTC+8", "Asia/Shanghai"),
        ("+8", "Asia/Shanghai"),
        ("GMT+7", "Asia/Bangkok"),
        ("utc+9", "Asia/Tokyo"),
        ("UTC+05:30", "Asia/Kolkata"),
        ("UTC-5", "Etc/GMT+5"),  # a fixed offset: POSIX inverts the sign
        ("+1", "Etc/GMT-1"),
        ("UTC+0", "UTC"),
        ("ＵＴＣ＋８", "Asia/Shanghai"),
    ],
)
def test_zones_as_hosts_type_them(typed: str, zone: str) -> None:
    assert parse_zone(typed).zone == zone


def test_offset_zones_keep_the_typed_offset_all_year() -> None:
    for offset in range(-12, 15):
        typed = f"UTC{offset:+d}"
        zone = parse_zone(typed).zone
        assert zone is not None, typed
        for month in (1, 7):
            moment = datetime(2026, month, 15, 12, tzinfo=UTC).astimezone(ZoneInfo(zone))
            assert moment.utcoffset() is not None
            assert moment.utcoffset().total_seconds() == offset * 3600, (typed, zone)  # type: ignore[union-attr]


def test_a_region_is_not_a_zone_and_gets_examples() -> None:
    answer = parse_zone("Asia")
    assert answer.zone is None and answer.problem == "region"
    assert "Asia/Shanghai" in answer.examples
    assert parse_zone("America/").problem == "region"


def test_only_canonical_zones() -> None:
    answer = parse_zone("right/UTC")
    assert answer.zone is None and answer.problem == "not_canonical"
    assert answer.examples == ("UTC",)
    assert parse_zone("posix/Asia/Shanghai").examples == ("Asia/Shanghai",)
    assert parse_zone("posixrules").problem == "not_canonical"
    assert not any(z.startswith(("right/", "posix/")) for z in CANONICAL_ZONES)
    assert "Asia/Shanghai" in CANONICAL_ZONES


@pytest.mark.parametrize("typed", ["Atlantis", "UTC+15", "+5:20", "", "   ", "../etc/passwd"])
def test_unknown_zones(typed: str) -> None:
    answer = parse_zone(typed)
    assert answer.zone is None and answer.problem == "unknown"


def test_common_zone_buttons_are_canonical() -> None:
    assert all(zone in CANONICAL_ZONES for zone, _, _ in COMMON_ZONES)


@given(st.text(max_size=40))
def test_parse_zone_never_raises_and_answers_only_canonical_zones(text: str) -> None:
    answer = parse_zone(text)
    assert (answer.zone is None) == (answer.problem is not None)
    if answer.zone is not None:
        assert answer.zone in CANONICAL_ZONES
        ZoneInfo(answer.zone)


# ------------------------------------------------------------------------------ language


@pytest.mark.parametrize(
    ("typed", "lang"),
    [
        ("en", "en"), ("English", "en"), ("英文", "en"), ("英语", "en"), ("en-US", "en"),
        ("zh", "zh"), ("chinese", "zh"), ("中文", "zh"), ("汉语", "zh"), ("zh-CN", "zh"),
        ("zh_Hans", "zh"), ("ZH-TW", "zh"), ("普通话", "zh"),
    ],
)  # fmt: skip
def test_language_words(typed: str, lang: str) -> None:
    assert parse_language(typed) == lang


@pytest.mark.parametrize("typed", ["fr", "french", "", "日本語", "enx"])
def test_other_languages_are_refused(typed: str) -> None:
    assert parse_language(typed) is None


# ------------------------------------------------------------------------- digest times


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("21:30", "21:30"), ("9:05", "09:05"), ("２１：３０", "21:30"), ("21：30", "21:30"),
        ("9am", "09:00"), ("9 am", "09:00"), ("9:30pm", "21:30"), ("12am", "00:00"),
        ("12pm", "12:00"), ("9.30", "09:30"), ("9", "09:00"), ("21", "21:00"),
        ("早上9点", "09:00"), ("晚上9点半", "21:30"), ("21点", "21:00"), ("21点30", "21:30"),
        ("21点30分", "21:30"), ("下午三点", "15:00"), ("晚上十点", "22:00"),
        ("凌晨2点", "02:00"), ("中午12点", "12:00"), ("九点一刻", "09:15"),
        ("早上９点", "09:00"), ("off", "off"), ("关", "off"), ("关闭", "off"), ("on", "on"),
        ("开", "on"), ("now", "now"), ("现在", "now"),
    ],
)  # fmt: skip
def test_digest_as_hosts_type_it(typed: str, expected: str) -> None:
    assert parse_digest(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "21:60", "13pm", "0am", "tomorrow", "", "²", "9:5"])
def test_digest_nonsense_is_refused(typed: str) -> None:
    assert parse_digest(typed) is None


@given(st.integers(0, 23), st.integers(0, 59), st.booleans())
def test_every_time_of_day_reads_back_in_ascii_and_fullwidth(h: int, m: int, wide: bool) -> None:
    typed = f"{h}:{m:02d}"
    if wide:
        typed = typed.translate(FULLWIDTH)
    assert parse_digest(typed) == f"{h:02d}:{m:02d}"


@given(st.text(max_size=20))
def test_parse_digest_answers_a_choice_or_a_valid_time(text: str) -> None:
    found = parse_digest(text)
    if found is not None and found not in ("on", "off", "now"):
        hours, minutes = found.split(":")
        assert len(hours) == len(minutes) == 2
        assert 0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59


def test_onoff() -> None:
    assert parse_onoff("ON") is True and parse_onoff("开启") is True
    assert parse_onoff("off") is False and parse_onoff("关") is False
    assert parse_onoff("maybe") is None


# ------------------------------------------------------------------------------- numbers


def test_int_args() -> None:
    assert parse_int_arg("12").value == 12
    assert parse_int_arg("#12").value == 12
    assert parse_int_arg("１２").value == 12
    assert parse_int_arg("²").problem == "not_a_number"
    assert parse_int_arg("٣").problem == "not_a_number"  # an Arabic-Indic digit
    assert parse_int_arg("-3").problem == "not_a_number"
    assert parse_int_arg("99999999999999999999").problem == "too_large"
    assert parse_int_arg(str(INT_LIMIT)).value == INT_LIMIT
    assert parse_int_arg(str(INT_LIMIT + 1)).problem == "too_large"


@given(st.text(max_size=30))
def test_int_args_never_raise(text: str) -> None:
    parsed = parse_int_arg(text)
    assert (parsed.value is None) == (parsed.problem is not None)
    if parsed.value is not None:
        assert 0 <= parsed.value <= INT_LIMIT


def test_ascii_digits_leaves_superscripts_alone() -> None:
    assert ascii_digits("２１：３０") == "21:30"
    assert ascii_digits("²") == "²"


# ------------------------------------------------------------------------------ currency


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("CNY", "CNY"), ("rmb", "CNY"), ("人民币", "CNY"), ("￥", "CNY"), ("¥", "CNY"),
        ("usd", "USD"), ("$", "USD"), ("美元", "USD"), ("IDR", "IDR"), ("Rp", "IDR"),
        ("VND", "VND"), ("₫", "VND"), ("THB", "THB"), ("฿", "THB"), ("泰铢", "THB"),
        ("MYR", "MYR"), ("PHP", "PHP"), ("บาท", "THB"), ("원", "KRW"), ("韩币", "KRW"),
        ("₩", "KRW"), ("đồng", "VND"), ("Đồng", "VND"),
    ],
)  # fmt: skip
def test_currencies(typed: str, code: str) -> None:
    assert parse_currency(typed) == code


def test_unknown_currency_and_symbols() -> None:
    assert parse_currency("bitcoin") is None
    assert currency_from_symbol("Rp") == "IDR"
    assert currency_from_symbol("?") is None


def test_the_currencies_a_file_symbol_may_stand_for() -> None:
    """The one a symbol means on its own first (it sets a workspace without a currency),
    then those exports also write with it (a workspace set to one of them keeps it)."""
    assert currencies_of_symbol("$") == ("USD", "SGD", "HKD", "TWD")
    assert currencies_of_symbol("¥") == currencies_of_symbol("￥") == ("CNY", "JPY")
    assert currencies_of_symbol("€") == ("EUR",) and currencies_of_symbol("£") == ("GBP",)
    assert currencies_of_symbol("?") == ()
    for symbol in ("$", "¥", "€", "£", "Rp", "₫"):
        assert currencies_of_symbol(symbol)[0] == currency_from_symbol(symbol)


# ------------------------------------------------------------------------------ commands

KNOWN = [name for name, _ in command_descriptions("en", "admin")]


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [
        ("/stats", "stat"), ("/end", "endlive"), ("/golve", "golive"), ("sumary", "summary"),
        ("/lnag", "lang"), ("/sesions", "sessions"), ("/Forget", "forget"),
        ("/currncy", "currency"), ("/stat@livehost_bot", "stat"),
    ],
)  # fmt: skip
def test_nearest_command(typed: str, nearest: str) -> None:
    assert nearest_command(typed, KNOWN) == nearest


def test_nothing_near() -> None:
    assert nearest_command("/xyzzy", KNOWN) is None
    assert nearest_command("/", KNOWN) is None
