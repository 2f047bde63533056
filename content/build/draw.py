"""Drawing for the demo media: palette, fonts, glows, snow, aurora, the polar map, emblems.

Everything draws into pygame surfaces with the dummy video driver; nothing opens a window.
Randomness comes only from seeded numpy generators, so frames are the same on every rebuild.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np
import pygame
import pygame.freetype
from numpy.typing import NDArray

from kiosk.content import geo

FONT_DIR = Path(__file__).resolve().parents[2] / "kiosk" / "assets" / "fonts"

Color = tuple[int, int, int]

# Polar night: the kiosk theme's blues, icy whites, and one warm accent for the explorers' way.
NIGHT: Color = (5, 11, 19)
BACKGROUND: Color = (11, 22, 34)
SURFACE: Color = (19, 36, 58)
SEA_DEEP: Color = (8, 18, 31)
SEA_LIGHT: Color = (18, 40, 64)
LAND: Color = (36, 60, 86)
LAND_HIGH: Color = (52, 80, 110)
ICE: Color = (226, 240, 252)
ACCENT: Color = (159, 211, 255)
TEXT: Color = (242, 246, 250)
MUTED: Color = (150, 178, 204)
WARM: Color = (255, 206, 140)
WARM_GLOW: Color = (255, 150, 70)

pygame.freetype.init()
_fonts: dict[tuple[str, int], pygame.freetype.Font] = {}


def font(name: str, size: int) -> pygame.freetype.Font:
    """A bundled font (``NotoSans-Bold`` etc.) at a pixel size, cached."""
    key = (name, size)
    if key not in _fonts:
        f = pygame.freetype.Font(str(FONT_DIR / f"{name}.ttf"), size)
        f.antialiased = True
        f.kerning = True
        f.pad = True
        _fonts[key] = f
    return _fonts[key]


HALO = 3
HALO_PAD = HALO * 3  # transparent margin around the letters that :func:`text` leaves for the halo

_text_cache: dict[tuple[str, str, int, Color, int, int], pygame.Surface] = {}


def text(
    s: str, face: str, size: int, color: Color, halo: int = 3, tracking: int = 0
) -> pygame.Surface:
    """Text with a soft dark halo so it stays readable over the map and snow; cached.

    ``tracking`` spreads letters apart (pixels), for small-caps style kickers.
    """
    key = (s, face, size, color, halo, tracking)
    if key in _text_cache:
        return _text_cache[key]
    f = font(face, size)
    if tracking:
        glyphs = [f.render(ch, color)[0] for ch in s]
        w = sum(g.get_width() for g in glyphs) + tracking * max(0, len(glyphs) - 1)
        h = max(g.get_height() for g in glyphs)
        core = pygame.Surface((w, h), pygame.SRCALPHA)
        x = 0
        for g in glyphs:
            core.blit(g, (x, 0))
            x += g.get_width() + tracking
    else:
        core = f.render(s, color)[0]
    if halo <= 0:
        _text_cache[key] = core
        return core
    pad = halo * 3
    out = pygame.Surface((core.get_width() + 2 * pad, core.get_height() + 2 * pad), pygame.SRCALPHA)
    shadow = core.copy()
    shadow.fill((0, 6, 14, 255), special_flags=pygame.BLEND_RGBA_MIN)
    out.blit(shadow, (pad, pad))
    out = pygame.transform.gaussian_blur(out, halo)
    out.blit(out.copy(), (0, 0))  # twice: a denser halo close to the letters
    out.blit(core, (pad, pad))
    _text_cache[key] = out
    return out


def blit_text(
    surf: pygame.Surface,
    img: pygame.Surface,
    pos: tuple[float, float],
    anchor: str = "topleft",
    alpha: float = 1.0,
    halo: int = 3,
) -> pygame.Rect:
    """Blit a :func:`text` image so that its *letters* (not the halo padding) sit at ``pos``."""
    pad = halo * 3
    r = pygame.Rect(0, 0, img.get_width() - 2 * pad, img.get_height() - 2 * pad)
    setattr(r, anchor, (round(pos[0]), round(pos[1])))
    if alpha <= 0:
        return r
    img.set_alpha(round(255 * min(1.0, alpha)))
    surf.blit(img, (r.x - pad, r.y - pad))
    img.set_alpha(255)
    return r


def smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def ramp(t: float, start: float, length: float) -> float:
    """0 before ``start``, eased up to 1 over ``length`` seconds."""
    return smoothstep((t - start) / length) if length > 0 else float(t >= start)


def to_surface(rgb: NDArray[np.float64]) -> pygame.Surface:
    """An ``(h, w, 3)`` float array in 0..255 to an RGB surface."""
    a = np.clip(rgb, 0, 255).astype(np.uint8)
    h, w = a.shape[:2]
    return pygame.image.frombuffer(np.ascontiguousarray(a).tobytes(), (w, h), "RGB").copy()


def to_alpha_surface(color: Color, alpha: NDArray[np.float64]) -> pygame.Surface:
    """A single-colour SRCALPHA surface whose alpha is an ``(h, w)`` array in 0..1."""
    h, w = alpha.shape
    rgba = np.empty((h, w, 4), dtype=np.uint8)
    rgba[..., :3] = color
    rgba[..., 3] = np.clip(alpha * 255, 0, 255).astype(np.uint8)
    return pygame.image.frombuffer(rgba.tobytes(), (w, h), "RGBA").copy()


_glow_cache: dict[tuple[int, Color, float], pygame.Surface] = {}


def glow_sprite(radius: int, color: Color, strength: float = 1.0) -> pygame.Surface:
    """A soft round gaussian spot, for glows, stars and snowflakes."""
    key = (radius, color, strength)
    if key not in _glow_cache:
        size = radius * 2 + 1
        yy, xx = np.mgrid[0:size, 0:size] - radius
        d2 = (xx**2 + yy**2) / max(1.0, (radius / 2.2) ** 2)
        _glow_cache[key] = to_alpha_surface(color, np.exp(-d2) * strength)
    return _glow_cache[key]


_add_cache: dict[tuple[int, Color, float], pygame.Surface] = {}


def glow_add(radius: int, color: Color, strength: float = 1.0) -> pygame.Surface:
    """The same spot premultiplied into an opaque surface, to blit with ``BLEND_RGB_ADD``:
    light adds up like light, and the black square around it adds nothing."""
    key = (radius, color, strength)
    if key not in _add_cache:
        size = radius * 2 + 1
        yy, xx = np.mgrid[0:size, 0:size] - radius
        d2 = (xx**2 + yy**2) / max(1.0, (radius / 2.2) ** 2)
        k = (np.exp(-d2) * strength)[..., None]
        _add_cache[key] = to_surface(np.array(color, dtype=np.float64) * k)
    return _add_cache[key]


def vertical_gradient(size: tuple[int, int], top: Color, bottom: Color) -> NDArray[np.float64]:
    w, h = size
    k = np.linspace(0, 1, h)[:, None, None]
    row = np.array(top, dtype=np.float64) * (1 - k) + np.array(bottom, dtype=np.float64) * k
    return np.repeat(row, w, axis=1)


def vignette(size: tuple[int, int], strength: float = 0.55) -> NDArray[np.float64]:
    """Multiplier (h, w, 1): 1 in the centre, darker toward the corners."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    d = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / math.sqrt(2)
    return (1 - strength * d**2.2)[..., None]


# --- snow and aurora -------------------------------------------------------------------------


class Snow:
    """Drifting snowflakes whose positions are a pure function of time (any frame order works)."""

    def __init__(self, size: tuple[int, int], count: int, seed: int, wind: float = 14.0) -> None:
        rng = np.random.default_rng(seed)
        self.w, self.h = size
        self.depth = rng.uniform(0.25, 1.0, count) ** 1.5
        self.x0 = rng.uniform(0, self.w, count)
        self.y0 = rng.uniform(0, self.h, count)
        self.speed = 14 + 46 * self.depth
        self.sway = rng.uniform(4, 16, count) * self.depth
        self.freq = rng.uniform(0.25, 0.7, count)
        self.phase = rng.uniform(0, 2 * np.pi, count)
        self.wind = wind
        self.sprites = [
            glow_sprite(2 + i, ICE, 0.30 + 0.10 * i) for i in range(5)
        ]  # far flakes small and dim, near ones larger and brighter

    def draw(self, surf: pygame.Surface, t: float, alpha: float = 1.0) -> None:
        if alpha <= 0.01:
            return
        y = (self.y0 + self.speed * t) % (self.h + 24) - 12
        x = (
            self.x0
            + self.wind * self.depth * t
            + self.sway * np.sin(self.freq * t * 2 * np.pi + self.phase)
        ) % (self.w + 24) - 12
        idx = np.minimum((self.depth * 5).astype(int), 4)
        for s in self.sprites:
            s.set_alpha(round(255 * alpha))
        for xi, yi, k in zip(x, y, idx, strict=True):
            sp = self.sprites[k]
            surf.blit(sp, (int(xi) - sp.get_width() // 2, int(yi) - sp.get_height() // 2))
        for s in self.sprites:
            s.set_alpha(255)


class Aurora:
    """Slowly waving aurora curtains, computed small and scaled up (they are soft anyway)."""

    def __init__(self, size: tuple[int, int], seed: int, height: float = 0.55) -> None:
        rng = np.random.default_rng(seed)
        self.size = size
        self.lw, self.lh = 256, 144
        self.height = height
        self.k = rng.uniform(1.0, 3.2, 4)
        self.w = rng.uniform(0.05, 0.16, 4)
        self.p = rng.uniform(0, 2 * np.pi, 4)
        self.ray_k = rng.uniform(3, 11, 5)
        self.ray_w = rng.uniform(-0.35, 0.35, 5)
        self.ray_p = rng.uniform(0, 2 * np.pi, 5)
        self.x = np.linspace(0, 1, self.lw)[None, :]
        self.y = np.linspace(0, 1, self.lh)[:, None]

    def frame(self, t: float, intensity: float = 1.0) -> pygame.Surface:
        x, y = self.x, self.y
        curve = self.height * (
            0.62
            + sum(
                0.06 * np.sin(2 * np.pi * (k * x) + w * t * 2 * np.pi + p)
                for k, w, p in zip(self.k, self.w, self.p, strict=True)
            )
        )
        dy = y - curve  # positive below the curtain's lower edge
        profile = np.where(dy > 0, np.exp(-((dy / 0.025) ** 2)), np.exp(dy / 0.20))
        rays = sum(
            np.sin(2 * np.pi * k * x + w * t + p)
            for k, w, p in zip(self.ray_k, self.ray_w, self.ray_p, strict=True)
        )
        rays = 0.68 + 0.32 * np.tanh(rays / 2.0)
        breathe = 0.8 + 0.2 * np.sin(t * 0.9 + x * 5.0)
        a = profile * rays * breathe * intensity
        # Green at the lower edge fading to teal and then violet high up.
        hue = np.clip(-dy / 0.32, 0, 1)
        green = np.array([70, 235, 160])
        teal = np.array([60, 170, 210])
        violet = np.array([130, 80, 190])
        col = np.where(
            hue[..., None] < 0.5,
            green + (teal - green) * (hue[..., None] * 2),
            teal + (violet - teal) * ((hue[..., None] - 0.5) * 2),
        )
        rgb = col * a[..., None]
        small = to_surface(rgb)
        return pygame.transform.smoothscale(small, self.size)


# --- markers and emblem motifs ---------------------------------------------------------------


def _poly(
    surf: pygame.Surface, color: tuple[int, ...], pts: Sequence[tuple[float, float]], s: float
) -> None:
    pygame.draw.polygon(surf, color, [(x * s, y * s) for x, y in pts])


def draw_motif(
    surf: pygame.Surface, kind: str, center: tuple[float, float], scale: float, color: Color
) -> None:
    """A small vector pictogram drawn in a 100x100 design box centred at ``center``.

    ``sail``: a koch under sail; ``ship``: a two-masted ship; ``sled``: a dog sledge; ``floe``:
    an ice floe with a tent and a flag; ``volcano``: a smoking cone (Kamchatka); anything else:
    a compass star.
    """
    box = pygame.Surface((100 * 4, 100 * 4), pygame.SRCALPHA)
    s = 4.0  # draw 4x and scale down: pygame's polygons are not antialiased
    c = (*color, 255)
    dim = (*color, 150)
    if kind == "sail":
        _poly(box, c, [(14, 66), (86, 66), (76, 80), (26, 80)], s)  # hull
        pygame.draw.line(box, c, (50 * s, 14 * s), (50 * s, 66 * s), int(3 * s))  # mast
        _poly(box, c, [(53, 18), (80, 30), (78, 60), (53, 60)], s)  # square sail, bellied
        _poly(box, dim, [(47, 24), (47, 60), (24, 60)], s)  # fore sail
        _poly(box, c, [(50, 10), (62, 14), (50, 18)], s)  # pennant
        for i in range(3):
            y = 88 + i * 4
            pygame.draw.line(
                box, (*color, 110 - 30 * i), (22 * s, y * s), (78 * s, y * s), int(1.5 * s)
            )
    elif kind == "ship":
        # A two-masted ship of the Great Northern Expedition.
        _poly(box, c, [(6, 66), (94, 62), (84, 80), (18, 80)], s)  # hull
        for mx, top in ((36, 16), (64, 12)):
            pygame.draw.line(box, c, (mx * s, top * s), (mx * s, 66 * s), int(2.6 * s))
            _poly(
                box,
                c,
                [(mx - 13, top + 8), (mx + 13, top + 8), (mx + 15, top + 24), (mx - 15, top + 24)],
                s,
            )
            _poly(
                box,
                dim,
                [
                    (mx - 15, top + 28),
                    (mx + 15, top + 28),
                    (mx + 17, top + 46),
                    (mx - 17, top + 46),
                ],
                s,
            )
        _poly(box, dim, [(66, 20), (92, 58), (68, 58)], s)  # jib
        _poly(box, c, [(64, 6), (76, 10), (64, 14)], s)  # pennant
        for i in range(3):
            y = 88 + i * 4
            pygame.draw.line(
                box, (*color, 110 - 30 * i), (14 * s, y * s), (86 * s, y * s), int(1.5 * s)
            )
    elif kind == "sled":
        # A narta: long runners curling up at the front, a lashed load, a dog in harness.
        pygame.draw.line(box, c, (30 * s, 76 * s), (88 * s, 76 * s), int(3.5 * s))
        pygame.draw.arc(
            box,
            c,
            pygame.Rect(80 * s, 60 * s, 16 * s, 17 * s),
            -math.pi / 2,
            math.pi / 3,
            int(3.5 * s),
        )
        for x in (40, 56, 72):
            pygame.draw.line(box, c, (x * s, 76 * s), (x * s + 3 * s, 64 * s), int(2.5 * s))
        _poly(box, c, [(34, 64), (90, 64), (90, 59), (36, 59)], s)  # deck
        pygame.draw.ellipse(box, dim, pygame.Rect(40 * s, 44 * s, 44 * s, 17 * s))  # the load
        pygame.draw.line(box, c, (52 * s, 45 * s), (52 * s, 60 * s), int(1.5 * s))  # lashings
        pygame.draw.line(box, c, (70 * s, 45 * s), (70 * s, 60 * s), int(1.5 * s))
        pygame.draw.line(box, dim, (12 * s, 62 * s), (36 * s, 62 * s), int(1.2 * s))  # trace
        pygame.draw.ellipse(box, c, pygame.Rect(4 * s, 55 * s, 17 * s, 8 * s))  # dog: body
        pygame.draw.circle(box, c, (4 * s, 54 * s), 3.2 * s)  # head
        _poly(box, c, [(2, 51), (3, 47), (5, 51)], s)  # ear
        for x in (6, 9, 16, 19):
            pygame.draw.line(box, c, (x * s, 61 * s), (x * s - 1 * s, 70 * s), int(1.6 * s))
        pygame.draw.line(box, c, (20 * s, 57 * s), (25 * s, 52 * s), int(1.6 * s))  # tail
        for i in range(3):
            y = 86 + i * 4
            pygame.draw.line(
                box, (*color, 110 - 30 * i), (6 * s, y * s), (94 * s, y * s), int(1.5 * s)
            )
    elif kind == "floe":
        _poly(
            box,
            dim,
            [(6, 74), (20, 64), (48, 62), (70, 66), (94, 70), (86, 84), (56, 88), (18, 86)],
            s,
        )
        _poly(box, c, [(30, 64), (46, 40), (62, 64)], s)  # tent
        pygame.draw.line(box, c, (74 * s, 66 * s), (74 * s, 24 * s), int(2.5 * s))  # flag pole
        _poly(box, (214, 70, 70, 255), [(75, 24), (94, 30), (75, 36)], s)  # the station's red flag
        pygame.draw.line(box, c, (18 * s, 66 * s), (18 * s, 46 * s), int(2 * s))  # radio mast
        pygame.draw.line(box, c, (18 * s, 46 * s), (46 * s, 40 * s), int(1.2 * s))
    elif kind == "volcano":
        _poly(box, dim, [(4, 86), (40, 38), (52, 40), (62, 38), (96, 86)], s)
        _poly(box, c, [(40, 38), (46, 48), (52, 42), (58, 48), (62, 38), (52, 40)], s)  # snow cap
        for i, (x, y, r) in enumerate([(52, 28, 6), (58, 18, 8), (68, 9, 9)]):
            pygame.draw.circle(box, (*color, 170 - 40 * i), (x * s, y * s), r * s)
    else:
        star = []
        for i in range(16):
            a = i * math.pi / 8
            r = 44 if i % 4 == 0 else (22 if i % 2 == 0 else 10)
            star.append((50 + r * math.sin(a), 50 - r * math.cos(a)))
        _poly(box, c, star, s)
        pygame.draw.circle(box, c, (50 * s, 50 * s), 30 * s, int(2 * s))
    size = round(100 * scale)
    img = pygame.transform.smoothscale(box, (size, size))
    surf.blit(img, (round(center[0] - size / 2), round(center[1] - size / 2)))


def compass_rose(
    surf: pygame.Surface, center: tuple[float, float], radius: float, color: Color, alpha: int
) -> None:
    """An eight-point compass rose with a degree ring, for the emblem's background."""
    cx, cy = center
    layer = pygame.Surface(surf.get_size(), pygame.SRCALPHA)
    for i in range(8):
        a = i * math.pi / 4
        r = radius if i % 2 == 0 else radius * 0.62
        w = radius * (0.13 if i % 2 == 0 else 0.09)
        tip = (cx + r * math.sin(a), cy - r * math.cos(a))
        left = (cx + w * math.sin(a - math.pi / 2), cy - w * math.cos(a - math.pi / 2))
        right = (cx + w * math.sin(a + math.pi / 2), cy - w * math.cos(a + math.pi / 2))
        pygame.draw.polygon(layer, (*color, alpha), [tip, left, (cx, cy)])
        pygame.draw.polygon(layer, (*color, alpha // 2), [tip, right, (cx, cy)])
    for i in range(72):
        a = i * math.pi / 36
        r0 = radius * (1.04 if i % 2 else 1.0)
        r1 = radius * 1.09
        pygame.draw.line(
            layer,
            (*color, alpha),
            (cx + r0 * math.sin(a), cy - r0 * math.cos(a)),
            (cx + r1 * math.sin(a), cy - r1 * math.cos(a)),
            2,
        )
    surf.blit(layer, (0, 0))


# --- the polar map ---------------------------------------------------------------------------


@dataclass
class MapView:
    """Where the map is looking: projection meridian and the unit-to-pixel fit."""

    lon0: float
    fit: geo.Fit

    def px(self, latlon: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(N, 2)`` lat, lon to ``(N, 2)`` pixel coordinates."""
        return self.fit.apply(geo.project_many(latlon[:, 0], latlon[:, 1], self.lon0))

    def km_per_px(self, lat: float) -> float:
        colat = math.radians(90 - lat)
        return 2 * geo.EARTH_RADIUS_KM * math.cos(colat / 2) ** 2 / self.fit.scale


def _visible(pts: NDArray[np.float64], size: tuple[int, int], pad: float = 40) -> bool:
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return bool(
        hi[0] >= -pad and hi[1] >= -pad and lo[0] <= size[0] + pad and lo[1] <= size[1] + pad
    )


def map_background(
    size: tuple[int, int], view: MapView, coast: geo.Coastline, ghost: NDArray[np.float64] | None
) -> pygame.Surface:
    """The still part of a map frame: sea, graticule, land, glowing shore, the route ahead."""
    w, h = size
    # Sea: deep blue, lighter where the pack ice lies around the pole.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    px, py = view.fit.apply([[0.0, 0.0]])[0]
    d = np.hypot(xx - px, yy - py) / view.fit.scale  # unit distance from the pole
    ice = np.exp(-((d / 0.16) ** 2))
    sea = (
        np.array(SEA_DEEP, float)
        + (np.array(SEA_LIGHT, float) - np.array(SEA_DEEP, float)) * (0.45 + 0.55 * ice)[..., None]
    )
    base = to_surface(sea * vignette(size, 0.35))

    # Graticule: parallels every 10°, meridians every 30°, faint.
    grid = pygame.Surface(size, pygame.SRCALPHA)
    for lat in range(50, 90, 10):
        lons = np.linspace(-180, 180, 721)
        pts = view.px(np.stack([np.full_like(lons, lat), lons], axis=1))
        pygame.draw.aalines(grid, (*ACCENT, 255), False, pts.tolist())
    for lon in range(-180, 180, 30):
        lats = np.linspace(40, 89.0, 200)
        pts = view.px(np.stack([lats, np.full_like(lats, lon)], axis=1))
        pygame.draw.aalines(grid, (*ACCENT, 255), False, pts.tolist())
    grid.set_alpha(28)
    base.blit(grid, (0, 0))

    # Land as a mask (white where land, transparent elsewhere; lakes cut back out), then shaded
    # with a gentle gradient so large land masses do not look like flat cut-outs.
    mask = pygame.Surface(size, pygame.SRCALPHA)
    for ring in coast.land:
        pts = view.px(ring)
        if len(pts) >= 3 and _visible(pts, size):
            pygame.draw.polygon(mask, (255, 255, 255, 255), pts.tolist())
    for ring in coast.lakes:
        pts = view.px(ring)
        if len(pts) >= 3 and _visible(pts, size):
            pygame.draw.polygon(mask, (255, 255, 255, 0), pts.tolist())
    land = pygame.Surface(size, pygame.SRCALPHA)
    land.blit(to_surface(vertical_gradient(size, LAND_HIGH, LAND)), (0, 0))
    land.blit(mask, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
    base.blit(land, (0, 0))

    # Shore: a thin icy line with a soft glow around it.
    shore = pygame.Surface(size, pygame.SRCALPHA)
    for line in coast.outlines:
        pts = view.px(line)
        if len(pts) >= 2 and _visible(pts, size):
            pygame.draw.aalines(shore, (*ICE, 255), False, pts.tolist())
    glow = pygame.transform.gaussian_blur(shore, 5)
    glow.set_alpha(150)
    base.blit(glow, (0, 0))
    shore.set_alpha(170)
    base.blit(shore, (0, 0))

    if ghost is not None and len(ghost) > 1:
        # The way still ahead: a faint dotted line, so the eye knows where the voyage goes.
        pts = view.px(ghost)
        seg = np.hypot(*np.diff(pts, axis=0).T)
        cum = np.concatenate([[0], np.cumsum(seg)])
        dot = glow_sprite(3, WARM, 0.55)
        for dist in np.arange(0, cum[-1], 11.0):
            x = np.interp(dist, cum, pts[:, 0])
            y = np.interp(dist, cum, pts[:, 1])
            base.blit(dot, (round(x) - 3, round(y) - 3))

    # The map fades into the night toward the south: the Arctic is the subject, and the baked
    # coastline ends at its cut latitude.
    lat = 90 - np.degrees(2 * np.arctan(d))
    k = np.clip((lat - coast.cut_lat - 1.0) / 8.0, 0, 1)
    fog = 1 - k * k * (3 - 2 * k)
    base.blit(to_alpha_surface(NIGHT, fog * 0.97), (0, 0))

    # Darken the top band where the titles sit, and the very bottom for captions.
    band = np.zeros((h, w))
    yv = np.arange(h, dtype=np.float64)
    band += (np.clip(1 - yv / 150, 0, 1) ** 1.6 * 0.55)[:, None]
    band += (np.clip((yv - (h - 120)) / 120, 0, 1) ** 1.6 * 0.45)[:, None]
    base.blit(to_alpha_surface(NIGHT, band), (0, 0))
    return base
