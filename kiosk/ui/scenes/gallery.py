"""The gallery: every explorer as a large card, in chronological order, paged when they overflow."""

from __future__ import annotations

import logging

import pygame

from kiosk.analytics.events import Fault, FaultKind
from kiosk.content.model import Explorer
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.layout import gallery_grid
from kiosk.ui.scenes.base import Scene
from kiosk.ui.text import fit_words, wrap_lines
from kiosk.ui.widgets import Button

log = logging.getLogger(__name__)


class GalleryScene(Scene):
    """The first page of a visit. "Back" from here (the back key) is the visitor's goodbye."""

    name = "gallery"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.page = 0
        self.pages = 1
        self.per_page = 1
        self.cards: list[tuple[pygame.Rect, Explorer]] = []
        self.portraits = ctx.portraits  # scaled once per kiosk, not once per visit

    def relayout(self) -> None:
        lay = self.ctx.layout
        explorers = self.ctx.collection.explorers
        grid = gallery_grid(lay, len(explorers))
        self.per_page, self.pages = grid.per_page, grid.pages
        self.page = min(self.page, grid.pages - 1)
        shown = explorers[self.page * grid.per_page :][: grid.per_page]
        self.cards = list(zip(grid.cards(len(shown)), shown, strict=True))
        self.buttons = self.bottom_bar(back=False)
        if grid.arrows:
            mid = grid.area.centery
            t = lay.target
            self.buttons.append(
                Button(
                    pygame.Rect(lay.margin, mid - t // 2, t, t),
                    "",
                    "prev",
                    icon="left",
                    enabled=self.page > 0,
                )
            )
            self.buttons.append(
                Button(
                    pygame.Rect(lay.w - lay.margin - t, mid - t // 2, t, t),
                    "",
                    "next",
                    icon="right",
                    enabled=self.page < grid.pages - 1,
                )
            )

    def handle(self, g: Gesture) -> Transition | None:
        if g.kind == "tap":
            for rect, e in self.cards:
                if rect.collidepoint(g.pos):
                    return Transition("explorer", e.slug)
        if g.kind == "swipe" and g.direction in ("left", "right"):
            return self.on_button("next" if g.direction == "left" else "prev")
        if g.kind == "key" and g.key in ("left", "right"):
            return self.on_button("prev" if g.key == "left" else "next")
        if g.kind == "key" and g.key == "activate" and self.cards:
            return Transition("explorer", self.cards[0][1].slug)
        if g.kind == "key" and g.key == "back":
            return Transition("attract")  # the visitor says goodbye
        return super().handle(g)

    def on_button(self, action: str) -> Transition | None:
        if action in ("prev", "next"):
            new = self.page + (1 if action == "next" else -1)
            if 0 <= new < self.pages:
                self.page = new
                self.relayout()
            return None
        return super().on_button(action)

    def _portrait(self, e: Explorer, side: int) -> pygame.Surface | None:
        key = (e.slug, side)
        if key not in self.portraits:
            img = None
            if e.portrait is not None:
                try:
                    img = pygame.transform.smoothscale(
                        pygame.image.load(str(e.portrait)), (side, side)
                    )
                except (pygame.error, OSError, ValueError) as exc:
                    log.warning("portrait of %s cannot be shown: %s", e.slug, exc)
                    self.ctx.emit(Fault(FaultKind.CONTENT, f"portrait of {e.slug} cannot be shown"))
            self.portraits[key] = img
        return self.portraits[key]

    def draw(self, surf: pygame.Surface) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        surf.fill(ctx.pal.bg)
        self.text(
            surf, ctx.t("choose"), "serif", lay.px_title, (lay.w // 2, lay.margin), anchor="midtop"
        )
        if self.pages > 1:
            self.text(
                surf,
                ctx.t("page", i=self.page + 1, n=self.pages),
                "sans",
                lay.px_small,
                (lay.w - lay.margin, lay.margin + lay.px_title // 3),
                ctx.pal.accent,
                anchor="topright",
            )
        name_px = lay.px_card_name
        pad = lay.gap
        for rect, e in self.cards:
            pygame.draw.rect(surf, ctx.pal.surface, rect, border_radius=lay.radius * 2)
            text_h = int(name_px * 1.3) * 2 + int(lay.px_body * 1.4)
            side = max(16, min(rect.w - 2 * pad, rect.h - 2 * pad - text_h))
            img = self._portrait(e, side)
            if img is not None:
                surf.blit(img, img.get_rect(midtop=(rect.centerx, rect.top + pad)))
            y = rect.top + pad + side + pad // 2
            name = e.name.get(ctx.lang)
            px = fit_words(name, "sans-bold", name_px, rect.w - 2 * pad, lay.px_small)
            for line in wrap_lines(name, "sans-bold", px, rect.w - 2 * pad)[:2]:
                self.text(surf, line, "sans-bold", px, (rect.centerx, y), anchor="midtop")
                y += int(px * 1.25)
            self.text(
                surf,
                e.years(circa=ctx.t("circa")),
                "sans",
                lay.px_body,
                (rect.centerx, y + 2),
                ctx.pal.accent,
                anchor="midtop",
            )
        self.draw_buttons(surf)
