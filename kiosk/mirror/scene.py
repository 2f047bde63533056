"""The mirror scene's behaviour, without pygame: what the visitor can do and what is on screen.

The visitor sees themselves in the frost, live. "Hold still" counts down and freezes one stylized
frame on screen for a few seconds, then the mirror goes live again. "Back" returns to the page the
mirror was opened from; nobody touching the screen for a while returns to the exhibit's attract
loop. Without a camera, or when it is lost mid-use, the scene says so kindly and picks up again
when the camera comes back.

The screen's scene (:class:`kiosk.ui.scenes.mirror.MirrorUIScene`) forwards gestures to
:meth:`MirrorScene.handle` and calls :meth:`MirrorScene.update` each tick;
:func:`kiosk.mirror.view.draw` draws :meth:`MirrorScene.view`. A returned string is the
transition: ``"back"`` or ``"attract"``.

Privacy: the camera is on only between :meth:`MirrorScene.enter` and :meth:`MirrorScene.leave`,
the view says so while it is, and a frozen picture is dropped when the scene is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kiosk.settings import Settings

if TYPE_CHECKING:  # the pipeline pulls in OpenCV and the model; the scene only reads its output
    from kiosk.mirror.pipeline import MirrorFrame, MirrorStatus

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Морозное зеркало",
        "camera_on": "Камера включена",
        "privacy": "Изображение никуда не сохраняется и не передаётся",
        "starting": "Зеркало просыпается…",
        "no_camera": "Камера сейчас отдыхает. Зеркало вернётся совсем скоро.",
        "lost": "Камера ненадолго пропала. Мы уже её зовём…",
        "error": "Морозное зеркало сейчас отдыхает. Загляните к нему позже.",
        "hold_still": "Замрите!",
        "frozen": "Вы — полярник!",
        "snapshot": "Замереть",
        "back": "Назад",
        "step_in": "Встаньте перед экраном",
        "together": "Вся экспедиция в сборе!",
    },
    "en": {
        "title": "Frost mirror",
        "camera_on": "Camera on",
        "privacy": "Nothing is recorded, saved or sent",
        "starting": "The mirror is waking up…",
        "no_camera": "The camera is resting just now. The mirror will be back soon.",
        "lost": "The camera slipped away for a moment. Calling it back…",
        "error": "The frost mirror is resting just now. Do come back later.",
        "hold_still": "Hold still!",
        "frozen": "You are a polar explorer!",
        "snapshot": "Hold still",
        "back": "Back",
        "step_in": "Step in front of the screen",
        "together": "The whole expedition is here!",
    },
}


def text(lang: str, key: str) -> str:
    """A mirror text in ``lang``, falling back to English, then Russian."""
    for code in (lang, "en", "ru"):
        if key in TEXTS.get(code, {}):
            return TEXTS[code][key]
    return key


class MirrorPort(Protocol):
    """What the scenes need from the mirror (a :class:`~kiosk.mirror.pipeline.MirrorPipeline`).

    ``watch`` and ``someone_present`` are the attract loop's: while it shows, the camera runs at
    a low rate and a face detector glances for a visitor (never a frame kept).
    """

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def set_view_size(self, size: tuple[int, int] | None) -> None: ...
    def latest_frame(self) -> MirrorFrame | None: ...
    def status(self) -> MirrorStatus: ...
    def check(self) -> None: ...
    def watch(self, on: bool) -> None: ...
    def someone_present(self) -> bool: ...


@dataclass(frozen=True)
class MirrorView:
    """Everything :func:`kiosk.mirror.view.draw` needs for one screen.

    ``phase``: ``starting``, ``live``, ``countdown``, ``frozen``, ``no_camera``, ``lost``,
    ``error``. ``message`` is a key of :data:`TEXTS` (or None); ``countdown`` the number shown.
    """

    phase: str
    frame: MirrorFrame | None
    camera_on: bool
    message: str | None
    countdown: int = 0
    can_snapshot: bool = False
    faces: int = 0


class MirrorScene:
    """The mirror's state machine. Times are in seconds; nothing here blocks or draws."""

    name = "mirror"

    def __init__(
        self,
        mirror: MirrorPort,
        *,
        countdown_s: float = 3.0,
        freeze_s: float = 4.0,
        idle_s: float = 90.0,
    ) -> None:
        self.mirror = mirror
        self.countdown_s = countdown_s
        self.freeze_s = freeze_s
        self.idle_s = idle_s
        self.active = False
        self._idle = 0.0
        self._countdown: float | None = None
        self._frozen: MirrorFrame | None = None
        self._frozen_left = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, mirror: MirrorPort) -> MirrorScene:
        """The scene with the settings' hold-still time and the kiosk's idle timeout."""
        return cls(
            mirror,
            freeze_s=max(0.5, settings.camera.freeze_s),
            idle_s=settings.timeouts.idle_s,
        )

    def enter(self, view_size: tuple[int, int] | None = None) -> None:
        """The scene comes on screen: switch the camera on."""
        self.active = True
        self._idle = 0.0
        self._countdown, self._frozen = None, None
        self.mirror.set_view_size(view_size)
        self.mirror.start()

    def leave(self) -> None:
        """The scene goes: switch the camera off and forget every picture."""
        self.active = False
        self._countdown, self._frozen = None, None
        self.mirror.stop()

    def handle(self, action: str) -> str | None:
        """A visitor's action: ``touch`` (anywhere), ``snapshot`` or ``back``."""
        self._idle = 0.0
        if action == "back":
            return "back"
        if action == "snapshot" and self._phase() == "live":
            self._countdown = self.countdown_s
        return None

    def update(self, dt: float) -> str | None:
        """Advance the clocks; returns ``"attract"`` when nobody has touched for ``idle_s``."""
        if not self.active:
            return None
        self._idle += dt
        if self._countdown is not None:
            self._countdown -= dt
            if self._countdown <= 0:
                self._countdown = None
                frame = self.mirror.latest_frame()
                if frame is not None:
                    self._frozen, self._frozen_left = frame, self.freeze_s
        elif self._frozen is not None:
            self._frozen_left -= dt
            if self._frozen_left <= 0:
                self._frozen = None
        if self._idle >= self.idle_s:
            return "attract"
        return None

    def _phase(self) -> str:
        status = self.mirror.status()
        if status.state in ("no_camera", "lost", "error"):
            return status.state
        if self._frozen is not None:
            return "frozen"
        if self._countdown is not None:
            return "countdown"
        if status.state == "running" and self.mirror.latest_frame() is not None:
            return "live"
        return "starting"

    def view(self) -> MirrorView:
        status = self.mirror.status()
        phase = self._phase()
        if phase in ("no_camera", "lost", "error"):
            self._countdown, self._frozen = None, None
            return MirrorView(phase, None, status.camera_on, phase)
        if phase == "frozen":
            return MirrorView(phase, self._frozen, status.camera_on, "frozen")
        frame = self.mirror.latest_frame()
        if phase == "countdown":
            left = self._countdown or 0.0
            return MirrorView(
                phase, frame, status.camera_on, "hold_still", countdown=max(1, math.ceil(left))
            )
        if phase == "live":
            faces = frame.faces if frame else 0
            # Several people in the frost together: the scene says so.
            message = "step_in" if not faces else ("together" if faces >= 2 else None)
            return MirrorView(
                phase,
                frame,
                status.camera_on,
                message,
                can_snapshot=True,
                faces=faces,
            )
        return MirrorView(phase, None, status.camera_on, "starting")
