"""Widgets shared by the scenes: buttons, icons, captions, the palette and its contrast rule.

Widgets draw; they never decide where the visit goes. A button reports its ``action`` when
tapped and the scene turns that into a transition.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.ui import theme
from kiosk.ui.text import TextCache

RGB = tuple[int, int, int]


def luminance(rgb: RGB) -> float:
    """Relative luminance as WCAG 2 defines it."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio between two colours (1..21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass
class Button:
    """A touch target with a label. ``rect`` is at least the configured minimum size."""

    rect: pygame.Rect
    label: str
    action: str
    active: bool = False
    enabled: bool = True
    icon: str = ""

    def hit(self, pos: tuple[int, int]) -> bool:
        return self.enabled and self.rect.collidepoint(pos)


class Palette:
    """The collection's theme as RGB, plus the few derived colours the widgets use."""

    def __init__(self, bg: str, surface: str, text: str, accent: str) -> None:
        self.bg = theme.hex_rgb(bg)
        self.surface = theme.hex_rgb(surface)
        self.text = theme.hex_rgb(text)
        self.accent = theme.hex_rgb(accent)
        self.button = tuple(min(255, c + 18) for c in self.surface)
        self.on_accent = self.bg  # dark text on the light accent


def draw_icon(surf: pygame.Surface, icon: str, rect: pygame.Rect, colour: RGB) -> None:
    """Simple vector icons so that a button is understood without reading."""
    cx, cy = rect.center
    s = min(rect.w, rect.h) // 4
    if icon == "play":
        pygame.draw.polygon(
            surf, colour, [(cx - s * 0.7, cy - s), (cx - s * 0.7, cy + s), (cx + s, cy)]
        )
    elif icon == "pause":
        w = max(3, s // 2)
        pygame.draw.rect(surf, colour, (cx - s * 0.8, cy - s, w, 2 * s))
        pygame.draw.rect(surf, colour, (cx + s * 0.8 - w, cy - s, w, 2 * s))
    elif icon == "replay":
        pygame.draw.arc(surf, colour, (cx - s, cy - s, 2 * s, 2 * s), 0.6, 5.8, max(3, s // 4))
        pygame.draw.polygon(
            surf,
            colour,
            [(cx + s, cy - s * 0.2), (cx + s * 0.4, cy - s * 0.5), (cx + s * 1.3, cy - s * 0.9)],
        )
    elif icon == "next":
        pygame.draw.polygon(surf, colour, [(cx - s, cy - s), (cx - s, cy + s), (cx + s * 0.4, cy)])
        pygame.draw.rect(surf, colour, (cx + s * 0.5, cy - s, max(3, s // 3), 2 * s))
    elif icon in ("left", "right", "back"):
        d = -1 if icon in ("left", "back") else 1
        pts = [(cx - d * s * 0.5, cy - s), (cx + d * s * 0.6, cy), (cx - d * s * 0.5, cy + s)]
        pygame.draw.lines(surf, colour, False, pts, max(3, s // 3))
    elif icon in ("vol-", "vol+"):
        pygame.draw.polygon(
            surf,
            colour,
            [
                (cx - s, cy - s * 0.4),
                (cx - s * 0.4, cy - s * 0.4),
                (cx + s * 0.2, cy - s),
                (cx + s * 0.2, cy + s),
                (cx - s * 0.4, cy + s * 0.4),
                (cx - s, cy + s * 0.4),
            ],
        )
        w = max(2, s // 4)
        pygame.draw.line(surf, colour, (cx + s * 0.5, cy), (cx + s * 1.2, cy), w)
        if icon == "vol+":
            pygame.draw.line(
                surf, colour, (cx + s * 0.85, cy - s * 0.35), (cx + s * 0.85, cy + s * 0.35), w
            )
    elif icon == "cc":
        r = pygame.Rect(0, 0, int(s * 2.4), int(s * 1.7))
        r.center = rect.center
        pygame.draw.rect(surf, colour, r, max(2, s // 5), border_radius=s // 3)
        f = theme.font("sans-bold", max(8, int(s * 0.9)))
        img = f.render("CC", True, colour)
        surf.blit(img, img.get_rect(center=r.center))


def draw_button(
    surf: pygame.Surface, b: Button, pal: Palette, cache: TextCache, px: int, radius: int
) -> None:
    fill = pal.accent if b.active else pal.button
    fg = pal.on_accent if b.active else pal.text
    if not b.enabled:
        fg = tuple((a + c) // 2 for a, c in zip(fg, fill, strict=True))  # type: ignore[assignment]
    pygame.draw.rect(surf, fill, b.rect, border_radius=radius)
    if b.icon and not b.label:
        draw_icon(surf, b.icon, b.rect, fg)
        return
    img = cache.render(b.label, "sans-bold", px, fg)
    if b.icon:
        icon_rect = pygame.Rect(b.rect.x, b.rect.y, b.rect.h, b.rect.h)
        draw_icon(surf, b.icon, icon_rect, fg)
        surf.blit(img, img.get_rect(midleft=(icon_rect.right - b.rect.h // 8, b.rect.centery)))
    else:
        surf.blit(img, img.get_rect(center=b.rect.center))


def draw_caption(
    surf: pygame.Surface, text: str, rect: pygame.Rect, cache: TextCache, px: int
) -> None:
    """Caption lines centred at the bottom of ``rect`` on a dark band (contrast >= 4.5:1)."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:3]
    if not lines:
        return
    imgs = [cache.render(ln, "sans-bold", px, (255, 255, 255)) for ln in lines]
    lh = int(px * 1.3)
    y = rect.bottom - px // 2 - lh * len(imgs)
    for img in imgs:
        band = img.get_rect(midtop=(rect.centerx, y)).inflate(px, px // 4)
        shade = pygame.Surface(band.size, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 200))
        surf.blit(shade, band)
        surf.blit(img, img.get_rect(midtop=(rect.centerx, y)))
        y += lh
