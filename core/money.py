"""The signs of the workspaces' currencies, for the text and the charts alike."""

from __future__ import annotations

__all__ = ["CURRENCY_SIGNS", "currency_mark"]

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


def currency_mark(currency: str | None) -> str | None:
    """The currency alone, as an axis names its unit: its sign (``¥``, ``Rp``, ``₫``), or
    the ISO code of one without a sign (``CHF``); None without a currency."""
    if not currency:
        return None
    before, after = CURRENCY_SIGNS.get(currency, ("", currency))
    return (before or after).strip()
