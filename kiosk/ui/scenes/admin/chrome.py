"""What the admin screen's pad and panel share: the title and hint above them, a line cut to fit."""

from __future__ import annotations

import pygame

from kiosk.ui import theme
from kiosk.ui.context import Context
from kiosk.ui.layout import PageLayout
from kiosk.ui.scenes.base import blit_text


def header_height(lay: PageLayout) -> int:
    """The title, the hint and the message line above the pad or the panel."""
    return int(lay.px_head * 1.5) + int(lay.px_small * 1.6) + int(lay.px_body * 1.6)


def draw_header(surf: pygame.Surface, ctx: Context) -> int:
    """Fill the screen, draw the title and the self-closing hint; returns the next line's top."""
    lay = ctx.layout
    surf.fill(ctx.pal.bg)
    y = lay.margin
    blit_text(
        ctx, surf, ctx.t("admin_title"), "sans-bold", lay.px_head, (lay.w // 2, y), anchor="midtop"
    )
    y += int(lay.px_head * 1.5)
    hint = ctx.t("admin_closes", n=round(ctx.settings.admin.idle_close_s))
    blit_text(ctx, surf, hint, "sans", lay.px_small, (lay.w // 2, y), anchor="midtop")
    return y + int(lay.px_small * 1.6)


def fit_line(text: str, kind: str, px: int, width: int) -> str:
    """``text`` cut with an ellipsis to fit ``width`` px."""
    fnt = theme.font(kind, px)
    if fnt.size(text)[0] <= width:
        return text
    while text and fnt.size(text + "…")[0] > width:
        text = text[:-1]
    return text + "…"
