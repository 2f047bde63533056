"""The mirror put together from the machine settings (what ``app.py`` calls).

* :func:`mirror_offered` says whether to show the mirror button now: switched on in the settings,
  a model to run, and a camera present. It never opens the camera, so it is cheap to ask every few
  seconds; the button comes back by itself when a camera is plugged in again.
* :func:`create_mirror` loads the model and returns a stopped :class:`MirrorPipeline`; the scene
  starts it (and so switches the camera on) when the visitor opens the mirror, and the attract
  loop asks it to watch for a visitor (the camera at a few frames a second) while it shows.
* :class:`MirrorLoader` makes the mirror when it is first offered, not before (below).
* :func:`create_scene` makes the scene's behaviour with the settings' timings. For the admin
  screen, ``pipeline.status()`` and ``pipeline.describe()`` say where the model runs and which
  perception model is missing (``kiosk.app`` hands them to the panel and the health file).

Making the mirror imports OpenCV and onnxruntime and opens five models: ~80 MB resident and
0.2-0.5 s of CPU. The mirror is switched on by default and offered where a camera is present, so
a kiosk without a camera would carry all of it for nothing. This module imports them only in
:func:`create_mirror`, and :class:`MirrorLoader` calls that when a camera is there: at once at
start-up (the first visitor finds the mirror ready, as before), or, for a camera plugged in
later, in a thread of its own the first time the loop's check finds it (the screen never waits;
the mirror is offered from the check after it is ready).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.mirror import manifest
from kiosk.mirror.devices import camera_present
from kiosk.mirror.scene import MirrorPort, MirrorScene
from kiosk.settings import Settings

if TYPE_CHECKING:
    from kiosk.mirror.pipeline import MirrorPipeline

log = logging.getLogger(__name__)


class MirrorUnavailable(Exception):
    """The mirror cannot be offered on this machine; the message says why, for the log."""


def _device(settings: Settings) -> str:
    spec = settings.camera.device.strip()
    if spec.isdigit():
        return spec
    return str(settings.resolve(spec))


def offer_problem(settings: Settings) -> str | None:
    """Why the mirror is not offered now, or None when it is (cheap; never opens the camera)."""
    cam = settings.camera
    if not cam.enabled:
        return "the frost mirror is switched off (camera.enabled: false)"
    model = settings.path("models") / f"{cam.model}.json"
    if not model.is_file():
        return f"no style model: {model} is missing"
    if not camera_present(_device(settings)):
        return f"no camera found (camera.device: {cam.device})"
    return None


def mirror_offered(settings: Settings) -> bool:
    """Whether the visitor should see the mirror button now (cheap; never opens the camera)."""
    return offer_problem(settings) is None


def create_mirror(settings: Settings, warm_up: bool = True) -> MirrorPipeline:
    """Load the configured model and return a stopped pipeline (the camera stays off)."""
    # The mirror's libraries (OpenCV, onnxruntime) come with these modules: imported here, when
    # a mirror is made, never by a kiosk that only asks whether to offer one.
    from kiosk.mirror.camera import source_factory
    from kiosk.mirror.cues import CueOptions, PerceptionModels
    from kiosk.mirror.perception import PerceptionOptions
    from kiosk.mirror.pipeline import MirrorPipeline
    from kiosk.mirror.presence import PresenceOptions
    from kiosk.mirror.stylizer import Stylizer, StylizerError, StylizerOptions

    cam = settings.camera
    if not cam.enabled:
        raise MirrorUnavailable("the frost mirror is switched off (camera.enabled: false)")
    try:
        found = manifest.find(settings.path("models"), cam.model)
    except manifest.ManifestError as exc:
        raise MirrorUnavailable(str(exc)) from None
    background = None
    if cam.background:
        background = settings.resolve(cam.background)
    options = StylizerOptions(
        provider=cam.provider,
        threads=cam.threads,
        warm_up_size=(cam.width, cam.height) if warm_up else None,
        background=background,
    )
    try:
        stylizer = Stylizer(found, options)
    except StylizerError as exc:
        raise MirrorUnavailable(str(exc)) from None
    # Missing or broken perception models leave the mirror its plain frost grade (and say so).
    cue_options = CueOptions(perception=PerceptionOptions(provider=cam.provider))
    perception = PerceptionModels.load(settings.path("models"), cue_options)
    source = source_factory(_device(settings), cam.width, cam.height, cam.flip)
    # The attract loop's glance for a visitor: the same camera, a few frames a second.
    presence = PresenceOptions()
    watch = source_factory(_device(settings), cam.width, cam.height, cam.flip, presence.fps)
    return MirrorPipeline(
        source, stylizer, perception, cue_options, watch_source=watch, presence=presence
    )


def create_scene(settings: Settings, mirror: MirrorPort) -> MirrorScene:
    """The mirror scene with the settings' hold-still time and the kiosk's idle timeout."""
    return MirrorScene.from_settings(settings, mirror)


class MirrorLoader:
    """The kiosk's mirror, made when it is first offered (see the module's docstring).

    :meth:`check` is the loop's periodic "offer the mirror now?" and runs on the screen's thread;
    ``on_ready`` is called there too, with the mirror, before the first check that offers it.
    A mirror that cannot be made (no model, no onnxruntime) is logged once and never offered:
    the exhibit goes on without it. :meth:`close` waits for a mirror being made and stops it.
    """

    def __init__(
        self,
        make: Callable[[], MirrorPipeline],
        problem: Callable[[], str | None],
        on_ready: Callable[[MirrorPipeline], None],
    ) -> None:
        self._make = make
        self._problem = problem
        self._on_ready = on_ready
        self.mirror: MirrorPipeline | None = None
        self.failed = False
        self._thread: threading.Thread | None = None
        self._made: MirrorPipeline | None = None
        self._error: Exception | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, on_ready: Callable[[MirrorPipeline], None]
    ) -> MirrorLoader:
        return cls(lambda: create_mirror(settings), lambda: offer_problem(settings), on_ready)

    def _offered(self) -> bool:
        return self._problem() is None

    def start(self) -> MirrorLoader:
        """At start-up: make the mirror now, in this thread, if its camera is there."""
        if self._thread is not None or self.mirror is not None:
            return self
        why = self._problem()
        if why is None:
            self._load()
            self._finish()
        else:  # a camera plugged in later is found by check(); a missing model is a fault
            level = logging.INFO if why.startswith("no camera") else logging.WARNING
            log.log(level, "frost mirror not offered now: %s", why)
        return self

    def check(self) -> bool:
        """Whether to offer the mirror now; the first time a camera is there, start making it."""
        if self.failed:
            return False
        if self.mirror is None:
            if self._thread is None:
                if self._offered():
                    self._thread = threading.Thread(
                        target=self._load, name="mirror-load", daemon=True
                    )
                    self._thread.start()
                return False
            if self._thread.is_alive():
                return False
            self._thread.join()
            self._finish()
            if self.mirror is None:
                return False
        return self._offered()

    @property
    def loading(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self) -> None:
        """Wait for a mirror being made, then stop it (camera off, its threads joined)."""
        if self._thread is not None:
            self._thread.join()
        mirror = self.mirror or self._made
        self.mirror = self._made = None
        if mirror is not None:
            mirror.stop()

    def _load(self) -> None:
        try:
            self._made = self._make()
        except Exception as exc:  # no model, no onnxruntime: the exhibit goes on without it
            self._error = exc

    def _finish(self) -> None:
        if self._error is not None:
            log.warning("frost mirror unavailable: %s", self._error)
            self.failed = True
            return
        if self._made is not None:
            self.mirror, self._made = self._made, None
            self._on_ready(self.mirror)
