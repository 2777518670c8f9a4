"""Values as platforms and hosts write them: numbers, durations, times.

The grammar of a number (after Unicode NFKC, so full-width digits and punctuation read as
ASCII, and `−` read as `-`):

    [sign] [currency] [sign] digits [exponent] [multiplier] [元] [%]

* digits: `1200`, `1,200` (groups of exactly three), `1200.5`, `.5`
* currency: `¥` (`￥`), `$`, `€`, `£`, `US$`, `RMB`, `CNY`, `USD`; or `元` after the number
* multiplier: `k`/`K`/`千` (10³), `w`/`W`/`万` (10⁴), `m`/`M` (10⁶), `亿` (10⁸)
* exponent: `1.2e3`, `1.2E+07` (as spreadsheets write large numbers; not with a multiplier)
* percent: `12%` — **`parse_number` returns the fraction (0.12)**, so `3.2%` and `0.032` are
  the same quantity; `parse_value` returns the same number with `percent=True` so a caller
  that must not take a rate for a count (the snapshot parser) can tell. A percent takes no
  currency and no multiplier.

Missing markers (`--`, `-`, `—`, `暂无`, `N/A`, `nan`, empty …) give None: missing is never 0.
Anything else raises `ValueParseError` with a machine-readable `reason`. Arithmetic is
decimal, so `1.2万` is exactly 12000.

A number that does not fit a float (`1e309`, a 400-digit number) raises `ValueParseError`
with reason "too_large": no ±∞ or NaN ever comes out of `parse_value`, `parse_number` or
`parse_duration`.

Per-field bounds (`FIELD_BOUNDS`, `check_bounds`) say what a stored value may be: counts
whole and from 0 up to a cap, money from 0 up to a cap, watch times and durations up to
48 hours, percentages (as fractions) from 0 to 1, and times from 2015-01-01 to tomorrow
(`check_time`). Every reader of numbers (file imports, pushed snapshots) checks them here.

Durations (`parse_duration`) are seconds: `330`, `330s`, `5分30秒`, `1小时20分`, `1h 20min`,
`00:05:30` (h:m:s), `05:30` (m:s). Times (`parse_datetime`) are aware UTC datetimes; a time
without a zone is local time in the given zone.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Final

__all__ = [
    "EARLIEST_DATE",
    "FIELD_BOUNDS",
    "MISSING_MARKERS",
    "NUMBER_STYLES",
    "TYPE_BOUNDS",
    "Bounds",
    "NumberValue",
    "ValueParseError",
    "bounds_of",
    "check_bounds",
    "check_time",
    "format_number",
    "is_missing",
    "latest_time",
    "normalize_text",
    "parse_bool",
    "parse_datetime",
    "parse_duration",
    "parse_number",
    "parse_value",
    "style_tolerance",
]

#: Spellings of "no value" (compared after NFKC, strip and lower-casing).
MISSING_MARKERS: Final[frozenset[str]] = frozenset(
    {
        "", "-", "--", "---", "—", "——", "–", "/", "暂无", "无", "n/a", "na", "nan",
        "null", "none", "#n/a", "未知",
    }
)  # fmt: skip

_MINUS_SIGNS = str.maketrans({"−": "-", "‐": "-", "‑": "-", "‒": "-", "﹣": "-"})

_MULTIPLIERS: Final[dict[str, int]] = {
    "k": 1_000, "K": 1_000, "千": 1_000,
    "w": 10_000, "W": 10_000, "万": 10_000,
    "m": 1_000_000, "M": 1_000_000,
    "亿": 100_000_000,
}  # fmt: skip

_NUMBER_RE = re.compile(
    r"""
    (?P<sign1>[+-])?\s*
    (?P<cur>US\$|S\$|HK\$|NT\$|JP¥|[$¥€£₱฿₩₫]|RMB|Rp|RM
        |CNY|USD|SGD|HKD|TWD|JPY|MYR|IDR|THB|PHP|VND|KRW|EUR|GBP)?\s*
    (?P<sign2>[+-])?\s*
    (?P<digits>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?
        |[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?
        |[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
    (?:[eE](?P<exp>[+-]?[0-9]{1,3}))?
    \s*(?P<mult>[kKwWmM千万亿])?
    \s*(?P<yuan>元)?
    \s*(?P<after>₫|đ|VND|IDR|Rp)?
    \s*(?P<pct>%)?
    """,
    re.VERBOSE,
)
_DOTTED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?")
"""Thousands grouped with dots (1.234.567,50), as rupiah and dong are written."""
_SYMBOL_OF: Final[dict[str, str]] = {
    "US$": "$", "USD": "$", "RMB": "¥", "CNY": "¥", "SGD": "S$", "HKD": "HK$",
    "TWD": "NT$", "JPY": "JP¥", "MYR": "RM", "IDR": "Rp", "THB": "฿", "PHP": "₱",
    "VND": "₫", "đ": "₫", "KRW": "₩", "EUR": "€", "GBP": "£",
}  # fmt: skip
"""A currency written as an ISO code or another spelling, as its symbol. Storage imports
nothing of core: a test holds every code here to the sign `core.money` shows it with."""
_DOT_GROUPED: Final[frozenset[str]] = frozenset({"Rp", "₫"})
"""Currencies whose amounts group thousands with dots."""


class ValueParseError(ValueError):
    """Text that is neither a value in the grammar nor a missing marker.

    `reason` is one of: "not_a_number", "negative", "not_a_duration", "not_a_time",
    "no_date", "not_a_bool"; and for values outside their bounds "too_large", "not_whole",
    "too_early", "too_late".
    """

    def __init__(self, text: str, reason: str, message: str | None = None) -> None:
        self.text = text
        self.reason = reason
        super().__init__(message or f"{reason}: {text!r}")


@dataclass(frozen=True, slots=True)
class NumberValue:
    """A parsed number with what was written around it."""

    value: float
    percent: bool = False
    currency: str | None = None
    multiplier: int = 1


def normalize_text(text: str) -> str:
    """NFKC (full-width to ASCII), unified minus signs, surrounding whitespace removed."""
    return unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS).strip()


def is_missing(text: str | None) -> bool:
    """True for None and for every spelling of "no value"."""
    if text is None:
        return True
    return normalize_text(text).lower() in MISSING_MARKERS


def parse_value(text: str, *, allow_negative: bool = True) -> NumberValue | None:
    """Parse `text` as a number and say how it was written; None when it is missing."""
    norm = normalize_text(text)
    if norm.lower() in MISSING_MARKERS:
        return None
    m = _NUMBER_RE.fullmatch(norm)
    if m is None:
        raise ValueParseError(text, "not_a_number", f"not a number: {text!r}")
    sign1, sign2, cur, mult, yuan, after, pct, exp = m.group(
        "sign1", "sign2", "cur", "mult", "yuan", "after", "pct", "exp"
    )
    if sign1 and sign2:
        raise ValueParseError(text, "not_a_number", f"two signs: {text!r}")
    if pct and (cur or mult or yuan or after):
        raise ValueParseError(text, "not_a_number", f"a percent with a unit: {text!r}")
    if exp and mult:
        raise ValueParseError(text, "not_a_number", f"an exponent with a multiplier: {text!r}")
    if sum(bool(c) for c in (cur, yuan, after)) > 1:
        raise ValueParseError(text, "not_a_number", f"two currencies: {text!r}")
    symbol = _SYMBOL_OF.get(cur or after or "", cur or after) or ("¥" if yuan else None)
    digits = m.group("digits")
    if _DOTTED.fullmatch(digits) and symbol in _DOT_GROUPED:
        digits = digits.replace(".", "").replace(",", ".")  # Rp 1.234.567 is 1234567
    elif "," in digits and "." in digits.split(",")[0]:
        raise ValueParseError(text, "not_a_number", f"a comma after dots: {text!r}")
    elif digits.count(".") > 1:
        raise ValueParseError(text, "not_a_number", f"dots grouping: {text!r}")
    try:
        number = Decimal(digits.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise ValueParseError(text, "not_a_number") from exc
    if exp:
        number = number.scaleb(int(exp))
    multiplier = _MULTIPLIERS[mult] if mult else 1
    number *= multiplier
    if pct:
        number /= 100
    negative = (sign1 or sign2) == "-"
    if negative and number != 0:
        if not allow_negative:
            raise ValueParseError(text, "negative", f"negative: {text!r}")
        number = -number
    value = _finite(number, text)
    return NumberValue(value, percent=bool(pct), currency=symbol, multiplier=multiplier)


def _finite(number: Decimal, text: str) -> float:
    """`number` as a float; "too_large" when it is beyond what a float holds."""
    if abs(number) > _FLOAT_LIMIT:
        raise ValueParseError(text, "too_large", f"too large: {text!r}")
    return float(number)


_FLOAT_LIMIT: Final = Decimal("1e300")


def parse_number(text: str, *, allow_negative: bool = True) -> float | None:
    """The number in `text` (a percent as a fraction: `12%` → 0.12); None when missing.

    Raises `ValueParseError` for text outside the grammar (module docstring), and for a
    negative number when `allow_negative` is False.
    """
    parsed = parse_value(text, allow_negative=allow_negative)
    return None if parsed is None else parsed.value


# ------------------------------------------------------------------------------- formatting

#: Styles `format_number` writes, each one that `parse_number` reads back.
NUMBER_STYLES: Final[tuple[str, ...]] = (
    "plain", "grouped", "k", "K", "M", "wan", "w", "yi",
    "yuan", "yen", "dollar", "dollar_k", "yuan_wan", "percent", "fullwidth", "sci",
)  # fmt: skip

_STYLE_SCALE: Final[dict[str, float]] = {
    "k": 1e3, "K": 1e3, "M": 1e6, "wan": 1e4, "w": 1e4, "yi": 1e8, "dollar_k": 1e3,
    "yuan_wan": 1e4, "percent": 0.01,
}  # fmt: skip

_FULLWIDTH = str.maketrans("0123456789,.-", "０１２３４５６７８９，．－")


def format_number(x: float, style: str = "plain", *, decimals: int = 2) -> str:
    """`x` written in one of `NUMBER_STYLES` with `decimals` decimals (`percent`: x is a
    fraction, written ×100)."""
    if not math.isfinite(x):
        raise ValueError(f"cannot format {x!r}")
    if style not in NUMBER_STYLES:
        raise ValueError(f"unknown style {style!r}")
    sign = "-" if x < 0 else ""
    a = abs(x)
    d = decimals
    if style == "plain":
        body = f"{a:.{d}f}"
    elif style == "grouped":
        body = f"{a:,.{d}f}"
    elif style == "sci":
        body = f"{a:.{d}e}"
    elif style in ("k", "K", "M"):
        body = f"{a / _STYLE_SCALE[style]:.{d}f}{style}"
    elif style == "wan":
        body = f"{a / 1e4:.{d}f}万"
    elif style == "w":
        body = f"{a / 1e4:.{d}f}w"
    elif style == "yi":
        body = f"{a / 1e8:.{d}f}亿"
    elif style == "yuan":
        body = f"￥{a:,.{d}f}"
    elif style == "yen":
        body = f"¥{a:,.{d}f}"
    elif style == "dollar":
        body = f"${a:,.{d}f}"
    elif style == "dollar_k":
        body = f"${a / 1e3:.{d}f}k"
    elif style == "yuan_wan":
        body = f"{a / 1e4:.{d}f}万元"
    elif style == "percent":
        body = f"{a * 100:.{d}f}%"
    else:  # fullwidth
        return f"{sign}{a:,.{d}f}".translate(_FULLWIDTH)
    return sign + body


def style_tolerance(style: str, x: float, *, decimals: int = 2) -> float:
    """How far `parse_number(format_number(x, style))` may be from `x` (rounding)."""
    if style == "sci":
        exponent = math.floor(math.log10(abs(x))) if x else 0
        step = 10.0 ** (exponent - decimals)
    else:
        step = 10.0**-decimals * _STYLE_SCALE.get(style, 1.0)
    return step / 2 + abs(x) * 1e-12 + 1e-12


# -------------------------------------------------------------------------------- durations

_UNIT_SECONDS: Final[tuple[tuple[str, int], ...]] = (
    (r"天|d|days?", 86_400),
    (r"小时|时|h|hrs?|hours?", 3_600),
    (r"分钟|分|m|mins?|minutes?", 60),
    (r"秒钟|秒|s|secs?|seconds?", 1),
)
_DURATION_PART_RE = re.compile(
    r"\s*([0-9]+(?:\.[0-9]+)?)\s*("
    + "|".join(f"(?:{pattern})" for pattern, _ in _UNIT_SECONDS)
    + r")(?![a-z])\s*,?",
    re.IGNORECASE,
)
_UNIT_RES = [(re.compile(pattern, re.IGNORECASE), s) for pattern, s in _UNIT_SECONDS]
_CLOCK_RE = re.compile(r"([0-9]+):([0-5]?[0-9])(?::([0-5]?[0-9](?:\.[0-9]+)?))?")
_PLAIN_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def _unit_seconds(unit: str) -> int:
    for pattern, seconds in _UNIT_RES:
        if pattern.fullmatch(unit):
            return seconds
    raise AssertionError(unit)  # pragma: no cover - the part regex admits only these units


def parse_duration(text: str) -> float | None:
    """Seconds in `text`; None when missing. Raises `ValueParseError` ("not_a_duration")."""
    norm = normalize_text(text)
    if norm.lower() in MISSING_MARKERS:
        return None
    if _PLAIN_RE.fullmatch(norm):
        return _finite(Decimal(norm), text)
    clock = _CLOCK_RE.fullmatch(norm)
    if clock:
        first, second, third = clock.groups()
        if third is None:  # m:s
            return _finite(Decimal(int(first) * 60 + int(second)), text)
        return _finite(int(first) * 3600 + int(second) * 60 + Decimal(third), text)
    total = Decimal(0)
    pos = 0
    last_unit = math.inf
    while pos < len(norm):
        m = _DURATION_PART_RE.match(norm, pos)
        if m is None or m.end() == pos:
            raise ValueParseError(text, "not_a_duration", f"not a duration: {text!r}")
        seconds = _unit_seconds(m.group(2))
        if seconds >= last_unit:  # units must go down: 1h 20min, not 20min 1h or 1h 1h
            raise ValueParseError(text, "not_a_duration", f"units out of order: {text!r}")
        last_unit = seconds
        total += Decimal(m.group(1)) * seconds
        pos = m.end()
    return _finite(total, text)


# ------------------------------------------------------------------------------------ times

_DATE_RE = re.compile(
    r"(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<mo>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})\s*日?"
)
_TIME_RE = re.compile(
    r"(?P<h>[0-9]{1,2})\s*[:时]\s*(?P<mi>[0-9]{1,2})\s*分?"
    r"(?:\s*[:]?\s*(?P<s>[0-9]{1,2}(?:\.[0-9]{1,6})?)\s*秒?)?"
)
_ZONE_RE = re.compile(r"(?P<z>Z|UTC|GMT|[+-][0-9]{2}:?[0-9]{2})?")


def parse_datetime(
    text: str, *, tz: tzinfo = UTC, base_date: date | None = None
) -> datetime | None:
    """An aware UTC datetime from `text`; None when missing.

    Reads `2026-11-20 20:00[:00]`, `2026/11/20 20:00`, `2026-11-20T20:00:00Z`,
    `2026年11月20日 20:00`, a date alone (midnight), or a time alone (`20:00`) on
    `base_date`. Without an explicit zone the time is local time in `tz`.
    Raises `ValueParseError` ("not_a_time", or "no_date" for a time without `base_date`).
    """
    norm = normalize_text(text)
    if norm.lower() in MISSING_MARKERS:
        return None
    pos = 0
    day: date | None = None
    m = _DATE_RE.match(norm)
    if m:
        try:
            day = date(int(m["y"]), int(m["mo"]), int(m["d"]))
        except ValueError as exc:
            raise ValueParseError(text, "not_a_time", f"not a date: {text!r}") from exc
        pos = m.end()
        if pos < len(norm) and norm[pos] in "Tt":
            pos += 1
    clock = time(0, 0)
    rest = norm[pos:].lstrip()
    offset = len(norm) - len(rest)
    t = _TIME_RE.match(norm, offset) if rest else None
    if t:
        seconds = Decimal(t["s"]) if t["s"] else Decimal(0)
        try:
            clock = time(int(t["h"]), int(t["mi"]), int(seconds), int((seconds % 1) * 1_000_000))
        except ValueError as exc:
            raise ValueParseError(text, "not_a_time", f"not a time: {text!r}") from exc
        offset = t.end()
    elif rest and day is None:
        raise ValueParseError(text, "not_a_time", f"not a time: {text!r}")
    if day is None and not t:
        raise ValueParseError(text, "not_a_time", f"not a time: {text!r}")
    zone = _ZONE_RE.match(norm, offset)
    assert zone is not None  # the pattern is optional, so it always matches
    if norm[zone.end() :].strip():
        raise ValueParseError(text, "not_a_time", f"not a time: {text!r}")
    if day is None:
        if base_date is None:
            raise ValueParseError(text, "no_date", f"a time without a date: {text!r}")
        day = base_date
    naive = datetime.combine(day, clock)
    z = zone["z"]
    if z is None:
        return naive.replace(tzinfo=tz).astimezone(UTC)
    if z in ("Z", "UTC", "GMT"):
        return naive.replace(tzinfo=UTC)
    sign = -1 if z[0] == "-" else 1
    digits = z[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return naive.replace(tzinfo=timezone(sign * delta)).astimezone(UTC)


_TRUE = frozenset({"1", "1.0", "true", "yes", "y", "t", "是"})
_FALSE = frozenset({"0", "0.0", "false", "no", "n", "f", "否"})


def parse_bool(text: str) -> bool | None:
    """True/False from `1/0`, `true/false`, `yes/no`, `是/否`; None when missing."""
    norm = normalize_text(text).lower()
    if norm in MISSING_MARKERS:
        return None
    if norm in _TRUE:
        return True
    if norm in _FALSE:
        return False
    raise ValueParseError(text, "not_a_bool", f"not yes/no: {text!r}")


# ----------------------------------------------------------------------------------- bounds


@dataclass(frozen=True, slots=True)
class Bounds:
    """What a stored value of one field may be: `low` ≤ value ≤ `high`, whole if `whole`."""

    low: float
    high: float
    whole: bool = False
    unit: str = ""  # "", "money", "s" (seconds), "fraction"


#: Persons, orders, likes…: whole, from 0 to ten billion.
COUNT: Final = Bounds(0, 1e10, whole=True)
#: Viewers online at once: whole, from 0 to a hundred million.
ONLINE: Final = Bounds(0, 1e8, whole=True)
#: Money in the file's currency: from 0 to a hundred billion.
MONEY: Final = Bounds(0, 1e11, unit="money")
#: A watch time or a session's length: from 0 to 48 hours, in seconds.
WATCH: Final = Bounds(0, 48 * 3600, unit="s")
#: A share (12 % is 0.12): from 0 to 1.
FRACTION: Final = Bounds(0, 1, unit="fraction")

#: Bounds of every numeric field the importers and the push parser store, by canonical name.
FIELD_BOUNDS: Final[dict[str, Bounds]] = {
    # counts
    "entries": COUNT, "exits": COUNT, "impressions": COUNT, "clicks": COUNT,
    "buyers": COUNT, "orders": COUNT, "followers": COUNT, "likes": COUNT,
    "comments": COUNT, "shares": COUNT, "purchase_count": COUNT, "views": COUNT,
    "viewers": COUNT, "gifts": COUNT,
    "online": ONLINE, "peak_online": ONLINE,
    # money
    "gmv": MONEY, "purchase_amount": MONEY, "spend": MONEY, "aov": MONEY,
    # durations
    "avg_watch_s": WATCH, "watch_time_s": WATCH, "duration_s": WATCH,
    # shares
    "conversion": FRACTION, "ctr": FRACTION, "ctor": FRACTION,
}  # fmt: skip

#: Bounds by value type, for a field not named in `FIELD_BOUNDS`.
TYPE_BOUNDS: Final[dict[str, Bounds]] = {
    "count": COUNT, "amount": MONEY, "duration": WATCH, "percent": FRACTION,
}  # fmt: skip

#: The earliest time a file or a push may hold (live commerce before it is a typo).
EARLIEST_DATE: Final = date(2015, 1, 1)


def bounds_of(field: str, type_: str | None = None) -> Bounds | None:
    """The bounds of `field`, else of its value type, else None."""
    return FIELD_BOUNDS.get(field) or (TYPE_BOUNDS.get(type_) if type_ else None)


def check_bounds(field: str, value: float, *, type_: str | None = None) -> float:
    """`value` when it may be stored as `field`; raises `ValueParseError` otherwise.

    Reasons: "not_a_number" (NaN), "too_large" (±∞, or above the field's cap),
    "negative" (below 0), "not_whole" (a fraction where a count is due). A field without
    bounds (and `type_` None) still must be finite.
    """
    text = repr(value)
    if math.isnan(value):
        raise ValueParseError(text, "not_a_number", f"{field}: not a number")
    if math.isinf(value):
        raise ValueParseError(text, "too_large", f"{field}: too large")
    bounds = bounds_of(field, type_)
    if bounds is None:
        return value
    if value < bounds.low:
        raise ValueParseError(text, "negative", f"{field}: below {bounds.low:g}")
    if value > bounds.high:
        raise ValueParseError(text, "too_large", f"{field}: above {bounds.high:g}")
    if bounds.whole and not float(value).is_integer():
        raise ValueParseError(text, "not_whole", f"{field}: not a whole number")
    return value


def latest_time(now: datetime | None = None) -> datetime:
    """The latest time a value may hold: the end of tomorrow (UTC), from `now`."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=2), time(0, 0), tzinfo=UTC)


def check_time(value: datetime, *, now: datetime | None = None) -> datetime:
    """`value` (aware) when it lies from 2015-01-01 to tomorrow; raises `ValueParseError`
    ("too_early" / "too_late") otherwise."""
    text = value.isoformat()
    if value < datetime.combine(EARLIEST_DATE, time(0, 0), tzinfo=UTC) - timedelta(days=1):
        raise ValueParseError(text, "too_early", f"before {EARLIEST_DATE}: {text}")
    if value >= latest_time(now):
        raise ValueParseError(text, "too_late", f"after tomorrow: {text}")
    return value
