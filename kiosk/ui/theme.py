"""Fonts, colours and sizes shared by every scene.

Fonts ship with the package (Noto Sans and Noto Serif, SIL Open Font License; see
``kiosk/assets/fonts/README.md``), so the kiosk never depends on what the machine has installed.
Sizes are given in millimetres of the physical screen and converted to pixels here, so a 20 mm
touch target is 20 mm on a 24" screen and on a 55" one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pygame

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONTS = {
    "sans": FONT_DIR / "NotoSans-Regular.ttf",
    "sans-bold": FONT_DIR / "NotoSans-Bold.ttf",
    "serif": FONT_DIR / "NotoSerif-Regular.ttf",
    "serif-italic": FONT_DIR / "NotoSerif-Italic.ttf",
}

# A 24" 16:9 screen is 531 mm wide; used when neither the settings nor the display know better.
DEFAULT_SCREEN_WIDTH_MM = 531.0


def hex_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


@lru_cache(maxsize=64)
def font(kind: str, px: int) -> pygame.font.Font:
    """A bundled font at a pixel size (cached: opening a font file is not free)."""
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame.font.Font(str(FONTS[kind]), max(6, px))


def release() -> None:
    """Forget opened fonts; call before ``pygame.quit()`` (a font outlives nothing after it)."""
    font.cache_clear()


class Metrics:
    """Millimetres to pixels for one screen."""

    def __init__(self, size: tuple[int, int], screen_width_mm: float = 0.0) -> None:
        self.size = size
        width_mm = screen_width_mm if screen_width_mm > 0 else DEFAULT_SCREEN_WIDTH_MM
        # The physical width belongs to the screen's long side when it is turned to portrait.
        long_side = max(size)
        self.px_per_mm = long_side / width_mm

    def mm(self, value: float) -> int:
        return round(value * self.px_per_mm)
