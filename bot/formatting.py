"""Numbers, money and durations as a host reads them, in English or Chinese."""

from __future__ import annotations

import math
from decimal import Decimal

from core.money import CURRENCY_SIGNS

__all__ = [
    "CURRENCY_SIGNS",
    "EXACT_PLACES",
    "fmt_change_pct",
    "fmt_duration",
    "fmt_money",
    "fmt_num",
    "fmt_pct",
    "fmt_title",
]


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


EXACT_PLACES = 4
"""Decimals an exact figure keeps in 万/亿 (M/B): every digit of a count up to 1亿 (1B)."""


def _decimals(d: Decimal) -> int:
    exponent = d.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _places(d: Decimal, places: int) -> Decimal:
    """``d`` rounded to ``places`` decimals (a float this large has none to round)."""
    return round(d, places) if _decimals(d) > places else d


def _exact(value: float, lang: str, cents: bool) -> str:
    """A figure with every digit it was given (to the cent): `1.35万`, `1.2345万`, `3万`,
    `13,500`, `1.35M`; in a unit when that takes at most `EXACT_PLACES` decimals, else in
    grouped digits (`123,456,789`, `12,345.60`). Trailing zeros are trimmed, except a
    fraction of money keeps its two cents (``cents``: `12.50`)."""
    sign = "-" if value < 0 else ""
    v = _places(abs(Decimal(repr(value))), 2)
    units = ((8, "亿"), (4, "万")) if lang == "zh" else ((9, "B"), (6, "M"))
    for power, suffix in units:
        if v >= Decimal(10) ** power:
            q = v.scaleb(-power).normalize()
            if _decimals(q) <= EXACT_PLACES:
                return f"{sign}{q:,f}{suffix}"
            break
    if v == v.to_integral_value():
        return f"{sign}{int(v):,}"
    if cents:
        return f"{sign}{v:,.2f}"
    return f"{sign}{v.normalize():,f}"


def fmt_num(value: float | None, lang: str = "en", *, digits: int = 1, exact: bool = False) -> str:
    """`12,345`, `1.2万` / `12.3k`; `—` when missing.

    ``exact``: a figure the host typed, shown back with every digit (`1.35万`, `1.2345万`,
    `13,500`, `1.35M`; see `_exact`) instead of rounded to ``digits``."""
    if _missing(value):
        return "—"
    assert value is not None
    if exact and math.isfinite(value):
        return _exact(value, lang, cents=False)
    sign = "-" if value < 0 else ""
    v = abs(value)
    if lang == "zh":
        if v >= 1e8:
            return f"{sign}{v / 1e8:.{digits}f}亿"
        if v >= 1e4:
            return f"{sign}{v / 1e4:.{digits}f}万"
    else:
        if v >= 1e6:
            return f"{sign}{v / 1e6:.{digits}f}M"
        if v >= 1e5:
            return f"{sign}{v / 1e3:.0f}k"
    if v == int(v):
        return f"{sign}{int(v):,}"
    return f"{sign}{v:,.{digits if v < 100 else 0}f}"


def fmt_money(
    value: float | None, lang: str = "en", currency: str | None = None, *, exact: bool = False
) -> str:
    """Money as the platform reports it; with the workspace's ``currency`` (ISO code) its
    sign: ``¥1.2万``, ``$3,400``, ``Rp 1.2M``, ``12k ₫``. Without one, no sign is added.

    ``exact``: an amount the host typed, with every digit to the cent (``¥1.35万``,
    ``$13,500``, ``$1.35M``, ``$12.50``; see `fmt_num`)."""
    if _missing(value):
        return "—"
    assert value is not None
    if exact and math.isfinite(value):
        number = _exact(value, lang, cents=True)
    else:
        number = fmt_num(round(value, 2), lang, digits=2 if abs(value) < 100 else 1)
    if currency is None:
        return number
    before, after = CURRENCY_SIGNS.get(currency, ("", f" {currency}"))
    if number.startswith("-"):
        return f"-{before}{number[1:]}{after}"
    return f"{before}{number}{after}"


def fmt_pct(value: float | None, *, digits: int = 1, exact: bool = False) -> str:
    """A ratio (0.123) as `12.3%`.

    ``exact``: a rate the host typed, with every digit up to `EXACT_PLACES` decimals of
    the percent, trailing zeros trimmed (0.0325 as `3.25%`, 0.03 as `3%`)."""
    if _missing(value):
        return "—"
    assert value is not None
    if exact and math.isfinite(value):
        pct = _places(Decimal(repr(value)).scaleb(2), EXACT_PLACES).normalize()
        return f"{pct:f}%"
    return f"{value * 100:.{digits}f}%"


def fmt_title(title: str | None, lang: str = "en") -> str:
    """A session's title in quotes after its number (` “Weekend special”`, zh `“周末专场”`);
    nothing but the spacing when it has none."""
    if not title:
        return "" if lang != "zh" else " "
    return f"“{title}”" if lang == "zh" else f" “{title}”"


def fmt_change_pct(value: float, *, digits: int = 1) -> str:
    """A relative change (−0.035) as `−3.5%`, always signed, with a true minus sign."""
    text = f"{abs(value) * 100:.{digits}f}%"
    if float(text[:-1]) == 0:
        return f"±{text}"
    return ("+" if value > 0 else "−") + text


def fmt_duration(seconds: float | None, lang: str = "en") -> str:
    """`1 h 5 min`, `2 h`, `4 min 30 s`, `45 s` (zh: `1小时5分`, `2小时`, `4分30秒`, `45秒`)."""
    if _missing(seconds):
        return "—"
    assert seconds is not None
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if lang == "zh":
        if h:
            return f"{h}小时{m}分" if m else f"{h}小时"
        if m:
            return f"{m}分{sec}秒" if sec else f"{m}分钟"
        return f"{sec}秒"
    if h:
        return f"{h} h {m} min" if m else f"{h} h"
    if m:
        return f"{m} min {sec} s" if sec else f"{m} min"
    return f"{sec} s"
