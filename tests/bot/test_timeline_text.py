"""Product and event cues in chat: what hosts type is read, and pushes are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.timeline_text import (
    EVENT_WORDS,
    LABEL_MAX,
    EventCue,
    ProductCue,
    event_args,
    product_args,
    recognise,
)
from core.events import EVENT_KINDS

CORPUS = Path(__file__).parents[1] / "data" / "push_corpus.yaml"


@pytest.mark.parametrize(
    ("text", "no", "label"),
    [
        ("讲解 3号链接 口红", 3, "口红"),
        ("3号 口红", 3, "口红"),
        ("3号链接：口红", 3, "口红"),
        ("第12号 粉底液 30ml", 12, "粉底液 30ml"),
        ("3号链接", 3, None),
        ("5号口红", 5, "口红"),
        ("讲解 口红", None, "口红"),
        ("presenting Lip Tint", None, "Lip Tint"),
    ],
)
def test_products_are_read(text: str, no: int | None, label: str | None) -> None:
    assert recognise(text) == ProductCue(no, label)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("福袋", "giveaway"),
        ("发福袋", "giveaway"),
        ("福袋来了~", "giveaway"),
        ("降价 口红", "price_drop"),
        ("上新", "new_product"),
        ("coupon", "coupon"),
        ("Giveaway!", "giveaway"),
        ("flash sale", "flash_sale"),
        ("restock", "restock"),
        ("优惠券", "coupon"),
        ("秒杀", "flash_sale"),
        ("补货", "restock"),
        ("置顶", "pin"),
        ("pin", "pin"),
    ],
)
def test_events_are_read_as_their_kind(text: str, kind: str) -> None:
    cue = recognise(text)
    assert isinstance(cue, EventCue) and cue.kind == kind and cue.label == text


@pytest.mark.parametrize(
    "text",
    ["3号 在线1200", "福袋 在线800 成交1万", "pineapple", "今天3号", "0号 口红", "1000号", ""],
)
def test_pushes_and_chatter_are_not_cues(text: str) -> None:
    assert recognise(text) is None


def test_no_push_of_the_corpus_is_taken_for_a_cue() -> None:
    entries = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    pushes = [e["text"] for e in entries if e.get("values")]
    assert len(pushes) > 50
    taken = [text for text in pushes if recognise(text) is not None]
    assert taken == []


def test_every_event_word_maps_to_a_known_kind_and_every_kind_has_words() -> None:
    assert set(EVENT_WORDS.values()) == set(EVENT_KINDS)
    for word, kind in EVENT_WORDS.items():
        assert recognise(word) == EventCue(kind, word)
        assert event_args(word) == EventCue(kind, word)


def test_command_arguments() -> None:
    assert product_args("") == ProductCue(None, None) and product_args("").ends
    assert product_args("3 口红") == ProductCue(3, "口红")
    assert product_args("#12 lipstick") == ProductCue(12, "lipstick")
    assert product_args("3号链接 口红") == ProductCue(3, "口红")
    assert product_args("口红") == ProductCue(None, "口红")
    assert event_args("flash sale 9.9") == EventCue("flash_sale", "flash sale 9.9")
    assert event_args("dance") is None and event_args("") is None


@given(
    st.integers(1, 999),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=80),
)
def test_any_numbered_product_reads_back(no: int, name: str) -> None:
    cue = recognise(f"{no}号 {name}")
    assert cue == ProductCue(no, name[:LABEL_MAX])
    assert product_args(f"{no} {name}") == ProductCue(no, name[:LABEL_MAX])


@given(st.text(max_size=200))
def test_anything_typed_is_a_cue_or_nothing_and_labels_stay_short(text: str) -> None:
    cue = recognise(text)
    assert cue is None or isinstance(cue, ProductCue | EventCue)
    if isinstance(cue, EventCue):
        assert cue.kind in EVENT_KINDS
    if cue is not None and cue.label is not None:
        assert 0 < len(cue.label) <= LABEL_MAX
    args = product_args(text)
    assert args.label is None or len(args.label) <= LABEL_MAX
