"""An explorer's page: the clip with sound and captions, the story, key facts and the route map.

The visitor plays, pauses and replays the clip, steps to the next segment, turns captions on or
off and sets the volume; the text pages with buttons or swipes. What was watched is reported when
a clip stops. Where everything goes comes from :func:`kiosk.ui.layout.explorer_regions`.
"""

from __future__ import annotations

import pygame

from kiosk.analytics.events import (
    CaptionsToggled,
    ExplorerOpened,
    Fault,
    FaultKind,
    SegmentStarted,
    SegmentWatched,
)
from kiosk.content.model import Segment
from kiosk.ui import theme
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.layout import explorer_regions
from kiosk.ui.ports import FrameLike, PlayerState
from kiosk.ui.routemap import RouteMap
from kiosk.ui.scenes.base import Scene
from kiosk.ui.text import Layout, layout_text
from kiosk.ui.video import blit_frame, cover_rect, frame_surface, letterbox
from kiosk.ui.widgets import Button, draw_caption

# While a clip plays the map's route is redrawn ten times a second: it moves a few pixels a
# second, and drawing it with every frame cost the main thread ~1.3 ms a frame (a third of its
# work while a clip plays).
MAP_STEP_S = 0.1
FIRST_FRAME_POLL_S = 0.004  # how often the page looks for a clip's first picture


class ExplorerScene(Scene):
    """One explorer: the clip with sound and captions, the text, key facts and the route map."""

    name = "explorer"

    def __init__(self, ctx: Context, slug: str) -> None:
        super().__init__(ctx)
        self.explorer = ctx.collection.explorer(slug)
        self.seg_index = 0
        self.tab = "story"
        self.text_page = 0
        self.text_layout: Layout | None = None  # the text panel, paged
        self.map: RouteMap | None = None
        self.paused = False
        self.playing: Segment | None = None
        self.watch_reported = True
        self.failure_reported = False
        self.last_clock = 0.0
        # What the last full draw showed; draw_changes() redraws from there.
        self._drawn_state: PlayerState | None = None
        self._drawn_frame: FrameLike | None = None
        self._drawn_caption: str | None = None
        self._map_t = 0.0  # the clock the map was last drawn at

    @classmethod
    def prepare(cls, ctx: Context) -> None:
        """Draw every explorer's page once, off screen, at start-up: a visitor's first tap on
        a card then finds its map and its text ready. Otherwise that tap waited ~0.3 s for
        the coastline, ~0.1 s for the map's background and as long again for the text."""
        scratch = pygame.Surface(ctx.size)
        for e in ctx.collection.explorers:
            page = cls(ctx, e.slug)
            page.relayout()
            page.draw(scratch)

    @classmethod
    def create(cls, ctx: Context, tr: Transition) -> Scene:
        if tr.slug is None:
            raise ValueError("the explorer page needs an explorer's slug")
        return cls(ctx, tr.slug)

    @property
    def segment(self) -> Segment | None:
        segs = self.explorer.segments
        return segs[self.seg_index] if segs else None

    # -- geometry ---------------------------------------------------------------------------
    def relayout(self) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        regions = explorer_regions(lay)
        self.video_rect, self.controls_rect = regions.video, regions.controls
        self.map_rect, self.side_rect, self.panel = regions.map, regions.side, regions.panel
        ctx.player.set_size(self.video_rect.size)
        s = self.side_rect
        tabs_y, nav_y = regions.tabs_y, regions.nav_y
        tab_w = (s.w - lay.gap) // 2
        self.buttons = [
            Button(
                pygame.Rect(s.left, tabs_y, tab_w, lay.target),
                ctx.t("story"),
                "tab:story",
                active=self.tab == "story",
            ),
            Button(
                pygame.Rect(s.left + tab_w + lay.gap, tabs_y, tab_w, lay.target),
                ctx.t("facts"),
                "tab:facts",
                active=self.tab == "facts",
            ),
        ]
        text = self.explorer.summary.get(ctx.lang) + "\n\n" + self.explorer.body.get(ctx.lang)
        if self.tab == "facts":
            text = "\n\n".join(
                f"{fact.date.display(circa=ctx.t('circa'))} — {fact.text.get(ctx.lang)}"
                for fact in self.explorer.facts
            )
        self.text_layout = layout_text(text, "serif", lay.px_body, self.panel.size, ctx.lang)
        self.text_page = min(self.text_page, self.text_layout.count - 1)
        if self.text_layout.count > 1:
            self.buttons += [
                Button(
                    pygame.Rect(s.left, nav_y, lay.target * 2, lay.target),
                    "",
                    "page-",
                    icon="left",
                    enabled=self.text_page > 0,
                ),
                Button(
                    pygame.Rect(s.right - lay.target * 2, nav_y, lay.target * 2, lay.target),
                    "",
                    "page+",
                    icon="right",
                    enabled=self.text_page < self.text_layout.count - 1,
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
        bw = min(lay.target * 2, (cr.w - lay.gap * (len(names) - 1)) // len(names))
        bw = max(bw, lay.target)
        for i, (icon, action) in enumerate(names):
            b = Button(
                pygame.Rect(cr.left + i * (bw + lay.gap), cr.top, bw, cr.h), "", action, icon=icon
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
            self.explorer,
            self.map_rect.size,
            ctx.pal,
            ctx.lang,
            ctx.map_backgrounds,
            circa=ctx.t("circa"),
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
        seen = duration if player.state == PlayerState.ENDED else min(self.last_clock, duration)
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
        return self.segment is not None and self.ctx.player.state == PlayerState.PLAYING

    def update(self, now: float) -> Transition | None:
        player = self.ctx.player
        if self.playing is None:
            return None
        if player.state in (PlayerState.PLAYING, PlayerState.PAUSED):
            self.last_clock = player.clock()
        elif player.state == PlayerState.ENDED:
            self._watched()
        elif player.state == PlayerState.FAILED and not self.failure_reported:
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
        elif action in ("page-", "page+") and self.text_layout is not None:
            step = 1 if action == "page+" else -1
            self.text_page = max(0, min(self.text_layout.count - 1, self.text_page + step))
        elif action == "playpause":
            if player.state == PlayerState.PLAYING:
                player.pause()
                self.paused = True
            elif player.state == PlayerState.PAUSED:
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
        ctx, lay = self.ctx, self.ctx.layout
        surf.fill(ctx.pal.bg)
        frame = ctx.player.latest_frame() if self.segment is not None else None
        self._draw_video(surf, frame, self._caption())
        if frame is None and (self.segment is None or ctx.player.state == PlayerState.FAILED):
            self.text(
                surf,
                ctx.t("no_clip"),
                "sans",
                lay.px_body,
                self.video_rect.center,
                ctx.pal.accent,
                anchor="center",
            )
        self._draw_map(surf)
        self._drawn_state = ctx.player.state if self.segment is not None else None
        # Name and years, then the text page.
        s = self.side_rect
        name = self.explorer.name.get(ctx.lang)
        px = lay.px_title
        while px > lay.px_body and theme.font("serif", px).size(name)[0] > s.w:
            px -= 2  # a long name gets a smaller size rather than running off the screen
        self.text(surf, name, "serif", px, (s.left, s.top))
        self.text(
            surf,
            self.explorer.years(circa=ctx.t("circa")),
            "sans",
            lay.px_body,
            (s.left, s.top + int(lay.px_title * 1.25)),
            ctx.pal.accent,
        )
        if self.text_layout is not None:
            y = self.panel.top
            for line in self.text_layout.pages[self.text_page]:
                if line:
                    self.text(surf, line, "serif", lay.px_body, (self.panel.left, y))
                y += self.text_layout.line_height
            if self.text_layout.count > 1:
                self.text(
                    surf,
                    ctx.t("page", i=self.text_page + 1, n=self.text_layout.count),
                    "sans",
                    lay.px_small,
                    (s.centerx, s.bottom - lay.target // 2),
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
                lay.px_small,
                (vol.rect.right + lay.gap, vol.rect.centery),
                ctx.pal.accent,
                anchor="midleft",
            )

    def _caption(self) -> str | None:
        if self.segment is None or not self.ctx.captions_on:
            return None
        return self.ctx.player.caption(self.ctx.lang)

    def _draw_video(self, surf: pygame.Surface, frame: FrameLike | None, cap: str | None) -> None:
        """The video panel: black, the picture letterboxed in it, the caption over it."""
        ctx, r = self.ctx, self.video_rect
        if frame is None:
            pygame.draw.rect(surf, (0, 0, 0), r)
        elif frame.size[0] <= r.w and frame.size[1] <= r.h:
            # The worker made it at the panel's size, its shape kept (a clip filmed upright is
            # narrower): it is centred, with no scaling on this thread, and only the bars
            # beside it are painted black (not the whole panel under it, every frame).
            w, h = frame.size
            at = blit_frame(surf, frame, (r.x + (r.w - w) // 2, r.y + (r.h - h) // 2))
            for bar in letterbox(r, at):
                surf.fill((0, 0, 0), bar)
        else:
            # Queued at an older, larger panel size (the text size changed): only until the
            # worker's frames at the new size arrive.
            pygame.draw.rect(surf, (0, 0, 0), r)
            box = cover_rect(frame.size, r)
            surf.blit(pygame.transform.scale(frame_surface(frame), box.size), box)
        if cap:
            draw_caption(surf, cap, r, ctx.cache, ctx.layout.px_caption)
        self._drawn_frame, self._drawn_caption = frame, cap

    def _draw_map(self, surf: pygame.Surface) -> None:
        if self.map is not None:
            t = self.ctx.player.clock() if self.segment is not None and self.seg_index == 0 else 1e9
            self.map.draw(surf, self.map_rect.topleft, t, self.ctx.cache, self.ctx.layout.px_small)
            self._map_t = t

    def wake_in(self) -> float | None:
        if self.segment is None:
            return None
        due = self.ctx.player.frame_due_in()
        if due is None and self._drawn_frame is None:
            # The clip's first picture is on its way (decoding, or preloaded a moment ago):
            # look again soon rather than at the display's rate, which let it wait a frame.
            return FIRST_FRAME_POLL_S
        return due

    def draw_changes(self, surf: pygame.Surface) -> list[pygame.Rect] | None:
        """While the clip plays only the picture, its caption and the map's progress move:
        those are redrawn when a new frame comes, and nothing at all between frames."""
        player = self.ctx.player
        if self.segment is None or self._drawn_state != player.state:
            return None
        frame = player.latest_frame()
        cap = self._caption()
        if frame is self._drawn_frame and cap == self._drawn_caption:
            return []
        self._draw_video(surf, frame, cap)
        if self.map is None or self.seg_index != 0:
            return [self.video_rect]
        if abs(player.clock() - self._map_t) < MAP_STEP_S:
            return [self.video_rect]
        # The route advances with the clip's clock: only around its head.
        t = player.clock()
        lay = self.ctx.layout
        moved = self.map.advance(surf, self.map_rect.topleft, t, self.ctx.cache, lay.px_small)
        self._map_t = t
        return [self.video_rect, moved]
