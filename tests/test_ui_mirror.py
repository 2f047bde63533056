"""The frost mirror reached from the visitor's pages, fed from a real photograph."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.analytics.events import MirrorUsed
from kiosk.content.loader import load_collection
from kiosk.settings import CameraSettings, PathSettings, Settings
from kiosk.ui.context import Transition
from kiosk.ui.scenes import MirrorUIScene
from tests.test_ui import Rig, _pygame  # noqa: F401 - the fixture sets pygame up

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "tests" / "data" / "mirror" / "astronaut.jpg"


def _settings() -> Settings:
    return Settings(
        camera=CameraSettings(device=str(PHOTO), width=320, height=240),
        paths=PathSettings(models=str(ROOT / "models" / "onnx")),
    )


def test_mirror_button_follows_the_camera(make_collection: Callable[..., Path]) -> None:
    from kiosk.mirror.service import create_mirror

    collection = load_collection(make_collection()).collection
    assert collection is not None
    settings = _settings()
    present = [True]
    rig = Rig(collection, settings=settings)
    rig.ctx.mirror = create_mirror(settings, warm_up=False)
    rig.loop.mirror_check = lambda: present[0]
    rig.tap((10, 10))
    rig.wait(0.1)
    assert rig.ctx.mirror_available
    rig.button("mirror")
    present[0] = False  # the camera is unplugged: the button goes within a few seconds
    rig.wait(6)
    assert not any(b.action == "mirror" for b in rig.loop.scene.buttons)
    present[0] = True
    rig.wait(6)
    rig.press("mirror")
    scene = rig.loop.scene
    assert isinstance(scene, MirrorUIScene)
    try:
        deadline = time.monotonic() + 20
        while rig.ctx.mirror.latest_frame() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rig.ctx.mirror.latest_frame() is not None, rig.ctx.mirror.status()
        rig.wait(0.1)
        assert scene.buttons_at, "the mirror drew its buttons"
        rig.now += 12
        rig.tap(scene.buttons_at["back"].center)
        assert rig.loop.scene.name == "gallery"
        assert rig.ctx.mirror.status().camera_on is False
        used = [e for e in rig.events if isinstance(e, MirrorUsed)]
        assert len(used) == 1 and used[0].duration_s == pytest.approx(12.1, abs=0.05)
    finally:
        rig.ctx.mirror.stop()


def test_no_mirror_no_scene(make_collection: Callable[..., Path]) -> None:
    collection = load_collection(make_collection()).collection
    assert collection is not None
    rig = Rig(collection)
    rig.loop.go(Transition("mirror"))  # e.g. a stale tap after the camera went away
    assert rig.loop.scene.name == "gallery"
