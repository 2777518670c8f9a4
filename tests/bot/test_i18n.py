"""The catalog: every text in both languages, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot.i18n import CATALOG, LANGUAGES, language_from_telegram, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOG[key]
    assert set(entry) == set(LANGUAGES)
    assert _fields(entry["en"]) == _fields(entry["zh"]), key
    assert entry["zh"] != entry["en"] or not entry["en"].strip("{} abcdefghijklmnopqrstuvwxyz_")


def test_language_from_telegram() -> None:
    assert language_from_telegram("zh-hans") == "zh"
    assert language_from_telegram("zh-TW") == "zh"
    assert language_from_telegram("en-US") == "en"
    assert language_from_telegram("ru") == "en"
    assert language_from_telegram(None) == "en"


def test_unknown_language_falls_back_to_english() -> None:
    assert t("fr", "lang_set") == CATALOG["lang_set"]["en"]
    assert t("zh", "no_open_session") == CATALOG["no_open_session"]["zh"]
