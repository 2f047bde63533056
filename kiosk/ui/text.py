"""Text that fits: hyphenated line breaking, pages, and a cache of rendered lines.

Long historical texts are broken into lines with hyphenation (pyphen's dictionaries, which ship
with the package) and into pages that fit their panel exactly: a text never overflows, it pages.
Rendering a line of text costs far more than blitting it, so rendered lines are cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pygame
import pyphen

from kiosk.ui import theme

_PYPHEN_LANGS = {"ru": "ru_RU", "en": "en_US", "de": "de_DE", "fr": "fr_FR"}


@lru_cache(maxsize=16)
def _hyphenator(lang: str) -> pyphen.Pyphen | None:
    code = _PYPHEN_LANGS.get(lang, lang)
    if code not in pyphen.LANGUAGES and lang not in pyphen.LANGUAGES:
        return None  # no dictionary: lines break between words only
    return pyphen.Pyphen(lang=code if code in pyphen.LANGUAGES else lang)


Measure = Callable[[str], int]


def _split_word(word: str, room: int, measure: Measure, lang: str) -> tuple[str, str] | None:
    """The longest hyphenated head of ``word`` that fits in ``room`` pixels, and the rest."""
    hyph = _hyphenator(lang)
    if hyph is None or len(word) < 5:
        return None
    for head, tail in hyph.iterate(word):
        if measure(head + "-") <= room:
            return head + "-", tail
    return None


def wrap(text: str, width: int, measure: Measure, lang: str = "ru") -> list[str]:
    """Break ``text`` into lines no wider than ``width``; "" marks a paragraph break."""
    lines: list[str] = []
    paragraphs = [p for p in text.replace("\r", "").split("\n\n")]
    for pi, para in enumerate(paragraphs):
        words = para.split()
        line = ""
        for word in words:
            trial = f"{line} {word}" if line else word
            if measure(trial) <= width:
                line = trial
                continue
            room = width - measure(line + " ") if line else width
            split = _split_word(word, room, measure, lang)
            if split is not None:
                head, word = split
                lines.append(f"{line} {head}" if line else head)
                line = ""
            elif line:
                lines.append(line)
                line = ""
            # A word wider than a whole line: hyphenate again, else cut it by characters.
            while measure(word) > width:
                split = _split_word(word, width, measure, lang)
                if split is None:
                    cut = max(
                        1, next(i for i in range(len(word), 0, -1) if measure(word[:i]) <= width)
                    )
                    split = (word[:cut], word[cut:])
                lines.append(split[0])
                word = split[1]
            line = word
        if line:
            lines.append(line)
        if pi < len(paragraphs) - 1 and words:
            lines.append("")
    return lines


def fit_words(text: str, kind: str, px: int, width: int, min_px: int) -> int:
    """The largest size from ``px`` down to ``min_px`` at which every word fits ``width``:
    a long name gets smaller rather than being cut in the middle of a word."""
    words = text.split() or [""]
    while px > min_px and max(theme.font(kind, px).size(w)[0] for w in words) > width:
        px -= 2
    return px


def wrap_lines(text: str, kind: str, px: int, width: int) -> list[str]:
    """Break a short text (a name, a status line) between words only, never hyphenated."""
    fnt = theme.font(kind, px)
    return [line for line in wrap(text, width, lambda s: fnt.size(s)[0], lang="") if line]


@dataclass(frozen=True)
class Layout:
    """A text laid out in pages of lines for one panel size."""

    pages: tuple[tuple[str, ...], ...]
    line_height: int

    @property
    def count(self) -> int:
        return len(self.pages)


def paginate(lines: list[str], height: int, line_height: int) -> Layout:
    """Split lines into pages that fit ``height``; never starts a page with a blank line."""
    per_page = max(1, height // line_height)
    pages: list[tuple[str, ...]] = []
    current: list[str] = []
    for line in lines:
        if not current and line == "":
            continue
        current.append(line)
        if len(current) == per_page:
            pages.append(tuple(current))
            current = []
    while current and current[-1] == "":
        current.pop()
    if current:
        pages.append(tuple(current))
    return Layout(tuple(pages) or ((),), line_height)


@lru_cache(maxsize=256)
def layout_text(
    text: str, kind: str, px: int, size: tuple[int, int], lang: str, leading: float = 1.45
) -> Layout:
    """Wrap and page ``text`` in the bundled font ``kind`` at ``px`` for a ``size`` panel.

    Cached: a page opened again, or a language switched back, costs no line breaking."""
    fnt = theme.font(kind, px)
    lines = wrap(text, size[0], lambda s: fnt.size(s)[0], lang)
    return paginate(lines, size[1], max(1, round(px * leading)))


class TextCache:
    """Rendered text surfaces, least recently used dropped first."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self.items: OrderedDict[tuple[str, str, int, tuple[int, int, int]], pygame.Surface] = (
            OrderedDict()
        )
        self.hits = 0
        self.misses = 0

    def render(self, text: str, kind: str, px: int, colour: tuple[int, int, int]) -> pygame.Surface:
        key = (text, kind, px, colour)
        surf = self.items.get(key)
        if surf is not None:
            self.hits += 1
            self.items.move_to_end(key)
            return surf
        self.misses += 1
        surf = theme.font(kind, px).render(text, True, colour)
        self.items[key] = surf
        if len(self.items) > self.capacity:
            self.items.popitem(last=False)
        return surf
