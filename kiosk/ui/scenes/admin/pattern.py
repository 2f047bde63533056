"""The admin panel's test pattern: is the screen's size, scaling and colour what it should be?

Colour bars and a grey ramp show clipped or crushed levels; a 10 mm grid and a ruler with 1 mm
ticks show whether ``display.screen_width_mm`` matches the glass; a white frame shows overscan.
"""

from __future__ import annotations

import pygame

from kiosk.ui import theme
from kiosk.ui.context import Context
from kiosk.ui.scenes.base import blit_text

# Colour bars at 75 % (EBU order): full 255 would clip on screens that stretch video levels.
BARS = (
    (191, 191, 191),
    (191, 191, 0),
    (0, 191, 191),
    (0, 191, 0),
    (191, 0, 191),
    (191, 0, 0),
    (0, 0, 191),
    (16, 16, 16),
)


def draw_pattern(surf: pygame.Surface, ctx: Context) -> None:
    """Colour bars, a grey ramp, a 10 mm grid and a ruler, edge to edge."""
    lay = ctx.layout
    w, h = surf.get_size()
    bars_h = h * 2 // 3
    for i, colour in enumerate(BARS):
        surf.fill(
            colour,
            pygame.Rect(
                i * w // len(BARS), 0, (i + 1) * w // len(BARS) - i * w // len(BARS), bars_h
            ),
        )
    steps = 11
    for i in range(steps):
        v = round(255 * i / (steps - 1))
        x0, x1 = i * w // steps, (i + 1) * w // steps
        surf.fill((v, v, v), pygame.Rect(x0, bars_h, x1 - x0, h - bars_h))
    # A 10 mm grid: a square that is not square, or a cell that is not 10 mm, is the screen's
    # size setting (display.screen_width_mm) or scaling, not the content.
    ppm = ctx.metrics.px_per_mm
    grid = (128, 128, 128)
    n = 0
    while n * 10 * ppm < w:
        x = round(n * 10 * ppm)
        pygame.draw.line(surf, grid, (x, 0), (x, h), 2 if n % 5 == 0 else 1)
        n += 1
    n = 0
    while n * 10 * ppm < h:
        yy = round(n * 10 * ppm)
        pygame.draw.line(surf, grid, (0, yy), (w, yy), 2 if n % 5 == 0 else 1)
        n += 1
    pygame.draw.rect(surf, (255, 255, 255), surf.get_rect(), 3)  # edges: overscan shows here
    # The centre panel: the size, then a ruler with 1 mm ticks, white on near-black.
    white = (255, 255, 255)
    size = f"{w}×{h} px · {w / ppm:.0f}×{h / ppm:.0f} mm · {ppm:.2f} px/mm"
    lines = [
        (size, "sans-bold", lay.px_body),
        (ctx.t("admin_ruler"), "sans", lay.px_small),
        (ctx.t("admin_leave"), "sans-bold", lay.px_body),
    ]
    widest = max(theme.font(k, px).size(text)[0] for text, k, px in lines)
    ruler_mm = 100 if 100 * ppm + 2 * lay.margin < min(w, widest * 1.6) else 50
    ruler_w = round(ruler_mm * ppm)
    tick = round(6 * ppm)
    pad = lay.gap * 2
    ph = (
        2 * pad
        + int(lay.px_body * 1.4)
        + pad
        + tick
        + int(lay.px_small * 1.4)
        + int(lay.px_small * 1.6)
        + int(lay.px_body * 1.4)
    )
    panel = pygame.Rect(0, 0, max(widest, ruler_w) + 2 * pad, ph)
    panel.center = (w // 2, h // 2)
    surf.fill((10, 10, 10), panel)
    y = panel.top + pad
    blit_text(ctx, surf, size, "sans-bold", lay.px_body, (panel.centerx, y), white, anchor="midtop")
    y += int(lay.px_body * 1.4) + pad + tick
    x0 = panel.centerx - ruler_w // 2
    pygame.draw.line(surf, white, (x0, y), (x0 + ruler_w, y), 1)
    for mm in range(ruler_mm + 1):
        x = x0 + round(mm * ppm)
        tall = tick if mm % 10 == 0 else round(tick * (0.66 if mm % 5 == 0 else 0.4))
        pygame.draw.line(surf, white, (x, y), (x, y - tall), 1)
        if mm % 10 == 0:
            blit_text(
                ctx, surf, str(mm // 10), "sans", lay.px_small, (x, y + 2), white, anchor="midtop"
            )
    y += int(lay.px_small * 1.4)
    blit_text(
        ctx,
        surf,
        ctx.t("admin_ruler"),
        "sans",
        lay.px_small,
        (panel.centerx, y),
        white,
        anchor="midtop",
    )
    y += int(lay.px_small * 1.6)
    blit_text(
        ctx,
        surf,
        ctx.t("admin_leave"),
        "sans-bold",
        lay.px_body,
        (panel.centerx, y),
        white,
        anchor="midtop",
    )
