"""Snapshot text → values, as hosts type what they see on Douyin, Kuaishou, Taobao and TikTok.

Forms read (after NFKC, so full-width digits and `＝` `：` `；` read as ASCII; Thai digits
`๑๒๐๐` read as `1200`):

* label before the number: `在线1200`, `在线 1200人`, `online=1200`, `GMV: $1.2k`;
* number before the label: `1200人在线`, `56单成交`, `34 items sold`, `$1.2k GMV`;
* pairs separated by spaces, new lines, `,` `，` `、` `;` `|` `/` or nothing at all
  (`在线1200成交1.2万`); a comma between digits is a thousands separator only before exactly
  three digits (`1,200`), a decimal comma before `%` (`2,5%`), and otherwise makes the
  figure not read (`1,2000`, `3,5`), where its first digits alone were stored;
* units: `人` `人次` `次` `个` `people` `명` `회` `คน` (heads or times), `单` `笔` (orders),
  `건` (orders and other counted events), `件` `pcs` `ชิ้น` (items), `개` (any count), Thai
  `ออเดอร์` (orders) where it cannot be the label of that spelling (`_UNIT_LABELS`), `元`
  `块` `원` `บาท` and currency symbols or codes before or after the number (`￥3,400.50`,
  `$1.2k`, `Rp 1.2jt`, `RM 3.4k`, `12k THB`, `₩1,200,000`, `120만원`, `KRW 1.2m`,
  `12000บาท`) for money, `%` for rates, `秒` `分` `小时` `s` `min` `h` (and `1:30`) for
  durations; `+` `多` `余` `左右` `กว่า` after a number (it is about that much);
  multipliers `k` `K` `千` `w` `W` `万` `m` `M` `百万` `亿` `b` `bn` `jt` `rb` `tr`, the words
  `hundred` `thousand` `grand` `million` `mio` `billion` `trillion` (and plurals), `ribu`
  `juta`, `nghìn` `triệu` `tỷ`, `lakh` `crore`, Korean `백` `천` `만` `억`, Thai `ร้อย`
  `พัน` `หมื่น` `แสน` `ล้าน`, and the Chinese compounds `十万` `百万` `千万` `十亿` `百亿`
  `千亿` `万亿` (`3千万` is 30,000,000); a single digit after `万` `千` `亿` `천` `만` `억`
  `พัน` `หมื่น` `แสน` `ล้าน` `k` `w` `m` is the next place down, as it is said (`1万2` is
  12,000, `12万5` 125,000, `1ล้าน2` 1,200,000, `1k5` 1,500); a second multiplier that
  makes no compound (`1.2万万`, `3亿亿`, `3kk`, `3억억`, `1ล้านล้าน`) does not read;
* Chinese figures glued after 万 or 亿 as they are said: a whole section of four digits
  (`1万2000` is 12,000, `12万3456` 123,456), or figures with multipliers of their own, read
  by cn2an (`1万5百` is 10,500, `2亿3万` 200,030,000, `1亿2000万5000` 120,005,000, also after
  a compound: `1千万1千1百` 10,001,100); two or three digits after 万 (`1万25`) and digits
  after 亿 without 万 (`1亿2000`, `1亿8千`) do not read;
* after 万 亿 만 억 and a space, a smaller figure with a place of its own goes on the number
  (`1万 2千` is 12,000, `1亿 3000万` 130,000,000); a bare one without a label (`成交1万 2000`:
  12,000, or 10,000 and a stray number?) makes the figure unclear, and it is not stored;
  nor is a group of three digits after one to three (`online 1 200`);
* Korean and Thai writing: places go down and `만` `억` `ล้าน` multiply all the section
  before them (`2천만` is 20,000,000, `1억2000만` and `1억 2천만` 120,000,000, `1만2천`
  12,000, `3แสน5หมื่น` 350,000, `1ล้าน2แสน` 1,200,000, `2พันล้าน` 2,000,000,000); after
  `억` a section ends with `만` (`1억2000` is written for both 100,002,000 and 120,000,000,
  so it does not read);
* a Korean or Thai multiplier, currency or unit written apart from its number ends its
  word: `120 만원` is 1,200,000 won, `120 만족` no 120만;
* Indonesian writing: a decimal comma before a multiplier (`Rp1,2jt` is 1,200,000) and
  thousands grouped with dots in rupiah and dong, the sign before or after
  (`Rp1.200.000`, `12.500đ`, `5.000.000 VND`); two dots or more group thousands in any
  amount (`1.200.000`), and a count, being whole, reads one dot before three digits as
  thousands too (`penonton 1.020` is 1,020, `1.000` 1,000);
* Chinese numerals, as voice input writes them (`在线一千二`, `成交三点四万`, `一千二百人在线`,
  `转化率百分之三`), read by cn2an after a label or before a unit or a label;
* the generic labels `成交`, `sales` and `ยอดขาย` take their key from the unit: `成交56单` is
  orders, `成交34件` and `ยอดขาย 50 ชิ้น` items, `成交12人` buyers, `成交3万` GMV.

Keys (`KEYS`, labels in `ALIASES` — Chinese and English, and the words Indonesian, Malaysian,
Vietnamese, Korean and Thai hosts type: `penonton`, `omset`, `pesanan`, `doanh thu`,
`đơn hàng`, `매출`, `주문`, `동시 접속`, `시청자`, `ยอดขาย`, `ออเดอร์`, `คนดู` — longest
label wins, and Thai labels read glued to their numbers and to each other as Chinese ones
do: `ยอดขาย12000บาทออเดอร์35`): counts (whole, not negative), money
(`gmv`, `gpm`; may carry a currency), rates (`conversion`, `ctr`; stored as fractions, a bare
number is read as percent: `转化率3.2` = 3.2 %), and `avg_stay_s` (seconds; a bare number is
seconds). Anything that is not a value is named back in `ignored` with a reason: an unknown
label (with "did you mean" from both languages' labels), a number without a label, a value
that does not read, a wrong unit, a negative or fractional count, or a number too large to be
true (`LIMITS`; ±∞ and overflow included), and a figure worked out from the pushed ones
(`WORKED_OUT`: `客单价 89`, `UV价值 3.2`, `aov $25`), named back with what it comes from,
never stored as another key; and a figure that is not what the host sees now, marked so by
a word before its label or between it and its number, as Thai writes it (`NOT_NOW`: a
target, a forecast, another day's or stream's figure or a refund, `目标成交10万`,
`yesterday gmv 5k`, `어제 매출 500만`, `ยอดขายเมื่อวาน 2หมื่น`; or a peak or an average,
`峰值在线2万`, `평균 시청자 800`, `คนดูสูงสุด 2000`). Other words before a label (`现在`,
`今天`, `now`, `현재`) change nothing, and so do some between a label and its number
(`_CONNECTORS`: `在线掉到800`, `成交突破10万`, `gmv is 3.4k`). The values that did read
are kept: one bad pair never throws the others away. A key given twice keeps its last value,
and the earlier one is named back (`repeated`).
Never raises.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final, Literal

import cn2an

__all__ = [
    "ALIASES",
    "KEYS",
    "KINDS",
    "LIMITS",
    "NOT_NOW",
    "WORKED_OUT",
    "Ignored",
    "StatParse",
    "parse_stats",
    "suggest_labels",
]

#: Canonical snapshot keys, in the order of the snapshots frame.
KEYS: Final[tuple[str, ...]] = (
    "online", "viewers", "entries", "likes", "comments", "shares",
    "followers", "clicks", "orders", "buyers", "gmv",
    "items", "avg_stay_s", "conversion", "ctr", "gpm", "impressions", "product_impressions",
)  # fmt: skip

Kind = Literal["count", "money", "rate", "duration"]
KINDS: Final[dict[str, Kind]] = {
    **{key: "count" for key in KEYS},
    "gmv": "money",
    "gpm": "money",
    "conversion": "rate",
    "ctr": "rate",
    "avg_stay_s": "duration",
}

#: The largest value believed for each key (a rate as a fraction, a duration in seconds).
LIMITS: Final[dict[str, float]] = {
    "online": 1e7, "viewers": 1e10, "entries": 1e10, "likes": 1e11, "comments": 1e10,
    "shares": 1e10, "followers": 1e8, "clicks": 1e10, "orders": 1e9, "buyers": 1e9,
    "gmv": 1e11, "items": 1e10, "avg_stay_s": 86_400.0, "conversion": 1.0, "ctr": 1.0,
    "gpm": 1e8, "impressions": 1e11, "product_impressions": 1e11,
}  # fmt: skip

ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "online": (
        "online",
        "online now",
        "current viewers",
        "concurrent viewers",
        "concurrent",
        "ccv",
        "live viewers",
        "viewers now",
        "在线",
        "在线人数",
        "实时在线",
        "实时在线人数",
        "当前在线",
        "当前在线人数",
        "同时在线",
        "同时在线人数",
        "人气",
        "实时人气",
        "penonton online",
        "penonton saat ini",
        "sedang menonton",
        "mắt xem",
        "đang xem",
        "동시 접속",
        "동시 접속자",
        "동시 시청자",
        "실시간 시청자",
        "현재 시청자",
        "คนดูตอนนี้",
        "คนดูสด",
        "คนดูออนไลน์",
        "ผู้ชมออนไลน์",
    ),
    "viewers": (
        "viewers",
        "total viewers",
        "unique viewers",
        "场观",
        "累计观看",
        "累计观看人数",
        "观看人数",
        "累计观众",
        "场观人数",
        "penonton",
        "total penonton",
        "người xem",
        "시청자",
        "시청자 수",
        "누적 시청자",
        "누적 시청자 수",
        "คนดู",
        "ยอดคนดู",
        "ผู้ชม",
        "ยอดผู้ชม",
    ),
    "entries": (
        "entries",
        "views",
        "total views",
        "room entries",
        "进场",
        "进场人数",
        "进房",
        "进房人数",
        "进入",
        "进入人数",
        "进入直播间",
        "进入直播间人数",
        "进直播间人数",
        "观看次数",
        "观看人次",
        "累计观看次数",
        "累计观看人次",
        "lượt xem",
        "조회수",
        "ยอดวิว",
    ),
    "likes": (
        "likes",
        "like",
        "点赞",
        "点赞数",
        "点赞次数",
        "点赞量",
        "lượt thích",
        "좋아요",
        "좋아요 수",
        "ไลค์",
        "ยอดไลค์",
        "ถูกใจ",
    ),
    "comments": (
        "comments",
        "comment",
        "评论",
        "评论数",
        "评论次数",
        "弹幕",
        "komentar",
        "bình luận",
        "댓글",
        "댓글 수",
        "คอมเมนต์",
        "คอมเม้นต์",
        "คอมเม้น",
        "ความคิดเห็น",
    ),
    "shares": ("shares", "share", "分享", "分享数", "分享次数", "转发", "공유", "공유 수", "แชร์"),
    "followers": (
        "followers",
        "follows",
        "new followers",
        "new follows",
        "new fans",
        "fans",
        "涨粉",
        "加粉",
        "新增粉丝",
        "新增粉丝数",
        "新增关注",
        "新关注",
        "新粉",
        "关注",
        "pengikut baru",
        "người theo dõi mới",
        "신규 팔로워",
        "새 팔로워",
        "ผู้ติดตามใหม่",
    ),
    "clicks": (
        "clicks",
        "product clicks",
        "link clicks",
        "点击",
        "点击数",
        "点击次数",
        "商品点击",
        "商品点击人数",
        "商品点击次数",
    ),
    "orders": (
        "orders",
        "sku orders",
        "paid orders",
        "订单",
        "订单数",
        "单量",
        "出单",
        "成交订单",
        "成交订单数",
        "成交单数",
        "成交笔数",
        "引导成交笔数",
        "支付订单数",
        "pesanan",
        "jumlah pesanan",
        "đơn",
        "đơn hàng",
        "주문",
        "주문 수",
        "주문 건수",
        "ออเดอร์",
        "คำสั่งซื้อ",
    ),
    "buyers": (
        "buyers",
        "customers",
        "paying customers",
        "成交人数",
        "下单人数",
        "购买人数",
        "支付人数",
        "引导成交人数",
        "成交客户数",
        "pembeli",
        "người mua",
        "구매자",
        "구매자 수",
        "ผู้ซื้อ",
        "คนซื้อ",
    ),
    "gmv": (
        "gmv",
        "sales",
        "revenue",
        "gross sales",
        "成交",
        "成交额",
        "成交金额",
        "销售额",
        "引导成交金额",
        "支付金额",
        "营业额",
        "流水",
        "omset",
        "omzet",
        "pendapatan",
        "penjualan",
        "jualan",
        "doanh thu",
        "doanh số",
        "매출",
        "매출액",
        "총 매출",
        "판매액",
        "거래액",
        "ยอดขาย",
        "ยอดขายรวม",
        "ยอดเงิน",
    ),
    "items": (
        "items",
        "items sold",
        "units sold",
        "units",
        "成交件数",
        "售出件数",
        "销量",
        "件数",
        "卖出件数",
        "销售件数",
        "卖出",
        "售出",
        "已售",
        "terjual",
        "produk terjual",
        "đã bán",
        "판매 수량",
        "판매량",
        "สินค้าที่ขายได้",
        "ชิ้นที่ขายได้",
    ),
    "avg_stay_s": (
        "avg stay",
        "average stay",
        "avg stay time",
        "avg viewing duration",
        "average viewing duration",
        "avg view duration",
        "avg watch time",
        "average watch time",
        "人均观看时长",
        "平均停留",
        "平均停留时长",
        "人均停留",
        "人均停留时长",
        "平均观看时长",
        "停留时长",
        "人均时长",
    ),
    "conversion": (
        "conversion",
        "conversion rate",
        "conv",
        "conv rate",
        "cvr",
        "转化率",
        "成交转化率",
        "观看成交转化率",
        "观看-成交转化率",
        "转化",
        "konversi",
        "tingkat konversi",
        "tỷ lệ chuyển đổi",
        "chuyển đổi",
        "전환율",
        "구매 전환율",
        "อัตราการแปลง",
        "คอนเวอร์ชัน",
        "คอนเวอร์ชั่น",
    ),
    "ctr": (
        "ctr",
        "click rate",
        "click-through rate",
        "click through rate",
        "product ctr",
        "点击率",
        "商品点击率",
    ),
    "gpm": (
        "gpm",
        "watch gpm",
        "千次观看成交金额",
        "千次观看成交额",
        "千次观看成交",
        "千次成交金额",
        "千次成交",
    ),
    "impressions": (
        "impressions",
        "live impressions",
        "room impressions",
        "曝光",
        "曝光人数",
        "曝光量",
        "直播间曝光",
        "直播间曝光人数",
        "直播间曝光次数",
    ),
    "product_impressions": (
        "product impressions",
        "product views",
        "商品曝光",
        "商品曝光人数",
        "商品曝光次数",
    ),
}

#: Labels whose key depends on the unit written after the number (`成交56单` is orders).
GENERIC: Final[frozenset[str]] = frozenset({"成交", "sales", "ยอดขาย"})

#: Figures hosts read off their dashboards that are worked out from the pushed ones (DESIGN.md
#: "Definitions"), so nothing of theirs is stored: a push naming one is told what to push.
WORKED_OUT: Final[dict[str, tuple[str, ...]]] = {
    "per_buyer": ("客单价", "客单", "per buyer", "spend per buyer", "avg spend per buyer"),
    "aov": ("aov", "avg order value", "average order value", "笔单价", "平均订单金额"),
    "uv_value": ("uv价值", "uv value", "uv值"),
    "follow_rate": ("转粉率", "follow rate", "关注率"),
    "entry_rate": ("曝光进入率", "曝光-观看率", "曝光观看率", "进入率", "entry rate"),
    "ctor": (
        "ctor",
        "点击-成交转化率",
        "点击成交转化率",
        "商品点击-成交转化率",
        "商品点击成交转化率",
        "点击成交率",
        "click to order rate",
    ),
}
_WORKED_OUT: Final = "worked_out:"

#: Words that, written before a label or between it and its number, make the figure not a
#: reading of the moment: a target, a forecast, another day's or stream's figure, a refund
#: (`目标成交10万`, `yesterday gmv 5k`, `목표 매출 1억`, `매출 목표 1억`, `เป้ายอดขาย 5หมื่น`,
#: `ยอดขายเมื่อวาน 2หมื่น`) — or a peak or an average, which the bot works out itself
#: (`峰值在线2万`, `avg online 800`, `최고 동시접속 2000`, `คนดูสูงสุด 2000`). The pair is
#: named back, never stored.
NOT_NOW: Final[dict[str, tuple[str, ...]]] = {
    "not_now": (
        "目标", "预计", "预估", "预期", "预测", "计划", "期望", "昨天", "昨日", "前天", "上场",
        "上一场", "上次", "上周", "上月", "上个月", "去年", "退款", "退货", "取消",
        "target", "goal", "expected", "forecast", "projected", "estimated", "planned",
        "yesterday", "yesterday's", "previous", "prev", "refund", "refunds", "refunded",
        "returned", "returns", "cancelled", "canceled",
        "목표", "예상", "어제", "지난 방송", "지난방송", "환불", "취소", "반품",
        "เป้า", "เป้าหมาย", "คาดการณ์", "เมื่อวาน", "ไลฟ์ที่แล้ว", "คืนเงิน", "ยกเลิก",
        "kemarin", "sebelumnya", "estimasi", "perkiraan", "mục tiêu", "dự kiến", "hôm qua",
        "hoàn tiền",
    ),
    "not_a_reading": (
        "峰值", "最高", "最低", "平均", "均值",
        "peak", "max", "maximum", "highest", "min", "minimum", "lowest", "avg", "average",
        "mean",
        "최고", "최대", "최저", "평균",
        "สูงสุด", "ต่ำสุด", "เฉลี่ย",
        "tertinggi", "terendah", "puncak", "rata", "cao nhất", "thấp nhất", "trung bình",
    ),
}  # fmt: skip

Reason = Literal[
    "unknown_label", "no_label", "missing", "not_a_number", "negative", "not_whole",
    "too_large", "wrong_unit", "other_currency", "worked_out", "not_now", "not_a_reading",
    "ambiguous", "split_figure", "repeated", "range", "date",
]  # fmt: skip
"""Why a part was not stored; ``other_currency`` (money in another currency than the
workspace's) is the live service's, never the parser's."""

MAX_TEXT = 30
"""Text quoted back in `Ignored` is cut to this many characters."""

MAX_SUGGESTED = 10
"""Unknown labels after this many get no "did you mean" (a reply names only the first few)."""


@dataclass(frozen=True, slots=True)
class Ignored:
    """A part of the message that was not stored, and why."""

    text: str
    reason: Reason
    key: str | None = None
    suggestions: tuple[str, ...] = ()
    """For an unknown label: the nearest known labels; for an ambiguous figure: as written
    with 万 (or 만), that value, and the value as written; for a figure written apart: its
    parts written together."""


@dataclass
class StatParse:
    """What a snapshot message said: values by key, and what was not stored."""

    values: dict[str, float] = field(default_factory=dict)
    ignored: list[Ignored] = field(default_factory=list)
    currency: str | None = None  # the first currency written with a money value

    @property
    def ok(self) -> bool:
        return bool(self.values) and not self.ignored


# ------------------------------------------------------------------------------- labels


_THAI_MARKS: Final = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
"""Thai vowel and tone marks (a class for a regular expression): each belongs to the letter
before it, so no word ends before one."""


def _nfkc(text: str) -> str:
    """NFKC, but for Thai `ำ`: NFKC writes it as two characters (`ํา`), which read the same
    but are not what was typed, so a text quoted back keeps it one."""
    return unicodedata.normalize("NFKC", text).replace("\u0e4d\u0e32", "\u0e33")


def _fold(word: str) -> str:
    """A label or a word as the text it is looked for in reads: `_nfkc`, lower case."""
    return _nfkc(word).lower()


def _alias_pattern(alias: str) -> str:
    out = []
    for ch in alias.lower():
        out.append(r"[\s_\-.·]*" if ch in " -." else re.escape(ch))
    return "".join(out) + (r"(?![a-z])" if alias.isascii() else f"(?![{_THAI_MARKS}])")


_ALIAS_KEY: Final[dict[str, str]] = {
    _fold(alias): key for key, aliases in ALIASES.items() for alias in aliases
}
_SUGGESTED: Final[list[str]] = sorted(_ALIAS_KEY, key=lambda a: -len(a))
"""The labels of stored keys, the ones "did you mean" may name."""
_ALIAS_KEY.update(
    {_fold(alias): _WORKED_OUT + name for name, aliases in WORKED_OUT.items() for alias in aliases}
)
_ALIAS_ORDER: Final[list[str]] = sorted(_ALIAS_KEY, key=lambda a: -len(a))
_ALIAS_RES: Final[dict[str, tuple[re.Pattern[str], list[str]]]] = {}
"""Per first character: one pattern of the labels that start with it (longest first)."""
for _first in {a[0] for a in _ALIAS_ORDER}:
    _group = [a for a in _ALIAS_ORDER if a[0] == _first]
    _ALIAS_RES[_first] = (
        re.compile("|".join(f"(?P<a{i}>{_alias_pattern(a)})" for i, a in enumerate(_group))),
        _group,
    )


def _alias_at(lowered: str, pos: int) -> tuple[str, int] | None:
    """(alias, end) of the label starting at `pos`."""
    entry = _ALIAS_RES.get(lowered[pos]) if pos < len(lowered) else None
    if entry is None:
        return None
    pattern, group = entry
    m = pattern.match(lowered, pos)
    if m is None or m.end() == pos or m.lastgroup is None:
        return None
    return group[int(m.lastgroup[1:])], m.end()


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


_BY_SHAPE: Final[dict[tuple[bool, int], list[str]]] = {}
for _alias in _SUGGESTED:
    _BY_SHAPE.setdefault((_alias.isascii(), len(_alias)), []).append(_alias)


@functools.lru_cache(maxsize=4096)
def suggest_labels(word: str) -> tuple[str, ...]:
    """The known labels (English or Chinese) nearest to `word` when it is a likely typo: the
    closest label of each key at the smallest distance, at most three."""
    w = word.lower().strip()
    if len(w) < 2 or len(w) > 40:
        return ()
    allowed = 1 if len(w) <= 5 else 2
    found: list[tuple[int, int, str]] = []
    for size in range(len(w) - allowed, len(w) + allowed + 1):
        for alias in _BY_SHAPE.get((w.isascii(), size), ()):
            d = _distance(w, alias)
            if 0 < d <= allowed:
                found.append((d, abs(len(alias) - len(w)), alias))
    if not found:
        return ()
    best = min(d for d, _, _ in found)
    out: dict[str, str] = {}
    for _, _, alias in sorted(f for f in found if f[0] == best):
        out.setdefault(_ALIAS_KEY[alias], alias)
    return tuple(out.values())[:3]


# ------------------------------------------------------------------------------ numbers

_CURRENCY: Final[dict[str, str]] = {
    "us$": "$", "$": "$", "usd": "$", "¥": "¥", "rmb": "¥", "cny": "¥", "€": "€", "£": "£",
    "rp": "Rp", "rp.": "Rp", "idr": "Rp", "₫": "₫", "฿": "฿", "₱": "₱", "hk$": "HK$",
    "s$": "S$", "元": "¥", "块": "¥", "块钱": "¥", "yuan": "¥", "dollars": "$", "dollar": "$",
    "rm": "RM", "myr": "RM", "sgd": "S$", "hkd": "HK$", "nt$": "NT$", "twd": "NT$",
    "thb": "฿", "vnd": "₫", "đ": "₫", "php": "₱", "jp¥": "JP¥",
    "jpy": "JP¥", "eur": "€", "gbp": "£", "rupiah": "Rp", "₩": "₩", "krw": "₩", "원": "₩",
    "บาท": "฿", "baht": "฿",
}  # fmt: skip
_CODES: Final = "rmb|cny|usd|idr|myr|sgd|hkd|twd|thb|vnd|php|jpy|krw|eur|gbp"
_CUR_BEFORE_RE: Final = re.compile(
    rf"(us\$|hk\$|s\$|nt\$|jp¥|(?:rp\.?|rm|{_CODES})(?![a-z])|[$¥€£₫฿₱₩])\s*"
)
_NUMBER_RE: Final = re.compile(
    r"(?P<sign>[+-])?(?P<digits>[1-9][0-9]{0,2}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?"
    r"|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:e(?P<exp>[+-]?[0-9]+))?"
)
_SECTIONED: Final[dict[str, tuple[int, int]]] = {
    # the place a multiplier gives within a section, and the section's own multiplier:
    # 만, 억 and ล้าน multiply all the section before them (`2천만` is 2,000 × 10,000)
    "백": (10**2, 1), "천": (10**3, 1), "만": (1, 10**4), "억": (1, 10**8),
    "백만": (10**2, 10**4), "천만": (10**3, 10**4), "백억": (10**2, 10**8), "천억": (10**3, 10**8),
    "ร้อย": (10**2, 1), "พัน": (10**3, 1), "หมื่น": (10**4, 1), "แสน": (10**5, 1),
    "ล้าน": (1, 10**6), "ร้อยล้าน": (10**2, 10**6), "พันล้าน": (10**3, 10**6),
    "หมื่นล้าน": (10**4, 10**6), "แสนล้าน": (10**5, 10**6),
}  # fmt: skip
"""Korean and Thai multipliers, read with the figures after them by `_sectioned`."""
_MULTIPLIERS: Final[dict[str, int]] = {
    "k": 10**3, "千": 10**3, "w": 10**4, "万": 10**4, "m": 10**6, "mn": 10**6, "jt": 10**6,
    "tr": 10**6, "亿": 10**8, "b": 10**9, "bn": 10**9, "rb": 10**3, "十万": 10**5, "百万": 10**6,
    "千万": 10**7, "十亿": 10**9, "百亿": 10**10, "千亿": 10**11, "万亿": 10**12,
    "hundred": 10**2, "thousand": 10**3, "thousands": 10**3, "grand": 10**3,
    "million": 10**6, "millions": 10**6, "mio": 10**6, "billion": 10**9, "billions": 10**9,
    "trillion": 10**12, "ribu": 10**3, "juta": 10**6, "nghìn": 10**3, "ngàn": 10**3,
    "triệu": 10**6, "tỷ": 10**9, "lakh": 10**5, "lakhs": 10**5, "lac": 10**5,
    "crore": 10**7, "crores": 10**7,
    **{word: place * section for word, (place, section) in _SECTIONED.items()},
}  # fmt: skip
_LATIN_MULTIPLIERS = sorted(
    (w for w in _MULTIPLIERS if w[0].isascii() or w[0] in "nt"), key=len, reverse=True
)
_SECTION_WORDS: Final = "|".join(sorted(_SECTIONED, key=lambda w: -len(w)))
_MULT_RE: Final = re.compile(
    r"\s*(十万|百万|千万|十亿|百亿|千亿|万亿|千|万|亿|" + _SECTION_WORDS
    + r"|(?:" + "|".join(_LATIN_MULTIPLIERS) + r")(?![a-z]))"
)  # fmt: skip
_SECTION_WORD_RE: Final = re.compile(_SECTION_WORDS)
_SECTION_TERM_RE: Final = re.compile(
    rf"([^\S\n\r]*)([0-9],[0-9]{{3}}|[0-9]{{1,4}})(?![0-9.,])[^\S\n\r]*({_SECTION_WORDS})"
)
"""A whole figure and its multiplier after the first of a Korean or Thai number: `1억 2천만`,
`3แสน5หมื่น`."""
_SECTION_TAIL_RE: Final = re.compile(r"[0-9]+(?![0-9.,])")
_TOP: Final = 10**40
_LETTER_RE: Final = re.compile("[\uac00-\ud7a3\u0e01-\u0e4e]")
"""A Hangul syllable or a Thai letter: the scripts whose words a multiplier, currency or unit
may begin."""
_SECTION_OPEN: Final = 10**8
"""After 억 a section ends with 만: hosts write `1억2000` for 1억2000만 as often as for
100,002,000, so it is read as neither."""
_NEXT_PLACE: Final[frozenset[str]] = frozenset(
    {"千", "万", "亿", "k", "w", "m", "천", "만", "억", "พัน", "หมื่น", "แสน", "ล้าน"}
)
"""Multipliers that a single digit may follow as the next place down: `1万2` is 12,000,
`3亿5` and `3억5` 350,000,000, `1ล้าน2` 1,200,000, `1k5` 1,500."""
_NEXT_DIGIT_RE: Final = re.compile(r"([0-9])(?![0-9.,])")
_COMMA_DECIMAL_RE: Final = re.compile(r",([0-9]{1,2})(?=" + _MULT_RE.pattern + r"|\s*%)")
"""A decimal comma before a multiplier, as Indonesia writes it (`Rp1,2jt` is 1,200,000),
or before `%` (`2,5%` is 2.5 %)."""
_DOT_GROUPED_RE: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?(?![0-9])")
"""Thousands grouped with dots after `Rp` or `₫`: `Rp1.200.000`."""
_MORE_MULT_RE: Final = re.compile(r"[十百千万亿]+")
"""Multiplier characters left after a multiplier: `1.2万万` is a slip, not a number."""
_CUR_AFTER_RE: Final = re.compile(
    rf"[^\S\n\r]*(块钱|元|块|₫|đ|₩|원|บาท|(?:rm|rp|rupiah|{_CODES}|yuan|dollars?|baht)(?![a-z]))"
)
"""A currency after the number, on its line: on the next one it is the next amount's."""
_UNITS: Final[dict[str, str]] = {
    "人次": "times", "人": "people", "位": "people", "people": "people", "ppl": "people",
    "person": "people", "persons": "people", "pax": "people", "单": "orders", "笔": "orders",
    "件": "items", "pcs": "items", "次": "times", "个": "any", "명": "people", "회": "times",
    "건": "cases", "개": "any",
    "คน": "people", "ชิ้น": "items",
}  # fmt: skip
_UNIT_RE: Final = re.compile(
    r"\s*(人次|人|位|单|笔|件|次|个|명|회|건|개|คน|ชิ้น|(?:people|ppl|persons?|pax|pcs)(?![a-z]))"
)
_UNIT_LABELS: Final[dict[str, str]] = {"ออเดอร์": "orders"}
"""Units spelled as a label of their key (Thai `ออเดอร์`, orders): the unit of a number only
where they cannot be its label, after a number that a label of their key comes before and
before no number (`ออเดอร์ 35 ออเดอร์`, `คำสั่งซื้อ 35 ออเดอร์`); the label elsewhere (`35
ออเดอร์`, `ยอดขาย 12000 ออเดอร์ 35`)."""
_APPROX_RE: Final = re.compile(r"\+|多|余|左右|กว่า")
_TIME_UNIT = (
    r"(小时|钟头|分钟|秒钟|时|分|秒|(?:hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s)(?![a-z]))"
)
_TIME_UNIT_M = _TIME_UNIT[:-1] + r"|m(?![a-z]))"
_DURATION_PART_RE: Final = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*" + _TIME_UNIT)
_DURATION_PART_M_RE: Final = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*" + _TIME_UNIT_M)
_CLOCK_RE: Final = re.compile(r"([0-9]{1,2}):([0-5][0-9])(?::([0-5][0-9]))?(?![0-9])")
_DATE_RE: Final = re.compile(
    r"(?:[0-9]{4}([-/.])(?:1[0-2]|0?[1-9])\1(?:3[01]|[12][0-9]|0?[1-9])"
    r"|(?:[0-9]{4}年)?(?:1[0-2]|0?[1-9])月(?:3[01]|[12][0-9]|0?[1-9])[日号]?)(?![0-9])"
)
"""A date (`2026-11-30`, `2026/11/30`, `11月30日`): no figure, whatever label is near."""
_RANGE_RE: Final = re.compile(r"[ \t\u3000]*([-~～—–〜]|到|至)[ \t\u3000]*")
"""Between the two ends of a range (`在线1200-1300`, `1200~1300`, `1.2到1.3万`)."""
_INFINITY_RE: Final = re.compile(r"[+-]?(?:infinity|inf(?![a-z])|∞)")
_NAN_RE: Final = re.compile(r"[+-]?nan(?![a-z])")


def _unit_seconds(unit: str) -> int:
    if unit in ("小时", "钟头", "时") or unit[0] == "h":
        return 3600
    if unit in ("分钟", "分", "m") or unit.startswith("min"):
        return 60
    return 1


@dataclass(slots=True)
class _Num:
    """A quantity as written."""

    text: str
    value: Decimal | None = None  # None: `bad` says why
    bad: Reason | None = None
    negative: bool = False
    currency: str | None = None
    percent: bool = False
    unit: str | None = None  # people, orders, items, times, cases, any
    duration: bool = False
    readings: tuple[Decimal, Decimal] | None = None  # "ambiguous": 万 left out, or not


@dataclass(slots=True)
class _Label:
    text: str
    key: str
    generic: bool
    end: int = 0
    assign: bool = False  # followed by `=` or `:`: the value comes after it
    before: str = ""  # a word of NOT_NOW written before it, as written (with its space)
    not_now: Reason | None = None  # and why that word keeps the pair from being stored


_NOT_NOW: Final[dict[str, tuple[str, ...]]] = {
    reason: tuple(_fold(mark) for mark in marks) for reason, marks in NOT_NOW.items()
}
_MARKS: Final = sorted(
    {m for marks in _NOT_NOW.values() for m in marks if not m.isascii()}, key=lambda m: -len(m)
)
_MARK_RE: Final = re.compile(f"({'|'.join(map(re.escape, _MARKS))})(?![{_THAI_MARKS}])")
"""The words of NOT_NOW not written in Latin letters, longest first (`上一场` before `上场`)."""


_CONNECTORS: Final = frozenset(
    {
        "现在", "目前", "已经", "已", "还有", "有", "共", "一共", "累计", "到了", "达到",
        "掉到", "降到", "跌到", "回到", "涨到", "升到", "冲到", "突破", "破", "超过",
        "是", "为", "今天", "is", "at", "now", "today", "reached", "hit", "sekarang", "sudah",
        "hari ini", "saat ini", "hiện tại", "hôm nay", "bây giờ", "현재", "지금", "오늘",
        "ตอนนี้", "ขณะนี้", "วันนี้",
    }
)  # fmt: skip
"""Words between a label and its number that change nothing (`在线掉到800`, `成交突破10万`,
`gmv is 3.4k`, `online reached 1500`); never one that says by how much (`掉了300`,
`down 300`: a change, not the figure)."""


_PHRASES: Final = frozenset(
    w for w in (*_CONNECTORS, *(m for marks in NOT_NOW.values() for m in marks)) if " " in w
)
"""Two Latin-script words read as one (`hôm qua` is yesterday, `hôm nay` today)."""


def _connector(tok: _Token) -> bool:
    return isinstance(tok, _Word) and tok.text.lower() in _CONNECTORS


def _not_now(word: str) -> Reason | None:
    """Why a word written before a label keeps its pair from being stored (None: it does
    not: `现在`, `today`)."""
    lowered = word.lower()
    words = lowered.split()
    for reason, marks in _NOT_NOW.items():
        for mark in marks:
            if (mark in words) if mark.isascii() else (mark in lowered):
                return reason  # type: ignore[return-value]
    return None


def _unspaced(ch: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Thai): a
    word quoted back before a label of it takes no space (`目标成交`, `최고 동시접속`)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u0e00" <= ch <= "\u0e7f"


@dataclass(slots=True)
class _Word:
    text: str
    start: int = 0


_SEPARATORS: Final = frozenset("\n\r,、;|/")
_SPACES: Final = frozenset(" \t\u3000")
_ASSIGN: Final = frozenset("=:")
_Token = _Num | _Label | _Word | None  # None: a separator


_DASHES: Final = str.maketrans(
    {**dict.fromkeys("−－﹣—", "-"), **{chr(0x0E50 + d): str(d) for d in range(10)}}
)
"""Dashes read as a minus, and Thai digits (๑๒๐๐) as ASCII ones, which NFKC leaves alone."""


def _fullwidth_digit(ch: str) -> bool:
    return "０" <= ch <= "９"


def _normalize(text: str) -> str:
    # `，` separates pairs (`在线800，300单`) unless it groups full-width digits (`１，２００`)
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch != "，":
            continue
        group = chars[i + 1 : i + 5]
        grouping = (
            i > 0
            and _fullwidth_digit(chars[i - 1])
            and len(group) >= 3
            and all(_fullwidth_digit(c) for c in group[:3])
            and (len(group) == 3 or not _fullwidth_digit(group[3]))
        )
        if not grouping:
            chars[i] = "、"
    norm = _nfkc("".join(chars))
    return norm.translate(_DASHES)


def _read_duration(s: str, pos: int, *, minutes_m: bool) -> tuple[Decimal, int] | None:
    part_re = _DURATION_PART_M_RE if minutes_m else _DURATION_PART_RE
    total = Decimal(0)
    last = 10**9
    end = pos
    found = False
    while True:
        m = part_re.match(s, end)
        if m is None:
            break
        if _alias_at(s, m.start(2)) is not None:  # `0分享` is shares, not 0 minutes
            break
        seconds = _unit_seconds(m.group(2))
        if seconds >= last:
            break
        total += Decimal(m.group(1)) * seconds
        last, end, found = seconds, m.end(), True
        if seconds == 60:  # `1分30`: bare seconds after minutes
            tail = re.compile(r"\s*([0-5]?[0-9])(?![0-9.])").match(s, end)
            if tail is not None and _DURATION_PART_RE.match(s, end) is None:
                total += Decimal(tail.group(1))
                end = tail.end()
                break
    return (total, end) if found else None


def _glued_end(s: str, pos: int) -> int:
    """Where a value glued to letters (`12abc`, `1.2.3`) ends: the next space or separator."""
    end = pos
    while end < len(s) and s[end] not in _SPACES and s[end] not in _SEPARATORS:
        if not s[end].isascii() and s[end].isalpha():
            break
        end += 1
    return end


def _quantity(s: str, pos: int, *, stay_context: bool) -> tuple[_Num, int] | None:
    """The quantity starting at `pos` (a number with its currency, multiplier, unit)."""
    start = pos
    inf = _INFINITY_RE.match(s, pos)
    if inf is not None:
        return _Num(s[pos : inf.end()], bad="too_large"), inf.end()
    nan = _NAN_RE.match(s, pos)
    if nan is not None:
        return _Num(s[pos : nan.end()], bad="not_a_number"), nan.end()
    negative = False
    if pos < len(s) and s[pos] in "+-":
        negative = s[pos] == "-"
        pos += 1
    currency = None
    cur = _CUR_BEFORE_RE.match(s, pos)
    if cur is not None:
        currency = _CURRENCY[cur.group(1)]
        pos = cur.end()
    if stay_context and currency is None:
        clock = _CLOCK_RE.match(s, pos)
        if clock is not None:
            h, m, sec = clock.groups()
            seconds = (
                int(h) * 60 + int(m) if sec is None else int(h) * 3600 + int(m) * 60 + int(sec)
            )
            num = _Num(s[start : clock.end()], Decimal(seconds), negative=negative, duration=True)
            return num, clock.end()
    dotted = _DOT_GROUPED_RE.match(s, pos)
    if dotted is not None and currency is None:  # `12.500đ`, `1.200.000 IDR`: grouped too
        after = _CUR_AFTER_RE.match(s, dotted.end())
        if after is not None and _CURRENCY[after.group(1)] in ("Rp", "₫"):
            grouped = dotted.group(0).replace(".", "").replace(",", ".")
            num = _Num("", Decimal(grouped), negative=negative)
            return _after_number(s, num, start, dotted.end())
    if dotted is not None and dotted.group(0).count(".") >= 2 and "," not in dotted.group(0):
        # `1.200.000`: two dots or more group thousands in any currency, never a decimal point
        grouped = dotted.group(0).replace(".", "")
        num = _Num("", Decimal(grouped), negative=negative, currency=currency)
        return _after_number(s, num, start, dotted.end())
    if currency in ("Rp", "₫") and dotted is not None:
        grouped = dotted.group(0).replace(".", "").replace(",", ".")
        num = _Num("", Decimal(grouped), negative=negative, currency=currency)
        return _after_number(s, num, start, dotted.end())
    m = _NUMBER_RE.match(s, pos)
    if m is None:
        return None
    if m.group("sign"):
        if negative or currency is None:
            negative = negative or m.group("sign") == "-"
        else:
            negative = m.group("sign") == "-"
    digits = m.group("digits").replace(",", "")
    exp = m.group("exp")
    end = m.end()
    num = _Num("", negative=negative, currency=currency)
    whole = digits.split(".")[0].lstrip("0")
    if len(whole) > 30 or (exp is not None and int(exp) > 30):
        num.bad = "too_large"
    elif exp is not None and int(exp) < -30:
        num.bad = "not_a_number"
    else:
        num.value = Decimal(digits).scaleb(int(exp)) if exp else Decimal(digits)
    comma = _COMMA_DECIMAL_RE.match(s, end) if exp is None and "." not in digits else None
    if comma is not None and num.value is not None and "," not in m.group("digits"):
        num.value = Decimal(f"{digits}.{comma.group(1)}")
        end = comma.end()
    stray = _STRAY_COMMA_RE.match(s, end) if exp is None else None
    if stray is not None:  # a comma that groups no thousands: `1,2000`, `3,5`
        num.bad = num.bad or "not_a_number"
        end = stray.end()
    # a duration: `1分30秒`, `90s`, `1h 5min` (`5m` only after a stay label)
    if exp is None and currency is None:
        duration = _read_duration(s, pos + (1 if m.group("sign") else 0), minutes_m=stay_context)
        if duration is not None:
            num.value, end = duration
            num.duration = True
            num.text = s[start:end]
            return _finish(s, num, start, end)
    mult = _MULT_RE.match(s, end)
    if mult is not None and mult.group(1) in _SECTIONED:  # Korean: `120만`, `1억 2천만`
        apart = mult.start(1) > mult.start()
        ends = not apart or _word_ends(s, mult.end(), _CUR_AFTER_RE, _APPROX_RE, _UNIT_RE)
        if _alias_at(s, mult.start(1)) is None and ends:
            value, end = _sectioned(s, num.value or Decimal(0), digits, mult.group(1), mult.end())
            if isinstance(value, tuple):
                num.bad, num.readings = num.bad or "ambiguous", value
            elif value is None or exp is not None:
                num.bad = num.bad or "not_a_number"
            elif num.value is not None:
                num.value = value
        return _after_number(s, num, start, end)
    if mult is not None and _alias_at(s, mult.start(1)) is None:
        factor = _MULTIPLIERS[mult.group(1)]
        if exp is not None:
            num.bad = num.bad or "not_a_number"
        elif num.value is not None:
            num.value *= factor
        end = mult.end()
        more = _MORE_MULT_RE.match(s, end)
        if more is not None and _alias_at(s, end) is None:
            num.bad = num.bad or "not_a_number"
            end = more.end()
        place = _NEXT_DIGIT_RE.match(s, end) if mult.group(1) in _NEXT_PLACE else None
        glued = mult.start(1) == mult.start() and "." not in digits and exp is None
        word = mult.group(1)
        tail = _CN_TAIL_RE.match(s, end) if glued and word in _CN_TAIL_AFTER else None
        if tail is not None:  # `1万5百`, `2亿3万`, `1亿2000万5000`: as it is said
            num.value, end = _cn_mixed(f"{digits}{word}{tail.group(0)}"), tail.end()
            if word[-1] == "亿" and "万" not in tail.group(0):  # `1亿8千`: 1亿8千万 or 100,008,000?
                with_wan = _cn_mixed(f"{digits}{word}{tail.group(0)}万")
                below = _cn_mixed(tail.group(0))
                if with_wan is not None and below is not None and num.value is None:
                    num.readings = (with_wan, Decimal(digits) * factor + below)
                num.bad, num.value = num.bad or "ambiguous", None
            elif num.value is None:
                num.bad = num.bad or "not_a_number"
        elif place is not None and glued:
            if num.value is not None:  # 1万2: the digit after is the next place down
                num.value += int(place.group(1)) * factor // 10
            end = place.end()
        elif (
            glued
            and word in _CN_TAIL_AFTER
            and word != "千"
            and (run := _FOUR_DIGITS_RE.match(s, end))
        ):
            if word[-1] == "万" and num.value is not None:  # `1万2000`, `1千万1100`
                num.value += int(run.group(0))
            else:  # `1亿2000`: 1亿2000万 or 100,002,000? hosts write both
                if num.value is not None and num.bad is None:
                    n = int(run.group(0))
                    num.readings = (num.value + n * 10**4, num.value + n)
                num.bad = num.bad or "ambiguous"
            end = run.end()
    return _after_number(s, num, start, end)


_CN_TAIL_RE: Final = re.compile(r"[0-9]{1,4}(?:[十百千万][0-9]{0,4})+(?![0-9.,])")
"""Figures with their own multipliers glued after a Chinese one: `1万5百`, `2亿3万`,
`1万2千5`, `1亿2000万5000` (read by cn2an, whose "smart" mode takes digits and multipliers
mixed)."""
_CN_TAIL_AFTER: Final[frozenset[str]] = frozenset(
    {"千", "万", "亿", "十万", "百万", "千万", "十亿", "百亿", "千亿"}
)
"""The Chinese multipliers a tail of figures may follow glued: `1千万1千1百` is 10,001,100,
`1千亿2千万` 100,020,000,000 (not `万亿`, whose tails cn2an does not read)."""
_FOUR_DIGITS_RE: Final = re.compile(r"[0-9]{4}(?![0-9.,])")
"""A whole section glued after 万 (`1万2000`, `12万3456`, `1万0500`); two or three digits
are read as neither 10,025 nor 12,500 (`1万25`)."""


_LEADING_ZEROS_RE: Final = re.compile(r"(?<![0-9])0+([1-9][0-9]*)(?=[十百千万亿])")


def _cn_mixed(text: str) -> Decimal | None:
    """`1万5百` → 10500; None when cn2an cannot read it (`1万2千万`, `2亿3千`)."""
    # a section's leading zeros before its multiplier (`3亿0500万`) are no place of their own
    text = _LEADING_ZEROS_RE.sub(r"\1", text)
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return Decimal(int(value)) if float(value).is_integer() else None


def _sectioned(
    s: str, first: Decimal, digits: str, word: str, end: int
) -> tuple[Decimal | tuple[Decimal, Decimal] | None, int]:
    """The number written `first` (as `digits`), then the Korean or Thai multiplier `word`
    ending at `end` and the figures and multipliers after it (`1억 2천만`, `3แสน5หมื่น`),
    and where it ends; None when it does not read. A section's multiplier (만, 억, ล้าน)
    multiplies all the section before it (`2천만`, `1억2000만`, `1천200만`, `2พัน300ล้าน`);
    places within a section go down, and so do the sections; the figures after the first
    are whole, and one is written apart only after a section and with its multiplier
    (`1억 2천만`, `1만 2천`, `1ล้าน 2แสน`; not `1만 2000`). A single digit glued to a lone
    multiplier is the next place down, as in Chinese (`3억5`, `1ล้าน2`); other figures glued
    after the last multiplier are below it (`1만2000` is 12,000, `3천500` 3,500, `3แสน5000`
    305,000); after 억 a section ends with 만 (`_SECTION_OPEN`): without it the number is
    ambiguous: its two readings come back, with 만 and as written."""
    total = section = Decimal(0)
    place_bound = section_bound = _TOP  # the next place and section stay below these
    whole = "." not in digits

    def add(n: Decimal, place: int, group: int) -> None:
        nonlocal total, section, place_bound, section_bound
        section += n * place
        if group > 1:
            total += section * group
            section = Decimal(0)
            place_bound, section_bound = _TOP, group
        else:
            place_bound = place

    add(first, *_SECTIONED[word])
    terms = 1
    while (term := _SECTION_TERM_RE.match(s, end)) is not None:
        n = Decimal(term.group(2).replace(",", ""))
        place, group = _SECTIONED[term.group(3)]
        if (term.group(3) < "\u0e80") != (word < "\u0e80"):
            break  # Thai after Korean, or Korean after Thai: another number
        fits = whole and n * place < place_bound and (group == 1 or group < section_bound)
        if term.group(1):  # apart after 만 or 억 only: `1억 2천만`, not `5천 1만`
            if not fits or place_bound < _TOP or _alias_at(s, term.start(3)) is not None:
                break
            if not _word_ends(s, term.end(), _CUR_AFTER_RE, _APPROX_RE, _UNIT_RE):
                break
        elif not fits:  # `1.5만2천`, `1만2만`
            return None, term.end()
        add(n, place, group)
        terms, end = terms + 1, term.end()
    tail = _SECTION_TAIL_RE.match(s, end)
    if tail is not None:
        n = Decimal(tail.group(0))
        place, group = _SECTIONED[word]
        if len(tail.group(0)) == 1 and terms == 1 and whole and word in _NEXT_PLACE:
            total += n * place * group // 10  # `3억5`: the next place down
        elif whole and len(tail.group(0)) > 1 and n < min(place_bound, section_bound):
            section += n  # `1만2000`
        else:
            return None, tail.end()
        end = tail.end()
    if section and section_bound == _SECTION_OPEN:  # `1억2000`: 만 left out, or not?
        return (total + section * 10**4, total + section), end
    more = _SECTION_WORD_RE.match(s, end)
    if more is not None and _alias_at(s, end) is None:  # `1.2만만`, `3억억`: a slip
        return None, more.end()
    return total + section, end


def _apart_ends(s: str, word: re.Match[str], *then: re.Pattern[str]) -> bool:
    """Whether the currency or unit `word` (its first group) written after a number ends its
    word, when it is written apart from the number (`_word_ends`): `1200 명단` is no 1200명."""
    return word.start(1) == word.start() or _word_ends(s, word.end(), *then)


def _word_ends(s: str, pos: int, *then: re.Pattern[str]) -> bool:
    """Whether a Korean or Thai word read after a number and written apart from it (a
    multiplier, a currency, a unit: `120 만`) ends at `pos`, as such a word must, or goes on
    with what `then` reads after it, a label or a word of NOT_NOW: `120 만족` is no 120만;
    `120 만원`, `120 만 주문` are."""
    if pos >= len(s) or _LETTER_RE.match(s, pos) is None:
        return True
    return any(r.match(s, pos) for r in (*then, _MARK_RE)) or _alias_at(s, pos) is not None


_CN_NUMERAL_RE: Final = re.compile(
    "[零〇一二两三四五六七八九十百千万亿](?:[零〇一二两三四五六七八九十百千万亿点]*[零〇一二两三四五六七八九十百千万亿])?"
)
_CN_TRAILING_MULT_RE: Final = re.compile("[万亿]+$")
_PLAIN_NUMBER_RE: Final = re.compile(r"\d+(?:\.\d+)?")
_STRAY_COMMA_RE: Final = re.compile(r",[0-9]+")
"""A comma glued between digits that is neither a thousands separator nor a decimal comma
(both are read before it): a number that does not read (`1,2000`, `3,5`: 12,000 or 1 and
2,000? 3.5 or 35?) — the first digits alone were stored."""


def _chinese_quantity(s: str, pos: int, *, after_label: bool) -> tuple[_Num, int] | None:
    """A number written in Chinese numerals (`一千二`, `三万五`, `两千人`, `三点四万`, as voice
    input writes them), read by cn2an, with its unit after it: after a label, or before a
    unit or a label (`一千二百人在线`); elsewhere the characters are words (`买一送一`)."""
    percent = s.startswith("百分之", pos)
    at = pos + 3 if percent else pos
    m = _CN_NUMERAL_RE.match(s, at) or (_PLAIN_NUMBER_RE.match(s, at) if percent else None)
    if m is None:
        return None
    end = m.end()
    if not after_label and _UNIT_RE.match(s, end) is None and _alias_at(s, end) is None:
        return None
    run = m.group(0)
    num = _Num(run, percent=percent)
    if percent and run[0].isdigit():  # `百分之3.2`
        num.value = Decimal(run)
        return _finish(s, num, pos, end)
    factor = Decimal(1)
    if "点" in run and (mult := _CN_TRAILING_MULT_RE.search(run)) is not None:
        for ch in mult.group(0):  # `三点四万`: 3.4 × 10,000
            factor *= _MULTIPLIERS[ch]
        run = run[: mult.start()]
    if len(run) > 30:  # as with digits: no count or amount is written this long
        num.bad = "too_large"
        return _finish(s, num, pos, end)
    try:
        value = cn2an.cn2an(run, "smart")
    except (ValueError, KeyError, IndexError):
        num.bad = "not_a_number"
    else:
        num.value = Decimal(repr(value)) * factor
    if percent:
        return _finish(s, num, pos, end)
    return _after_number(s, num, pos, end)


def _after_number(s: str, num: _Num, start: int, end: int) -> tuple[_Num, int]:
    """A number's currency after it, approximation, percent sign and unit."""
    priced = _currency_after(s, num, end)
    approx = _APPROX_RE.match(s, priced)
    if approx is not None and priced == end:  # `3万多元`: the currency after the approximation
        end = _currency_after(s, num, approx.end())
    elif approx is not None:
        end = approx.end()
    else:
        end = priced
    if end < len(s) and s[end] == "%":
        num.percent = True
        end += 1
    unit = _UNIT_RE.match(s, end)
    if (
        unit is not None
        and _apart_ends(s, unit, _APPROX_RE)
        and _alias_at(s, unit.start(1)) is None
    ):
        num.unit = _UNITS[unit.group(1)]
        end = unit.end()
        approx = _APPROX_RE.match(s, end)
        if approx is not None:
            end = approx.end()
    return _finish(s, num, start, end)


def _currency_after(s: str, num: _Num, end: int) -> int:
    """Where `num` ends with the currency written after it at `end`, if one is."""
    after = _CUR_AFTER_RE.match(s, end)
    if (
        after is None
        or not _apart_ends(s, after, _APPROX_RE, _UNIT_RE)
        or _alias_at(s, after.start(1)) is not None
    ):
        return end
    if num.currency is not None:
        num.bad = num.bad or "not_a_number"
    num.currency = _CURRENCY[after.group(1)]
    return after.end()


def _finish(s: str, num: _Num, start: int, end: int) -> tuple[_Num, int]:
    glued = end < len(s) and (
        (s[end].isascii() and s[end].isalnum() and _alias_at(s, end) is None)
        or (s[end] in ".%$" and end + 1 < len(s) and s[end + 1].isdigit())
    )
    if glued:
        end = _glued_end(s, end)
        num.bad = "not_a_number"
    num.text = s[start:end].strip()
    return num, end


# ----------------------------------------------------------------------------- scanning


@functools.lru_cache(maxsize=512)
def _latin(ch: str) -> bool:
    """A letter of the Latin script (`a`, `ệ`, `ơ`) or a mark on one."""
    if ch.isascii():
        return ch.isalpha()
    if unicodedata.category(ch) == "Mn":
        return True
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


def _latin_end(s: str, pos: int) -> int:
    while pos < len(s) and (_latin(s[pos]) or s[pos] in "_'"):
        pos += 1
    return pos


def _tokens(norm: str) -> list[_Token]:
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in norm)  # same indices
    out: list[_Token] = []
    pos, n = 0, len(norm)
    last_label: str | None = None
    while pos < n:
        ch = norm[pos]
        if ch in _SPACES or ch in _ASSIGN:
            pos += 1
            continue
        if ch in _SEPARATORS:
            out.append(None)
            last_label = None
            pos += 1
            continue
        found = _alias_at(lowered, pos)
        mark = _MARK_RE.match(lowered, pos)
        if mark is not None and (found is None or mark.end() > found[1]):
            out.append(_Word(norm[pos : mark.end()], pos))  # `上场观看人数`: 上场, then 观看人数
            last_label = None
            pos = mark.end()
            continue
        if found is not None:
            alias, end = found
            after = end
            while after < n and norm[after] in _SPACES:
                after += 1
            assign = after < n and norm[after] in _ASSIGN
            out.append(_Label(norm[pos:end], _ALIAS_KEY[alias], alias in GENERIC, end, assign))
            last_label = _ALIAS_KEY[alias]
            pos = end
            continue
        if not out or out[-1] is None or isinstance(out[-1], _Num):  # `20:05 在线1200`,
            clock = _CLOCK_RE.match(lowered, pos)  # `在线1200 20:05`: the time is no value
            if clock is not None and clock.group(3) is None and int(clock.group(1)) < 24:
                pos = clock.end()
                continue
        date = _DATE_RE.match(lowered, pos)
        if date is not None:
            out.append(_Num(norm[pos : date.end()], bad="date"))
            last_label = None
            pos = date.end()
            continue
        quantity = _read_quantity(lowered, pos, out, last_label)
        if quantity is not None:
            num, end = quantity
            if last_label is not None and num.unit is None:
                end = _unit_label(lowered, num, end, last_label)
            upto = _RANGE_RE.match(lowered, end)
            if upto is not None and _even(upto.group(0), upto.group(1)):
                other = _read_quantity(lowered, upto.end(), out, last_label)
                if other is not None and not other[0].negative:  # `1200-1300`: a range
                    num, end = _Num("", bad="range"), other[1]
            num.text = norm[pos:end].strip()
            out.append(num)
            last_label = None
            pos = end
            continue
        start = pos
        if _latin(ch):  # `hiện`, `người`: a Latin word with its marks, read whole
            pos = _latin_end(norm, pos)
            then = pos
            while then < n and norm[then] in _SPACES:
                then += 1
            if then < n and then > pos and _latin(norm[then]):  # `hôm qua`, `hari ini`
                two = _latin_end(norm, then)
                if " ".join((lowered[start:pos], lowered[then:two])) in _PHRASES:
                    pos = two
        elif ch.isalpha():
            pos += 1
            while (
                pos < n
                and (norm[pos].isalpha() or unicodedata.category(norm[pos]) in ("Mn", "Mc"))
                and not norm[pos].isascii()
                and _alias_at(lowered, pos) is None
            ):  # a vowel or tone mark is of the word (Thai `คนดู`)
                pos += 1
        else:  # symbols, emoji, a sign or a dot alone: not part of any pair
            pos += 1
            continue
        out.append(_Word(norm[start:pos], start))
        last_label = None
    return out


def _read_quantity(
    s: str, pos: int, out: list[_Token], last_label: str | None
) -> tuple[_Num, int] | None:
    """The quantity at `pos`, in figures or in Chinese numerals."""
    quantity = _quantity(s, pos, stay_context=last_label == "avg_stay_s")
    if quantity is None:
        after_label = bool(out) and isinstance(out[-1], _Label)
        quantity = _chinese_quantity(s, pos, after_label=after_label)
    return quantity


def _even(between: str, mark: str) -> bool:
    """Whether the text between two numbers joins them as a range: a dash with a space on
    both sides or on neither (`1200 -50` is a number and a change), any other mark."""
    if mark != "-":
        return True
    before, _, after = between.partition("-")
    return bool(before) == bool(after)


def _unit_label(s: str, num: _Num, end: int, key: str) -> int:
    """Where `num`, ending at `end` after a label of `key`, ends with a unit spelled as a
    label after it (`_UNIT_LABELS`: `ออเดอร์ 35 ออเดอร์`): when that label is of `key` too
    and no number follows it."""
    at = end
    while at < len(s) and s[at] in _SPACES:
        at += 1
    found = _alias_at(s, at)
    if found is None or found[0] not in _UNIT_LABELS or _ALIAS_KEY[found[0]] != key:
        return end
    after = found[1]
    while after < len(s) and (s[after] in _SPACES or s[after] in _ASSIGN):
        after += 1
    if _quantity(s, after, stay_context=False) is not None:
        return end  # `คำสั่งซื้อ 35 ออเดอร์ 40`: the label of the next number
    num.unit = _UNIT_LABELS[found[0]]
    return found[1]


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


_UNIT_FITS: Final[dict[str, frozenset[str]]] = {
    "people": frozenset({
        "online", "viewers", "entries", "followers", "clicks", "buyers", "impressions",
        "product_impressions",
    }),
    "times": frozenset({
        "entries", "likes", "comments", "shares", "clicks", "impressions",
        "product_impressions", "viewers",
    }),
    "orders": frozenset({"orders"}),
    "cases": frozenset({
        "orders", "entries", "likes", "comments", "shares", "clicks", "impressions",
        "product_impressions",
    }),
    "items": frozenset({"items"}),
    "any": frozenset(k for k, kind in KINDS.items() if kind == "count"),
}  # fmt: skip
_GENERIC_BY_UNIT: Final[dict[str, str]] = {"orders": "orders", "items": "items", "people": "buyers"}
_KEY_BY_UNIT: Final[dict[str, str]] = {"orders": "orders", "items": "items"}


_DOT_GROUPED_COUNT_RE: Final = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
"""A count written with dots between groups of three digits, as Indonesia and Vietnam write
thousands: a count is whole, so `1.020` online is 1,020, never 1.02."""


class _Refused(Exception):
    def __init__(self, reason: Reason, hint: tuple[str, ...] = ()) -> None:
        self.reason = reason
        self.hint = hint


def _readings_hint(num: _Num) -> tuple[str, ...]:
    """An ambiguous figure's two readings for the reply: as written with 万 (or 만) after
    it, that value, and the value as written (`1亿8千`: `1亿8千万`, 180000000, 100008000)."""
    if num.readings is None:
        return ()
    wan = "만" if "억" in num.text else "万"
    with_wan, as_written = num.readings
    return (f"{num.text.strip()}{wan}", str(int(with_wan)), str(int(as_written)))


def _value(key: str, num: _Num) -> float:
    """The value `num` gives `key`, or `_Refused`."""
    if num.bad is not None:
        raise _Refused(num.bad, _readings_hint(num) if num.bad == "ambiguous" else ())
    assert num.value is not None
    kind = KINDS[key]
    value = num.value
    if kind == "duration":
        if num.currency or num.percent or num.unit:
            raise _Refused("wrong_unit")
    elif num.duration:
        raise _Refused("wrong_unit")
    if kind == "count":
        if num.currency or num.percent:
            raise _Refused("wrong_unit")
        if num.unit is not None and key not in _UNIT_FITS[num.unit]:
            raise _Refused("wrong_unit")
    elif kind == "money":
        if num.percent or num.unit not in (None, "any"):
            raise _Refused("wrong_unit")
    elif kind == "rate":
        if num.currency or num.unit is not None:
            raise _Refused("wrong_unit")
        value = value / 100  # `3.2%` and `3.2` are both 3.2 %
    if num.negative and value != 0:
        raise _Refused("negative")
    if kind == "count" and _DOT_GROUPED_COUNT_RE.fullmatch(num.text) is not None:
        value = Decimal(num.text.replace(".", ""))  # `penonton 1.020`, `1.000`: thousands
    if value > Decimal(repr(LIMITS[key])):
        raise _Refused("too_large")
    if kind == "count" and value != value.to_integral_value():
        raise _Refused("not_whole")
    return float(value)


_SECTION_END_RE: Final = re.compile(r"(万|亿|만|억)\s*$")
_SECTION_BELOW: Final = {"万": 10**4, "만": 10**4, "亿": 10**8, "억": 10**8}
_CN_PLACE_END_RE: Final = re.compile(r"[百千万]\s*$")
_SPACE_GROUPED_RE: Final = re.compile(r"[^0-9\s]*[1-9][0-9]{0,2}")
"""The first group of thousands grouped with spaces (`1 200`, `$1 200`)."""
_SPACE_GROUP_RE: Final = re.compile(r"[0-9]{3}(?:\.[0-9]+)?(?![0-9.,])")


def _split_figure(tokens: list[_Token], i: int) -> Literal["joined", "split"] | None:
    """Whether the number at ``i``, after a label, and a bare whole number after it with
    a space and no label of its own are one figure written apart. After 万, 亿, 만 or 억
    with a smaller number: "joined" when that number has a Chinese place of its own
    (`1万 2千`, `1亿 3000万`: 12,000 and 130,000,000), "split" when it is bare
    (`成交1万 2000`: 12,000, or 10,000 and a stray number?); "split" too for thousands
    grouped with a space (`online 1 200`). Stored as 10,000 and 1, such figures were
    wrong whenever the host meant 12,000 and 1,200."""
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if not (isinstance(tok, _Num) and isinstance(nxt, _Num)) or tok.bad or tok.value is None:
        return None
    if nxt.bad or nxt.value is None or nxt.currency or not nxt.text[:1].isdigit():
        return None
    if nxt.percent or nxt.duration:
        return None
    then = tokens[i + 2] if i + 2 < len(tokens) else None
    after = tokens[i + 3] if i + 3 < len(tokens) else None
    if isinstance(then, _Num):
        return None  # `成交3万 2026-11-30`: a date or a list after the figure
    if isinstance(then, (_Label, _Word)) and not isinstance(after, _Num):
        return None  # `成交1万 2000在线`: the 2000 has its label after it
    end = _SECTION_END_RE.search(tok.text)
    if end is None:  # `在线 12 300人`: the unit, if any, comes after the last group
        plain = tok.unit is None and not (tok.percent or tok.duration)
        group = _SPACE_GROUP_RE.match(nxt.text)
        grouped = _SPACE_GROUPED_RE.fullmatch(tok.text) and group is not None
        return "split" if plain and grouped else None
    place = _SECTION_BELOW[end.group(1)]
    if nxt.unit or nxt.value != int(nxt.value) or not 0 < nxt.value < place:
        return None
    whole = tok.value % place == 0
    return "joined" if whole and _CN_PLACE_END_RE.search(nxt.text) else "split"


def parse_stats(text: str) -> StatParse:
    """Read a snapshot message (see the module doc)."""
    result = StatParse()
    tokens = _tokens(_normalize(text))

    def ignore(
        text: str, reason: Reason, key: str | None = None, hint: tuple[str, ...] = ()
    ) -> None:
        if key is not None and key.startswith(_WORKED_OUT):  # `客单价 89`, or `客单价` alone
            reason, key = "worked_out", key.removeprefix(_WORKED_OUT)
        result.ignored.append(Ignored(_cut(text), reason, key, hint))

    stored: dict[str, str] = {}  # each key stored so far, as it was written

    def pair(label: _Label | _Word, num: _Num, label_first: bool) -> None:
        written = f"{label.text} {num.text}" if label_first else f"{num.text} {label.text}"
        if isinstance(label, _Label) and label.not_now is not None:
            ignore(label.before + written, label.not_now, label.key)
            return
        if isinstance(label, _Word):
            unknown = sum(1 for i in result.ignored if i.reason == "unknown_label")
            hint = suggest_labels(label.text) if unknown < MAX_SUGGESTED else ()
            ignore(written, "unknown_label", hint=hint)
            return
        key = label.key
        if key.startswith(_WORKED_OUT):
            ignore(written, "worked_out", key)
            return
        if label.generic and num.unit in _GENERIC_BY_UNIT:
            key = _GENERIC_BY_UNIT[num.unit]
        try:
            value = _value(key, num)
        except _Refused as refused:
            ignore(written, refused.reason, key, refused.hint)
            return
        if key in stored and result.values[key] != value:  # `在线1200 在线1300`: the later
            ignore(stored[key], "repeated", key)  # one stands, and the reply says so
        result.values[key], stored[key] = value, written
        if KINDS[key] == "money" and num.currency and result.currency is None:
            result.currency = num.currency

    def orphan(num: _Num) -> None:
        key = _KEY_BY_UNIT.get(num.unit or "")
        if key is not None and num.bad is None:  # `56单` can only be orders
            pair(_Label("", key, False), num, False)
        else:
            ignore(num.text, "no_label" if num.bad is None else num.bad)

    label: _Label | _Word | None = None
    number: _Num | None = None
    skip = -1
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if i == skip:
            continue
        if (
            isinstance(label, _Label)
            and label.not_now is None  # `目标 1万 2000` is named back as a target
            and (apart := _split_figure(tokens, i)) is not None
        ):
            assert isinstance(tok, _Num) and isinstance(nxt, _Num)
            written = f"{tok.text} {nxt.text}"
            if apart == "joined":  # `1万 2千`, `1亿 3000万`: one figure, as Korean writes it
                assert tok.value is not None and nxt.value is not None
                pair(label, replace(tok, text=written, value=tok.value + nxt.value), True)
            else:
                joined = (f"{tok.text}{nxt.text}",)  # what to write for one figure
                ignore(f"{label.text} {written}", "split_figure", label.key, joined)
            label, skip = None, i + 1
            continue
        if tok is None:
            if isinstance(label, _Label):
                ignore(label.text, "missing", label.key)
            if number is not None:
                orphan(number)
            label, number = None, None
        elif isinstance(tok, _Label):
            if isinstance(label, _Label):
                ignore(label.text, "missing", label.key)
            if isinstance(label, _Word) and (why := _not_now(label.text)) is not None:
                glue = "" if _unspaced(label.text[-1]) and _unspaced(tok.text[0]) else " "
                tok = _Label(
                    tok.text, tok.key, tok.generic, tok.end, tok.assign, label.text + glue, why
                )
            label = None
            if number is not None and not tok.assign and not isinstance(nxt, _Num):
                pair(tok, number, False)
                number = None
                continue
            if number is not None:
                orphan(number)
                number = None
            label = tok
        elif isinstance(tok, _Num):
            if label is not None:
                pair(label, tok, True)
                label = None
            else:
                if number is not None:
                    orphan(number)
                number = tok
        else:  # a word that is no label
            ahead = next(
                (t for t in tokens[i + 1 :] if not _connector(t)), None
            )  # `doanh thu hiện tại 12tr`: through every word that changes nothing
            after = isinstance(label, _Label) and not label.assign and isinstance(ahead, _Num)
            if not _connector(tok):
                after = after and isinstance(nxt, _Num)
            if isinstance(label, _Label) and after and (why := _not_now(tok.text)) is not None:
                glue = " " if label.end < tok.start else ""  # `คนดูสูงสุด 2000`, `gmv target 10k`
                label = _Label(
                    f"{label.text}{glue}{tok.text}", label.key, label.generic, label.end,
                    before=label.before, not_now=label.not_now or why,
                )  # fmt: skip
            elif isinstance(label, _Label) and after and _connector(tok):
                glue = " " if label.end < tok.start else ""  # `在线掉到800`, `gmv is 3.4k`
                label = replace(label, text=f"{label.text}{glue}{tok.text}")
            elif isinstance(label, _Label):
                if label.end == tok.start and not label.assign and isinstance(nxt, _Num):
                    label = _Word(label.text + tok.text)  # `在线人素 2000`: one unknown label
                else:  # `online=lots`
                    ignore(f"{label.text} {tok.text}", "not_a_number", label.key)
                    label = None
            elif isinstance(label, _Word):
                glue = "" if not (label.text + tok.text).isascii() else " "
                label = _Word(f"{label.text}{glue}{tok.text}")
            elif number is not None and not isinstance(nxt, _Num):
                pair(tok, number, False)
                number = None
            else:
                label = tok
    if isinstance(label, _Label):
        ignore(label.text, "missing", label.key)
    if number is not None:
        orphan(number)
    return result
