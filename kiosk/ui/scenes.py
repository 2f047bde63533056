"""The visitor's scenes: attract loop, gallery and explorer page.

Each scene has the same small contract: ``handle(gesture) -> Transition | None``,
``update(now)``, ``draw(surface)``, and ``animating`` (whether it needs frames while nothing is
touched). A returned transition is the only way to change scene; the loop applies it. All
sizes come from :class:`Frame`, computed once per screen size, so landscape and portrait screens
share one layout.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pygame

from kiosk.analytics.events import (
    CaptionsToggled,
    Event,
    ExplorerOpened,
    Fault,
    FaultKind,
    LanguageChosen,
    SegmentStarted,
    SegmentWatched,
)
from kiosk.content.model import Collection, Explorer, Segment
from kiosk.settings import Settings
from kiosk.ui import i18n, theme
from kiosk.ui.input import Gesture
from kiosk.ui.ports import PlayerPort
from kiosk.ui.text import Layout, TextCache, fit_words, layout_text, wrap_lines
from kiosk.ui.widgets import (
    Button,
    Palette,
    RouteMap,
    cover_rect,
    draw_button,
    draw_caption,
    frame_surface,
)

log = logging.getLogger(__name__)

Emit = Callable[[Event], None]


def _ignore(event: Event) -> None:
    """The default sink for events when no recorder is attached."""


@dataclass(frozen=True)
class Transition:
    """Go to scene ``to`` (with the explorer ``slug`` for the explorer page)."""

    to: str
    slug: str | None = None


@dataclass
class Context:
    """What every scene shares for one kiosk: content, settings, the player and the visit."""

    collection: Collection
    settings: Settings
    player: PlayerPort
    size: tuple[int, int]
    lang: str
    languages: list[str]
    emit: Emit = field(default=_ignore)
    captions_on: bool = True
    large_text: bool = False
    volume: float = 0.7
    cache: TextCache = field(default_factory=TextCache)
    map_backgrounds: dict[tuple[str, tuple[int, int]], pygame.Surface] = field(default_factory=dict)
    portraits: dict[tuple[str, int], pygame.Surface | None] = field(default_factory=dict)
    mirror_available: bool = False
    mirror: Any = None  # the frost mirror's pipeline (kiosk.mirror.scene.MirrorPort), if any
    mirror_enabled: bool = True  # staff can hide the mirror (admin panel) even with a camera
    captions_default: bool | None = None  # staff's choice for new visits; None: the settings'
    admin_gate: Any = None  # kiosk.ops.admin.AdminGate; built from the settings when first needed
    admin_hooks: Any = None  # kiosk.ui.admin_scene.AdminHooks: what the admin panel can call
    now: Callable[[], float] = time.monotonic  # the loop's clock (frozen in tests)

    def __post_init__(self) -> None:
        th = self.collection.theme
        self.pal = Palette(th.background, th.surface, th.text, th.accent)
        self.metrics = theme.Metrics(self.size, self.settings.display.screen_width_mm)
        self.frame = Frame(self.size, self.metrics, self.large_text)

    def set_collection(self, collection: Collection) -> None:
        """Show another collection from now on (a new release, at an attract boundary)."""
        self.collection = collection
        self.map_backgrounds.clear()  # its theme may differ
        self.portraits.clear()
        self.__post_init__()
        if self.lang not in collection.languages:
            self.lang = collection.default_language
        self.languages = [x for x in self.languages if x in collection.languages] or list(
            collection.languages
        )

    def set_large_text(self, on: bool) -> None:
        self.large_text = on
        self.frame = Frame(self.size, self.metrics, on)

    def t(self, key: str, **values: object) -> str:
        return i18n.t(self.lang, key, **values)


class Frame:
    """Sizes and regions of the screen in pixels, from millimetres."""

    def __init__(self, size: tuple[int, int], metrics: theme.Metrics, large: bool) -> None:
        w, h = size
        self.w, self.h = w, h
        self.portrait = h > w
        mm = metrics.mm
        k = 1.3 if large else 1.0
        base = min(w, h)
        self.margin = max(12, mm(8))
        self.gap = max(8, mm(4))
        # Touch targets: at least 20 mm square.
        self.target = max(mm(20), 48)
        self.radius = max(6, mm(2.5))
        self.px_title = round(base * 0.062 * k)
        self.px_head = round(base * 0.042 * k)
        self.px_body = round(base * (0.030 if not self.portrait else 0.028) * k)
        self.px_small = round(base * 0.024 * k)
        self.px_button = round(min(self.target * 0.36, base * 0.026) * min(k, 1.15))
        self.px_caption = round(base * 0.032 * k)
        bar_h = self.target
        self.bottom_bar = pygame.Rect(
            self.margin, h - self.margin - bar_h, w - 2 * self.margin, bar_h
        )
        self.content = pygame.Rect(
            self.margin, self.margin, w - 2 * self.margin, self.bottom_bar.top - 2 * self.margin
        )


class Scene:
    """Base class: a scene that draws nothing and goes nowhere."""

    name = "scene"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.buttons: list[Button] = []

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
        f = self.ctx.frame
        bar = f.bottom_bar
        out: list[Button] = []
        x = bar.left
        if back:
            wb = max(
                f.target * 2,
                theme.font("sans-bold", f.px_button).size(self.ctx.t("back"))[0] + f.target,
            )
            out.append(
                Button(pygame.Rect(x, bar.top, wb, bar.h), self.ctx.t("back"), "back", icon="back")
            )
            x += wb + f.gap
        right = bar.right
        for lang in reversed(self.ctx.languages):
            name = i18n.language_name(lang)
            wl = max(
                f.target * 2, theme.font("sans-bold", f.px_button).size(name)[0] + f.target // 2
            )
            right -= wl
            out.append(
                Button(
                    pygame.Rect(right, bar.top, wl, bar.h),
                    name,
                    f"lang:{lang}",
                    active=lang == self.ctx.lang,
                )
            )
            right -= f.gap
        wa = f.target + f.target // 2
        right -= wa
        out.append(
            Button(
                pygame.Rect(right, bar.top, wa, bar.h), "Aa", "large", active=self.ctx.large_text
            )
        )
        right -= f.gap
        if self.ctx.mirror_available and self.ctx.mirror_enabled:
            wm = max(
                f.target * 2,
                theme.font("sans-bold", f.px_button).size(self.ctx.t("mirror"))[0] + f.target // 2,
            )
            if right - wm > x:
                out.append(
                    Button(
                        pygame.Rect(right - wm, bar.top, wm, bar.h), self.ctx.t("mirror"), "mirror"
                    )
                )
        return out

    def draw_buttons(self, surf: pygame.Surface) -> None:
        f = self.ctx.frame
        for b in self.buttons:
            draw_button(surf, b, self.ctx.pal, self.ctx.cache, f.px_button, f.radius)

    def draw(self, surf: pygame.Surface) -> None:
        surf.fill(self.ctx.pal.bg)

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
        img = self.ctx.cache.render(text, kind, px, colour or self.ctx.pal.text)
        rect = img.get_rect(**{anchor: pos})
        surf.blit(img, rect)
        return rect


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
        ctx, f = self.ctx, self.ctx.frame
        surf.fill((0, 0, 0))
        frame = ctx.player.latest_frame()
        if frame is not None:
            img = frame_surface(frame)
            surf.blit(img, cover_rect(frame.size, surf.get_rect()))
        # A dark band behind the words keeps them readable over any picture (>= 4.5:1).
        band_h = int(f.h * (0.42 if not f.portrait else 0.34))
        band = pygame.Surface((f.w, band_h), pygame.SRCALPHA)
        for y in range(band_h):
            band.fill((4, 10, 18, min(225, int(80 + 170 * y / band_h))), (0, y, f.w, 1))
        surf.blit(band, (0, f.h - band_h))
        c = ctx.collection
        y = f.h - band_h + f.margin
        self.text(
            surf,
            c.title.get(ctx.lang),
            "serif",
            int(f.px_title * 1.3),
            (f.w // 2, y),
            anchor="midtop",
        )
        y += int(f.px_title * 1.3 * 1.35)
        self.text(
            surf,
            c.subtitle.get(ctx.lang),
            "sans",
            f.px_head,
            (f.w // 2, y),
            ctx.pal.accent,
            anchor="midtop",
        )
        y += int(f.px_head * 1.8)
        # The invitation in every language, one under another: nobody has to find a switch.
        for lang in ctx.languages:
            words = c.invitation.get(lang) if c.invitation.has(lang) else i18n.t(lang, "touch")
            self.text(
                surf,
                words,
                "sans-bold" if lang == ctx.languages[0] else "sans",
                f.px_head,
                (f.w // 2, y),
                anchor="midtop",
            )
            y += int(f.px_head * 1.4)
        # A slow pulse shows where to touch; it asks for nothing quick.
        r = int(f.target * 0.5 + f.target * 0.12 * (1 + math.sin(self.now * 2.0)))
        pygame.draw.circle(surf, ctx.pal.accent, (f.w // 2, f.h - f.margin - f.target // 2), r, 4)


class GalleryScene(Scene):
    """Every explorer as a large card, in chronological order, paged when they do not fit."""

    name = "gallery"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.page = 0
        self.cards: list[tuple[pygame.Rect, Explorer]] = []
        self.per_page = 1
        self.portraits = ctx.portraits  # scaled once per kiosk, not once per visit

    def relayout(self) -> None:
        f = self.ctx.frame
        area = f.content.copy()
        head = int(f.px_title * 1.6)
        area.top += head
        area.height -= head
        n = len(self.ctx.collection.explorers)
        cols = 2 if f.portrait else 3
        rows = 3 if f.portrait else 2
        if self.ctx.large_text:
            cols, rows = (2, 2) if f.portrait else (3, 1)
        self.per_page = cols * rows
        pages = max(1, -(-n // self.per_page))
        self.page = min(self.page, pages - 1)
        arrows = pages > 1
        if arrows:
            area.left += f.target + f.gap
            area.width -= 2 * (f.target + f.gap)
        cw = (area.w - f.gap * (cols - 1)) // cols
        ch = (area.h - f.gap * (rows - 1)) // rows
        self.cards = []
        shown = self.ctx.collection.explorers[self.page * self.per_page :][: self.per_page]
        for i, e in enumerate(shown):
            r, c = divmod(i, cols)
            self.cards.append(
                (pygame.Rect(area.left + c * (cw + f.gap), area.top + r * (ch + f.gap), cw, ch), e)
            )
        self.buttons = self.bottom_bar(back=False)
        if arrows:
            mid = area.centery
            self.buttons.append(
                Button(
                    pygame.Rect(f.margin, mid - f.target // 2, f.target, f.target),
                    "",
                    "prev",
                    icon="left",
                    enabled=self.page > 0,
                )
            )
            self.buttons.append(
                Button(
                    pygame.Rect(f.w - f.margin - f.target, mid - f.target // 2, f.target, f.target),
                    "",
                    "next",
                    icon="right",
                    enabled=self.page < pages - 1,
                )
            )
        self.pages = pages

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
        ctx, f = self.ctx, self.ctx.frame
        surf.fill(ctx.pal.bg)
        self.text(surf, ctx.t("choose"), "serif", f.px_title, (f.w // 2, f.margin), anchor="midtop")
        if self.pages > 1:
            self.text(
                surf,
                ctx.t("page", i=self.page + 1, n=self.pages),
                "sans",
                f.px_small,
                (f.w - f.margin, f.margin + f.px_title // 3),
                ctx.pal.accent,
                anchor="topright",
            )
        for rect, e in self.cards:
            pygame.draw.rect(surf, ctx.pal.surface, rect, border_radius=f.radius * 2)
            pad = f.gap
            name_px = f.px_head if not ctx.large_text else int(f.px_head * 1.1)
            text_h = int(name_px * 1.3) * 2 + int(f.px_body * 1.4)
            side = max(16, min(rect.w - 2 * pad, rect.h - 2 * pad - text_h))
            img = self._portrait(e, side)
            if img is not None:
                surf.blit(img, img.get_rect(midtop=(rect.centerx, rect.top + pad)))
            y = rect.top + pad + side + pad // 2
            name = e.name.get(ctx.lang)
            px = fit_words(name, "sans-bold", name_px, rect.w - 2 * pad, f.px_small)
            for line in wrap_lines(name, "sans-bold", px, rect.w - 2 * pad)[:2]:
                self.text(surf, line, "sans-bold", px, (rect.centerx, y), anchor="midtop")
                y += int(px * 1.25)
            self.text(
                surf,
                e.years(ctx.lang),
                "sans",
                f.px_body,
                (rect.centerx, y + 2),
                ctx.pal.accent,
                anchor="midtop",
            )
        self.draw_buttons(surf)


class ExplorerScene(Scene):
    """One explorer: the clip with sound and captions, the text, key facts and the route map."""

    name = "explorer"

    def __init__(self, ctx: Context, slug: str) -> None:
        super().__init__(ctx)
        self.explorer = ctx.collection.explorer(slug)
        self.seg_index = 0
        self.tab = "story"
        self.text_page = 0
        self.layout: Layout | None = None
        self.map: RouteMap | None = None
        self.paused = False
        self.playing: Segment | None = None
        self.watch_reported = True
        self.failure_reported = False
        self.last_clock = 0.0

    @property
    def segment(self) -> Segment | None:
        segs = self.explorer.segments
        return segs[self.seg_index] if segs else None

    # -- geometry ---------------------------------------------------------------------------
    def relayout(self) -> None:
        ctx, f = self.ctx, self.ctx.frame
        c = f.content
        if f.portrait:
            vw = c.w
            vh = vw * 9 // 16
            # Portrait: picture and map above, the controls below them in reach, then the text.
            self.video_rect = pygame.Rect(c.left, c.top, vw, vh)
            map_h = int(c.h * 0.17)
            self.map_rect = pygame.Rect(c.left, self.video_rect.bottom + f.gap, c.w, map_h)
            self.controls_rect = pygame.Rect(c.left, self.map_rect.bottom + f.gap, c.w, f.target)
            top = self.controls_rect.bottom + f.gap
            self.side_rect = pygame.Rect(c.left, top, c.w, c.bottom - top)
        else:
            vw = int(c.w * 0.56)
            vh = vw * 9 // 16
            self.video_rect = pygame.Rect(c.left, c.top, vw, vh)
            self.controls_rect = pygame.Rect(c.left, self.video_rect.bottom + f.gap, vw, f.target)
            top = self.controls_rect.bottom + f.gap
            self.map_rect = pygame.Rect(c.left, top, vw, c.bottom - top)
            left = c.left + vw + f.margin
            self.side_rect = pygame.Rect(left, c.top, c.right - left, c.h)
        ctx.player.set_size(self.video_rect.size)
        # Title block, tabs, then the text panel with its page buttons at the bottom.
        s = self.side_rect
        self.name_y = s.top
        head_h = int(f.px_title * 1.25) + int(f.px_body * 1.5)
        tabs_y = s.top + head_h + f.gap
        tab_w = (s.w - f.gap) // 2
        self.buttons = [
            Button(
                pygame.Rect(s.left, tabs_y, tab_w, f.target),
                ctx.t("story"),
                "tab:story",
                active=self.tab == "story",
            ),
            Button(
                pygame.Rect(s.left + tab_w + f.gap, tabs_y, tab_w, f.target),
                ctx.t("facts"),
                "tab:facts",
                active=self.tab == "facts",
            ),
        ]
        nav_y = s.bottom - f.target
        self.panel = pygame.Rect(
            s.left, tabs_y + f.target + f.gap, s.w, nav_y - f.gap - (tabs_y + f.target + f.gap)
        )
        text = self.explorer.summary.get(ctx.lang) + "\n\n" + self.explorer.body.get(ctx.lang)
        if self.tab == "facts":
            text = "\n\n".join(
                f"{fact.date.display(ctx.lang)} — {fact.text.get(ctx.lang)}"
                for fact in self.explorer.facts
            )
        self.layout = layout_text(text, "serif", f.px_body, self.panel.size, ctx.lang)
        self.text_page = min(self.text_page, self.layout.count - 1)
        if self.layout.count > 1:
            self.buttons += [
                Button(
                    pygame.Rect(s.left, nav_y, f.target * 2, f.target),
                    "",
                    "page-",
                    icon="left",
                    enabled=self.text_page > 0,
                ),
                Button(
                    pygame.Rect(s.right - f.target * 2, nav_y, f.target * 2, f.target),
                    "",
                    "page+",
                    icon="right",
                    enabled=self.text_page < self.layout.count - 1,
                ),
            ]
        # The clip's controls right under the picture.
        cr = self.controls_rect
        names = [
            ("pause" if not self.paused else "play", "playpause"),
            ("replay", "replay"),
            ("next", "next-seg"),
            ("cc", "captions"),
            ("vol-", "vol-"),
            ("vol+", "vol+"),
        ]
        bw = min(f.target * 2, (cr.w - f.gap * (len(names) - 1)) // len(names))
        bw = max(bw, f.target)
        for i, (icon, action) in enumerate(names):
            b = Button(
                pygame.Rect(cr.left + i * (bw + f.gap), cr.top, bw, cr.h), "", action, icon=icon
            )
            if action == "captions":
                b.active = ctx.captions_on
            if action == "next-seg":
                b.enabled = len(self.explorer.segments) > 1
            if action in ("playpause", "replay", "captions", "vol-", "vol+"):
                b.enabled = self.segment is not None
            self.buttons.append(b)
        self.buttons += self.bottom_bar(back=True)
        self.map = RouteMap(
            self.explorer, self.map_rect.size, ctx.pal, ctx.lang, ctx.map_backgrounds
        )

    # -- life -------------------------------------------------------------------------------
    def enter(self) -> None:
        super().enter()
        self.ctx.emit(ExplorerOpened(self.explorer.slug))
        self._start_segment()

    def _watched(self) -> None:
        """Report how much of the segment on screen was seen, once, when it stops."""
        seg = self.playing
        if seg is None or self.watch_reported:
            return
        self.watch_reported = True
        player = self.ctx.player
        duration = seg.duration or self.last_clock
        seen = duration if player.state == "ended" else min(self.last_clock, duration)
        self.ctx.emit(SegmentWatched(self.explorer.slug, seg.id, seen, duration))

    def _start_segment(self) -> None:
        self._watched()
        seg = self.segment
        self.paused = False
        if seg is None:
            return
        self.ctx.player.play(seg)
        self.ctx.player.set_volume(self.ctx.volume)
        self.playing, self.watch_reported, self.last_clock = seg, False, 0.0
        self.failure_reported = False
        self.ctx.emit(SegmentStarted(self.explorer.slug, seg.id))
        nxt = self.explorer.segments[(self.seg_index + 1) % len(self.explorer.segments)]
        if nxt is not seg:
            self.ctx.player.preload(nxt)

    def exit(self) -> None:
        self._watched()
        self.ctx.player.stop()

    @property
    def animating(self) -> bool:
        return self.segment is not None and self.ctx.player.state == "playing"

    def update(self, now: float) -> Transition | None:
        player = self.ctx.player
        if self.playing is None:
            return None
        if player.state in ("playing", "paused"):
            self.last_clock = player.clock()
        elif player.state == "ended":
            self._watched()
        elif player.state == "failed" and not self.failure_reported:
            self.failure_reported = True
            self.ctx.emit(Fault(FaultKind.MEDIA, f"segment {self.explorer.slug}/{self.playing.id}"))
        return None

    def on_button(self, action: str) -> Transition | None:
        ctx, player = self.ctx, self.ctx.player
        if action == "back":
            return Transition("gallery")
        if action.startswith("tab:"):
            self.tab = action[4:]
            self.text_page = 0
        elif action in ("page-", "page+") and self.layout is not None:
            step = 1 if action == "page+" else -1
            self.text_page = max(0, min(self.layout.count - 1, self.text_page + step))
        elif action == "playpause":
            if player.state == "playing":
                player.pause()
                self.paused = True
            elif player.state == "paused":
                player.resume()
                self.paused = False
            else:
                self._start_segment()
        elif action == "replay":
            self._start_segment()
        elif action == "next-seg" and len(self.explorer.segments) > 1:
            self.seg_index = (self.seg_index + 1) % len(self.explorer.segments)
            self._start_segment()
        elif action == "captions":
            ctx.captions_on = not ctx.captions_on
            ctx.emit(CaptionsToggled(ctx.captions_on))
        elif action in ("vol-", "vol+"):
            cap = ctx.settings.audio.volume_cap
            ctx.volume = max(
                0.0, min(cap, round(ctx.volume + (0.1 if action == "vol+" else -0.1), 2))
            )
            player.set_volume(ctx.volume)
        else:
            return super().on_button(action)
        self.relayout_buttons_only()
        return None

    def relayout_buttons_only(self) -> None:
        # Cheap: rebuilds rects and labels; the RouteMap background is kept.
        keep = self.map
        self.relayout()
        if keep is not None and self.map is not None and keep.lang == self.map.lang:
            self.map = keep

    def handle(self, g: Gesture) -> Transition | None:
        if g.kind == "swipe" and self.panel.collidepoint(g.pos):
            return self.on_button("page+" if g.direction in ("left", "up") else "page-")
        if g.kind == "key":
            if g.key == "back":
                return Transition("gallery")
            if g.key in ("down", "right"):
                return self.on_button("page+")
            if g.key in ("up", "left"):
                return self.on_button("page-")
            if g.key == "activate":
                return self.on_button("playpause")
        if g.kind == "tap" and self.video_rect.collidepoint(g.pos):
            return self.on_button("playpause")
        return super().handle(g)

    # -- drawing ----------------------------------------------------------------------------
    def draw(self, surf: pygame.Surface) -> None:
        ctx, f = self.ctx, self.ctx.frame
        surf.fill(ctx.pal.bg)
        pygame.draw.rect(surf, (0, 0, 0), self.video_rect)
        frame = ctx.player.latest_frame() if self.segment is not None else None
        if frame is not None:
            img = frame_surface(frame)
            if frame.size == self.video_rect.size:
                surf.blit(img, self.video_rect)
            else:
                surf.blit(
                    pygame.transform.scale(img, cover_rect(frame.size, self.video_rect).size),
                    cover_rect(frame.size, self.video_rect),
                )
        elif self.segment is None or ctx.player.state == "failed":
            self.text(
                surf,
                ctx.t("no_clip"),
                "sans",
                f.px_body,
                self.video_rect.center,
                ctx.pal.accent,
                anchor="center",
            )
        if self.segment is not None and ctx.captions_on:
            cap = ctx.player.caption(ctx.lang)
            if cap:
                draw_caption(surf, cap, self.video_rect, ctx.cache, f.px_caption)
        if self.map is not None:
            t = ctx.player.clock() if self.segment is not None and self.seg_index == 0 else 1e9
            self.map.draw(surf, self.map_rect.topleft, t, ctx.cache, f.px_small)
        # Name and years, then the text page.
        s = self.side_rect
        name = self.explorer.name.get(ctx.lang)
        px = f.px_title
        while px > f.px_body and theme.font("serif", px).size(name)[0] > s.w:
            px -= 2  # a long name gets a smaller size rather than running off the screen
        self.text(surf, name, "serif", px, (s.left, s.top))
        self.text(
            surf,
            self.explorer.years(ctx.lang),
            "sans",
            f.px_body,
            (s.left, s.top + int(f.px_title * 1.25)),
            ctx.pal.accent,
        )
        if self.layout is not None:
            y = self.panel.top
            for line in self.layout.pages[self.text_page]:
                if line:
                    self.text(surf, line, "serif", f.px_body, (self.panel.left, y))
                y += self.layout.line_height
            if self.layout.count > 1:
                self.text(
                    surf,
                    ctx.t("page", i=self.text_page + 1, n=self.layout.count),
                    "sans",
                    f.px_small,
                    (s.centerx, s.bottom - f.target // 2),
                    ctx.pal.accent,
                    anchor="center",
                )
        self.draw_buttons(surf)
        # Volume level beside the volume buttons.
        vol = next((b for b in self.buttons if b.action == "vol+"), None)
        if vol is not None and self.segment is not None:
            level = f"{round(ctx.volume * 100)}%"
            self.text(
                surf,
                level,
                "sans",
                f.px_small,
                (vol.rect.right + f.gap, vol.rect.centery),
                ctx.pal.accent,
                anchor="midleft",
            )


SCENES: dict[str, Callable[..., Scene]] = {
    "attract": AttractScene,
    "gallery": GalleryScene,
    "explorer": ExplorerScene,
}


def make_scene(ctx: Context, tr: Transition) -> Scene:
    if tr.to == "mirror":
        if ctx.mirror is None:
            return make_scene(ctx, Transition("gallery"))
        from kiosk.ui.mirror_scene import MirrorUIScene

        return MirrorUIScene(ctx)
    if tr.to == "admin":
        from kiosk.ui.admin_scene import AdminScene

        if ctx.admin_gate is None:
            from kiosk.ops.admin import AdminGate

            ctx.admin_gate = AdminGate.from_settings(ctx.settings)
        return AdminScene(ctx, ctx.admin_gate)
    factory = SCENES.get(tr.to)
    if factory is None:
        raise KeyError(tr.to)
    return factory(ctx, tr.slug) if tr.to == "explorer" else factory(ctx)


def scene_state(scene: Scene) -> dict[str, Any]:
    """A small description of what is on screen, for tests and the tour."""
    out: dict[str, Any] = {"scene": scene.name}
    if isinstance(scene, ExplorerScene):
        out.update(
            slug=scene.explorer.slug, segment=scene.seg_index, page=scene.text_page, tab=scene.tab
        )
    if isinstance(scene, GalleryScene):
        out.update(page=scene.page)
    return out
