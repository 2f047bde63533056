"""The attract loop: the montage that plays while nobody is there, the title and an invitation."""

from __future__ import annotations

import math

import pygame

from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.scenes.base import Scene
from kiosk.ui.widgets import cover_rect, frame_surface


class AttractScene(Scene):
    """The montage that plays while nobody is there, with the title and an invitation."""

    name = "attract"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.now = 0.0

    def enter(self) -> None:
        super().enter()
        player = self.ctx.player
        player.set_size(self.ctx.size)
        player.set_volume(0.0)  # the montage is silent: nobody has asked for sound yet
        if self.ctx.collection.attract:
            # One looping playlist: the player joins the clips without a gap or a click.
            player.play_playlist(self.ctx.collection.attract, loop=True)

    def exit(self) -> None:
        self.ctx.player.stop()

    @property
    def animating(self) -> bool:
        return True

    def update(self, now: float) -> Transition | None:
        self.now = now
        return None

    def handle(self, g: Gesture) -> Transition | None:
        if g.kind in ("tap", "long_press", "swipe") or (g.kind == "key" and g.key == "activate"):
            return Transition("gallery")
        return None

    def draw(self, surf: pygame.Surface) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        surf.fill((0, 0, 0))
        frame = ctx.player.latest_frame()
        if frame is not None:
            img = frame_surface(frame)
            surf.blit(img, cover_rect(frame.size, surf.get_rect()))
        # A dark band behind the words keeps them readable over any picture (>= 4.5:1).
        band_h = int(lay.h * (0.42 if not lay.portrait else 0.34))
        band = pygame.Surface((lay.w, band_h), pygame.SRCALPHA)
        for y in range(band_h):
            band.fill((4, 10, 18, min(225, int(80 + 170 * y / band_h))), (0, y, lay.w, 1))
        surf.blit(band, (0, lay.h - band_h))
        c = ctx.collection
        y = lay.h - band_h + lay.margin
        self.text(
            surf,
            c.title.get(ctx.lang),
            "serif",
            lay.px_attract_title,
            (lay.w // 2, y),
            anchor="midtop",
        )
        y += int(lay.px_title * 1.3 * 1.35)
        self.text(
            surf,
            c.subtitle.get(ctx.lang),
            "sans",
            lay.px_head,
            (lay.w // 2, y),
            ctx.pal.accent,
            anchor="midtop",
        )
        y += int(lay.px_head * 1.8)
        # The invitation in every language, one under another: nobody has to find a switch.
        for lang in ctx.languages:
            words = c.invitation.get(lang) if c.invitation.has(lang) else ctx.t("touch", lang=lang)
            self.text(
                surf,
                words,
                "sans-bold" if lang == ctx.languages[0] else "sans",
                lay.px_head,
                (lay.w // 2, y),
                anchor="midtop",
            )
            y += int(lay.px_head * 1.4)
        # A slow pulse shows where to touch; it asks for nothing quick.
        r = int(lay.target * 0.5 + lay.target * 0.12 * (1 + math.sin(self.now * 2.0)))
        pygame.draw.circle(
            surf, ctx.pal.accent, (lay.w // 2, lay.h - lay.margin - lay.target // 2), r, 4
        )
