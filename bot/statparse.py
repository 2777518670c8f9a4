"""Snapshot text → values: `online=1200 gmv=3.4k orders=35`, `在线1200 成交1.2万 订单35`.

Forms read (after NFKC, so `＝` `：` `，` `；` and full-width digits read as ASCII):

* `key=value`, `key:value`, `key value`, `keyvalue` (`在线1200`, `online1200`);
* pairs separated by spaces, `,` `、` `;` `|` or nothing at all (`在线1200成交1.2万`);
* a comma inside a number is a thousands separator only before exactly three digits
  (`1,200`), otherwise it separates pairs (`online=5,gmv=3`).

Keys are case-insensitive, in English and Chinese (`ALIASES`); the longest alias wins, so
`成交人数` is buyers and `成交` is GMV. Values use the grammar of
`storage.importers.values`; counts must be whole and none may be negative or a percent,
and only GMV may carry a currency. Unknown keys are named back (`unknown`); a value that
does not read is an error (`errors`), never 0. A key given twice keeps its last value.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Final

from storage.importers.values import ValueParseError, parse_value

__all__ = ["ALIASES", "KEYS", "StatParse", "parse_stats"]

#: Canonical snapshot keys, in the order of the snapshots frame.
KEYS: Final[tuple[str, ...]] = (
    "online", "viewers", "entries", "likes", "comments", "shares",
    "followers", "clicks", "orders", "buyers", "gmv",
)  # fmt: skip

ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "online": ("online", "在线", "在线人数", "实时在线", "实时在线人数"),
    "viewers": ("viewers", "views", "场观", "累计观看", "累计观看人数", "观看人次"),
    "entries": ("entries", "进场", "进场人数", "进入直播间人数"),
    "likes": ("likes", "点赞", "点赞数"),
    "comments": ("comments", "评论", "评论数"),
    "shares": ("shares", "分享", "分享数"),
    "followers": ("followers", "follows", "涨粉", "新增粉丝", "新增粉丝数"),
    "clicks": ("clicks", "点击", "点击数", "商品点击"),
    "orders": ("orders", "订单", "订单数", "成交订单", "成交订单数"),
    "buyers": ("buyers", "成交人数", "下单人数", "购买人数"),
    "gmv": ("gmv", "sales", "成交", "成交额", "成交金额", "销售额"),
}

_MONEY: Final = frozenset({"gmv"})
_ALIAS_LIST: Final[list[tuple[str, str]]] = sorted(
    ((alias.lower(), key) for key, aliases in ALIASES.items() for alias in aliases),
    key=lambda pair: -len(pair[0]),
)
_SEPARATORS: Final = frozenset(" \t\r\n,、;|/")
_ASSIGN: Final = frozenset("=:")


@dataclass
class StatParse:
    """What a snapshot message said: values by key, unknown keys, unreadable values."""

    values: dict[str, float] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (key, text as written)

    @property
    def ok(self) -> bool:
        return bool(self.values) and not self.unknown and not self.errors


def _alias_at(lowered: str, pos: int) -> tuple[str, str] | None:
    for alias, key in _ALIAS_LIST:
        if lowered.startswith(alias, pos):
            end = pos + len(alias)
            if alias.isascii() and end < len(lowered) and lowered[end].isalpha() \
                    and lowered[end].isascii():  # fmt: skip
                continue  # `ordersx` is not `orders`
            return alias, key
    return None


def _thousands_comma(text: str, pos: int) -> bool:
    """True when the comma at `pos` sits between digits as `d,ddd` (not `d,dddd`)."""
    group = text[pos + 1 : pos + 4]
    return (
        pos > 0
        and text[pos - 1].isdigit()
        and len(group) == 3
        and group.isdigit()
        and (pos + 4 >= len(text) or not text[pos + 4].isdigit())
    )


def _value_end(text: str, lowered: str, pos: int) -> int:
    """Where the value starting at `pos` ends: a separator, or the start of a known key."""
    end = pos
    while end < len(text):
        ch = text[end]
        if ch == "," and _thousands_comma(text, end):
            end += 1
            continue
        if ch in _SEPARATORS:
            break
        if end > pos and not ch.isdigit() and _alias_at(lowered, end) is not None:
            break
        end += 1
    return end


def _read(key: str, text: str) -> float:
    parsed = parse_value(text, allow_negative=False)
    if parsed is None:
        raise ValueParseError(text, "missing")
    if parsed.percent:
        raise ValueParseError(text, "percent")
    if parsed.currency and key not in _MONEY:
        raise ValueParseError(text, "not_a_number")
    if key not in _MONEY and parsed.value != int(parsed.value):
        raise ValueParseError(text, "not_whole")
    return parsed.value


def parse_stats(text: str) -> StatParse:
    """Read a snapshot message (see module doc)."""
    norm = unicodedata.normalize("NFKC", text)
    lowered = norm.lower()
    result = StatParse()
    pos = 0
    n = len(norm)
    while pos < n:
        ch = norm[pos]
        if ch in _SEPARATORS or ch in _ASSIGN:
            pos += 1
            continue
        found = _alias_at(lowered, pos)
        if found is not None:
            key: str | None = found[1]
            name = norm[pos : pos + len(found[0])]
            pos += len(found[0])
        elif ch.isdigit() or ch in "+-.$¥€£":
            key, name = None, ""
        else:  # an unknown key: a run of letters
            start = pos
            while (
                pos < n
                and (norm[pos].isalpha() or norm[pos] == "_")
                and (pos == start or _alias_at(lowered, pos) is None or norm[pos].isascii())
            ):
                pos += 1
            if pos == start:  # a lone symbol
                pos += 1
            key, name = None, norm[start:pos]
        while pos < n and (norm[pos] in " \t" or norm[pos] in _ASSIGN):
            pos += 1
        end = _value_end(norm, lowered, pos)
        value = norm[pos:end].strip()
        pos = end
        if key is None:
            if name:
                result.unknown.append(name)
            elif value:
                result.errors.append(("", value))
            continue
        if not value:
            result.errors.append((key, ""))
            continue
        try:
            result.values[key] = _read(key, value)
        except ValueParseError:
            result.errors.append((key, value))
    return result
