"""The kinds of file read, their columns, and the header cells (en, zh) that name them.

A header cell is compared after `normalize_header`: NFKC, lower case, and only letters and
digits kept, so `人均观看时长（秒）`, `人均观看时长(秒)` and `人均观看时长 秒` are one name,
and so are `Avg. viewing duration per view` and `avg viewing duration per view`.
A kind is found from the header alone, never from the file name.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "KINDS",
    "ColumnSpec",
    "HeaderMatch",
    "KindSpec",
    "ValueType",
    "header_signature",
    "match_header",
    "normalize_header",
]

ValueType = Literal["count", "amount", "percent", "duration", "datetime", "text", "bool"]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A canonical column: its value type and the header cells that name it.

    `aliases` maps a header spelling to the factor that brings its values to the canonical
    unit (seconds, yuan/dollars, persons): `观看时长(分钟)` → 60.
    """

    name: str
    type: ValueType
    aliases: dict[str, float]
    required: bool = False
    output: bool = True  # False: read to derive another column, not stored


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One kind of file: its canonical columns in frame order."""

    name: str
    columns: tuple[ColumnSpec, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def output_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.output)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def normalize_header(cell: object) -> str:
    """A header cell reduced to lower-case letters and digits (after NFKC)."""
    text = unicodedata.normalize("NFKC", "" if cell is None else str(cell)).lower()
    return "".join(ch for ch in text if ch.isalnum())


def _a(*names: str, factor: float = 1.0) -> dict[str, float]:
    return {normalize_header(n): factor for n in names}


def _col(
    name: str,
    type_: ValueType,
    *alias_groups: dict[str, float],
    required: bool = False,
    output: bool = True,
) -> ColumnSpec:
    merged: dict[str, float] = {}
    for group in alias_groups:
        merged.update(group)
    return ColumnSpec(name, type_, merged, required=required, output=output)


_SECONDS = ("", "s", "秒", "sec", "seconds")

MINUTES: Final = KindSpec(
    "minutes",
    (
        _col(
            "ts",
            "datetime",
            _a("时间", "时间点", "分钟", "日期时间", "time", "minute", "timestamp", "datetime"),
            required=True,
        ),
        _col(
            "online",
            "count",
            _a(
                "实时在线人数",
                "在线人数",
                "实时在线",
                "online",
                "online viewers",
                "concurrent viewers",
                "viewers online",
            ),
            required=True,
        ),
        _col(
            "entries",
            "count",
            _a(
                "进入直播间人数",
                "进入直播间人次",
                "进场人数",
                "进场",
                "entries",
                "entered",
                "viewers entered",
            ),
        ),
        _col(
            "exits",
            "count",
            _a(
                "直播间离开人数",
                "离开直播间人数",
                "离开人数",
                "离场人数",
                "exits",
                "left",
                "viewers left",
            ),
        ),
        _col(
            "avg_watch_s",
            "duration",
            _a(
                *(f"人均观看时长{u}" for u in _SECONDS),
                *(f"平均观看时长{u}" for u in _SECONDS),
                *(f"avg watch time{u}" for u in ("", " (s)", " s")),
                "average watch time",
                "avg_watch_s",
            ),
            _a("人均观看时长(分钟)", "人均观看时长分钟", "avg watch time (min)", factor=60.0),
        ),
        _col(
            "impressions",
            "count",
            _a("商品曝光人数", "商品曝光次数", "商品曝光", "product impressions", "impressions"),
        ),
        _col(
            "clicks",
            "count",
            _a("商品点击人数", "商品点击次数", "商品点击", "product clicks", "clicks"),
        ),
        _col("buyers", "count", _a("成交人数", "下单人数", "购买人数", "buyers", "customers")),
        _col("orders", "count", _a("成交订单数", "订单数", "成交单数", "orders")),
        _col(
            "gmv",
            "amount",
            _a("成交金额", "成交额", "成交金额(元)", "销售额", "gmv", "sales"),
            _a("成交金额(万元)", "成交金额万元", factor=1e4),
        ),
        _col(
            "followers",
            "count",
            _a("新增粉丝数", "新增粉丝", "涨粉", "涨粉数", "followers", "new followers"),
        ),
        _col("likes", "count", _a("点赞次数", "点赞数", "点赞", "likes")),
        _col("comments", "count", _a("评论次数", "评论数", "评论", "comments")),
    ),
)

VIEWERS: Final = KindSpec(
    "viewers",
    (
        _col(
            "user_id",
            "text",
            _a(
                "user_id",
                "用户ID",
                "用户id",
                "用户",
                "uid",
                "viewer id",
                "viewer",
                "user",
                "观众ID",
                "观众",
            ),
            required=True,
        ),
        _col(
            "watch_time_s",
            "duration",
            _a(
                "watch_time",
                "watch time",
                "watch time (s)",
                "watch_time_s",
                "watch seconds",
                *(f"观看时长{u}" for u in _SECONDS),
                "停留时长",
                "停留时长(秒)",
            ),
            _a("观看时长(分钟)", "watch time (min)", factor=60.0),
            required=True,
        ),
        _col("likes", "count", _a("likes", "点赞数", "点赞次数", "点赞")),
        _col("comments", "count", _a("comments", "评论数", "评论次数", "评论")),
        _col("shares", "count", _a("shares", "分享数", "分享次数", "分享")),
        _col(
            "purchase_count",
            "count",
            _a("purchase_frequency", "purchase_count", "purchases", "历史购买次数", "购买次数"),
        ),
        _col(
            "purchase_amount",
            "amount",
            _a("purchase_amount", "历史购买金额", "历史消费金额", "购买金额"),
        ),
        _col(
            "spend",
            "amount",
            _a("buy_power", "spend", "本场消费金额", "本场消费", "本场购买金额", "本场成交金额"),
        ),
        _col(
            "censored",
            "bool",
            _a("censored", "still_watching", "still watching", "仍在观看", "未离开"),
        ),
    ),
)

SESSIONS: Final = KindSpec(
    "sessions",
    (
        _col(
            "started_at",
            "datetime",
            _a("start time", "started at", "开播时间", "直播开始时间", "开始时间"),
            required=True,
        ),
        _col(
            "ended_at",
            "datetime",
            _a("end time", "ended at", "下播时间", "直播结束时间", "结束时间"),
            output=False,
        ),
        _col("duration_s", "duration", _a("duration", "直播时长", "时长")),
        _col(
            "gmv",
            "amount",
            _a("attributed gmv", "gmv", "成交金额", "直播间成交金额", "成交额", "销售额"),
        ),
        _col("views", "count", _a("views", "观看人次", "场观", "累计观看人数", "观看次数")),
        _col("impressions", "count", _a("product impressions", "商品曝光人数", "商品曝光次数")),
        _col("clicks", "count", _a("product clicks", "商品点击人数", "商品点击次数")),
        _col("orders", "count", _a("attributed orders", "orders", "成交订单数", "订单数")),
        _col("buyers", "count", _a("customers", "buyers", "成交人数")),
        _col(
            "items",
            "count",
            _a("attributed items sold", "items sold", "成交件数", "成交商品件数", "销量"),
        ),
        _col("ctr", "percent", _a("ctr", "product ctr", "商品点击率", "点击率")),
        _col("ctor", "percent", _a("ctor", "点击-成交转化率", "商品点击-成交转化率")),
        _col("gpm", "amount", _a("watch gpm", "gpm", "千次观看成交金额", "看播千次成交金额")),
        _col("followers", "count", _a("new followers", "新增粉丝数", "涨粉数", "涨粉")),
        _col(
            "peak_online",
            "count",
            _a("peak viewers", "peak online", "pcu", "最高在线人数", "最高在线", "在线人数峰值"),
        ),
        _col(
            "avg_watch_s",
            "duration",
            _a(
                "avg. viewing duration per view",
                "avg viewing duration",
                "average viewing duration",
                "人均观看时长",
                "人均观看时长(秒)",
            ),
        ),
        _col("title", "text", _a("room title", "title", "直播标题", "标题", "直播间标题")),
        _col("room_id", "text", _a("room id", "直播间id", "房间id", "场次id", "直播id")),
    ),
)

PRODUCTS: Final = KindSpec(
    "products",
    (
        _col("product_id", "text", _a("product id", "商品id", "商品编号", "sku id", "item id")),
        _col(
            "name",
            "text",
            _a("product name", "product", "product title", "商品名称", "商品标题", "商品名"),
            required=True,
        ),
        _col(
            "impressions",
            "count",
            _a("product impressions", "impressions", "商品曝光人数", "商品曝光次数", "商品曝光"),
        ),
        _col(
            "clicks",
            "count",
            _a("product clicks", "clicks", "商品点击人数", "商品点击次数", "商品点击"),
        ),
        _col("orders", "count", _a("sku orders", "orders", "成交订单数", "订单数")),
        _col("buyers", "count", _a("customers", "buyers", "成交人数", "购买人数")),
        _col("items", "count", _a("items sold", "成交件数", "销量", "成交商品件数")),
        _col(
            "gmv",
            "amount",
            _a("gmv", "成交金额", "成交金额(元)", "成交额", "销售额"),
            _a("成交金额(万元)", factor=1e4),
        ),
        _col("explain_count", "count", _a("讲解次数", "explanations", "times presented")),
        _col(
            "explain_s",
            "duration",
            _a("讲解时长", "讲解时长(秒)", "presentation time", "time presented"),
            _a("讲解时长(分钟)", factor=60.0),
        ),
    ),
)

KINDS: Final[dict[str, KindSpec]] = {k.name: k for k in (MINUTES, VIEWERS, SESSIONS, PRODUCTS)}


@dataclass(frozen=True)
class HeaderMatch:
    """How a header row reads as one kind."""

    kind: KindSpec
    #: canonical column → (position in the row, header cell as written, unit factor)
    columns: dict[str, tuple[int, str, float]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def score(self) -> int:
        return len(self.columns)


def header_signature(cells: Sequence[object]) -> str:
    """A short fingerprint of a header row (its cells after `normalize_header`, in order):
    files laid out alike share it, so an answer about one of their columns fits them all."""
    joined = "\x1f".join(normalize_header(c) for c in cells).rstrip("\x1f")
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def _match_kind(
    kind: KindSpec,
    names: Sequence[str],
    cells: Sequence[str],
    mapping: Mapping[str, str] | None = None,
) -> HeaderMatch:
    found: dict[str, tuple[int, str, float]] = {}
    taken: set[int] = set()
    for field_name, header in (mapping or {}).items():
        wanted = normalize_header(header)
        if not wanted or field_name not in {c.name for c in kind.columns}:
            continue
        for pos, name in enumerate(names):
            if pos not in taken and name == wanted:
                spec = kind.column(field_name)
                factor = spec.aliases.get(name, 1.0)
                found[field_name] = (pos, str(cells[pos]).strip(), factor)
                taken.add(pos)
                break
    for spec in kind.columns:
        if spec.name in found:
            continue
        for pos, name in enumerate(names):
            if pos in taken or name not in spec.aliases:
                continue
            found[spec.name] = (pos, str(cells[pos]).strip(), spec.aliases[name])
            taken.add(pos)
            break
    missing = tuple(c for c in kind.required if c not in found)
    return HeaderMatch(kind, found, missing)


def match_header(
    cells: Sequence[object], mapping: Mapping[str, str] | None = None
) -> HeaderMatch | None:
    """The kind this header row names best, or None when it names none.

    A complete match (every required column present) beats a partial one; among equals the
    one naming more columns wins. A partial match is returned only when it names at least
    two columns of its kind (so the caller can say which required columns are missing).
    `mapping` (canonical column → header cell, as a host answered) places columns the
    aliases do not know; it is applied before them.
    """
    texts = ["" if c is None else str(c) for c in cells]
    names = [normalize_header(c) for c in texts]
    best: HeaderMatch | None = None
    for kind in KINDS.values():
        m = _match_kind(kind, names, texts, mapping)
        if m.score == 0:
            continue
        key = (m.complete, m.score)
        if best is None or key > (best.complete, best.score):
            best = m
    if best is None or (not best.complete and best.score < 2):
        return None
    return best
