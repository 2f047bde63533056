"""The mirror scene's behaviour with a fake mirror, and its drawing on an off-screen surface."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kiosk.mirror.pipeline import MirrorFrame, MirrorStatus
from kiosk.mirror.scene import TEXTS, MirrorScene, text

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


class FakeMirror:
    def __init__(self) -> None:
        self.state = "off"
        self.view_size: tuple[int, int] | None = None
        self.frame_no = 0
        self.faces = 1

    def start(self) -> None:
        self.state = "running"

    def stop(self) -> None:
        self.state = "off"

    def set_view_size(self, size: tuple[int, int] | None) -> None:
        self.view_size = size

    def latest_frame(self) -> MirrorFrame | None:
        if self.state != "running":
            return None
        self.frame_no += 1
        data = np.full((120, 160, 3), self.frame_no % 256, np.uint8)
        return MirrorFrame(data, (160, 120), self.frame_no / 30, self.frame_no, self.faces)

    def status(self) -> MirrorStatus:
        on = self.state == "running"
        return MirrorStatus(self.state, on, "cpu", 30.0, 5.0, 2.0)

    def check(self) -> None:
        pass


def test_live_countdown_freeze_and_back_to_live() -> None:
    mirror = FakeMirror()
    scene = MirrorScene(mirror, countdown_s=3.0, freeze_s=4.0, idle_s=60.0)
    scene.enter((160, 120))
    assert mirror.view_size == (160, 120) and mirror.state == "running"
    view = scene.view()
    assert view.phase == "live" and view.can_snapshot and view.camera_on
    assert scene.handle("snapshot") is None
    assert scene.view().phase == "countdown" and scene.view().countdown == 3
    scene.update(1.2)
    assert scene.view().countdown == 2
    scene.update(2.0)
    frozen = scene.view()
    assert frozen.phase == "frozen" and frozen.message == "frozen" and frozen.frame is not None
    scene.update(1.0)
    assert scene.view().frame is frozen.frame  # the same picture stays while frozen
    scene.update(3.5)
    assert scene.view().phase == "live"


def test_back_idle_and_leaving_switch_the_camera_off() -> None:
    mirror = FakeMirror()
    scene = MirrorScene(mirror, idle_s=10.0)
    scene.enter()
    assert scene.handle("back") == "back"
    assert scene.update(9.0) is None
    scene.handle("touch")  # a touch restarts the idle clock
    assert scene.update(9.0) is None
    assert scene.update(1.5) == "attract"
    scene.handle("snapshot")
    scene.update(3.5)
    scene.leave()
    assert mirror.state == "off" and scene.view().frame is None


def test_no_camera_and_a_lost_camera_are_said_kindly() -> None:
    mirror = FakeMirror()
    scene = MirrorScene(mirror)
    scene.enter()
    for state in ("no_camera", "lost", "error"):
        mirror.state = state
        view = scene.view()
        assert view.phase == state and view.message == state and view.frame is None
        assert not view.can_snapshot and not view.camera_on
        assert scene.handle("snapshot") is None
    mirror.state = "running"  # the camera is back
    assert scene.view().phase == "live"


def test_nobody_in_front_of_the_camera_gets_an_invitation() -> None:
    mirror = FakeMirror()
    mirror.faces = 0
    scene = MirrorScene(mirror)
    scene.enter()
    assert scene.view().message == "step_in"


def test_several_people_together_are_greeted_as_an_expedition() -> None:
    mirror = FakeMirror()
    scene = MirrorScene(mirror)
    scene.enter()
    assert scene.view().message is None  # one visitor: the picture speaks for itself
    mirror.faces = 3
    view = scene.view()
    assert view.message == "together" and view.faces == 3
    assert text("ru", "together") and text("en", "together") != "together"


def test_every_text_in_both_languages() -> None:
    assert set(TEXTS["ru"]) == set(TEXTS["en"])
    assert text("de", "back") == "Back"
    assert text("ru", "camera_on") == "Камера включена"


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_draw_shows_the_frame_the_camera_sign_and_the_buttons(lang: str) -> None:
    pygame = pytest.importorskip("pygame")
    from kiosk.mirror.view import draw, layout

    pygame.init()
    try:
        surface = pygame.Surface((640, 360))
        mirror = FakeMirror()
        scene = MirrorScene(mirror)
        scene.enter((640, 360))
        frame = MirrorFrame(np.full((360, 640, 3), (10, 200, 30), np.uint8), (640, 360), 0, 1, 1)
        mirror.latest_frame = lambda: frame  # type: ignore[method-assign]
        shown = draw(surface, scene.view(), lang)
        assert set(shown) == {"back", "snapshot"} and shown == layout((640, 360))
        assert surface.get_at((320, 180))[:3] == (10, 200, 30)  # the frame, blitted as is
        r = max(4, (360 // 12) // 5)
        dot = (360 // 12 // 2 + r, 360 // 12 // 2 + r)
        assert surface.get_at(dot)[:3] == (224, 52, 52)  # the red "camera on" sign
        mirror.state = "no_camera"
        shown = draw(surface, scene.view(), lang)
        assert set(shown) == {"back"}
        assert surface.get_at(dot)[:3] != (224, 52, 52)  # no sign without a camera
    finally:
        from kiosk.ui import theme

        theme.release()
        pygame.quit()
