"""The one main loop: events -> gestures -> the scene -> transitions; idle; draw; pacing.

The loop owns pygame. It blocks on ``pygame.event.wait`` while nothing moves, so an idle kiosk
uses almost no CPU, and paces to the display's frame rate while a clip plays. The visit's idle
timer lives here, not in the scenes: after ``idle_s`` without a touch a "still there?" countdown
appears over any scene, and when it runs out the visit ends and the attract loop returns.

The loop also records why each visit ended: the countdown running out (``idle``), staff opening
admin mode (``admin``), or the visitor's own way home (``goodbye``); see
:class:`kiosk.analytics.events.EndReason`.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

import pygame

from kiosk.analytics.events import EndReason, SceneViewed, VisitEnded, VisitStarted
from kiosk.analytics.events import Scene as SceneName
from kiosk.delivery.source import ContentSource
from kiosk.ops.schedule import ScheduleState
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture, InputMapper
from kiosk.ui.ops import Ops
from kiosk.ui.scenes import Scene, make_scene
from kiosk.ui.widgets import Button, draw_button

log = logging.getLogger(__name__)


class Loop:
    """Runs the scenes on one surface. ``now`` is injectable so tests can freeze time."""

    def __init__(
        self,
        ctx: Context,
        surface: pygame.Surface,
        now: Callable[[], float] = time.monotonic,
        source: ContentSource | None = None,
        on_release: Callable[[str], None] | None = None,
        mirror_check: Callable[[], bool] | None = None,
        ops: Ops | None = None,
        after_visit: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.surface = surface
        self.now = now
        ctx.now = now
        self.source = source
        self.on_release = on_release
        self.mirror_check = mirror_check
        self.ops = ops
        # Housekeeping between visitors (the kiosk gives freed memory back here); must not block.
        self.after_visit = after_visit
        self.standby = False
        self.exit_code = 0
        self.next_mirror_check = 0.0
        s = ctx.settings
        self.idle_s = s.timeouts.idle_s
        self.countdown_s = s.timeouts.countdown_s
        self.input = InputMapper(
            ctx.size,
            slop_px=ctx.metrics.mm(6),
            swipe_px=ctx.metrics.mm(25),
            long_press_s=s.timeouts.long_press_s,
        )
        self.last_touch = now()
        self.countdown_from: float | None = None
        self.visit = 0
        self.in_visit = False
        self.frame_ms: deque[float] = deque(maxlen=4096)
        self.running = True
        self.dirty = True
        self.scene: Scene = make_scene(ctx, Transition("attract"))
        self.scene.enter()

    # -- transitions --------------------------------------------------------------------------
    def go(self, tr: Transition, ended: EndReason = EndReason.GOODBYE) -> None:
        """Apply ``tr``. A visit under way ends when it goes to admin mode (``ADMIN``) or back to
        the attract loop (``ended``: the visitor's own doing unless the loop says otherwise)."""
        old = self.scene
        old.exit()  # first, so that what it reports (a clip watched) belongs to the visit
        if self.in_visit and tr.to == "admin":
            self.end_visit(EndReason.ADMIN)
        elif self.in_visit and tr.to == "attract":
            self.end_visit(ended)
        if old.name == "attract" and tr.to not in ("attract", "admin") and not self.in_visit:
            self.visit += 1
            self.in_visit = True
            self.ctx.emit(VisitStarted())
        self.scene = make_scene(self.ctx, tr)
        self.scene.enter()
        self.ctx.emit(SceneViewed(SceneName(self.scene.name)))
        self.dirty = True

    def end_visit(self, reason: EndReason) -> None:
        self.in_visit = False
        self.ctx.emit(VisitEnded(reason))
        # The next visitor starts with the kiosk's own defaults, not the last person's choices.
        self.ctx.welcome()
        if self.after_visit is not None:
            self.after_visit()

    # -- idle -----------------------------------------------------------------------------------
    def countdown_left(self, now: float) -> float | None:
        if self.countdown_from is None:
            return None
        return max(0.0, self.countdown_s - (now - self.countdown_from))

    def _countdown_button(self) -> Button:
        lay = self.ctx.layout
        w = max(lay.target * 4, lay.w // 4)
        return Button(
            pygame.Rect(lay.w // 2 - w // 2, lay.h // 2 + lay.target // 2, w, lay.target),
            self.ctx.t("continue"),
            "continue",
            active=True,
        )

    def _idle(self, now: float) -> None:
        if self.scene.name in ("attract", "admin") or self.input.pressed:  # admin: own timer
            self.countdown_from = None
            return
        if self.countdown_from is None and now - self.last_touch >= self.idle_s:
            # Counted from when the visitor went quiet, not from when the loop noticed.
            self.countdown_from = self.last_touch + self.idle_s
            self.ctx.emit(SceneViewed(SceneName.STILL_THERE))
            self.dirty = True
        left = self.countdown_left(now)
        if left is not None:
            self.dirty = True
            if left <= 0:
                self.countdown_from = None
                self.go(Transition("attract"), ended=EndReason.IDLE)

    # -- one iteration --------------------------------------------------------------------------
    def handle_gesture(self, g: Gesture, now: float) -> None:
        if self.ops is not None and self.ops.gesture(g, now) and self.scene.name != "admin":
            self.go(Transition("admin"))
            return
        if self.standby:
            return  # closed: the screen stays dark; only staff (the gesture above) get in
        if g.kind == "touch":
            self.last_touch = now
            if self.countdown_from is None and not g.key:
                # A finger came down (not a key: it has no place): the scene may get ready
                # for the tap that may follow. Under "still there?" the tap only answers it.
                self.scene.touch_down(g.pos)
            return
        self.last_touch = now
        self.dirty = True
        if self.countdown_from is not None:
            # Any touch while asked "still there?" answers yes; nothing must be done quickly.
            self.countdown_from = None
            return
        tr = self.scene.handle(g)
        if tr is not None:
            self.go(tr)

    def step(self, events: list[pygame.event.Event]) -> None:
        now = self.now()
        for ev in events:
            if self.ops is not None and self.ops.filter_event(ev):
                continue  # a way out of the exhibit while it is locked
            if ev.type == pygame.QUIT:
                self.running = False
            elif ev.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):
                self.dirty = True
            for g in self.input.feed(ev, now):
                self.handle_gesture(g, now)
        for g in self.input.poll(now):
            self.handle_gesture(g, now)
        self._idle(now)
        if self.ops is not None:
            self._schedule(self.ops.tick(now))
        if self.mirror_check is not None and now >= self.next_mirror_check:
            # The mirror button follows the camera: it hides when unplugged, returns when back.
            self.next_mirror_check = now + 5.0
            offered = self.mirror_check()
            if offered != self.ctx.mirror_available:
                self.ctx.mirror_available = offered
                self.scene.relayout()
                self.dirty = True
        if self.scene.name == "attract" and not self.in_visit and self.source is not None:
            self._maybe_reload()
        tr = self.scene.update(now)
        if tr is not None:
            self.go(tr)

    def _schedule(self, state: ScheduleState) -> None:
        """Opening hours: a dark standby when closed (never in the middle of a visit), quiet
        hours with captions on and the sound capped, and the nightly restart."""
        ctx = self.ctx
        if not state.open and not self.standby and not self.in_visit:
            log.info("closed: standby")
            self.standby = True
            self.scene.exit()
            self.dirty = True
        elif state.open and self.standby:
            log.info("open: back to the attract loop")
            self.standby = False
            self.scene = make_scene(ctx, Transition("attract"))
            self.scene.enter()
            self.dirty = True
        if state.quiet:
            cap = (
                self.ops.schedule.volume_cap(state, ctx.settings.audio.volume_cap)
                if (self.ops is not None and self.ops.schedule is not None)
                else 0.0
            )
            if ctx.volume > cap:
                ctx.volume = cap
                ctx.player.set_volume(cap)
            ctx.captions_on = True
        if state.restart_due and not self.in_visit:
            log.info("nightly restart")
            self.exit_code = 0
            self.running = False

    def _maybe_reload(self) -> None:
        """A newly installed release replaces the collection here, between visits only."""
        assert self.source is not None
        loaded = self.source.take_pending()
        if loaded is None:
            return
        log.info("showing content release %s", loaded.release)
        self.scene.exit()
        self.ctx.player.drop_preloaded()  # preloaded clips belong to the release being replaced
        self.ctx.set_collection(loaded.collection)
        self.scene = make_scene(self.ctx, Transition("attract"))
        self.scene.enter()
        if self.on_release is not None:
            self.on_release(loaded.release)
        self.source.confirm()
        if self.after_visit is not None:
            self.after_visit()  # the old collection's pictures and clips are gone
        self.dirty = True

    def draw(self) -> None:
        if self.standby:
            self.surface.fill((0, 0, 0))
            self.dirty = False
            return
        self.scene.draw(self.surface)
        left = self.countdown_left(self.now())
        if left is not None:
            self._draw_countdown(left)
        self.dirty = False

    def _draw_countdown(self, left: float) -> None:
        ctx, lay = self.ctx, self.ctx.layout
        shade = pygame.Surface((lay.w, lay.h), pygame.SRCALPHA)
        shade.fill((0, 0, 0, 190))
        self.surface.blit(shade, (0, 0))
        img = ctx.cache.render(ctx.t("still_there"), "serif", lay.px_title, ctx.pal.text)
        self.surface.blit(img, img.get_rect(midbottom=(lay.w // 2, lay.h // 2 - lay.target)))
        secs = ctx.cache.render(
            ctx.t("returning", n=int(left + 0.999)), "sans", lay.px_head, ctx.pal.accent
        )
        self.surface.blit(secs, secs.get_rect(midbottom=(lay.w // 2, lay.h // 2)))
        draw_button(
            self.surface, self._countdown_button(), ctx.pal, ctx.cache, lay.px_button, lay.radius
        )

    @property
    def animating(self) -> bool:
        if self.standby:
            return False
        return self.scene.animating or self.countdown_from is not None or self.input.pressed

    def _resting_finger(self) -> bool:
        """Only a finger on the screen keeps the loop awake: nothing on screen moves."""
        return self.input.pressed and not self.scene.animating and self.countdown_from is None

    def _wait_ms(self) -> int:
        """How long the loop may sleep waiting for an event (milliseconds)."""
        left = self.input.long_press_in(self.now())
        return 250 if left is None else max(1, min(250, round(left * 1000)))

    def run(self, max_seconds: float | None = None, fps: int = 60) -> None:
        """The real thing: until QUIT (or ``max_seconds``, for tests)."""
        clock = pygame.time.Clock()
        started = time.monotonic()
        wake_at = 0.0  # while a clip plays: when its next frame is due
        while self.running:
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                break
            pacing = self.animating and not self._resting_finger()
            if pacing:
                left = wake_at - time.monotonic()
                if left > 0.001:
                    # Nothing to draw before the clip's next frame (25 or 30 a second, not
                    # the display's 60). A plain sleep: pygame.event.wait(timeout) polls, at
                    # ~1 ms of CPU a call. A touch waits at most one video frame.
                    time.sleep(left)
                events = pygame.event.get()
            else:
                # Sleep until something happens; wake now and then for the idle timer, and
                # when a finger resting on the screen becomes a long press. A finger that
                # lifts wakes the loop at once: paced at the display's rate instead, the
                # tap waited ~9 ms (up to a frame) before anything answered it.
                first = pygame.event.wait(self._wait_ms())
                events = [first, *pygame.event.get()] if first.type != pygame.NOEVENT else []
            t0 = time.perf_counter()
            self.step(events)
            drew = False
            if self.dirty or self.scene.animating:
                changed = None
                if not self.dirty and self.countdown_from is None and not self.standby:
                    # A playing clip: only its panel is redrawn and sent to the screen, and
                    # only when a new frame has come (a whole 1920x1080 page costs ~5 ms to
                    # draw and as much again to send).
                    changed = self.scene.draw_changes(self.surface)
                if changed is None:
                    self.draw()
                    pygame.display.flip()
                elif changed:
                    pygame.display.update(changed)
                drew = changed != []
                if drew:
                    self.frame_ms.append((time.perf_counter() - t0) * 1000)
                    if len(self.frame_ms) == 1:
                        log.info("ready: %s on screen, %dx%d", self.scene.name, *self.ctx.size)
                        if self.ops is not None and self.ops.watchdog is not None:
                            self.ops.watchdog.ready("attract loop on screen")
                        if self.source is not None:
                            self.source.confirm()
            if pacing:
                due = self.scene.wake_in()
                wake_at = 0.0 if due is None else time.monotonic() + due
                if drew or due is None:
                    # At most the display's rate. A scene that says when it next has something
                    # to draw, and drew nothing now, sleeps until then instead (a clip's first
                    # picture is not kept waiting for a display frame).
                    clock.tick(fps)
                else:
                    wake_at = max(wake_at, time.monotonic() + 0.002)  # but never spins
