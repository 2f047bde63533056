"""The frost mirror's emblem: a picture the kiosk draws itself, for the gallery's mirror card and
the attract loop's invitation.

A polar night with the northern lights, an oval mirror with an icy rim, and in it a face in a fur
hood with rime on the brows and a cold flush, frost ferns growing in from the corners as on a
frozen window. No photograph and no file: it is drawn with pygame from a fixed seed, so it looks
the same on every kiosk and in every golden picture, at any size (drawn at twice the size and
scaled down, which smooths its edges).
"""

from __future__ import annotations

import math
import random

import pygame

NIGHT_TOP = (6, 16, 34)
NIGHT_BOTTOM = (24, 56, 92)
AURORA = ((92, 230, 170), (80, 200, 230))
ICE = (222, 240, 255)
RIM = (168, 214, 250)
FUR = (214, 222, 230)
FUR_DARK = (150, 160, 172)
PARKA = (28, 52, 86)
SKIN = (226, 190, 172)
FLUSH = (236, 120, 130)
SEED = 1648  # Dezhnev's year: any fixed number keeps the picture the same everywhere


RGB = tuple[int, int, int]


def _gradient(surf: pygame.Surface, top: RGB, bottom: RGB) -> None:
    w, h = surf.get_size()
    for y in range(h):
        k = y / max(1, h - 1)
        colour = tuple(round(a + (b - a) * k) for a, b in zip(top, bottom, strict=True))
        surf.fill(colour, (0, y, w, 1))


def _aurora(surf: pygame.Surface, s: int) -> None:
    """Two soft ribbons of light across the upper sky."""
    glow = pygame.Surface((s, s), pygame.SRCALPHA)
    for band, colour in enumerate(AURORA):
        base = s * (0.16 + 0.1 * band)
        for layer in range(6):
            thick = s * (0.05 - 0.007 * layer)
            top, bottom = [], []
            for i in range(41):
                x = s * i / 40
                y = base + s * 0.05 * math.sin(i / 40 * 5.5 + band * 1.7)
                top.append((x, y - thick))
                bottom.append((x, y + thick * 0.4))
            pygame.draw.polygon(glow, (*colour, 22 + 10 * layer), top + bottom[::-1])
    surf.blit(glow, (0, 0))


def _fern(
    surf: pygame.Surface,
    rng: random.Random,
    start: tuple[float, float],
    angle: float,
    length: float,
    width: int,
    depth: int,
) -> None:
    """A frost fern: a stem that bends a little and puts out side branches, smaller ferns."""
    x, y = start
    steps = 6
    for i in range(steps):
        angle += rng.uniform(-0.18, 0.18)
        nx, ny = x + math.cos(angle) * length / steps, y + math.sin(angle) * length / steps
        alpha = max(40, 210 - 30 * (3 - depth) - 12 * i)
        pygame.draw.line(surf, (*ICE, alpha), (x, y), (nx, ny), max(1, width))
        if depth > 0 and i % 2 == 1:
            for side in (-1, 1):
                _fern(
                    surf,
                    rng,
                    (nx, ny),
                    angle + side * rng.uniform(0.7, 1.1),
                    length * rng.uniform(0.32, 0.45),
                    width - 1,
                    depth - 1,
                )
        x, y = nx, ny


def _hooded_face(s: int) -> pygame.Surface:
    """The visitor in the mirror: parka, fur hood, a face with rime on the brows and a flush."""
    face = pygame.Surface((s, s), pygame.SRCALPHA)
    _gradient(face, (70, 118, 160), (150, 196, 228))
    cx, cy = s * 0.5, s * 0.5
    # Shoulders in a parka.
    pygame.draw.ellipse(face, PARKA, (cx - s * 0.42, cy + s * 0.2, s * 0.84, s * 0.6))
    # The hood: the parka's cloth behind, and a ruff of fur round the face, tuft by tuft, in
    # three passes (shadow, fur, frosted tips) so that it looks soft rather than drawn.
    rng = random.Random(SEED)
    pygame.draw.ellipse(face, PARKA, (cx - s * 0.27, cy - s * 0.31, s * 0.54, s * 0.62))
    for colour, reach, width, count in (
        (FUR_DARK, 0.1, s // 70, 170),
        (FUR, 0.09, s // 90, 240),
        (ICE, 0.06, s // 140, 160),
    ):
        for _ in range(count):
            a = rng.uniform(0, 2 * math.pi)
            # the ruff hugs the face's edge (an ellipse a little larger than the face)
            bx = cx + math.sin(a) * s * 0.145
            by = cy + s * 0.01 - math.cos(a) * s * 0.185
            lean = a + rng.uniform(-0.5, 0.5)
            length = s * reach * rng.uniform(0.6, 1.2)
            tip = (bx + math.sin(lean) * length, by - math.cos(lean) * length)
            shade = rng.randint(-18, 14)
            c = tuple(min(255, max(0, v + shade)) for v in colour)
            pygame.draw.line(face, c, (bx, by), tip, max(1, width))
    # The face.
    fw, fh = s * 0.3, s * 0.38
    pygame.draw.ellipse(face, SKIN, (cx - fw / 2, cy - fh / 2 + s * 0.01, fw, fh))
    flush = pygame.Surface((s, s), pygame.SRCALPHA)
    for side in (-1, 1):
        pygame.draw.circle(flush, (*FLUSH, 70), (cx + side * s * 0.085, cy + s * 0.06), s * 0.045)
    pygame.draw.circle(flush, (*FLUSH, 60), (cx, cy + s * 0.04), s * 0.025)
    face.blit(flush, (0, 0))
    for side in (-1, 1):
        ex, ey = cx + side * s * 0.065, cy - s * 0.01
        eye = (ex - s * 0.022, ey - s * 0.012, s * 0.044, s * 0.024)
        pygame.draw.ellipse(face, (40, 46, 60), eye)
        # Rime on the brow: a white arc and a few crystals on it.
        brow = (ex - s * 0.045, ey - s * 0.07, s * 0.09, s * 0.06)
        pygame.draw.arc(face, ICE, brow, 0.35, math.pi - 0.35, max(2, s // 70))
        for k in range(5):
            a = 0.5 + k * (math.pi - 1.0) / 4
            px = ex + math.cos(a) * s * 0.045
            py = ey - s * 0.04 - math.sin(a) * s * 0.03
            pygame.draw.circle(face, (255, 255, 255), (px, py), max(1, s // 170))
    mouth = (cx - s * 0.04, cy + s * 0.075, s * 0.08, s * 0.04)
    pygame.draw.arc(face, (150, 80, 86), mouth, math.pi + 0.4, 2 * math.pi - 0.4, max(1, s // 110))
    return face


def _glint(surf: pygame.Surface, centre: tuple[float, float], r: float) -> None:
    x, y = centre
    width = max(1, round(r / 6))
    pygame.draw.line(surf, (255, 255, 255), (x - r, y), (x + r, y), width)
    pygame.draw.line(surf, (255, 255, 255), (x, y - r), (x, y + r), width)
    pygame.draw.circle(surf, (255, 255, 255), (x, y), max(1, r / 4))


def draw(side: int) -> pygame.Surface:
    """The emblem as a ``side`` x ``side`` picture (opaque)."""
    s = max(16, side) * 2
    pic = pygame.Surface((s, s))
    _gradient(pic, NIGHT_TOP, NIGHT_BOTTOM)
    _aurora(pic, s)
    rng = random.Random(SEED)
    for _ in range(40):
        pygame.draw.circle(
            pic, (230, 240, 255), (rng.uniform(0, s), rng.uniform(0, s * 0.45)), s / 400 + 0.5
        )
    # The mirror: the face inside an oval, an icy rim round it.
    oval = pygame.Rect(0, 0, round(s * 0.62), round(s * 0.78))
    oval.center = (s // 2, round(s * 0.53))
    inside = _hooded_face(s)
    cut = pygame.Surface((s, s), pygame.SRCALPHA)
    pygame.draw.ellipse(cut, (255, 255, 255, 255), oval)
    inside.blit(cut, (0, 0), special_flags=pygame.BLEND_RGBA_MIN)
    pic.blit(inside, (0, 0))
    pygame.draw.ellipse(pic, (12, 30, 54), oval.inflate(s // 22, s // 22), s // 40)
    pygame.draw.ellipse(pic, RIM, oval.inflate(s // 40, s // 40), s // 55)
    pygame.draw.ellipse(pic, ICE, oval, max(1, s // 220))
    # Frost ferns from the corners, over the rim as on a window.
    frost = pygame.Surface((s, s), pygame.SRCALPHA)
    for (x, y), angle in (
        ((0, 0), math.pi / 4),
        ((s, 0), 3 * math.pi / 4),
        ((0, s), -math.pi / 4),
        ((s, s), -3 * math.pi / 4),
    ):
        for spread in (-0.45, 0.0, 0.45):
            _fern(frost, rng, (x, y), angle + spread, s * rng.uniform(0.2, 0.3), s // 160 + 2, 2)
    pic.blit(frost, (0, 0))
    for gx, gy, r in ((0.73, 0.22, 0.035), (0.26, 0.8, 0.025), (0.8, 0.66, 0.02)):
        _glint(pic, (s * gx, s * gy), s * r)
    return pygame.transform.smoothscale(pic, (side, side))
