"""Finding a CJK font for Chinese chart labels.

:func:`cjk_font` looks once (the answer is cached) for an installed font family with
Chinese glyphs: first among the families matplotlib already knows, then among the
system font files (matplotlib's font cache may predate a font installed later). Without
one, :func:`chart_lang` turns a Chinese request into English, so charts never show boxes.
"""

from __future__ import annotations

import functools
import os

__all__ = ["CJK_FAMILIES", "chart_lang", "cjk_font", "font_family"]

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "AR PL UKai CN",
)
"""Preferred families, best first."""

_FILE_HINTS = (
    "notosanscjk",
    "notoserifcjk",
    "sourcehan",
    "wqy",
    "droidsansfallback",
    "simhei",
    "msyh",
    "pingfang",
    "uming",
    "ukai",
    "notosanssc",
)
_PROBE = "中文直播"
BASE_FAMILY = "DejaVu Sans"


def _has_cjk_glyphs(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
        return all(font.get_char_index(ord(ch)) != 0 for ch in _PROBE)
    except Exception:
        return False


def _known() -> dict[str, str]:
    from matplotlib import font_manager

    return {f.name: f.fname for f in font_manager.fontManager.ttflist}


def _pick(known: dict[str, str]) -> str | None:
    for family in CJK_FAMILIES:
        if family in known and _has_cjk_glyphs(known[family]):
            return family
    for name, path in sorted(known.items()):
        if "CJK" in name and _has_cjk_glyphs(path):
            return name
    return None


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None."""
    from matplotlib import font_manager

    found = _pick(_known())
    if found is not None:
        return found
    known_files = set(_known().values())
    added = False
    for path in font_manager.findSystemFonts():
        base = os.path.basename(path).lower().replace(" ", "").replace("-", "").replace("_", "")
        if path in known_files or not any(h in base for h in _FILE_HINTS):
            continue
        try:
            font_manager.fontManager.addfont(path)
            added = True
        except Exception:
            continue
    return _pick(_known()) if added else None


def chart_lang(lang: str | None) -> str:
    """Return "zh" when Chinese is asked for and a CJK font exists, else "en"."""
    if lang and lang.lower().startswith("zh") and cjk_font() is not None:
        return "zh"
    return "en"


def font_family(lang: str) -> list[str]:
    """Font families for text in ``lang`` (as returned by :func:`chart_lang`)."""
    cjk = cjk_font() if lang == "zh" else None
    return [cjk, BASE_FAMILY] if cjk else [BASE_FAMILY]
