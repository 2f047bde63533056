"""Which characters the bundled fonts can draw, read from the fonts' own tables with fontTools.

A collection may add a language (Sakha, Nenets, Chukchi...) whose letters a font lacks; the
kiosk would then draw empty boxes. ``kiosk content validate`` finds every such letter before a
visitor does.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=16)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def coverage(fonts: Iterable[Path]) -> frozenset[int]:
    """Code points that *every* one of ``fonts`` can draw (a text may be shown in any)."""
    sets = [_cmap(str(p)) for p in fonts]
    if not sets:
        return frozenset()
    common = sets[0]
    for s in sets[1:]:
        common &= s
    return common


def missing(text: str, covered: frozenset[int]) -> list[str]:
    """The characters of ``text`` outside ``covered``, in order, each once."""
    out: list[str] = []
    for ch in text:
        if ord(ch) in covered or ch in out:
            continue
        # Line breaks, spaces and invisible format characters are never drawn as glyphs.
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        out.append(ch)
    return out


def describe(chars: list[str]) -> str:
    return ", ".join(f"'{c}' (U+{ord(c):04X} {unicodedata.name(c, '?').lower()})" for c in chars)
