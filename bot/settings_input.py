"""How hosts type settings: time zones, languages, times of day, currencies, numbers and
command names — read into the canonical values the services store.

Pure functions (no Telegram, no database), shared by the handlers and their tests.

Time-zone offsets (``UTC+8``, ``GMT+7``, ``+8``, ``+05:30``): an offset is kept as the
fixed offset the host typed — ``Etc/GMT-8`` for UTC+8 (POSIX inverts the sign) — because
a city would add daylight-saving rules nobody asked for. Where a city zone of the hosts'
markets keeps exactly that offset all year (no daylight saving) its name is used instead,
the same clock under a name the host recognises: +7 Asia/Bangkok, +8 Asia/Shanghai,
+9 Asia/Tokyo, +5:30 Asia/Kolkata, +5:45 Asia/Kathmandu.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import available_timezones

__all__ = [
    "CANONICAL_ZONES",
    "COMMON_ZONES",
    "CURRENCY_SYMBOLS",
    "INT_LIMIT",
    "DigestChoice",
    "IntArg",
    "ZoneAnswer",
    "ascii_digits",
    "currencies_of_symbol",
    "currency_from_symbol",
    "nearest_command",
    "parse_currency",
    "parse_digest",
    "parse_int_arg",
    "parse_language",
    "parse_onoff",
    "parse_zone",
]

# ------------------------------------------------------------------------------- digits

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def ascii_digits(text: str) -> str:
    """Full-width characters (``２１：３０``, ``＋８``, ``ＵＴＣ``) as their ASCII forms; other
    characters unchanged (a superscript ``²`` stays what it is: not a digit to read)."""
    return text.translate(_FULLWIDTH)


INT_LIMIT = 2**31 - 1
"""The largest id a database integer column holds on both backends."""


@dataclass(frozen=True, slots=True)
class IntArg:
    """A whole number argument: its value, or why it cannot be one."""

    value: int | None
    problem: Literal["not_a_number", "too_large"] | None = None


def parse_int_arg(text: str, *, limit: int = INT_LIMIT) -> IntArg:
    """``12``, ``#12``, ``１２`` → 12; ``²`` or ``x`` → not a number; beyond ``limit``
    → too large (never an OverflowError further on)."""
    raw = ascii_digits(text.strip()).lstrip("#")
    if not raw or not all("0" <= ch <= "9" for ch in raw):
        return IntArg(None, "not_a_number")
    if len(raw) > len(str(limit)) or int(raw) > limit:
        return IntArg(None, "too_large")
    return IntArg(int(raw))


# ---------------------------------------------------------------------------- time zones

_NOT_PLACES = ("posix/", "right/")
CANONICAL_ZONES: frozenset[str] = frozenset(
    zone
    for zone in available_timezones()
    if not zone.startswith(_NOT_PLACES) and zone not in ("posixrules", "localtime", "Factory")
)
"""IANA zones a workspace may use: the tz database's own names, without the ``posix/`` and
``right/`` (leap-second) copies."""

_ZONES_BY_LOWER = {zone.lower(): zone for zone in CANONICAL_ZONES}
_REGIONS = frozenset(zone.split("/")[0] for zone in CANONICAL_ZONES if "/" in zone)
_LAST_PART: dict[str, list[str]] = {}
for _zone in sorted(CANONICAL_ZONES):
    if "/" in _zone and not _zone.startswith("Etc/"):
        _LAST_PART.setdefault(_zone.rsplit("/", 1)[1].lower(), []).append(_zone)

COMMON_ZONES: tuple[tuple[str, str, str], ...] = (
    # (zone, English label, Chinese label): the buttons /start offers
    ("Asia/Shanghai", "China", "中国"),
    ("Asia/Hong_Kong", "Hong Kong", "香港"),
    ("Asia/Taipei", "Taipei", "台北"),
    ("Asia/Singapore", "Singapore", "新加坡"),
    ("Asia/Kuala_Lumpur", "Malaysia", "马来西亚"),
    ("Asia/Jakarta", "Jakarta", "雅加达"),
    ("Asia/Bangkok", "Thailand", "泰国"),
    ("Asia/Ho_Chi_Minh", "Vietnam", "越南"),
    ("Asia/Manila", "Philippines", "菲律宾"),
    ("Europe/London", "UK", "英国"),
    ("America/New_York", "US East", "美国东部"),
    ("America/Los_Angeles", "US West", "美国西部"),
)

_CITIES: dict[str, str] = {
    # Chinese names
    "北京": "Asia/Shanghai",
    "上海": "Asia/Shanghai",
    "深圳": "Asia/Shanghai",
    "杭州": "Asia/Shanghai",
    "广州": "Asia/Shanghai",
    "成都": "Asia/Shanghai",
    "义乌": "Asia/Shanghai",
    "中国": "Asia/Shanghai",
    "国内": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong",
    "澳门": "Asia/Macau",
    "台北": "Asia/Taipei",
    "台湾": "Asia/Taipei",
    "新加坡": "Asia/Singapore",
    "雅加达": "Asia/Jakarta",
    "印尼": "Asia/Jakarta",
    "印度尼西亚": "Asia/Jakarta",
    "曼谷": "Asia/Bangkok",
    "泰国": "Asia/Bangkok",
    "胡志明": "Asia/Ho_Chi_Minh",
    "胡志明市": "Asia/Ho_Chi_Minh",
    "河内": "Asia/Ho_Chi_Minh",
    "越南": "Asia/Ho_Chi_Minh",
    "吉隆坡": "Asia/Kuala_Lumpur",
    "马来西亚": "Asia/Kuala_Lumpur",
    "马尼拉": "Asia/Manila",
    "菲律宾": "Asia/Manila",
    "东京": "Asia/Tokyo",
    "日本": "Asia/Tokyo",
    "首尔": "Asia/Seoul",
    "韩国": "Asia/Seoul",
    "伦敦": "Europe/London",
    "英国": "Europe/London",
    "纽约": "America/New_York",
    "洛杉矶": "America/Los_Angeles",
    "美西": "America/Los_Angeles",
    "美东": "America/New_York",
    "迪拜": "Asia/Dubai",
    # English names and short forms
    "beijing": "Asia/Shanghai",
    "peking": "Asia/Shanghai",
    "shanghai": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "hangzhou": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "china": "Asia/Shanghai",
    "hongkong": "Asia/Hong_Kong",
    "hk": "Asia/Hong_Kong",
    "taipei": "Asia/Taipei",
    "taiwan": "Asia/Taipei",
    "singapore": "Asia/Singapore",
    "sg": "Asia/Singapore",
    "jakarta": "Asia/Jakarta",
    "indonesia": "Asia/Jakarta",
    "bangkok": "Asia/Bangkok",
    "thailand": "Asia/Bangkok",
    "hochiminh": "Asia/Ho_Chi_Minh",
    "hochiminhcity": "Asia/Ho_Chi_Minh",
    "hcmc": "Asia/Ho_Chi_Minh",
    "saigon": "Asia/Ho_Chi_Minh",
    "vietnam": "Asia/Ho_Chi_Minh",
    "hanoi": "Asia/Ho_Chi_Minh",
    "kualalumpur": "Asia/Kuala_Lumpur",
    "kl": "Asia/Kuala_Lumpur",
    "malaysia": "Asia/Kuala_Lumpur",
    "manila": "Asia/Manila",
    "philippines": "Asia/Manila",
    "tokyo": "Asia/Tokyo",
    "japan": "Asia/Tokyo",
    "seoul": "Asia/Seoul",
    "korea": "Asia/Seoul",
    "london": "Europe/London",
    "uk": "Europe/London",
    "england": "Europe/London",
    "britain": "Europe/London",
    "newyork": "America/New_York",
    "nyc": "America/New_York",
    "ny": "America/New_York",
    "useast": "America/New_York",
    "losangeles": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "uswest": "America/Los_Angeles",
    "sanfrancisco": "America/Los_Angeles",
    "chicago": "America/Chicago",
    "dubai": "Asia/Dubai",
}

_OFFSET_CITIES = {
    (7, 0): "Asia/Bangkok",
    (8, 0): "Asia/Shanghai",
    (9, 0): "Asia/Tokyo",
    (5, 30): "Asia/Kolkata",
    (5, 45): "Asia/Kathmandu",
}
_OFFSET = re.compile(
    r"^(?:utc|gmt|z)?\s*([+-])\s*(\d{1,2})(?:(?::|\.|h)?(\d{2}))?(?:h|小时)?$|^(?:utc|gmt|z)$"
)
_TIME_WORDS = re.compile(r"(时间|时区|time|timezone|zone)$")


@dataclass(frozen=True, slots=True)
class ZoneAnswer:
    """What a typed time zone is: a canonical zone, or why not."""

    zone: str | None
    problem: Literal["region", "not_canonical", "unknown"] | None = None
    examples: tuple[str, ...] = ()


def _offset_zone(sign: str, hours: int, minutes: int) -> str | None:
    if hours > 14 or minutes >= 60:
        return None
    if sign == "+" and (hours, minutes) in _OFFSET_CITIES:
        return _OFFSET_CITIES[(hours, minutes)]
    if minutes:
        return None  # no fixed half-hour zones in the tz database
    if hours == 0:
        return "UTC"
    name = f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"  # POSIX: the sign inverted
    return name if name in CANONICAL_ZONES else None


def parse_zone(text: str) -> ZoneAnswer:
    """A time zone as hosts type it: an IANA name (any case), a city or country in English
    or Chinese, or an offset from UTC (see the module docstring)."""
    raw = ascii_digits(text).strip()
    if not raw:
        return ZoneAnswer(None, "unknown")
    lowered = raw.lower()
    if lowered in _ZONES_BY_LOWER:
        return ZoneAnswer(_ZONES_BY_LOWER[lowered])
    if lowered.startswith(_NOT_PLACES) or lowered in ("posixrules", "localtime", "factory"):
        rest = lowered.split("/", 1)[-1]
        same = _ZONES_BY_LOWER.get(rest)
        return ZoneAnswer(None, "not_canonical", (same,) if same else ())
    region = lowered.rstrip("/").capitalize()
    if region in _REGIONS:
        examples = tuple(z for z, _, _ in COMMON_ZONES if z.startswith(region + "/"))
        if not examples:
            examples = tuple(sorted(z for z in CANONICAL_ZONES if z.startswith(region + "/")))
        return ZoneAnswer(None, "region", examples[:4])
    match = _OFFSET.match(lowered.replace(" ", ""))
    if match is not None:
        if match.group(1) is None:
            return ZoneAnswer("UTC")
        zone = _offset_zone(match.group(1), int(match.group(2)), int(match.group(3) or 0))
        return ZoneAnswer(zone) if zone else ZoneAnswer(None, "unknown")
    key = _TIME_WORDS.sub("", re.sub(r"[\s_\-.'’]+", "", lowered))
    if key in _CITIES:
        return ZoneAnswer(_CITIES[key])
    last = _LAST_PART.get(re.sub(r"[\s\-]+", "_", lowered))
    if last is not None and len(last) == 1:
        return ZoneAnswer(last[0])
    return ZoneAnswer(None, "unknown")


# ------------------------------------------------------------------------------ language

_LANGUAGE_WORDS = {
    "en": {"en", "eng", "english", "英文", "英语", "英", "e"},
    "zh": {
        "zh",
        "cn",
        "chinese",
        "中文",
        "汉语",
        "漢語",
        "华语",
        "華語",
        "中",
        "简体",
        "简体中文",
        "普通话",
        "国语",
        "mandarin",
        "繁体",
        "繁體",
        "繁體中文",
    },
}


def parse_language(text: str) -> str | None:
    """``en`` or ``zh`` from the words hosts use (english, 英文, chinese, 中文, 汉语,
    zh-CN, zh_Hans, en-US…); None for anything else."""
    word = ascii_digits(text).strip().lower().replace("_", "-")
    for lang, words in _LANGUAGE_WORDS.items():
        if word in words:
            return lang
    base = word.split("-", 1)[0]
    if base in ("en", "zh") and word != base:
        return base
    return None


# ----------------------------------------------------------------------- on, off, times

DigestChoice = Literal["on", "off", "now"]

_ON = {"on", "yes", "开", "开启", "打开", "启用", "开始"}
_OFF = {"off", "no", "关", "关闭", "停", "停止", "不要"}
_NOW = {"now", "现在", "立即", "马上"}


def parse_onoff(text: str) -> bool | None:
    """True for on (on, 开, 开启…), False for off (off, 关, 关闭…), else None."""
    word = ascii_digits(text).strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    return None


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def _cn_number(text: str) -> int | None:
    """``9``, ``21``, ``九``, ``十``, ``十二``, ``二十一``, ``三十`` → the number."""
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[ch]) for ch in text)) if len(text) <= 2 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


_AM_WORDS = ("早上", "早晨", "上午", "凌晨", "清晨", "早")
_PM_WORDS = ("下午", "晚上", "傍晚", "夜里", "夜晚", "中午", "晚")
_EN_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_ZH_TIME = re.compile(
    r"^([零〇一二两三四五六七八九十\d]{1,3})[点點时時](?:([零〇一二两三四五六七八九十\d]{1,3})分?|(半)|(一刻)|(三刻))?$"
)


def _hhmm(hours: int, minutes: int) -> str | None:
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        return None
    return f"{hours:02d}:{minutes:02d}"


def _time_of_day(text: str) -> str | None:
    word = ascii_digits(text).strip().lower().replace(" ", "")
    match = _EN_TIME.match(word)
    if match is not None:
        hours, minutes = int(match.group(1)), int(match.group(2) or 0)
        half = match.group(3)
        if half is not None:
            if not 1 <= hours <= 12:
                return None
            hours = hours % 12 + (12 if half.startswith("p") else 0)
        return _hhmm(hours, minutes)
    part: str | None = None
    for words, name in ((_AM_WORDS, "am"), (_PM_WORDS, "pm")):
        for prefix in words:
            if word.startswith(prefix):
                word, part = word[len(prefix) :], name if prefix != "中午" else "noon"
                break
        if part is not None:
            break
    return _zh_time(word, part)


def _zh_time(word: str, part: str | None) -> str | None:
    """``21点``, ``9点半``, ``三点一刻``, ``21点30分`` with the part of the day before it."""
    match = _ZH_TIME.match(word)
    if match is None:
        return None
    hours = _cn_number(match.group(1))
    minutes: int | None = (
        30 if match.group(3) else 15 if match.group(4) else 45 if match.group(5) else 0
    )
    if match.group(2):
        minutes = _cn_number(match.group(2))
    if hours is None or minutes is None:
        return None
    if (part == "pm" and 1 <= hours < 12) or (part == "noon" and 1 <= hours < 6):
        hours += 12
    elif part == "am" and hours == 12:
        hours = 0
    elif part is not None and hours > 12 and part == "am":
        return None
    return _hhmm(hours, minutes)


def parse_digest(text: str) -> DigestChoice | str | None:
    """``on``, ``off``, ``now`` or a local time ``HH:MM`` from what hosts type: ``21:30``,
    ``9:05``, ``２１：３０``, ``9am``, ``9:30pm``, ``21点``, ``21点30``, ``早上9点``,
    ``晚上9点半``, ``下午三点``, ``9``; None for anything else."""
    word = ascii_digits(text).strip().lower()
    if word in _NOW:
        return "now"
    onoff = parse_onoff(word)
    if onoff is not None:
        return "on" if onoff else "off"
    return _time_of_day(word)


# ------------------------------------------------------------------------------ currency

CURRENCY_SYMBOLS: dict[str, str] = {
    "￥": "CNY",
    "¥": "CNY",
    "元": "CNY",
    "$": "USD",
    "rp": "IDR",
    "₫": "VND",
    "đ": "VND",
    "฿": "THB",
    "rm": "MYR",
    "₱": "PHP",
    "s$": "SGD",
    "hk$": "HKD",
    "nt$": "TWD",
    "jp¥": "JPY",
    "£": "GBP",
    "€": "EUR",
    "₩": "KRW",
}
"""The symbols money figures come with on the hosts' screens and exports."""

_CURRENCY_WORDS: dict[str, str] = {
    "cny": "CNY",
    "rmb": "CNY",
    "yuan": "CNY",
    "人民币": "CNY",
    "块": "CNY",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "美元": "USD",
    "美金": "USD",
    "idr": "IDR",
    "rupiah": "IDR",
    "印尼盾": "IDR",
    "vnd": "VND",
    "dong": "VND",
    "đồng": "VND",
    "越南盾": "VND",
    "thb": "THB",
    "baht": "THB",
    "บาท": "THB",
    "泰铢": "THB",
    "myr": "MYR",
    "ringgit": "MYR",
    "马币": "MYR",
    "令吉": "MYR",
    "php": "PHP",
    "peso": "PHP",
    "比索": "PHP",
    "sgd": "SGD",
    "新币": "SGD",
    "新加坡元": "SGD",
    "hkd": "HKD",
    "港币": "HKD",
    "港元": "HKD",
    "twd": "TWD",
    "台币": "TWD",
    "新台币": "TWD",
    "jpy": "JPY",
    "yen": "JPY",
    "日元": "JPY",
    "krw": "KRW",
    "won": "KRW",
    "원": "KRW",
    "韩元": "KRW",
    "韩币": "KRW",
    "gbp": "GBP",
    "pound": "GBP",
    "英镑": "GBP",
    "eur": "EUR",
    "euro": "EUR",
    "欧元": "EUR",
}


def currency_from_symbol(symbol: str) -> str | None:
    """The ISO code of a money symbol (``￥`` → CNY, ``Rp`` → IDR…), or None."""
    return CURRENCY_SYMBOLS.get(ascii_digits(symbol).strip().lower())


_ALSO_WRITTEN: dict[str, tuple[str, ...]] = {
    "$": ("SGD", "HKD", "TWD"),
    "¥": ("JPY",),
}
"""Currencies that exports may write with the bare symbol of another: a `$` file in a chat
set to SGD is taken as Singapore dollars, a `¥` file in one set to JPY as yen."""


def currencies_of_symbol(symbol: str) -> tuple[str, ...]:
    """The currencies a money symbol of an export may stand for, the one it stands for on
    its own (`currency_from_symbol`) first: ``$`` → USD, SGD, HKD, TWD; ``€`` → EUR; an
    unknown symbol → ()."""
    code = currency_from_symbol(symbol)
    if code is None:
        return ()
    return (code, *_ALSO_WRITTEN.get(ascii_digits(symbol).strip().replace("￥", "¥"), ()))


def parse_currency(text: str) -> str | None:
    """An ISO 4217 code from a code, a word or a symbol (cny, 人民币, ￥, Rp, 泰铢…)."""
    word = ascii_digits(text).strip().lower()
    return _CURRENCY_WORDS.get(word) or currency_from_symbol(word)


# ------------------------------------------------------------------------------ commands


def nearest_command(word: str, known: Iterable[str]) -> str | None:
    """The command a mistyped one most likely meant (``stats`` → stat, ``end`` → endlive,
    ``golve`` → golive), or None when nothing is close."""
    word = word.lower().lstrip("/").split("@", 1)[0]
    names = list(known)
    if not word:
        return None
    starts = [name for name in names if name.startswith(word)]
    if len(word) >= 3 and len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return close[0] if close else None
