"""Numbers, money and durations as a host reads them, in English or Chinese."""

from __future__ import annotations

import math

__all__ = [
    "CURRENCY_SIGNS",
    "fmt_change_pct",
    "fmt_duration",
    "fmt_money",
    "fmt_num",
    "fmt_pct",
    "fmt_title",
]


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_num(value: float | None, lang: str = "en", *, digits: int = 1) -> str:
    """`12,345`, `1.2万` / `12.3k`; `—` when missing."""
    if _missing(value):
        return "—"
    assert value is not None
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


CURRENCY_SIGNS: dict[str, tuple[str, str]] = {
    # ISO code: (before the number, after it)
    "CNY": ("¥", ""),
    "USD": ("$", ""),
    "IDR": ("Rp ", ""),
    "VND": ("", " ₫"),
    "THB": ("฿", ""),
    "MYR": ("RM ", ""),
    "PHP": ("₱", ""),
    "SGD": ("S$", ""),
    "HKD": ("HK$", ""),
    "TWD": ("NT$", ""),
    "JPY": ("JP¥", ""),
    "KRW": ("₩", ""),
    "GBP": ("£", ""),
    "EUR": ("€", ""),
}
"""How a money figure shows the workspace's currency; other codes follow the number."""


def fmt_money(value: float | None, lang: str = "en", currency: str | None = None) -> str:
    """Money as the platform reports it; with the workspace's ``currency`` (ISO code) its
    sign: ``¥1.2万``, ``$3,400``, ``Rp 1.2M``, ``12k ₫``. Without one, no sign is added."""
    if _missing(value):
        return "—"
    assert value is not None
    number = fmt_num(round(value, 2), lang, digits=2 if abs(value) < 100 else 1)
    if currency is None:
        return number
    before, after = CURRENCY_SIGNS.get(currency, ("", f" {currency}"))
    if number.startswith("-"):
        return f"-{before}{number[1:]}{after}"
    return f"{before}{number}{after}"


def fmt_pct(value: float | None, *, digits: int = 1) -> str:
    """A ratio (0.123) as `12.3%`."""
    if _missing(value):
        return "—"
    assert value is not None
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
