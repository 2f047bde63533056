"""Widgets shared by the scenes: buttons, the video view, captions, the animated route map.

Widgets draw; they never decide where the visit goes. A button reports its ``action`` when
tapped and the scene turns that into a transition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pygame

from kiosk.content import geo
from kiosk.content.model import Explorer
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


@dataclass(frozen=True)
class _Rings:
    """Rings already projected to unit coordinates, with their bounding boxes for culling."""

    xy: tuple[Any, ...]
    boxes: Any  # (N, 4): min x, min y, max x, max y

    def visible(self, x0: float, y0: float, x1: float, y1: float) -> list[Any]:
        b = self.boxes
        if len(b) == 0:
            return []
        hit = (b[:, 2] >= x0) & (b[:, 0] <= x1) & (b[:, 3] >= y0) & (b[:, 1] <= y1)
        return [self.xy[i] for i in np.flatnonzero(hit)]


def _rings(rings: Sequence[Any]) -> _Rings:
    xy = tuple(geo.project_many(r[:, 0], r[:, 1]) for r in rings)
    boxes = np.array([[*a.min(axis=0), *a.max(axis=0)] for a in xy]) if xy else np.zeros((0, 4))
    return _Rings(xy, boxes)


@lru_cache(maxsize=1)
def _projected_coast() -> tuple[_Rings, _Rings, _Rings] | None:
    """The coastline projected once per process: every map after the first only scales it."""
    try:
        coast = geo.load_coastline()
    except (OSError, ValueError):
        return None
    return _rings(coast.land), _rings(coast.lakes), _rings(coast.outlines)


class RouteMap:
    """An explorer's route on the polar map, drawn as far as the clip has got.

    The coastline and the whole route are drawn once into a cached background; each frame only
    adds the travelled part and the marker, so the map costs little while a clip plays.
    """

    def __init__(
        self,
        explorer: Explorer,
        size: tuple[int, int],
        pal: Palette,
        lang: str,
        backgrounds: dict[tuple[str, tuple[int, int]], pygame.Surface] | None = None,
        *,
        circa: str,
    ) -> None:
        self.explorer = explorer
        self.circa = circa  # the word before an approximate year, in ``lang``
        # Shared between maps of the same explorer and size: a language switch redraws none.
        self.backgrounds = backgrounds if backgrounds is not None else {}
        self.size = size
        self.pal = pal
        self.lang = lang
        self.route: geo.Route | None = None
        self.fit: geo.Fit | None = None
        self.background: pygame.Surface | None = None
        self._behind: tuple[int, list[tuple[float, float]]] | None = None  # see _travelled
        points = [(p.lat, p.lon) for p in explorer.route]
        if len(points) >= 2:
            first = explorer.segments[0] if explorer.segments else None
            end = (first.duration if first else None) or 20.0
            times = geo.fill_times([p.at for p in explorer.route], 0.0, end)
            self.route = geo.Route(points, times)
            xy = geo.project_many([p[0] for p in points], [p[1] for p in points])
            self.fit = geo.fit_bounds(xy, (0, 0, size[0], size[1]), margin=0.12, min_span=0.12)

    def _travelled(self, t: float) -> list[tuple[float, float]]:
        """The route travelled at ``t`` in map pixels (``path_at_time``, projected). The legs
        already behind are projected once, not with every frame: the map is redrawn while a
        clip plays, and densifying the whole path each time cost ~1 ms a draw."""
        assert self.route is not None
        leg, u = self.route.leg_at_time(t)
        if self._behind is None or self._behind[0] != leg:
            pts = [self.route.points[0]]
            for i in range(leg):
                pts += self.route.leg_path(i)
            self._behind = (leg, self._px(np.array(pts, dtype=np.float64)))
        now = self.route.leg_path(leg, u)
        return self._behind[1] + (self._px(np.array(now, dtype=np.float64)) if now else [])

    def _px(self, latlon: geo.FloatArray) -> list[tuple[float, float]]:
        assert self.fit is not None
        xy = self.fit.apply(geo.project_many(latlon[:, 0], latlon[:, 1]))
        return [(float(x), float(y)) for x, y in xy]

    def _build_background(self) -> pygame.Surface:
        w, h = self.size
        bg = pygame.Surface(self.size)
        sea = tuple(max(0, c - 8) for c in self.pal.surface)
        bg.fill(sea)
        land = tuple(min(255, c + 22) for c in self.pal.surface)
        shore = tuple(min(255, c + 60) for c in self.pal.surface)
        coast = _projected_coast()
        if coast is not None and self.fit is not None:
            # Only rings that reach into the map (with a margin) are scaled and drawn.
            x0, y0 = self.fit.invert(-0.2 * w, -0.2 * h)
            x1, y1 = self.fit.invert(1.2 * w, 1.2 * h)
            lands, lakes, outlines = coast
            for rings, colour, kind in (
                (lands, land, "fill"),
                (lakes, sea, "fill"),
                (outlines, shore, "line"),
            ):
                for ring in rings.visible(x0, y0, x1, y1):
                    pts = self.fit.apply(ring).tolist()
                    if kind == "fill" and len(pts) >= 3:
                        pygame.draw.polygon(bg, colour, pts)
                    elif kind == "line" and len(pts) >= 2:
                        pygame.draw.lines(bg, colour, False, pts, 1)
        if self.route is not None:
            whole = self._px(self.route.path_at_time(self.route.times[-1]))
            if len(whole) >= 2:
                # The road still ahead: visible, but quieter than the road travelled.
                ahead = tuple(
                    (2 * a + b) // 3 for a, b in zip(self.pal.surface, self.pal.accent, strict=True)
                )
                pygame.draw.lines(bg, ahead, False, whole, 2)
        return bg

    def draw(
        self, surf: pygame.Surface, pos: tuple[int, int], t: float, cache: TextCache, px: int
    ) -> None:
        if self.background is None:
            key = (self.explorer.slug, self.size)
            if key not in self.backgrounds:
                self.backgrounds[key] = self._build_background()
            self.background = self.backgrounds[key]
        surf.blit(self.background, pos)
        if self.route is None or self.fit is None:
            return
        ox, oy = pos
        done = [(x + ox, y + oy) for x, y in self._travelled(t)]
        if len(done) >= 2:
            pygame.draw.lines(surf, self.pal.accent, False, done, 5)
        reached = self.route.reached(t)
        for i, p in enumerate(self.explorer.route):
            x, y = self.fit.point(p.lat, p.lon)
            at = (round(x + ox), round(y + oy))
            pygame.draw.circle(
                surf, self.pal.accent if i < reached else self.pal.text, at, 7 if i < reached else 4
            )
        if reached:
            # Only the latest place is named: close places would write over each other.
            p = self.explorer.route[reached - 1]
            x, y = self.fit.point(p.lat, p.lon)
            name = p.label.get(self.lang)
            if p.date is not None:
                name = f"{name} · {p.date.display(circa=self.circa)}"
            label = cache.render(name, "sans-bold", px, self.pal.text)
            box = label.get_rect()
            box.midbottom = (round(x + ox), round(y + oy) - 12)
            box.clamp_ip(pygame.Rect(ox + 4, oy + 4, self.size[0] - 8, self.size[1] - 8))
            shade = pygame.Surface(box.inflate(12, 6).size, pygame.SRCALPHA)
            shade.fill((*self.pal.bg, 200))
            surf.blit(shade, box.inflate(12, 6))
            surf.blit(label, box)
        if done:
            pulse = 10 + 3 * math.sin(t * 4)
            mx, my = done[-1]
            pygame.draw.circle(surf, self.pal.text, (round(mx), round(my)), int(pulse), 3)
