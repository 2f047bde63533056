"""The mirror put together from the machine settings (what ``app.py`` calls).

* :func:`mirror_offered` says whether to show the mirror button now: switched on in the settings,
  a model to run, and a camera present. It never opens the camera, so it is cheap to ask every few
  seconds; the button comes back by itself when a camera is plugged in again.
* :func:`create_mirror` loads the model and returns a stopped :class:`MirrorPipeline`; the scene
  starts it (and so switches the camera on) when the visitor opens the mirror, and the attract
  loop asks it to watch for a visitor (the camera at a few frames a second) while it shows.
* :func:`create_scene` makes the scene's behaviour with the settings' timings. For the admin
  screen, ``pipeline.status()`` and ``pipeline.describe()`` say where the model runs and which
  perception model is missing (``kiosk.app`` hands them to the panel and the health file).
"""

from __future__ import annotations

import logging

from kiosk.mirror import manifest
from kiosk.mirror.camera import camera_present, source_factory
from kiosk.mirror.cues import CueOptions, PerceptionModels
from kiosk.mirror.perception import PerceptionOptions
from kiosk.mirror.pipeline import MirrorPipeline
from kiosk.mirror.presence import PresenceOptions
from kiosk.mirror.scene import MirrorPort, MirrorScene
from kiosk.mirror.stylizer import Stylizer, StylizerError, StylizerOptions
from kiosk.settings import Settings

log = logging.getLogger(__name__)


class MirrorUnavailable(Exception):
    """The mirror cannot be offered on this machine; the message says why, for the log."""


def _device(settings: Settings) -> str:
    spec = settings.camera.device.strip()
    if spec.isdigit():
        return spec
    return str(settings.resolve(spec))


def mirror_offered(settings: Settings) -> bool:
    """Whether the visitor should see the mirror button now (cheap; never opens the camera)."""
    cam = settings.camera
    if not cam.enabled:
        return False
    if not (settings.path("models") / f"{cam.model}.json").is_file():
        return False
    return camera_present(_device(settings))


def create_mirror(settings: Settings, warm_up: bool = True) -> MirrorPipeline:
    """Load the configured model and return a stopped pipeline (the camera stays off)."""
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
