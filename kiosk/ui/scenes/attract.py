"""The attract loop: the montage that plays while nobody is there, the title and an invitation.

When the frost mirror is offered (switched on, its camera there, not hidden by staff) the attract
loop asks the mirror to watch for a visitor (:meth:`MirrorPort.watch`: the camera at a few frames
a second, a face detector glancing at each; no frame kept), says so with a small "camera on"
sign, and while someone stands in front of the kiosk shows an invitation to the mirror in every
language, the visitor's first; a tap on it opens the mirror, a tap elsewhere the gallery as ever.
Nothing of this is recorded: the analytics vocabulary has no event for an invitation, and the
visit that follows a tap is counted as any other.
"""

from __future__ import annotations

import math

import pygame

from kiosk.mirror import emblem
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.layout import camera_sign_rect, fit_line, fit_lines, invitation_rect
from kiosk.ui.scenes.base import Scene
from kiosk.ui.text import wrap_lines
from kiosk.ui.video import blit_frame, cover_rect

INVITE_FADE_S = 0.4  # the invitation fades in and out over this long: no pop
RED = (224, 52, 52)
NIGHT = (4, 10, 18)


class AttractScene(Scene):
    """The montage that plays while nobody is there, with the title and an invitation."""

    name = "attract"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.now = 0.0
        self.last: float | None = None
        self.watching = False  # the mirror watches for a visitor for this scene
        self.invite = 0.0  # how far the invitation to the mirror has faded in, 0..1
        self._plate: tuple[tuple[object, ...], pygame.Surface] | None = None
        self._band: tuple[tuple[int, int], pygame.Surface] | None = None

    def enter(self) -> None:
        super().enter()
        player = self.ctx.player
        player.set_size(self.ctx.size)
        player.set_volume(0.0)  # the montage is silent: nobody has asked for sound yet
        if self.ctx.collection.attract:
            # One looping playlist: the player joins the clips without a gap or a click.
            player.play_playlist(self.ctx.collection.attract, loop=True)
        self._watch()

    def exit(self) -> None:
        self.ctx.player.stop()
        self._watch(False)

    def _watch(self, wanted: bool | None = None) -> None:
        """Ask the mirror to watch while it is offered (checked every frame: a camera unplugged
        or the mirror hidden by staff ends the watch), and to stop when the scene goes."""
        ctx = self.ctx
        if wanted is None:
            wanted = ctx.mirror is not None and ctx.mirror_available and ctx.mirror_enabled
        if wanted != self.watching and ctx.mirror is not None:
            ctx.mirror.watch(wanted)
            self.watching = wanted
        if not self.watching:
            self.invite = 0.0

    @property
    def animating(self) -> bool:
        return True

    def update(self, now: float) -> Transition | None:
        dt = 0.0 if self.last is None else max(0.0, now - self.last)
        self.now = self.last = now
        self._watch()
        mirror = self.ctx.mirror
        present = self.watching and mirror is not None and mirror.someone_present()
        step = dt / INVITE_FADE_S
        self.invite = min(1.0, self.invite + step) if present else max(0.0, self.invite - step)
        return None

    @property
    def inviting(self) -> bool:
        """The invitation to the mirror is on screen (and a tap on it opens the mirror)."""
        return self.invite >= 0.5

    def handle(self, g: Gesture) -> Transition | None:
        if g.kind == "tap" and self.inviting:
            rect = invitation_rect(self.ctx.layout, len(self.ctx.languages))
            if rect.collidepoint(g.pos):
                return Transition("mirror")
        if g.kind in ("tap", "long_press", "swipe") or (g.kind == "key" and g.key == "activate"):
            return Transition("gallery")
        return None

    def draw(self, surf: pygame.Surface) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        frame = ctx.player.latest_frame()
        if frame is None:
            surf.fill((0, 0, 0))
        else:
            at = cover_rect(frame.size, surf.get_rect())
            if not pygame.Rect(at.topleft, frame.size).contains(surf.get_rect()):
                surf.fill((0, 0, 0))  # the letterbox; a frame that fills the screen needs none
            blit_frame(surf, frame, at.topleft)
        band = self._shade()
        band_h = band.get_height()
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
        if self.watching:
            self._draw_camera_sign(surf)
        if self.invite > 0:
            plate = self._invitation()
            plate.set_alpha(round(255 * self.invite))
            surf.blit(plate, invitation_rect(lay, len(ctx.languages)))

    def _shade(self) -> pygame.Surface:
        """The dark band behind the words, which keeps them readable over any picture
        (>= 4.5:1): a gradient of a few hundred rows, drawn once per screen size, not per frame
        (its fills were most of the attract loop's drawing time)."""
        lay = self.ctx.layout
        band_h = int(lay.h * (0.42 if not lay.portrait else 0.34))
        key = (lay.w, band_h)
        if self._band is not None and self._band[0] == key:
            return self._band[1]
        band = pygame.Surface(key, pygame.SRCALPHA)
        for y in range(band_h):
            band.fill((*NIGHT, min(225, int(80 + 170 * y / band_h))), (0, y, lay.w, 1))
        self._band = (key, band)
        return band

    def _draw_camera_sign(self, surf: pygame.Surface) -> None:
        """While the camera watches, the visitor can see that it does (and that nothing is kept)."""
        ctx, lay = self.ctx, self.ctx.layout
        room = camera_sign_rect(lay)
        r = max(4, lay.px_small // 3)
        words = ctx.t("mirror_camera")
        width = room.w - r * 6
        px = fit_lines(words, "sans", lay.px_small, width, max(10, lay.px_small * 2 // 3), 2)
        lines = wrap_lines(words, "sans", px, width)[:2]
        imgs = [ctx.cache.render(line, "sans", px, (236, 242, 250)) for line in lines]
        step = round(px * 1.25)
        top = room.bottom - r - step * len(imgs)
        plate = pygame.Rect(room.left, top - r, max(i.get_width() for i in imgs) + r * 6, 0)
        plate.height = room.bottom - plate.top
        backing = pygame.Surface(plate.size, pygame.SRCALPHA)
        pygame.draw.rect(backing, (*NIGHT, 170), backing.get_rect(), border_radius=r)
        surf.blit(backing, plate)
        pygame.draw.circle(surf, RED, (room.left + r * 2, top + step // 2), r)
        for i, img in enumerate(imgs):
            surf.blit(img, img.get_rect(midleft=(room.left + r * 4, top + step * i + step // 2)))

    def _invitation(self) -> pygame.Surface:
        """The invitation's plate: the mirror's emblem and the words in every language, drawn
        once for the language and text size and faded in by the caller."""
        ctx, lay = self.ctx, self.ctx.layout
        rect = invitation_rect(lay, len(ctx.languages))
        langs = [ctx.lang, *(code for code in ctx.languages if code != ctx.lang)]
        key: tuple[object, ...] = (tuple(langs), rect.size, lay.large, id(ctx.collection))
        if self._plate is not None and self._plate[0] == key:
            return self._plate[1]
        plate = pygame.Surface(rect.size, pygame.SRCALPHA)
        box = plate.get_rect()
        radius = lay.radius * 2
        pygame.draw.rect(plate, (*NIGHT, 215), box, border_radius=radius)
        edge = max(2, lay.gap // 4)
        pygame.draw.rect(plate, ctx.pal.accent, box, width=edge, border_radius=radius)
        pad = lay.gap
        side = rect.h - 2 * pad
        plate.blit(emblem.draw(side), (pad, pad))
        left = pad * 2 + side
        room = rect.w - left - pad
        heights = [round(lay.px_head * 1.35)] + [round(lay.px_body * 1.35)] * (len(langs) - 1)
        y = (rect.h - sum(heights)) // 2
        for i, lang in enumerate(langs):
            words = ctx.t("mirror_invite", lang=lang)
            kind, px = ("sans-bold", lay.px_head) if i == 0 else ("sans", lay.px_body)
            px = fit_line(words, kind, px, room, lay.px_small)
            colour = ctx.pal.text if i == 0 else ctx.pal.accent
            img = ctx.cache.render(words, kind, px, colour)
            plate.blit(img, img.get_rect(midleft=(left, y + heights[i] // 2)))
            y += heights[i]
        self._plate = (key, plate)
        return plate
