"""The scenes' small contract and what the visitor's pages share (the bottom bar, buttons, text).

Each scene: ``handle(gesture) -> Transition | None``, ``update(now) -> Transition | None``,
``draw(surface)``, and ``animating`` (whether it needs frames while nothing is touched); an
animating scene may also redraw just what moves (``draw_changes``), and may get ready for a tap
while the finger is still down (``touch_down``). A
returned transition is the only way to change scene; the loop applies it. Sizes come from the
context's :class:`~kiosk.ui.layout.PageLayout`.
"""

from __future__ import annotations

import pygame

from kiosk.analytics.events import LanguageChosen
from kiosk.ui import i18n, theme
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.widgets import Button, draw_button


class Scene:
    """Base class: a scene that draws nothing and goes nowhere."""

    name = "scene"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.buttons: list[Button] = []

    @classmethod
    def create(cls, ctx: Context, tr: Transition) -> Scene:
        """The scene for ``tr`` (the registry calls this; a scene needing more overrides it)."""
        return cls(ctx)

    @classmethod
    def available(cls, ctx: Context) -> bool:
        """Whether this kiosk can show the scene now (the mirror needs a camera)."""
        return True

    def enter(self) -> None:
        self.relayout()

    def exit(self) -> None:
        pass

    def relayout(self) -> None:
        """Recompute buttons and text after a language, size or text-size change."""

    @property
    def animating(self) -> bool:
        return False

    def update(self, now: float) -> Transition | None:
        """Advance animations; a scene may also leave by itself (admin closing when idle)."""
        return None

    def touch_down(self, pos: tuple[int, int]) -> None:
        """A finger (or the mouse) has just come down at ``pos``; the tap, if it is one, comes
        when it lifts. A scene may start slow work for what is under the finger here (the
        gallery opens the explorer's clip); the press may still turn into a swipe."""

    def handle(self, g: Gesture) -> Transition | None:
        if g.kind == "tap":
            for b in self.buttons:
                if b.hit(g.pos):
                    return self.on_button(b.action)
        return None

    def on_button(self, action: str) -> Transition | None:
        return self.common_action(action)

    def common_action(self, action: str) -> Transition | None:
        ctx = self.ctx
        if action.startswith("lang:"):
            lang = action.split(":", 1)[1]
            if lang != ctx.lang:
                ctx.lang = lang
                ctx.emit(LanguageChosen(lang))
                self.relayout()
        elif action == "large":
            ctx.set_large_text(not ctx.large_text)
            self.relayout()
        elif action == "mirror":
            return Transition("mirror")
        return None

    def bottom_bar(self, back: bool) -> list[Button]:
        """Back at the left; large text and the languages at the right; all in reach."""
        lay = self.ctx.layout
        bar = lay.bottom_bar
        px = lay.px_button
        out: list[Button] = []
        x = bar.left
        if back:
            label = self.ctx.t("back")
            wb = max(lay.target * 2, theme.font("sans-bold", px).size(label)[0] + lay.target)
            out.append(Button(pygame.Rect(x, bar.top, wb, bar.h), label, "back", icon="back"))
            x += wb + lay.gap
        right = bar.right
        for lang in reversed(self.ctx.languages):
            name = i18n.language_name(lang)
            wl = max(lay.target * 2, theme.font("sans-bold", px).size(name)[0] + lay.target // 2)
            right -= wl
            out.append(
                Button(
                    pygame.Rect(right, bar.top, wl, bar.h),
                    name,
                    f"lang:{lang}",
                    active=lang == self.ctx.lang,
                )
            )
            right -= lay.gap
        wa = lay.target + lay.target // 2
        right -= wa
        out.append(
            Button(
                pygame.Rect(right, bar.top, wa, bar.h), "Aa", "large", active=self.ctx.large_text
            )
        )
        right -= lay.gap
        if self.ctx.mirror_available and self.ctx.mirror_enabled:
            label = self.ctx.t("mirror")
            wm = max(lay.target * 2, theme.font("sans-bold", px).size(label)[0] + lay.target // 2)
            if right - wm > x:
                out.append(Button(pygame.Rect(right - wm, bar.top, wm, bar.h), label, "mirror"))
        return out

    def draw_buttons(self, surf: pygame.Surface) -> None:
        lay = self.ctx.layout
        for b in self.buttons:
            draw_button(surf, b, self.ctx.pal, self.ctx.cache, lay.px_button, lay.radius)

    def draw(self, surf: pygame.Surface) -> None:
        surf.fill(self.ctx.pal.bg)

    def wake_in(self) -> float | None:
        """While animating: seconds until there is something new to draw (a clip's next
        frame); None: draw at the display's rate."""
        return None

    def draw_changes(self, surf: pygame.Surface) -> list[pygame.Rect] | None:
        """While animating: redraw only what moved since the last draw and return where it
        is ([] when nothing moved); None asks the loop for a whole :meth:`draw`."""
        return None

    def text(
        self,
        surf: pygame.Surface,
        text: str,
        kind: str,
        px: int,
        pos: tuple[int, int],
        colour: tuple[int, int, int] | None = None,
        anchor: str = "topleft",
    ) -> pygame.Rect:
        return blit_text(self.ctx, surf, text, kind, px, pos, colour, anchor)


def blit_text(
    ctx: Context,
    surf: pygame.Surface,
    text: str,
    kind: str,
    px: int,
    pos: tuple[int, int],
    colour: tuple[int, int, int] | None = None,
    anchor: str = "topleft",
) -> pygame.Rect:
    """Draw one line of ``text`` (cached) with its ``anchor`` point at ``pos``."""
    img = ctx.cache.render(text, kind, px, colour or ctx.pal.text)
    rect = img.get_rect(**{anchor: pos})
    surf.blit(img, rect)
    return rect
