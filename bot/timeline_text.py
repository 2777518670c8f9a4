"""Product and event cues typed in chat while live.

* a product being presented: ``讲解 3号链接 口红``, ``3号 口红``, ``3号链接``, ``讲解 口红``
  (and the arguments of ``/product``: ``3 口红``, ``#3 lipstick``, ``口红``);
* an event: ``福袋``, ``发福袋``, ``降价 口红``, ``coupon``, ``flash sale``, ``补货``… (and the
  arguments of ``/event``).

A message that reads as numbers pushed from the screen (``3号 在线1200``, ``福袋 在线800``)
is not a cue: the stat parser comes first then. Event kinds are those of
:data:`core.events.EVENT_KINDS`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.statparse import parse_stats
from core.events import EVENT_KINDS

__all__ = [
    "EVENT_WORDS",
    "LABEL_MAX",
    "EventCue",
    "ProductCue",
    "event_args",
    "product_args",
    "recognise",
]

LABEL_MAX = 60
MAX_PRODUCT_NO = 999

EVENT_WORDS: dict[str, str] = {
    "福袋": "giveaway",
    "抽奖": "giveaway",
    "超级福袋": "giveaway",
    "giveaway": "giveaway",
    "lucky bag": "giveaway",
    "优惠券": "coupon",
    "发券": "coupon",
    "红包": "coupon",
    "coupon": "coupon",
    "coupons": "coupon",
    "voucher": "coupon",
    "降价": "price_drop",
    "改价": "price_drop",
    "price drop": "price_drop",
    "price cut": "price_drop",
    "上新": "new_product",
    "新品": "new_product",
    "new product": "new_product",
    "new arrival": "new_product",
    "置顶": "pin",
    "pin": "pin",
    "pinned": "pin",
    "秒杀": "flash_sale",
    "flash sale": "flash_sale",
    "补货": "restock",
    "加库存": "restock",
    "restock": "restock",
    "restocked": "restock",
}
assert set(EVENT_WORDS.values()) <= set(EVENT_KINDS)

_VERBS = ("开始", "发", "上", "开", "放", "start", "drop")
_TAILS = ("来了", "啦", "了", "!", "！", "~", "～", ".", "。")
_WORDS = sorted(EVENT_WORDS, key=len, reverse=True)
_EVENT_RE = re.compile(
    r"^(?:(?:" + "|".join(map(re.escape, _VERBS)) + r")\s*)?"
    r"(?P<word>" + "|".join(re.escape(w) for w in _WORDS) + r")"
    r"(?P<rest>(?:\s+|[:：,，、]).*|(?:" + "|".join(map(re.escape, _TAILS)) + r")*)$",
    re.IGNORECASE | re.DOTALL,
)
_PRODUCT_RE = re.compile(
    r"^(?:(?:讲解|在讲|开讲|讲|上车|上链接)\s*)?(?:第\s*)?(?P<no>\d{1,3})\s*号(?:链接|商品)?"
    r"(?:(?:\s+|[:：,，、])?(?P<label>.*))?$",
    re.DOTALL,
)
_PRODUCT_WORD_RE = re.compile(
    r"^(?:讲解|开讲|now presenting|presenting)[\s:：]+(?P<label>.+)$", re.I
)
_ARGS_RE = re.compile(
    r"^(?:#|no\.?\s*|第)?(?P<no>\d{1,3})(?:\s*号)?(?:链接)?(?:\s+(?P<label>.*))?$", re.I
)


@dataclass(frozen=True, slots=True)
class ProductCue:
    """A product starts being presented; both None ends the current one (``/product``)."""

    product_no: int | None
    label: str | None

    @property
    def ends(self) -> bool:
        return self.product_no is None and self.label is None


@dataclass(frozen=True, slots=True)
class EventCue:
    kind: str
    label: str


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def _label(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip(" :：,，、-—")
    return text[:LABEL_MAX] or None


def _is_push(text: str) -> bool:
    return bool(parse_stats(text).values)


def _number(raw: str) -> int | None:
    n = int(raw)
    return n if 0 < n <= MAX_PRODUCT_NO else None


def product_args(text: str) -> ProductCue:
    """The arguments of ``/product``: ``3 口红``, ``#3``, ``3号链接 口红``, ``口红``; empty
    ends the segment."""
    text = _clean(text)
    if not text:
        return ProductCue(None, None)
    m = _ARGS_RE.match(text) or _PRODUCT_RE.match(text)
    if m is not None:
        no = _number(m.group("no"))
        if no is not None:
            return ProductCue(no, _label(m.group("label")))
    return ProductCue(None, _label(text))


def event_args(text: str) -> EventCue | None:
    """The arguments of ``/event``: an event word first (``福袋``, ``coupon 20% off``)."""
    text = _clean(text)
    m = _EVENT_RE.match(text)
    if m is None:
        return None
    return EventCue(EVENT_WORDS[m.group("word").lower()], _label(text) or m.group("word"))


def recognise(text: str) -> ProductCue | EventCue | None:
    """A product or event cue in a plain message, or None (then it may be a push)."""
    text = _clean(text)
    if not text or len(text) > 2 * LABEL_MAX:
        return None
    m = _PRODUCT_RE.match(text)
    if m is not None:
        no = _number(m.group("no"))
        label = m.group("label")
        if no is not None and not (label and _is_push(label)):
            return ProductCue(no, _label(label))
        return None
    m = _PRODUCT_WORD_RE.match(text)
    if m is not None and not _is_push(m.group("label")):
        return ProductCue(None, _label(m.group("label")))
    m = _EVENT_RE.match(text)
    if m is not None and not _is_push(m.group("rest") or ""):
        return EventCue(EVENT_WORDS[m.group("word").lower()], _label(text) or m.group("word"))
    return None
