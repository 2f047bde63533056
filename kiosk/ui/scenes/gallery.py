"""The gallery: every explorer as a large card, in chronological order, paged when they overflow.

When the frost mirror is offered (a camera is there and staff have not hidden it) its card comes
after the explorers', the same size, with the mirror's emblem drawn by the kiosk
(:mod:`kiosk.mirror.emblem`); a tap on it opens the mirror. Where the cards are comes from
:func:`kiosk.ui.layout.gallery_grid`, which the fit check uses too.

A finger that comes down on an explorer's card starts opening that explorer's first clip at once
(:meth:`GalleryScene.touch_down`): the tap only counts when the finger lifts, and by then the
file is open and its first pictures are decoded, so the explorer's page shows the clip at once
instead of ~0.1 s later (a 1080p clip). Nothing plays in the gallery, so the player's preloaded
clips are all the gallery's to let go: it holds one at most (the last card touched), and leaving
it lets go of every one but the clip the chosen explorer's page is about to play.
"""

from __future__ import annotations

import logging

import pygame

from kiosk.analytics.events import Fault, FaultKind
from kiosk.content.model import Explorer, Segment
from kiosk.mirror import emblem
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.layout import (
    CARD_NAME_LINES,
    card_name_px,
    explorer_regions,
    fit_line,
    fit_lines,
    gallery_grid,
    gallery_heading,
    gallery_title_px,
)
from kiosk.ui.scenes.base import Scene
from kiosk.ui.text import wrap_lines
from kiosk.ui.widgets import Button, draw_button

log = logging.getLogger(__name__)

EMBLEM = "mirror emblem"  # its key among the cached portraits (no explorer's slug has a space)


def mirror_offered(ctx: Context) -> bool:
    """Whether the visitor is offered the frost mirror now (a camera, and staff allow it)."""
    return ctx.mirror_available and ctx.mirror_enabled


class GalleryScene(Scene):
    """The first page of a visit. "Back" from here (the back key) is the visitor's goodbye."""

    name = "gallery"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.page = 0
        self.pages = 1
        self.per_page = 1
        self.cards: list[tuple[pygame.Rect, Explorer]] = []
        self.heading = pygame.Rect(0, 0, 0, 0)
        self.mirror_card: pygame.Rect | None = None  # on this page
        self.portraits = ctx.portraits  # scaled once per kiosk, not once per visit
        self.preloaded: Segment | None = None  # the clip opened for the card under a finger
        self.opening: Segment | None = None  # the clip of the explorer the visitor chose

    def relayout(self) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        explorers = ctx.collection.explorers
        mirror = mirror_offered(ctx)
        grid = gallery_grid(lay, len(explorers), mirror)
        self.per_page, self.pages = grid.per_page, grid.pages
        self.page = min(self.page, grid.pages - 1)
        items: list[Explorer | None] = [*explorers, *([None] if mirror else [])]
        shown = items[self.page * grid.per_page :][: grid.per_page]
        rects = grid.cards(len(shown))
        self.cards = [(r, e) for r, e in zip(rects, shown, strict=True) if e is not None]
        card = [r for r, e in zip(rects, shown, strict=True) if e is None]
        self.mirror_card = card[0] if card else None
        bar = self.bottom_bar(back=False)
        if self.mirror_card is not None:
            # The card is the way to the mirror on this page; the bar's button would repeat it.
            bar = [b for b in bar if b.action != "mirror"]
            bar.append(Button(self.mirror_card, ctx.t("mirror"), "mirror"))
        self.buttons = bar
        self.heading = gallery_heading(lay, grid, ctx.t("page", i=grid.pages, n=grid.pages))
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

    def touch_down(self, pos: tuple[int, int]) -> None:
        """A finger on an explorer's card: open the clip its page starts with, now.

        Opening a file and decoding its first pictures takes longer than a finger rests on a
        card, and all of it would otherwise wait for the tap. A press that turns into a swipe
        costs one clip opened for nothing, let go at the next card touched or when the visitor
        leaves the gallery (:meth:`exit`).
        """
        card = self._card_at(pos)
        seg = card.segments[0] if card is not None and card.segments else None
        if seg is None or seg == self.preloaded:
            return
        player = self.ctx.player
        # The player's preloaded clips are the last card's, or the next segment of the page the
        # visitor came back from: none is wanted now but the one under the finger.
        player.drop_preloaded()
        # At the size the explorer's page shows it: a frame decoded at another size would be
        # scaled on the UI thread, at the moment that matters.
        player.set_size(explorer_regions(self.ctx.layout).video.size)
        player.preload(seg)
        self.preloaded = seg

    def _card_at(self, pos: tuple[int, int]) -> Explorer | None:
        return next((e for rect, e in self.cards if rect.collidepoint(pos)), None)

    def _open(self, e: Explorer) -> Transition:
        self.opening = e.segments[0] if e.segments else None
        return Transition("explorer", e.slug)

    def exit(self) -> None:
        if self.opening is None or self.opening != self.preloaded:
            # The visitor went elsewhere (or chose a card by key): every preloaded clip is let
            # go now, its decode threads and frames with it, not when the player next needs a
            # slot; a visit that ends here leaves none behind.
            self.ctx.player.drop_preloaded()
        self.preloaded = None

    def handle(self, g: Gesture) -> Transition | None:
        if g.kind == "tap":
            card = self._card_at(g.pos)
            if card is not None:
                return self._open(card)
        if g.kind == "swipe" and g.direction in ("left", "right"):
            return self.on_button("next" if g.direction == "left" else "prev")
        if g.kind == "key" and g.key in ("left", "right"):
            return self.on_button("prev" if g.key == "left" else "next")
        if g.kind == "key" and g.key == "activate" and self.cards:
            return self._open(self.cards[0][1])
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

    def _emblem(self, side: int) -> pygame.Surface:
        key = (EMBLEM, side)
        img = self.portraits.get(key)
        if img is None:
            img = self.portraits[key] = emblem.draw(side)
        return img

    def _picture_side(self, rect: pygame.Rect) -> int:
        lay = self.ctx.layout
        text_h = int(lay.px_card_name * 1.3) * 2 + int(lay.px_body * 1.4)
        return max(16, min(rect.w - 2 * lay.gap, rect.h - 2 * lay.gap - text_h))

    def draw(self, surf: pygame.Surface) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        surf.fill(ctx.pal.bg)
        title = ctx.t("choose")
        self.text(
            surf,
            title,
            "serif",
            gallery_title_px(lay, self.heading, title),
            (self.heading.centerx, lay.margin),
            anchor="midtop",
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
        pad = lay.gap
        for rect, e in self.cards:
            pygame.draw.rect(surf, ctx.pal.surface, rect, border_radius=lay.radius * 2)
            side = self._picture_side(rect)
            img = self._portrait(e, side)
            if img is not None:
                surf.blit(img, img.get_rect(midtop=(rect.centerx, rect.top + pad)))
            y = rect.top + pad + side + pad // 2
            name = e.name.get(ctx.lang)
            px = card_name_px(lay, name, rect.w - 2 * pad)
            for line in wrap_lines(name, "sans-bold", px, rect.w - 2 * pad)[:CARD_NAME_LINES]:
                self.text(surf, line, "sans-bold", px, (rect.centerx, y), anchor="midtop")
                y += int(px * 1.25)
            years = e.years(circa=ctx.t("circa"))
            px = fit_line(years, "sans", lay.px_body, rect.w - 2 * pad, lay.px_small)
            self.text(surf, years, "sans", px, (rect.centerx, y + 2), ctx.pal.accent, "midtop")
        for b in self.buttons:
            if b.action == "mirror" and b.rect == self.mirror_card:
                self._draw_mirror_card(surf, b.rect)
            else:
                draw_button(surf, b, ctx.pal, ctx.cache, lay.px_button, lay.radius)

    def _draw_mirror_card(self, surf: pygame.Surface, rect: pygame.Rect) -> None:
        """The mirror's card: the emblem where a portrait would be, its name and a line that
        says what it does, framed in the accent colour so that it stands out."""
        ctx, lay = self.ctx, self.ctx.layout
        pad = lay.gap
        pygame.draw.rect(surf, ctx.pal.surface, rect, border_radius=lay.radius * 2)
        side = self._picture_side(rect)
        img = self._emblem(side)
        surf.blit(img, img.get_rect(midtop=(rect.centerx, rect.top + pad)))
        pygame.draw.rect(
            surf, ctx.pal.accent, rect, width=max(2, pad // 4), border_radius=lay.radius * 2
        )
        y = rect.top + pad + side + pad // 2
        room = rect.w - 2 * pad
        name = ctx.t("mirror")
        px = card_name_px(lay, name, room)
        names = wrap_lines(name, "sans-bold", px, room)[:CARD_NAME_LINES]
        for line in names:
            self.text(surf, line, "sans-bold", px, (rect.centerx, y), anchor="midtop")
            y += int(px * 1.25)
        # What it does, in as many lines as the card has room for under the name (two under a
        # one-line name on a landscape card, one under a two-line name).
        what = ctx.t("mirror_card")
        room_lines = max(1, min(3, (rect.bottom - pad - y) // round(lay.px_body * 1.2)))
        px = fit_lines(what, "sans", lay.px_body, room, lay.px_small, room_lines)
        for line in wrap_lines(what, "sans", px, room)[:room_lines]:
            self.text(surf, line, "sans", px, (rect.centerx, y + 2), ctx.pal.accent, "midtop")
            y += int(px * 1.2)
