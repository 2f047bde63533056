"""Admin mode's screen for staff: a PIN pad, then a panel of the kiosk's state and actions.

The hidden corner gesture (:class:`kiosk.ops.admin.HiddenGesture`) brings the kiosk here; opening
it ends the visit under way. After the PIN the panel shows what staff ask about first and offers
the few actions they need on the floor. Actions that cannot be undone by a tap (rollback,
restart, exit) ask for a second tap. Slow actions (a rollback installs and loads content; the
sound check may encode its tone) run as jobs in a worker thread while the screen keeps drawing:
the panel says what is under way, then what came of it.

The visit's "still there?" countdown does not run here (a visitor's timer makes no sense for
staff); the panel closes by itself after ``admin.idle_close_s`` without a touch instead.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import pygame

from kiosk.content.model import Segment, Text
from kiosk.fsutil import atomic_write
from kiosk.media.tone import encode_tone
from kiosk.ops.admin import AdminGate
from kiosk.ui.context import Context, Transition
from kiosk.ui.input import Gesture
from kiosk.ui.jobs import Job
from kiosk.ui.scenes.admin.actions import AdminAction
from kiosk.ui.scenes.admin.chrome import draw_header
from kiosk.ui.scenes.admin.panel import Panel
from kiosk.ui.scenes.admin.pattern import draw_pattern
from kiosk.ui.scenes.admin.pin import PinPad
from kiosk.ui.scenes.base import Scene

log = logging.getLogger(__name__)

VOLUME_STEP = 0.1
CONFIRM_S = 8.0  # how long a first tap on rollback/restart/exit waits for the second one
REFRESH_S = 1.0  # status figures and the lockout minutes are redrawn this often, no more
TONE_FILE = "kiosk-tone-1khz.mp4"
ROLLBACK_JOB = "rollback"
SOUND_JOB = "sound check"


class AdminScene(Scene):
    """The PIN pad, the admin panel and its full-screen test pattern (``mode``)."""

    name = "admin"

    def __init__(self, ctx: Context, gate: AdminGate) -> None:
        super().__init__(ctx)
        self.pad = PinPad(ctx, gate)
        self.panel = Panel(ctx)
        self.mode = "pin"  # pin | panel | pattern
        self.message = ""
        self.confirming: AdminAction | None = None
        self.confirm_at = 0.0
        self.last_touch = 0.0
        self.next_refresh = 0.0
        self.redraw = False
        self.job: Job[object] | None = None
        self.tone_dir = Path(tempfile.gettempdir())
        self.played_tone = False

    @classmethod
    def create(cls, ctx: Context, tr: Transition) -> Scene:
        return cls(ctx, ctx.gate())

    # -- life ------------------------------------------------------------------------------------
    def enter(self) -> None:
        self.last_touch = self.ctx.now()
        self.pad.open()
        current = self.ctx.jobs.current
        if current is not None and current.running:
            self._follow(current)  # started before the panel last closed: still worth watching
        self.relayout()

    def exit(self) -> None:
        if self.played_tone:
            self.ctx.player.stop()
        self.pad.clear()

    @property
    def animating(self) -> bool:
        # One frame after a change the scene made by itself; otherwise the loop may sleep.
        return self.redraw

    def update(self, now: float) -> Transition | None:
        if now - self.last_touch >= self.ctx.settings.admin.idle_close_s:
            # Left open and forgotten: close and lock again, back to the visitors.
            self.pad.clear()
            return Transition("attract")
        if self.confirming is not None and now - self.confirm_at > CONFIRM_S:
            self.confirming = None
            self.message = ""
            self.relayout()
            self.redraw = True
        if self.pad.tick():
            self.relayout()
            self.redraw = True
        if self.job is not None and self._job_done(self.job):
            self.job = None
            self.relayout()
            self.redraw = True
        if now >= self.next_refresh:
            self.next_refresh = now + REFRESH_S
            if self.mode == "panel":
                self.panel.refresh()
            self.redraw = self.redraw or self.mode == "panel" or self.pad.locked_until is not None
        return None

    # -- input -----------------------------------------------------------------------------------
    def handle(self, g: Gesture) -> Transition | None:
        self.last_touch = self.ctx.now()
        if self.mode == "pattern":
            if g.kind in ("tap", "long_press", "swipe", "key"):
                self.mode = "panel"
                self.relayout()
            return None
        if g.kind == "key":
            if g.key == "back":
                return Transition("attract")
            if g.key == "activate" and self.mode == "pin":
                return self.on_button(AdminAction.OK)
            return None
        return super().handle(g)

    def on_button(self, action: str) -> Transition | None:
        act = AdminAction(action)
        if act in (AdminAction.CANCEL, AdminAction.CLOSE):
            return Transition("attract")
        if act != self.confirming and self.confirming is not None:
            self.confirming = None  # another button withdraws an unanswered "are you sure?"
            self.message = ""
        if self.mode == "pin":
            if self.pad.press(act):
                self.mode = "panel"
                self.panel.refresh()
        else:
            self._panel_button(act)
            self.panel.refresh()
        self.relayout()
        return None

    def _panel_button(self, action: AdminAction) -> None:
        ctx = self.ctx
        if action in (AdminAction.VOLUME_DOWN, AdminAction.VOLUME_UP):
            step = VOLUME_STEP if action == AdminAction.VOLUME_UP else -VOLUME_STEP
            ctx.volume = round(min(1.0, max(0.0, ctx.volume + step)), 2)
            ctx.player.set_volume(ctx.volume)
        elif action == AdminAction.CAPTIONS:
            on = not ctx.defaults().captions_on
            ctx.captions_default = on
            ctx.captions_on = on
        elif action == AdminAction.MIRROR:
            ctx.mirror_enabled = not ctx.mirror_enabled
        elif action == AdminAction.PATTERN:
            self.mode = "pattern"
        elif action == AdminAction.SOUND:
            self._sound_check()
        elif action.drastic and self._confirmed(action):
            self._run(action)

    def _confirmed(self, action: AdminAction) -> bool:
        if self.confirming == action:
            self.confirming = None
            return True
        self.confirming = action
        self.confirm_at = self.ctx.now()
        self.message = self.ctx.t("admin_sure")
        return False

    def _run(self, action: AdminAction) -> None:
        hooks = self.ctx.admin_hooks
        if action == AdminAction.ROLLBACK:
            rollback = hooks.on_rollback
            if rollback is None:
                self.message = self.ctx.t("admin_not_here")
                return
            log.warning("admin: rollback")
            self._start(ROLLBACK_JOB, rollback)
            return
        call = hooks.on_restart if action == AdminAction.RESTART else hooks.on_exit
        if call is None:
            self.message = self.ctx.t("admin_not_here")
            return
        log.warning("admin: %s", action.value)
        try:
            call()  # only asks the loop to stop: quick
            self.message = ""
        except Exception as exc:  # a failed action is shown to staff, not a crash on the floor
            log.exception("admin %s failed", action.value)
            self.message = f"{type(exc).__name__}: {exc}"

    # -- jobs ------------------------------------------------------------------------------------
    def _start(self, name: str, work: Callable[[], object]) -> None:
        job = self.ctx.jobs.start(name, work)
        if job is None:
            self.message = self.ctx.t("admin_busy")
            return
        self._follow(job)

    def _follow(self, job: Job[object]) -> None:
        self.job = job
        progress = "admin_rolling_back" if job.name == ROLLBACK_JOB else "admin_tone_preparing"
        self.message = self.ctx.t(progress)

    def _job_done(self, job: Job[object]) -> bool:
        """Show what came of ``job`` once it has ended; False while it runs."""
        outcome = job.outcome()
        if outcome is None:
            return False
        if outcome.error is not None:
            error = outcome.error
            if job.name == SOUND_JOB:
                # PyAV without an encoder, a full /tmp: say so, play nothing.
                text = str(error) or type(error).__name__
                self.message = self.ctx.t("admin_sound_failed", error=text)
            else:
                self.message = f"{type(error).__name__}: {error}"
        elif job.name == SOUND_JOB and isinstance(outcome.value, Path):
            self._play_tone(outcome.value)
        else:
            self.message = outcome.value if isinstance(outcome.value, str) else ""
        self.panel.refresh()
        return True

    # -- sound check -----------------------------------------------------------------------------
    def _sound_check(self) -> None:
        if self.ctx.player.sink is None:
            self.message = self.ctx.t("admin_no_sound")
            return
        path = self.tone_dir / TONE_FILE
        self._start(SOUND_JOB, lambda: tone_file(path))

    def _play_tone(self, path: Path) -> None:
        player, sink = self.ctx.player, self.ctx.player.sink
        if sink is None:  # the output went away while the tone was prepared
            self.message = self.ctx.t("admin_no_sound")
            return
        player.set_volume(self.ctx.volume)
        player.play(Segment("tone", Text({"en": "1 kHz"}, "en"), path))
        self.played_tone = True
        self.message = self.ctx.t("admin_tone", device=sink.name)

    # -- layout and drawing ----------------------------------------------------------------------
    def relayout(self) -> None:
        if self.mode == "pattern":
            self.buttons = []
        elif self.mode == "pin":
            self.buttons = self.pad.buttons()
        else:
            self.buttons = self.panel.buttons(self.confirming, busy=self.ctx.jobs.busy)

    def draw(self, surf: pygame.Surface) -> None:
        self.redraw = False
        if self.mode == "pattern":
            draw_pattern(surf, self.ctx)
            return
        y = draw_header(surf, self.ctx)
        if self.mode == "pin":
            self.pad.draw(surf, y, self.buttons)
        else:
            self.panel.draw(surf, y, self.message, self.buttons)


def tone_file(path: Path) -> Path:
    """The sound check's clip at ``path``: encoded and written once, reused afterwards."""
    if not (path.is_file() and path.stat().st_size > 0):
        atomic_write(path, encode_tone(), durable=False)  # a lost tone is simply made again
    return path
