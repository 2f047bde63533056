"""The frost mirror as one of the visitor's scenes.

The mirror's behaviour (camera on while shown, hold-still countdown, frozen picture) lives in
:mod:`kiosk.mirror.scene` and its drawing in :mod:`kiosk.mirror.view`; this adapter gives it the
scenes' contract. The visit's idle countdown is the loop's, as for every scene. Leaving the scene
switches the camera off and reports only how long the mirror was used.
"""

from __future__ import annotations

import pygame

from kiosk.analytics.events import MirrorUsed
from kiosk.mirror import view
from kiosk.mirror.scene import MirrorPort, MirrorScene
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.scenes.base import Scene


class MirrorUIScene(Scene):
    name = "mirror"

    def __init__(self, ctx: Context, mirror: MirrorPort) -> None:
        super().__init__(ctx)
        self.inner = MirrorScene.from_settings(ctx.settings, mirror)
        # The loop's idle countdown ends a quiet visit; the mirror's own timer is not needed.
        self.inner.idle_s = float("inf")
        self.last = 0.0
        self.started = 0.0
        self.buttons_at: dict[str, pygame.Rect] = {}

    @classmethod
    def create(cls, ctx: Context, tr: Transition) -> Scene:
        if ctx.mirror is None:
            raise ValueError("no mirror on this kiosk")  # the registry asks available() first
        return cls(ctx, ctx.mirror)

    @classmethod
    def available(cls, ctx: Context) -> bool:
        return ctx.mirror is not None

    def enter(self) -> None:
        self.inner.enter(self.ctx.size)
        self.started = self.last = self.ctx.now()

    def exit(self) -> None:
        self.inner.leave()
        self.ctx.emit(MirrorUsed(max(0.0, self.ctx.now() - self.started)))

    @property
    def animating(self) -> bool:
        return True

    def update(self, now: float) -> Transition | None:
        dt, self.last = max(0.0, now - self.last), now
        self.inner.update(dt)
        return None

    def handle(self, g: Gesture) -> Transition | None:
        if g.kind == "key" and g.key == "back":
            return Transition("gallery")
        if g.kind != "tap":
            return None
        for action, rect in self.buttons_at.items():
            if rect.collidepoint(g.pos):
                if self.inner.handle(action) == "back":
                    return Transition("gallery")
                return None
        self.inner.handle("touch")
        return None

    def draw(self, surf: pygame.Surface) -> None:
        self.buttons_at = view.draw(surf, self.inner.view(), self.ctx.lang)
