"""The answer to a push: words about stay and leaving, units on every number, what was left
out named within Telegram's limit, in English and Chinese from the catalogue."""

from __future__ import annotations

import math
import re
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import CATALOG
from bot.presenters import stat_reply
from bot.services.live import StatResult
from bot.settings_input import currency_from_symbol
from bot.statparse import KEYS, Reason, parse_stats


def _stored(text: str, **extra: object) -> StatResult:
    parsed = parse_stats(text)
    status = "ok" if parsed.values else ("bad_values" if parsed.ignored else "nothing")
    currency = currency_from_symbol(parsed.currency) if parsed.currency else None
    result = StatResult(status, parsed.values, parsed.ignored, currency, session_id=1)
    for name, value in extra.items():
        setattr(result, name, value)
    return result


def test_every_key_and_reason_has_its_words_in_both_languages() -> None:
    for key in KEYS:
        assert f"push_key_{key}" in CATALOG and f"push_val_{key}" in CATALOG
    for reason in get_args(Reason):
        assert f"push_why_{reason}" in CATALOG


def test_stay_is_said_in_words_not_lambda() -> None:
    result = _stored(
        "在线900 进场2400",
        live_s=3900.0,
        since_s=120.0,
        changes={"online": -100.0},
        lambda_per_s=math.log(2) / 600,
        half_life_s=600.0,
        recent_lambda_per_s=math.log(2) / 240,
        recent_half_life_s=240.0,
    )
    zh = stat_reply(result, "zh", explicit=False)
    assert zh.splitlines() == [
        "✅ 已记录（开播 1小时5分，距上次 2分钟）：在线 900人（−100），进场 2,400人次。",
        "停留：一半观众在 10分钟内离开；最近 10分钟缩短到 4分钟，观众流失加快。",
    ]
    en = stat_reply(result, "en", explicit=False)
    assert en.splitlines() == [
        "✅ Got it, 1 h 5 min into the stream (2 min after the last push): 900 online (−100), "
        "2,400 views.",
        "Stay: half of the viewers leave within 10 min; in the last 10 min, within 4 min: "
        "people are leaving faster.",
    ]
    steady = _stored("online 900", half_life_s=600.0, recent_half_life_s=590.0)
    assert stat_reply(steady, "en", explicit=False).splitlines()[1] == (
        "Stay: half of the viewers leave within 10 min."
    )


def test_every_kind_of_value_carries_its_unit() -> None:
    result = _stored("成交56单 成交额￥1.5万 成交34件 人均停留1分30秒 转化率3.2% 涨粉88")
    zh = stat_reply(result, "zh", explicit=False)
    assert zh == (
        "✅ 已记录：订单 56单，成交额 ¥1.5万，成交 34件，人均停留 1分30秒，转化率 3.2%，涨粉 88人。"
    )


def test_chinese_replies_use_chinese_punctuation() -> None:
    result = _stored("在线1200 mood 5 再线300")
    zh = stat_reply(result, "zh", explicit=False)
    assert not re.search(r"[,:;()]", re.sub(r"\d,\d", "", zh)), zh  # `1,200` is a number
    assert "“再线 300”（是不是想写“在线”？）" in zh


def test_440_bad_values_name_the_first_few_and_count_the_rest() -> None:
    result = _stored(" ".join(f"点赞={i}abc" for i in range(440)))
    assert result.status == "bad_values"
    for lang in ("en", "zh"):
        text = stat_reply(result, lang, explicit=True)
        assert len(text) <= 4096
    assert "…and 432 more" in stat_reply(result, "en", explicit=True)
    assert "……另有 432 项" in stat_reply(result, "zh", explicit=True)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(st.characters(blacklist_characters="“”‘’"), max_size=4096),
    lang=st.sampled_from(["en", "zh"]),
)
def test_any_push_gets_a_reply_within_telegrams_limit_without_non_finite_numbers(
    text: str, lang: str
) -> None:
    reply = stat_reply(_stored(text), lang, explicit=True)
    assert 0 < len(reply) <= 4096
    ours = re.sub(r"“[^”]*”|‘[^’]*’", "", reply)  # what the host wrote is quoted back
    assert not re.search(r"(?i)\b(inf|infinity|nan)\b|∞", ours), reply


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet="abcdefghijklmnop在线成交额", min_size=1, max_size=200),
        min_size=1,
        max_size=300,
    )
)
def test_many_long_unknown_labels_still_fit(words: list[str]) -> None:
    text = " ".join(f"{w} 1" for w in words)
    for lang in ("en", "zh"):
        assert len(stat_reply(_stored(text), lang, explicit=True)) <= 4096


def test_an_ambiguous_figure_is_answered_with_its_two_readings() -> None:
    """`成交1亿8千`, `매출 1억 2천`: 1亿8千万 or 100,008,000? The reply names both, in the
    host's figures, and how to write each (it gave a fixed example of 1亿2000 before)."""
    zh = stat_reply(_stored("成交1亿8千 订单35"), "zh", explicit=False)
    assert "“成交 1亿8千”（是 1亿8千万 即 180,000,000，还是 100,008,000？" in zh
    assert "请写 1亿8千万 或 100008000" in zh and "订单 35单" in zh
    en = stat_reply(_stored("매출 1억 2천"), "en", explicit=False)
    assert "1억 2천만, that is 120,000,000, or 100,002,000? Write 1억 2천만 or 100002000" in en


def test_a_key_given_twice_says_which_one_was_kept() -> None:
    """`在线1200 在线1300` stored 1,300 and said nothing of the 1,200; the same value twice
    (`新粉 66 关注 66`) is no news."""
    zh = stat_reply(_stored("在线1200 在线1300"), "zh", explicit=False)
    assert "在线 1,300人" in zh and "“在线 1200”（同一条消息里在线写了两次，记录的是后一个）" in zh
    assert "Not stored" not in stat_reply(_stored("新粉 66 关注 66"), "en", explicit=False)


def test_a_figure_written_apart_is_answered_with_it_written_together() -> None:
    zh = stat_reply(_stored("在线1200 成交1万 2000"), "zh", explicit=False)
    assert "“成交 1万 2000”（是一个数还是两个数？一个数请连写为 1万2000；" in zh
    en = stat_reply(_stored("online 1 200"), "en", explicit=False)
    assert "“online 1 200” (one figure or two? For one, write 1200; " in en
