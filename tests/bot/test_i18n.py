"""The catalog: every text in both languages, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.formatting import CURRENCY_SIGNS
from bot.i18n import CATALOG, LANGUAGES, SINGULAR, language_from_telegram, t
from bot.presenters import currency_named
from core.charts import LABELS
from core.segments import SEGMENT_NAMES


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOG[key]
    assert set(entry) == set(LANGUAGES)
    assert _fields(entry["en"]) == _fields(entry["zh"]), key
    assert entry["zh"] != entry["en"] or not entry["en"].strip("{} abcdefghijklmnopqrstuvwxyz_")


@pytest.mark.parametrize("code", sorted(CURRENCY_SIGNS))
def test_every_currency_has_a_name_in_both_languages(code: str) -> None:
    assert f"currency_name_{code.lower()}" in CATALOG
    sign = "".join(CURRENCY_SIGNS[code]).strip()
    assert currency_named(code, "en", "$").endswith(" ($)")
    assert currency_named(code, "zh").endswith(f"（{sign}）")
    assert currency_named("XYZ", "zh") == "XYZ"  # a code without a name: as it is


def test_language_from_telegram() -> None:
    assert language_from_telegram("zh-hans") == "zh"
    assert language_from_telegram("zh-TW") == "zh"
    assert language_from_telegram("en-US") == "en"
    assert language_from_telegram("ru") == "en"
    assert language_from_telegram(None) == "en"


def test_unknown_language_falls_back_to_english() -> None:
    assert t("fr", "lang_set") == CATALOG["lang_set"]["en"]
    assert t("zh", "no_open_session") == CATALOG["no_open_session"]["zh"]


def _source() -> str:
    root = Path(__file__).resolve().parents[2]
    files = [p for d in ("bot", "core", "storage") for p in (root / d).rglob("*.py")]
    return "\n".join(p.read_text("utf-8") for p in files if p.name != "i18n.py")


def test_every_key_in_the_catalogue_is_used() -> None:
    """A key is named in the code, or built from a prefix the code names (`f"sugg_{code}"`)."""
    source = _source()
    prefixes = set(re.findall(r"f[\"']([a-z_]+_)\{", source))
    prefixes |= set(re.findall(r"[\"']([a-z_]+_)[\"']\s*\+", source))
    unused = [
        key
        for key in CATALOG
        if f'"{key}"' not in source
        and f"'{key}'" not in source
        and not any(key.startswith(p) for p in prefixes)
    ]
    assert unused == []


def test_the_check_for_unused_keys_can_fail() -> None:
    source = _source()
    assert '"details_button"' in source and '"no_such_key_anywhere"' not in source


@pytest.mark.parametrize("key", sorted(LABELS["en"]))
def test_every_chart_label_has_both_languages_with_the_same_placeholders(key: str) -> None:
    assert set(LABELS) == set(LANGUAGES) and key in LABELS["zh"]
    assert _fields(LABELS["en"][key]) == _fields(LABELS["zh"][key]), key
    assert LABELS["zh"][key] != LABELS["en"][key]


def test_every_segment_name_has_both_languages() -> None:
    for key, (en, zh) in SEGMENT_NAMES.items():
        assert en and zh and en != zh, key
        assert _fields(en) == _fields(zh) == set()


NOT_NOUNS = frozenset({"as", "gives", "has", "is", "its", "less", "s", "this", "vs", "was"})
"""Words ending in s written after a placeholder that are not counted nouns."""
_AFTER_COUNT = re.compile(r"\{(\w+)\} (?:([a-z]+|\{\w+\}) )?([a-z]+)\b")


def _counted_nouns() -> list[tuple[str, str, str]]:
    """(key, placeholder, noun) for every English noun in the plural after a placeholder."""
    out = []
    for key, entry in CATALOG.items():
        for m in _AFTER_COUNT.finditer(entry["en"]):
            name, between, noun = m.groups()
            for word in (between, noun):
                if word and word.endswith("s") and word not in NOT_NOUNS:
                    out.append((key, name, word))
    return out


def test_every_noun_counted_in_english_has_its_singular() -> None:
    missing = {noun for _, _, noun in _counted_nouns() if noun not in SINGULAR}
    assert not missing, f"add to bot.i18n.SINGULAR (or NOT_NOUNS here): {sorted(missing)}"


@pytest.mark.parametrize(("key", "name", "noun"), _counted_nouns())
def test_a_count_of_one_takes_the_singular(key: str, name: str, noun: str) -> None:
    params: dict[str, object] = dict.fromkeys(_fields(CATALOG[key]["en"]), "2")
    assert noun in t("en", key, **params)
    params[name] = "1"
    one = t("en", key, **params)
    assert re.search(rf"\b1 (?:\S+ )?{SINGULAR[noun]}\b", one), one
    params[name] = 1
    assert t("en", key, **params) == one
    assert t("zh", key, **params) == CATALOG[key]["zh"].format(**params)  # no plural there


def test_a_percentage_is_written_one_way() -> None:
    """`51%` as `bot.formatting.fmt_pct` writes it, never `10 %` beside it."""
    spaced = {k: e["en"] for k, e in CATALOG.items() if re.search(r"[0-9}] %", e["en"])}
    assert not spaced, spaced
